"""Tables for the reader: result frames rendered as HTML with pandas' Styler, and the report's
headline-figures block.

Every table goes through one path: category values and headers from the catalogue
(:func:`crm_lib.labels.localize`), each column written by its kind
(:func:`crm_lib.labels.format_values`: integers as integers, shares as percentages, amounts in
the report's currency, dates in the language), every text cell HTML-escaped (a customer called
``<b>`` shows as written), numbers right-aligned. The HTML has no scroll box and no fixed height:
it wraps Chinese names instead of cutting them and breaks across printed pages
(:data:`TABLE_CSS`).

The renderer is pandas' ``Styler`` (pandas and Jinja2 are already dependencies); great-tables
was measured beside it on a 20-row report table (``bench/bench_tables.py``,
``docs/benchmarks.md``): Styler renders it several times faster and its HTML is a fraction of
the size, and every format the reports need is done once in :mod:`crm_lib.labels` anyway.

:func:`parameter_table` turns a mapping of business rules (``LIFECYCLE_RULES``, ``UNIT_COSTS``, a
notebook's own dict) into a two-column table of rule names and values, the shape a reader expects.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from crm_lib._errors import DataError, require_columns
from crm_lib.labels import (
    check_lang,
    column_kind,
    format_values,
    has_label,
    label,
    localize,
)

__all__ = [
    "TABLE_CSS",
    "HEADLINE_CSS",
    "styled",
    "render",
    "parameter_table",
    "headline_changes",
    "headline_block",
]

TABLE_CSS = """
table.crm-table {border-collapse: collapse; font-size: 13px; margin: 0.4em 0 1em 0;
  max-width: 100%; page-break-inside: auto;}
table.crm-table caption {text-align: left; font-weight: 600; font-size: 15px; padding: 0.3em 0;}
table.crm-table th {background: #1f5f8b; color: #fff; text-align: left; padding: 4px 8px;
  font-weight: 600; vertical-align: bottom;}
table.crm-table td {padding: 3px 8px; border-bottom: 1px solid #e3e7ea; vertical-align: top;
  overflow-wrap: anywhere; word-break: normal;}
table.crm-table td.num {text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;}
table.crm-table tr {page-break-inside: avoid; break-inside: avoid;}
table.crm-table thead {display: table-header-group;}
table.crm-table td.more {color: #666; font-style: italic;}
"""
"""The stylesheet of :func:`render` tables (also valid in print: no scroll box, headers repeat
on each printed page, rows never split)."""

_NUMERIC_KINDS = frozenset({"integer", "number", "currency", "percent"})


def _shown(df: pd.DataFrame, *, index: bool | None, max_rows: int) -> tuple[pd.DataFrame, int]:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`df` must be a pandas DataFrame, got {type(df).__name__}.")
    if not isinstance(max_rows, (int, np.integer)) or max_rows < 1:
        raise DataError(f"`max_rows` must be at least 1, got {max_rows!r}.")
    if index is None:
        index = any(n is not None for n in df.index.names)
    shown = df.reset_index() if index else df.reset_index(drop=True)
    return shown.head(int(max_rows)), max(len(shown) - int(max_rows), 0)


def styled(df: pd.DataFrame, *, lang: str = "en", title: str | None = None,
           currency: str | None = None, kinds: Mapping[str, str] | None = None,
           max_rows: int = 50, index: bool | None = None, **title_values: object) -> Styler:
    """A result table ready to show: translated, each column formatted by its kind, escaped.

    Parameters
    ----------
    df : DataFrame
        A result table whose column names and category values are catalogue keys.
    lang : {"en", "zh", "zh+en"}
    title : str, optional
        Catalogue key of the caption (``{placeholders}`` filled from ``title_values``).
    currency : str, optional
        Currency of the amount columns (default :data:`crm_lib.labels.DEFAULT_CURRENCY`).
    kinds : mapping, optional
        ``{column: kind}`` where :func:`crm_lib.labels.column_kind` would guess wrong.
    max_rows : int, default 50
        Rows shown; a last row says how many more there are.
    index : bool, optional
        Show the index as the first column(s); by default when it is named.

    Returns
    -------
    pandas Styler
        Displays in a notebook; ``.to_html()`` gives the HTML (see :func:`render`). The input is
        not changed.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["East"], "customers": [1586.0], "sales_share": [0.52]})
    >>> st = styled(df, lang="zh")
    >>> list(st.data.columns), st.data.iloc[0].tolist()
    (['地区', '客户', '销售额占比'], ['华东', '1,586', '52%'])
    """
    check_lang(lang)
    shown, extra = _shown(df, index=index, max_rows=max_rows)
    kinds = dict(kinds or {})
    headers = list(localize(shown.iloc[:0], lang).columns)
    values = localize(shown, lang, columns=False)
    cols, numeric = {}, []
    for pos, name in enumerate(shown.columns):
        kind = kinds.get(name) or column_kind(name, shown.iloc[:, pos])
        cols[pos] = format_values(values.iloc[:, pos].reset_index(drop=True), kind, lang=lang,
                                  currency=currency).to_numpy(dtype=object)
        if kind in _NUMERIC_KINDS:
            numeric.append(pos)
    text = pd.DataFrame(cols, index=range(len(shown)))
    text.columns = pd.Index(_unique_headers(headers))
    if extra:
        more = [label("more_rows", lang, n=f"{extra:,}")] + [""] * (text.shape[1] - 1)
        text.loc[len(text)] = more
    classes = pd.DataFrame("", index=text.index, columns=text.columns)
    for pos in numeric:
        classes.iloc[: len(shown), pos] = "num"
    if extra:
        classes.iloc[-1, 0] = "more"
    st = text.style.hide(axis="index").format(escape="html").set_td_classes(classes)
    st = st.set_table_attributes('class="crm-table"')
    if title:
        st = st.set_caption(html.escape(label(title, lang, **title_values), quote=False))
    return st


def _unique_headers(headers: Sequence[str]) -> list[str]:
    """Headers made unique (Styler refuses repeated column labels): a repeat gets " (2)"."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        h = str(h)
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def render(df: pd.DataFrame, *, lang: str = "en", title: str | None = None,
           currency: str | None = None, kinds: Mapping[str, str] | None = None,
           max_rows: int = 50, index: bool | None = None, css: bool = False,
           **title_values: object) -> str:
    """The HTML of :func:`styled` (one ``<table class="crm-table">``).

    Parameters
    ----------
    css : bool, default False
        Put :data:`TABLE_CSS` in a ``<style>`` element before the table (a report includes it
        once instead).
    Other parameters as :func:`styled`.

    Returns
    -------
    str

    Examples
    --------
    >>> out = render(pd.DataFrame({"name": ["<b>A & B</b>"], "sales": [1234.6]}))
    >>> "&lt;b&gt;A &amp; B&lt;/b&gt;" in out, "¥1,235" in out, "<b>" in out
    (True, True, False)
    """
    body = styled(df, lang=lang, title=title, currency=currency, kinds=kinds, max_rows=max_rows,
                  index=index, **title_values).to_html()
    return f"<style>{TABLE_CSS}</style>\n{body}" if css else body


def parameter_table(rules: Mapping[str, object], *, name: str = "rule",
                    value: str = "value", keys: Sequence[str] | None = None) -> pd.DataFrame:
    """A mapping of business rules as a table: one row per rule, its name and its value.

    ``pd.DataFrame({"value": rules})`` looks like the same thing but is not: a read-only
    mapping (``MappingProxyType``, the type of every rule constant of crm_lib) is taken as a
    list of its keys, so the keys land in the value column under an index 0, 1, 2, …; and with a
    plain dict the rule names end up in an unnamed index that a table does not show. This
    builds the two columns explicitly, keys first, in the mapping's order.

    Parameters
    ----------
    rules : mapping
        E.g. ``crm.customers.LIFECYCLE_RULES`` or ``crm.customers.UNIT_COSTS`` (or a dict with
        a notebook's own values).
    name, value : str
        Names (catalogue keys) of the two columns, e.g. ``name="unit_cost_item",
        value="unit_cost_value"``.
    keys : sequence of str, optional
        Only these rules, in this order (e.g. the lifecycle rules that still decide a stage
        when churn's status decides lost and at risk); a key the mapping lacks is refused.

    Returns
    -------
    DataFrame
        Columns ``name`` (the rule keys, translated when shown) and ``value``.

    Examples
    --------
    >>> from types import MappingProxyType
    >>> parameter_table(MappingProxyType({"visit": 120.0, "complaint": 80.0}),
    ...                 name="unit_cost_item", value="unit_cost_value").to_dict("list")
    {'unit_cost_item': ['visit', 'complaint'], 'unit_cost_value': [120.0, 80.0]}
    >>> parameter_table({"a": 1, "b": 2, "c": 3}, keys=("c", "a")).to_dict("list")
    {'rule': ['c', 'a'], 'value': [3.0, 1.0]}
    """
    if not isinstance(rules, Mapping):
        raise DataError(f"`rules` must be a mapping of rule names to values, got "
                        f"{type(rules).__name__}.")
    if name == value:
        raise DataError(f"`name` and `value` must differ, got {name!r} for both.")
    if keys is not None:
        if isinstance(keys, str) or not isinstance(keys, Sequence):
            raise DataError(f"`keys` must be a sequence of rule names, got {keys!r}.")
        missing = [k for k in keys if k not in rules]
        if missing:
            raise DataError(f"`keys` must name rules of `rules`, got {missing[0]!r}; expected one "
                            f"of {[str(k) for k in rules]}.")
        rules = {k: rules[k] for k in keys}
    names = [str(k) for k in rules]
    vals = list(rules.values())
    out = pd.DataFrame({name: pd.array(names, dtype="str"), value: vals})
    if len(vals) and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                         for v in vals):
        out[value] = out[value].astype(float)
    return out


# ---------------------------------------------------------------------------------------------
# headline figures
# ---------------------------------------------------------------------------------------------

HEADLINE_CSS = """
.crm-headline {display: flex; flex-wrap: wrap; gap: 12px; margin: 0.5em 0 1.2em 0;}
.crm-headline .figure {flex: 1 1 150px; border: 1px solid #d5dde3; border-radius: 6px;
  padding: 8px 12px; break-inside: avoid;}
.crm-headline .name {font-size: 13px; color: #555;}
.crm-headline .value {font-size: 24px; font-weight: 600; color: #222; white-space: nowrap;}
.crm-headline .change {font-size: 12px; white-space: nowrap;}
.crm-headline .good {color: #1f7a4d;} .crm-headline .bad {color: #c0392b;}
.crm-headline .flat {color: #666;}
"""
"""The stylesheet of :func:`headline_block`."""

_HEADLINE_COLUMNS = ("figure", "value", "previous", "kind")
MIN_HEADLINES, MAX_HEADLINES = 3, 6


def headline_changes(figures: pd.DataFrame) -> pd.DataFrame:
    """The change of each headline figure on the previous month.

    Parameters
    ----------
    figures : DataFrame
        One row per figure: ``figure`` (catalogue key), ``value`` (this month), ``previous``
        (last month; missing when unknown), ``kind`` (``integer``, ``number``, ``currency`` or
        ``percent``) and optionally ``better`` (``"up"``, ``"down"``; default ``"up"``: whether
        a rise is good news).

    Returns
    -------
    DataFrame
        A copy with ``change`` (value − previous; for percentages in percentage points, i.e.
        the difference of the shares), ``change_ratio`` (change / |previous|, for the other
        kinds; missing for percentages and when previous is 0 or missing) and ``direction``
        (``"up"``, ``"down"``, ``"flat"``, or ``""`` without a previous value), ``good``
        (True, False, or missing when flat or unknown).

    Examples
    --------
    >>> f = pd.DataFrame({"figure": ["sales", "churn_rate"], "value": [110.0, 0.05],
    ...                   "previous": [100.0, 0.04], "kind": ["currency", "percent"],
    ...                   "better": ["up", "down"]})
    >>> out = headline_changes(f)
    >>> [round(v, 4) for v in out["change"]], out["change_ratio"].round(2).tolist()[:1]
    ([10.0, 0.01], [0.1])
    >>> out["direction"].tolist(), out["good"].tolist()
    (['up', 'up'], [True, False])
    """
    require_columns(figures, list(_HEADLINE_COLUMNS), table="headline figures",
                    hint="One row per figure: figure, value, previous, kind.")
    bad_kind = ~figures["kind"].isin(["integer", "number", "currency", "percent"])
    if bad_kind.any():
        raise DataError("Column 'kind' of `headline figures` must be one of ['integer', 'number', "
                        f"'currency', 'percent'], got {figures.loc[bad_kind, 'kind'].iloc[0]!r}.")
    out = figures.copy()
    if "better" not in out.columns:
        out["better"] = "up"
    out["better"] = out["better"].fillna("up")
    wrong = ~out["better"].isin(["up", "down"])
    if wrong.any():
        raise DataError("Column 'better' of `headline figures` must be 'up' or 'down', got "
                        f"{out.loc[wrong, 'better'].iloc[0]!r}.")
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    prev = pd.to_numeric(out["previous"], errors="coerce").astype(float)
    change = value - prev
    pct = (out["kind"] == "percent").to_numpy()
    ratio = change / prev.abs()
    ratio = ratio.where(~pct & (prev != 0) & prev.notna())
    direction = np.select([change > 0, change < 0, change == 0], ["up", "down", "flat"], "")
    out["change"] = change
    out["change_ratio"] = ratio
    out["direction"] = direction
    good = pd.Series(pd.NA, index=out.index, dtype="boolean")
    moved = pd.Series(direction, index=out.index).isin(["up", "down"])
    good[moved] = (pd.Series(direction, index=out.index) == out["better"])[moved]
    out["good"] = good
    return out


def _change_text(row_kind: str, change: float, ratio: float, lang: str, currency: str | None
                 ) -> str:
    if np.isnan(change):
        return label("headline_no_previous", lang)
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    if row_kind == "percent":
        points = format_values(pd.Series([abs(change) * 100]), "number", lang=lang,
                               decimals=1).iloc[0]
        amount = label("percentage_points", lang, n=points)
    else:
        amount = format_values(pd.Series([abs(change)]), row_kind, lang=lang,
                               currency=currency).iloc[0]
        if not np.isnan(ratio):
            amount += " (" + format_values(pd.Series([abs(ratio)]), "percent", lang=lang).iloc[0] + ")"
    return f"{arrow} {sign}{amount} {label('headline_vs_previous_month', lang)}"


def headline_block(figures: pd.DataFrame, *, lang: str = "en", currency: str | None = None,
                   month: object = None, css: bool = True) -> str:
    """The report's headline block: three to six figures, each with its change on last month.

    Parameters
    ----------
    figures : DataFrame
        As :func:`headline_changes` takes it: ``figure`` (catalogue key of its name),
        ``value``, ``previous``, ``kind`` and optionally ``better``.
    lang : {"en", "zh", "zh+en"}
    currency : str, optional
        Currency of ``currency`` figures (default :data:`crm_lib.labels.DEFAULT_CURRENCY`).
    month : date-like, optional
        The report month, written above the figures ("2026年10月").
    css : bool, default True
        Include :data:`HEADLINE_CSS`.

    Returns
    -------
    str
        HTML: a ``<div class="crm-headline">`` with one ``<div class="figure">`` per row:
        name, value (formatted by kind), and "▲ +¥12,300 (4.5%) on last month" coloured good or
        bad by ``better``. Every text is escaped.

    Raises
    ------
    DataError
        Fewer than 3 or more than 6 figures, or a bad ``kind`` / ``better``.

    Examples
    --------
    >>> f = pd.DataFrame({"figure": ["customers", "sales", "churn_rate"],
    ...                   "value": [1586, 1.25e6, 0.05], "previous": [1500, 1.2e6, 0.04],
    ...                   "kind": ["integer", "currency", "percent"],
    ...                   "better": ["up", "up", "down"]})
    >>> out = headline_block(f, lang="zh", month="2026-10", css=False)
    >>> "¥1,250,000" in out and "▲ +86 (5.7%) 较上月" in out and "+1.0个百分点" in out
    True
    """
    check_lang(lang)
    n = len(figures) if isinstance(figures, pd.DataFrame) else 0
    if not MIN_HEADLINES <= n <= MAX_HEADLINES:
        raise DataError(f"`figures` must have {MIN_HEADLINES} to {MAX_HEADLINES} rows (one per "
                        f"headline figure), got {n}.")
    rows = headline_changes(figures)
    parts = []
    if month is not None:
        from crm_lib.labels import format_date

        parts.append(f'<div class="month">{html.escape(format_date(month, "month", lang=lang))}'
                     "</div>")
    for kind, group in rows.groupby("kind", sort=False):
        rows.loc[group.index, "shown"] = format_values(group["value"].astype(float), kind,
                                                       lang=lang, currency=currency).to_numpy()
    cards = []
    for rec in rows.itertuples(index=False):  # three to six figures
        name = label(rec.figure, lang) if has_label(rec.figure) else str(rec.figure)
        change = _change_text(rec.kind, float(rec.change), float(rec.change_ratio), lang, currency)
        tone = "flat" if pd.isna(rec.good) else "good" if rec.good else "bad"
        cards.append(
            '<div class="figure">'
            f'<div class="name">{html.escape(name)}</div>'
            f'<div class="value">{html.escape(str(rec.shown))}</div>'
            f'<div class="change {tone}">{html.escape(change)}</div></div>')
    style = f"<style>{HEADLINE_CSS}</style>\n" if css else ""
    return style + '<div class="crm-headline">' + "".join(parts) + "".join(cards) + "</div>"
