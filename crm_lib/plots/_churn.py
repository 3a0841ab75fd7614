"""Charts of the churn notebook: loss reasons against the course reference, the retention heat map,
survival curves with their bands, and a note for missing tables. They draw the frames that
:mod:`crm_lib.churn` returns and compute no analysis results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crm_lib._errors import require_columns
from crm_lib.labels import color_for, format_values, localize
from crm_lib.plots._common import _text, heatmap, style_figure
from crm_lib.plots._shared import EmptyNote, _note, _t

__all__ = ["churn_note", "reasons_vs_reference", "retention_heatmap", "survival_chart"]



def churn_note(key: str, *, lang: str = "en", **values: object):
    """A short note for the reader in place of a chart (e.g. a table that is missing).

    Parameters
    ----------
    key : str
        Catalogue key of the note, e.g. "churn_note_missing_table".
    lang : {"en", "zh"}
    **values
        Placeholders of the text; a value that is a catalogue key (a table name) is translated.

    Returns
    -------
    IPython.display.Markdown

    Examples
    --------
    >>> churn_note("churn_note_missing_table", table="lost_customers").data
    '*The table “Lost customers” is not in the data: this part is skipped.*'
    """
    return _note(key, lang, **values)


def reasons_vs_reference(reasons: pd.DataFrame, *, lang: str = "en",
                         title: str | None = "churn_reasons_reference_title") -> go.Figure:
    """Share of each loss reason in the data next to the course's reference share.

    Parameters
    ----------
    reasons : DataFrame
        :func:`crm_lib.churn.churn_reasons` without ``by``: reason, share, reference_share.

    Returns
    -------
    plotly Figure
        Horizontal grouped bars, largest share on top; each reason's own bar in its fixed
        colour (the same as in the Pareto and the stacked charts), the reference in grey.

    Examples
    --------
    >>> r = pd.DataFrame({"reason": ["moved", "died"], "share": [0.6, 0.4],
    ...                   "reference_share": [0.03, 0.01]})
    >>> [t.name for t in reasons_vs_reference(r).data]
    ['Share', 'Course reference share']
    """
    require_columns(reasons, ["reason", "share", "reference_share"], table="reasons")
    data = localize(reasons[["reason", "share", "reference_share"]], lang, columns=False)
    data = data.iloc[::-1]
    keys = reasons["reason"].iloc[::-1].tolist()
    fig = go.Figure([
        go.Bar(y=[_text(v) for v in data["reason"]], x=data["share"].tolist(), orientation="h",
               name=_t("share", lang), marker_color=[color_for(k) for k in keys]),
        go.Bar(y=[_text(v) for v in data["reason"]], x=data["reference_share"].tolist(),
               orientation="h", name=_t("reference_share", lang),
               marker_color=color_for("reference_share"), opacity=0.6),
    ])
    fig.update_layout(barmode="group", xaxis={"tickformat": ".0%", "title": {"text": _t("share", lang)}},
                      yaxis={"title": {"text": _t("reason", lang)}},
                      legend={"orientation": "h", "y": -0.2})
    return style_figure(fig, title=title, lang=lang)


def retention_heatmap(matrix: pd.DataFrame, *, lang: str = "en", max_periods: int | None = 24,
                      title: str | None = "churn_retention_title", text_size: int = 11
                      ) -> go.Figure:
    """The retention matrix as a heat map: cohorts down, periods since acquisition across.

    Parameters
    ----------
    matrix : DataFrame
        :func:`crm_lib.churn.retention_matrix` (index cohort, columns 0, 1, 2, …).
    max_periods : int, optional
        Show periods 0 to ``max_periods`` only.
    text_size : int, default 11
        Font size of the percentages in the cells; the figure is 22 px per cohort tall, so a
        long history stays readable instead of shrinking the numbers to fit.

    Returns
    -------
    plotly Figure
        Or, for a matrix without cohorts, an :class:`~crm_lib.plots._shared.EmptyNote`.

    Examples
    --------
    >>> m = pd.DataFrame([[1.0, 0.5], [1.0, None]], columns=pd.Index([0, 1], name="periods_since"),
    ...                  index=pd.DatetimeIndex(["2026-01-01", "2026-02-01"], name="cohort"))
    >>> retention_heatmap(m).data[0].z.tolist()
    [[1.0, 0.5], [1.0, nan]]
    """
    if matrix.empty:
        return EmptyNote(lang, title)
    shown = matrix if max_periods is None else matrix.loc[:, [c for c in matrix.columns
                                                             if int(c) <= max_periods]]
    long = shown.copy()
    long.index = pd.Index(format_values(pd.Series(pd.to_datetime(long.index)), "month",
                                        lang=lang).tolist(), name="cohort")
    long.columns = pd.Index([int(c) for c in long.columns], name="periods_since")
    long = long.stack(future_stack=True).rename("retention_share").reset_index()
    fig = heatmap(long, x="periods_since", y="cohort", z="retention_share", lang=lang,
                  title=title, text_auto=".0%", text_size=text_size, row_height=22)
    fig.update_layout(coloraxis_colorbar={"tickformat": ".0%"})
    return fig


def survival_chart(curves: pd.DataFrame, *, group_col: str | None = None, lang: str = "en",
                   title: str | None = "churn_survival_title") -> go.Figure:
    """Kaplan-Meier curves as steps, each with its confidence band.

    Parameters
    ----------
    curves : DataFrame
        :func:`crm_lib.churn.survival`: survival_time, survival, survival_lower, survival_upper
        and the group column ``group_col`` when there are groups.
    group_col : str, optional

    Returns
    -------
    plotly Figure
        Per group a filled band and a step line; for no curves, an
        :class:`~crm_lib.plots._shared.EmptyNote`.

    Examples
    --------
    >>> c = pd.DataFrame({"survival_time": [0.0, 5.0], "survival": [1.0, 0.5],
    ...                   "survival_lower": [1.0, 0.2], "survival_upper": [1.0, 0.8]})
    >>> len(survival_chart(c).data)
    2
    """
    cols = ["survival_time", "survival", "survival_lower", "survival_upper"]
    require_columns(curves, cols + ([group_col] if group_col else []), table="survival curves")
    if curves.empty:
        return EmptyNote(lang, title)
    data = localize(curves, lang, columns=False)
    keys = list(pd.unique(curves[group_col])) if group_col else [None]
    names = list(pd.unique(data[group_col])) if group_col else [None]
    fig = go.Figure()
    for i, name in enumerate(names):  # one trace pair per group (a handful), not per customer
        part = data if name is None else data[data[group_col] == name]
        color = color_for(keys[i]) if group_col else color_for("active")
        shown = _text(name) if name is not None else _t("survival", lang)
        fig.add_trace(go.Scatter(
            x=part["survival_time"].tolist() + part["survival_time"].tolist()[::-1],
            y=part["survival_upper"].tolist() + part["survival_lower"].tolist()[::-1],
            fill="toself", fillcolor=color, opacity=0.15, line={"width": 0, "shape": "hv"},
            hoverinfo="skip", showlegend=False, legendgroup=str(i)))
        fig.add_trace(go.Scatter(x=part["survival_time"].tolist(), y=part["survival"].tolist(),
                                 mode="lines", line={"shape": "hv", "color": color}, name=shown,
                                 legendgroup=str(i)))
    fig.update_layout(xaxis={"title": {"text": _t("survival_time", lang)}},
                      yaxis={"title": {"text": _t("survival", lang)}, "range": [0, 1.02],
                             "tickformat": ".0%"})
    return style_figure(fig, title=title, lang=lang)
