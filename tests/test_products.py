"""Product margins, turnover, cross ratio, GMROI and the top customers' mix."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import products as pr
from crm_lib._errors import DataError, DataWarning


def three_products():
    """P1, P2 in category 'a', P3 in 'b'. Hand-computed figures in the tests below."""
    totals = pd.DataFrame(
        {"sales": [100.0, 50.0, 200.0], "cost": [60.0, 20.0, 150.0],
         "quantity": [10.0, 5.0, 20.0], "returned_amount": [0.0, 10.0, 0.0]},
        index=pd.Index(["P1", "P2", "P3"], name="product_id"),
    )
    totals["gross_profit"] = totals["sales"] - totals["cost"]
    products = pd.DataFrame({
        "product_id": ["P1", "P2", "P3"], "name": ["Tea", "Cups", "Pots"],
        "category": ["a", "a", "b"], "unit_price": [10.0, 10.0, 10.0],
        "unit_cost": [6.0, 4.0, 7.5], "avg_inventory_cost": [20.0, 40.0, 25.0],
    })
    return totals, products


# ------------------------------------------------------------------------------ product_profit
def test_product_profit_hand_computed():
    totals, products = three_products()
    out = pr.product_profit(totals, products).set_index("product_id")
    # gross profit: 100-60=40, 50-20=30, 200-150=50
    assert out["gross_profit"].to_dict() == {"P1": 40.0, "P2": 30.0, "P3": 50.0}
    # margin: 40/100, 30/50, 50/200
    assert out["gross_margin"].to_dict() == pytest.approx({"P1": 0.4, "P2": 0.6, "P3": 0.25})
    # turnover = cost / inventory: 60/20, 20/40, 150/25
    assert out["turnover"].to_dict() == pytest.approx({"P1": 3.0, "P2": 0.5, "P3": 6.0})
    # cross ratio = margin x turnover: 0.4*3, 0.6*0.5, 0.25*6
    assert out["cross_ratio"].to_dict() == pytest.approx({"P1": 1.2, "P2": 0.3, "P3": 1.5})
    # GMROI = gross profit / inventory: 40/20, 30/40, 50/25
    assert out["gmroi"].to_dict() == pytest.approx({"P1": 2.0, "P2": 0.75, "P3": 2.0})
    # share of the 120 of gross profit
    assert out["share_of_gross_profit"].to_dict() == pytest.approx(
        {"P1": 40 / 120, "P2": 30 / 120, "P3": 50 / 120})
    # quadrants split at the medians: margin 0.4, turnover 3.0 (equal counts as high)
    assert out["quadrant"].to_dict() == {"P1": "star", "P2": "margin_builder",
                                         "P3": "traffic_builder"}
    assert out.loc["P2", "name"] == "Cups"
    assert out.attrs["unknown_products"] == 0 and out.attrs["no_inventory_cost"] == 0


def test_product_profit_ranked_by_gross_profit_and_other_column():
    totals, products = three_products()
    out = pr.product_profit(totals, products)
    assert out["product_id"].tolist() == ["P3", "P1", "P2"]
    assert out["rank"].tolist() == [1, 2, 3]
    by_margin = pr.product_profit(totals, products, rank_by="gross_margin")
    assert by_margin["product_id"].tolist() == ["P2", "P1", "P3"]
    with pytest.raises(DataError, match="`rank_by` must be one of .* got 'margin'"):
        pr.product_profit(totals, products, rank_by="margin")


def test_ties_share_the_smaller_rank():
    totals, products = three_products()
    totals.loc["P3", ["sales", "cost", "gross_profit"]] = [90.0, 50.0, 40.0]
    out = pr.product_profit(totals, products)
    assert out["product_id"].tolist() == ["P1", "P3", "P2"]  # tie broken by product id
    assert out["rank"].tolist() == [1, 1, 3]


def test_totals_keys_may_be_a_column():
    totals, products = three_products()
    a = pr.product_profit(totals, products)
    b = pr.product_profit(totals.reset_index(), products)
    pd.testing.assert_frame_equal(a, b)


def test_product_without_sales_is_kept_with_zeros():
    totals, products = three_products()
    products = pd.concat([products, pd.DataFrame({
        "product_id": ["P4"], "name": ["Trays"], "category": ["b"], "unit_price": [1.0],
        "unit_cost": [1.0], "avg_inventory_cost": [10.0]})], ignore_index=True)
    out = pr.product_profit(totals, products).set_index("product_id")
    assert len(out) == 4
    row = out.loc["P4"]
    assert (row["sales"], row["cost"], row["gross_profit"], row["quantity"]) == (0, 0, 0, 0)
    assert (row["gross_margin"], row["turnover"], row["cross_ratio"], row["gmroi"]) == (0, 0, 0, 0)
    assert row["rank"] == 4


def test_zero_or_missing_inventory_cost_gives_nan_and_a_count():
    totals, products = three_products()
    products.loc[2, "avg_inventory_cost"] = 0.0
    products.loc[1, "avg_inventory_cost"] = np.nan
    with pytest.warns(DataWarning, match=r"2 product\(s\) have no average inventory cost.*'P2', 'P3'"):
        out = pr.product_profit(totals, products)
    out = out.set_index("product_id")
    assert out.loc[["P2", "P3"], ["turnover", "cross_ratio", "gmroi"]].isna().all().all()
    assert out.loc[["P2", "P3"], "quadrant"].isna().all()
    assert out.loc["P3", "gross_margin"] == pytest.approx(0.25)  # still known
    assert not np.isinf(out.select_dtypes("number")).any().any()
    assert out.attrs["no_inventory_cost"] == 2


def test_returns_are_netted_and_negative_net_sales_have_no_margin():
    totals, products = three_products()
    # P2 only had returns in the window: net sales -30, net cost -12
    totals.loc["P2", ["sales", "cost", "gross_profit", "returned_amount"]] = [-30.0, -12.0, -18.0,
                                                                              30.0]
    out = pr.product_profit(totals, products).set_index("product_id")
    assert out.loc["P2", "sales"] == -30.0
    assert out.loc["P2", "returned_amount"] == 30.0
    assert np.isnan(out.loc["P2", "gross_margin"])
    assert np.isnan(out.loc["P2", "cross_ratio"])
    assert out.loc["P2", "gmroi"] == pytest.approx(-18 / 40)
    checks = pr.product_checks(totals, products).set_index("check")
    assert checks.loc["negative_net_sales", "rows"] == 1
    assert checks.loc["negative_net_sales", "examples"] == "'P2'"


def test_unknown_products_are_counted_and_reported():
    totals, products = three_products()
    extra = pd.DataFrame({"sales": [30.0, 5.0], "cost": [10.0, 1.0], "quantity": [1.0, 1.0],
                          "returned_amount": [0.0, 0.0], "gross_profit": [20.0, 4.0]},
                         index=pd.Index(["X9", "X8"], name="product_id"))
    totals = pd.concat([totals, extra])
    with pytest.warns(DataWarning, match=r"2 product id\(s\) in `transactions` are not in "
                                         r"`products` \(net sales 35.00; 'X9', 'X8'\)"):
        out = pr.product_profit(totals, products)
    assert set(out["product_id"]) == {"P1", "P2", "P3"}
    assert out.attrs["unknown_products"] == 2
    assert out.attrs["unknown_sales"] == 35.0
    checks = pr.product_checks(totals, products).set_index("check")
    assert checks.loc["unknown_product", "rows"] == 2
    assert checks.loc["unknown_product", "sales"] == 35.0


def test_product_checks_counts():
    totals, products = three_products()
    products.loc[0, "avg_inventory_cost"] = 0.0
    products = pd.concat([products, pd.DataFrame({
        "product_id": ["P4"], "name": ["x"], "category": ["b"], "unit_price": [1.0],
        "unit_cost": [1.0], "avg_inventory_cost": [3.0]})], ignore_index=True)
    checks = pr.product_checks(totals, products).set_index("check")
    assert checks["rows"].to_dict() == {"unknown_product": 0, "no_inventory_cost": 1,
                                        "no_sales": 1, "negative_net_sales": 0}
    assert checks.loc["no_inventory_cost", "sales"] == 100.0
    assert checks.loc["no_sales", "examples"] == "'P4'"


def test_bad_products_tables():
    totals, products = three_products()
    with pytest.raises(DataError, match=r"Column 'avg_inventory_cost' not found in `products`"):
        pr.product_profit(totals, products.drop(columns="avg_inventory_cost"))
    dup = pd.concat([products, products.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"Column 'product_id' in `products` must be unique; "
                                        r"2 rows are not \(rows 0, 3: 'P1', 'P1'\)"):
        pr.product_profit(totals, dup)
    neg = products.assign(avg_inventory_cost=[20.0, -1.0, 25.0])
    with pytest.raises(DataError, match=r"'avg_inventory_cost' in `products` must be zero or "
                                        r"positive; 1 row is not \(row 1: -1\)"):
        pr.product_profit(totals, neg)
    text = products.assign(avg_inventory_cost=["20", "abc", "25"])
    with pytest.raises(DataError, match=r"must be numeric; 1 row is not \(row 1: 'abc'\)"):
        pr.product_profit(totals, text)
    with pytest.raises(DataError, match=r"Column 'cost' not found in `totals`.*summary.totals"):
        pr.product_profit(totals.drop(columns="cost"), products)


def test_product_profit_does_not_mutate_inputs():
    totals, products = three_products()
    t0, p0 = totals.copy(), products.copy()
    pr.product_profit(totals, products)
    pr.product_checks(totals, products)
    pd.testing.assert_frame_equal(totals, t0)
    pd.testing.assert_frame_equal(products, p0)


money = st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=8))
def test_properties_order_independence_and_recomputation(data, n):
    ids = [f"P{i}" for i in range(n)]
    sales = data.draw(st.lists(money, min_size=n, max_size=n))
    cost = data.draw(st.lists(money, min_size=n, max_size=n))
    inv = data.draw(st.lists(st.sampled_from([0.0, 1.0, 50.0, 1234.5]), min_size=n, max_size=n))
    totals = pd.DataFrame({"product_id": ids, "sales": sales, "cost": cost})
    products = pd.DataFrame({"product_id": ids, "category": [f"c{i % 3}" for i in range(n)],
                             "avg_inventory_cost": inv})
    perm = data.draw(st.permutations(range(n)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        a = pr.product_profit(totals, products)
        b = pr.product_profit(totals.iloc[perm], products.iloc[list(reversed(perm))])
        cat = pr.category_profit(a)
    pd.testing.assert_frame_equal(a.sort_values("product_id").reset_index(drop=True),
                                  b.sort_values("product_id").reset_index(drop=True))
    # independent recomputation of the definitions
    s, c, i = (np.array(x, dtype=float) for x in (sales, cost, inv))
    a = a.set_index("product_id").loc[ids]
    with np.errstate(divide="ignore", invalid="ignore"):
        turnover = np.where(i > 0, c / np.where(i > 0, i, 1), np.nan)
        margin = np.where(s > 0, (s - c) / np.where(s > 0, s, 1),
                          np.where((s == 0) & (c == 0), 0.0, np.nan))
    np.testing.assert_allclose(a["turnover"], turnover)
    np.testing.assert_allclose(a["gross_margin"], margin)
    np.testing.assert_allclose(a["cross_ratio"], margin * turnover, rtol=1e-9, atol=1e-9)
    assert cat["products"].sum() == n
    assert cat["gross_profit"].sum() == pytest.approx((s - c).sum())
    if s.sum() > 0:
        assert cat["share_of_sales"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------------- cross_ratio
def test_cross_ratio_function_with_explicit_splits():
    t = pd.DataFrame({"gross_margin": [0.4, 0.6, 0.25, np.nan],
                      "turnover": [3.0, 0.5, 6.0, 2.0]})
    out = pr.cross_ratio(t, margin_split=0.5, turnover_split=1.0)
    assert out["cross_ratio"].iloc[:3].tolist() == pytest.approx([1.2, 0.3, 1.5])
    assert np.isnan(out["cross_ratio"].iloc[3])
    assert out["quadrant"].iloc[:3].tolist() == ["traffic_builder", "margin_builder",
                                                 "traffic_builder"]
    assert pd.isna(out["quadrant"].iloc[3])
    assert out.attrs["margin_split"] == 0.5
    assert "cross_ratio" not in t.columns  # a new frame
    low = pr.cross_ratio(t, margin_split=0.9, turnover_split=9)
    assert set(low["quadrant"].dropna()) == {"laggard"}


def test_cross_ratio_bad_input():
    with pytest.raises(DataError, match="Column 'turnover' not found in `table`"):
        pr.cross_ratio(pd.DataFrame({"gross_margin": [0.1]}))
    with pytest.raises(DataError, match=r"'gross_margin' in `table` must be numeric; 1 row is not "
                                        r"\(row 1: 'x'\)"):
        pr.cross_ratio(pd.DataFrame({"gross_margin": [0.1, "x"], "turnover": [1.0, 2.0]}))


# ----------------------------------------------------------------------------- category_profit
def test_category_profit_hand_computed():
    totals, products = three_products()
    cat = pr.category_profit(pr.product_profit(totals, products)).set_index("category")
    # a: sales 150, cost 80, gp 70, inventory 60; b: 200, 150, 50, 25
    assert cat["products"].to_dict() == {"a": 2, "b": 1}
    assert cat.loc["a", "gross_margin"] == pytest.approx(70 / 150)
    assert cat.loc["a", "turnover"] == pytest.approx(80 / 60)
    assert cat.loc["a", "cross_ratio"] == pytest.approx(70 / 150 * 80 / 60)
    assert cat.loc["a", "gmroi"] == pytest.approx(70 / 60)
    assert cat.loc["b", "turnover"] == pytest.approx(6.0)
    assert cat["share_of_sales"].to_dict() == pytest.approx({"a": 150 / 350, "b": 200 / 350})
    assert cat.index.tolist() == ["a", "b"]  # ranked by gross profit 70 > 50
    assert cat["rank"].tolist() == [1, 2]


def test_category_with_only_zero_inventory_has_nan_turnover():
    totals, products = three_products()
    products.loc[2, "avg_inventory_cost"] = 0.0
    with pytest.warns(DataWarning):
        table = pr.product_profit(totals, products)
    cat = pr.category_profit(table).set_index("category")
    assert np.isnan(cat.loc["b", "turnover"]) and np.isnan(cat.loc["b", "gmroi"])


# ------------------------------------------------------------------------ customer_product_mix
def mix_totals():
    return pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C2", "C2", "C3"],
        "product_id": ["P1", "P2", "P3", "P1", "X9", "P3"],
        "sales": [60.0, 20.0, 20.0, 150.0, 50.0, 10.0],
        "cost": [30.0, 15.0, 15.0, 120.0, 45.0, 5.0],
    }).set_index(["customer_id", "product_id"])


def test_customer_product_mix_by_category():
    _, products = three_products()
    mix = pr.customer_product_mix(mix_totals(), products, top=2)
    # C2 has sales 200, C1 100, C3 10: top 2 are C2 then C1
    assert mix["customer_id"].unique().tolist() == ["C2", "C1"]
    assert mix["customer_rank"].unique().tolist() == [1, 2]
    c1 = mix[mix["customer_id"] == "C1"].set_index("category")
    # C1: category a = P1 + P2: sales 80, gp 35; b = P3: sales 20, gp 5
    assert c1["sales"].to_dict() == {"a": 80.0, "b": 20.0}
    assert c1["gross_margin"].to_dict() == pytest.approx({"a": 35 / 80, "b": 5 / 20})
    assert c1["share_of_customer_sales"].to_dict() == pytest.approx({"a": 0.8, "b": 0.2})
    assert c1["customer_margin"].tolist() == pytest.approx([0.4, 0.4])
    c2 = mix[mix["customer_id"] == "C2"].set_index("category")
    assert c2.loc["unknown", "sales"] == 50.0  # X9 is not in the products table
    assert c2["share_of_customer_sales"].sum() == pytest.approx(1.0)


def test_customer_product_mix_by_product_and_chosen_customers():
    _, products = three_products()
    mix = pr.customer_product_mix(mix_totals().reset_index(), products, customers=["C3", "C1"],
                                  level="product", rank_by="gross_profit")
    assert mix["customer_id"].tolist() == ["C3", "C1", "C1", "C1"]
    assert mix["product_id"].tolist() == ["P3", "P1", "P2", "P3"]
    assert mix.loc[mix["customer_id"] == "C3", "gross_margin"].tolist() == [0.5]
    top_gp = pr.customer_product_mix(mix_totals(), products, top=1, rank_by="gross_profit")
    assert top_gp["customer_id"].unique().tolist() == ["C1"]  # gross profit 40 beats C2's 35
    with pytest.raises(DataError, match=r"Customer\(s\) \['C7'\] have no lines in `totals`"):
        pr.customer_product_mix(mix_totals(), products, customers=["C7"])
    with pytest.raises(DataError, match="`level` must be one of"):
        pr.customer_product_mix(mix_totals(), products, level="sku")
    with pytest.raises(DataError, match="`top` must be a positive whole number, got 0"):
        pr.customer_product_mix(mix_totals(), products, top=0)


# ----------------------------------------------------------------- from transactions via summary
def test_from_transactions_through_summary_totals():
    summary = pytest.importorskip("crm_lib.summary")
    _, products = three_products()
    tx = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["C1", "C1", "C2", "C2", "C1", "C2"],
        "date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-01", "2026-03-09",
                                "2025-01-01", "2026-04-01"]),
        "product_id": ["P1", "P1", "P3", "X9", "P2", "P1"],
        "quantity": [10.0, -2.0, 20.0, 1.0, 5.0, 3.0],
        "amount": [100.0, -20.0, 200.0, 30.0, 50.0, 30.0],
        "cost": [60.0, -12.0, 150.0, 10.0, 20.0, 18.0],
    })
    start = pr.window_start("2026-10-31")
    assert start == pd.Timestamp("2025-11-01")
    totals = summary.totals(tx, by=("product_id",), start=start, as_of="2026-10-31")
    with pytest.warns(DataWarning, match=r"1 product id\(s\) in `transactions` are not in"):
        out = pr.product_profit(totals, products)
    out = out.set_index("product_id")
    # P1: 100 - 20 (return) + 30 = 110 sales, 60 - 12 + 18 = 66 cost; P2 only before the window
    assert out.loc["P1", ["sales", "cost", "gross_profit"]].tolist() == [110.0, 66.0, 44.0]
    assert out.loc["P1", "returned_amount"] == 20.0
    assert out.loc["P1", "turnover"] == pytest.approx(66 / 20)
    assert out.loc["P2", ["sales", "gross_margin", "turnover", "gmroi"]].tolist() == [0, 0, 0, 0]
    assert out.attrs["unknown_sales"] == 30.0
    mix = pr.customer_product_mix(
        summary.totals(tx, by=("customer_id", "product_id"), start=start, as_of="2026-10-31"),
        products, top=5)
    assert mix.groupby("customer_id")["sales"].sum().to_dict() == {"C1": 80.0, "C2": 260.0}


def test_window_start_errors():
    with pytest.raises(DataError, match="`months` must be a positive whole number, got 0"):
        pr.window_start("2026-10-31", months=0)
    with pytest.raises(DataError, match="`as_of` must be a date such as '2026-10-31', got 'x'"):
        pr.window_start("x")
