"""Tests of crm_lib.tiering: ABC classes, the customer pyramid, migration, key accounts, service levels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib import tiering as ti
from crm_lib._errors import DataError, DataWarning

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def s(d: dict, name: str = "sales") -> pd.Series:
    out = pd.Series(d, name=name, dtype="float64")
    out.index.name = "customer_id"
    return out


# ------------------------------------------------------------------------------------------
# ABC: hand-checked
# ------------------------------------------------------------------------------------------


def test_abc_hand_checked_split():
    # total 100; share before each: a 0, b .50, c .75, d .85, e .93, f .97
    v = s({"a": 50, "b": 25, "c": 10, "d": 8, "e": 4, "f": 3})
    assert ti.abc_classes(v).to_dict() == {
        "a": "A", "b": "A", "c": "B", "d": "B", "e": "C", "f": "C"
    }


def test_abc_customer_crossing_the_cutoff_is_in_the_upper_class():
    # b takes the cumulative share from 60% to 90%: it crosses 70% and is A;
    # c starts at exactly 90%: not below 0.9, so C (class B is empty)
    assert ti.abc_classes(s({"a": 60, "b": 30, "c": 10})).tolist() == ["A", "A", "C"]


def test_abc_customer_starting_exactly_on_the_cutoff_is_in_the_lower_class():
    assert ti.abc_classes(s({"a": 70, "b": 20, "c": 10})).tolist() == ["A", "B", "C"]


def test_abc_ties_at_the_cutoff_broken_by_customer_id():
    # a 40 (before 0), then x1 and x2 tie at 30: x1 first (before .40 -> A), x2 (before .70 -> B)
    v = s({"x2": 30, "a": 40, "x1": 30})
    assert ti.abc_classes(v).to_dict() == {"x2": "B", "a": "A", "x1": "A"}
    # whatever the row order
    assert ti.abc_classes(v.iloc[::-1]).to_dict() == {"x2": "B", "a": "A", "x1": "A"}


def test_abc_integer_ids_tie_break_numerically():
    v = pd.Series({10: 30.0, 2: 30.0, 5: 40.0})
    assert ti.abc_classes(v).to_dict() == {10: "B", 2: "A", 5: "A"}


def test_abc_single_customer_is_a():
    assert ti.abc_classes(s({"only": 12.5})).tolist() == ["A"]


def test_abc_all_sales_zero_everyone_c_with_warning():
    with pytest.warns(DataWarning, match="All 3 customers have zero"):
        out = ti.abc_classes(s({"a": 0, "b": 0, "c": -5}))
    assert out.tolist() == ["C", "C", "C"]
    with pytest.warns(DataWarning):
        summ = ti.abc_summary(s({"a": 0, "b": 0}))
    assert summ["customers"].tolist() == [0, 0, 2]
    assert summ["sales_share"].tolist() == [0.0, 0.0, 0.0]


def test_abc_negative_sales_from_returns_count_as_zero():
    # netting the -100 would make the total 0; counted as zero the total is 100
    v = s({"a": 70, "b": 30, "c": -100})
    assert ti.abc_classes(v).tolist() == ["A", "B", "C"]
    table = ti.abc_table(v)
    assert table.loc["c", "value"] == 0.0
    assert table["share"].sum() == pytest.approx(1.0)


def test_abc_empty_series():
    out = ti.abc_classes(pd.Series([], dtype="float64"))
    assert len(out) == 0


def test_abc_custom_cutoffs():
    v = s({"a": 50, "b": 25, "c": 10, "d": 8, "e": 4, "f": 3})
    # (0.5, 0.8): a before 0 -> A; b before .5 -> B; c before .75 -> B; d before .85 -> C
    assert ti.abc_classes(v, cutoffs=(0.5, 0.8)).tolist() == ["A", "B", "B", "C", "C", "C"]


def test_abc_keeps_index_order_and_name():
    v = s({"b": 1, "a": 5, "c": 3})
    out = ti.abc_classes(v)
    assert list(out.index) == ["b", "a", "c"]
    assert out.index.name == "customer_id"
    assert out.name == "abc_class"


def test_abc_table_ranks_and_cumulative_shares():
    t = ti.abc_table(s({"a": 20, "b": 50, "c": 30}))
    assert list(t.index) == ["b", "c", "a"]
    assert t["rank"].tolist() == [1, 2, 3]
    assert t["cumulative_share"].tolist() == pytest.approx([0.5, 0.8, 1.0])
    assert t["share_before"].tolist() == pytest.approx([0.0, 0.5, 0.8])
    assert t["customer_share"].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_abc_summary_hand_checked():
    v = s({"a": 50, "b": 25, "c": 10, "d": 8, "e": 4, "f": 3})
    out = ti.abc_summary(v)
    assert list(out.index) == ["A", "B", "C"]
    assert out["customers"].tolist() == [2, 2, 2]
    assert out["customer_share"].tolist() == pytest.approx([1 / 3] * 3)
    assert out["sales"].tolist() == [75.0, 18.0, 7.0]
    assert out["sales_share"].tolist() == pytest.approx([0.75, 0.18, 0.07])
    gp = ti.abc_summary(v.rename("gross_profit"))
    assert "gross_profit_share" in gp.columns


@pytest.mark.parametrize(
    "cutoffs, match",
    [
        ((0.9, 0.7), r"`cutoffs` must be two increasing shares within \(0, 1\], got \(0.9, 0.7\)"),
        ((0.7, 0.7), "increasing"),
        ((0.0, 0.5), "increasing"),
        ((0.7, 1.2), "increasing"),
        ((0.7,), "increasing"),
        (("x", 0.9), "two numbers"),
    ],
)
def test_abc_cutoffs_out_of_order(cutoffs, match):
    with pytest.raises(DataError, match=match):
        ti.abc_classes(s({"a": 1}), cutoffs=cutoffs)


def test_abc_values_picks_the_ranked_value():
    ind = pd.DataFrame({"customer_id": ["a", "b"], "sales": [5.0, 1.0], "gross_profit": [1.0, 9.0]})
    assert ti.abc_classes(ti.abc_values(ind, abc_by="gross_profit")).tolist() == ["C", "A"]
    with pytest.raises(DataError, match=r"`abc_by` must be one of \['sales', 'gross_profit'\], got 'profit'"):
        ti.abc_values(ind, abc_by="profit")


def test_abc_bad_values():
    with pytest.raises(DataError, match=r"Column 'sales' in `values` must be filled in; 1 row is not \(row b: empty\)"):
        ti.abc_classes(s({"a": 1, "b": np.nan}))
    with pytest.raises(DataError, match="must be a pandas Series"):
        ti.abc_classes(pd.DataFrame({"sales": [1.0]}))
    with pytest.raises(DataError, match="must be numeric"):
        ti.abc_classes(pd.Series(["1", "2"]))
    with pytest.raises(DataError, match="2 rows share a customer id"):
        ti.abc_classes(pd.Series([1.0, 2.0], index=["a", "a"]))
    with pytest.raises(DataError, match="finite"):
        ti.abc_classes(s({"a": np.inf}))


# ------------------------------------------------------------------------------------------
# ABC: properties
# ------------------------------------------------------------------------------------------

values_strategy = st.lists(
    st.one_of(st.integers(-50, 500).map(float), st.floats(-10, 1e4, allow_nan=False)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(vals=values_strategy, seed=st.integers(0, 10_000))
def test_abc_properties(vals, seed):
    v = pd.Series(vals, index=[f"c{i:03d}" for i in range(len(vals))], dtype="float64")
    before = v.copy()
    if (v > 0).any():
        out = ti.abc_classes(v)
    else:
        with pytest.warns(DataWarning):
            out = ti.abc_classes(v)
    # input unchanged
    pd.testing.assert_series_equal(v, before)
    # every customer in exactly one class
    assert out.index.equals(v.index)
    assert out.isin(["A", "B", "C"]).all()
    # row-order independence
    perm = np.random.default_rng(seed).permutation(len(v))
    shuffled = v.iloc[perm]
    if (v > 0).any():
        out2 = ti.abc_classes(shuffled)
    else:
        with pytest.warns(DataWarning):
            out2 = ti.abc_classes(shuffled)
    pd.testing.assert_series_equal(out2.reindex(v.index), out)
    # a larger value never gets a worse class
    clipped = v.clip(lower=0)
    rank = out.map({"A": 0, "B": 1, "C": 2}).to_numpy()
    larger = clipped.to_numpy()[:, None] > clipped.to_numpy()[None, :]
    assert not (larger & (rank[:, None] > rank[None, :])).any()
    # class A makes at least 70% of a positive total, and would not without its last member
    total = clipped.sum()
    if total > 0:
        a_share = clipped[out == "A"].sum() / total
        assert a_share >= 0.7 - 1e-9
        summ = ti.abc_summary(v)
        assert summ["customers"].sum() == len(v)
        assert summ["customer_share"].sum() == pytest.approx(1.0)
        assert summ["sales_share"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------
# pyramid
# ------------------------------------------------------------------------------------------


def ind_frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], **cols})


def test_pyramid_hand_checked_scores_rank_normalisation():
    ind = ind_frame(cumulative_sales=[10.0, 40.0, 20.0, 30.0], credit_status=[1.0, 0.0, 0.5, 0.5])
    out = ti.pyramid_tiers(
        ind,
        weights={"cumulative_sales": 3, "credit_status": 1},
        tier_sizes=(0.25, 0.25, 0.5),
        tier_names=("gold", "silver", "bronze"),
    )
    # sales ranks: c0 0, c1 1, c2 1/3, c3 2/3; credit ranks (ties averaged): c0 1, c1 0, c2 .5, c3 .5
    expected = {
        "c0": 0.75 * 0 + 0.25 * 1,
        "c1": 0.75 * 1 + 0.25 * 0,
        "c2": 0.75 / 3 + 0.25 * 0.5,
        "c3": 0.75 * 2 / 3 + 0.25 * 0.5,
    }
    assert out["score"].to_dict() == pytest.approx(expected)
    assert list(out.index) == ["c1", "c3", "c2", "c0"]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["tier"].tolist() == ["gold", "silver", "bronze", "bronze"]


def test_pyramid_minmax_normalisation_and_missing_values():
    ind = ind_frame(
        cumulative_sales=[0.0, 50.0, 100.0, 100.0], sales_growth=[np.nan, -1.0, 1.0, 0.0]
    )
    out = ti.pyramid_tiers(
        ind, weights={"cumulative_sales": 1, "sales_growth": 1}, normalise="minmax",
        tier_sizes=(0.5, 0.5), tier_names=("top", "rest"),
    )
    assert out.loc["c0", "sales_growth_norm"] == 0.5  # unknown growth is neutral
    assert out.loc["c1", "cumulative_sales_norm"] == 0.5
    assert out["score"].to_dict() == pytest.approx(
        {"c0": 0.25, "c1": 0.25, "c2": 1.0, "c3": 0.75}
    )
    # c0 and c1 tie at .25: c0 (smaller id) ranks first
    assert list(out.index) == ["c2", "c3", "c0", "c1"]


def test_pyramid_weights_as_sequence_match_mapping():
    rng = np.random.default_rng(1)
    ind = ind_frame(**{k: rng.normal(size=30) for k in ti.PYRAMID_INDICATORS})
    a = ti.pyramid_tiers(ind, weights=[1, 2, 3, 4, 5, 6])
    b = ti.pyramid_tiers(ind, weights=dict(zip(ti.PYRAMID_INDICATORS, [1, 2, 3, 4, 5, 6], strict=True)))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "n, counts",
    [
        (3000, [30, 120, 450, 2400]),  # 1% / 4% / 15% / 80%
        (10, [1, 0, 1, 8]),            # cumulative 0.1, 0.5, 2, 10 -> ceil: 1, 1, 2, 10
        (1, [1, 0, 0, 0]),
        (100, [1, 4, 15, 80]),
    ],
)
def test_pyramid_tier_sizes(n, counts):
    ind = ind_frame(cumulative_sales=np.arange(n, dtype="float64"))
    out = ti.pyramid_tiers(ind, weights={"cumulative_sales": 1})
    got = out["tier"].value_counts().reindex(list(ti.TIER_NAMES), fill_value=0).tolist()
    assert got == counts


def test_pyramid_accepts_customer_id_as_index():
    ind = ind_frame(cumulative_sales=[1.0, 2.0]).set_index("customer_id")
    out = ti.pyramid_tiers(ind, weights={"cumulative_sales": 1})
    assert out.index.name == "customer_id"
    assert out.loc["c1", "tier"] == "VIP"


def test_pyramid_errors():
    ind = ind_frame(cumulative_sales=[1.0, 2.0])
    with pytest.raises(DataError, match=r"`weights` must have 6 values, one per indicator .* got 5"):
        ti.pyramid_tiers(ind, weights=[1, 1, 1, 1, 1])
    with pytest.raises(DataError, match="`weights` has unknown indicator 'loyalty'"):
        ti.pyramid_tiers(ind, weights={"loyalty": 1})
    with pytest.raises(DataError, match="zero or positive"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": -1})
    with pytest.raises(DataError, match="at least one positive weight"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 0})
    with pytest.raises(DataError, match=r"`tier_sizes` must sum to 1, got 0.95"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}, tier_sizes=(0.05, 0.1, 0.8))
    with pytest.raises(DataError, match="`tier_names` must name each of the 4 tiers, got 3"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}, tier_names=("a", "b", "c"))
    with pytest.raises(DataError, match="positive shares"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}, tier_sizes=(1.1, -0.1))
    with pytest.raises(DataError, match="must be distinct"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}, tier_sizes=(0.5, 0.5),
                         tier_names=("a", "a"))
    # unknown column
    with pytest.raises(DataError, match=r"Column 'credit_status' not found in `indicators`"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1, "credit_status": 1})
    with pytest.raises(DataError, match=r"Column 'customer_id' not found in `indicators`"):
        ti.pyramid_tiers(ind.rename(columns={"customer_id": "id"}), weights={"cumulative_sales": 1})
    with pytest.raises(DataError, match="`normalise` must be one of"):
        ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}, normalise="zscore")
    with pytest.raises(DataError, match="must be numeric"):
        ti.pyramid_tiers(ind.assign(cumulative_sales=["a", "b"]), weights={"cumulative_sales": 1})
    with pytest.raises(DataError, match="one row per customer"):
        ti.pyramid_tiers(pd.concat([ind, ind]), weights={"cumulative_sales": 1})


@settings(max_examples=40, deadline=None)
@given(
    vals=st.lists(st.tuples(st.floats(-1e3, 1e4), st.floats(-1, 1), st.sampled_from([0, .25, 1.0])),
                  min_size=1, max_size=60),
    seed=st.integers(0, 10_000),
)
def test_pyramid_properties(vals, seed):
    ind = pd.DataFrame(vals, columns=["cumulative_sales", "sales_growth", "credit_status"])
    ind.insert(0, "customer_id", [f"k{i:03d}" for i in range(len(ind))])
    before = ind.copy()
    w = {"cumulative_sales": 0.5, "sales_growth": 0.3, "credit_status": 0.2}
    out = ti.pyramid_tiers(ind, weights=w)
    pd.testing.assert_frame_equal(ind, before)
    # every customer in exactly one tier
    assert sorted(out.index) == sorted(ind["customer_id"])
    assert out["tier"].isin(ti.TIER_NAMES).all()
    assert out["score"].between(0, 1).all()
    # the tiers follow the score
    lvl = out["tier"].map({t: i for i, t in enumerate(ti.TIER_NAMES)})
    assert lvl.is_monotonic_increasing
    # row-order independence
    perm = np.random.default_rng(seed).permutation(len(ind))
    out2 = ti.pyramid_tiers(ind.iloc[perm], weights=w)
    pd.testing.assert_frame_equal(out2, out)
    summ = ti.tier_summary(out)
    assert summ["customers"].sum() == len(ind)
    assert summ["customer_share"].sum() == pytest.approx(1.0)


def test_tier_summary_hand_checked():
    p = pd.DataFrame({"tier": ["VIP", "major", "small", "small"],
                      "cumulative_sales": [50.0, 30.0, 20.0, -10.0],
                      "score": [0.9, 0.7, 0.3, 0.1]})
    out = ti.tier_summary(p)
    assert out["customers"].tolist() == [1, 1, 0, 2]
    assert out["cumulative_sales_share"].tolist() == pytest.approx([0.5, 0.3, 0.0, 0.2])
    assert out.loc["small", "score_min"] == 0.1
    with pytest.raises(DataError, match=r"Column 'tier' in `pyramid` must be one of"):
        ti.tier_summary(p.assign(tier=["gold", "VIP", "VIP", "VIP"]))


# ------------------------------------------------------------------------------------------
# migration
# ------------------------------------------------------------------------------------------


def test_tier_migration_hand_checked():
    before = pd.Series({"a": "small", "b": "VIP", "c": "major", "d": "ordinary"})
    after = pd.Series({"a": "major", "b": "ordinary", "c": "major", "e": "small"})
    m = ti.tier_migration(before, after)
    assert m.to_dict("index") == {
        "a": {"tier_before": "small", "tier_after": "major", "steps": 2, "movement": "moved_up"},
        "b": {"tier_before": "VIP", "tier_after": "ordinary", "steps": -2, "movement": "moved_down"},
        "c": {"tier_before": "major", "tier_after": "major", "steps": 0, "movement": "unchanged"},
        "d": {"tier_before": "ordinary", "tier_after": "no_tier", "steps": 0, "movement": "left"},
        "e": {"tier_before": "no_tier", "tier_after": "small", "steps": 0, "movement": "entered"},
    }
    mat = ti.migration_matrix(m)
    assert mat.shape == (5, 5)
    assert mat.to_numpy().sum() == 5
    assert mat.loc["small", "major"] == 1
    assert mat.loc["no_tier", "small"] == 1
    assert mat.loc["ordinary", "no_tier"] == 1
    with pytest.raises(DataError, match=r"Column 'tier' in `tiers_after` must be one of"):
        ti.tier_migration(before, after.rename("tier").replace("major", "gold"))


@settings(max_examples=30, deadline=None)
@given(
    b=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.sampled_from(ti.TIER_NAMES)),
    a=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.sampled_from(ti.TIER_NAMES)),
)
def test_tier_migration_properties(b, a):
    sb, sa = pd.Series(b, dtype="str"), pd.Series(a, dtype="str")
    m = ti.tier_migration(sb, sa)
    assert set(m.index) == set(b) | set(a)
    assert m.index.is_unique
    assert ti.migration_matrix(m).to_numpy().sum() == len(m)
    assert (m["steps"] > 0).sum() == (m["movement"] == "moved_up").sum()


# ------------------------------------------------------------------------------------------
# key accounts
# ------------------------------------------------------------------------------------------


def ka_inputs():
    ind = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "sales": [500.0, 300.0, 100.0, 60.0, 40.0],
            "gross_profit": [200.0, 100.0, 50.0, 30.0, 20.0],
            "sales_growth": [0.0, 0.5, 1.0, np.nan, 0.3],
        }
    )
    cust = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "sales_rep": ["r1", "r1", "r2", "r2", "r2", "r2"],
            "kind": ["company", "company", "company", "individual", "company", "company"],
            "industry": ["retail", "education", "retail", None, "retail", "retail"],
            "parent_company": ["G1", None, None, None, None, "G1"],
        }
    )
    inter = pd.DataFrame(
        {
            "customer_id": ["a", "c", "c", "e", "b"],
            "date": pd.to_datetime(["2026-10-01", "2026-09-01", "2026-08-01", "2026-07-01",
                                    "2024-01-01"]),
            "type": ["call", "visit", "visit", "email", "visit"],
        }
    )
    return ind, cust, inter


def test_key_accounts_hand_checked():
    ind, cust, inter = ka_inputs()
    rules = {"sales_share": 0.25, "growth_min": 0.2, "growth_size": 0.5, "rep_share": 0.5,
             "time_top": 0.2, "profit_share": 0.5, "min_criteria": 2}
    out = ti.key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31",
                          rules=rules)
    # profit total 400: a (before 0) crosses 50% -> leader; b starts at 50% -> not
    assert out["profit_leader"].to_dict() == {"a": True, "b": False, "c": False, "d": False,
                                              "e": False}
    # sales total 1000: a 50%, b 30% >= 25%
    assert out["target_critical"].tolist() == [True, True, False, False, False]
    # median sales 100: b (0.5) and c (1.0) grew >= 20% at >= 100; e grew but is small
    assert out["growth_room"].tolist() == [False, True, True, False, False]
    # rep r1 profit 300: a 2/3, b 1/3; r2 100: c .5, d .3, e .2
    assert out["rep_profit_share"].tolist() == pytest.approx([2 / 3, 1 / 3, 0.5, 0.3, 0.2])
    assert out["loss_impact"].tolist() == [True, False, True, False, False]
    # hours in the window: a 0.5, c 6, e 0.25, b 0 (visit outside), d 0; top 20% -> c
    assert out["contact_hours"].tolist() == [0.5, 0.0, 6.0, 0.0, 0.25]
    assert out["time_intensive"].tolist() == [False, False, True, False, False]
    assert out["criteria_met"].tolist() == [3, 2, 3, 0, 0]
    # criteria: the catalogue keys met, in KEY_ACCOUNT_CRITERIA order, joined by ", "
    assert ti.CRITERIA_SEPARATOR == ", "
    assert out["criteria"].tolist() == [
        "profit_leader, target_critical, loss_impact",
        "target_critical, growth_room",
        "growth_room, loss_impact, time_intensive",
        "",
        "",
    ]
    assert out["is_key_account"].tolist() == [True, True, True, False, False]
    # a: company under G1 with f -> group; b: education -> important; c: growth -> strategic
    assert out["key_account_type"].iloc[:3].tolist() == ["group", "important", "strategic"]
    assert out["key_account_type"].iloc[3:].isna().all()


def test_key_accounts_economic_type_and_missing_interactions():
    ind, cust, _ = ka_inputs()
    cust = cust.assign(parent_company=None, industry="retail")
    with pytest.warns(DataWarning, match="time_intensive"):
        out = ti.key_accounts(ind, customers=cust, rules={"sales_share": 0.25, "rep_share": 0.5})
    assert out.loc["a", "key_account_type"] == "economic"
    assert not out["time_intensive"].any()


def test_key_account_criteria_are_keys_matching_the_flags():
    """criteria lists exactly the True flags, as catalogue keys, in the order of the constant."""
    from crm_lib.labels import has_label

    ind, cust, inter = ka_inputs()
    out = ti.key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31",
                          rules={"sales_share": 0.25, "rep_share": 0.5, "time_top": 0.2})
    flags = out[list(ti.KEY_ACCOUNT_CRITERIA)]
    for cid, text in out["criteria"].items():
        keys = text.split(ti.CRITERIA_SEPARATOR) if text else []
        assert keys == [c for c in ti.KEY_ACCOUNT_CRITERIA if flags.loc[cid, c]]
        assert all(has_label(k) for k in keys)
        assert len(keys) == out.loc[cid, "criteria_met"]
    assert out["criteria"].map(bool).sum() == (flags.sum(axis=1) > 0).sum()


def test_key_account_criteria_shown_in_chinese():
    from crm_lib import labels, plots

    ind, cust, inter = ka_inputs()
    rules = {"sales_share": 0.25, "rep_share": 0.5, "time_top": 0.2}
    ka = ti.key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31", rules=rules)
    before = ka.copy()
    zh = plots.localize_criteria(ka, lang="zh")
    pd.testing.assert_frame_equal(ka, before)  # input unchanged
    assert zh.loc["a", "criteria"] == "主要利润贡献者、对销售目标举足轻重、流失影响严重"
    assert zh.loc["c", "criteria"] == "增长空间大、流失影响严重、占用团队大量时间"
    assert zh.loc["d", "criteria"] == ""
    # only the display changes: the flags and everything else are as key_accounts decided
    pd.testing.assert_frame_equal(zh.drop(columns="criteria"), ka.drop(columns="criteria"))
    en = plots.localize_criteria(ka)
    assert en.loc["b", "criteria"] == "Decisive for the sales target, Room to grow"
    # a joined string is not a catalogue key: localize alone leaves the keys ...
    assert labels.localize(ka, "zh").loc["a", "满足的条件"] == ka.loc["a", "criteria"]
    # ... and after localize_criteria the Chinese names reach the exported table and the chart
    exported = labels.localize(zh, "zh")
    assert exported.loc["a", "满足的条件"] == "主要利润贡献者、对销售目标举足轻重、流失影响严重"
    assert exported.loc["b", "关键客户类型"] == "重要型"
    fig = plots.table(zh[["criteria", "key_account_type"]], lang="zh")
    cells = fig.data[0].cells.values
    assert list(fig.data[0].header.values) == ["客户编号", "满足的条件", "关键客户类型"]
    assert "主要利润贡献者、对销售目标举足轻重、流失影响严重" in cells[1]
    # the card's column, a missing value and an unknown key
    card = pd.DataFrame({"key_account_criteria": ["growth_room", None, "mystery, loss_impact"]})
    shown = plots.localize_criteria(card, lang="zh", criteria_col="key_account_criteria")
    assert shown["key_account_criteria"].iloc[0] == "增长空间大"
    assert pd.isna(shown["key_account_criteria"].iloc[1])
    # a value that is not a list of criteria is left alone (and asks the catalogue for nothing)
    assert shown["key_account_criteria"].iloc[2] == "mystery, loss_impact"
    from crm_lib import labels

    before = set(labels.missing_keys())
    grading = pd.DataFrame({"field": ["abc_class", "key_account_criteria"],
                            "value": ["A", "profit_leader, growth_room"]})
    shown = plots.localize_criteria(grading, lang="zh", criteria_col="value")
    assert shown["value"].tolist() == ["A", "主要利润贡献者、增长空间大"]
    assert set(labels.missing_keys()) == before
    with pytest.raises(DataError, match=r"Column 'criteria' not found in `key accounts`"):
        plots.localize_criteria(card, lang="zh")
    with pytest.raises(DataError, match="lang"):
        plots.localize_criteria(ka, lang="fr")


def test_key_accounts_errors():
    ind, cust, inter = ka_inputs()
    with pytest.raises(DataError, match=r"Column 'sales_growth' not found in `indicators`"):
        ti.key_accounts(ind.drop(columns="sales_growth"), customers=cust, interactions=inter,
                        as_of="2026-10-31")
    with pytest.raises(DataError, match="`rules` has unknown rule 'profit'"):
        ti.key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31",
                        rules={"profit": 1})
    with pytest.raises(DataError, match="`as_of` is required"):
        ti.key_accounts(ind, customers=cust, interactions=inter)
    with pytest.raises(DataError, match=r"Column 'type' not found in `interactions`"):
        ti.key_accounts(ind, customers=cust, interactions=inter.drop(columns="type"),
                        as_of="2026-10-31")


# ------------------------------------------------------------------------------------------
# service levels
# ------------------------------------------------------------------------------------------


def calls_frame(rows):
    return pd.DataFrame(rows, columns=["customer_id", "at", "wait_seconds", "answered"]).assign(
        at=lambda d: pd.to_datetime(d["at"])
    )


def test_service_levels_hand_checked():
    tiers = pd.Series({"v1": "VIP", "v2": "VIP", "m1": "major", "s1": "small", "bad": "VIP"})
    cust = pd.DataFrame({"customer_id": ["v1", "v2", "m1", "s1", "bad"],
                         "blacklisted": [False, False, False, False, True]})
    calls = calls_frame([
        ("v1", "2026-10-01 09:00", 5.0, True),
        ("v1", "2026-10-02 09:00", 20.0, True),    # exactly 20 s: within
        ("v2", "2026-10-03 09:00", 21.0, True),    # late
        ("v2", "2026-10-04 09:00", 3.0, False),    # abandoned: counts against
        ("m1", "2026-10-04 09:00", 10.0, True),
        ("s1", "2026-10-05 09:00", 50.0, True),
        ("bad", "2026-10-05 09:00", 1.0, True),    # blacklisted: own group, not VIP
        ("zz", "2026-10-05 09:00", 1.0, True),     # no tier
        ("m1", "2026-11-01 09:00", 1.0, True),     # after as_of
    ])
    out = ti.service_levels(calls, tiers, customers=cust, as_of="2026-10-31")
    assert list(out.index) == ["VIP", "major", "ordinary", "small", "unranked", "blacklisted"]
    assert out["priority"].tolist() == [1, 2, 3, 4, 5, 6]
    assert out["calls"].tolist() == [4, 1, 0, 1, 1, 1]
    assert out["within_threshold"].tolist() == [2, 1, 0, 0, 1, 1]
    assert out.loc["VIP", "service_level"] == 0.5
    assert out.loc["VIP", "target"] == 0.9
    assert out.loc["major", "target"] == 0.85
    assert math.isnan(out.loc["ordinary", "service_level"])
    assert out.loc["VIP", "gap"] == pytest.approx(-0.4)
    # ordinary: no calls; unranked and blacklisted: no target -> empty
    assert out["met"].isna().tolist() == [False, False, True, False, True, True]
    assert out["met"].fillna(True).tolist() == [False, True, True, False, True, True]
    assert math.isnan(out.loc["blacklisted", "target"])
    # a threshold of 25 s counts the 21 s call
    assert ti.service_levels(calls, tiers, customers=cust, as_of="2026-10-31",
                             threshold_seconds=25).loc["VIP", "within_threshold"] == 3


def test_service_levels_excluded_and_errors():
    tiers = pd.Series({"a": "VIP"})
    calls = calls_frame([("a", "2026-10-01", np.nan, True), ("a", "2026-10-01", 1.0, True)])
    with pytest.warns(DataWarning, match="1 answered calls"):
        out = ti.service_levels(calls, tiers)
    assert out.loc["VIP", "excluded"] == 1
    assert out.loc["VIP", "calls"] == 1
    with pytest.raises(DataError, match=r"Column 'wait_seconds' not found in `service_calls`"):
        ti.service_levels(calls.drop(columns="wait_seconds"), tiers)
    with pytest.raises(DataError, match="`threshold_seconds` must be a number"):
        ti.service_levels(calls, tiers, threshold_seconds=-1)
    with pytest.raises(DataError, match="`targets` must be shares"):
        ti.service_levels(calls, tiers, targets={"VIP": 90})


def test_service_priority_blacklisted_always_last():
    tiers = pd.Series({"a": "VIP", "b": "small"})
    cust = pd.DataFrame({"customer_id": ["a", "b", "c"], "blacklisted": [True, False, True]})
    out = ti.service_priority(tiers, customers=cust)
    assert out["service_group"].to_dict() == {"a": "blacklisted", "b": "small",
                                              "c": "blacklisted"}
    assert out["priority"].max() == out.loc["a", "priority"]


def test_care_plans_cover_every_tier_and_have_texts():
    from crm_lib import labels

    table = ti.care_plan_table()
    assert set(ti.TIER_NAMES) | {ti.BLACKLISTED} == set(table.index)
    for key in table.to_numpy().ravel().tolist() + list(table.columns):
        assert labels.label(key, "en") != key
        assert labels.label(key, "zh") != key


# ------------------------------------------------------------------------------------------
# the sample company, against a plain pandas recomputation
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    import crm_lib as crm

    return crm.load_dataset(SAMPLE)


def test_sample_abc_against_plain_pandas(sample):
    from crm_lib import summary

    as_of = sample.month_end("")
    tx = sample.transactions
    tot = summary.totals(tx, as_of=as_of)
    ours = ti.abc_classes(tot["sales"])
    # plain pandas: sort by sales (ties by id), cumulative share before each customer
    t = tx.loc[tx["date"] <= as_of]
    sales = t.groupby("customer_id")["amount"].sum().clip(lower=0).rename("v").reset_index()
    sales = sales.sort_values(["v", "customer_id"], ascending=[False, True])
    before = (sales["v"].cumsum() - sales["v"]) / sales["v"].sum()
    sales["cls"] = np.where(before < 0.7, "A", np.where(before < 0.9, "B", "C"))
    expected = sales.set_index("customer_id")["cls"]
    pd.testing.assert_series_equal(
        ours.sort_index(), expected.sort_index(), check_names=False, check_dtype=False,
        check_index_type=False,
    )
    share_a = sales.loc[sales["cls"] == "A", "v"].sum() / sales["v"].sum()
    assert 0.7 <= share_a < 0.71


def test_sample_pyramid_against_plain_pandas(sample):
    as_of = sample.month_end("")
    tx, cust = sample.transactions, sample.customers
    ours = ti.pyramid_tiers(ti.pyramid_indicators(tx, cust, as_of=as_of))

    # plain pandas recomputation of the six indicators
    t = tx.loc[tx["date"] <= as_of].assign(gp=lambda d: d["amount"] - d["cost"])
    start = as_of - pd.DateOffset(months=12) + pd.Timedelta(days=1)
    prev_start = start - pd.DateOffset(months=12)
    ids = t.groupby("customer_id").size().index
    cum = t.groupby("customer_id")["amount"].sum()
    w = t.loc[t["date"] >= start]
    p = t.loc[(t["date"] >= prev_start) & (t["date"] < start)]
    ws = w.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)
    wg = w.groupby("customer_id")["gp"].sum().reindex(ids, fill_value=0.0)
    ps = p.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)
    pg = p.groupby("customer_id")["gp"].sum().reindex(ids, fill_value=0.0)
    first = t.loc[t["amount"] > 0].groupby("customer_id")["date"].min().reindex(ids)
    months = ((as_of.year - first.dt.year) * 12 + as_of.month - first.dt.month + 1).clip(1, 12)

    def growth(c, q):
        g = pd.Series(np.nan, index=c.index)
        g[q > 0] = (c[q > 0] - q[q > 0]) / q[q > 0]
        g[(q <= 0) & (c <= 0)] = 0.0
        return g

    c = cust.set_index("customer_id").reindex(ids)
    credit = c["credit_rating"].map({"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25}).fillna(0.5)
    credit[c["blacklisted"].fillna(False).astype(bool)] = 0.0
    raw = pd.DataFrame({
        "cumulative_sales": cum,
        "average_sales": ws / months.fillna(12),
        "profit_margin": (wg / ws).where(ws > 0),
        "sales_growth": growth(ws, ps),
        "profit_growth": growth(wg, pg),
        "credit_status": credit,
    })
    weights = {"cumulative_sales": .30, "average_sales": .20, "profit_margin": .15,
               "sales_growth": .10, "profit_growth": .10, "credit_status": .15}
    score = sum(
        wt * ((raw[k].round(9).rank() - 1) / (raw[k].notna().sum() - 1)).fillna(0.5)
        for k, wt in weights.items()
    )
    order = score.rename("s").reset_index().sort_values(["s", "customer_id"],
                                                        ascending=[False, True])
    n = len(order)
    bounds = [math.ceil(n * x - 1e-9) for x in (0.01, 0.05, 0.20, 1.0)]
    pos = np.arange(1, n + 1)
    order["tier"] = np.select([pos <= bounds[0], pos <= bounds[1], pos <= bounds[2]],
                              ["VIP", "major", "ordinary"], "small")
    expected = order.set_index("customer_id")["tier"]

    assert ours["score"].sort_index().to_numpy() == pytest.approx(score.sort_index().to_numpy())
    pd.testing.assert_series_equal(ours["tier"].sort_index(), expected.sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False)
    counts = ours["tier"].value_counts()
    assert counts["VIP"] == math.ceil(0.01 * n)


def test_sample_key_accounts_and_service_levels_run(sample):
    as_of = sample.month_end("")
    ind = ti.pyramid_indicators(sample.transactions, sample.customers, as_of=as_of)
    ka = ti.key_accounts(ind, customers=sample.customers, interactions=sample.interactions,
                         as_of=as_of)
    assert ka["is_key_account"].sum() > 0
    assert set(ka["key_account_type"].dropna()) <= set(ti.KEY_ACCOUNT_TYPES)
    tiers = ti.pyramid_tiers(ind)["tier"]
    sl = ti.service_levels(sample.service_calls, tiers, customers=sample.customers, as_of=as_of)
    assert sl["calls"].sum() == (sample.service_calls["at"] < as_of + pd.Timedelta(days=1)).sum()
    assert sl.index[-1] == "blacklisted"


# ------------------------------------------------------------------------------------------
# inputs unchanged, charts
# ------------------------------------------------------------------------------------------


def test_key_accounts_and_service_levels_leave_inputs_unchanged():
    ind, cust, inter = ka_inputs()
    copies = [x.copy() for x in (ind, cust, inter)]
    ti.key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31")
    for a, b in zip((ind, cust, inter), copies, strict=True):
        pd.testing.assert_frame_equal(a, b)
    tiers = pd.Series({"a": "VIP", "b": "small"})
    calls = calls_frame([("a", "2026-10-01", 5.0, True), ("b", "2026-10-01", 50.0, False)])
    c0, t0 = calls.copy(), tiers.copy()
    black = pd.DataFrame({"customer_id": ["a", "b"], "blacklisted": [False, True]})
    ti.service_levels(calls, tiers, customers=black)
    pd.testing.assert_frame_equal(calls, c0)
    pd.testing.assert_series_equal(tiers, t0)
    # row order of the calls does not matter
    pd.testing.assert_frame_equal(ti.service_levels(calls, tiers, customers=black),
                                  ti.service_levels(calls.iloc[::-1], tiers, customers=black))


def test_tiering_charts_take_the_results_and_translate():
    from crm_lib import plots

    v = s({"a": 50, "b": 25, "c": 10, "d": 8, "e": 4, "f": 3})
    fig = plots.abc_pareto(ti.abc_table(v), lang="zh")
    assert fig.layout.title.text == "ABC分析：销售额累计占比"
    assert [t.name for t in fig.data] == ["A", "B", "C"]
    # the curve ends at 100% of customers and value
    assert fig.data[-1].x[-1] == 1.0 and fig.data[-1].y[-1] == pytest.approx(1.0)
    bars = plots.abc_summary_bars(ti.abc_summary(v))
    assert list(bars.data[1].y) == pytest.approx([0.75, 0.18, 0.07])
    ind = ind_frame(cumulative_sales=np.arange(100, dtype="float64"))
    summ = ti.tier_summary(ti.pyramid_tiers(ind, weights={"cumulative_sales": 1}))
    pyr = plots.pyramid_chart(summ, lang="zh")
    assert list(pyr.data[0].y) == ["大客户/VIP", "主要客户", "普通客户", "小客户"]
    assert list(pyr.data[0].x) == [1, 4, 15, 80]
    m = ti.tier_migration(pd.Series({"a": "small", "b": "VIP"}), pd.Series({"a": "major"}))
    mat = ti.migration_matrix(m)
    assert sum(plots.migration_sankey(mat).data[0].link.value) == 2
    assert plots.migration_heatmap(mat).data[0].z.sum() == 2
    ka_ind, cust, inter = ka_inputs()
    ka = ti.key_accounts(ka_ind, customers=cust, interactions=inter, as_of="2026-10-31")
    kb = plots.key_account_bars(ka)
    assert sum(kb.data[0].y) + sum(kb.data[1].y) == int(ka[list(ti.KEY_ACCOUNT_CRITERIA)].sum().sum())
    calls = calls_frame([("a", "2026-10-01", 5.0, True), ("b", "2026-10-01", 50.0, True)])
    sl = plots.service_level_bars(ti.service_levels(calls, pd.Series({"a": "VIP", "b": "small"})),
                                  lang="zh")
    assert sl.layout.title.text == "20秒内接听电话比例（按层级）"
    with pytest.raises(DataError, match="crm_lib.tiering.abc_table"):
        plots.abc_pareto(pd.DataFrame({"x": [1]}))


# ------------------------------------------------------------------------------------------
# Is tiering worth it? (the three conditions)
# ------------------------------------------------------------------------------------------


def test_gini_hand_checked():
    # sorted 1,2,3,4: sum i*x = 1+4+9+16 = 30; 2*30/(4*10) - 5/4 = 1.5 - 1.25 = 0.25
    assert ti.gini([4.0, 1.0, 3.0, 2.0]) == pytest.approx(0.25)
    # the same from the pair definition: sum |xi-xj| over ordered pairs = 20; 2 n^2 mean = 80
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert ti.gini(x) == pytest.approx(np.abs(x[:, None] - x[None, :]).sum() / (2 * 16 * x.mean()))
    # one customer holds everything: (n-1)/n; equal values: 0; negatives count as zero
    assert ti.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert ti.gini([5, 5, 5]) == pytest.approx(0.0)
    assert ti.gini([-3, 0, 0, 10]) == pytest.approx(0.75)
    assert math.isnan(ti.gini([])) and math.isnan(ti.gini([0, 0]))


def test_top_share_hand_checked():
    assert ti.top_share(range(1, 11)) == pytest.approx(19 / 55)  # top 2 of 10
    assert ti.top_share([10, 1, 1], fraction=0.2) == pytest.approx(10 / 12)  # ceil(0.6) = 1 customer
    assert ti.top_share([1, 1, 1, 1, 1], fraction=0.4) == pytest.approx(0.4)
    with pytest.raises(DataError, match=r"`fraction` must be within \(0, 1\], got 0"):
        ti.top_share([1.0], fraction=0)


def _worth_tx() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 5 customers. a: 3 purchase days (2 orders on one day count once), b: 2, c, d, e: 1.
    # e bought only before the 12-month window (inactive). Window sales a 100, b 50, c 30, d 20.
    rows = [("a", "2026-01-05", 60.0), ("a", "2026-01-05", 10.0), ("a", "2026-03-01", 20.0),
            ("a", "2026-06-01", 10.0), ("b", "2026-02-01", 25.0), ("b", "2026-04-01", 25.0),
            ("c", "2026-05-01", 30.0), ("d", "2026-06-01", 20.0), ("e", "2024-06-01", 500.0)]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["order_id"] = [f"o{i}" for i in range(len(tx))]
    tx["cost"] = tx["amount"] / 2
    cust = pd.DataFrame({"customer_id": list("abcde"), "sales_rep": ["r1", "r1", "r2", None, "r2"]})
    return tx, cust


def test_tiering_conditions_hand_checked():
    tx, cust = _worth_tx()
    c = ti.tiering_conditions(tx, cust, as_of="2026-10-31")
    # active a, b, c, d; d has no rep -> 3 assigned over 2 reps = 1.5 per rep, far below 20
    assert c.loc["customers_per_rep", "value"] == pytest.approx(1.5)
    assert c.loc["customers_per_rep", ["reps", "unassigned", "customers"]].tolist() == [2, 1, 3]
    assert not c.loc["customers_per_rep", "condition_met"]
    # buyers a..e: a (3 days) and b (2 days) repeat -> 2/5
    assert c.loc["repeat_share", "value"] == pytest.approx(0.4)
    assert c.loc["repeat_share", "customers"] == 5
    # window sales sorted 20, 30, 50, 100 (total 200): sum i*x = 20+60+150+400 = 630
    # G = 2*630/(4*200) - 5/4 = 1.575 - 1.25 = 0.325
    assert c.loc["gini", "value"] == pytest.approx(0.325)
    assert not c.loc["gini", "condition_met"]
    # top 20% of 4 = ceil(0.8) = 1 customer: 100/200
    assert c.loc["top_share", "value"] == pytest.approx(0.5)
    assert c.loc["top_share", "condition_met"]
    v = ti.tiering_verdict(c)
    assert v["condition_met"].tolist() == [False, False, False]
    assert v.attrs["verdict"] == "tiering_does_not_pay" and v.attrs["conditions_met"] == 0
    assert v.loc["value_spread", "reason"] == "value_spread_not_met"


def test_tiering_conditions_with_looser_rules_and_without_reps():
    tx, cust = _worth_tx()
    rules = {"span_max": 1.0, "span_min": 1.0, "min_repeat_share": 0.4, "min_gini": 0.3}
    c = ti.tiering_conditions(tx, cust, as_of="2026-10-31", rules=rules)
    v = ti.tiering_verdict(c)
    assert v["condition_met"].tolist() == [True, True, True] and v.attrs["verdict"] == "tiering_pays"
    # no customers table: the span is unknown; two of three met -> partly
    c2 = ti.tiering_conditions(tx, as_of="2026-10-31", rules=rules)
    assert pd.isna(c2.loc["customers_per_rep", "condition_met"])
    v2 = ti.tiering_verdict(c2)
    assert v2.loc["customers_per_rep", "reason"] == "customers_per_rep_unknown"
    assert v2.attrs["verdict"] == "tiering_partly_pays"


def test_tiering_conditions_refuse_bad_rules_and_leave_input_alone():
    tx, cust = _worth_tx()
    before = tx.copy()
    with pytest.raises(DataError, match="`rules` has unknown rule 'span'"):
        ti.tiering_conditions(tx, cust, as_of="2026-10-31", rules={"span": 5})
    with pytest.raises(DataError, match="span_min <= span_max"):
        ti.tiering_conditions(tx, cust, as_of="2026-10-31", rules={"span_min": 30})
    with pytest.raises(DataError, match="value"):
        ti.tiering_conditions(tx, cust, as_of="2026-10-31", value="margin")
    pd.testing.assert_frame_equal(tx, before)


def test_tiering_conditions_on_the_sample_match_an_independent_count():
    from crm_lib import load_dataset

    ds = load_dataset(SAMPLE)
    c = ti.tiering_conditions(ds.transactions, ds.customers, as_of="2026-10-31")
    tx = ds.transactions
    buy = tx.loc[tx["amount"] > 0]
    days = buy.groupby("customer_id")["date"].nunique()
    assert c.loc["repeat_share", "value"] == pytest.approx((days >= 2).mean())
    win = tx.loc[tx["date"] >= "2025-11-01"]
    # active: a purchase line (amount > 0) in the window; their net window sales, negatives as 0
    active = win.loc[win["amount"] > 0, "customer_id"].unique()
    sales = win.groupby("customer_id")["amount"].sum().clip(lower=0).reindex(active)
    x = np.sort(sales.to_numpy())
    n = len(x)
    assert c.loc["gini", "value"] == pytest.approx(
        (2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))
    reps = ds.customers.set_index("customer_id")["sales_rep"].reindex(sales.index)
    assert c.loc["customers_per_rep", "value"] == pytest.approx(reps.notna().sum() / reps.nunique())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tiering_verdict_note_states_the_verdict_and_each_reason(lang):
    from crm_lib import plots
    from crm_lib.labels import label

    tx, cust = _worth_tx()
    # looser rules, no customers table: span unknown, repeat and spread met -> partly pays
    rules = {"min_repeat_share": 0.4, "min_gini": 0.3}
    v = ti.tiering_verdict(ti.tiering_conditions(tx, as_of="2026-10-31", rules=rules))
    lines = plots.tiering_verdict_note(v, lang=lang).data.splitlines()
    stop = "。" if lang == "zh" else "."
    assert lines[0] == f"**{label('tiering_partly_pays', lang)}{stop}**"
    assert lines[2:] == [f"- {label(k, lang)}{stop}" for k in (
        "customers_per_rep_unknown", "repeat_purchase_met", "value_spread_met")]
    with pytest.raises(DataError, match="tiering_verdict"):
        plots.tiering_verdict_note(v.drop(columns="reason"), lang=lang)
