"""Tests of crm_lib.satisfaction: NPS, CSAT, quality gaps, importance-performance, loyalty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_lib import satisfaction as sat
from crm_lib._errors import DataError, DataWarning

Z95 = stats.norm.ppf(0.975)

# ten answers: promoters 10, 9, 9, 10, 9 (5); passives 8, 7 (2); detractors 6, 3, 5 (3)
TEN = [10, 9, 9, 8, 7, 6, 3, 10, 5, 9]


# --- NPS -----------------------------------------------------------------------------------------

def test_nps_of_ten_answers_by_hand():
    assert sat.nps(TEN) == pytest.approx(100 * (5 / 10 - 3 / 10))  # 20


def test_nps_interval_by_hand():
    p, d, n = 0.5, 0.3, 10
    se = 100 * math.sqrt((p * (1 - p) + d * (1 - d) + 2 * p * d) / n)  # multinomial variance
    r = sat.nps_interval(pd.Series(TEN))
    assert (r["n"], r["promoters"], r["passives"], r["detractors"]) == (10, 5, 2, 3)
    assert r["nps_se"] == pytest.approx(se)
    assert r["nps_lower"] == pytest.approx(20 - Z95 * se)
    assert r["nps_upper"] == pytest.approx(20 + Z95 * se)


def test_nps_extremes_and_empty_answers_left_out():
    assert sat.nps([9, 10, 10]) == 100
    assert sat.nps([0, 6, 3]) == -100
    assert sat.nps(pd.Series([10, np.nan, 0, 8])) == pytest.approx(0.0)


def test_nps_custom_bands():
    bands = {"detractor": (0, 4), "passive": (5, 7), "promoter": (8, 10)}
    assert sat.nps([8, 5, 4, 10], bands=bands) == pytest.approx(100 * (2 - 1) / 4)


def test_nps_no_answers_warns_and_is_nan():
    with pytest.warns(DataWarning, match="No NPS answers"):
        assert math.isnan(sat.nps(pd.Series([np.nan, np.nan])))


@pytest.mark.parametrize(("values", "match"), [
    ([10, 11], r"Column 'nps' in `scores` must be whole numbers from 0 to 10; 1 row is not \(row 1: 11\)"),
    ([-1, 5, 7.5], r"must be whole numbers from 0 to 10; 2 rows are not \(rows 0, 2: -1, 7\.5\)"),
    (["9", "x"], r"Column 'nps' in `scores` must be numeric; 1 row is not \(row 1: 'x'\)"),
])
def test_nps_out_of_range_is_refused(values, match):
    with pytest.raises(DataError, match=match):
        sat.nps(values)


def test_nps_bad_confidence():
    with pytest.raises(DataError, match=r"`confidence` must be within \(0, 1\), got 95"):
        sat.nps_interval(TEN, confidence=95)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_nps_properties(scores):
    r = sat.nps_interval(scores)
    assert -100 <= r["nps"] <= 100
    assert r["nps_lower"] <= r["nps"] + 1e-9 <= r["nps_upper"] + 2e-9
    assert r["promoters"] + r["passives"] + r["detractors"] == len(scores)
    assert sat.nps(scores[::-1]) == pytest.approx(r["nps"])


# --- CSAT ----------------------------------------------------------------------------------------

def test_csat_by_hand_with_wilson_interval():
    k, n = 3, 5  # answers 5, 4, 5 satisfied of [5, 4, 3, 5, 1]
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    r = sat.csat_interval([5, 4, 3, 5, 1])
    assert sat.csat([5, 4, 3, 5, 1]) == pytest.approx(60.0)
    assert r["csat_lower"] == pytest.approx(100 * (centre - half))
    assert r["csat_upper"] == pytest.approx(100 * (centre + half))


@pytest.mark.parametrize("bad", [0, 6, 4.5])
def test_csat_out_of_range_is_refused(bad):
    with pytest.raises(DataError, match=r"Column 'csat' in `scores` must be whole numbers from 1 to 5"):
        sat.csat([5, bad])


# --- by group ------------------------------------------------------------------------------------

def _surveys() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(8)],
        "customer_id": ["a", "b", "c", "d", "a", "b", "c", "e"],
        "date": pd.to_datetime(["2026-01-03", "2026-01-10", "2026-01-20", "2026-01-31",
                                "2026-02-01", "2026-02-14", "2026-02-28", "2026-02-28"]),
        "nps": [10, 9, 6, 8, 3, np.nan, 10, 7],
        "csat": [5, 4, 2, 4, 1, 5, np.nan, 3],
    })


CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                          "region": ["North", "North", "South", "South", "South"]})


def test_satisfaction_by_month_by_hand():
    r = sat.satisfaction_by(_surveys(), min_n=4)
    jan, feb = r.iloc[0], r.iloc[1]
    assert list(r["month"]) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]
    # January: 10, 9, 6, 8 -> 2 promoters, 1 detractor of 4; CSAT 5, 4, 2, 4 -> 3 of 4
    assert (jan["responses"], jan["nps_n"], jan["nps"]) == (4, 4, pytest.approx(25.0))
    assert jan["csat"] == pytest.approx(75.0)
    # February: 3, NaN, 10, 7 -> 1 promoter, 1 detractor of 3; CSAT 1, 5, NaN, 3 -> 1 of 3
    assert (feb["nps_n"], feb["nps"]) == (3, pytest.approx(0.0))
    assert (feb["csat_n"], feb["csat"]) == (3, pytest.approx(100 / 3))
    assert list(r["small_group"]) == [False, True]


def test_satisfaction_by_region_from_groups_matches_single_scores():
    s = _surveys()
    r = sat.satisfaction_by(s, by="region", groups=CUSTOMERS).set_index("region")
    south = s[s["customer_id"].isin(["c", "d", "e"])]
    assert r.loc["South", "nps"] == pytest.approx(sat.nps(south["nps"]))
    assert r.loc["South", "csat"] == pytest.approx(sat.csat(south["csat"]))
    assert r["responses"].sum() == len(s)
    assert r["small_group"].all()  # default min_n = 30


def test_satisfaction_by_overall_one_row_and_missing_group_column():
    r = sat.satisfaction_by(_surveys(), by=None)
    assert len(r) == 1 and r["nps_n"].iloc[0] == 7
    with pytest.raises(DataError, match=r"Column 'tier' not found in `surveys`.*Pass `groups=`"):
        sat.satisfaction_by(_surveys(), by="tier")


def test_satisfaction_by_leaves_input_unchanged_and_ignores_row_order():
    s = _surveys()
    before = s.copy()
    r1 = sat.satisfaction_by(s, by=("month",))
    pd.testing.assert_frame_equal(s, before)
    r2 = sat.satisfaction_by(s.sample(frac=1, random_state=3), by=("month",))
    pd.testing.assert_frame_equal(r1, r2)


def test_satisfaction_by_empty_surveys_gives_empty_table():
    r = sat.satisfaction_by(_surveys().iloc[0:0], by="month")
    assert r.empty and "nps" in r.columns


# --- quality gaps --------------------------------------------------------------------------------

def _factors() -> pd.DataFrame:
    return pd.DataFrame({
        "exp_access": [6, 5, 7, 6], "perc_access": [5, 5, 4, np.nan],
        "exp_courtesy": [3, 4, 2, 3], "perc_courtesy": [5, 4, 4, 5],
        "imp_access": [7, 6, 7, 6], "imp_courtesy": [2, 3, 3, 2],
    })


def test_quality_gaps_by_hand():
    r = sat.quality_gaps(_factors(), factors=["access", "courtesy"], min_n=4).set_index("factor")
    d = np.array([-1.0, 0.0, -3.0])  # access pairs (the 4th answer has no perception)
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert r.loc["access", "answers"] == 3
    assert r.loc["access", "quality_gap"] == pytest.approx(d.mean())
    assert r.loc["access", "quality_gap_lower"] == pytest.approx(d.mean() - half)
    assert r.loc["access", "expectation"] == pytest.approx(6.0)
    assert r.loc["courtesy", "quality_gap"] == pytest.approx((2 + 0 + 2 + 2) / 4)
    assert list(r["small_group"]) == [True, False]


def test_quality_gaps_factor_out_of_range():
    f = _factors()
    f.loc[2, "exp_courtesy"] = 8
    with pytest.raises(DataError, match=r"Column 'exp_courtesy' in `surveys` must be numbers from 1 to 7; 1 row is not \(row 2: 8\)"):
        sat.quality_gaps(f, factors=["access", "courtesy"])


def test_quality_gaps_missing_factors_warn_then_refuse():
    with pytest.warns(DataWarning, match=r"no exp_/perc_ columns for \['security'\]"):
        r = sat.quality_gaps(_factors(), factors=["access", "security"])
    assert list(r["factor"]) == ["access"]
    with pytest.raises(DataError, match=r"Columns 'exp_security', 'perc_security' not found in `surveys`"):
        sat.quality_gaps(_factors(), factors=["security"])


# --- importance-performance ----------------------------------------------------------------------

def test_importance_performance_four_quadrants():
    s = pd.DataFrame({
        "imp_reliability": [7, 7], "perc_reliability": [7, 6],   # high, high
        "imp_access": [6, 7], "perc_access": [2, 3],             # high, low
        "imp_courtesy": [2, 2], "perc_courtesy": [2, 2],         # low, low
        "imp_tangibles": [1, 2], "perc_tangibles": [7, 7],       # low, high
    })
    r = sat.importance_performance(s, factors=["reliability", "access", "courtesy", "tangibles"])
    assert list(r["quadrant"]) == ["keep up the good work", "concentrate here", "low priority",
                                   "possible overkill"]
    assert r["importance_cut"].iloc[0] == pytest.approx((7 + 6.5 + 2 + 1.5) / 4)
    assert set(r["quadrant"]) == set(sat.IPA_QUADRANTS.values())
    m = sat.importance_performance(s, factors=["reliability", "courtesy"], cut="midpoint")
    assert list(m["quadrant"]) == ["keep up the good work", "low priority"]


def test_importance_performance_derived_and_bad_arguments():
    s = pd.DataFrame({"perc_access": [1, 2, 3, 4], "perc_courtesy": [4, 3, 2, 1],
                      "csat": [1, 2, 3, 4]})
    r = sat.importance_performance(s, factors=["access", "courtesy"], importance="derived")
    assert list(r["importance"]) == pytest.approx([1.0, -1.0])
    with pytest.raises(DataError, match=r"`importance` must be one of \['stated', 'derived'\], got 'x'"):
        sat.importance_performance(s, factors=["access"], importance="x")
    with pytest.raises(DataError, match=r"`cut` must be 'mean', 'midpoint' or a pair"):
        sat.importance_performance(_factors(), factors=["access"], cut=3)


# --- loyalty -------------------------------------------------------------------------------------

def test_loyalty_by_nps_by_hand():
    sv = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "d"],
        "date": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-01-05", "2026-01-06", "2026-12-01"]),
        "nps": [2, 10, 9, 4, 0],  # a's latest answer is 10; d answered after as_of
    })
    tx = pd.DataFrame({
        "order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "b", "c"],
        "date": pd.to_datetime(["2026-02-01", "2025-01-01", "2026-04-01", "2026-05-01"]),
        "amount": [100.0, 999.0, 50.0, 20.0], "cost": [60.0, 0.0, 25.0, 10.0]})
    status = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                           "churned": [False, True, True, True]})
    r = sat.loyalty_by_nps(sv, tx, lost=status, as_of="2026-06-30", min_n=2).set_index("nps_group")
    assert r.loc["promoter", "customers"] == 2 and r.loc["promoter", "churned"] == 1
    assert r.loc["promoter", "mean_sales"] == pytest.approx((100 + 50) / 2)  # 2025 order outside
    assert r.loc["detractor", "churn_rate"] == pytest.approx(1.0)
    assert r.loc["passive", "customers"] == 0 and math.isnan(r.loc["passive", "churn_rate"])
    assert list(r["small_group"]) == [False, True, True]


def test_windows_keep_answers_between_start_and_as_of():
    r = sat.satisfaction_by(_surveys(), by=None, start="2026-02-01", as_of="2026-02-14")
    assert r["responses"].item() == 2  # 2026-02-01 and 2026-02-14
    f = _factors().assign(date=pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]))
    g = sat.quality_gaps(f, factors=["courtesy"], as_of="2026-02-28")
    assert g["answers"].item() == 2 and g["quality_gap"].item() == pytest.approx(1.0)
    i = sat.importance_performance(f, factors=["access", "courtesy"], start="2026-03-01")
    assert list(i["answers"]) == [1, 2]


def test_charts_draw_the_results():
    from crm_lib import plots

    r = sat.satisfaction_by(_surveys(), min_n=4)
    fig = plots.score_bars(r, x="month", score="nps", lang="zh", title="sat_nps_title")
    assert fig.layout.title.text == "按月份的净推荐值（NPS）及其95%置信区间"  # says "by month"
    assert list(fig.data[0].x) == ["2026年01月", "2026年02月"]
    assert list(fig.data[0].marker.color)[1] == "#c8cdd2"  # February is a small group
    ipa = sat.importance_performance(_factors(), factors=["access", "courtesy"])
    assert plots.ipa_map(ipa, lang="zh").layout.annotations[0].text == "继续保持"
    g = plots.gap_bars(sat.quality_gaps(_factors(), factors=["access", "courtesy"]))
    assert list(g.data[0].y) == ["Courtesy", "Access"]


def test_empty_score_warnings_point_at_the_caller():
    with pytest.warns(DataWarning) as rec:
        sat.nps_interval([])
        sat.csat([np.nan])
    assert [w.filename for w in rec] == [__file__, __file__]
