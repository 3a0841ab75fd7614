"""The summaries on DuckDB and Spark give the numbers of the pandas engine.

Every check compares an engine's result with :mod:`crm_lib.summary` on the same pandas frame
(itself checked against hand computations and lifetimes in ``test_summary.py``), on generated
and hostile logs: returns, purchases and returns on the same day, lines without customer, date
or amount, missing costs and order ids, orders shared by customers, times of day, calibration and
holdout splits. Spark runs in ``local[2]`` on one session for the whole test run.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_lib._errors import DataError, DataWarning
from crm_lib.clv import BetaGeo, GammaGamma, lifetime_value
from crm_lib.engines import engine_of
from crm_lib.scoring import SCORE_COLUMNS, fit_models, score_customers
from crm_lib.summary import customer_summary, period_totals, summary_histogram, totals

duckdb = pytest.importorskip("duckdb")

DAY0 = pd.Timestamp("2025-12-01")


@st.composite
def hostile_logs(draw, max_rows: int = 40):
    n = draw(st.integers(1, max_rows))
    # few customers and days, so that periods hold several lines: purchases, returns and zeros
    cust = draw(st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=n, max_size=n))
    span = draw(st.sampled_from([3, 20, 150]))
    day = draw(st.lists(st.integers(0, span), min_size=n, max_size=n))
    minute = draw(st.lists(st.sampled_from([0, 0, 0, 600, 1439]), min_size=n, max_size=n))
    amount = draw(st.lists(st.one_of(
        st.sampled_from([0.0, np.nan, -5.0, 20.0]),
        st.floats(-500, 2000, allow_nan=False, allow_infinity=False)), min_size=n, max_size=n))
    cost = draw(st.lists(st.one_of(st.just(np.nan), st.floats(-100, 500)), min_size=n,
                         max_size=n))
    order = draw(st.lists(st.sampled_from(["o1", "o2", "o3", "o4", None]), min_size=n,
                          max_size=n))
    no_date = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    dates = DAY0 + pd.to_timedelta(np.array(day) * 1440 + np.array(minute), unit="min")
    dates = dates.where(~(np.array(no_date) & (np.arange(n) % 7 == 3)))
    return pd.DataFrame({
        "order_id": pd.Series(order, dtype=object),
        "customer_id": pd.Series(cust, dtype=object),
        "date": dates,
        "quantity": np.sign(np.nan_to_num(amount)) + 0.0,
        "amount": np.array(amount, dtype=float),
        "cost": np.array(cost, dtype=float),
        "region": pd.Series(np.where(np.arange(n) % 3 == 0, "n", "s"), dtype=object),
    })


def _run(fn, tx, **kwargs):
    """The result or the DataError message, and the DataWarnings, of one call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            out = fn(tx, **kwargs)
        except DataError as exc:
            out = str(exc)
    return out, [w for w in caught if issubclass(w.category, DataWarning)]


def assert_same(fn, tx: pd.DataFrame, engine_tx, **kwargs) -> None:
    ours, warned = _run(fn, tx, **kwargs)
    theirs, warned_engine = _run(fn, engine_tx, **kwargs)
    if isinstance(ours, str):
        assert theirs == ours
        return
    assert not isinstance(theirs, str), theirs
    assert len(warned_engine) == len(warned)
    assert theirs.attrs == ours.attrs
    assert list(theirs.columns) == list(ours.columns)
    if isinstance(ours.index, pd.MultiIndex):
        assert theirs.index.to_list() == ours.index.to_list()
    else:
        assert theirs.index.astype(object).to_list() == ours.index.astype(object).to_list()
        assert theirs.index.name == ours.index.name
    pd.testing.assert_frame_equal(theirs, ours, check_index_type=False, check_dtype=False,
                                  rtol=1e-9, atol=1e-9)
    for col in ours.columns if len(ours) else ():  # numpy types the columns of no rows as it can
        assert theirs[col].dtype.kind == ours[col].dtype.kind, col


SUMMARY_CALLS = st.one_of(
    st.fixed_dictionaries({"freq": st.sampled_from(["D", "W", "M"])}),
    st.fixed_dictionaries({"freq": st.sampled_from(["D", "W", "M"]),
                           "as_of": st.sampled_from(["2026-02-15", "2026-04-30", "2025-11-01"]),
                           "calibration_end": st.sampled_from(
                               [None, "2026-01-10", "2026-02-14", "2025-12-01"])}),
    st.fixed_dictionaries({"freq": st.just("D"), "value_col": st.just(None),
                           "cost_col": st.just(None)}),
)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET threads TO 2")
    yield c
    c.close()


def test_engine_of(con):
    tx = pd.DataFrame({"a": [1]})
    assert engine_of(tx) == "pandas"
    assert engine_of(con.from_df(tx)) == "duckdb"
    with pytest.raises(DataError, match="must be a pandas DataFrame, a DuckDB relation or a "
                                        "Spark DataFrame, got list"):
        engine_of([1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=hostile_logs(), call=SUMMARY_CALLS)
def test_duckdb_customer_summary_matches_pandas(con, tx, call):
    assert_same(customer_summary, tx, con.from_df(tx), **call)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=hostile_logs(), by=st.sampled_from([("customer_id",), ("region", "customer_id")]),
       window=st.sampled_from([{}, {"start": "2026-01-01"}, {"as_of": "2026-02-01"},
                               {"start": "2026-01-01", "as_of": "2026-03-01"}]),
       freq=st.sampled_from(["D", "W", "M"]))
def test_duckdb_totals_match_pandas(con, tx, by, window, freq):
    rel = con.from_df(tx)
    assert_same(totals, tx, rel, by=by, **window)
    assert_same(period_totals, tx, rel, by=by, freq=freq, **window)


def test_duckdb_reads_parquet_and_hand_checked_log(con, tmp_path):
    # a: 01-01 two lines (15), 01-11 (30), 01-20 a pure return (-4), 01-21 a purchase and a
    # return (net 15): purchase days 01-01, 01-11, 01-21 -> frequency 2, recency 20, T 20,
    # monetary (30 + 15) / 2; b: one purchase; c: only a return (return_only_customers 1)
    tx = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "r1", "o3", "r2", "o4", "r3"],
        "customer_id": ["a", "a", "a", "a", "a", "a", "b", "c"],
        "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-11", "2026-01-20",
                                "2026-01-21", "2026-01-21", "2026-01-21", "2026-01-15"]),
        "quantity": [1, 1, 3, -1, 2, -1, 1, -1],
        "amount": [10.0, 5.0, 30.0, -4.0, 20.0, -5.0, 8.0, -3.0],
        "cost": [6.0, 3.0, 20.0, -2.0, 12.0, -3.0, 5.0, -2.0],
    })
    path = tmp_path / "part-0.parquet"
    tx.to_parquet(path)
    rel = con.read_parquet(str(tmp_path / "*.parquet"))
    s = customer_summary(rel)
    assert s.loc["a", ["frequency", "recency", "T"]].tolist() == [2.0, 20.0, 20.0]
    assert s.loc["a", "monetary_value"] == pytest.approx(22.5)
    assert s.loc["a", "orders"] == 3 and s.loc["a", "gross_profit"] == pytest.approx(20.0)
    assert s.attrs["return_only_customers"] == 1
    assert_same(customer_summary, tx, rel, freq="W")
    assert_same(totals, tx, rel)


def test_duckdb_errors_name_the_column(con):
    tx = pd.DataFrame({"customer_id": ["a"], "date": ["2026-01-01"], "amount": [1.0]})
    with pytest.raises(DataError, match=r"Column 'date' in `transactions` \(duckdb\) must hold "
                                        r"dates \(DATE or TIMESTAMP\), got VARCHAR"):
        customer_summary(con.from_df(tx))
    with pytest.raises(DataError, match=r"Column 'amount' not found in `transactions` \(duckdb\)"):
        customer_summary(con.from_df(tx.drop(columns="amount")))


def test_duckdb_warns_about_lines_left_out(con):
    tx = pd.DataFrame({"customer_id": ["a", None, "b"],
                       "date": pd.to_datetime(["2026-01-01", "2026-01-02", None]),
                       "amount": [1.0, 2.0, 3.0]})
    with pytest.warns(DataWarning, match=r"2 rows of `transactions` \(duckdb\) left out \(1 "
                                         r"without a customer_id; 1 without a date\)"):
        s = customer_summary(con.from_df(tx))
    assert s.attrs["excluded_rows"] == 2 and list(s.index) == ["a"]


# ---------------------------------------------------------------------------------- Spark

HOSTILE = pd.DataFrame({
    "order_id": ["o1", "o1", "o2", "r1", "o3", "r2", "o4", "r3", None, "o9", "o1", "o5"],
    "customer_id": ["a", "a", "a", "a", "a", "a", "b", "c", "b", None, "d", "d"],
    "date": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 23:59", "2026-01-11", "2026-01-20",
                            "2026-01-21", "2026-01-21", "2026-01-21", "2026-01-15", "2026-02-03",
                            "2026-02-04", None, "2026-03-02"], format="ISO8601"),
    "quantity": [1, 1, 3, -1, 2, -1, 1, -1, 1, 1, 1, 1.0],
    "amount": [10.0, 5.0, 30.0, -4.0, 20.0, -5.0, 8.0, -3.0, np.nan, 7.0, 4.0, 0.0],
    "cost": [6.0, 3.0, np.nan, -2.0, 12.0, -3.0, 5.0, -2.0, 1.0, 1.0, 1.0, 1.0],
    "region": ["n", "n", "s", "s", "n", "n", "s", "s", "n", "n", "s", "s"],
})


@pytest.fixture(scope="module")
def spark_hostile(spark):
    return spark.createDataFrame(HOSTILE)


@pytest.mark.parametrize("call", [
    {"freq": "D"},
    {"freq": "W", "calibration_end": "2026-01-12", "as_of": "2026-03-31"},
    {"freq": "M", "value_col": None, "cost_col": None},
])
def test_spark_customer_summary_matches_pandas(spark_hostile, call):
    assert engine_of(spark_hostile) == "spark"
    assert_same(customer_summary, HOSTILE, spark_hostile, **call)


def test_spark_totals_match_pandas(spark_hostile):
    assert_same(totals, HOSTILE, spark_hostile, by=("region", "customer_id"),
                start="2026-01-05")
    assert_same(period_totals, HOSTILE, spark_hostile, freq="M")


@settings(max_examples=4, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tx=hostile_logs(max_rows=25), call=SUMMARY_CALLS)
def test_spark_generated_logs_match_pandas(spark, tx, call):
    assert_same(customer_summary, tx, spark.createDataFrame(tx), **call)


# ------------------------------------------------------------- models: histogram and scores

@pytest.fixture(scope="module")
def company_log():
    from crm_lib.sample import generate

    return generate(400, seed=7)["transactions"]


AS_OF = "2026-10-31"


def test_histogram_counts_every_customer_once(con, company_log):
    summary = customer_summary(company_log, as_of=AS_OF, freq="W")
    for tx in (company_log, con.from_df(company_log)):
        hist = summary_histogram(tx, as_of=AS_OF, freq="W")
        assert hist["customers"].sum() == len(summary) == hist.attrs["customers"]
        assert hist.attrs["freq"] == "W"
        # an independent count of the same rows
        expected = summary.value_counts(["frequency", "recency", "T"]).sort_index()
        got = hist.set_index(["frequency", "recency", "T"])["customers"]
        assert got.to_dict() == expected.to_dict()
        assert len(hist) < len(summary)  # the point: fewer rows than customers


def test_fit_on_engine_histogram_equals_fit_on_summary(con, company_log):
    summary = customer_summary(company_log, as_of=AS_OF)
    bg_full = BetaGeo().fit(summary)
    gg_full = GammaGamma().fit(summary)
    bg, gg = fit_models(con.from_df(company_log), as_of=AS_OF)
    for name, value in bg_full.params_.items():
        assert bg.params_[name] == pytest.approx(value, rel=1e-6)
    for name, value in gg_full.params_.items():
        assert gg.params_[name] == pytest.approx(value, rel=1e-6)


def _expected_scores(tx, bg, gg):
    summary = customer_summary(tx, as_of=AS_OF)
    clv = lifetime_value(bg, gg, summary)
    return pd.concat([summary[["frequency", "recency", "T", "monetary_value"]], clv], axis=1)


def test_duckdb_scores_written_to_parquet(con, company_log, tmp_path):
    bg, gg = fit_models(company_log, as_of=AS_OF)
    out = tmp_path / "scores.parquet"
    n = score_customers(con.from_df(company_log), bg, gg, out=out, as_of=AS_OF, batch_rows=97)
    got = pd.read_parquet(out).set_index("customer_id").sort_index()
    expected = _expected_scores(company_log, bg, gg)
    assert n == len(got) == len(expected)
    pd.testing.assert_frame_equal(got[list(SCORE_COLUMNS)], expected[list(SCORE_COLUMNS)],
                                  check_index_type=False, check_names=False, rtol=1e-9)


def test_spark_histogram_and_scores(spark, company_log, tmp_path):
    sdf = spark.createDataFrame(company_log)
    hist = summary_histogram(sdf, as_of=AS_OF)
    pd.testing.assert_frame_equal(hist, summary_histogram(company_log, as_of=AS_OF),
                                  check_dtype=False)
    bg, gg = fit_models(company_log, as_of=AS_OF)
    out = tmp_path / "scores"
    n = score_customers(sdf, bg, gg, out=out, as_of=AS_OF)
    got = pd.read_parquet(out).set_index("customer_id").sort_index()
    expected = _expected_scores(company_log, bg, gg)
    assert n == len(expected)
    pd.testing.assert_frame_equal(got[list(SCORE_COLUMNS)], expected[list(SCORE_COLUMNS)],
                                  check_index_type=False, check_names=False, rtol=1e-9)
