"""Tests for crm_lib.rfm: hand-computed scores, rule tables as partitions, properties, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_lib._errors import DataError, DataWarning
from crm_lib.rfm import (
    CHINA_SEGMENTS,
    RULE_TABLES,
    STANDARD_SEGMENTS,
    SegmentRule,
    cell_segments,
    check_rules,
    china_rules,
    rfm_grid,
    rfm_scores,
    rfm_segments,
    rule_table,
    rules_by_name,
    score_distribution,
    segment_summary,
)
from crm_lib.summary import totals


def _summary(recency, orders, sales, ids=None):
    ids = ids or [f"c{i:02d}" for i in range(len(recency))]
    return pd.DataFrame({"recency_days": recency, "orders": orders, "sales": sales},
                        index=pd.Index(ids, name="customer_id"))


# ----------------------------------------------------------------------------------- scores

def test_scores_hand_computed_ten_customers():
    # ten customers, two per quintile on each measure
    s = _summary(
        recency=[1, 2, 10, 20, 30, 40, 100, 200, 300, 400],
        orders=[10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        sales=[5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0],
    )
    sc = rfm_scores(s, recency_col="recency_days")
    assert sc["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert sc["f_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # sales ranks: c01 1.0, c02 2.0, c03 3.0, c04 4.0, c00 5.0, c05 6.0, ...
    assert sc["m_score"].tolist() == [3, 1, 1, 2, 2, 3, 4, 4, 5, 5]
    assert sc.loc["c00", "rfm_cell"] == "553"
    assert list(sc.columns) == ["recency_days", "frequency", "monetary", "r_score", "f_score",
                                "m_score", "rfm_cell"]
    assert sc.attrs["bins"] == 5


def test_ties_are_broken_by_customer_id():
    # everybody bought once: F still uses every level, in customer-id order
    s = _summary(recency=[5] * 5, orders=[1] * 5, sales=[10.0] * 5, ids=["e", "c", "a", "d", "b"])
    sc = rfm_scores(s, recency_col="recency_days")
    assert sc["f_score"].to_dict() == {"e": 5, "c": 3, "a": 1, "d": 4, "b": 2}
    assert sc["m_score"].to_dict() == sc["f_score"].to_dict()
    assert sc["r_score"].to_dict() == sc["f_score"].to_dict()


def test_recency_from_dates_and_as_of():
    t = pd.DataFrame({
        "last_purchase": pd.to_datetime(["2026-10-30", "2026-01-01", "2026-06-30"]),
        "orders": [3, 1, 2], "sales": [30.0, 10.0, 20.0],
    }, index=pd.Index(["a", "b", "c"], name="customer_id"))
    sc = rfm_scores(t, as_of="2026-10-31", bins=3)
    assert sc["recency_days"].tolist() == [1.0, 303.0, 123.0]
    assert sc["r_score"].tolist() == [3, 1, 2]
    assert sc["rfm_cell"].tolist() == ["333", "111", "222"]


def test_scores_from_transaction_totals():
    tx = pd.DataFrame({
        "order_id": ["1", "2", "3", "4", "5", "6"],
        "customer_id": ["a", "a", "b", "c", "c", "c"],
        "date": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01", "2026-01-05",
                                "2026-02-05", "2026-03-05"]),
        "quantity": 1.0, "amount": [10.0, 20.0, 5.0, 1.0, 1.0, 1.0], "cost": 0.0,
    })
    sc = rfm_scores(totals(tx, as_of="2026-03-31"), as_of="2026-03-31", bins=3)
    # recency a 30, b 58, c 26; orders a 2, b 1, c 3; sales a 30, b 5, c 3
    assert sc["rfm_cell"].to_dict() == {"a": "223", "b": "112", "c": "331"}


def test_inputs_are_not_mutated():
    s = _summary([3, 1, 2], [1, 2, 3], [1.0, 2.0, 3.0])
    before = s.copy()
    sc = rfm_scores(s, recency_col="recency_days")
    sc_before = sc.copy()
    seg = rfm_segments(sc)
    segment_summary(seg)
    rfm_grid(seg)
    pd.testing.assert_frame_equal(s, before)
    pd.testing.assert_frame_equal(sc, sc_before)


def test_unscorable_customers_are_counted_and_warned():
    s = _summary([3, np.nan, 2, 4], [1, 2, 3, 4], [1.0, 2.0, np.nan, 4.0])
    with pytest.warns(DataWarning, match=r"2 customers of `rfm input` cannot be scored .*"
                                         r"rows c01, c02"):
        sc = rfm_scores(s, recency_col="recency_days", bins=2)
    assert list(sc.index) == ["c00", "c03"]
    assert sc.attrs["excluded"] == 2


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    bins=st.integers(2, 9),
    seed=st.integers(0, 10**6),
    distinct=st.integers(1, 6),
)
def test_score_properties(n, bins, seed, distinct):
    rng = np.random.default_rng(seed)
    s = _summary(
        recency=rng.integers(0, distinct, n).astype(float).tolist(),
        orders=rng.integers(1, distinct + 1, n).tolist(),
        sales=rng.choice([-5.0, 0.0, 10.0, 12.5, 100.0], n).tolist(),
        ids=[f"id{v}" for v in rng.permutation(n)],
    )
    sc = rfm_scores(s, recency_col="recency_days", bins=bins)
    for col, raw, sign in (("r_score", "recency_days", -1), ("f_score", "frequency", 1),
                           ("m_score", "monetary", 1)):
        counts = sc[col].value_counts()
        assert sc[col].between(1, bins).all()
        if n >= bins:
            assert sorted(counts.index) == list(range(1, bins + 1))  # every level used
        assert counts.max() - counts.min() <= 1 or n < bins  # equal-sized groups
        # monotone: a strictly better value never gets a lower score
        v = sign * sc[raw].to_numpy()
        score = sc[col].to_numpy()
        better = v[:, None] > v[None, :]
        assert not (better & (score[:, None] < score[None, :])).any()
    shuffled = rfm_scores(s.sample(frac=1, random_state=seed), recency_col="recency_days",
                          bins=bins)
    pd.testing.assert_frame_equal(shuffled.loc[sc.index], sc)


# ------------------------------------------------------------------------------ rule tables

def _independent_partition(rules, bins=5):
    """Count, for every cell, the rules containing it (plain loops, test only)."""
    hits = {}
    for cell in itertools.product(range(1, bins + 1), repeat=3):
        hits[cell] = [rule.key for rule in rules
                      if rule.r[0] <= cell[0] <= rule.r[1] and rule.f[0] <= cell[1] <= rule.f[1]
                      and rule.m[0] <= cell[2] <= rule.m[1]]
    return hits


@pytest.mark.parametrize("name", ["standard", "china"])
def test_builtin_tables_are_partitions_with_every_segment_reachable(name):
    rules = RULE_TABLES[name]
    hits = _independent_partition(rules)
    assert len(hits) == 125
    assert all(len(h) == 1 for h in hits.values())
    reached = {h[0] for h in hits.values()}
    assert reached == {r.key for r in rules}
    cells = cell_segments(name)
    assert len(cells) == 125 and cells["rfm_cell"].is_unique
    assert set(cells["segment_key"]) == reached
    assert check_rules(name) == rules


def test_standard_table_counts_and_names():
    from crm_lib.labels import label

    assert len({r.key for r in STANDARD_SEGMENTS}) == 11
    # the rule table carries keys only; the words are the catalogue's
    assert [label(r.key) for r in STANDARD_SEGMENTS] == [
        "Champions", "Loyal customers", "Potential loyalists", "New customers", "Promising",
        "Need attention", "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost"]
    assert all(label(r.key, "zh") != r.key for r in STANDARD_SEGMENTS)
    assert SegmentRule._fields == ("key", "r", "f", "m")


def test_old_rule_form_with_names_still_works_and_warns():
    with pytest.warns(DeprecationWarning, match="Segment names in a rule table are ignored"):
        old = SegmentRule("top", "Top", "高", (4, 5), (1, 5), (1, 5))
    assert old == SegmentRule("top", (4, 5), (1, 5), (1, 5))


@pytest.mark.parametrize("cell, segment", [
    ((5, 5, 1), "rfm_champions"), ((5, 4, 5), "rfm_champions"), ((4, 5, 3), "rfm_loyal"),
    ((3, 4, 1), "rfm_loyal"), ((5, 2, 2), "rfm_potential_loyalists"),
    ((5, 1, 5), "rfm_new"), ((4, 1, 1), "rfm_promising"), ((3, 3, 3), "rfm_need_attention"),
    ((3, 1, 4), "rfm_about_to_sleep"), ((2, 4, 2), "rfm_at_risk"), ((1, 5, 5), "rfm_cant_lose"),
    ((2, 5, 1), "rfm_cant_lose"), ((2, 2, 2), "rfm_hibernating"), ((1, 1, 1), "rfm_lost"),
    ((1, 2, 5), "rfm_lost"),
])
def test_standard_cells(cell, segment):
    sc = pd.DataFrame([cell], columns=["r_score", "f_score", "m_score"])
    assert rfm_segments(sc)["segment"].item() == segment


@pytest.mark.parametrize("cell, zh, en", [
    ((5, 5, 5), "重要价值客户", "Important value"),
    ((4, 1, 4), "重要发展客户", "Important development"),
    ((1, 5, 5), "重要保持客户", "Important retention"),
    ((3, 3, 4), "重要挽留客户", "Important win-back"),
    ((5, 4, 3), "一般价值客户", "General value"),
    ((5, 2, 1), "一般发展客户", "General development"),
    ((2, 5, 2), "一般保持客户", "General retention"),
    ((1, 1, 1), "一般挽留客户", "General win-back"),
])
def test_china_cells_recency_reversed(cell, zh, en):
    from crm_lib.labels import localize

    # r_score 5 = most recent = "high R"
    sc = pd.DataFrame([cell], columns=["r_score", "f_score", "m_score"])
    seg = rfm_segments(sc, "china")
    assert seg["segment"].item() == seg["segment_key"].item()  # a key, no language
    assert localize(seg, "zh", columns=False)["segment"].item() == zh
    assert localize(seg, "en", columns=False)["segment"].item() == en
    with pytest.warns(DeprecationWarning, match="`lang` is ignored"):
        assert rfm_segments(sc, "china", lang="zh")["segment"].item() == seg["segment"].item()


def test_china_threshold_is_a_parameter():
    rules = china_rules(high_from=3)
    assert rules[0].r == (3, 5) and rules[-1].r == (1, 2)
    assert all(len(h) == 1 for h in _independent_partition(rules).values())
    assert CHINA_SEGMENTS == china_rules(4)
    with pytest.raises(DataError, match=r"`high_from` must be an integer from 2 to 5, got 1"):
        china_rules(1)


def test_user_rule_table_as_dataframe_roundtrip():
    table = rule_table("china")
    assert table["cells"].sum() == 125
    sc = pd.DataFrame({"r_score": [5, 1, 2], "f_score": [1, 5, 2], "m_score": [5, 1, 2]})
    pd.testing.assert_frame_equal(rfm_segments(sc, table), rfm_segments(sc, "china"),
                                  check_like=True)
    two_boxes = pd.DataFrame({
        "key": ["recent", "recent", "old"], "en": ["Recent", "Recent", "Old"],  # names ignored
        "r_min": [4, 3, 1], "r_max": [5, 3, 2], "f_min": [1, 1, 1], "f_max": [5, 5, 5],
        "m_min": [1, 1, 1], "m_max": [5, 5, 5]})
    got = rfm_segments(sc, two_boxes)
    assert got["segment"].tolist() == ["recent", "old", "old"]
    assert got.attrs["segments"] == ["recent", "old"]


def test_user_rule_table_errors():
    gap = list(STANDARD_SEGMENTS[:-1])  # drop "Lost": R1 F1-2 unmapped
    with pytest.raises(DataError, match=r"10 of the 125 score cells are in no segment "
                                        r"\(R1F1M1, R1F1M2, R1F1M3, R1F1M4, R1F1M5 and 5 more\)"):
        rfm_segments(pd.DataFrame({"r_score": [5], "f_score": [5], "m_score": [5]}), gap)
    overlap = list(STANDARD_SEGMENTS) + [SegmentRule("extra", (5, 5), (5, 5), (5, 5))]
    with pytest.raises(DataError, match=r"1 score cells are in more than one segment "
                                        r"\(R5F5M5: rfm_champions, extra\)"):
        check_rules(overlap)
    with pytest.raises(DataError, match=r"Rule 0 \('x'\): `f` must be a \(low, high\) pair .* "
                                        r"got \(0, 5\)"):
        check_rules([SegmentRule("x", (1, 5), (0, 5), (1, 5))])
    with pytest.raises(DataError, match=r"`rules` must be one of \['standard', 'china'\]"):
        check_rules("chinese")
    with pytest.raises(DataError, match=r"Columns 'r_min', 'r_max'.* not found in `rules`"):
        check_rules(pd.DataFrame({"key": ["a"]}))
    with pytest.raises(DataError, match=r"Rule 0 must be \(key, r, f, m\)"):
        check_rules([("a", (1, 5))])


# ---------------------------------------------------------------------- segments, summary

def test_segment_summary_hand_computed():
    sc = rfm_scores(_summary(
        recency=[1, 2, 300, 400], orders=[9, 8, 1, 1], sales=[100.0, 60.0, 30.0, 10.0],
        ids=["a", "b", "c", "d"]), recency_col="recency_days", bins=2)
    rules = [SegmentRule("top", (2, 2), (1, 2), (1, 2)),
             SegmentRule("rest", (1, 1), (1, 2), (1, 2)),
             ]
    seg = rfm_segments(sc, rules)
    t = segment_summary(seg)
    assert t["segment_key"].tolist() == ["top", "rest"]
    assert t["customers"].tolist() == [2, 2]
    assert t["share"].tolist() == [0.5, 0.5]
    assert t["sales"].tolist() == [160.0, 40.0]
    assert t["sales_share"].tolist() == [0.8, 0.2]
    assert t["recency_days"].tolist() == [1.5, 350.0]
    assert t["monetary"].tolist() == [80.0, 20.0]
    assert t["r_score"].tolist() == [2.0, 1.0]


def test_segment_summary_includes_empty_segments_and_shares_sum_to_one():
    rng = np.random.default_rng(5)
    n = 200
    s = _summary(rng.integers(0, 500, n).astype(float).tolist(),
                 rng.integers(1, 20, n).tolist(), rng.gamma(2, 50, n).tolist())
    for name in ("standard", "china"):
        seg = rfm_segments(rfm_scores(s, recency_col="recency_days"), name)
        t = segment_summary(seg)
        assert len(t) == len({r.key for r in RULE_TABLES[name]})
        assert t["customers"].sum() == n
        assert t["share"].sum() == pytest.approx(1.0)
        assert t["sales_share"].sum() == pytest.approx(1.0)
        assert t["segment"].iloc[0] == RULE_TABLES[name][0].key
        # every customer in exactly one segment
        assert seg["segment_key"].notna().all() and len(seg) == n


def test_rfm_grid():
    sc = rfm_scores(_summary([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], list(range(10, 0, -1)),
                             [1.0] * 10), recency_col="recency_days")
    g = rfm_grid(sc)
    assert len(g) == 25
    assert g["customers"].sum() == 10
    assert (g["r_score"].iloc[0], g["f_score"].iloc[0]) == (5, 1)
    diag = g[g["r_score"] == g["f_score"]]
    assert diag["customers"].tolist() == [2, 2, 2, 2, 2]
    assert g.loc[(g.r_score == 5) & (g.f_score == 5), "segment"].item() == "rfm_champions"
    china = rfm_grid(sc, "china")
    assert (china["segment"] == "").all()  # the Chinese map depends on M inside each R x F cell


# ---------------------------------------------------------------------------------- errors

def test_score_errors():
    s = _summary([1, 2], [1, 2], [1.0, 2.0])
    with pytest.raises(DataError, match=r"Column 'last_purchase' not found in `rfm input`"):
        rfm_scores(s)
    dated = s.assign(last=pd.to_datetime(["2026-01-01", "2026-02-01"]))
    with pytest.raises(DataError, match=r"`as_of` is needed to turn the dates in 'last'"):
        rfm_scores(dated, recency_col="last")
    with pytest.raises(DataError, match=r"Column 'last' in `rfm input` must be on or before "
                                        r"as_of=2026-01-15; 1 row is not \(row c01: 2026-02-01\)"):
        rfm_scores(dated, recency_col="last", as_of="2026-01-15")
    with pytest.raises(DataError, match=r"must be >= 0 \(days since the last purchase\); 1 row"):
        rfm_scores(_summary([-1, 2], [1, 2], [1.0, 2.0]), recency_col="recency_days")
    with pytest.raises(DataError, match=r"`bins` must be an integer from 2 to 9, got 10"):
        rfm_scores(s, recency_col="recency_days", bins=10)
    with pytest.raises(DataError, match=r"must have one row per customer; 1 index values repeat"):
        rfm_scores(_summary([1, 2], [1, 2], [1.0, 2.0], ids=["a", "a"]),
                   recency_col="recency_days")
    with pytest.raises(DataError, match=r"Column 'orders' in `rfm input` must be numeric"):
        rfm_scores(s.assign(orders=["1", "x"]), recency_col="recency_days")


def test_segment_errors():
    with pytest.raises(DataError, match=r"Column 'r_score' in `rfm scores` must be an integer "
                                        r"score from 1 to 5; 1 row is not \(row 1: 6\)"):
        rfm_segments(pd.DataFrame({"r_score": [5, 6], "f_score": [1, 1], "m_score": [1, 1]}))
    with pytest.raises(DataError, match=r"Columns 'segment_key', 'recency_days', .* not found in `rfm segments`"):
        segment_summary(pd.DataFrame({"r_score": [5]}))


# ------------------------------------------------------------------ distribution, names, plots

def test_score_distribution_counts_every_level():
    sc = rfm_scores(_summary([1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 2, 2, 3, 9],
                             [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), recency_col="recency_days")
    d = score_distribution(sc)
    assert len(d) == 15
    for measure in ("r_score", "f_score", "m_score"):
        part = d[d["measure"] == measure]
        assert part["score"].tolist() == [1, 2, 3, 4, 5]
        assert part["customers"].sum() == 7
        assert part["share"].sum() == pytest.approx(1.0)
        # 7 customers in 5 equal groups: sizes 2, 1, 2, 1, 1 (pos * 5 // 7)
        assert part["customers"].tolist() == [2, 1, 2, 1, 1]


def test_rules_by_name():
    assert rules_by_name() == STANDARD_SEGMENTS
    assert rules_by_name("china") == CHINA_SEGMENTS
    assert rules_by_name("china", high_from=3) == china_rules(3)
    with pytest.raises(DataError, match=r"`rules` must be one of \['standard', 'china'\], got 'x'"):
        rules_by_name("x")


@pytest.mark.parametrize("name", ["standard", "china"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plots_draw_the_results(name, lang):
    from crm_lib import plots
    from crm_lib.labels import label

    rng = np.random.default_rng(1)
    n = 120
    sc = rfm_scores(_summary(rng.integers(0, 400, n).astype(float).tolist(),
                             rng.integers(1, 30, n).tolist(), rng.gamma(2, 80, n).tolist()),
                    recency_col="recency_days")
    seg = rfm_segments(sc, name)
    table = segment_summary(seg)
    fig = plots.rfm_score_bars(score_distribution(sc), lang=lang)
    assert [sum(tr.y) for tr in fig.data] == [n, n, n]
    tm = plots.rfm_segment_treemap(table, lang=lang)
    assert sum(tm.data[0].values) == n
    shown = {label(k, lang) for k in table.loc[table["customers"] > 0, "segment"]}
    assert set(tm.data[0].labels) == shown
    bars = plots.rfm_segment_bars(table, lang=lang)
    assert sum(bars.data[1].x) == pytest.approx(1.0)
    heat = plots.rfm_grid_heatmap(rfm_grid(seg), lang=lang)
    assert np.nansum(np.asarray(heat.data[0].z, dtype=float)) == n
    assert list(heat.data[0].y) == ["5", "4", "3", "2", "1"]
    guide = plots.rfm_segment_guide(rule_table(name), lang=lang)
    names = [label(r.key, lang) for r in RULE_TABLES[name]]
    assert list(guide.data[0].cells.values[0]) == names
    assert all(v for v in guide.data[0].cells.values[-1])  # an action for every built-in segment
