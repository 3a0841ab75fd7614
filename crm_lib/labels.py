"""The presentation layer's one place: keys to words, number formats, one colour per category key.

Three things live here, and nowhere else:

* **Words.** The English/Chinese catalogue: every heading, axis label, legend, table header and
  category name, in :data:`LANGS` (``"en"``, ``"zh"`` and the bilingual teaching edition
  ``"zh+en"``, which shows the Chinese text followed by the English one).
* **Number formats.** :func:`format_values` writes a column by its kind (:data:`KINDS`, inferred
  from the column name and type by :func:`column_kind`): thousands separators, integers without
  decimals, percentages, the currency of the report (:data:`CURRENCIES`), dates per language.
  :func:`date_tickformat` gives plotly the matching axis format (``2026年10月`` in Chinese).
* **Colours.** :func:`color_for` gives every category key one fixed colour (:data:`CATEGORY_COLORS`:
  tiers, ABC classes, RFM segments, stages and statuses, loss reasons, complaint categories,
  regions, product categories, the main measures); "lost" and "at risk" are red and amber
  everywhere. A key not in the table gets a colour derived from the key itself, so it too keeps
  its colour from chart to chart.

The catalogue is the union of every ``crm_lib/catalogue/*.yaml`` file. Each file belongs to one
domain and maps a key to its texts::

    gross_profit: {en: "Gross profit", zh: "毛利"}

Column names and category values are keys themselves (``gross_profit``, ``quality``, ``VIP``), so
:func:`localize` can translate a result table without being told which columns it holds. A key
appears in exactly one file; loading fails with a :class:`~crm_lib._errors.DataError` naming both
files otherwise.

An unknown key is not an error (a batch report must not fail over a missing label): :func:`label`
returns the key itself and remembers it; :func:`missing_keys` lists what was asked for and not found,
and the tests check that list.
"""

from __future__ import annotations

import functools
import os
import warnings
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import yaml

from crm_lib._errors import DataError, DataWarning, require_one_of

CATALOGUE_LANGS: tuple[str, ...] = ("en", "zh")
"""The languages of the catalogue; every entry has a text for each."""

LANGS: tuple[str, ...] = ("en", "zh", "zh+en")
"""The report languages: English, Chinese, and the bilingual teaching edition (Chinese first, the
English text after it in brackets)."""

BILINGUAL = "zh+en"

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"

UNTRANSLATED_COLUMNS: tuple[str, ...] = (
    "customer_id", "order_id", "product_id", "complaint_id", "response_id", "call_id",
    "invoice_id", "name", "note", "email", "phone", "decision_maker", "parent_company",
    "sales_rep", "handled_by", "examples",
)
"""Columns whose values are identifiers or free text: :func:`localize` never translates their values
(a customer called "VIP" keeps the name)."""

MISSING_ENV = "CRM_WORKBOOK_MISSING_LABELS"
"""When set (the report batch sets it per notebook), :func:`label` appends each key it cannot find
to this file, one per line, so the batch can list a notebook's missing keys."""

_missing: set[str] = set()


def _record_missing(key: str) -> None:
    if key in _missing:
        return
    _missing.add(key)
    path = os.environ.get(MISSING_ENV, "")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(key.replace("\n", " ") + "\n")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key repeated inside one mapping."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DataError(
                f"Catalogue key {key!r} appears twice in {Path(loader.name).name} "
                f"(lines {seen[key] + 1} and {key_node.start_mark.line + 1}). Keep one."
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_catalogue(directory: str | Path | None = None, *,
                   strict: bool = True) -> Mapping[str, Mapping[str, str]]:
    """Read and check every ``*.yaml`` catalogue file of ``directory``.

    Parameters
    ----------
    directory : path, optional
        The folder of catalogue files; the package's ``crm_lib/catalogue`` when omitted.
    strict : bool, default True
        Refuse a key defined in two files. With ``False`` the first file (in name order) keeps
        the key and a :class:`~crm_lib._errors.DataWarning` names both files: a report must not
        fail over a label.

    Returns
    -------
    Mapping
        Read-only ``{key: {"en": text, "zh": text}}``.

    Raises
    ------
    DataError
        A key defined in two files (or twice in one), an entry without a text for each of
        :data:`CATALOGUE_LANGS`, or a file that is not a mapping.

    Examples
    --------
    >>> read_catalogue()["gross_profit"]["en"]
    'Gross profit'
    """
    folder = Path(directory) if directory is not None else CATALOGUE_DIR
    entries: dict[str, Mapping[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            loader = _UniqueKeyLoader(fh)
            loader.name = str(path)
            try:
                content = loader.get_single_data() or {}
            except yaml.YAMLError as exc:
                raise DataError(f"Catalogue file {path.name} is not valid YAML: {exc}") from None
            finally:
                loader.dispose()
        if not isinstance(content, dict):
            raise DataError(f"Catalogue file {path.name} must map keys to texts, got {type(content).__name__}.")
        for key, texts in content.items():
            key = str(key)
            if key in origin:
                msg = (f"Catalogue key {key!r} is defined in both {origin[key]} and {path.name}. "
                       "Keys must be unique across files: keep one, or prefix the domain's key.")
                if strict:
                    raise DataError(msg)
                warnings.warn(msg + f" Using the text of {origin[key]}.", DataWarning, stacklevel=2)
                continue
            if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) or not texts.get(lang)
                                                  for lang in CATALOGUE_LANGS):
                raise DataError(
                    f"Catalogue key {key!r} in {path.name} must have a text for each of "
                    f"{list(CATALOGUE_LANGS)}, got {texts!r}."
                )
            origin[key] = path.name
            entries[key] = MappingProxyType({lang: texts[lang] for lang in CATALOGUE_LANGS})
    return MappingProxyType(entries)


@functools.cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """The package catalogue, read once per process (see :func:`read_catalogue`; a key defined in
    two files warns instead of failing: ``tests/test_labels.py`` refuses it).

    Returns
    -------
    Mapping
        Read-only ``{key: {"en": text, "zh": text}}``.

    Examples
    --------
    >>> "month" in catalogue()
    True
    """
    return read_catalogue(strict=False)


def _check_lang(lang: str) -> None:
    require_one_of("lang", lang, LANGS)


def check_lang(lang: object) -> str:
    """Validate a report language (one of :data:`LANGS`) and return it.

    Examples
    --------
    >>> check_lang("zh+en")
    'zh+en'
    """
    _check_lang(lang)  # type: ignore[arg-type]
    return lang  # type: ignore[return-value]


def _bilingual(zh: str, en: str) -> str:
    """The teaching edition's text: Chinese first, English after it (once when they agree)."""
    return zh if zh == en else f"{zh}（{en}）"


def _entry_text(entry: Mapping[str, str], lang: str) -> str:
    if lang == BILINGUAL:
        return _bilingual(entry["zh"], entry["en"])
    return entry[lang]


def has_label(key: object) -> bool:
    """Whether ``key`` is in the catalogue.

    Examples
    --------
    >>> has_label("gross_profit"), has_label("no such key")
    (True, False)
    """
    return isinstance(key, str) and key in catalogue()


def label(key: str, lang: str = "en", **values: object) -> str:
    """The text of ``key`` in ``lang``; the key itself when the catalogue lacks it.

    Parameters
    ----------
    key : str
        A catalogue key (a column name, a category value, a title key).
    lang : {"en", "zh", "zh+en"}
        The report language (``"zh+en"``: the Chinese text, then the English one in brackets).
    **values
        Fill ``{placeholders}`` of the text, e.g. ``label("top_n_title", n=10)``.

    Returns
    -------
    str
        The text. An unknown key comes back unchanged and is recorded for :func:`missing_keys`.

    Examples
    --------
    >>> label("gross_profit", "zh")
    '毛利'
    >>> label("gross_profit", "zh+en")
    '毛利（Gross profit）'
    >>> label("not_in_the_catalogue")
    'not_in_the_catalogue'
    """
    _check_lang(lang)
    entry = catalogue().get(key) if isinstance(key, str) else None
    if entry is None:
        _record_missing(str(key))
        return str(key).format(**values) if values and "{" in str(key) else str(key)
    if lang == BILINGUAL and values:
        return _bilingual(entry["zh"].format(**values), entry["en"].format(**values))
    text = _entry_text(entry, lang)
    return text.format(**values) if values else text


def missing_keys() -> list[str]:
    """The keys :func:`label` was asked for in this process and did not find, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> _ = label("surely_missing_key")
    >>> "surely_missing_key" in missing_keys()
    True
    """
    return sorted(_missing)


def _value_entry(cat: Mapping[str, Mapping[str, str]], column: object, value: object):
    """The catalogue entry of a category value: ``column=value`` first (a value whose meaning
    depends on its column, e.g. ``size=small`` against the tier ``small``), then ``value``."""
    if not isinstance(value, str):
        return None
    if column is not None:
        entry = cat.get(f"{column}={value}")
        if entry is not None:
            return entry
    return cat.get(value)


def _translate_values(values: pd.Series | pd.Index, lang: str,
                      column: object = None) -> pd.Series | pd.Index:
    """Translate the distinct values that are catalogue keys (one lookup per distinct value)."""
    cat = catalogue()
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories if isinstance(values, pd.Series) else values.categories
        mapping = {c: _entry_text(e, lang) for c in cats
                   if (e := _value_entry(cat, column, c)) is not None}
        if not mapping:
            return values
        new = [mapping.get(c, c) for c in cats]
        if len(set(new)) == len(new):
            renamed = values.cat.rename_categories(new) if isinstance(values, pd.Series) \
                else values.rename_categories(new)
            return renamed
        values = values.astype(str)
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return values
    distinct = pd.unique(values[pd.notna(values)]) if isinstance(values, pd.Series) \
        else values.dropna().unique()
    mapping = {v: _entry_text(e, lang) for v in distinct
               if (e := _value_entry(cat, column, v)) is not None}
    if not mapping:
        return values
    if isinstance(values, pd.Series):
        return values.replace(mapping)
    return values.map(lambda v: mapping.get(v, v))


def localize(df: pd.DataFrame, lang: str, *, columns: bool = True, values: bool = True,
             keep: Iterable[str] = UNTRANSLATED_COLUMNS) -> pd.DataFrame:
    """Translate a result table for the reader: column headers and category values.

    Parameters
    ----------
    df : DataFrame
        A tidy result table; column names and category values that are catalogue keys are
        translated, everything else is left as it is.
    lang : {"en", "zh", "zh+en"}
        The report language.
    columns : bool, default True
        Translate column headers (and index names).
    values : bool, default True
        Translate values of text and categorical columns (and of a text index).
    keep : iterable of str, default :data:`UNTRANSLATED_COLUMNS`
        Columns whose values are never translated (identifiers and free text).

    Returns
    -------
    DataFrame
        A new frame with the same shape and row order; numbers untouched.

    Examples
    --------
    >>> df = pd.DataFrame({"kind": ["company", "individual"], "gross_profit": [1.0, 2.0]})
    >>> list(localize(df, "zh").columns)
    ['客户类型', '毛利']
    >>> localize(df, "zh")["客户类型"].tolist()
    ['企业客户', '个人客户']
    """
    _check_lang(lang)
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`df` must be a pandas DataFrame, got {type(df).__name__}.")
    keep = set(keep)
    out = df.copy()
    if values:
        for pos, col in enumerate(out.columns):
            if col in keep:
                continue
            translated = _translate_values(out.iloc[:, pos], lang, column=col)
            if translated is not out.iloc[:, pos]:
                out.isetitem(pos, translated)
        if not isinstance(out.index, pd.MultiIndex) and out.index.name not in keep:
            out.index = _translate_values(out.index, lang, column=out.index.name)
    if columns:
        cat = catalogue()
        out = out.rename(columns=lambda c: _entry_text(cat[c], lang) if isinstance(c, str) and c in cat
                         else c)
        out.index = out.index.set_names(
            [_entry_text(cat[n], lang) if isinstance(n, str) and n in cat else n
             for n in out.index.names]
        )
    return out


# ---------------------------------------------------------------------------------------------
# number and date formats
# ---------------------------------------------------------------------------------------------

KINDS: tuple[str, ...] = ("text", "integer", "number", "general", "currency", "percent", "date",
                          "month", "datetime", "flag")
"""How a column is written: see :func:`format_values`."""

CURRENCIES = MappingProxyType({
    "CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "HKD": "HK$", "EUR": "€", "GBP": "£",
    "": "",
})
"""Currency codes and the symbol written before an amount ("" writes amounts without one)."""

DEFAULT_CURRENCY = "CNY"
"""The currency of the sample company; a report takes its own from a parameter."""

PERCENT_COLUMNS = frozenset({
    "share", "gross_margin", "customer_margin", "margin", "churn_rate", "retention_share",
    "service_level", "target", "prob_alive", "attainment", "growth", "sales_growth",
    "profit_growth", "expected_share", "retention_rate", "csat", "csat_lower", "csat_upper",
    "churn_lower", "churn_upper", "response_rate", "reopened_rate", "satisfied_rate",
    "preventable_share", "reference_share", "cumulative_share", "discount_rate",
    "retention_gain", "gold_share", "bottom_share", "survival", "survival_lower",
    "survival_upper", "current_score", "potential_score", "gap",
})
"""Float columns written as percentages (besides every ``*_share``, ``*_rate`` and ``*_margin``)."""

CURRENCY_COLUMNS = frozenset({
    "sales", "gross_profit", "amount", "cost", "net_profit", "cost_to_serve", "clv",
    "credit_limit", "monetary", "expected_sales", "unit_price", "unit_cost", "avg_inventory_cost",
    "value_per_customer", "predicted_clv_per_customer", "clv_per_customer", "mean_sales",
    "annual_gross_profit", "sales_last_year", "gross_profit_last_year", "open_amount",
    "overdue_amount", "receivables", "cumulative_sales", "average_sales", "unit_cost_value",
    "historical_clv", "acquisition_cost", "value_at_risk", "expected_spend", "current_value",
})
"""Float columns written as amounts in the report's currency (besides ``*_sales``, ``*_profit``,
``*_amount``, ``*_cost`` and ``*_clv``)."""

GENERAL_COLUMNS = frozenset({"value", "weight", "coef", "se", "lower_95", "upper_95"})
"""Float columns of mixed values (a rule table's values, model parameters): each number with as
many decimals as it needs, up to four significant digits (``6``, ``2.5``, ``0.2431``)."""

_PERCENT_SUFFIXES = ("_share", "_rate", "_margin", "_pct")
_CURRENCY_SUFFIXES = ("_sales", "_profit", "_amount", "_cost", "_clv", "_revenue")


def column_kind(name: object, values: pd.Series) -> str:
    """The kind (:data:`KINDS`) a column is written as, from its name and its values.

    Booleans are flags; dates are dates (``month`` when every value is the first of a month and
    the column is a period); integer columns, and float columns holding only whole numbers that
    are neither amounts nor shares (counts and years read back from a CSV), are integers; shares,
    rates and margins are percentages; sales, profits, costs and values are currency; the rest
    are numbers or text.

    Examples
    --------
    >>> column_kind("customers", pd.Series([1586.0, 12.0]))
    'integer'
    >>> column_kind("sales_share", pd.Series([0.52]))
    'percent'
    >>> column_kind("gross_profit", pd.Series([1200.5]))
    'currency'
    """
    dtype = values.dtype
    key = str(name)
    if pd.api.types.is_bool_dtype(dtype):
        return "flag"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        present = values.dropna()
        if len(present) and bool((present != present.dt.normalize()).any()):
            return "datetime"
        if key in {"period", "month", "cohort", "cohort_start"} and len(present) \
                and bool((present.dt.day == 1).all()):
            return "month"
        return "date"
    if not pd.api.types.is_numeric_dtype(dtype):
        return "text"
    if key in PERCENT_COLUMNS or key.endswith(_PERCENT_SUFFIXES):
        return "percent"
    if key in CURRENCY_COLUMNS or key.endswith(_CURRENCY_SUFFIXES):
        return "currency"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    present = values.dropna().to_numpy(dtype=float)
    present = present[np.isfinite(present)]
    if len(present) and bool(np.all(present == np.round(present))):
        return "integer"
    if key in GENERAL_COLUMNS:
        return "general"
    return "number"


def currency_symbol(currency: str | None) -> str:
    """The symbol of ``currency`` (a code of :data:`CURRENCIES`, or a symbol given as it is).

    Examples
    --------
    >>> currency_symbol("CNY"), currency_symbol("USD"), currency_symbol(None)
    ('¥', '$', '¥')
    """
    if currency is None:
        currency = DEFAULT_CURRENCY
    return CURRENCIES.get(str(currency).upper(), str(currency))


def _group_digits(values: np.ndarray, decimals: int) -> pd.Series:
    """Numbers with thousands separators and a fixed number of decimals (one call per column)."""
    return pd.Series(values, dtype=float).map(f"{{:,.{decimals}f}}".format).astype(object)


def _decimals_for(values: np.ndarray, kind: str) -> int:
    finite = np.abs(values[np.isfinite(values)])
    if not len(finite):
        return 0
    if kind == "currency":
        return 0 if np.nanmedian(finite) >= 100 else 2
    if kind == "percent":
        return 0 if np.all(np.isclose(finite * 100, np.round(finite * 100))) else 1
    big = np.nanmedian(finite)
    return 0 if big >= 1000 else 1 if big >= 100 else 2


def format_values(values: pd.Series, kind: str | None = None, *, lang: str = "en",
                  currency: str | None = None, decimals: int | None = None,
                  name: object = None) -> pd.Series:
    """Write a column for the reader: one rule per kind, the same in every chart and table.

    Parameters
    ----------
    values : Series
        The column (numbers, dates, flags or text; text that is a catalogue key is translated).
    kind : str, optional
        One of :data:`KINDS`; by default :func:`column_kind` of ``name`` and the values.
    lang : {"en", "zh", "zh+en"}
    currency : str, optional
        Currency code or symbol for ``currency`` columns (default :data:`DEFAULT_CURRENCY`).
    decimals : int, optional
        Fixed decimals (default: chosen per column from the size of its values: amounts of 100
        and more and integers without decimals, shares as whole percentages where exact).
    name : str, optional
        The column's name (a catalogue key), used to infer ``kind``.

    Returns
    -------
    Series
        Text, same index; a missing value is an empty string. Integers as ``1,586``; numbers as
        ``1,234.57``; mixed values (``general``) as ``6``, ``2.5``; currency as ``¥1,235``; percentages as ``52%`` or ``52.4%``; dates as
        ``2026-10-31`` in English and ``2026年10月31日`` in Chinese; months as ``2026-10`` /
        ``2026年10月``; flags as ``✓``.

    Examples
    --------
    >>> format_values(pd.Series([1586.0, 12.0]), name="customers").tolist()
    ['1,586', '12']
    >>> format_values(pd.Series([0.5, 0.476176]), "percent").tolist()
    ['50.0%', '47.6%']
    >>> format_values(pd.Series([1234.6, -200.0]), "currency", currency="CNY").tolist()
    ['¥1,235', '-¥200']
    >>> format_values(pd.Series([12.5, 3.0]), "currency", currency="USD").tolist()
    ['$12.50', '$3.00']
    >>> format_values(pd.Series(pd.to_datetime(["2026-10-31"])), "date", lang="zh").tolist()
    ['2026年10月31日']
    """
    _check_lang(lang)
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    if kind is None:
        kind = column_kind(name if name is not None else values.name, values)
    require_one_of("kind", kind, KINDS)
    missing = values.isna().to_numpy()
    if kind == "flag":
        text = values.map({True: "✓", False: ""}).astype(object)
    elif kind in ("date", "month", "datetime"):
        stamps = pd.to_datetime(values, errors="coerce")
        text = stamps.dt.strftime(_DATE_FORMATS[kind][_base_lang(lang)]).astype(object)
    elif kind == "text":
        shown = _translate_values(values.astype(object), lang) if len(values) else values
        text = pd.Series(shown, index=values.index).astype(object).map(str)
    else:
        nums = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        missing = missing | ~np.isfinite(nums)
        scaled = nums * 100 if kind == "percent" else nums
        if kind == "general":
            body = pd.Series(scaled, dtype=float).map(
                lambda v: f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}").astype(object)
            text = pd.Series(body.to_numpy(), index=values.index, dtype=object)
            text[missing] = ""
            return text
        if kind == "integer":
            dec = 0
            scaled = np.round(scaled)
        else:
            dec = _decimals_for(nums, kind) if decimals is None else int(decimals)
        body = _group_digits(np.abs(scaled) if kind == "currency" else scaled, dec)
        if kind == "percent":
            body = body + "%"
        elif kind == "currency":
            sign = np.where(scaled < 0, "-", "")
            body = sign + currency_symbol(currency) + body
        text = pd.Series(body.to_numpy(), index=values.index, dtype=object)
    text = pd.Series(text.to_numpy(dtype=object), index=values.index, dtype=object)
    text[missing] = ""
    return text


def format_number(value: float, kind: str = "number", *, lang: str = "en",
                  currency: str | None = None, decimals: int | None = None) -> str:
    """One number written as :func:`format_values` writes a column of that kind.

    Examples
    --------
    >>> format_number(0.523, "percent"), format_number(1586.0, "integer")
    ('52.3%', '1,586')
    """
    return format_values(pd.Series([value]), kind, lang=lang, currency=currency,
                         decimals=decimals).iloc[0]


def _base_lang(lang: str) -> str:
    """The language of dates and number words: the bilingual edition writes them in Chinese."""
    return "zh" if lang == BILINGUAL else lang


_DATE_FORMATS = MappingProxyType({
    "date": {"en": "%Y-%m-%d", "zh": "%Y年%m月%d日"},
    "month": {"en": "%Y-%m", "zh": "%Y年%m月"},
    "datetime": {"en": "%Y-%m-%d %H:%M", "zh": "%Y年%m月%d日 %H:%M"},
})


def format_date(value: object, kind: str = "date", *, lang: str = "en") -> str:
    """A date (or month) in the report language.

    Examples
    --------
    >>> format_date("2026-10-31", lang="zh"), format_date("2026-10-31", "month")
    ('2026年10月31日', '2026-10')
    """
    require_one_of("kind", kind, tuple(_DATE_FORMATS))
    _check_lang(lang)
    return pd.Timestamp(value).strftime(_DATE_FORMATS[kind][_base_lang(lang)])


def date_tickformat(lang: str = "en", *, kind: str = "month") -> str:
    """The plotly (d3) format of a date axis in ``lang``: numbers only, so no English month
    names reach a Chinese report (``2026年10月``; ``2026-10`` in English).

    Examples
    --------
    >>> date_tickformat("zh"), date_tickformat("en"), date_tickformat("zh", kind="date")
    ('%Y年%-m月', '%Y-%m', '%Y年%-m月%-d日')
    """
    _check_lang(lang)
    base = _base_lang(lang)
    formats = {"month": {"en": "%Y-%m", "zh": "%Y年%-m月"},
               "date": {"en": "%Y-%m-%d", "zh": "%Y年%-m月%-d日"}}
    require_one_of("kind", kind, tuple(formats))
    return formats[kind][base]


def d3_format(kind: str, *, currency: str | None = None) -> str:
    """The plotly (d3) number format of a kind, for axes, hover texts and bar labels.

    Examples
    --------
    >>> d3_format("percent"), d3_format("currency", currency="CNY"), d3_format("integer")
    ('.0%', '¥,.0f', ',.0f')
    """
    formats = {"integer": ",.0f", "number": ",.2f", "percent": ".0%",
               "currency": currency_symbol(currency) + ",.0f"}
    require_one_of("kind", kind, tuple(formats))
    return formats[kind]


# ---------------------------------------------------------------------------------------------
# colours
# ---------------------------------------------------------------------------------------------

WARNING_COLORS = MappingProxyType({"lost": "#c0392b", "at_risk": "#e69f00"})
"""The two warning colours: red for lost, amber for at risk (every family uses them)."""

_RED, _AMBER = WARNING_COLORS["lost"], WARNING_COLORS["at_risk"]
_GREY = "#9aa5ad"

CATEGORY_COLORS: Mapping[str, str] = MappingProxyType({
    # customer tiers and ABC classes: one blue scale, the best darkest
    "VIP": "#0b3c5d", "major": "#2f78b4", "ordinary": "#86b6dc", "small": "#c6d3dd",
    "A": "#0b3c5d", "B": "#2f78b4", "C": "#a9bcca",
    # lifecycle stages, stability and churn status
    "potential": "#c6d3dd", "new": "#6cc1a0", "active": "#3a9d5d", "loyal": "#1f6f43",
    "at_risk": _AMBER, "lost": _RED, "stable": "#3a9d5d", "churned": _RED,
    # RFM segments: warm where customers are slipping away
    "rfm_champions": "#1f6f43", "rfm_loyal": "#3a9d5d", "rfm_potential_loyalists": "#6cc1a0",
    "rfm_new": "#2f78b4", "rfm_promising": "#86b6dc", "rfm_need_attention": "#b5b82e",
    "rfm_about_to_sleep": "#f0c05a", "rfm_at_risk": _AMBER, "rfm_cant_lose": "#d35400",
    "rfm_hibernating": "#9aa5ad", "rfm_lost": _RED,
    "rfm_important_value": "#1f6f43", "rfm_important_development": "#2f78b4",
    "rfm_important_retention": _AMBER, "rfm_important_winback": "#d35400",
    "rfm_general_value": "#6cc1a0", "rfm_general_development": "#86b6dc",
    "rfm_general_retention": "#f0c05a", "rfm_general_winback": "#9aa5ad",
    # loss reasons
    "died": "#7f7f7f", "moved": "#8c6d46", "preference_change": "#8e6bb8",
    "friend_recommendation": "#2bb3c0", "cheaper_elsewhere": "#e07b39",
    "product_dissatisfaction": "#c0392b", "staff_indifference": "#d46ba6", "other": "#b0b7bd",
    # complaint categories
    "quality": "#c0392b", "contract": "#8e6bb8", "transport": "#e07b39", "service": "#2f78b4",
    # regions of the sample company
    "East": "#1f77b4", "South": "#ff7f0e", "North": "#2ca02c", "Central": "#9467bd",
    "Southwest": "#8c564b", "Northeast": "#17becf", "Northwest": "#bcbd22",
    # product categories of the sample company
    "beverages": "#1f77b4", "snacks": "#ff7f0e", "household": "#2ca02c",
    "personal_care": "#e377c2", "office": "#9467bd", "electronics": "#17becf",
    "furniture": "#8c564b",
    # the main measures, where they stand side by side
    "sales": "#1f5f8b", "gross_profit": "#e07b39", "gross_margin": "#3a9d5d",
    "customer_share": _GREY, "sales_share": "#1f5f8b", "gross_profit_share": "#e07b39",
    "reference_share": _GREY,
    # kinds and channels
    "company": "#1f5f8b", "individual": "#e07b39",
    "consumer": "#1f77b4", "b2b": "#ff7f0e", "distributor": "#2ca02c", "internal": "#7f7f7f",
    # quadrants
    "most_valuable": "#1f6f43", "maintain": "#2f78b4", "grow": "#e07b39", "low_value": _GREY,
    "star": "#1f6f43", "traffic_builder": "#2f78b4", "margin_builder": "#e07b39",
    "laggard": _GREY,
    # NPS groups and service targets
    "promoter": "#3a9d5d", "passive": _GREY, "detractor": _RED,
    "met": "#3a9d5d", "missed": _RED,
})
"""One fixed colour per category key, used by every chart of every report."""

FALLBACK_PALETTE: tuple[str, ...] = (
    "#1f5f8b", "#e07b39", "#3a9d5d", "#8e6bb8", "#8c6d46", "#d46ba6", "#2bb3c0", "#b5b82e",
    "#7f7f7f", "#17becf",
)
"""Colours for keys the table does not name; the key's own checksum picks one, so the same key
gets the same colour in every chart (never red or amber: those mean lost and at risk)."""


def color_for(key: object) -> str:
    """The fixed colour of a category key.

    Examples
    --------
    >>> color_for("lost"), color_for("at_risk"), color_for("VIP")
    ('#c0392b', '#e69f00', '#0b3c5d')
    >>> color_for("some_new_group") == color_for("some_new_group")
    True
    """
    text = str(key)
    if text in CATEGORY_COLORS:
        return CATEGORY_COLORS[text]
    return FALLBACK_PALETTE[zlib.crc32(text.encode("utf-8")) % len(FALLBACK_PALETTE)]


def color_map(keys: Iterable[object], lang: str = "en") -> dict[str, str]:
    """``{text shown: colour}`` for plotly's ``color_discrete_map``: each key's colour under
    the name the reader sees.

    Examples
    --------
    >>> color_map(["lost", "active"], "zh")
    {'已流失': '#c0392b', '活跃客户': '#3a9d5d'}
    """
    out: dict[str, str] = {}
    for key in dict.fromkeys(k for k in keys if k is not None and not (isinstance(k, float) and np.isnan(k))):
        out[label(key, lang) if has_label(key) else str(key)] = color_for(key)
    return out
