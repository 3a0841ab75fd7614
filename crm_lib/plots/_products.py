"""Charts of product margins: the cross-ratio quadrant, category bars, the top customers' mix.

They draw the tidy frames of :mod:`crm_lib.products` and compute nothing of the analysis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from crm_lib._errors import require_columns
from crm_lib.labels import color_for
from crm_lib.plots._common import _discrete_map, _labels, _prepare, quadrant_scatter, style_figure
from crm_lib.plots._shared import _t

__all__ = ["category_margin_bars", "cross_ratio_scatter", "product_mix_bars"]

#: Captions of the margin × turnover quadrants (x = turnover, y = gross margin).
_CROSS_QUADRANTS = {"high_high": "star", "high_low": "traffic_builder",
                    "low_high": "margin_builder", "low_low": "laggard"}


def cross_ratio_scatter(product_table: pd.DataFrame, *, lang: str = "en",
                        title: str | None = "products_cross_ratio_title",
                        text: str = "name", color: str | None = "category") -> go.Figure:
    """Gross margin against turnover, one point per product, split into the four quadrants.

    Parameters
    ----------
    product_table : DataFrame
        The result of :func:`crm_lib.products.product_profit` (or ``category_profit``); the
        split lines come from its ``attrs`` (``margin_split``, ``turnover_split``) when present.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.
    text, color : str
        Hover name and colour columns.

    Returns
    -------
    plotly Figure
        Points sized by sales (negative sales drawn at the smallest size); rows without a
        turnover are left out of the chart (they are listed in the product table).

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["a", "b"], "category": ["x", "y"], "gross_margin": [0.4, 0.2],
    ...                   "turnover": [3.0, 1.0], "sales": [10.0, 5.0]})
    >>> len(cross_ratio_scatter(t).data) >= 1
    True
    """
    require_columns(product_table, ["gross_margin", "turnover", "sales"],
                    table="product_table", hint="Pass the result of product_profit().")
    cols = [c for c in (text, color) if c is not None and c in product_table.columns]
    data = product_table[[*cols, "gross_margin", "turnover"]].assign(
        sales=product_table["sales"].clip(lower=0))
    data = data[data["turnover"].notna() & data["gross_margin"].notna()]
    attrs = product_table.attrs
    fig = quadrant_scatter(
        data, x="turnover", y="gross_margin", size="sales",
        text=text if text in cols else None, color=color if color in cols else None,
        x_split=attrs.get("turnover_split"), y_split=attrs.get("margin_split"),
        quadrant_labels=_CROSS_QUADRANTS, lang=lang, title=title)
    fig.update_layout(yaxis_tickformat=".0%")
    return fig


def category_margin_bars(category_table: pd.DataFrame, *, lang: str = "en",
                         title: str | None = "products_category_title") -> go.Figure:
    """Sales and gross profit per category (bars) with the gross margin (line, right axis).

    Parameters
    ----------
    category_table : DataFrame
        The result of :func:`crm_lib.products.category_profit` (in its rank order).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["a", "b"], "sales": [10.0, 5.0],
    ...                   "gross_profit": [4.0, 1.0], "gross_margin": [0.4, 0.2]})
    >>> [d.type for d in category_margin_bars(t).data]
    ['bar', 'bar', 'scatter']
    """
    data = _prepare(category_table, ["category", "sales", "gross_profit", "gross_margin"],
                    table="category_table", lang=lang)
    x = data["category"].tolist()
    fig = go.Figure([
        go.Bar(x=x, y=data["sales"].tolist(), name=_t("sales", lang),
               marker_color=color_for("sales")),
        go.Bar(x=x, y=data["gross_profit"].tolist(), name=_t("gross_profit", lang),
               marker_color=color_for("gross_profit")),
        go.Scatter(x=x, y=data["gross_margin"].tolist(), name=_t("gross_margin", lang),
                   yaxis="y2", mode="lines+markers", line_color=color_for("gross_margin")),
    ])
    fig.update_layout(
        barmode="group",
        xaxis={"title": {"text": _t("category", lang)}, "type": "category"},
        yaxis={"title": {"text": _t("amount", lang)}},
        yaxis2={"title": {"text": _t("gross_margin", lang)}, "overlaying": "y",
                "side": "right", "tickformat": ".0%", "showgrid": False, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return style_figure(fig, title=title, lang=lang)


def product_mix_bars(mix: pd.DataFrame, *, lang: str = "en",
                     title: str | None = "products_mix_title") -> go.Figure:
    """Each top customer's sales split by category (stacked shares), margins on hover.

    Parameters
    ----------
    mix : DataFrame
        The result of :func:`crm_lib.products.customer_product_mix` (``level="category"``).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure
        One horizontal bar per customer (best on top), one colour per category; the customer's
        overall margin is written after the bar.

    Examples
    --------
    >>> m = pd.DataFrame({"customer_rank": [1, 1], "customer_id": ["C1", "C1"],
    ...     "category": ["a", "b"], "share_of_customer_sales": [0.8, 0.2],
    ...     "gross_margin": [0.25, 0.5], "customer_margin": [0.3, 0.3], "sales": [80.0, 20.0]})
    >>> len(product_mix_bars(m).data)  # one bar trace per category and the margin labels
    3
    """
    cols = ["customer_rank", "customer_id", "category", "share_of_customer_sales",
            "gross_margin", "customer_margin", "sales"]
    data = _prepare(mix, cols, table="mix", lang=lang)
    order = (data.sort_values("customer_rank", kind="mergesort")["customer_id"]
             .drop_duplicates().tolist())
    fig = px.bar(data, x="share_of_customer_sales", y="customer_id", color="category",
                 orientation="h", hover_data={"gross_margin": ":.1%", "sales": ":,.0f"},
                 labels=_labels(cols, lang),
                 category_orders={"customer_id": order},
                 color_discrete_map=_discrete_map(mix, "category", lang))
    per_customer = data.drop_duplicates("customer_id")
    fig.add_trace(go.Scatter(
        x=np.full(len(per_customer), 1.02), y=per_customer["customer_id"].tolist(),
        mode="text", text=[f"{m:.0%}" for m in per_customer["customer_margin"]],
        textposition="middle right", showlegend=False,
        name=_t("customer_margin", lang), hoverinfo="skip"))
    fig.update_layout(xaxis={"tickformat": ".0%", "range": [0, 1.12]},
                      yaxis={"autorange": "reversed"}, barmode="stack",
                      height=max(300, 60 + 32 * len(order)))
    return style_figure(fig, title=title, lang=lang)
