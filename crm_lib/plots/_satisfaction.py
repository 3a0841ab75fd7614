"""Charts of the satisfaction notebook: scores with their intervals (small groups greyed), the
service-quality gaps and the importance-performance map. They draw the frames that
:mod:`crm_lib.satisfaction` returns and compute no analysis results."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_lib._errors import require_columns
from crm_lib.labels import color_for, format_values, localize
from crm_lib.plots._common import COLORWAY, _by_text, _text, quadrant_scatter, style_figure
from crm_lib.plots._shared import _note, _t

__all__ = ["IPA_LABELS", "gap_bars", "ipa_map", "satisfaction_note", "score_bars"]

#: Quadrant captions of the importance-performance map (x = performance, y = importance).
IPA_LABELS = MappingProxyType({"high_high": "keep up the good work", "high_low": "possible overkill",
                               "low_high": "concentrate here", "low_low": "low priority"})

_SMALL_COLOR = "#c8cdd2"



def satisfaction_note(key: str, *, lang: str = "en", **values: object):
    """A short note for the reader in place of a chart (a missing table, small groups).

    Returns
    -------
    IPython.display.Markdown

    Examples
    --------
    >>> satisfaction_note("sat_note_small_groups", n=30).data
    '*Grey bars have fewer than 30 answers: read them as anecdotes, not results.*'
    """
    return _note(key, lang, **values)


def score_bars(df: pd.DataFrame, *, x: str, score: str = "nps", lower: str | None = None,
               upper: str | None = None, small: str | None = "small_group", lang: str = "en",
               title: str | None = None, percent: bool = False) -> go.Figure:
    """Bars of a score per group with its interval as error bars; small groups in grey.

    Parameters
    ----------
    df : DataFrame
        One row per group, e.g. :func:`crm_lib.satisfaction.satisfaction_by`.
    x : str
        The group column (month, region, tier, nps_group, …).
    score : str, default "nps"
        The score column ("nps", "csat", "churn_rate", …).
    lower, upper : str, optional
        Interval columns; ``<score>_lower`` / ``<score>_upper`` by default.
    small : str or None, default "small_group"
        Bool column marking groups too small to read (drawn grey).
    percent : bool
        Format the axis as a percentage of 1 (for shares such as a churn rate).
    title : str, optional
        Catalogue key of the title; ``{by}`` in it is filled with the name of ``x`` ("NPS by
        region"), so the charts of one score by month, tier, region and rep are told apart.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> d = pd.DataFrame({"region": ["N", "S"], "nps": [20.0, -5.0], "nps_lower": [5.0, -40.0],
    ...                   "nps_upper": [35.0, 30.0], "small_group": [False, True]})
    >>> fig = score_bars(d, x="region")
    >>> list(fig.data[0].marker.color), list(fig.data[0].error_y.array)
    (['#1f5f8b', '#c8cdd2'], [15.0, 35.0])
    """
    lower = lower or f"{score}_lower"
    upper = upper or f"{score}_upper"
    cols = [x, score, lower, upper] + ([small] if small and small in df.columns else [])
    require_columns(df, cols, table="score data")
    data = localize(df[cols], lang, columns=False)
    if pd.api.types.is_datetime64_any_dtype(data[x]):
        xs = format_values(data[x], "month", lang=lang).tolist()
    else:
        xs = [_text(v) for v in data[x].astype(str)]
    flag = data[small].fillna(True).astype(bool).to_numpy() if len(cols) > 4 else np.zeros(len(data), bool)
    colors = [_SMALL_COLOR if f else COLORWAY[0] for f in flag]
    val = data[score].astype(float)
    fig = go.Figure(go.Bar(
        x=xs, y=val.tolist(), marker={"color": colors}, name=_t(score, lang),
        error_y={"type": "data", "array": (data[upper].astype(float) - val).tolist(),
                 "arrayminus": (val - data[lower].astype(float)).tolist(), "color": "#555"}))
    fig.update_layout(xaxis={"title": {"text": _t(x, lang)}, "type": "category"},
                      yaxis={"title": {"text": _t(score, lang)},
                             "tickformat": ".0%" if percent else None})
    return style_figure(fig, title=title, lang=lang, by=_by_text(x, lang))


def gap_bars(gaps: pd.DataFrame, *, lang: str = "en", title: str | None = "sat_gaps_title") -> go.Figure:
    """Service-quality gap per factor (perception − expectation) with its interval, worst first.

    Parameters
    ----------
    gaps : DataFrame
        :func:`crm_lib.satisfaction.quality_gaps`.

    Returns
    -------
    plotly Figure
        Horizontal bars: red where the service falls short, green where it exceeds expectations.

    Examples
    --------
    >>> g = pd.DataFrame({"factor": ["access", "courtesy"], "quality_gap": [-1.0, 0.5],
    ...                   "quality_gap_lower": [-1.5, 0.1], "quality_gap_upper": [-0.5, 0.9]})
    >>> list(gap_bars(g).data[0].y)
    ['Courtesy', 'Access']
    """
    cols = ["factor", "quality_gap", "quality_gap_lower", "quality_gap_upper"]
    require_columns(gaps, cols, table="quality gaps")
    data = gaps[cols].sort_values("quality_gap", ascending=False, kind="stable")
    data = localize(data, lang, columns=False)
    val = data["quality_gap"].astype(float)
    fig = go.Figure(go.Bar(
        y=[_text(v) for v in data["factor"]], x=val.tolist(), orientation="h",
        marker={"color": [color_for("missed") if v < 0 else color_for("met") for v in val]},
        error_x={"type": "data", "array": (data["quality_gap_upper"] - val).tolist(),
                 "arrayminus": (val - data["quality_gap_lower"]).tolist(), "color": "#555"}))
    fig.add_vline(x=0, line_color="#888")
    fig.update_layout(xaxis={"title": {"text": _t("quality_gap", lang)}},
                      yaxis={"title": {"text": _t("factor", lang)}})
    return style_figure(fig, title=title, lang=lang)


def ipa_map(ipa: pd.DataFrame, *, lang: str = "en", title: str | None = "sat_ipa_title") -> go.Figure:
    """The importance-performance map: performance across, importance up, the four quadrants named.

    Parameters
    ----------
    ipa : DataFrame
        :func:`crm_lib.satisfaction.importance_performance`.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> d = pd.DataFrame({"factor": ["access", "courtesy"], "importance": [6.0, 3.0],
    ...                   "performance": [3.0, 6.0], "importance_cut": 4.5, "performance_cut": 4.5,
    ...                   "quadrant": ["concentrate here", "possible overkill"]})
    >>> ipa_map(d).layout.shapes[0].x0
    4.5
    """
    require_columns(ipa, ["factor", "importance", "performance", "importance_cut",
                          "performance_cut", "quadrant"], table="importance-performance")
    return quadrant_scatter(ipa, x="performance", y="importance", text="factor", color="quadrant",
                            x_split=float(ipa["performance_cut"].iloc[0]),
                            y_split=float(ipa["importance_cut"].iloc[0]),
                            quadrant_labels=IPA_LABELS, lang=lang, title=title)
