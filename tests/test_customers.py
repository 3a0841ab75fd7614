"""Tests of crm_lib.customers: indicators, composition, lifecycle, trading, cost to serve,
cross-selling and the value matrix."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import customers as cu
from crm_lib import summary
from crm_lib._errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
AS_OF = "2026-10-31"


def tx_frame(rows):
    """rows: (customer, date, amount, cost)."""
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "cost"])
    df.insert(0, "order_id", [f"o{i}" for i in range(len(df))])
    df["date"] = pd.to_datetime(df["date"])
    df["product_id"] = "p1"
    df["quantity"] = np.sign(df["amount"])
    return df


def ids(index_values):
    return pd.Index(index_values, name="customer_id")


# ------------------------------------------------------------------------------------------
# indicators
# ------------------------------------------------------------------------------------------


def test_customer_indicators_hand_checked():
    tx = tx_frame([
        ("a", "2024-06-01", 50.0, 20.0),     # before the previous window: to date only
        ("a", "2025-03-01", 100.0, 50.0),    # previous window
        ("a", "2026-03-01", 150.0, 90.0),    # recent window
        ("a", "2026-04-01", -30.0, -18.0),   # a return in the recent window
        ("b", "2026-09-15", 40.0, 10.0),     # new in September
        ("b", "2026-10-31", 10.0, 5.0),      # on as_of: counted
        ("c", "2025-10-31", 80.0, 40.0),     # last day of the previous window
        ("d", "2024-02-01", 10.0, 5.0),      # long ago
        ("e", "2026-11-01", 99.0, 9.0),      # after as_of: not counted
        ("f", "2025-11-01", 60.0, 30.0),     # first day of the recent window
    ])
    out = cu.customer_indicators(tx, as_of=AS_OF)
    assert list(out.index) == ["a", "b", "c", "d", "f"]
    a = out.loc["a"]
    assert a["sales_to_date"] == 270.0
    assert a["sales"] == 120.0
    assert a["gross_profit"] == 48.0
    assert a["sales_prev"] == 100.0
    assert a["gross_profit_prev"] == 50.0
    assert a["months_active"] == 12
    assert a["average_sales"] == 10.0
    assert a["profit_margin"] == pytest.approx(0.4)
    assert a["sales_growth"] == pytest.approx(0.2)
    assert a["profit_growth"] == pytest.approx(-0.04)
    b = out.loc["b"]
    assert b["sales"] == 50.0 and b["months_active"] == 2 and b["average_sales"] == 25.0
    assert math.isnan(b["sales_growth"])  # new: nothing to compare with
    c = out.loc["c"]
    assert c["sales"] == 0.0 and c["sales_prev"] == 80.0 and c["sales_growth"] == -1.0
    assert math.isnan(c["profit_margin"])
    assert out.loc["d", "sales_growth"] == 0.0  # neither window positive
    assert out.loc["f", "sales"] == 60.0 and out.loc["f", "months_active"] == 12


def test_customer_indicators_errors():
    tx = tx_frame([("a", "2026-03-01", 1.0, 0.5)])
    with pytest.raises(DataError, match="No transactions on or before as_of=2025-01-31"):
        cu.customer_indicators(tx, as_of="2025-01-31")
    with pytest.raises(DataError, match="`window_months` must be a whole number"):
        cu.customer_indicators(tx, as_of=AS_OF, window_months=0)
    with pytest.raises(DataError, match="`as_of` must be a date"):
        cu.customer_indicators(tx, as_of="soon")
    with pytest.raises(DataError, match=r"Column 'amount' not found in `transactions`"):
        cu.customer_indicators(tx.drop(columns="amount"), as_of=AS_OF)


# ------------------------------------------------------------------------------------------
# composition
# ------------------------------------------------------------------------------------------


def test_composition_hand_checked():
    c = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                      "region": ["East", "East", None, "West"],
                      "kind": ["company", "individual", "company", "company"]})
    v = pd.DataFrame({"sales": [50.0, 30.0, 20.0, 999.0], "gross_profit": [10.0, 5.0, 5.0, 1.0]},
                     index=ids(["a", "b", "c", "zz"]))
    out = cu.composition(c, v, by="region", value_cols=("sales", "gross_profit"))
    assert out["region"].tolist() == ["East", "West", "unknown"]
    assert out["customers"].tolist() == [2, 1, 1]
    assert out["customer_share"].tolist() == [0.5, 0.25, 0.25]
    assert out["sales"].tolist() == [80.0, 0.0, 20.0]
    assert out["sales_share"].tolist() == [0.8, 0.0, 0.2]
    assert out["gross_profit_share"].tolist() == [0.75, 0.0, 0.25]
    assert out.attrs["unmatched_values"] == 1
    two = cu.composition(c, v, by=("region", "kind"))
    assert two[["region", "kind", "customers"]].values.tolist()[0] == ["East", "company", 1]
    assert two["customers"].sum() == 4
    ordered = cu.composition(c, by="region", order=["West", "unknown", "East"])
    assert ordered["region"].tolist() == ["West", "unknown", "East"]
    assert "sales" not in ordered.columns


def test_composition_errors():
    c = pd.DataFrame({"customer_id": ["a"], "kind": ["company"]})
    with pytest.raises(DataError, match=r"Column 'segment' not found in `customers`"):
        cu.composition(c, by="segment")
    with pytest.raises(DataError, match=r"Column 'margin' not found in `values`"):
        cu.composition(c, pd.DataFrame({"customer_id": ["a"], "sales": [1.0]}),
                       value_cols=("margin",))
    with pytest.raises(DataError, match="one row per customer"):
        cu.composition(pd.concat([c, c]))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["N", "S", None]), st.floats(0, 1e4)), min_size=1,
                  max_size=40),
    seed=st.integers(0, 1000),
)
def test_composition_properties(rows, seed):
    c = pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(rows))],
                      "region": [r[0] for r in rows]})
    v = pd.DataFrame({"customer_id": c["customer_id"], "sales": [r[1] for r in rows]})
    c0, v0 = c.copy(), v.copy()
    out = cu.composition(c, v, by="region")
    pd.testing.assert_frame_equal(c, c0)
    pd.testing.assert_frame_equal(v, v0)
    assert out["customers"].sum() == len(rows)
    assert out["customer_share"].sum() == pytest.approx(1.0)
    if v["sales"].sum() > 0:
        assert out["sales_share"].sum() == pytest.approx(1.0)
    perm = np.random.default_rng(seed).permutation(len(rows))
    out2 = cu.composition(c.iloc[perm], v.iloc[perm[::-1]], by="region")
    pd.testing.assert_frame_equal(out.drop(columns=["sales", "sales_share"]),
                                  out2.drop(columns=["sales", "sales_share"]))
    assert out2["sales"].to_numpy() == pytest.approx(out["sales"].to_numpy())


# ------------------------------------------------------------------------------------------
# lifecycle
# ------------------------------------------------------------------------------------------


def lifecycle_inputs():
    cust = pd.DataFrame({
        "customer_id": ["p", "n", "l", "r", "x", "y", "a", "s", "f", "late"],
        "acquired_on": pd.to_datetime(["2026-01-01"] * 9 + ["2026-11-15"]),
    })
    t = pd.DataFrame(
        [
            ("n", "2026-06-01", "2026-10-01", 3),    # first within 6 months; interval 61, since 30
            ("l", "2025-01-01", "2026-10-20", 30),   # recorded as lost in lost_customers
            ("r", "2024-01-01", "2026-01-01", 9),    # interval 731/8 = 91.4, since 303 > 182.8
            ("x", "2024-01-01", "2025-01-01", 5),    # interval 91.5, since 668 > 366
            ("y", "2024-01-01", "2026-10-15", 40),   # 20 months, 2.8 years
            ("a", "2025-01-01", "2026-10-15", 10),   # 8 months
            ("s", "2026-01-15", "2026-01-15", 1),    # one purchase day: interval 90, since 289
            ("f", "2026-01-01", "2026-10-01", 200),  # interval 1.4 -> 30, since 30
            ("u", "2026-10-01", "2026-10-10", 2),    # not in the customers table
        ],
        columns=["customer_id", "first_purchase", "last_purchase", "purchase_days"],
    )
    t[["first_purchase", "last_purchase"]] = t[["first_purchase", "last_purchase"]].apply(
        pd.to_datetime
    )
    months = {"y": 20, "a": 8, "f": 10, "n": 2, "l": 10, "r": 9, "x": 5, "s": 1, "u": 1}
    periods = pd.DataFrame(
        [(c, pd.Timestamp("2024-01-01") + pd.DateOffset(months=i), 1)
         for c, k in months.items() for i in range(k)],
        columns=["customer_id", "period", "orders"],
    )
    lost = pd.DataFrame({"customer_id": ["l", "n"],
                         "lost_on": pd.to_datetime(["2026-10-25", "2026-11-20"])})
    return cust, t.set_index("customer_id"), periods, lost


def test_lifecycle_hand_checked():
    cust, t, periods, lost = lifecycle_inputs()
    out = cu.lifecycle(cust, t, as_of=AS_OF, periods=periods, lost_customers=lost)
    assert out["stage"].to_dict() == {
        "p": "potential", "n": "new", "l": "lost", "r": "at_risk", "x": "lost", "y": "loyal",
        "a": "active", "s": "at_risk", "f": "active", "u": "new",
    }
    assert pd.isna(out.loc["p", "stability"])
    assert out.drop(index="p")["stability"].tolist() == [
        "stable", "churned", "at_risk", "churned", "stable", "stable", "at_risk", "stable",
        "stable"]
    assert out.loc["r", "usual_interval_days"] == pytest.approx(731 / 8)
    assert out.loc["s", "usual_interval_days"] == 90.0
    assert out.loc["f", "usual_interval_days"] == 30.0
    assert out.loc["y", "purchase_months"] == 20
    assert out.loc["n", "days_since_last"] == 30
    assert out.attrs == {"not_yet_acquired": 1, "unknown_customers": 1}


def test_lifecycle_rules_are_parameters():
    cust, t, periods, lost = lifecycle_inputs()
    # with loyalty after 8 months of purchases, a becomes loyal only if tenure >= 1 year
    out = cu.lifecycle(cust, t, as_of=AS_OF, periods=periods,
                       rules={"loyal_periods": 8, "loyal_years": 1})
    assert out.loc["a", "stage"] == "loyal"
    # without the lost_customers table, l (a recent buyer, 10 months over 1.8 years) is loyal too
    assert out.loc["l", "stage"] == "loyal"
    with pytest.raises(DataError, match="`rules` has unknown rule 'loyal_months'"):
        cu.lifecycle(cust, t, as_of=AS_OF, rules={"loyal_months": 3})
    with pytest.raises(DataError, match=r"Column 'last_purchase' not found in `totals`"):
        cu.lifecycle(cust, t.drop(columns="last_purchase"), as_of=AS_OF)


def test_lifecycle_from_summary_totals():
    tx = tx_frame([("a", "2026-10-01", 10.0, 5.0), ("b", "2026-11-02", 10.0, 5.0)])
    cust = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    out = cu.lifecycle(cust, summary.totals(tx, as_of=AS_OF), as_of=AS_OF,
                       periods=summary.period_totals(tx, as_of=AS_OF))
    assert out["stage"].tolist() == ["new", "potential", "potential"]
    # every customer in exactly one stage
    assert out["stage"].isin(cu.LIFECYCLE_STAGES).all() and out.index.is_unique


# ------------------------------------------------------------------------------------------
# trading performance
# ------------------------------------------------------------------------------------------


def monthly(rows):
    return pd.DataFrame(
        [(c, pd.Timestamp(p), s, s / 2) for c, p, s in rows],
        columns=["customer_id", "period", "sales", "gross_profit"],
    )


def test_trading_performance_monthly_and_lost_sales():
    pt = monthly([("a", "2025-10-01", 50.0), ("b", "2025-10-01", 50.0),
                  ("a", "2026-10-01", 60.0)])
    out = cu.trading_performance(pt, as_of=AS_OF, start="2026-10-01")
    # b bought a year ago and not now: a row with sales 0 and growth -100%
    assert out[["customer_id", "sales", "sales_last_year", "share", "growth"]].values.tolist() == [
        ["a", 60.0, 50.0, 1.0, 0.2], ["b", 0.0, 50.0, 0.0, -1.0]]
    # expected share without targets = last year's share (a .5, b .5); b fell below
    assert out["expected_share"].tolist() == [0.5, 0.5]
    assert out["below_expected"].tolist() == [False, True]


def test_trading_performance_yearly_is_year_to_date():
    pt = monthly([("a", "2025-03-01", 100.0), ("a", "2025-12-01", 50.0),
                  ("a", "2026-03-01", 150.0)])
    out = cu.trading_performance(pt, freq="Y", as_of=AS_OF)
    assert out["period"].dt.year.tolist() == [2025, 2026]
    assert out["sales"].tolist() == [150.0, 150.0]
    # 2026 (Jan-Oct) against Jan-Oct 2025: 100, not the whole 150
    assert out["sales_last_year"].tolist() == [0.0, 100.0]
    assert math.isnan(out["growth"].iloc[0]) and out["growth"].iloc[1] == 0.5
    assert out["gross_profit"].tolist() == [75.0, 75.0]


def test_trading_performance_against_targets_and_region_share():
    pt = monthly([("a", "2026-03-01", 150.0), ("b", "2026-03-01", 150.0),
                  ("c", "2026-04-01", 100.0)])
    targets = pd.DataFrame({"customer_id": ["a", "b", None],
                            "region": [None, None, "East"],
                            "period": ["2026", "2026", "2026"],
                            "expected_sales": [300.0, 100.0, 1000.0]})
    out = cu.trading_performance(pt, freq="Y", targets=targets, as_of=AS_OF)
    # target shares of 2026: a .75, b .25; sales shares: a .375, b .375, c .25
    assert out["expected_sales"].tolist()[:2] == [300.0, 100.0]
    assert out["attainment"].tolist()[:2] == [0.5, 1.5]
    assert out["expected_share"].tolist()[:2] == [0.75, 0.25]
    assert out["below_expected"].tolist() == [True, False, False]
    cust = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["East", "West", "East"]})
    reg = cu.trading_performance(pt, customers=cust, freq="Y", share_of="region", as_of=AS_OF)
    assert reg["share"].tolist() == [0.6, 1.0, 0.4]
    monthly_t = pd.DataFrame({"customer_id": ["a"], "region": [None], "period": ["2026-03"],
                              "expected_sales": [200.0]})
    m = cu.trading_performance(pt, targets=monthly_t, as_of=AS_OF)
    assert m.loc[m["customer_id"] == "a", "attainment"].tolist() == [0.75]


def test_trading_performance_errors():
    pt = monthly([("a", "2026-03-01", 1.0)])
    with pytest.raises(DataError, match=r"`freq` must be one of \['M', 'Y'\], got 'Q'"):
        cu.trading_performance(pt, freq="Q")
    with pytest.raises(DataError, match="`customers` is required for share_of='region'"):
        cu.trading_performance(pt, share_of="region")
    bad = pd.DataFrame({"customer_id": ["a"], "period": ["March"], "expected_sales": [1.0]})
    with pytest.raises(DataError, match=r"Column 'period' in `targets` must be a year 'YYYY'"):
        cu.trading_performance(pt, targets=bad)
    with pytest.raises(DataError, match=r"Column 'gross_profit' not found in `period_frame`"):
        cu.trading_performance(pt.drop(columns="gross_profit"))


def test_target_attainment_by_region():
    pt = monthly([("a", "2026-03-01", 300.0), ("b", "2026-04-01", 100.0),
                  ("c", "2026-03-01", 5.0), ("a", "2025-03-01", 1.0)])
    cust = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["East", "East", "West"]})
    targets = pd.DataFrame({"customer_id": [None, None, "a"], "region": ["East", "West", None],
                            "period": ["2026", "2026-03", "2026"],
                            "expected_sales": [500.0, 10.0, 1.0]})
    out = cu.target_attainment(pt, targets, customers=cust)
    assert out.values.tolist() == [["East", "2026", 400.0, 500.0, 0.8, True],
                                   ["West", "2026-03", 5.0, 10.0, 0.5, True]]


# ------------------------------------------------------------------------------------------
# cost to serve
# ------------------------------------------------------------------------------------------


def cts_inputs():
    totals = pd.DataFrame({"gross_profit": [1000.0, 100.0, 50.0], "return_lines": [0, 2, 0]},
                          index=ids(["a", "b", "c"]))
    calls = pd.DataFrame({"customer_id": ["b", "b", "b", "b"],
                          "at": pd.to_datetime(["2026-05-01 10:00", "2026-06-01 00:00",
                                                "2026-10-31 23:00", "2025-01-01 00:00"])})
    complaints = pd.DataFrame({"customer_id": ["c", "d"],
                               "opened_at": pd.to_datetime(["2026-02-01", "2026-03-01"])})
    inter = pd.DataFrame({"customer_id": ["b", "b"], "date": pd.to_datetime(["2026-02-01"] * 2),
                          "type": ["visit", "call"]})
    return totals, calls, complaints, inter


def test_cost_to_serve_hand_checked():
    totals, calls, complaints, inter = cts_inputs()
    out = cu.cost_to_serve(totals, service_calls=calls, complaints=complaints,
                           interactions=inter, start="2025-11-01", as_of=AS_OF)
    # b: 2 returns x 15 + 3 calls x 5 + 1 visit x 120 = 165; c: 80; d: 80 (no sales at all)
    assert out["cost_to_serve"].to_dict() == {"a": 0.0, "c": 80.0, "b": 165.0, "d": 80.0}
    assert out["net_profit"].tolist() == [1000.0, -30.0, -65.0, -80.0]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["service_calls"].to_dict() == {"a": 0, "c": 0, "b": 3, "d": 0}
    # 4 customers: gold = the first (0/4 < 5%), bottom = the last (0/4 < 20%, 1/4 is not)
    assert out["profit_group"].tolist() == ["gold", "middle", "middle", "bottom"]
    assert out["loses_money"].tolist() == [False, False, False, True]
    wider = cu.cost_to_serve(totals, service_calls=calls, complaints=complaints,
                             interactions=inter, start="2025-11-01", as_of=AS_OF,
                             rules={"bottom_share": 0.5})
    assert wider["profit_group"].tolist() == ["gold", "middle", "bottom", "bottom"]
    free_visits = cu.cost_to_serve(totals, service_calls=calls, interactions=inter,
                                   start="2025-11-01", as_of=AS_OF, unit_costs={"visit": 0})
    assert free_visits.loc["b", "net_profit"] == 100.0 - 45.0


def test_cost_to_serve_errors():
    totals, calls, *_ = cts_inputs()
    with pytest.raises(DataError, match="`unit_costs` has unknown item 'email'"):
        cu.cost_to_serve(totals, unit_costs={"email": 1})
    with pytest.raises(DataError, match="`unit_costs` must be zero or positive, got visit=-1"):
        cu.cost_to_serve(totals, unit_costs={"visit": -1})
    with pytest.raises(DataError, match="summing to at most 1"):
        cu.cost_to_serve(totals, rules={"gold_share": 0.6, "bottom_share": 0.6})
    with pytest.raises(DataError, match=r"Column 'at' not found in `service_calls`"):
        cu.cost_to_serve(totals, service_calls=calls.rename(columns={"at": "when"}))


@settings(max_examples=30, deadline=None)
@given(gp=st.lists(st.floats(-100, 1000), min_size=1, max_size=80), seed=st.integers(0, 100))
def test_cost_to_serve_properties(gp, seed):
    totals = pd.DataFrame({"gross_profit": gp, "return_lines": [i % 3 for i in range(len(gp))]},
                          index=ids([f"c{i:02d}" for i in range(len(gp))]))
    before = totals.copy()
    out = cu.cost_to_serve(totals)
    pd.testing.assert_frame_equal(totals, before)
    n = len(gp)
    assert out["profit_group"].isin(cu.PROFIT_GROUPS).all() and len(out) == n
    assert (out["profit_group"] == "gold").sum() == math.ceil(0.05 * n - 1e-9)
    assert out["net_profit"].is_monotonic_decreasing
    assert not (out["loses_money"] & (out["net_profit"] >= 0)).any()
    perm = np.random.default_rng(seed).permutation(n)
    pd.testing.assert_frame_equal(cu.cost_to_serve(totals.iloc[perm]), out)


# ------------------------------------------------------------------------------------------
# cross-selling
# ------------------------------------------------------------------------------------------


def test_cross_sell_hand_checked():
    rows = []
    peers = {"m1": "xyzw", "m2": "xyzw", "m3": "xyz", "m4": "xyw", "m5": "yz"}
    for c, cats in peers.items():
        rows += [(c, f"p_{k}", 10.0) for k in cats]
    rows += [("lone", "p_x", 10.0), ("lone", "p_w", 5.0), ("lone", "p_w", -5.0)]  # w returned
    rows += [("other", "p_x", 10.0), ("other", "p_q", 3.0)]
    pt = pd.DataFrame(rows, columns=["customer_id", "product_id", "sales"])
    pt = pt.groupby(["customer_id", "product_id"])[["sales"]].sum()  # as summary.totals gives it
    products = pd.DataFrame({"product_id": ["p_x", "p_y", "p_z", "p_w", "p_q"],
                             "category": ["x", "y", "z", "w", None]})
    cust = pd.DataFrame({"customer_id": [*peers, "lone", "other"],
                         "industry": ["retail"] * 6 + ["mining"],
                         "kind": ["company"] * 7})
    out = cu.cross_sell_candidates(pt, products=products, customers=cust)
    assert out.loc["lone", "categories"] == 1
    assert out.loc["lone", "peers"] == 6
    # categories per retail company: 4, 4, 3, 3, 2, 1 -> median 3
    assert out.loc["lone", "peer_median_categories"] == 3.0
    assert out["candidate"].to_dict() == {"lone": True, "m1": False, "m2": False, "m3": False,
                                          "m4": False, "m5": True, "other": False}
    # y bought by 5 peers, z by 4, w by 3: lone gets "y, z"; m5 (y, z) gets "x, w"
    assert out.loc["lone", "suggested"] == "y, z"
    assert out.loc["m5", "suggested"] == "x, w"
    assert out.loc["m1", "suggested"] == ""
    # the product without a category counts as "unknown"; "other" is alone in mining
    assert out.loc["other", "categories"] == 2


def test_cross_sell_errors():
    pt = pd.DataFrame({"customer_id": ["a"], "product_id": ["p"], "sales": [1.0]})
    with pytest.raises(DataError, match=r"Column 'category' not found in `products`"):
        cu.cross_sell_candidates(pt, products=pd.DataFrame({"product_id": ["p"]}),
                                 customers=pd.DataFrame({"customer_id": ["a"], "industry": ["x"],
                                                         "kind": ["company"]}))
    with pytest.raises(DataError, match=r"Column 'segment' not found in `customers`"):
        cu.cross_sell_candidates(
            pt, products=pd.DataFrame({"product_id": ["p"], "category": ["c"]}),
            customers=pd.DataFrame({"customer_id": ["a"]}), peer_cols=("segment",))


# ------------------------------------------------------------------------------------------
# value matrix
# ------------------------------------------------------------------------------------------


def test_value_matrix_hand_checked():
    ind = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                        "gross_profit": [100.0, 50.0, 10.0, 0.0],
                        "sales_growth": [-0.5, 0.9, 0.8, -0.1]})
    out = cu.value_matrix(ind)
    assert out["current_score"].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert out["potential_score"].tolist() == pytest.approx([0, 1, 2 / 3, 1 / 3])
    assert out["quadrant"].tolist() == ["maintain", "most_valuable", "grow", "low_value"]
    wallet = cu.value_matrix(ind.assign(wallet=[0.9, 0.9, 0.1, np.nan]), wallet_col="wallet")
    assert wallet["potential_score"].tolist() == pytest.approx([0.05, 0.55, (2 / 3 + 0.9) / 2,
                                                                1 / 3])
    assert wallet["quadrant"].tolist() == ["maintain", "most_valuable", "grow", "low_value"]


def test_value_matrix_errors():
    ind = pd.DataFrame({"customer_id": ["a"], "gross_profit": [1.0], "sales_growth": [0.1]})
    with pytest.raises(DataError, match=r"`split` must be within \(0, 1\), got 1.5"):
        cu.value_matrix(ind, split=1.5)
    with pytest.raises(DataError, match="`quadrants` must name the four"):
        cu.value_matrix(ind, quadrants={(True, True): "x"})
    with pytest.raises(DataError, match=r"Column 'wallet' not found in `indicators`"):
        cu.value_matrix(ind, wallet_col="wallet")


# ------------------------------------------------------------------------------------------
# the sample company
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    import crm_lib as crm

    return crm.load_dataset(SAMPLE)


def test_sample_customer_analysis(sample):
    as_of = sample.month_end("")
    tx, c = sample.transactions, sample.customers
    tot = summary.totals(tx, as_of=as_of)
    lc = cu.lifecycle(c, tot, as_of=as_of, periods=summary.period_totals(tx, as_of=as_of),
                      lost_customers=sample.lost_customers)
    # every customer in exactly one stage; potential = no purchase at all
    assert len(lc) == len(c) and lc["stage"].isin(cu.LIFECYCLE_STAGES).all()
    bought = tx.loc[tx["amount"] > 0, "customer_id"].unique()
    assert set(lc.index[lc["stage"] == "potential"]) == set(c["customer_id"]) - set(bought)
    comp = cu.composition(c, tot, by="region")
    # plain pandas: sales per region
    by_region = tx.merge(c[["customer_id", "region"]], on="customer_id").groupby("region")[
        "amount"].sum()
    assert comp.set_index("region")["sales"].to_dict() == pytest.approx(by_region.to_dict())
    cts = cu.cost_to_serve(tot, service_calls=sample.service_calls, complaints=sample.complaints,
                           interactions=sample.interactions, as_of=as_of)
    assert (cts["profit_group"] == "gold").sum() == math.ceil(0.05 * len(cts))


# ------------------------------------------------------------------------------------------
# inputs unchanged, charts
# ------------------------------------------------------------------------------------------


def test_functions_leave_inputs_unchanged():
    cust, t, periods, lost = lifecycle_inputs()
    copies = [x.copy() for x in (cust, t, periods, lost)]
    cu.lifecycle(cust, t, as_of=AS_OF, periods=periods, lost_customers=lost)
    for a, b in zip((cust, t, periods, lost), copies, strict=True):
        pd.testing.assert_frame_equal(a, b)
    pt = monthly([("a", "2025-03-01", 100.0), ("a", "2026-03-01", 150.0)])
    p0 = pt.copy()
    cu.trading_performance(pt, freq="Y", as_of=AS_OF)
    pd.testing.assert_frame_equal(pt, p0)
    totals, calls, complaints, inter = cts_inputs()
    copies = [x.copy() for x in (totals, calls, complaints, inter)]
    cu.cost_to_serve(totals, service_calls=calls, complaints=complaints, interactions=inter)
    for a, b in zip((totals, calls, complaints, inter), copies, strict=True):
        pd.testing.assert_frame_equal(a, b)
    ind = pd.DataFrame({"customer_id": ["a", "b"], "gross_profit": [1.0, 2.0],
                        "sales_growth": [0.1, np.nan]})
    i0 = ind.copy()
    cu.value_matrix(ind)
    pd.testing.assert_frame_equal(ind, i0)


def test_lifecycle_row_order_independent():
    cust, t, periods, lost = lifecycle_inputs()
    a = cu.lifecycle(cust, t, as_of=AS_OF, periods=periods, lost_customers=lost)
    b = cu.lifecycle(cust.iloc[::-1], t.iloc[::-1], as_of=AS_OF, periods=periods.iloc[::-1],
                     lost_customers=lost.iloc[::-1])
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index())


def test_customer_charts_take_the_results_and_translate():
    from crm_lib import plots

    c = pd.DataFrame({"customer_id": ["a", "b", "c"], "kind": ["company", "individual", "company"],
                      "region": ["East", "East", "West"]})
    v = pd.DataFrame({"sales": [60.0, 40.0, 0.0]}, index=ids(["a", "b", "c"]))
    comp = cu.composition(c, v, by="kind")
    fig = plots.composition_bars(comp, by="kind", lang="zh")
    assert list(fig.data[0].x) == ["企业客户", "个人客户"]
    assert list(fig.data[1].y) == [0.6, 0.4]
    sun = plots.composition_sunburst(cu.composition(c, v, by=("region", "kind")),
                                     path=("region", "kind"))
    assert sun.data[0].type == "sunburst"
    totals, calls, complaints, inter = cts_inputs()
    whale = plots.whale_curve(cu.cost_to_serve(totals, complaints=complaints))
    # net profits 1000, 100 - 30, -80 (c), -80 (d): the curve ends at 100%
    assert whale.data[0].y[-1] == pytest.approx(1.0)
    assert max(whale.data[0].y) > 1.0
    vm = cu.value_matrix(pd.DataFrame({"customer_id": ["a", "b"], "gross_profit": [1.0, 2.0],
                                       "sales_growth": [0.3, 0.1]}))
    chart = plots.value_matrix_chart(vm, lang="zh")
    assert {a.text for a in chart.layout.annotations} == {"最有价值客户", "维持型客户", "成长型客户",
                                                          "低价值客户"}
    pt = monthly([("a", "2026-01-01", 1.0), ("b", "2026-01-01", 2.0)])
    lines = plots.trading_lines(cu.trading_performance(pt), customer_ids=["a"])
    assert len(lines.data) == 1


def test_value_matrix_keeps_no_sales_and_unknown_growth_apart():
    # a: sales in both windows; b: no sales in either (was "grow" when growth 0 ranked high);
    # c: new in the window (growth unknown, was counted as 0.5); d, e: ranked with a
    ind = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                        "gross_profit": [100.0, 0.0, 80.0, 10.0, 50.0],
                        "sales_growth": [0.2, 0.0, np.nan, 0.9, -0.3],
                        "sales": [300.0, 0.0, 200.0, 40.0, 150.0],
                        "sales_prev": [250.0, 0.0, 0.0, 20.0, 210.0]})
    out = cu.value_matrix(ind)
    # scores at or above 0.5 are high: a (1, 0.5) most valuable, d (0, 1) grow, e (0.5, 0) maintain
    assert out["quadrant"].tolist() == ["most_valuable", "no_sales_both_windows", "unknown_growth", "grow", "maintain"]
    # ranks among a, d, e only: profit 100 > 50 > 10 -> 1, 0.5, 0; growth 0.9 > 0.2 > -0.3
    assert out["current_score"].tolist() == pytest.approx([1.0, np.nan, np.nan, 0.0, 0.5], nan_ok=True)
    assert out["potential_score"].tolist() == pytest.approx([0.5, np.nan, np.nan, 1.0, 0.0], nan_ok=True)
    # a known share of wallet gives the new customer a potential after all
    wallet = cu.value_matrix(ind.assign(wallet=[np.nan, np.nan, 0.2, np.nan, np.nan]), wallet_col="wallet")
    assert wallet.loc["c", "potential_score"] == pytest.approx(0.8)
    assert set(cu.VALUE_CLASSES) == {"no_sales_both_windows", "unknown_growth"}


def test_margin_basis_without_costs_says_the_values_are_sales():
    tx = pd.DataFrame({"amount": [30.0, 10.0, -5.0], "cost": [np.nan, np.nan, np.nan]})
    assert cu.cost_coverage(tx) == 0.0
    basis = cu.margin_basis(tx, gross_margin=1.0).iloc[0]
    assert (basis["margin"], basis["basis"]) == (1.0, "sales_no_costs")
    given = cu.margin_basis(tx, margin=0.25, gross_margin=1.0).iloc[0]
    assert (given["margin"], given["basis"]) == (0.25, "margin_from_parameter")
    # costs on 30 of 40 positive sales: coverage 0.75, the data's margin is used
    some = tx.assign(cost=[12.0, np.nan, np.nan])
    assert cu.cost_coverage(some) == pytest.approx(0.75)
    data = cu.margin_basis(some, gross_margin=0.6).iloc[0]
    assert (data["margin"], data["basis"]) == (0.6, "data_gross_margin")
    assert cu.cost_coverage(tx.drop(columns="cost")) == 0.0
    with pytest.raises(DataError, match=r"`margin` must be within \[0, 1\] \(0 = from the data\), got 1.5"):
        cu.margin_basis(tx, margin=1.5)


def test_lifecycle_takes_lost_and_at_risk_from_churn():
    # one rule: the lifecycle's lost and at-risk customers are exactly churn's
    from crm_lib import churn, summary

    tx = pd.DataFrame({"order_id": ["1", "2", "3", "4", "5", "6"],
                       "customer_id": ["a", "a", "a", "b", "b", "c"],
                       "date": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-01-21",
                                               "2026-03-01", "2026-03-31", "2026-03-20"]),
                       "quantity": [1.0] * 6, "amount": [10.0] * 6, "cost": [5.0] * 6})
    lost = pd.DataFrame({"customer_id": ["c"], "lost_on": pd.to_datetime(["2026-03-25"]),
                         "reason": ["moved"]})
    as_of = pd.Timestamp("2026-04-10")
    status = churn.customer_status(tx, as_of=as_of, lost_customers=lost, k=3.0)
    # a: interval 10 days, 79 days inactive > 30 -> at risk; b: interval 30, 10 days -> active
    assert status.set_index("customer_id")["status"].to_dict() == {"a": "at_risk", "b": "active", "c": "lost"}
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"]})
    life = cu.lifecycle(customers, summary.totals(tx, as_of=as_of), as_of=as_of, status=status)
    assert life["stage"].to_dict() == {"a": "at_risk", "b": "new", "c": "lost", "d": "potential"}
    # without status the course's own factors apply: a (79 days > 2 x its 30-day minimum interval) at risk
    own = cu.lifecycle(customers, summary.totals(tx, as_of=as_of), as_of=as_of, lost_customers=lost)
    assert own.loc["a", "stage"] == "at_risk" and own.loc["c", "stage"] == "lost"
