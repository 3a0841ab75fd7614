"""Charts of the RFM notebook: score levels, segment treemap and bars, the R x F grid, and the
segment guide (rules, descriptions, suggested actions). They draw the frames that
:mod:`crm_lib.rfm` returns and compute no analysis results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_lib._errors import DataError, require_columns
from crm_lib.labels import color_for, has_label, label
from crm_lib.plots._common import _text, style_figure, table
from crm_lib.plots._shared import _t

__all__ = [
    "rfm_score_bars",
    "rfm_segment_treemap",
    "rfm_segment_bars",
    "rfm_grid_heatmap",
    "rfm_segment_guide",
]

_MEASURE_COLORS = {"r_score": "#1f5f8b", "f_score": "#e07b39", "m_score": "#3a9d5d"}


def _segment_names(values: pd.Series, lang: str) -> list[str]:
    """Segment keys as the reader's words (a value that is not a catalogue key as written)."""
    return [_text(label(v, lang)) if has_label(v) else _text(v) for v in values.astype(str)]


def rfm_score_bars(dist: pd.DataFrame, *, lang: str = "en",
                   title: str | None = "rfm_score_distribution_title") -> go.Figure:
    """Customers per score level, one group of bars per level, one colour per measure.

    Parameters
    ----------
    dist : DataFrame
        :func:`crm_lib.rfm.score_distribution` (``measure``, ``score``, ``customers``, ``share``).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> from crm_lib.rfm import score_distribution
    >>> sc = pd.DataFrame({"r_score": [1, 2], "f_score": [1, 2], "m_score": [2, 1]})
    >>> [tr.name for tr in rfm_score_bars(score_distribution(sc)).data]
    ['R score (recency)', 'F score (frequency)', 'M score (monetary)']
    """
    require_columns(dist, ["measure", "score", "customers", "share"], table="score distribution",
                    hint="Pass the result of crm_lib.rfm.score_distribution.")
    fig = go.Figure()
    for measure, color in _MEASURE_COLORS.items():  # the three measures
        part = dist.loc[dist["measure"] == measure]
        fig.add_trace(go.Bar(
            x=part["score"].astype(str).tolist(), y=part["customers"].tolist(),
            name=_t(measure, lang), marker_color=color,
            customdata=part["share"].to_numpy(),
            hovertemplate="%{x}: %{y:,} (%{customdata:.1%})<extra></extra>",
        ))
    fig.update_layout(barmode="group",
                      xaxis={"title": {"text": _t("rfm_score_level", lang)}, "type": "category"},
                      yaxis={"title": {"text": _t("customers", lang)}},
                      legend={"orientation": "h", "y": -0.2})
    return style_figure(fig, title=title, lang=lang)


def rfm_segment_treemap(summary: pd.DataFrame, *, lang: str = "en",
                        title: str | None = "rfm_segment_treemap_title") -> go.Figure:
    """Treemap of the segments: area = customers, colour = share of sales.

    Parameters
    ----------
    summary : DataFrame
        :func:`crm_lib.rfm.segment_summary` (``segment``, ``customers``, ``share``, ``sales``,
        ``sales_share``); empty segments have no area.
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["A", "B"], "customers": [3, 1], "share": [0.75, 0.25],
    ...                   "sales": [10.0, 30.0], "sales_share": [0.25, 0.75]})
    >>> list(rfm_segment_treemap(t).data[0].values)
    [3, 1]
    """
    require_columns(summary, ["segment", "customers", "share", "sales", "sales_share"],
                    table="segment summary",
                    hint="Pass the result of crm_lib.rfm.segment_summary.")
    data = summary.loc[summary["customers"] > 0]
    if data.empty:
        raise DataError("The segment summary has no customers to draw.")
    names = _segment_names(data["segment"], lang)
    fig = go.Figure(go.Treemap(
        labels=names, parents=[""] * len(names), values=data["customers"].tolist(),
        marker={"colors": data["sales_share"].tolist(), "colorscale": "Blues",
                "colorbar": {"title": {"text": _t("sales_share", lang)}, "tickformat": ".0%"}},
        customdata=np.column_stack([data["share"], data["sales"], data["sales_share"]]),
        texttemplate="%{label}<br>%{value:,}<br>%{customdata[0]:.1%}",
        hovertemplate=(f"%{{label}}<br>{_t('customers', lang)}: %{{value:,}} "
                       f"(%{{customdata[0]:.1%}})<br>{_t('sales', lang)}: %{{customdata[1]:,.0f}} "
                       f"(%{{customdata[2]:.1%}})<extra></extra>"),
        sort=False,
    ))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return style_figure(fig, title=title, lang=lang)


def rfm_segment_bars(summary: pd.DataFrame, *, lang: str = "en",
                     title: str | None = "rfm_segment_bars_title") -> go.Figure:
    """Horizontal bars per segment: share of customers next to share of sales.

    Parameters
    ----------
    summary : DataFrame
        :func:`crm_lib.rfm.segment_summary`.
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    plotly Figure
        Segments in the order of the rule table, top to bottom.

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["A", "B"], "share": [0.75, 0.25], "sales_share": [0.25, 0.75]})
    >>> [tr.name for tr in rfm_segment_bars(t).data]
    ['Share of customers', 'Share of sales']
    """
    require_columns(summary, ["segment", "share", "sales_share"], table="segment summary",
                    hint="Pass the result of crm_lib.rfm.segment_summary.")
    names = _segment_names(summary["segment"], lang)[::-1]
    fig = go.Figure()
    for col, color in (("share", color_for("customer_share")), ("sales_share", color_for("sales_share"))):
        key = "customer_share" if col == "share" else col
        fig.add_trace(go.Bar(y=names, x=summary[col].tolist()[::-1], orientation="h",
                             name=_t(key, lang), marker_color=color,
                             hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_layout(barmode="group", xaxis={"tickformat": ".0%"},
                      height=max(300, 60 + 45 * len(names)),
                      legend={"orientation": "h", "y": -0.15})
    return style_figure(fig, title=title, lang=lang)


def rfm_grid_heatmap(grid: pd.DataFrame, *, z: str = "customers", lang: str = "en",
                     title: str | None = "rfm_grid_title") -> go.Figure:
    """Heat map of the R x F grid (R from 5 at the top, F from 1 at the left), cells labelled
    with their value and segment.

    Parameters
    ----------
    grid : DataFrame
        :func:`crm_lib.rfm.rfm_grid` (``r_score``, ``f_score``, ``segment`` and ``z``).
    z : str, default "customers"
        Value coloured: ``customers``, ``share``, ``monetary`` or ``sales``.
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> from crm_lib.rfm import rfm_grid
    >>> sc = pd.DataFrame({"monetary": [1.0], "r_score": [5], "f_score": [5], "m_score": [1]})
    >>> fig = rfm_grid_heatmap(rfm_grid(sc))
    >>> float(fig.data[0].z[0][4])
    1.0
    """
    require_columns(grid, ["r_score", "f_score", "segment", z], table="rfm grid",
                    hint="Pass the result of crm_lib.rfm.rfm_grid.")
    rs = sorted(pd.unique(grid["r_score"]), reverse=True)
    fs = sorted(pd.unique(grid["f_score"]))
    wide = grid.pivot(index="r_score", columns="f_score", values=z).reindex(index=rs, columns=fs)
    seg = grid.pivot(index="r_score", columns="f_score", values="segment").reindex(
        index=rs, columns=fs)
    fmt = "{:.0%}" if z == "share" else "{:,.0f}"
    values = wide.to_numpy(dtype=float)
    text = np.where(np.isnan(values), "", np.vectorize(
        lambda v: fmt.format(v) if not np.isnan(v) else "")(values))
    seg_keys = seg.fillna("").to_numpy().astype(str)
    seg_names = np.array(_segment_names(pd.Series(seg_keys.ravel()), lang), dtype=object)
    seg_names[seg_keys.ravel() == ""] = ""
    text = np.char.add(np.char.add(text.astype(str), "<br>"),
                       seg_names.reshape(seg_keys.shape).astype(str))
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(f) for f in fs], y=[str(r) for r in rs], text=text,
        texttemplate="%{text}", colorscale="Blues",
        colorbar={"title": {"text": _t(z, lang)}},
        hovertemplate=(f"R %{{y}} · F %{{x}}<br>{_t(z, lang)}: %{{z:,.2f}}<extra></extra>"),
    ))
    fig.update_layout(xaxis={"title": {"text": _t("f_score", lang)}, "type": "category"},
                      yaxis={"title": {"text": _t("r_score", lang)}, "type": "category"})
    return style_figure(fig, title=title, lang=lang)


def _range(lo: pd.Series, hi: pd.Series) -> list[str]:
    return [f"{a}" if a == b else f"{a}–{b}" for a, b in zip(lo, hi, strict=True)]


def rfm_segment_guide(rules: pd.DataFrame, *, lang: str = "en",
                      title: str | None = "rfm_guide_title") -> go.Figure:
    """Table of the segments: their score ranges, a description and a suggested action.

    Parameters
    ----------
    rules : DataFrame
        :func:`crm_lib.rfm.rule_table`. Names, descriptions and actions come from the catalogue
        keys ``<key>``, ``<key>_desc`` and ``<key>_action`` (the key itself, and blanks, for a
        segment the catalogue does not know).
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> from crm_lib.rfm import rule_table
    >>> fig = rfm_segment_guide(rule_table("china"), lang="zh")
    >>> fig.data[0].cells.values[0][0]
    '重要价值客户'
    """
    require_columns(rules, ["key", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"],
                    table="rule table", hint="Pass the result of crm_lib.rfm.rule_table.")
    keys = rules["key"].astype(str).tolist()
    shown = pd.DataFrame({
        "segment": [label(k, lang) for k in keys],
        "rfm_r_range": _range(rules["r_min"], rules["r_max"]),
        "rfm_f_range": _range(rules["f_min"], rules["f_max"]),
        "rfm_m_range": _range(rules["m_min"], rules["m_max"]),
        "rfm_description": [label(f"{k}_desc", lang) if has_label(f"{k}_desc") else ""
                            for k in keys],
        "rfm_action": [label(f"{k}_action", lang) if has_label(f"{k}_action") else ""
                       for k in keys],
    })
    fig = table(shown, lang=lang, title=title, max_rows=max(len(shown), 1), index=False)
    fig.update_layout(height=min(140 + 48 * (len(shown) + 1), 1100))
    fig.update_traces(columnwidth=[1.3, 0.45, 0.45, 0.45, 2.6, 3.0])
    return fig
