"""The presentation layer on the sample company: every chart function and the table renderer,
drawn from the sample data as the notebooks draw them, and read as a Chinese reader sees them.

The Chinese edition must be Chinese: no English word may reach the visible text of a chart
(titles, axis titles, tick texts of category axes, legends, hover texts, annotations, colour-bar
titles, table headers and cells) other than names and ids from the data and a short list of
abbreviations the course itself uses (NPS, RFM, ...). Date axes must not use month names.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import crm_lib as crm
from crm_lib import labels, plots, tables

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

#: Abbreviations that stay Latin in a Chinese report (the course writes them so).
ALLOWED_WORDS = frozenset({
    "NPS", "CSAT", "RFM", "CLV", "VIP", "ABC", "SLA", "GMROI", "KPI", "ID", "BG", "NBD", "R", "F",
    "M", "P", "A", "B", "C", "D", "pp",
})

#: Chart functions that draw no figure of data (notes, helpers).
NOT_CHARTS = frozenset({"TEMPLATE", "IPA_LABELS", "style_figure", "localize_criteria", "criteria_text",
                        "churn_note", "complaints_note", "satisfaction_note",
                        "tiering_verdict_note"})  # notes (Markdown), tested with their analyses


@pytest.fixture(scope="module")
def results():
    """Every result frame the notebooks chart, computed once from the sample company."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = crm.load_dataset(SAMPLE)
        as_of = ds.month_end("2026-10")
        tx = ds.transactions
        r: dict[str, object] = {"ds": ds, "as_of": as_of}
        totals = crm.summary.totals(tx, as_of=as_of)
        r["composition"] = crm.customers.composition(ds.customers, totals, by="region",
                                                     value_cols=("sales", "gross_profit"))
        r["comp2"] = crm.customers.composition(ds.customers, totals, by=("region", "kind"))
        periods = crm.summary.period_totals(tx, freq="M", as_of=as_of)
        r["monthly"] = crm.customers.trading_performance(periods, customers=ds.customers,
                                                         freq="M", as_of=as_of)
        r["top_ids"] = crm.tiering.abc_table(totals["sales"]).index[:5]
        ind = crm.customers.customer_indicators(tx, as_of=as_of, window_months=12)
        start = ind.attrs["window_start"]
        wt = crm.summary.totals(tx, start=start, as_of=as_of)
        r["profit"] = crm.customers.cost_to_serve(wt, service_calls=ds.service_calls,
                                                  complaints=ds.complaints,
                                                  interactions=ds.interactions, start=start,
                                                  as_of=as_of)
        pt = crm.summary.totals(tx, by=("customer_id", "product_id"), as_of=as_of)
        r["cross"] = crm.customers.cross_sell_candidates(pt, products=ds.products,
                                                         customers=ds.customers)
        r["value"] = crm.customers.value_matrix(ind)
        pind = crm.tiering.pyramid_indicators(tx, ds.customers, as_of=as_of, window_months=12)
        abc_value = crm.tiering.abc_values(pind, abc_by="sales")
        r["abc"] = crm.tiering.abc_table(abc_value)
        r["abc_summary"] = crm.tiering.abc_summary(abc_value)
        pyramid = crm.tiering.pyramid_tiers(pind)
        r["tiers"] = crm.tiering.tier_summary(pyramid)
        before = crm.tiering.pyramid_tiers(crm.tiering.pyramid_indicators(
            tx, ds.customers, as_of=pd.Timestamp("2026-04-30"), window_months=12))
        r["matrix"] = crm.tiering.migration_matrix(crm.tiering.tier_migration(before["tier"],
                                                                              pyramid["tier"]))
        r["accounts"] = crm.tiering.key_accounts(pind, customers=ds.customers,
                                                 interactions=ds.interactions, as_of=as_of)
        r["levels"] = crm.tiering.service_levels(ds.service_calls, pyramid["tier"],
                                                 customers=ds.customers, as_of=as_of)
        pstart = crm.products.window_start(as_of, months=12)
        ptot = crm.summary.totals(tx, by=("product_id",), start=pstart, as_of=as_of)
        r["ranked"] = crm.products.product_profit(ptot, ds.products)
        r["categories"] = crm.products.category_profit(r["ranked"])
        pairs = crm.summary.totals(tx, by=("customer_id", "product_id"), start=pstart, as_of=as_of)
        r["mix"] = crm.products.customer_product_mix(pairs, ds.products, top=8)
        card = crm.card.customer_card(ds, "", as_of=as_of)
        r["card"] = card
        r["review"] = crm.card.supervisor_review(ds, as_of=as_of)
        scores = crm.rfm.rfm_scores(totals, as_of=as_of)
        r["rfm_dist"] = crm.rfm.score_distribution(scores)
        segments = crm.rfm.rfm_segments(scores, "standard")
        r["segments"] = segments
        r["segment_table"] = crm.rfm.segment_summary(segments)
        r["grid"] = crm.rfm.rfm_grid(segments)
        r["rules"] = crm.rfm.rule_table("china")
        summary = crm.summary.customer_summary(tx, as_of=as_of, freq="D")
        bg = crm.clv.BetaGeo().fit(summary)
        gg = crm.clv.GammaGamma().fit(summary)
        r["params"] = pd.concat([bg.summary, gg.summary])
        cal = crm.summary.customer_summary(tx, as_of=as_of, freq="D",
                                           calibration_end=as_of - pd.DateOffset(months=6))
        bg_cal = crm.clv.BetaGeo().fit(cal, frequency_col="frequency_cal",
                                       recency_col="recency_cal", T_col="T_cal")
        r["holdout"] = bg_cal.holdout_purchases(cal)
        r["period_tx"] = bg.period_transactions(summary)
        r["alive"] = bg.prob_alive_matrix()
        value = crm.clv.lifetime_value(bg, gg, summary, months=12, discount_rate=0.01,
                                       margin=crm.clv.gross_margin(summary))
        r["clv_top"] = crm.clv.top_customers(value, ds.customers, n=10)
        r["cohorts"] = crm.clv.cohort_clv(summary, clv=value)
        r["clv_tier"] = crm.clv.clv_by(value, pyramid, by="tier")
        r["clv_segment"] = crm.clv.clv_by(value, segments, by="segment")
        rep = crm.clv.replenishment(summary, model=bg, within_days=14)
        r["due"] = crm.clv.due_list(rep, ds.customers).head(10)
        groups = ds.customers.join(pyramid["tier"], on="customer_id")
        status = crm.churn.customer_status(tx, as_of=as_of, lost_customers=ds.lost_customers)
        r["economics"] = crm.churn.retention_economics(status, as_of=as_of)
        r["at_risk"] = crm.churn.at_risk_summary(status)
        r["at_risk_tier"] = crm.churn.at_risk_summary(status, by="tier", groups=groups)
        r["reasons"] = crm.churn.churn_reasons(ds.lost_customers, as_of=as_of)
        r["reasons_tier"] = crm.churn.churn_reasons(ds.lost_customers, by="tier", groups=groups,
                                                    as_of=as_of)
        r["retention"] = crm.churn.retention_matrix(tx, as_of=as_of)
        r["curves"] = crm.churn.survival(status, group_col="tier", groups=groups)
        r["churn_rate"] = crm.churn.churn_rate_by_month(status, as_of=as_of)
        r["sat_month"] = crm.satisfaction.satisfaction_by(ds.surveys, by="month", as_of=as_of)
        r["sat_tier"] = crm.satisfaction.satisfaction_by(ds.surveys, by="tier", groups=groups,
                                                         as_of=as_of)
        wstart = (as_of.to_period("M") - 11).to_timestamp()
        r["gaps"] = crm.satisfaction.quality_gaps(ds.surveys, start=wstart, as_of=as_of)
        r["ipa"] = crm.satisfaction.importance_performance(ds.surveys, start=wstart, as_of=as_of)
        r["loyalty"] = crm.satisfaction.loyalty_by_nps(ds.surveys, tx, lost=status, as_of=as_of)
        comp = ds.complaints
        r["by_category"] = crm.complaints.complaint_volume(comp, by="category", as_of=as_of)
        r["by_month"] = crm.complaints.complaint_volume(comp, by="month", as_of=as_of)
        r["by_channel"] = crm.complaints.complaint_volume(comp, by=("channel", "severity"),
                                                          as_of=as_of)
        r["kpis"] = crm.complaints.handling_kpis(comp, as_of=as_of)
        r["funnel"] = crm.complaints.handling_funnel(comp)
        r["taboos"] = crm.complaints.taboos(comp, as_of=as_of)
        r["ice"] = crm.complaints.iceberg(comp, transactions=tx, customers=len(ds.customers),
                                          as_of=as_of)
        r["churn_by_resolution"] = crm.complaints.churn_by_resolution(comp, status, as_of=as_of)
    return r


def _charts(r: dict, lang: str) -> dict[str, go.Figure]:
    """Every chart function, called as the notebooks call it."""
    ds = r["ds"]
    names = ds.customers.set_index("customer_id")[["name"]]
    return {
        "quality_table": plots.quality_table(ds.quality, lang=lang),
        "table_sizes": plots.table_sizes(ds.tables(), lang=lang),
        "table": plots.table(r["ranked"].head(20), lang=lang),
        "composition_bars": plots.composition_bars(r["composition"], by="region", lang=lang),
        "composition_sunburst": plots.composition_sunburst(r["comp2"], path=("region", "kind"),
                                                           lang=lang),
        "trading_lines": plots.trading_lines(r["monthly"], customer_ids=r["top_ids"], lang=lang),
        "whale_curve": plots.whale_curve(r["profit"], lang=lang),
        "cross_sell_bars": plots.cross_sell_bars(r["cross"], lang=lang),
        "value_matrix_chart": plots.value_matrix_chart(r["value"], lang=lang),
        "abc_pareto": plots.abc_pareto(r["abc"], lang=lang),
        "abc_summary_bars": plots.abc_summary_bars(r["abc_summary"], lang=lang),
        "pyramid_chart": plots.pyramid_chart(r["tiers"], lang=lang),
        "migration_sankey": plots.migration_sankey(r["matrix"], lang=lang),
        "migration_heatmap": plots.migration_heatmap(r["matrix"], lang=lang),
        "key_account_bars": plots.key_account_bars(r["accounts"], lang=lang),
        "service_level_bars": plots.service_level_bars(r["levels"], lang=lang),
        "cross_ratio_scatter": plots.cross_ratio_scatter(r["ranked"], lang=lang),
        "category_margin_bars": plots.category_margin_bars(r["categories"], lang=lang),
        "product_mix_bars": plots.product_mix_bars(r["mix"], lang=lang),
        "card_history": plots.card_history(r["card"]["history"], lang=lang),
        "review_tiers": plots.review_tiers(r["review"]["tiers"], lang=lang),
        "rfm_score_bars": plots.rfm_score_bars(r["rfm_dist"], lang=lang),
        "rfm_segment_treemap": plots.rfm_segment_treemap(r["segment_table"], lang=lang),
        "rfm_segment_bars": plots.rfm_segment_bars(r["segment_table"], lang=lang),
        "rfm_grid_heatmap": plots.rfm_grid_heatmap(r["grid"], lang=lang),
        "rfm_segment_guide": plots.rfm_segment_guide(r["rules"], lang=lang),
        "clv_param_table": plots.clv_param_table(r["params"], lang=lang),
        "clv_holdout_chart": plots.clv_holdout_chart(r["holdout"], lang=lang),
        "clv_period_transactions": plots.clv_period_transactions(r["period_tx"], lang=lang),
        "clv_prob_alive_heatmap": plots.clv_prob_alive_heatmap(r["alive"], lang=lang),
        "clv_top_customers": plots.clv_top_customers(r["clv_top"], label_col="name", lang=lang),
        "clv_cohort_bars": plots.clv_cohort_bars(r["cohorts"], lang=lang),
        "clv_by_group_bars": plots.clv_by_group_bars(r["clv_tier"], by="tier", lang=lang),
        "clv_by_group_bars:segment": plots.clv_by_group_bars(r["clv_segment"], by="segment",
                                                             lang=lang),
        "clv_replenishment_chart": plots.clv_replenishment_chart(r["due"], label_col="name",
                                                                 lang=lang),
        "bar": plots.bar(r["at_risk"], x="status", y="annual_gross_profit", lang=lang,
                         title="churn_value_at_risk_title"),
        "bar:stacked": plots.bar(r["at_risk_tier"], x="tier", y="annual_gross_profit",
                                 color="status", barmode="stack", lang=lang,
                                 title="churn_value_at_risk_title"),
        "pareto": plots.pareto(r["reasons"], x="reason", y="lost_customers", lang=lang,
                               title="churn_reasons_pareto_title"),
        "reasons_vs_reference": plots.reasons_vs_reference(r["reasons"], lang=lang),
        "bar:reasons": plots.bar(r["reasons_tier"], x="tier", y="share", color="reason",
                                 barmode="stack", lang=lang, title="churn_reasons_title"),
        "retention_heatmap": plots.retention_heatmap(r["retention"], lang=lang),
        "survival_chart": plots.survival_chart(r["curves"], group_col="tier", lang=lang),
        "line": plots.line(r["churn_rate"], x="period", y="churn_rate", lang=lang,
                           title="churn_rate_title"),
        "score_bars": plots.score_bars(r["sat_month"], x="month", score="nps", lang=lang,
                                       title="sat_nps_title"),
        "score_bars:tier": plots.score_bars(r["sat_tier"], x="tier", score="csat", lang=lang,
                                            title="sat_csat_title"),
        "gap_bars": plots.gap_bars(r["gaps"], lang=lang),
        "ipa_map": plots.ipa_map(r["ipa"], lang=lang),
        "quadrant_scatter": plots.quadrant_scatter(r["ranked"], x="turnover", y="gross_margin",
                                                   lang=lang),
        "score_bars:loyalty": plots.score_bars(r["loyalty"], x="nps_group", score="churn_rate",
                                               lower="churn_lower", upper="churn_upper",
                                               percent=True, lang=lang,
                                               title="sat_loyalty_title"),
        "bar:category": plots.bar(r["by_category"], x="category", y="complaints", lang=lang,
                                  title="complaints_by_category_title", text_auto=True),
        "line:complaints": plots.line(r["by_month"], x="month", y="complaints", lang=lang,
                                      title="complaints_by_month_title"),
        "bar:channel": plots.bar(r["by_channel"], x="channel", y="complaints", color="severity",
                                 barmode="stack", lang=lang, title="complaints_by_channel_title"),
        "sla_chart": plots.sla_chart(r["kpis"], lang=lang),
        "steps_funnel": plots.steps_funnel(r["funnel"], lang=lang),
        "bar:taboos": plots.bar(r["taboos"], x="taboo", y="share", lang=lang,
                                title="complaints_taboos_title", text_auto=".0%"),
        "iceberg_chart": plots.iceberg_chart(r["ice"], lang=lang),
        "funnel": plots.funnel(r["funnel"].assign(stage="handling_step_" + r["funnel"]["step"]),
                               stage="stage", value="reached", lang=lang),
        "heatmap": plots.heatmap(r["grid"], x="f_score", y="r_score", z="customers", lang=lang),
        "score_bars:resolution": plots.score_bars(r["churn_by_resolution"], x="resolution",
                                                  score="churn_rate", lower="churn_lower",
                                                  upper="churn_upper", small=None, percent=True,
                                                  lang=lang, title="complaints_churn_title"),
    } | {f"table:{k}": plots.table(v, lang=lang) for k, v in _tables(r, names).items()}


def _tables(r: dict, names: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The result tables the reports show."""
    return {
        "abc_summary": r["abc_summary"], "tiers": r["tiers"],
        "accounts": r["accounts"].head(10).drop(columns="criteria"),
        "categories": r["categories"], "segments": r["segment_table"],
        "clv_top": r["clv_top"], "due": r["due"], "at_risk": r["at_risk"],
        "kpis": r["kpis"], "ice": r["ice"], "ipa": r["ipa"], "reps": r["review"]["reps"],
        "lifecycle_rules": tables.parameter_table(crm.customers.LIFECYCLE_RULES,
                                                  name="lifecycle_rule"),
        "unit_costs": tables.parameter_table(crm.customers.UNIT_COSTS, name="unit_cost_item",
                                             value="unit_cost_value"),
    }


_MARKUP = re.compile(r"<[^>]+>|%\{[^}]*\}|&[a-z]+;")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _visible_texts(fig: go.Figure) -> list[str]:
    """Every text of a figure that a reader sees (titles, axes, legends, ticks, hovers, cells)."""
    out: list[str] = []

    def add(value):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple, np.ndarray)):
            for v in value:
                add(v)

    layout = fig.layout
    add(layout.title.text)
    add(layout.legend.title.text)
    for ann in layout.annotations or ():
        add(ann.text)
    for shape in layout.shapes or ():
        add(getattr(getattr(shape, "label", None), "text", None))
    for name in dir(layout):
        if name.startswith(("xaxis", "yaxis")):
            axis = getattr(layout, name)
            add(axis.title.text)
            add(axis.ticktext)
            fmt = axis.tickformat or ""
            assert not re.search(r"%[bBaA]", fmt), f"month or day names on a date axis: {fmt!r}"
    if layout.coloraxis and layout.coloraxis.colorbar:
        add(layout.coloraxis.colorbar.title.text)
    for trace in fig.data:
        add(getattr(trace, "name", None))
        for attr in ("x", "y", "labels", "text", "hovertext", "hovertemplate", "texttemplate"):
            value = getattr(trace, attr, None)
            if value is not None and (isinstance(value, str) or not np.issubdtype(
                    np.asarray(value).dtype, np.number)):
                add(list(value) if not isinstance(value, str) else value)
        if trace.type == "table":
            add(list(trace.header.values))
            for col in trace.cells.values:
                add(list(col))
        if trace.type == "sankey":
            add(list(trace.node.label))
        bar = getattr(getattr(trace, "marker", None), "colorbar", None) or getattr(
            trace, "colorbar", None)
        if bar is not None:
            add(bar.title.text)
    return [t for t in out if t]


def _data_words(r: dict) -> set[str]:
    """Words of names and ids in the data (customers, products, reps): allowed in any language."""
    ds = r["ds"]
    values = pd.concat([
        ds.customers["name"], ds.customers["customer_id"], ds.customers["sales_rep"],
        ds.products["name"], ds.products["product_id"],
    ]).dropna().astype(str)
    return {w for v in values for w in _WORD.findall(v)}


def _english_words(texts: list[str], allowed: set[str]) -> set[str]:
    found = set()
    for text in texts:
        for word in _WORD.findall(_MARKUP.sub(" ", text)):
            # upper-case abbreviations with digits (R5, F2) and one-letter model symbols (r, a)
            if word not in allowed and not re.fullmatch(r"[A-Z]{1,3}\d*|[a-z]", word):
                found.add(word)
    return found


def test_every_chart_function_is_drawn(results):
    drawn = {k.split(":")[0] for k in _charts(results, "en")}
    charts = set(plots.__all__) - NOT_CHARTS
    assert charts - drawn == set(), "chart functions not covered by this test"


@pytest.mark.parametrize("lang", ["zh"])
def test_chinese_edition_has_no_english_words(results, lang):
    allowed = set(ALLOWED_WORDS) | _data_words(results)
    before = set(labels.missing_keys())
    problems = {}
    for name, fig in _charts(results, lang).items():
        words = _english_words(_visible_texts(fig), allowed)
        if words:
            problems[name] = sorted(words)[:8]
    assert problems == {}, f"English words in the Chinese charts: {problems}"
    new_missing = sorted(k for k in set(labels.missing_keys()) - before if re.fullmatch(r"[a-z_]+", k))
    assert new_missing == [], f"catalogue keys asked for and missing: {new_missing}"


def test_chinese_html_tables_have_no_english_words(results):
    allowed = set(ALLOWED_WORDS) | _data_words(results)
    names = results["ds"].customers.set_index("customer_id")[["name"]]
    problems = {}
    for name, df in _tables(results, names).items():
        html = tables.render(df, lang="zh")
        cells = re.findall(r"<(?:th|td|caption)[^>]*>(.*?)</(?:th|td|caption)>", html, flags=re.S)
        words = _english_words(cells, allowed)
        if words:
            problems[name] = sorted(words)[:8]
    assert problems == {}, f"English words in the Chinese tables: {problems}"


def test_bilingual_and_english_editions_render(results):
    for lang in ("en", "zh+en"):
        figs = _charts(results, lang)
        assert all(isinstance(f, go.Figure) for f in figs.values())
    zh_en = _charts(results, "zh+en")["composition_bars"]
    assert "（" in zh_en.layout.xaxis.title.text and "Region" in zh_en.layout.xaxis.title.text


def test_the_same_key_has_the_same_colour_in_every_chart(results):
    figs = _charts(results, "zh")
    lost = labels.label("lost", "zh")
    # "lost" is red in the stacked status bars and in the status bars
    stacked = {t.name: t.marker.color for t in figs["bar:stacked"].data}
    assert stacked[lost] == labels.WARNING_COLORS["lost"]
    assert stacked[labels.label("at_risk", "zh")] == labels.WARNING_COLORS["at_risk"]
    status = figs["bar"].data[0]
    assert dict(zip(status.x, status.marker.color, strict=True))[lost] == "#c0392b"
    # a loss reason keeps its colour from the Pareto chart to the reference and stacked charts
    pareto = dict(zip(figs["pareto"].data[0].x, figs["pareto"].data[0].marker.color, strict=True))
    ref = figs["reasons_vs_reference"].data[0]
    reference = dict(zip(ref.y, ref.marker.color, strict=True))
    stacked_reasons = {t.name: t.marker.color for t in figs["bar:reasons"].data}
    for reason in results["reasons"]["reason"]:
        shown = labels.label(reason, "zh")
        assert pareto[shown] == reference[shown] == stacked_reasons[shown] == \
            labels.color_for(reason)
    # tiers: the pyramid, the sankey and the review chart agree
    tiers = list(results["tiers"].index)
    assert list(figs["pyramid_chart"].data[0].marker.color) == [labels.color_for(t) for t in tiers]
    review = {t.name: t.marker.color for t in figs["review_tiers"].data}
    for t in tiers:
        if labels.label(t, "zh") in review:
            assert review[labels.label(t, "zh")] == labels.color_for(t)
    # product categories: the same in the mix chart and the cross-ratio scatter
    mix = {t.name: t.marker.color for t in figs["product_mix_bars"].data if t.type == "bar"}
    scatter = {t.name: t.marker.color for t in figs["cross_ratio_scatter"].data}
    for name in set(mix) & set(scatter):
        assert mix[name] == scatter[name]
    assert set(mix) & set(scatter)


def test_titles_name_their_grouping(results):
    figs = _charts(results, "en")
    assert figs["score_bars"].layout.title.text.startswith("NPS by month")
    assert figs["score_bars:tier"].layout.title.text.startswith("CSAT (share of 4-5) by tier")
    assert "Pareto" in figs["pareto"].layout.title.text
    assert figs["bar:reasons"].layout.title.text == "Why customers were lost, by tier"
    assert "Pareto" not in figs["bar:reasons"].layout.title.text


def test_pyramid_labels_are_not_clipped_and_cohort_numbers_readable(results):
    figs = _charts(results, "en")
    funnel = figs["pyramid_chart"].data[0]
    assert funnel.cliponaxis is False and funnel.textposition == "auto"
    heat = figs["retention_heatmap"]
    assert heat.data[0].textfont.size >= 11
    cohorts = len(results["retention"])
    assert heat.layout.height >= 22 * cohorts  # rows at least 22 px each


def test_criteria_text_from_the_flags_agrees_with_the_joined_keys(results):
    from crm_lib.tiering import CRITERIA_SEPARATOR

    ka = results["accounts"]
    for lang in ("en", "zh"):
        from_flags = plots.criteria_text(ka, lang=lang)
        sep = labels.label("criteria_separator", lang)
        from_keys = ka["criteria"].map(lambda v, sep=sep, lang=lang: sep.join(
            labels.label(k, lang) for k in v.split(CRITERIA_SEPARATOR) if k))
        assert from_flags.tolist() == from_keys.tolist()
        assert (from_flags != "").sum() == (ka["criteria_met"] > 0).sum()


def test_every_retention_figure_has_its_formula_in_words(results):
    """The formulas of retention_economics, written out in both languages (its `note` column is
    English shorthand such as ``P(r) = N m sum_t (r/(1+d))^t``)."""
    metrics = results["economics"]["metric"].tolist()
    missing = [m for m in metrics if not labels.has_label(f"retention_formula_{m}")]
    assert missing == []
    zh = labels.label("retention_formula_profit_baseline", "zh")
    assert "保持率" in zh and "折现率" in zh and not re.search(r"[A-Za-z]", zh)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_satisfaction_charts_by_month_tier_region_and_rep_have_distinct_titles(lang):
    # the four groupings of 80_satisfaction, each with the NPS and the CSAT title
    row = {"nps": [10.0], "nps_lower": [0.0], "nps_upper": [20.0], "csat": [0.8],
           "csat_lower": [0.7], "csat_upper": [0.9], "small_group": [False]}
    titles = []
    for by in ("month", "tier", "region", "sales_rep"):
        df = pd.DataFrame({by: ["g"], **row})
        for score in ("nps", "csat"):
            fig = plots.score_bars(df, x=by, score=score, lang=lang, title=f"sat_{score}_title")
            titles.append(fig.layout.title.text)
            assert "{by}" not in fig.layout.title.text
            assert crm.labels.label(by, lang).lower()[:2] in fig.layout.title.text.lower()
    assert len(set(titles)) == 8
