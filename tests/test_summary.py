"""Tests for crm_lib.summary: hand-computed examples, an independent slow recomputation, properties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_lib._errors import DataError, DataWarning
from crm_lib.summary import PERIOD_LENGTH_DAYS, customer_summary, period_totals, totals

MONTH = 365.25 / 12  # the workbook's month (lifetimes/numpy: 365.2425 / 12)


def _tx(rows):
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "date", "quantity", "amount", "cost"])
    df["date"] = pd.to_datetime(df["date"])
    return df


@pytest.fixture
def log():
    # a: two lines on 01-01 (15), 01-11 (30), a pure-return day 01-20 (-4),
    #    01-21 a purchase and a return on the same day (net 15)
    # b: one purchase on 01-21; c: only a return
    return _tx([
        ("o1", "a", "2026-01-01", 1, 10.0, 6.0),
        ("o1", "a", "2026-01-01", 1, 5.0, 3.0),
        ("o2", "a", "2026-01-11", 3, 30.0, 20.0),
        ("r1", "a", "2026-01-20", -1, -4.0, -2.0),
        ("o3", "a", "2026-01-21", 2, 20.0, 12.0),
        ("r2", "a", "2026-01-21", -1, -5.0, -3.0),
        ("o4", "b", "2026-01-21", 1, 8.0, 5.0),
        ("r3", "c", "2026-01-15", -1, -3.0, -2.0),
    ])


# ---------------------------------------------------------------------------------- totals

def test_totals_hand_computed(log):
    t = totals(log)
    assert list(t.index) == ["a", "b", "c"]
    assert t.index.name == "customer_id"
    a = t.loc["a"]
    assert a["sales"] == pytest.approx(10 + 5 + 30 - 4 + 20 - 5)
    assert a["cost"] == pytest.approx(6 + 3 + 20 - 2 + 12 - 3)
    assert a["gross_profit"] == pytest.approx(56 - 36)
    assert a["quantity"] == pytest.approx(1 + 1 + 3 - 1 + 2 - 1)
    assert a["orders"] == 3  # o1, o2, o3 (return orders are not orders)
    assert a["lines"] == 6
    assert a["return_lines"] == 2
    assert a["returned_amount"] == pytest.approx(9.0)
    assert a["first_purchase"] == pd.Timestamp("2026-01-01")
    assert a["last_purchase"] == pd.Timestamp("2026-01-21")
    assert a["purchase_days"] == 3
    c = t.loc["c"]
    assert c["sales"] == -3.0 and c["orders"] == 0 and c["purchase_days"] == 0
    assert pd.isna(c["first_purchase"]) and pd.isna(c["last_purchase"])


def test_totals_window(log):
    t = totals(log, start="2026-01-05", as_of="2026-01-20")
    assert list(t.index) == ["a", "c"]
    assert t.loc["a", "sales"] == pytest.approx(26.0)
    assert t.loc["a", "first_purchase"] == pd.Timestamp("2026-01-11")
    assert t.attrs["as_of"] == pd.Timestamp("2026-01-20")


def test_totals_as_of_whole_day():
    tx = _tx([("1", "a", "2026-01-01", 1, 5.0, 1.0)])
    tx.loc[0, "date"] = pd.Timestamp("2026-01-01 18:30")
    assert totals(tx, as_of="2026-01-01")["sales"].tolist() == [5.0]


def test_totals_by_two_columns(log):
    log = log.assign(region=["n", "s", "n", "n", "s", "s", "n", "n"])
    t = totals(log, by=["customer_id", "region"])
    assert t.index.names == ["customer_id", "region"]
    assert t.loc[("a", "n"), "sales"] == pytest.approx(10 + 30 - 4)
    assert t.loc[("a", "s"), "sales"] == pytest.approx(5 + 20 - 5)
    assert t.loc[("b", "n"), "orders"] == 1
    assert len(t) == 4


def test_totals_optional_columns_none(log):
    t = totals(log.drop(columns=["cost", "order_id", "quantity"]), cost_col=None,
               order_col=None, quantity_col=None)
    assert t["cost"].isna().all() and t["orders"].isna().all()
    assert t.loc["b", "sales"] == 8.0


def test_totals_matches_pandas_groupby(log):
    t = totals(log)
    g = log.groupby("customer_id")
    pd.testing.assert_series_equal(t["sales"], g["amount"].sum(), check_names=False)
    pd.testing.assert_series_equal(t["lines"], g.size(), check_names=False,
                                   check_dtype=False)


# ---------------------------------------------------------------------------- period totals

def test_period_totals_monthly_and_weekly(log):
    extra = _tx([("o9", "a", "2026-02-03", 1, 7.0, 1.0)])
    df = pd.concat([log, extra], ignore_index=True)
    m = period_totals(df, freq="M")
    assert m.attrs["freq"] == "M"
    a = m[m["customer_id"] == "a"].set_index("period")
    assert a.loc[pd.Timestamp("2026-01-01"), "sales"] == pytest.approx(56.0)
    assert a.loc[pd.Timestamp("2026-02-01"), "sales"] == pytest.approx(7.0)
    assert a.loc[pd.Timestamp("2026-01-01"), "orders"] == 3
    w = period_totals(df, freq="W")
    aw = w[w["customer_id"] == "a"].set_index("period")["sales"]
    # weeks start on Monday: 2025-12-29, 2026-01-05, 2026-01-19, 2026-02-02
    assert aw.to_dict() == {
        pd.Timestamp("2025-12-29"): 15.0,
        pd.Timestamp("2026-01-05"): 30.0,
        pd.Timestamp("2026-01-19"): 11.0,
        pd.Timestamp("2026-02-02"): 7.0,
    }
    d = period_totals(df, freq="D", as_of="2026-01-11")
    assert d["period"].max() == pd.Timestamp("2026-01-11")


def test_period_totals_weeks_match_pandas_periods():
    days = pd.date_range("2023-12-20", "2024-03-10", freq="D")
    tx = pd.DataFrame({"customer_id": "a", "order_id": [str(i) for i in range(len(days))],
                       "date": days, "amount": 1.0, "cost": 0.0})
    for freq, pfreq in (("W", "W"), ("M", "M"), ("D", "D")):
        got = period_totals(tx, freq=freq).set_index("period")["sales"]
        exp = tx.groupby(tx["date"].dt.to_period(pfreq).dt.start_time)["amount"].sum()
        pd.testing.assert_series_equal(got, exp, check_names=False, check_index_type=False,
                                       check_freq=False)


# ------------------------------------------------------------------------- customer summary

def test_customer_summary_daily_hand_computed(log):
    s = customer_summary(log, as_of="2026-01-31")
    assert list(s.index) == ["a", "b"]  # c has only a return
    assert s.attrs["freq"] == "D"
    assert s.attrs["return_only_customers"] == 1
    assert s.attrs["as_of"] == pd.Timestamp("2026-01-31")
    a = s.loc["a"]
    # purchase days 01-01 (15), 01-11 (30), 01-21 (20 - 5 = 15); 01-20 holds only a return
    assert a["frequency"] == 2
    assert a["recency"] == 20
    assert a["T"] == 30
    assert a["monetary_value"] == pytest.approx((30 + 15) / 2)
    assert a["sales"] == pytest.approx(56.0)
    assert a["gross_profit"] == pytest.approx(20.0)
    assert a["orders"] == 3
    assert a["first_purchase"] == pd.Timestamp("2026-01-01")
    assert a["last_purchase"] == pd.Timestamp("2026-01-21")
    b = s.loc["b"]
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0, 10, 0)


def test_customer_summary_weekly_hand_computed(log):
    s = customer_summary(log, as_of="2026-01-31", freq="W")
    a = s.loc["a"]
    # weeks from Monday 2025-12-29 (15), 2026-01-05 (30), 2026-01-19 (-4 + 20 - 5 = 11);
    # as_of falls in the week of 2026-01-26
    assert (a["frequency"], a["recency"], a["T"]) == (2, 3, 4)
    assert a["monetary_value"] == pytest.approx((30 + 11) / 2)
    assert s.loc["b", "T"] == 1
    assert s.attrs["freq"] == "W"


def test_customer_summary_monthly_uses_average_month():
    tx = _tx([
        ("1", "a", "2026-01-01", 1, 5.0, 0.0),
        ("2", "a", "2026-01-31", 1, 6.0, 0.0),
        ("3", "a", "2026-03-02", 1, 7.0, 0.0),
    ])
    s = customer_summary(tx, as_of="2026-05-20", freq="M")
    # purchase months Jan (11) and Mar (7); as_of in May
    assert s.loc["a", "frequency"] == 1
    assert s.loc["a", "recency"] == pytest.approx(59 / MONTH)  # 2026-01-01 .. 2026-03-01
    assert s.loc["a", "T"] == pytest.approx(120 / MONTH)  # .. 2026-05-01
    assert s.loc["a", "monetary_value"] == 7.0
    assert PERIOD_LENGTH_DAYS["M"] == pytest.approx(MONTH)


def test_customer_summary_calibration_holdout(log):
    s = customer_summary(log, as_of="2026-01-31", calibration_end="2026-01-11")
    assert list(s.columns[:7]) == ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal",
                                   "frequency_holdout", "monetary_value_holdout",
                                   "duration_holdout"]
    assert list(s.index) == ["a"]  # b buys first in the holdout
    assert s.attrs["holdout_only_customers"] == 1
    a = s.loc["a"]
    assert (a["frequency_cal"], a["recency_cal"], a["T_cal"]) == (1, 10, 10)
    assert a["monetary_value_cal"] == 30.0
    # holdout: 01-20 is a pure return (not a purchase), 01-21 nets 15
    assert a["frequency_holdout"] == 1
    assert a["monetary_value_holdout"] == 15.0
    assert a["duration_holdout"] == 20
    assert a["sales"] == 45.0  # the extras cover the calibration window
    assert s.attrs["calibration_end"] == pd.Timestamp("2026-01-11")


def test_customer_summary_holdout_zero_when_no_holdout_purchase():
    tx = _tx([("1", "a", "2026-01-01", 1, 5.0, 0.0), ("2", "b", "2026-01-02", 1, 5.0, 0.0),
              ("3", "b", "2026-01-09", 1, 4.0, 0.0), ("4", "b", "2026-01-09", 1, 2.0, 0.0)])
    s = customer_summary(tx, as_of="2026-01-10", calibration_end="2026-01-05", freq="D")
    assert s.loc["a", "frequency_holdout"] == 0 and s.loc["a", "monetary_value_holdout"] == 0
    assert s.loc["b", "frequency_holdout"] == 1 and s.loc["b", "monetary_value_holdout"] == 6.0
    assert (s["duration_holdout"] == 5).all()


def test_customer_summary_same_day_net_negative_is_still_a_purchase():
    tx = _tx([("1", "a", "2026-01-01", 1, 5.0, 0.0), ("2", "a", "2026-01-03", 1, 5.0, 0.0),
              ("r", "a", "2026-01-03", -2, -9.0, 0.0)])
    s = customer_summary(tx)
    assert s.loc["a", "frequency"] == 1
    assert s.loc["a", "monetary_value"] == -4.0


def test_customer_summary_without_value_and_extras():
    tx = pd.DataFrame({"cust": ["x", "x", "y"],
                       "when": pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-02"])})
    s = customer_summary(tx, customer_col="cust", date_col="when", value_col=None)
    assert list(s.columns) == ["frequency", "recency", "T", "first_purchase", "last_purchase"]
    assert s.loc["x"].tolist()[:3] == [1, 3, 3]
    assert s.index.name == "cust"


def test_customer_summary_does_not_mutate(log):
    before = log.copy()
    customer_summary(log, freq="W", calibration_end="2026-01-10")
    totals(log)
    period_totals(log)
    pd.testing.assert_frame_equal(log, before)


def test_missing_rows_are_counted_and_warned(log):
    log.loc[2, "date"] = pd.NaT
    with pytest.warns(DataWarning, match=r"1 row of `transactions` left out \(1 without a date; "
                                         r"row 2\)"):
        s = customer_summary(log)
    assert s.attrs["excluded_rows"] == 1
    assert s.loc["a", "frequency"] == 1
    log.loc[[0, 6], "customer_id"] = None
    log.loc[5, "amount"] = np.nan
    with pytest.warns(DataWarning, match=r"4 rows of `transactions` left out \(2 without a "
                                         r"customer_id; 1 without a date; 1 without an amount; "
                                         r"rows 0, 2, 5, …\)"):
        t = totals(log)
    assert t.attrs["excluded_rows"] == 4


def test_string_dates_are_parsed(log):
    s1 = customer_summary(log.assign(date=log["date"].dt.strftime("%Y-%m-%d")))
    pd.testing.assert_frame_equal(s1, customer_summary(log))


# ---------------------------------------------------------------------------------- errors

def test_error_unknown_column(log):
    with pytest.raises(DataError, match=r"Column 'when' not found in `transactions`"):
        customer_summary(log, date_col="when")
    with pytest.raises(DataError, match=r"Column 'region' not found in `transactions`"):
        totals(log, by="region")
    with pytest.raises(DataError, match=r"Column 'margin' not found"):
        customer_summary(log, cost_col="margin")


def test_error_non_dates(log):
    bad = log.assign(date=["2026-01-01", "x", "2026-01-03", "y", "2026-01-05", "2026-01-06",
                           "2026-01-07", "2026-01-08"])
    with pytest.raises(DataError, match=r"Column 'date' in `transactions` must be a date; "
                                        r"2 rows are not \(rows 1, 3: 'x', 'y'\)"):
        customer_summary(bad)
    with pytest.raises(DataError, match=r"Column 'date' in `transactions` must hold dates, got numbers"):
        totals(log.assign(date=1.0))


def test_error_non_numeric_amount(log):
    bad = log.assign(amount=["1", "2", "abc", "4", "5", "6", "7", "8"])
    with pytest.raises(DataError, match=r"Column 'amount' in `transactions` must be numeric; "
                                        r"1 row is not \(row 2: 'abc'\)"):
        totals(bad)


def test_error_as_of_before_first(log):
    with pytest.raises(DataError, match=r"No transactions on or before as_of=2025-12-01 "
                                        r"\(the first is 2026-01-01\)"):
        customer_summary(log, as_of="2025-12-01")
    with pytest.raises(DataError, match=r"`as_of` must be a date"):
        customer_summary(log, as_of="soon")


def test_error_freq_and_calibration(log):
    with pytest.raises(DataError, match=r"`freq` must be one of \['D', 'W', 'M'\], got 'Q'"):
        customer_summary(log, freq="Q")
    with pytest.raises(DataError, match=r"`calibration_end` must be before `as_of`"):
        customer_summary(log, as_of="2026-01-10", calibration_end="2026-01-10")
    with pytest.raises(DataError, match=r"`start` must not be after `as_of`"):
        totals(log, start="2026-02-01", as_of="2026-01-01")


# ------------------------------------------------------ independent slow recomputation

def _reference(tx: pd.DataFrame, as_of: pd.Timestamp, freq: str) -> pd.DataFrame:
    """Straightforward per-customer loop following lifetimes' definitions (test only)."""
    tx = tx[tx["date"] <= as_of]
    pfreq = {"D": "D", "W": "W", "M": "M"}[freq]
    length = {"D": 1, "W": 7, "M": MONTH}[freq]
    tx = tx.assign(period=tx["date"].dt.to_period(pfreq).dt.start_time)
    end = as_of.to_period(pfreq).start_time
    rows = {}
    for cust, g in tx.groupby("customer_id"):
        per = g.groupby("period")["amount"].agg(["sum", "max"])
        per = per[per["max"] > 0].sort_index()
        if per.empty:
            continue
        first, last = per.index[0], per.index[-1]
        f = len(per) - 1
        rows[cust] = {
            "frequency": float(f),
            "recency": (last - first).days / length,
            "T": (end - first).days / length,
            "monetary_value": float(per["sum"].iloc[1:].mean()) if f else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


@st.composite
def _logs(draw):
    n = draw(st.integers(1, 40))
    cust = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    amt = draw(st.lists(st.sampled_from([-7.0, -2.5, 0.0, 1.0, 3.25, 10.0, 40.0]),
                        min_size=n, max_size=n))
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": cust,
        "date": pd.Timestamp("2025-12-20") + pd.to_timedelta(day, unit="D"),
        "amount": amt,
        "cost": [a / 2 for a in amt],
        "quantity": [1.0 if a >= 0 else -1.0 for a in amt],
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=_logs(), freq=st.sampled_from(["D", "W", "M"]), seed=st.integers(0, 10**6))
def test_summary_matches_reference_and_row_order(tx, freq, seed):
    as_of = pd.Timestamp("2026-04-30")
    before = tx.copy()
    ref = _reference(tx, as_of, freq)
    got = customer_summary(tx, as_of=as_of, freq=freq)
    if ref.empty:  # nobody bought anything: only returns and zero lines
        assert got.empty
        return
    pd.testing.assert_frame_equal(got[ref.columns], ref, check_names=False, rtol=1e-12)
    pd.testing.assert_frame_equal(tx, before)
    shuffled = tx.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(customer_summary(shuffled, as_of=as_of, freq=freq), got)
    t = totals(shuffled)
    assert t["sales"].sum() == pytest.approx(tx["amount"].sum())
    assert t["lines"].sum() == len(tx)
    pd.testing.assert_frame_equal(t, totals(tx), rtol=1e-12)
    pd.testing.assert_frame_equal(period_totals(shuffled, freq=freq),
                                  period_totals(tx, freq=freq), rtol=1e-12)
    pd.testing.assert_frame_equal(tx, before)


@pytest.mark.parametrize("dense", [True, False])
def test_large_random_log_matches_reference(dense, monkeypatch):
    import crm_lib.summary as summary_module

    if not dense:  # force the sort-based path used for wide key ranges
        monkeypatch.setattr(summary_module, "_DENSE_KEYS", 0)
    rng = np.random.default_rng(7)
    n = 5000
    tx = pd.DataFrame({
        "order_id": np.arange(n).astype(str),
        "customer_id": rng.integers(0, 300, n).astype(str),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
        "amount": np.round(rng.gamma(2.0, 20.0, n) * np.where(rng.random(n) < 0.05, -1, 1), 2),
        "cost": 0.0,
    })
    for freq in ("D", "W", "M"):
        as_of = pd.Timestamp("2025-10-15")
        got = customer_summary(tx, as_of=as_of, freq=freq)
        ref = _reference(tx, as_of, freq)
        pd.testing.assert_frame_equal(got[ref.columns], ref.sort_index(), check_names=False,
                                      rtol=1e-12)
        pt = period_totals(tx, freq=freq, as_of=as_of)
        upto = tx[tx["date"] <= as_of]
        exp = (upto.assign(period=upto["date"].dt.to_period(freq).dt.start_time)
               .groupby(["customer_id", "period"], as_index=False)["amount"].sum())
        np.testing.assert_allclose(pt["sales"].to_numpy(), exp["amount"].to_numpy(), rtol=1e-12)
        assert (pt["period"].to_numpy() == exp["period"].to_numpy()).all()
    t = totals(tx, quantity_col=None)
    assert t["purchase_days"].tolist() == (
        tx[tx["amount"] > 0].groupby("customer_id")["date"].nunique()
        .reindex(t.index, fill_value=0).tolist())


def test_against_lifetimes_if_installed():
    utils = pytest.importorskip("lifetimes.utils")
    rng = np.random.default_rng(3)
    n = 3000
    tx = pd.DataFrame({
        "customer_id": rng.integers(0, 200, n).astype(str),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D"),
        "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
    })
    for freq in ("D", "W", "M"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = utils.summary_data_from_transaction_data(
                tx, "customer_id", "date", monetary_value_col="amount",
                observation_period_end="2025-05-31", freq=freq)
        got = customer_summary(tx, as_of="2025-05-31", freq=freq)
        pd.testing.assert_frame_equal(got[ref.columns], ref.sort_index(), check_names=False,
                                      rtol=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=_logs(), freq=st.sampled_from(["D", "W", "M"]), cal_day=st.integers(0, 100))
def test_calibration_split_matches_its_parts(tx, freq, cal_day):
    as_of = pd.Timestamp("2026-04-30")
    cal = pd.Timestamp("2025-12-20") + pd.Timedelta(days=cal_day)
    head = tx[tx["date"] <= cal]
    if not (head["amount"] > 0).any():
        return
    got = customer_summary(tx, as_of=as_of, calibration_end=cal, freq=freq)
    part = customer_summary(head, as_of=cal, freq=freq)
    for col in ("frequency", "recency", "T", "monetary_value"):
        pd.testing.assert_series_equal(got[col + "_cal"], part[col], check_names=False)
    # holdout: distinct periods after cal with a positive line, and their mean net value
    tail = tx[(tx["date"] > cal) & (tx["date"] <= as_of)]
    tail = tail.assign(period=tail["date"].dt.to_period(freq).dt.start_time)
    per = tail.groupby(["customer_id", "period"])["amount"].agg(["sum", "max"])
    per = per[per["max"] > 0]
    count = per.groupby(level=0).size().reindex(got.index, fill_value=0)
    mean = per["sum"].groupby(level=0).mean().reindex(got.index, fill_value=0.0)
    assert got["frequency_holdout"].tolist() == count.astype(float).tolist()
    np.testing.assert_allclose(got["monetary_value_holdout"], mean, rtol=1e-12)
    length = PERIOD_LENGTH_DAYS[freq]
    expected = (as_of.to_period(freq).start_time - cal.to_period(freq).start_time).days / length
    assert (got["duration_holdout"] == expected).all()
