"""Tests of crm_lib.churn: status rule, reasons, retention matrix, survival, economics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_lib import churn
from crm_lib._errors import DataError, DataWarning


def _tx(rows) -> pd.DataFrame:
    """rows: (customer, date, amount); cost is 40% of the amount."""
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    df["date"] = pd.to_datetime(df["date"])
    df["order_id"] = [f"o{i}" for i in range(len(df))]
    df["cost"] = 0.4 * df["amount"]
    df["product_id"] = "P1"
    return df


# a: every 10 days (interval 10); b: one purchase; c: every 30 days; d: only a loss record
TX = _tx([
    ("a", "2026-01-01", 10.0), ("a", "2026-01-11", 10.0), ("a", "2026-01-21", 10.0),
    ("b", "2026-02-01", 50.0),
    ("c", "2025-11-01", 30.0), ("c", "2025-12-01", 30.0), ("c", "2025-12-31", 30.0),
])
LOST = pd.DataFrame({"customer_id": ["c", "d", "e"],
                     "lost_on": pd.to_datetime(["2026-02-15", "2026-01-10", "2027-01-01"]),
                     "reason": ["moved", "staff_indifference", "died"]})


# --- status --------------------------------------------------------------------------------------

def test_customer_status_inactivity_rule_by_hand():
    s = churn.customer_status(TX, as_of="2026-03-01", lost_customers=LOST, k=3).set_index("customer_id")
    assert list(s.index) == ["a", "b", "c", "d"]  # e is lost after as_of
    assert s.loc["a", "usual_interval_days"] == 10.0 and s.loc["a", "interval_source"] == "own"
    # b has one purchase day: the median of the own intervals (10 and 30) = 20
    assert s.loc["b", "usual_interval_days"] == 20.0 and s.loc["b", "interval_source"] == "typical"
    assert s.loc["a", "days_inactive"] == 39  # 2026-01-21 -> 2026-03-01 > 3 x 10
    assert s.loc["b", "days_inactive"] == 28  # < 3 x 20
    assert list(s["status"]) == ["at_risk", "active", "lost", "lost"]
    assert list(s["reason"].fillna("-")) == ["inactivity", "-", "moved", "staff_indifference"]
    assert s.loc["a", "churn_date"] == pd.Timestamp("2026-01-21")
    assert s.loc["c", "churn_date"] == pd.Timestamp("2026-02-15")
    assert s.loc["a", "tenure_days"] == 20 and s.loc["b", "tenure_days"] == 28
    assert math.isnan(s.loc["d", "tenure_days"])
    # annual values: life = span + interval, at least one year
    assert s.loc["c", "annual_sales"] == pytest.approx(90.0)
    assert s.loc["c", "annual_gross_profit"] == pytest.approx(54.0)
    assert s.loc["d", "sales"] == 0


def test_customer_status_records_and_prob_alive_rules():
    r = churn.customer_status(TX, as_of="2026-03-01", lost_customers=LOST, rule="records")
    assert list(r["status"]) == ["active", "active", "lost", "lost"]
    pa = pd.Series({"a": 0.9, "b": 0.2, "c": 0.1})
    p = churn.customer_status(TX, as_of="2026-03-01", lost_customers=LOST, rule="prob_alive",
                              prob_alive=pa, threshold=0.5).set_index("customer_id")
    assert list(p["status"]) == ["active", "at_risk", "lost", "lost"]
    assert p.loc["b", "reason"] == "prob_alive" and p.loc["b", "prob_alive"] == 0.2
    with pytest.warns(DataWarning, match="1 customers have no `prob_alive` value"):
        churn.customer_status(TX, as_of="2026-03-01", rule="prob_alive", prob_alive=pa.drop("a"))


def test_customer_status_errors():
    with pytest.raises(DataError, match=r"`rule` must be one of \['records', 'inactivity', 'prob_alive'\], got 'x'"):
        churn.customer_status(TX, as_of="2026-03-01", rule="x")
    with pytest.raises(DataError, match=r"`k` must be a positive number of usual intervals, got 0"):
        churn.customer_status(TX, as_of="2026-03-01", k=0)
    with pytest.raises(DataError, match=r"`threshold` must be a probability within \[0, 1\], got 50"):
        churn.customer_status(TX, as_of="2026-03-01", threshold=50)
    with pytest.raises(DataError, match=r"`rule='prob_alive'` needs `prob_alive`"):
        churn.customer_status(TX, as_of="2026-03-01", rule="prob_alive")
    dup = pd.concat([LOST, LOST.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"Column 'customer_id' in `lost_customers` must be unique .*2 rows are not"):
        churn.customer_status(TX, as_of="2026-03-01", lost_customers=dup)


def test_customer_status_single_purchases_warn():
    one = _tx([("a", "2026-01-01", 10.0), ("b", "2026-01-05", 20.0)])
    with pytest.warns(DataWarning, match="No customer bought on two different days"):
        s = churn.customer_status(one, as_of="2026-03-01")
    assert (s["usual_interval_days"] == 365.25).all()


def test_customer_status_leaves_input_unchanged():
    tx, lost = TX.copy(), LOST.copy()
    churn.customer_status(tx, as_of="2026-03-01", lost_customers=lost)
    pd.testing.assert_frame_equal(tx, TX)
    pd.testing.assert_frame_equal(lost, LOST)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 400),
                          st.floats(1, 500)), min_size=1, max_size=40),
       st.integers(0, 10_000))
def test_status_every_customer_once_and_row_order(rows, seed):
    tx = _tx([(c, pd.Timestamp("2025-01-01") + pd.Timedelta(days=d), a) for c, d, a in rows])
    s1 = churn.customer_status(tx, as_of="2026-03-01", default_interval_days=30)
    s2 = churn.customer_status(tx.sample(frac=1, random_state=seed), as_of="2026-03-01",
                               default_interval_days=30)
    assert s1["customer_id"].is_unique
    assert set(s1["customer_id"]) == set(tx["customer_id"])
    assert s1["status"].isin(churn.STATUSES).all()
    pd.testing.assert_frame_equal(s1, s2)
    a = churn.at_risk_summary(s1)
    assert a["customer_share"].sum() == pytest.approx(1.0)


def test_at_risk_summary_by_hand():
    s = churn.customer_status(TX, as_of="2026-03-01", lost_customers=LOST)
    a = churn.at_risk_summary(s).set_index("status")
    assert list(a.index) == list(churn.STATUSES)
    assert a.loc["lost", "customers"] == 2
    assert a.loc["at_risk", "annual_sales"] == pytest.approx(30.0)
    g = churn.at_risk_summary(s, by="region", groups=pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "region": ["N", "N", "S", "S"]}))
    assert len(g) == 2 * 3 and g.loc[(g.region == "S") & (g.status == "lost"), "customers"].item() == 2


# --- reasons -------------------------------------------------------------------------------------

REASONS = pd.DataFrame({
    "customer_id": [f"c{i}" for i in range(10)],
    "lost_on": pd.to_datetime(["2026-01-01"] * 9 + ["2024-01-01"]),
    "reason": ["staff_indifference"] * 5 + ["moved"] * 2 + ["cheaper_elsewhere", "died", "other"],
})


def test_churn_reasons_pareto_by_hand():
    r = churn.churn_reasons(REASONS)
    # ties (1 each) in the order of LOSS_REASONS
    assert list(r["reason"][:5]) == ["staff_indifference", "moved", "died", "cheaper_elsewhere", "other"]
    assert list(r["lost_customers"][:4]) == [5, 2, 1, 1]
    assert r["share"].sum() == pytest.approx(1.0)
    assert list(r["cum_share"][:3]) == pytest.approx([0.5, 0.7, 0.8])
    top = r.iloc[0]
    assert top["reference_share"] == 0.68 and top["difference"] == pytest.approx(0.5 - 0.68)
    assert math.isnan(r.set_index("reason").loc["other", "reference_share"])
    assert set(r["reason"]) == set(churn.LOSS_REASONS)  # zero-count reasons listed too
    w = churn.churn_reasons(REASONS, start="2025-01-01")
    assert w["lost_customers"].sum() == 9


def test_churn_reasons_by_group_and_preventable_share():
    groups = pd.DataFrame({"customer_id": [f"c{i}" for i in range(10)],
                           "region": ["N"] * 6 + ["S"] * 4})
    r = churn.churn_reasons(REASONS, by="region", groups=groups)
    assert r.groupby("region")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    p = churn.preventable_share(REASONS, by="region", groups=groups).set_index("region")
    # N: 5 staff + 1 moved -> 5 of 6; S: moved, cheaper, died, other -> 1 of 4
    assert p.loc["N", "preventable_share"] == pytest.approx(5 / 6)
    assert p.loc["S", "preventable_share"] == pytest.approx(1 / 4)
    assert p["reference_share"].iloc[0] == pytest.approx(0.68 + 0.10 + 0.09 + 0.05)


def test_churn_reasons_unknown_reason():
    bad = REASONS.copy()
    bad.loc[3, "reason"] = "bored"
    with pytest.raises(DataError, match=r"Column 'reason' in `lost_customers` must be one of \['died', .*1 row is not \(row 3: 'bored'\)"):
        churn.churn_reasons(bad)


def test_churn_reasons_empty_records():
    r = churn.churn_reasons(REASONS.iloc[0:0])
    assert r["lost_customers"].sum() == 0 and r["share"].isna().all()


# --- retention matrix ---------------------------------------------------------------------------

def test_retention_matrix_by_hand():
    tx = _tx([
        ("a", "2026-01-05", 10.0), ("a", "2026-02-05", 10.0), ("a", "2026-04-05", 10.0),
        ("b", "2026-01-20", 10.0), ("b", "2026-03-02", 10.0),
        ("c", "2026-02-11", 10.0), ("c", "2026-03-11", 10.0), ("c", "2026-03-12", -10.0),
        ("d", "2026-02-12", 10.0), ("d", "2026-04-01", 10.0),
    ])
    m = churn.retention_matrix(tx)
    # January cohort (a, b): m1 a, m2 b, m3 a; February cohort (c, d): m1 c nets to 0 -> inactive
    expected = pd.DataFrame([[1.0, 0.5, 0.5, 0.5], [1.0, 0.0, 0.5, np.nan]],
                            index=pd.DatetimeIndex(["2026-01-01", "2026-02-01"], name="cohort"),
                            columns=pd.Index(range(4), name="periods_since"))
    pd.testing.assert_frame_equal(m, expected, check_index_type=False, check_freq=False)
    counts = churn.retention_matrix(tx, values="active")
    assert counts[0].tolist() == [2, 2]
    cut = churn.retention_matrix(tx, as_of="2026-03-31")
    assert cut.loc[pd.Timestamp("2026-01-01")].tolist()[:3] == [1.0, 0.5, 0.5]
    assert list(cut.columns) == [0, 1, 2]


def test_retention_matrix_empty_and_input_unchanged():
    tx = TX.copy()
    churn.retention_matrix(tx)
    pd.testing.assert_frame_equal(tx, TX)
    assert churn.retention_matrix(TX.iloc[0:0]).empty


# --- survival ------------------------------------------------------------------------------------

# Freireich et al. (1963), 6-MP arm: weeks in remission; True = relapse, False = censored
MP6_T = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP6_E = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_kaplan_meier_textbook_example_by_product_limit():
    df = pd.DataFrame({"tenure_days": MP6_T, "churned": np.array(MP6_E, dtype=bool)})
    r = churn.survival(df).set_index("survival_time")
    t, e = np.array(MP6_T), np.array(MP6_E)
    s, greenwood = 1.0, 0.0
    for time in sorted(set(t[e == 1])):
        n = (t >= time).sum()
        d = ((t == time) & (e == 1)).sum()
        s *= 1 - d / n
        greenwood += d / (n * (n - d))
        assert r.loc[time, "survival"] == pytest.approx(s)
        assert r.loc[time, "at_risk"] == n and r.loc[time, "events"] == d
        # exponential Greenwood (log(-log)) band
        v = greenwood / math.log(s) ** 2
        z = stats.norm.ppf(0.975)
        assert r.loc[time, "survival_lower"] == pytest.approx(s ** math.exp(z * math.sqrt(v)), rel=1e-6)
        assert r.loc[time, "survival_upper"] == pytest.approx(s ** math.exp(-z * math.sqrt(v)), rel=1e-6)
    # the published curve (e.g. Kleinbaum & Klein, Survival Analysis, table 2.2)
    published = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}
    for time, value in published.items():
        assert r.loc[time, "survival"] == pytest.approx(value, abs=1e-4)


def test_survival_by_group_tiny_and_bad_rows():
    df = pd.DataFrame({"tenure_days": [5, 8, 3, np.nan], "churned": [True, False, True, True],
                       "tier": ["A", "A", "B", "B"]})
    with pytest.warns(DataWarning, match="1 rows of `survival input` have no usable tenure_days"):
        r = churn.survival(df, group_col="tier")
    b = r[r["tier"] == "B"]
    assert list(b["survival"]) == [1.0, 0.0]  # one subject, one event
    with pytest.warns(DataWarning, match="No subjects"):
        e = churn.survival(df.iloc[0:0])
    assert e.empty


def test_logrank_by_hand_and_single_group():
    df = pd.DataFrame({"tenure_days": [1, 2, 3, 8, 9, 10], "churned": [True] * 6,
                       "tier": ["a"] * 3 + ["b"] * 3})
    # observed and expected events of group a at each event time, hypergeometric variance
    at_risk = np.array([6, 5, 4, 3, 2, 1])
    in_a = np.array([3, 2, 1, 0, 0, 0])
    expected = (in_a / at_risk).sum()
    var = (in_a * (at_risk - in_a) * (at_risk - 1) / (at_risk**2 * np.maximum(at_risk - 1, 1))).sum()
    chi2 = (3 - expected) ** 2 / var
    r = churn.logrank(df, group_col="tier")
    assert r["statistic"].iloc[0] == pytest.approx(chi2)
    assert r["p_value"].iloc[0] == pytest.approx(stats.chi2.sf(chi2, 1))
    assert bool(r["significant"].iloc[0]) == (stats.chi2.sf(chi2, 1) < 0.05)
    three = df.assign(tier=["a", "a", "b", "b", "c", "c"])
    assert list(churn.logrank(three, group_col="tier")["comparison"]) == ["all", "pair", "pair", "pair"]
    with pytest.warns(DataWarning, match="needs two groups"):
        assert churn.logrank(df.assign(tier="a"), group_col="tier").empty


# --- churn rate, win-back, economics -------------------------------------------------------------

def test_churn_rate_by_month_by_hand():
    s = pd.DataFrame({
        "first_purchase": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-03", "2026-02-10", None]),
        "churned": [True, False, True, True, True],
        "churn_date": pd.to_datetime(["2026-02-01", None, "2026-02-20", "2026-03-05", "2026-02-01"]),
    })
    r = churn.churn_rate_by_month(s, as_of="2026-03-31")
    assert r["period"].dt.month.tolist() == [1, 2, 3]
    assert r["customers_start"].tolist() == [0, 2, 2]
    assert r["new_customers"].tolist() == [2, 2, 0]
    assert r["churned"].tolist() == [0, 2, 1]
    assert r["churn_rate"].tolist() == pytest.approx([0.0, 2 / 4, 1 / 2])
    assert r.attrs["excluded"] == 1


def test_win_back_by_hand():
    tx = _tx([("x", "2025-06-01", 100.0), ("x", "2025-07-01", 300.0), ("y", "2025-06-01", 50.0),
              ("z", "2023-01-01", 900.0)])
    tx.loc[1, "product_id"] = "P2"
    products = pd.DataFrame({"product_id": ["P1", "P2"], "name": ["Pen", "Desk"]})
    lost = pd.DataFrame({"customer_id": ["x", "y", "z"],
                         "lost_on": pd.to_datetime(["2025-10-01", "2025-11-01", "2023-06-01"]),
                         "reason": ["moved", "moved", "moved"]})
    s = churn.customer_status(tx, as_of="2026-06-30", lost_customers=lost, rule="records")
    w = churn.win_back(s, tx, as_of="2026-06-30", products=products)
    assert list(w["customer_id"]) == ["x", "y"]  # z was lost more than two years ago
    assert w.loc[0, "used_to_buy"] == "Desk, Pen" and w.loc[0, "products_bought"] == 2
    assert list(churn.win_back(s, tx, as_of="2026-06-30", top=1)["customer_id"]) == ["x"]


def test_retention_economics_by_formula():
    s = pd.DataFrame({
        "first_purchase": pd.to_datetime(["2024-01-01"] * 4 + ["2026-01-01"]),
        "churned": [True, False, False, True, False],
        "churn_date": pd.to_datetime(["2025-09-01", None, None, "2024-06-01", None]),
        "status": ["lost", "active", "active", "lost", "active"],
        "annual_gross_profit": [90.0, 120.0, 150.0, 999.0, 10.0],
    })
    e = churn.retention_economics(s, as_of="2025-12-31", discount_rate=0.1, years=5,
                                  acquisition_cost=50.0).set_index("metric")["value"]
    r, m, n = 2 / 3, (90 + 120 + 150) / 3, 3  # the 4th left before the year, the 5th is new
    q = r / 1.1
    base = n * m * sum(q**t for t in range(1, 6))
    better = n * m * sum(((r + 0.05) / 1.1) ** t for t in range(1, 6))
    assert e["retention_rate"] == pytest.approx(r)
    assert e["profit_baseline"] == pytest.approx(base)
    assert e["added_profit"] == pytest.approx(better - base)
    assert e["lost_value_vs_acquisition"] == pytest.approx(m * sum(q**t for t in range(1, 6)) / 50)
    with pytest.raises(DataError, match=r"`retention_gain` must be a share within \[0, 1\], got 5"):
        churn.retention_economics(s, as_of="2025-12-31", retention_gain=5)
    with pytest.warns(DataWarning, match="No customer was active a year before"):
        churn.retention_economics(s, as_of="2024-06-30")


def test_survival_groups_from_another_table():
    s = churn.customer_status(TX, as_of="2026-03-01", lost_customers=LOST)
    tiers = pd.DataFrame({"tier": ["VIP", "small", "small"]}, index=pd.Index(["a", "b", "c"], name="customer_id"))
    with pytest.warns(DataWarning, match="1 rows of `survival input`"):  # d has no purchases
        r = churn.survival(s, group_col="tier", groups=tiers)
    assert set(r["tier"]) == {"VIP", "small"}


def test_empty_transactions_and_records_do_not_crash():
    s = churn.customer_status(TX.iloc[0:0], as_of="2026-03-01", lost_customers=LOST.iloc[0:0])
    assert s.empty and list(s.columns)[:2] == ["customer_id", "status"]
    assert churn.at_risk_summary(s)["customers"].sum() == 0
    assert churn.churn_rate_by_month(s, as_of="2026-03-01")["churned"].sum() == 0
    assert churn.win_back(s, TX, as_of="2026-03-01").empty


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(churn.LOSS_REASONS), st.sampled_from("NS")),
                min_size=1, max_size=30), st.integers(0, 1000))
def test_churn_reasons_properties(rows, seed):
    lc = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(rows))],
                       "reason": [r for r, _ in rows], "region": [g for _, g in rows]})
    r = churn.churn_reasons(lc, by="region")
    assert r.groupby("region")["share"].sum().to_numpy() == pytest.approx(1.0)
    assert r["lost_customers"].sum() == len(rows)
    shuffled = churn.churn_reasons(lc.sample(frac=1, random_state=seed), by="region")
    pd.testing.assert_frame_equal(r, shuffled)
    p = churn.preventable_share(lc)
    assert p["preventable_losses"].item() == sum(r in churn.PREVENTABLE_REASONS for r, _ in rows)


def test_charts_draw_the_results():
    from crm_lib import plots

    df = pd.DataFrame({"tenure_days": MP6_T, "churned": np.array(MP6_E, dtype=bool),
                       "tier": ["A", "B"] * 10 + ["A"]})
    fig = plots.survival_chart(churn.survival(df, group_col="tier"), group_col="tier", lang="zh")
    assert [t.name for t in fig.data if t.showlegend is not False] == ["A", "B"]
    assert fig.layout.yaxis.title.text == "尚未流失的比例"
    m = churn.retention_matrix(TX)
    assert plots.retention_heatmap(m).data[0].z.shape == m.shape
    ref = plots.reasons_vs_reference(churn.churn_reasons(REASONS), lang="zh")
    assert "员工态度冷漠" in list(ref.data[0].y)


def test_a_customer_who_bought_after_the_loss_record_is_not_lost():
    tx = pd.concat([TX, _tx([("c", "2026-02-20", 30.0)])], ignore_index=True)
    s = churn.customer_status(tx, as_of="2026-03-01", lost_customers=LOST).set_index("customer_id")
    assert s.loc["c", "status"] == "active" and pd.isna(s.loc["c", "reason"])
    assert s.attrs["came_back"] == 1
    assert s.loc["d", "status"] == "lost"
