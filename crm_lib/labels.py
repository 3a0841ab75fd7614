"""The English/Chinese catalogue: every heading, axis label, legend, table header and category name.

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
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd
import yaml

from crm_lib._errors import DataError, DataWarning, require_one_of

LANGS: tuple[str, ...] = ("en", "zh")
"""The report languages; every catalogue entry has a text for each."""

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
        :data:`LANGS`, or a file that is not a mapping.

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
                                                  for lang in LANGS):
                raise DataError(
                    f"Catalogue key {key!r} in {path.name} must have a text for each of {list(LANGS)}, "
                    f"got {texts!r}."
                )
            origin[key] = path.name
            entries[key] = MappingProxyType({lang: texts[lang] for lang in LANGS})
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
    lang : {"en", "zh"}
        The report language.
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
    >>> label("not_in_the_catalogue")
    'not_in_the_catalogue'
    """
    _check_lang(lang)
    entry = catalogue().get(key) if isinstance(key, str) else None
    if entry is None:
        _record_missing(str(key))
        text = str(key)
    else:
        text = entry[lang]
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


def _translate_values(values: pd.Series | pd.Index, lang: str) -> pd.Series | pd.Index:
    """Translate the distinct values that are catalogue keys (one lookup per distinct value)."""
    cat = catalogue()
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories if isinstance(values, pd.Series) else values.categories
        mapping = {c: cat[c][lang] for c in cats if isinstance(c, str) and c in cat}
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
    mapping = {v: cat[v][lang] for v in distinct if isinstance(v, str) and v in cat}
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
    lang : {"en", "zh"}
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
            translated = _translate_values(out.iloc[:, pos], lang)
            if translated is not out.iloc[:, pos]:
                out.isetitem(pos, translated)
        if not isinstance(out.index, pd.MultiIndex) and out.index.name not in keep:
            out.index = _translate_values(out.index, lang)
    if columns:
        cat = catalogue()
        out = out.rename(columns=lambda c: cat[c][lang] if isinstance(c, str) and c in cat else c)
        out.index = out.index.set_names(
            [cat[n][lang] if isinstance(n, str) and n in cat else n for n in out.index.names]
        )
    return out
