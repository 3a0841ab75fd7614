"""Tests of the frame helpers the analysis modules share (crm_lib._frames)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_lib._errors import DataError
from crm_lib._frames import (
    as_tuple,
    attach_groups,
    date_window,
    index_by_customer,
    largest_first,
    wilson,
)

Z95 = 1.959963984540054


# --- as_tuple ------------------------------------------------------------------------------------


@pytest.mark.parametrize("by, expected", [
    (None, ()),
    ("region", ("region",)),
    (["region", "tier"], ("region", "tier")),
    (("tier",), ("tier",)),
    ([], ()),
])
def test_as_tuple(by, expected):
    assert as_tuple(by) == expected


# --- attach_groups -------------------------------------------------------------------------------


def _rows():
    return pd.DataFrame({"customer_id": ["a", "b", "a", "c"], "amount": [1.0, 2.0, 3.0, 4.0]})


def _groups():
    return pd.DataFrame({"customer_id": ["b", "a"], "region": ["south", "north"],
                         "tier": ["VIP", "small"]})


def test_attach_groups_joins_by_customer_and_leaves_unknown_empty():
    out = attach_groups(_rows(), ("region",), _groups(), customer_col="customer_id", table="t")
    assert list(out.columns) == ["customer_id", "amount", "region"]
    assert out["region"].iloc[:3].tolist() == ["north", "south", "north"]
    assert pd.isna(out["region"].iloc[3])  # c is not in groups
    assert out["amount"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_attach_groups_only_adds_missing_columns():
    rows = _rows().assign(region="east")
    out = attach_groups(rows, ("region", "tier"), _groups(), customer_col="customer_id",
                        table="t")
    assert out["region"].tolist() == ["east"] * 4  # kept, not taken from groups
    assert out["tier"].iloc[:3].tolist() == ["small", "VIP", "small"]


def test_attach_groups_returns_a_copy_and_leaves_inputs_unchanged():
    rows, groups = _rows(), _groups()
    rows_before, groups_before = rows.copy(), groups.copy()
    out = attach_groups(rows, (), None, customer_col="customer_id", table="t")
    assert out is not rows
    out["amount"] = 0.0
    out2 = attach_groups(rows, ("tier",), groups, customer_col="customer_id", table="t")
    out2["tier"] = "x"
    pd.testing.assert_frame_equal(rows, rows_before)
    pd.testing.assert_frame_equal(groups, groups_before)


def test_attach_groups_takes_groups_indexed_by_customer():
    g = _groups().set_index("customer_id")
    out = attach_groups(_rows(), ("tier",), g, customer_col="customer_id", table="t")
    assert out["tier"].iloc[:3].tolist() == ["small", "VIP", "small"]


def test_attach_groups_takes_a_series_named_or_not():
    named = pd.Series({"a": "VIP", "b": "small"}, name="tier")
    out = attach_groups(_rows(), ("tier",), named, customer_col="customer_id", table="t")
    assert out["tier"].iloc[:3].tolist() == ["VIP", "small", "VIP"]
    unnamed = pd.Series({"a": "north", "b": "south"})
    out = attach_groups(_rows(), ("region",), unnamed, customer_col="customer_id", table="t")
    assert out["region"].iloc[:3].tolist() == ["north", "south", "north"]


def test_attach_groups_without_groups_names_the_table_and_says_how_to_fix():
    with pytest.raises(DataError, match=r"Column 'region' not found in `status`.*Pass `groups=`"):
        attach_groups(_rows(), ("region",), None, customer_col="customer_id", table="status")


def test_attach_groups_column_missing_from_groups():
    with pytest.raises(DataError, match=r"Column 'sales_rep' not found in `groups`"):
        attach_groups(_rows(), ("sales_rep",), _groups(), customer_col="customer_id", table="t")


def test_attach_groups_refuses_repeated_customers_in_groups():
    g = pd.DataFrame({"customer_id": ["a", "b", "a"], "region": ["north", "south", "east"]})
    with pytest.raises(DataError, match=r"Column 'customer_id' in `groups` must be unique; "
                                        r"1 row is not \(row 2: 'a'\)"):
        attach_groups(_rows(), ("region",), g, customer_col="customer_id", table="t")


def test_attach_groups_needs_the_customer_column_in_the_table():
    rows = _rows().drop(columns="customer_id")
    with pytest.raises(DataError, match=r"Column 'customer_id' not found in `lost_customers`"):
        attach_groups(rows, ("region",), _groups(), customer_col="customer_id",
                      table="lost_customers")


def test_attach_groups_row_order_independent():
    rows = _rows()
    shuffled = rows.iloc[[3, 1, 0, 2]]
    a = attach_groups(rows, ("region",), _groups(), customer_col="customer_id", table="t")
    b = attach_groups(shuffled, ("region",), _groups(), customer_col="customer_id", table="t")
    pd.testing.assert_frame_equal(a, b.loc[a.index])


# --- index_by_customer ---------------------------------------------------------------------------


def test_index_by_customer_from_a_column():
    df = pd.DataFrame({"cid": ["x", "y"], "sales": [1.0, 2.0]})
    out = index_by_customer(df, "cid", "customers")
    assert out.index.name == "cid"
    assert out["sales"].to_dict() == {"x": 1.0, "y": 2.0}
    assert "cid" in df.columns  # input unchanged


def test_index_by_customer_from_the_index_name():
    df = pd.DataFrame({"sales": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="customer_id"))
    assert index_by_customer(df, "customer_id", "totals") is df


def test_index_by_customer_refuses_other_types():
    with pytest.raises(DataError, match=r"`indicators` must be a pandas DataFrame, got Series\."):
        index_by_customer(pd.Series([1.0]), "customer_id", "indicators")


def test_index_by_customer_missing_column():
    df = pd.DataFrame({"sales": [1.0]})
    with pytest.raises(DataError, match=r"Column 'customer_id' not found in `values`"):
        index_by_customer(df, "customer_id", "values")


def test_index_by_customer_repeated_ids_counts_every_row():
    df = pd.DataFrame({"customer_id": ["a", "b", "a", "c", "c"], "sales": [1.0] * 5})
    with pytest.raises(DataError, match=r"`customers` must have one row per customer; 4 rows "
                                        r"share a 'customer_id' \(first: 'a', 'a', 'c'\)\."):
        index_by_customer(df, "customer_id", "customers")


# --- wilson --------------------------------------------------------------------------------------


def test_wilson_hand_computed():
    # k=5 of n=10 at 95%: centre 0.5, half 1.96 * sqrt(0.025 + z²/400) / (1 + z²/10)
    p, lo, hi = wilson(5, 10, Z95)
    half = Z95 * np.sqrt(0.025 + Z95**2 / 400) / (1 + Z95**2 / 10)
    assert float(p) == 0.5
    assert float(lo) == pytest.approx(0.5 - half)
    assert float(hi) == pytest.approx(0.5 + half)
    assert float(lo) == pytest.approx(0.2366, abs=1e-4)  # the textbook value


def test_wilson_edges_have_closed_forms():
    n = np.array([10.0, 40.0])
    p0, lo0, hi0 = wilson([0, 0], n, Z95)
    np.testing.assert_allclose(lo0, 0.0, atol=1e-12)
    np.testing.assert_allclose(hi0, Z95**2 / (n + Z95**2))
    p1, lo1, hi1 = wilson(n, n, Z95)
    np.testing.assert_allclose(hi1, 1.0, atol=1e-12)
    np.testing.assert_allclose(lo1, n / (n + Z95**2))


def test_wilson_empty_group_is_nan():
    p, lo, hi = wilson(pd.Series([0, 3]), pd.Series([0, 4]), Z95)
    assert np.isnan([p[0], lo[0], hi[0]]).all()
    assert p[1] == 0.75


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1, max_size=20),
       st.floats(0.5, 3.5))
def test_wilson_interval_contains_the_share_within_0_1(pairs, z):
    k = np.array([min(a, b) for a, b in pairs], dtype=float)
    n = np.array([b for _, b in pairs], dtype=float)
    p, lo, hi = wilson(k, n, z)
    np.testing.assert_allclose(p, k / n)
    assert (lo >= 0).all() and (hi <= 1).all()
    assert (lo <= p + 1e-12).all() and (p <= hi + 1e-12).all()


# --- date_window ---------------------------------------------------------------------------------


def _dated():
    return pd.DataFrame({"lost_on": pd.to_datetime(["2026-01-31", "2026-02-01", None,
                                                    "2026-02-28", "2026-03-01"])})


def test_date_window_includes_both_bounds_and_drops_undated_rows():
    out = date_window(_dated(), "lost_on", start="2026-02-01", as_of="2026-02-28", table="t")
    assert out.index.tolist() == [1, 3]


def test_date_window_one_sided():
    assert date_window(_dated(), "lost_on", start="2026-02-28", as_of=None,
                       table="t").index.tolist() == [3, 4]
    assert date_window(_dated(), "lost_on", start=None, as_of="2026-01-31",
                       table="t").index.tolist() == [0]


def test_date_window_without_bounds_returns_the_table_as_is():
    df = _dated().drop(columns="lost_on")  # no date column needed then
    assert date_window(df, "lost_on", start=None, as_of=None, table="t") is df


def test_date_window_leaves_the_input_unchanged():
    df = _dated()
    before = df.copy()
    date_window(df, "lost_on", start="2026-02-01", as_of=None, table="t")
    pd.testing.assert_frame_equal(df, before)


def test_date_window_needs_the_date_column():
    df = pd.DataFrame({"customer_id": ["a"]})
    with pytest.raises(DataError, match=r"Column 'date' not found in `surveys`"):
        date_window(df, "date", start="2026-01-01", as_of=None, table="surveys")


# --- largest_first -------------------------------------------------------------------------------


def test_largest_first_breaks_ties_by_id_and_puts_missing_last():
    df = pd.DataFrame({"v": [2.0, np.nan, 5.0, 2.0]}, index=["d", "a", "c", "b"])
    out = largest_first(df, df["v"].to_numpy())
    assert out.index.tolist() == ["c", "b", "d", "a"]
    assert out["v"].tolist()[:3] == [5.0, 2.0, 2.0]
    assert df.index.tolist() == ["d", "a", "c", "b"]  # input unchanged


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_largest_first_does_not_depend_on_row_order(values, rnd):
    ids = [f"c{i:02d}" for i in range(len(values))]
    df = pd.DataFrame({"v": values}, index=ids)
    perm = list(range(len(values)))
    rnd.shuffle(perm)
    shuffled = df.iloc[perm]
    a = largest_first(df, df["v"].to_numpy())
    b = largest_first(shuffled, shuffled["v"].to_numpy())
    assert a.index.tolist() == b.index.tolist()
    expected = sorted(ids, key=lambda i: (-df.at[i, "v"], i))
    assert a.index.tolist() == expected
