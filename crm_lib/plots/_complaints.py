"""Charts of the complaints notebook: the eight handling steps as a funnel, handling times against
the SLA, and the complaint iceberg. They draw the frames that :mod:`crm_lib.complaints` returns and
compute no analysis results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crm_lib._errors import require_columns
from crm_lib.labels import localize
from crm_lib.plots._common import COLORWAY, _text, style_figure
from crm_lib.plots._shared import _note, _t

__all__ = ["complaints_note", "iceberg_chart", "sla_chart", "steps_funnel"]



def complaints_note(key: str, *, lang: str = "en", **values: object):
    """A short note for the reader in place of a chart (a missing table or column).

    Returns
    -------
    IPython.display.Markdown

    Examples
    --------
    >>> complaints_note("complaints_note_missing_table", table="complaints").data
    '*The table “Complaints” is not in the data: this part is skipped.*'
    """
    return _note(key, lang, **values)


def steps_funnel(funnel: pd.DataFrame, *, lang: str = "en",
                 title: str | None = "complaints_funnel_title") -> go.Figure:
    """The handling steps as a funnel of the cases reaching each step; hover shows where cases stall.

    Parameters
    ----------
    funnel : DataFrame
        :func:`crm_lib.complaints.handling_funnel` without ``by``: step, reached, stalled.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> f = pd.DataFrame({"step": ["thank", "explain"], "reached": [10, 7], "stalled": [0, 3]})
    >>> list(steps_funnel(f).data[0].y)
    ['1 Thank the customer', '2 Explain why the complaint is welcome']
    """
    require_columns(funnel, ["step", "reached", "stalled"], table="handling funnel")
    names = [_t(f"handling_step_{s}", lang) for s in funnel["step"]]
    fig = go.Figure(go.Funnel(
        y=names, x=funnel["reached"].tolist(), textinfo="value+percent initial",
        customdata=funnel["stalled"].tolist(), marker={"color": COLORWAY[0]},
        hovertemplate="%{y}<br>" + _t("reached", lang) + ": %{x}<br>" + _t("stalled", lang)
        + ": %{customdata}<extra></extra>"))
    fig.update_layout(yaxis_title_text=_t("step", lang))
    return style_figure(fig, title=title, lang=lang)


def sla_chart(kpis: pd.DataFrame, *, by: str | None = None, lang: str = "en",
              title: str | None = "complaints_kpi_title") -> go.Figure:
    """Median and 90th percentile of the times to first response and to resolution, with the SLA.

    Parameters
    ----------
    kpis : DataFrame
        :func:`crm_lib.complaints.handling_kpis` (one row, or one per group of ``by``).
    by : str, optional
        The group column of ``kpis``.

    Returns
    -------
    plotly Figure
        Two panels (first response, resolution), bars per group, the SLA as a dashed line.

    Examples
    --------
    >>> k = pd.DataFrame({"first_response_median_h": [3.0], "first_response_p90_h": [12.0],
    ...     "resolution_median_h": [50.0], "resolution_p90_h": [140.0],
    ...     "sla_first_response_hours": [24.0], "sla_resolution_hours": [72.0]})
    >>> len(sla_chart(k).data)
    4
    """
    cols = ["first_response_median_h", "first_response_p90_h", "resolution_median_h",
            "resolution_p90_h", "sla_first_response_hours", "sla_resolution_hours"]
    require_columns(kpis, cols + ([by] if by else []), table="handling KPIs")
    data = localize(kpis, lang, columns=False)
    xs = [_text(v) for v in data[by].astype(str)] if by else [_t("total", lang)] * len(data)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_t("first_response_hours", lang),
                                                        _t("resolution_hours", lang)))
    panels = (("first_response", "sla_first_response_hours", 1),
              ("resolution", "sla_resolution_hours", 2))
    for stem, sla, col in panels:
        for j, stat in enumerate(("median_h", "p90_h")):
            fig.add_trace(go.Bar(x=xs, y=data[f"{stem}_{stat}"].tolist(),
                                 name=_t(f"{stem}_{stat}", lang), marker_color=COLORWAY[j + 2 * (col - 1)]),
                          row=1, col=col)
        fig.add_hline(y=float(data[sla].iloc[0]) if len(data) else 0.0, line_dash="dash",
                      line_color="#c0392b", row=1, col=col,
                      annotation_text=_t(sla, lang), annotation_position="top left")
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    return style_figure(fig, title=title, lang=lang)


def iceberg_chart(ice: pd.DataFrame, *, lang: str = "en",
                  title: str | None = "complaints_iceberg_title") -> go.Figure:
    """The complaint iceberg: complainants above the waterline, the silent unhappy below it.

    Parameters
    ----------
    ice : DataFrame
        :func:`crm_lib.complaints.iceberg` (one row).

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> i = pd.DataFrame({"complainants": [10], "silent_unhappy": [260.0]})
    >>> [list(t.y) for t in iceberg_chart(i).data]
    [[10.0], [-260.0]]
    """
    require_columns(ice, ["complainants", "silent_unhappy"], table="iceberg")
    row = ice.iloc[0]
    x = [_t("unhappy_total", lang)]
    fig = go.Figure([
        go.Bar(x=x, y=[row["complainants"]], name=_t("complainants", lang), marker_color="#e8f1f8",
               marker_line_color=COLORWAY[0], text=[f"{row['complainants']:,.0f}"]),
        go.Bar(x=x, y=[-row["silent_unhappy"]], name=_t("silent_unhappy", lang),
               marker_color=COLORWAY[0], text=[f"{row['silent_unhappy']:,.0f}"]),
    ])
    fig.add_hline(y=0, line_color="#2bb3c0", line_width=3)
    fig.update_layout(barmode="relative", yaxis={"title": {"text": _t("customers", lang)}},
                      legend={"orientation": "h", "y": -0.2})
    return style_figure(fig, title=title, lang=lang)
