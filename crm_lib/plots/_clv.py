"""Charts of the lifetime-value notebook: the parameter table, calibration vs holdout, the
period-transactions histogram, the P(alive) heat map, top customers, value by group and cohort,
and the replenishment timeline. They draw the frames that :mod:`crm_lib.clv` returns and compute
no analysis results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_lib._errors import require_columns
from crm_lib.labels import color_for, format_values, has_label, label
from crm_lib.plots._common import COLORWAY, _text, style_figure, table
from crm_lib.plots._shared import _t

__all__ = [
    "clv_by_group_bars",
    "clv_cohort_bars",
    "clv_holdout_chart",
    "clv_param_table",
    "clv_period_transactions",
    "clv_prob_alive_heatmap",
    "clv_replenishment_chart",
    "clv_top_customers",
]



def _names(df: pd.DataFrame, label_col: str | None) -> np.ndarray:
    """Bar labels: "name (id)", or the id; escaped."""
    ids = df.index.astype(str).to_series(index=df.index)
    if label_col:
        named = df[label_col].notna()
        text = (df[label_col].astype(str) + " (" + ids + ")").where(named, ids)
    else:
        text = ids
    return text.map(_text).to_numpy(dtype=object)


_SYMBOLS = {"alpha": "α", "beta": "β", "gamma": "γ"}


def clv_param_table(params: pd.DataFrame, *, lang: str = "en",
                    title: str | None = "clv_params_title") -> go.Figure:
    """The fitted parameters with standard errors and 95% bounds.

    Parameters
    ----------
    params : DataFrame
        ``model.summary`` of :class:`crm_lib.clv.BetaGeo` / ``GammaGamma`` (or both
        concatenated): index ``parameter``; ``coef``, ``se``, ``lower_95``, ``upper_95``.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> p = pd.DataFrame({"coef": [0.24], "se": [0.01], "lower_95": [0.22], "upper_95": [0.26]},
    ...                  index=pd.Index(["r"], name="parameter"))
    >>> clv_param_table(p).data[0].header.values[0]
    'Parameter'
    """
    require_columns(params, ["coef", "se", "lower_95", "upper_95"], table="parameters")
    shown = params[["coef", "se", "lower_95", "upper_95"]].map(lambda v: f"{v:.4g}")
    shown.index = pd.Index([_SYMBOLS.get(str(p), str(p)) for p in shown.index], name="parameter")
    return table(shown, lang=lang, title=title, index=True)


def _two_series(df: pd.DataFrame, x: str, ys: tuple[str, str], *, kind: str, lang: str,
                x_title: str, y_title: str, title: str | None) -> go.Figure:
    fig = go.Figure()
    for i, y in enumerate(ys):
        if kind == "bar":
            fig.add_bar(x=df[x].astype(str), y=df[y], name=_t(y, lang),
                        marker_color=COLORWAY[i])
        else:
            fig.add_scatter(x=df[x].astype(str), y=df[y], name=_t(y, lang),
                            mode="lines+markers", line_color=COLORWAY[i])
    fig.update_layout(barmode="group", xaxis_title=_t(x_title, lang), yaxis_title=_t(y_title, lang))
    fig.update_xaxes(type="category")
    return style_figure(fig, title=title, lang=lang)


def clv_holdout_chart(holdout: pd.DataFrame, *, lang: str = "en",
                      title: str | None = "clv_holdout_title") -> go.Figure:
    """Mean holdout purchases by calibration frequency: actual vs predicted.

    Parameters
    ----------
    holdout : DataFrame
        :meth:`crm_lib.clv.BetaGeo.holdout_purchases`: ``bucket``, ``actual``, ``predicted``.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> h = pd.DataFrame({"bucket": ["0", "1+"], "actual": [0.2, 1.5], "predicted": [0.25, 1.4]})
    >>> [tr.name for tr in clv_holdout_chart(h).data]
    ['Actual', 'Predicted']
    """
    require_columns(holdout, ["bucket", "actual", "predicted"], table="holdout")
    return _two_series(holdout, "bucket", ("actual", "predicted"), kind="line", lang=lang,
                       x_title="clv_holdout_x", y_title="clv_holdout_y", title=title)


def clv_period_transactions(counts: pd.DataFrame, *, lang: str = "en",
                            title: str | None = "clv_period_tx_title") -> go.Figure:
    """Customers by number of repeat purchases: actual vs model (grouped bars).

    Parameters
    ----------
    counts : DataFrame
        :meth:`crm_lib.clv.BetaGeo.period_transactions`: ``bucket``, ``actual``, ``model``.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> c = pd.DataFrame({"bucket": ["0", "1+"], "actual": [10.0, 5.0], "model": [9.5, 5.5]})
    >>> len(clv_period_transactions(c).data)
    2
    """
    require_columns(counts, ["bucket", "actual", "model"], table="period transactions")
    return _two_series(counts, "bucket", ("actual", "model"), kind="bar", lang=lang,
                       x_title="bucket", y_title="clv_customers_axis", title=title)


def clv_prob_alive_heatmap(matrix: pd.DataFrame, *, lang: str = "en",
                           title: str | None = "clv_prob_alive_title") -> go.Figure:
    """Heat map of P(alive) (or expected purchases) over frequency x recency.

    Parameters
    ----------
    matrix : DataFrame
        :meth:`crm_lib.clv.BetaGeo.prob_alive_matrix`: index recency, columns frequency.

    Returns
    -------
    plotly Figure
        Recency grows upwards (the most recent buyers at the top), frequency to the right.

    Examples
    --------
    >>> m = pd.DataFrame([[1.0, 0.2], [1.0, 0.9]], index=pd.Index([0, 1], name="recency"),
    ...                  columns=pd.Index([0, 1], name="frequency"))
    >>> clv_prob_alive_heatmap(m).data[0].z.shape
    (2, 2)
    """
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(), x=list(matrix.columns), y=list(matrix.index),
        colorscale="RdYlGn", zmin=0, zmax=1 if float(matrix.to_numpy().max()) <= 1 else None,
        colorbar={"title": {"text": _t("prob_alive", lang)}},
        hovertemplate="%{x} / %{y}: %{z:.2f}<extra></extra>"))
    fig.update_layout(xaxis_title=_t("clv_frequency_axis", lang),
                      yaxis_title=_t("clv_recency_axis", lang))
    return style_figure(fig, title=title, lang=lang)


def clv_top_customers(clv: pd.DataFrame, *, lang: str = "en", label_col: str | None = None,
                      title: str | None = "clv_top_title") -> go.Figure:
    """Horizontal bars of the predicted CLV of the customers given, in the order given.

    Parameters
    ----------
    clv : DataFrame
        Rows to draw (e.g. the top N of :func:`crm_lib.clv.lifetime_value`), indexed by
        customer id, with ``clv``; ``label_col`` names the bars as "name (id)" (default: the
        id alone; the id keeps masked or repeated names apart).

    Returns
    -------
    plotly Figure
        The first row on top.

    Examples
    --------
    >>> c = pd.DataFrame({"clv": [30.0, 10.0]}, index=["a", "b"])
    >>> list(clv_top_customers(c).data[0].y)
    ['b', 'a']
    """
    require_columns(clv, ["clv"], table="clv")
    names = _names(clv, label_col)
    fig = go.Figure(go.Bar(x=clv["clv"].iloc[::-1], y=names[::-1],
                           orientation="h", marker_color=COLORWAY[0]))
    fig.update_layout(xaxis_title=_t("clv", lang), yaxis_type="category")
    t = _t(title, lang, n=len(clv)) if title else None
    fig = style_figure(fig, lang=lang)
    if t:
        fig.update_layout(title_text=t)
    return fig


def clv_by_group_bars(groups: pd.DataFrame, *, by: str, lang: str = "en",
                      title: str | None = "clv_by_group_title") -> go.Figure:
    """Predicted CLV per customer by group, with the group's share of the total on the bars.

    Parameters
    ----------
    groups : DataFrame
        :func:`crm_lib.clv.clv_by`: ``by``, ``customers``, ``clv_per_customer``, ``clv_share``.
    by : str
        The group column (its values are translated when they are catalogue keys).

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> g = pd.DataFrame({"tier": ["A", "B"], "customers": [2.0, 8.0],
    ...                   "clv_per_customer": [50.0, 5.0], "clv_share": [0.7, 0.3]})
    >>> list(clv_by_group_bars(g, by="tier").data[0].x)
    ['A', 'B']
    """
    require_columns(groups, [by, "clv_per_customer", "clv_share"], table="groups")
    fig = go.Figure(go.Bar(
        x=[_t(v, lang) if has_label(v) else _text(v) for v in groups[by].astype(str)],
        y=groups["clv_per_customer"],
        text=format_values(groups["clv_share"].reset_index(drop=True), "percent", lang=lang,
                           decimals=0).tolist(), textposition="outside",
        marker_color=[color_for(v) for v in groups[by].astype(str)]))
    fig.update_layout(xaxis_title=_t(by, lang), yaxis_title=_t("clv_per_customer", lang),
                      xaxis_type="category")
    fig = style_figure(fig, lang=lang)
    if title:
        fig.update_layout(title_text=_t(title, lang, group=label(by, lang)))
    return fig


def clv_cohort_bars(cohorts: pd.DataFrame, *, lang: str = "en",
                    title: str | None = "clv_cohort_title") -> go.Figure:
    """Value to date (and predicted CLV, when present) per customer of each acquisition cohort.

    Parameters
    ----------
    cohorts : DataFrame
        :func:`crm_lib.clv.cohort_clv`: ``cohort``, ``value_per_customer`` and optionally
        ``predicted_clv_per_customer``.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> c = pd.DataFrame({"cohort": pd.to_datetime(["2026-01-01"]), "value_per_customer": [5.0]})
    >>> len(clv_cohort_bars(c).data)
    1
    """
    require_columns(cohorts, ["cohort", "value_per_customer"], table="cohorts")
    fig = go.Figure()
    x = format_values(cohorts["cohort"], "month", lang=lang)
    fig.add_bar(x=x, y=cohorts["value_per_customer"], name=_t("value_per_customer", lang),
                marker_color=COLORWAY[0])
    if "predicted_clv_per_customer" in cohorts.columns:
        fig.add_bar(x=x, y=cohorts["predicted_clv_per_customer"],
                    name=_t("predicted_clv_per_customer", lang), marker_color=COLORWAY[1])
    fig.update_layout(barmode="group", xaxis_title=_t("cohort_start", lang), xaxis_type="category")
    return style_figure(fig, title=title, lang=lang)


def clv_replenishment_chart(rep: pd.DataFrame, *, lang: str = "en", label_col: str | None = None,
                            within_days: int | None = None,
                            title: str | None = "clv_replenishment_title") -> go.Figure:
    """Timeline of the customers given: predicted next purchase with its band.

    Parameters
    ----------
    rep : DataFrame
        Rows of :func:`crm_lib.clv.replenishment` to draw (e.g. those ``due``):
        ``next_purchase``, ``next_purchase_early``, ``next_purchase_late``, ``status``.
    label_col : str, optional
        Column naming the customers, shown as "name (id)" (default: the id).
    within_days : int, optional
        Filled into the title (default: ``rep.attrs["within_days"]``).

    Returns
    -------
    plotly Figure
        One row per customer, the band as a line, the predicted date as a marker coloured by
        status.

    Examples
    --------
    >>> r = pd.DataFrame({"next_purchase": pd.to_datetime(["2026-11-05"]),
    ...                   "next_purchase_early": pd.to_datetime(["2026-11-01"]),
    ...                   "next_purchase_late": pd.to_datetime(["2026-11-20"]),
    ...                   "status": ["due"]}, index=["a"])
    >>> len(clv_replenishment_chart(r, within_days=14).data)
    2
    """
    require_columns(rep, ["next_purchase", "next_purchase_early", "next_purchase_late", "status"],
                    table="replenishment")
    names = _names(rep, label_col)
    fig = go.Figure()
    n = len(rep)
    gaps = np.full(n, None, dtype=object)
    xs = np.column_stack([rep["next_purchase_early"].astype(object).to_numpy(),
                          rep["next_purchase_late"].astype(object).to_numpy(), gaps]).ravel()
    ys = np.column_stack([names, names, gaps]).ravel()
    fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": "#9aa5ad", "width": 6},
                    name=f"{_t('next_purchase_early', lang)} – {_t('next_purchase_late', lang)}")
    colors = {"overdue": color_for("lost"), "due": color_for("at_risk"), "later": COLORWAY[0]}
    for status in ("overdue", "due", "later"):
        sel = (rep["status"] == status).to_numpy()
        if sel.any():
            fig.add_scatter(x=rep.loc[sel, "next_purchase"], y=names[sel], mode="markers",
                            name=_t(status, lang),
                            marker={"size": 11, "color": colors[status]})
    fig.update_layout(yaxis={"type": "category", "autorange": "reversed"},
                      xaxis_title=_t("next_purchase", lang),
                      height=max(300, 28 * len(rep) + 120))
    fig = style_figure(fig, lang=lang)
    days = within_days if within_days is not None else rep.attrs.get("within_days", "")
    if title:
        fig.update_layout(title_text=_t(title, lang, days=days))
    return fig
