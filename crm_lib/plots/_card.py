"""Charts of the customer information card and the supervisor's review.

They draw the data of :func:`crm_lib.card.customer_card` and :func:`crm_lib.card.supervisor_review`
and compute nothing of the analysis.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crm_lib.labels import color_for, date_tickformat
from crm_lib.plots._common import _prepare, bar, style_figure
from crm_lib.plots._shared import _t

__all__ = ["card_history", "review_tiers"]


def card_history(history: pd.DataFrame, *, lang: str = "en",
                 title: str | None = "card_history_title") -> go.Figure:
    """A customer's monthly sales (bars) and gross profit (line).

    Parameters
    ----------
    history : DataFrame
        ``card["history"]``: ``period``, ``sales``, ``gross_profit``.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> h = pd.DataFrame({"period": pd.to_datetime(["2026-09-01", "2026-10-01"]),
    ...                   "sales": [100.0, 0.0], "gross_profit": [40.0, 0.0]})
    >>> [d.type for d in card_history(h).data]
    ['bar', 'scatter']
    """
    data = _prepare(history, ["period", "sales", "gross_profit"], table="history", lang=lang)
    fig = go.Figure([
        go.Bar(x=data["period"].tolist(), y=data["sales"].tolist(),
               name=_t("sales", lang), marker_color=color_for("sales")),
        go.Scatter(x=data["period"].tolist(), y=data["gross_profit"].tolist(),
                   name=_t("gross_profit", lang), mode="lines+markers",
                   line_color=color_for("gross_profit")),
    ])
    if pd.api.types.is_datetime64_any_dtype(history["period"].dtype):
        fig.update_xaxes(tickformat=date_tickformat(lang),
                         hoverformat=date_tickformat(lang, kind="date"))
    fig.update_layout(xaxis={"title": {"text": _t("period", lang)}},
                      yaxis={"title": {"text": _t("amount", lang)}},
                      legend={"orientation": "h", "y": -0.2}, height=360)
    return style_figure(fig, title=title, lang=lang)


def review_tiers(tiers: pd.DataFrame, *, lang: str = "en",
                 title: str | None = "review_tiers_title") -> go.Figure:
    """Customers per sales rep, stacked by tier.

    Parameters
    ----------
    tiers : DataFrame
        ``review["tiers"]``: ``sales_rep``, ``tier``, ``customers``.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> t = pd.DataFrame({"sales_rep": ["R1", "R1"], "tier": ["VIP", "small"], "customers": [1, 4]})
    >>> len(review_tiers(t).data)
    2
    """
    return bar(tiers, x="sales_rep", y="customers", color="tier", barmode="stack", lang=lang,
               title=title)
