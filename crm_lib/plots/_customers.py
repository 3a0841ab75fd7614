"""Charts of the customer-analysis notebook: composition, trading lines, the whale curve of profit
after cost to serve, cross-selling and the value matrix. They draw the frames that
:mod:`crm_lib.customers` returns and compute no analysis results."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from crm_lib._errors import require_columns
from crm_lib.labels import color_for, date_tickformat, label, localize
from crm_lib.plots._common import (
    _discrete_map,
    _escape_frame,
    _text,
    quadrant_scatter,
    style_figure,
)
from crm_lib.plots._shared import _t

__all__ = [
    "composition_bars",
    "composition_sunburst",
    "trading_lines",
    "whale_curve",
    "cross_sell_bars",
    "value_matrix_chart",
]



def composition_bars(
    comp: pd.DataFrame,
    *,
    by: str,
    value: str = "sales",
    lang: str = "en",
    title: str | None = "composition_title",
) -> go.Figure:
    """Share of customers and share of value per group, side by side.

    Parameters
    ----------
    comp : DataFrame
        :func:`crm_lib.customers.composition` with one ``by`` column (rows in display order).
    by : str
        The group column.
    value : str
        The value whose share is drawn next to the share of customers.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> c = pd.DataFrame({"kind": ["company"], "customers": [2], "customer_share": [1.0],
    ...                   "sales": [5.0], "sales_share": [1.0]})
    >>> list(composition_bars(c, by="kind").data[0].x)
    ['Company']
    """
    share = f"{value}_share"
    require_columns(comp, [by, "customer_share", share], table="composition",
                    hint="Pass the result of crm_lib.customers.composition.")
    groups = [_text(v) for v in localize(comp[[by]], lang, columns=False)[by].astype(str)]
    fig = go.Figure([
        go.Bar(x=groups, y=comp["customer_share"].tolist(), name=_t("customer_share", lang),
               texttemplate="%{y:.0%}", marker_color=color_for("customer_share")),
        go.Bar(x=groups, y=comp[share].tolist(), name=_t(share, lang), texttemplate="%{y:.0%}",
               marker_color=color_for(share)),
    ])
    fig.update_layout(barmode="group", yaxis={"tickformat": ".0%"},
                      xaxis={"title": {"text": _t(by, lang)}, "type": "category"})
    style_figure(fig, lang=lang)
    if title:
        fig.update_layout(title_text=_t(title, lang, by=label(by, lang)))
    return fig


def composition_sunburst(
    comp: pd.DataFrame,
    *,
    path: Sequence[str],
    value: str = "sales",
    lang: str = "en",
    title: str | None = "composition_sunburst_title",
) -> go.Figure:
    """Sunburst of a value over nested groups (e.g. region, then kind).

    Parameters
    ----------
    comp : DataFrame
        :func:`crm_lib.customers.composition` with ``by=path``.
    path : sequence of str
        The group columns, outermost first.
    value : str
        The value sized by the sectors (negative totals are drawn as zero).

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> c = pd.DataFrame({"region": ["N", "N"], "kind": ["company", "individual"],
    ...                   "sales": [2.0, 3.0]})
    >>> composition_sunburst(c, path=["region", "kind"]).data[0].type
    'sunburst'
    """
    cols = list(path)
    require_columns(comp, [*cols, value], table="composition",
                    hint="Pass the result of crm_lib.customers.composition.")
    data = _escape_frame(localize(comp[[*cols, value]], lang, columns=False))
    data[value] = data[value].clip(lower=0)
    fig = px.sunburst(data, path=cols, values=value, color=cols[0],
                      color_discrete_map=_discrete_map(comp, cols[0], lang))
    fig.update_traces(hovertemplate=f"%{{label}}<br>{_t(value, lang)}: %{{value:,.0f}}"
                      "<extra></extra>")
    style_figure(fig, lang=lang)
    if title:
        by = " / ".join(label(c, lang) for c in cols)
        fig.update_layout(title_text=_t(title, lang, by=by))
    return fig


def trading_lines(
    performance: pd.DataFrame,
    *,
    customer_ids: Sequence[str],
    value: str = "sales",
    period: str = "month",
    customer_col: str = "customer_id",
    lang: str = "en",
    title: str | None = "trading_title",
) -> go.Figure:
    """One line per chosen customer: sales (or gross profit) per period.

    Parameters
    ----------
    performance : DataFrame
        :func:`crm_lib.customers.trading_performance`.
    customer_ids : sequence of str
        The customers to draw (e.g. the first rows of an ABC table).
    value : {"sales", "gross_profit", "share", ...}
    period : {"month", "year"}
        Catalogue key naming the period in the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> tp = pd.DataFrame({"customer_id": ["a", "a"], "period": pd.to_datetime(["2026-01-01",
    ...     "2026-02-01"]), "sales": [1.0, 2.0]})
    >>> len(trading_lines(tp, customer_ids=["a"]).data)
    1
    """
    require_columns(performance, [customer_col, "period", value], table="trading performance",
                    hint="Pass the result of crm_lib.customers.trading_performance.")
    data = performance.loc[performance[customer_col].isin(list(customer_ids)),
                           [customer_col, "period", value]]
    data = _escape_frame(data)
    fig = px.line(data, x="period", y=value, color=customer_col, markers=True,
                  labels={"period": _t("period", lang), value: _t(value, lang),
                          customer_col: _t(customer_col, lang)})
    fig.update_layout(xaxis={"tickformat": date_tickformat(lang),
                             "hoverformat": date_tickformat(lang, kind="date")})
    style_figure(fig, lang=lang)
    if title:
        fig.update_layout(title_text=_t(title, lang, period=label(period, lang)))
    return fig


def whale_curve(
    profitability: pd.DataFrame,
    *,
    lang: str = "en",
    title: str | None = "cost_to_serve_title",
) -> go.Figure:
    """Whale curve: cumulative profit after cost to serve, customers from most to least profitable.

    The curve climbs above 100% of the total through the profitable customers and falls back
    through those who cost more than they bring.

    Parameters
    ----------
    profitability : DataFrame
        :func:`crm_lib.customers.cost_to_serve` (sorted by rank), with ``net_profit`` and
        ``profit_group``.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> p = pd.DataFrame({"net_profit": [10.0, 0.0, -2.0],
    ...                   "profit_group": ["gold", "middle", "bottom"]})
    >>> [round(v, 2) for v in whale_curve(p).data[0].y]
    [1.25, 1.25, 1.0]
    """
    require_columns(profitability, ["net_profit", "profit_group"], table="cost to serve",
                    hint="Pass the result of crm_lib.customers.cost_to_serve.")
    n = len(profitability)
    total = profitability["net_profit"].sum()
    cum = profitability["net_profit"].cumsum() / total if total else profitability["net_profit"] * 0
    xs = [(i + 1) / n for i in range(n)] if n else []
    fig = go.Figure(go.Scattergl(
        x=xs, y=cum.tolist(), mode="lines", name=_t("net_profit", lang),
        line={"color": color_for("gross_profit"), "width": 2},
    ))
    fig.add_hline(y=1.0, line_dash="dash", line_color="#888")
    fig.update_layout(
        xaxis={"title": {"text": _t("customer_rank_share", lang)}, "tickformat": ".0%"},
        yaxis={"title": {"text": _t("cumulative_share", lang)}, "tickformat": ".0%"},
    )
    return style_figure(fig, title=title, lang=lang)


def cross_sell_bars(
    candidates: pd.DataFrame,
    *,
    lang: str = "en",
    title: str | None = "cross_sell_title",
) -> go.Figure:
    """Customers by number of categories bought, cross-sell candidates highlighted.

    Parameters
    ----------
    candidates : DataFrame
        :func:`crm_lib.customers.cross_sell_candidates`.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> c = pd.DataFrame({"categories": [1, 1, 3], "candidate": [True, False, False]})
    >>> [list(t.y) for t in cross_sell_bars(c).data]
    [[1], [1, 1]]
    """
    require_columns(candidates, ["categories", "candidate"], table="cross-sell candidates",
                    hint="Pass the result of crm_lib.customers.cross_sell_candidates.")
    cand = candidates["candidate"].astype(bool)
    yes = candidates.loc[cand, "categories"].value_counts().sort_index()
    no = candidates.loc[~cand, "categories"].value_counts().sort_index()
    fig = go.Figure([
        go.Bar(x=yes.index.tolist(), y=yes.tolist(), name=_t("candidate", lang),
               marker_color=color_for("grow")),
        go.Bar(x=no.index.tolist(), y=no.tolist(), name=_t("other", lang),
               marker_color=color_for("customer_share")),
    ])
    fig.update_layout(barmode="stack", xaxis={"title": {"text": _t("categories", lang)},
                                              "dtick": 1},
                      yaxis={"title": {"text": _t("customers", lang)}})
    return style_figure(fig, title=title, lang=lang)


def value_matrix_chart(
    matrix: pd.DataFrame,
    *,
    split: float = 0.5,
    customer_col: str = "customer_id",
    lang: str = "en",
    title: str | None = "value_matrix_title",
) -> go.Figure:
    """Current vs potential value scatter with the four named quadrants.

    Parameters
    ----------
    matrix : DataFrame
        :func:`crm_lib.customers.value_matrix` (customer id as index or column).
    split : float
        The line between low and high on both axes.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> m = pd.DataFrame({"current_score": [0.2, 0.9], "potential_score": [0.8, 0.1],
    ...     "quadrant": ["grow", "maintain"]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> value_matrix_chart(m).layout.annotations[0].text
    'Most valuable'
    """
    data = matrix.reset_index() if customer_col not in matrix.columns else matrix
    require_columns(data, [customer_col, "current_score", "potential_score", "quadrant"],
                    table="value matrix", hint="Pass the result of crm_lib.customers.value_matrix.")
    quads = {"high_high": "most_valuable", "high_low": "maintain", "low_high": "grow",
             "low_low": "low_value"}
    return quadrant_scatter(
        data, x="current_score", y="potential_score", text=customer_col, color="quadrant",
        x_split=split, y_split=split, quadrant_labels=quads, lang=lang, title=title,
    )
