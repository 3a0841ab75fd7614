"""Generic charts shared by every notebook: tidy frame in, plotly figure out.

Titles, axis labels, legend titles, table headers and category values come from the catalogue
(:mod:`crm_lib.labels`) in the requested language. Text that came from the data (customer names,
notes) is HTML-escaped, so it always shows as text. Every figure uses :data:`TEMPLATE`.
These functions only arrange and draw; they compute no analysis results.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from crm_lib._errors import DataError, require_columns
from crm_lib.labels import (
    color_for,
    color_map,
    column_kind,
    date_tickformat,
    format_values,
    has_label,
    label,
    localize,
)

__all__ = [
    "TEMPLATE", "style_figure", "quality_table", "bar", "pareto", "heatmap", "line", "funnel",
    "quadrant_scatter", "table", "table_sizes",
]

FONT_FAMILY = ('"Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", '
               '"Microsoft YaHei", "WenQuanYi Micro Hei", Arial, sans-serif')
COLORWAY: tuple[str, ...] = (
    "#1f5f8b", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bb8", "#8c6d46", "#d46ba6", "#7f7f7f",
    "#b5b82e", "#2bb3c0",
)
SEVERITY_COLORS = MappingProxyType({"error": "#f8d7d4", "warning": "#fdf0d0", "info": "#e8f1f8"})
SEVERITY_ORDER: tuple[str, ...] = ("error", "warning", "info")
QUADRANT_LABELS = MappingProxyType({
    "high_high": "quadrant_high_high", "high_low": "quadrant_high_low",
    "low_high": "quadrant_low_high", "low_low": "quadrant_low_low",
})
"""Catalogue keys of the four quadrant captions (x high/low, y high/low)."""

TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(
    font={"family": FONT_FAMILY, "size": 13, "color": "#222"},
    colorway=list(COLORWAY),
    title={"x": 0.0, "xanchor": "left", "font": {"size": 17}},
    margin={"l": 60, "r": 30, "t": 60, "b": 50},
    legend={"title": {"font": {"size": 12}}},
    hoverlabel={"font": {"family": FONT_FAMILY}},
)


def _text(value: object) -> str:
    return html.escape(str(value), quote=False)


def _escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Escape every text cell (values from the data must show as text, never as markup)."""
    out = df.copy()
    for pos in range(out.shape[1]):
        col = out.iloc[:, pos]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
            escaped = col.str.replace("&", "&amp;", regex=False).str.replace(
                "<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False)
            out.isetitem(pos, escaped.where(escaped.notna(), col))
    return out


def _prepare(df: pd.DataFrame, cols: Sequence[str | None], *, table: str, lang: str) -> pd.DataFrame:
    """The used columns, category values translated, text escaped."""
    used = list(dict.fromkeys(c for c in cols if c is not None))
    require_columns(df, used, table=table, hint="Pass the right column name to the chart function.")
    return _escape_frame(localize(df[used], lang, columns=False))


def _labels(cols: Sequence[str | None], lang: str) -> dict[str, str]:
    return {c: _text(label(c, lang)) for c in cols if c is not None}


def _date_ticks(fig: go.Figure, values: pd.Series, axis: str = "x", lang: str = "en") -> None:
    """Dates as 2026-10 (2026年10月 in Chinese) on the axis: no English month names in a
    Chinese report."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        fig.update_layout({f"{axis}axis": {"tickformat": date_tickformat(lang),
                                           "hoverformat": date_tickformat(lang, kind="date")}})


def _keys_colors(values: Sequence[object] | pd.Series) -> list[str]:
    """The fixed colour of each value (a category key), in order."""
    return [color_for(v) for v in values]


def _discrete_map(df: pd.DataFrame, col: str | None, lang: str) -> dict[str, str] | None:
    """``color_discrete_map`` for a colour column of category keys (text as the chart shows it)."""
    if col is None or col not in df.columns:
        return None
    values = df[col]
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object
            or isinstance(values.dtype, pd.CategoricalDtype)):
        return None
    return {_text(k): v for k, v in color_map(pd.unique(values.astype(object)), lang).items()}


def _by_text(col: str | None, lang: str) -> str:
    """The name of a grouping column inside a title ("by region", "按地区")."""
    if col is None:
        return ""
    text = label(col, lang)
    if lang == "en" and len(text) > 1 and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _title(key: str, lang: str, **values: object) -> str:
    """A catalogue title with its ``{placeholders}`` filled (unused values are ignored)."""
    return _text(label(key, lang, **values))


def style_figure(fig: go.Figure, *, title: str | None = None, lang: str = "en",
                 **values: object) -> go.Figure:
    """Apply the workbook's template and a catalogue title to a plotly figure.

    Parameters
    ----------
    fig : plotly Figure
        Drawn by a domain chart function.
    title : str, optional
        Catalogue key of the title (an unknown key shows as written).
    lang : {"en", "zh", "zh+en"}
    **values
        Fill the title's ``{placeholders}`` (e.g. ``by="region"`` for "by {by}").

    Returns
    -------
    plotly Figure
        The same figure, styled (plotly figures are builders; the caller's figure is updated).

    Examples
    --------
    >>> style_figure(go.Figure(), title="monthly_sales", lang="zh").layout.title.text
    '月度销售额'
    """
    fig.update_layout(template=TEMPLATE)
    if title is not None:
        fig.update_layout(title_text=_title(title, lang, **values))
    return fig


def bar(df: pd.DataFrame, *, x: str, y: str, color: str | None = None, lang: str = "en",
        title: str | None = None, orientation: str = "v", barmode: str = "group",
        text_auto: bool | str = False) -> go.Figure:
    """Bar chart of ``y`` by ``x`` (optionally split by ``color``).

    Parameters
    ----------
    df : DataFrame
        Tidy: one row per bar (per ``x`` and ``color``).
    x, y : str
        Category and value columns (with ``orientation="h"`` the bars run along x: pass the
        value column as ``x``).
    color : str, optional
        Column splitting the bars; its values are translated for the legend and keep their
        fixed colours (:func:`crm_lib.labels.color_for`). Without it, bars whose categories are
        known keys (tiers, statuses, reasons) take their own colours.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title; ``{by}`` in it is filled with the name of the category
        column (``x``, or ``y`` for horizontal bars).
    orientation : {"v", "h"}
    barmode : {"group", "stack", "relative"}
    text_auto : bool or str
        Print values on the bars (a d3 format such as ``".2s"``).

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> fig = bar(pd.DataFrame({"region": ["N", "S"], "sales": [3.0, 5.0]}), x="region", y="sales")
    >>> fig.layout.yaxis.title.text
    'Sales'
    """
    cols = [x, y, color]
    data = _prepare(df, cols, table="bar chart data", lang=lang)
    fig = px.bar(data, x=x, y=y, color=color, orientation=orientation, barmode=barmode,
                 labels=_labels(cols, lang), text_auto=text_auto, template=TEMPLATE,
                 color_discrete_map=_discrete_map(df, color, lang))
    cat = x if orientation == "v" else y
    if color is None and (pd.api.types.is_string_dtype(df[cat].dtype) or df[cat].dtype == object) \
            and len(df) and all(has_label(v) for v in df[cat]):
        fig.update_traces(marker_color=_keys_colors(df[cat].tolist()))
    _date_ticks(fig, data[x] if orientation == "v" else data[y], axis="x" if orientation == "v" else "y",
                lang=lang)
    return style_figure(fig, title=title, lang=lang, by=_by_text(cat, lang))


def pareto(df: pd.DataFrame, *, x: str, y: str, lang: str = "en", title: str | None = None) -> go.Figure:
    """Pareto chart: bars of ``y`` sorted from largest, with the cumulative share as a line.

    Parameters
    ----------
    df : DataFrame
        One row per category ``x``.
    x, y : str
        Category and value columns.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure
        Bars on the left axis, cumulative share (0–100 %) on the right axis.

    Examples
    --------
    >>> fig = pareto(pd.DataFrame({"category": ["a", "b"], "sales": [1.0, 3.0]}), x="category", y="sales")
    >>> list(fig.data[0].x), list(fig.data[1].y)
    (['b', 'a'], [0.75, 1.0])
    """
    order = df[y].sort_values(ascending=False, kind="stable").index
    data = _prepare(df, [x, y], table="pareto chart data", lang=lang).loc[order]
    total = data[y].sum()
    cum = data[y].cumsum() / total if total else data[y] * np.nan
    fig = go.Figure([
        go.Bar(x=data[x].tolist(), y=data[y].tolist(), name=_text(label(y, lang)),
               marker_color=_keys_colors(df.loc[order, x].tolist())),
        go.Scatter(x=data[x].tolist(), y=cum.tolist(), name=_text(label("cumulative_share", lang)),
                   yaxis="y2", mode="lines+markers"),
    ])
    fig.update_layout(
        xaxis={"title": {"text": _text(label(x, lang))}, "type": "category"},
        yaxis={"title": {"text": _text(label(y, lang))}},
        yaxis2={"title": {"text": _text(label("cumulative_share", lang))}, "overlaying": "y",
                "side": "right", "range": [0, 1.05], "tickformat": ".0%", "showgrid": False},
        legend={"orientation": "h", "y": -0.2},
    )
    return style_figure(fig, title=title, lang=lang, by=_by_text(x, lang))


def heatmap(df: pd.DataFrame, *, x: str, y: str, z: str, lang: str = "en", title: str | None = None,
            text_auto: bool | str = True, color_continuous_scale: str = "Blues",
            text_size: int = 12, row_height: int | None = None) -> go.Figure:
    """Heat map of ``z`` over the grid ``x`` × ``y`` (long format in, one row per cell).

    Parameters
    ----------
    df : DataFrame
        One row per (``x``, ``y``) pair; a repeated pair is an error.
    x, y, z : str
        Column, row and value columns. Rows and columns keep their order of first appearance.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.
    text_auto : bool or str
        Print the values in the cells (a d3 format such as ``".0f"``).
    color_continuous_scale : str
    text_size : int, default 12
        Font size of the cell values (plotly shrinks them to fit otherwise).
    row_height : int, optional
        Pixels per row: the figure grows with the rows so the values stay readable.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> d = pd.DataFrame({"recency": [1, 1, 2], "frequency": [1, 2, 1], "count": [5, 6, 7]})
    >>> heatmap(d, x="frequency", y="recency", z="count").data[0].z.tolist()
    [[5.0, 6.0], [7.0, nan]]
    """
    data = _prepare(df, [x, y, z], table="heat map data", lang=lang)
    dup = data.duplicated([x, y])
    if dup.any():
        raise DataError(
            f"Heat map data must have one row per ({x!r}, {y!r}) pair; {int(dup.sum())} rows repeat a pair "
            f"(first: {data.loc[dup, x].iloc[0]!r}, {data.loc[dup, y].iloc[0]!r}). Aggregate first."
        )
    grid = data.pivot(index=y, columns=x, values=z).reindex(
        index=pd.unique(data[y]), columns=pd.unique(data[x])).astype(float)
    fig = px.imshow(grid, text_auto=text_auto, color_continuous_scale=color_continuous_scale, template=TEMPLATE,
                    aspect="auto", labels={"x": _text(label(x, lang)), "y": _text(label(y, lang)),
                                           "color": _text(label(z, lang))})
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    if text_auto:
        fig.update_traces(textfont={"size": text_size})
    if row_height:
        fig.update_layout(height=max(360, 140 + row_height * grid.shape[0]))
    return style_figure(fig, title=title, lang=lang)


def line(df: pd.DataFrame, *, x: str, y: str | Sequence[str], color: str | None = None,
         lang: str = "en", title: str | None = None, markers: bool = True) -> go.Figure:
    """Line chart of one or several value columns over ``x`` (usually a period).

    Parameters
    ----------
    df : DataFrame
        Tidy: one row per point.
    x : str
        The x column (period, date, …).
    y : str or sequence of str
        One value column, or several (one line each, named from the catalogue).
    color : str, optional
        Column splitting the lines (only with a single ``y``).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.
    markers : bool

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> d = pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-02-01"]),
    ...                   "sales": [1.0, 2.0], "gross_profit": [0.5, 0.7]})
    >>> [t.name for t in line(d, x="period", y=["sales", "gross_profit"]).data]
    ['Sales', 'Gross profit']
    """
    ys = [y] if isinstance(y, str) else list(y)
    if len(ys) > 1 and color is not None:
        raise DataError("`color` can only split a single `y` column; pass one y or no color.")
    data = _prepare(df, [x, *ys, color], table="line chart data", lang=lang)
    if len(ys) == 1:
        fig = px.line(data, x=x, y=ys[0], color=color, markers=markers,
                      labels=_labels([x, ys[0], color], lang), template=TEMPLATE,
                      color_discrete_map=_discrete_map(df, color, lang))
    else:
        long = data.melt(id_vars=[x], value_vars=ys, var_name="measure", value_name="value")
        long["measure"] = long["measure"].map({c: _text(label(c, lang)) for c in ys})
        fig = px.line(long, x=x, y="value", color="measure", markers=markers,
                      labels={x: _text(label(x, lang)), "value": _text(label("value", lang)),
                              "measure": ""}, template=TEMPLATE,
                      color_discrete_map={_text(label(c, lang)): color_for(c) for c in ys})
    _date_ticks(fig, data[x], lang=lang)
    return style_figure(fig, title=title, lang=lang)


def funnel(df: pd.DataFrame, *, stage: str, value: str, lang: str = "en",
           title: str | None = None) -> go.Figure:
    """Funnel of ``value`` through ordered stages (rows in stage order).

    Parameters
    ----------
    df : DataFrame
        One row per stage, first stage first.
    stage, value : str
        Stage names (translated when catalogue keys) and counts.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure
        Each stage shows its value and its share of the first stage.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["customers", "orders"], "count": [10, 4]})
    >>> list(funnel(d, stage="stage", value="count").data[0].y)
    ['Customers', 'Orders']
    """
    data = _prepare(df, [stage, value], table="funnel data", lang=lang)
    fig = go.Figure(go.Funnel(y=data[stage].tolist(), x=data[value].tolist(),
                              textinfo="value+percent initial"))
    fig.update_layout(yaxis_title_text=_text(label(stage, lang)))
    return style_figure(fig, title=title, lang=lang)


def quadrant_scatter(df: pd.DataFrame, *, x: str, y: str, text: str | None = None,
                     color: str | None = None, size: str | None = None,
                     x_split: float | None = None, y_split: float | None = None,
                     quadrant_labels=QUADRANT_LABELS, lang: str = "en",
                     title: str | None = None) -> go.Figure:
    """Scatter split into four quadrants by a vertical and a horizontal line, captioned.

    Parameters
    ----------
    df : DataFrame
        One row per point (customer, product, factor, …).
    x, y : str
        The two measures.
    text : str, optional
        Column shown on hover and as the point name (escaped; never markup).
    color, size : str, optional
        Columns for colour (translated values) and marker size.
    x_split, y_split : float, optional
        Where the quadrants split; the median of ``x`` / ``y`` by default.
    quadrant_labels : mapping, default :data:`QUADRANT_LABELS`
        Catalogue keys for ``high_high``, ``high_low``, ``low_high``, ``low_low`` (x first).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> d = pd.DataFrame({"sales": [1.0, 2.0, 3.0], "gross_profit": [3.0, 1.0, 2.0]})
    >>> fig = quadrant_scatter(d, x="sales", y="gross_profit")
    >>> [s.x0 for s in fig.layout.shapes if s.type == "line"][:1]
    [2.0]
    """
    data = _prepare(df, [x, y, text, color, size], table="scatter data", lang=lang)
    xs = float(data[x].median()) if x_split is None else float(x_split)
    ys_ = float(data[y].median()) if y_split is None else float(y_split)
    fig = px.scatter(data, x=x, y=y, color=color, size=size, hover_name=text,
                     labels=_labels([x, y, text, color, size], lang), template=TEMPLATE,
                     color_discrete_map=_discrete_map(df, color, lang))
    fig.add_vline(x=xs, line_dash="dash", line_color="#888")
    fig.add_hline(y=ys_, line_dash="dash", line_color="#888")
    corners = {"high_high": (0.99, 0.99, "right", "top"), "high_low": (0.99, 0.01, "right", "bottom"),
               "low_high": (0.01, 0.99, "left", "top"), "low_low": (0.01, 0.01, "left", "bottom")}
    for key, (px_, py_, xa, ya) in corners.items():
        fig.add_annotation(x=px_, y=py_, xref="paper", yref="paper", xanchor=xa, yanchor=ya,
                           text=_text(label(quadrant_labels[key], lang)), showarrow=False,
                           font={"color": "#666", "size": 12})
    return style_figure(fig, title=title, lang=lang)


def _display_strings(df: pd.DataFrame, *, lang: str = "en", currency: str | None = None,
                     kinds: Mapping[str, str] | None = None, headers: Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """Readable, escaped cell texts, each column written by its kind
    (:func:`crm_lib.labels.format_values`): integers as integers, shares as percentages,
    amounts in the currency, dates in the language; blanks for missing values."""
    kinds = dict(kinds or {})
    out = {}
    for pos in range(df.shape[1]):
        s = df.iloc[:, pos].reset_index(drop=True)
        name = df.columns[pos]
        kind = kinds.get(name) or column_kind(name, s)
        out[pos] = format_values(s, kind, lang=lang, currency=currency).map(_text)
    frame = pd.DataFrame(out)
    names = headers if headers is not None else df.columns
    frame.columns = [_text(c) for c in names]
    return frame


def table(df: pd.DataFrame, *, lang: str = "en", title: str | None = None, max_rows: int = 50,
          index: bool | None = None, fill_colors: Sequence[str] | None = None,
          currency: str | None = None, kinds: Mapping[str, str] | None = None) -> go.Figure:
    """A plotly table: headers and category values from the catalogue, data text escaped.

    Parameters
    ----------
    df : DataFrame
        The table to show (its column names are catalogue keys, or shown as written).
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.
    max_rows : int, default 50
        Rows shown; a last row says how many more there are.
    index : bool, optional
        Show the index as the first column(s); by default when it is named.
    fill_colors : sequence of str, optional
        One background colour per row.
    currency : str, optional
        Currency of the amount columns (default :data:`crm_lib.labels.DEFAULT_CURRENCY`).
    kinds : mapping, optional
        ``{column: kind}`` overriding :func:`crm_lib.labels.column_kind`.

    Returns
    -------
    plotly Figure
        Each column written by its kind: counts as integers, shares as percentages, amounts
        with the currency, dates in the language. (:func:`crm_lib.tables.render` gives the same
        table as HTML, which prints and wraps better.)

    Examples
    --------
    >>> fig = table(pd.DataFrame({"name": ["<b>x</b>"], "sales": [1234.6], "customers": [12.0]}))
    >>> fig.data[0].header.values, fig.data[0].cells.values
    (('Name', 'Sales', 'Customers'), (['&lt;b&gt;x&lt;/b&gt;'], ['¥1,235'], ['12']))

    A table without rows is a note saying there is nothing to show (:class:`EmptyNote`).
    """
    if max_rows < 1:
        raise DataError(f"`max_rows` must be at least 1, got {max_rows}.")
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`df` must be a pandas DataFrame, got {type(df).__name__}.")
    if df.empty:
        from crm_lib.plots._shared import EmptyNote  # _shared imports this module

        return EmptyNote(lang, title)
    if index is None:
        index = any(n is not None for n in df.index.names)
    shown = df.reset_index() if index else df
    extra = len(shown) - max_rows
    head = shown.head(max_rows)
    translated = localize(head, lang)
    cells = _display_strings(localize(head, lang, columns=False), lang=lang, currency=currency,
                             kinds=kinds, headers=list(translated.columns))
    if extra > 0:
        cells = pd.concat([cells, pd.DataFrame([[_text(label("more_rows", lang, n=f"{extra:,}"))]
                                                + [""] * (cells.shape[1] - 1)], columns=cells.columns)])
    colors = list(fill_colors)[:max_rows] if fill_colors is not None else None
    if colors is not None and extra > 0:
        colors.append("white")
    fig = go.Figure(go.Table(
        header={"values": list(cells.columns), "fill_color": "#1f5f8b", "align": "left",
                "font": {"color": "white"}},
        cells={"values": [cells.iloc[:, i].tolist() for i in range(cells.shape[1])], "align": "left",
               **({"fill_color": [colors] * cells.shape[1]} if colors is not None else {})},
    ))
    fig.update_layout(height=min(120 + 28 * (len(cells) + 1), 900),
                      margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10})
    return style_figure(fig, title=title, lang=lang)


def quality_table(quality: pd.DataFrame, *, lang: str = "en", title: str | None = "data_quality_title",
                  max_rows: int = 50) -> go.Figure:
    """The dataset's data-quality report as a table, errors first, rows coloured by severity.

    Parameters
    ----------
    quality : DataFrame
        ``Dataset.quality``: table, check, severity, rows, examples.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.
    max_rows : int, default 50

    Returns
    -------
    plotly Figure
        A table; with no findings, one row saying so.

    Examples
    --------
    >>> q = pd.DataFrame({"table": ["customers"], "check": ["missing_email"], "severity": ["warning"],
    ...                   "rows": [3], "examples": ["rows 1, 2: empty, empty"]})
    >>> quality_table(q, lang="zh").data[0].header.values
    ('数据表', '检查项', '严重程度', '行数', '示例')
    """
    cols = ["table", "check", "severity", "rows", "examples"]
    require_columns(quality, cols, table="quality", hint="Pass `Dataset.quality`.")
    if quality.empty:
        return table(pd.DataFrame({"data_quality": [label("no_quality_issues", lang)]}),
                     lang=lang, title=title)
    rank = quality["severity"].map({s: i for i, s in enumerate(SEVERITY_ORDER)}).fillna(len(SEVERITY_ORDER))
    ordered = quality.assign(_rank=rank).sort_values(["_rank", "rows"], ascending=[True, False],
                                                     kind="stable")[cols]
    colors = ordered["severity"].map(dict(SEVERITY_COLORS)).fillna("white").tolist()
    # the examples start "rows 4, 17: ..." (the data layer's wording): the word in the language
    word = {"rows": label("examples_rows", lang), "row": label("examples_row", lang)}
    ordered = ordered.assign(examples=ordered["examples"].astype("str").str.replace(
        r"^(rows?) ", lambda m: word[m.group(1)] + " ", regex=True))
    return table(ordered.reset_index(drop=True), lang=lang, title=title, max_rows=max_rows,
                 index=False, fill_colors=colors)



def table_sizes(tables: Mapping[str, pd.DataFrame | None], *, lang: str = "en",
                title: str | None = "table_row_counts") -> go.Figure:
    """Rows per table of a dataset, as horizontal bars (absent tables are marked "not provided").

    Parameters
    ----------
    tables : mapping of str to DataFrame or None
        E.g. ``Dataset.tables()`` or ``{name: getattr(ds, name) for name in schema.TABLE_NAMES}``.
    lang : {"en", "zh"}
    title : str, optional
        Catalogue key of the title.

    Returns
    -------
    plotly Figure
        One bar per table, in the mapping's order, labelled with the row count.

    Examples
    --------
    >>> fig = table_sizes({"customers": pd.DataFrame({"a": [1, 2]}), "surveys": None}, lang="zh")
    >>> list(fig.data[0].y), list(fig.data[0].x), list(fig.data[0].text)
    (['客户', '满意度调查'], [2, 0], ['2', '未提供'])
    """
    names = list(tables)
    rows = [0 if tables[n] is None else len(tables[n]) for n in names]
    text = [label("missing_table", lang) if tables[n] is None else f"{r:,}" for n, r in zip(names, rows, strict=True)]
    fig = go.Figure(go.Bar(y=[_text(label(n, lang)) for n in names], x=rows, orientation="h",
                           text=[_text(t) for t in text], textposition="auto"))
    fig.update_layout(xaxis_title_text=_text(label("rows", lang)), yaxis={"autorange": "reversed"},
                      height=120 + 32 * len(names))
    return style_figure(fig, title=title, lang=lang)
