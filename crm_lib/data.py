"""Loading a dataset: files → validated tables, a data-quality report, PII masking.

``load_dataset(path, mapping=None)`` reads a folder with one CSV or Parquet file per table of the
canonical model (:mod:`crm_lib.schema`). A mapping file renames a user's columns and category
values onto the canonical ones. Input the workbook cannot read raises :class:`DataError`;
problems that need not stop an analysis are counted in ``Dataset.quality`` and the rows are kept.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from crm_lib._errors import DataError, examples, fail_rows
from crm_lib._frames import count_outside_quotes, isin, matches
from crm_lib.schema import DTYPES, REQUIRED_TABLES, TABLE_NAMES, TABLES, Column, pandera_schema

QUALITY_COLUMNS = ("table", "check", "severity", "rows", "examples")
SUFFIXES = (".csv", ".parquet", ".txt", ".tsv", ".csv.gz", ".txt.gz", ".tsv.gz")
MAPPING_KEYS = ("tables", "columns", "read", "values", "date_formats", "dayfirst", "timezone",
                "non_merchandise", "order_status", "fill_down", "derive_customers")

#: Dates before this day, or more than this many years after the reference day, get a finding.
EARLIEST_PLAUSIBLE = "1990-01-01"
PLAUSIBLE_YEARS_AHEAD = 2

#: Date formats tried, in order, for each value that is not ISO 8601.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%d %b %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
)
_DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y")
_MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S")

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "是", "真", "对"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "否", "假"}
_CURRENCY = re.compile(r"[¥￥$€£\s]|RMB|CNY|USD|EUR|元")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


# --- reading files ------------------------------------------------------------------------------

#: Encodings tried, after UTF-8, when a file is not UTF-8 and the mapping names none; the
#: detector (charset-normalizer) chooses among them only.
DETECTED_ENCODINGS = ("gb18030", "cp1252")
_ENCODING_LABELS = {"utf-8-sig": "UTF-8 with BOM", "gb18030": "GBK/GB18030", "utf-16": "UTF-16",
                    "cp1252": "Windows-1252 (Western European)"}
_SEPARATORS = ",;\t|"


@dataclass
class _Raw:
    """A table as read: every cell text (CSV) or typed (Parquet), and where each row came from."""

    df: pd.DataFrame
    rows: np.ndarray          # the spreadsheet row of each data row (header = row 1)
    encoding: str
    name: str                 # the file name, for messages
    notes: list = field(default_factory=list)     # findings made while reading


def _decode(raw: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Text of a CSV export and the encoding it was read with.

    The mapping's ``encoding`` wins. Otherwise: a BOM decides (UTF-8, UTF-16); then strict
    UTF-8; then charset-normalizer chooses among :data:`DETECTED_ENCODINGS` (GB18030, the
    superset of GBK that Chinese Excel writes, and Windows-1252, what Western Excel writes).
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise DataError(f"{path.name}: the mapping names an unknown encoding {encoding!r}.") from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"Cannot read {path.name} as {encoding} (the mapping's encoding): byte {exc.start} "
                f"is {raw[exc.start:exc.start + 4]!r}. Name the encoding it was saved in."
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(DETECTED_ENCODINGS)).best()
    order = [best.encoding] if best is not None else []
    order += [e for e in DETECTED_ENCODINGS if e not in order]
    for enc in order:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise DataError(  # pragma: no cover - cp1252 decodes all but five bytes
        f"Cannot read {path.name}: it is neither UTF-8, GBK/GB18030 nor Windows-1252 text "
        f"(byte {first_bad}: {raw[first_bad:first_bad + 4]!r}). Save it as CSV UTF-8, or name its "
        "encoding in the mapping file: read: {<table>: {encoding: <name>}}."
    )


def _field_counts(lines: pd.Series, sep: str) -> np.ndarray:
    """Fields per line, quoted separators not counted (vectorised: quoted runs are cut out)."""
    return count_outside_quotes(lines, sep) + 1


def _read_text(text: str, path: Path, table: str, opts: Mapping, names: list | None) -> _Raw:
    """A CSV or whitespace-separated text as a frame of strings, its rows checked for shape."""
    header = opts.get("header", names is None)
    sep = opts.get("sep")
    lines = pa.array(text.splitlines(), type=pa.large_string())
    filled = np.asarray(pc.not_equal(pc.utf8_trim_whitespace(lines), ""), dtype=bool)
    line_no = np.flatnonzero(filled) + 1  # the spreadsheet row of each non-blank line
    lines = lines.filter(pa.array(filled))
    notes: list = []
    if sep in ("whitespace", " ", r"\s+"):
        sep = r"\s+"
    elif sep is None:
        first = lines[0].as_py()
        sep = max(_SEPARATORS, key=first.count)
        if first.count(sep) == 0 and re.search(r"\S\s+\S", first.strip()):
            sep = r"\s+"
    counts = None if sep == r"\s+" else _field_counts(lines, sep)
    if counts is not None and (np.asarray(pc.count_substring(lines, '"')) % 2).any():
        counts = None  # a quoted cell spans lines: the reader checks the shape itself
    width = int(counts.max()) if counts is not None else None
    kw = dict(sep=sep, dtype=str, keep_default_na=False, na_filter=False, header=None,
              skip_blank_lines=True, index_col=False)
    if sep != r"\s+":
        kw.update(skipinitialspace=True, quoting=csv.QUOTE_MINIMAL)
    if width is not None:
        kw["names"] = list(range(width))
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            df = pd.read_csv(io.StringIO(text), **kw)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            raise DataError(f"Cannot read `{table}` ({path.name}) as CSV: {exc}") from None
    # spreadsheet row of each line pandas returned (blank lines are skipped by both)
    rows = line_no if counts is not None else np.arange(1, len(df) + 1)
    if header:
        head = [str(c).strip() for c in df.iloc[0].tolist()] if len(df) else []
        df, rows = df.iloc[1:], rows[1:]
        n_head = int(counts[0]) if counts is not None else len(head)
        while n_head > 0 and head[n_head - 1] == "" and (df.iloc[:, n_head - 1].str.strip() == "").all():
            n_head -= 1  # a trailing delimiter on the header line too
        head = head[:n_head]
    else:
        n_head = len(names) if names is not None else df.shape[1]
        head = list(names) if names is not None else [str(i) for i in range(df.shape[1])]
    if counts is not None and len(df):
        data_counts = counts[1:] if header else counts
        wide = data_counts > n_head
        if wide.any():
            extra = df.iloc[:, n_head:]
            filled = (extra.fillna("").apply(lambda c: c.str.strip()) != "").any(axis=1).to_numpy()
            if filled.any():
                n, ex = examples(pd.Series(data_counts[filled], index=rows[filled]), row_offset=0)
                raise DataError(
                    f"`{table}` ({path.name}): {n} row{'s' if n != 1 else ''} "
                    f"{'has' if n == 1 else 'have'} more cells than the header's {n_head} "
                    f"({ex} cells). Check the separator and the quoting of that row."
                )
            notes.append(_finding(table, "trailing delimiter on rows (empty last cell dropped)",
                                  "info", int(wide.sum()), _rows_text(rows[wide])))
        short = data_counts < n_head
        if short.any():
            notes.append(_finding(table, "short rows (fewer cells than the header; missing cells "
                                  "left empty, rows kept)", "warning", int(short.sum()),
                                  _rows_text(rows[short])))
    df = df.iloc[:, :n_head].copy()
    if df.shape[1] < n_head:  # pragma: no cover - pandas pads to the widest row
        df = df.reindex(columns=range(n_head), fill_value="")
    if header and names is not None:  # a header line the mapping's list of columns replaces
        head = list(names) + [f"_column{i + 1}" for i in range(len(names), len(head))]
        head = head[:n_head]
    elif header:
        dups = sorted({h for h in head if head.count(h) > 1})
        if dups:
            where = ", ".join(f"{d!r} (columns {', '.join(str(i + 1) for i, h in enumerate(head) if h == d)})"
                              for d in dups)
            raise DataError(
                f"`{table}` ({path.name}) has duplicate column names {where}: say which one is "
                "meant by renaming the others in the file."
            )
    df.columns = head
    df = df.fillna("")
    df.index = pd.RangeIndex(len(df))
    return _Raw(df, np.asarray(rows, dtype="int64"), "", path.name, notes)


def _rows_text(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"


def _read_file(path: Path, table: str, opts: Mapping, names: list | None) -> _Raw:
    """Raw table (CSV: every cell a string) and the encoding (``"parquet"`` for Parquet)."""
    if path.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise DataError(f"Cannot read `{table}` from {path.name}: {exc}") from None
        dups = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        if dups:
            raise DataError(f"`{table}` ({path.name}) has duplicate column names {dups}.")
        return _Raw(df.reset_index(drop=True), np.arange(1, len(df) + 1), "parquet", path.name)
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"Cannot read `{table}` ({path.name}): not a gzip file ({exc}).") from None
    text, encoding = _decode(data, path, opts.get("encoding"))
    if not text.strip():
        raise DataError(f"`{table}` ({path.name}) is empty: expected a header line and rows.")
    raw = _read_text(text, path, table, opts, names)
    raw.encoding = encoding
    if not opts.get("encoding") and encoding in _ENCODING_LABELS:
        raw.notes.insert(0, _finding(table, f"read as {_ENCODING_LABELS[encoding]}", "info",
                                     len(raw.df), path.name))
    elif opts.get("encoding"):
        raw.notes.insert(0, _finding(table, f"read as {encoding} (the mapping's encoding)", "info",
                                     len(raw.df), path.name))
    return raw


def _check_regular(p: Path, table: str) -> None:
    """Refuse what is not a regular file at once: a FIFO would block the reader for ever."""
    if p.is_symlink() and not p.exists():
        raise DataError(f"The file for `{table}`, {p}, is a broken symbolic link (it points to "
                        f"{os.readlink(p)!r}, which does not exist).")
    if p.exists() and not p.is_file():
        kind = "a folder" if p.is_dir() else ("a FIFO (named pipe)" if stat.S_ISFIFO(p.stat().st_mode)
                                              else "not a regular file")
        raise DataError(f"The file for `{table}`, {p}, is {kind}: give a regular CSV or Parquet file.")


def _find_file(folder: Path, table: str, mapping: Mapping) -> Path | None:
    named = mapping.get("tables", {}).get(table)
    if named:
        p = folder / named
        _check_regular(p, table)
        if not p.exists():
            raise DataError(
                f"The mapping file names {named!r} for `{table}`, but {p} does not exist."
            )
        return p
    hits = [folder / f"{table}{s}" for s in SUFFIXES if os.path.lexists(folder / f"{table}{s}")]
    if len(hits) > 1:
        raise DataError(
            f"Two files for `{table}` in {folder}: {', '.join(h.name for h in hits)}. Keep one."
        )
    if hits:
        _check_regular(hits[0], table)
    return hits[0] if hits else None


# --- mapping files ------------------------------------------------------------------------------

#: Per-table reading options a mapping may set under ``read:``.
READ_KEYS = ("sep", "header", "encoding", "decimal")
#: Columns a mapping may map that are not stored as such: ``unit_price`` gives ``amount``
#: (quantity × unit_price); ``status``, ``refund``, ``discount`` and ``postage`` are order
#: cells the loader classes and keeps apart from merchandise sales.
EXTRA_TARGETS = {"transactions": ("unit_price", "status", "refund", "discount", "postage")}
#: The classes of an order status: only ``sale`` counts as customer sales.
STATUS_CLASSES = ("sale", "cancelled", "unpaid", "refunded")
#: Status words of common shop exports (Taobao/Tmall/JD, Shopify, WooCommerce) and their class,
#: compared without case; the mapping's ``order_status`` adds to them or overrides them.
DEFAULT_ORDER_STATUS = MappingProxyType({
    "交易成功": "sale", "已完成": "sale", "已收货": "sale", "已发货": "sale", "卖家已发货": "sale",
    "买家已付款": "sale", "等待卖家发货": "sale", "完成": "sale",
    "交易关闭": "cancelled", "已取消": "cancelled", "订单取消": "cancelled",
    "等待买家付款": "unpaid", "待付款": "unpaid", "未付款": "unpaid",
    "退款成功": "refunded", "已退款": "refunded", "全额退款": "refunded",
    "paid": "sale", "completed": "sale", "complete": "sale", "fulfilled": "sale",
    "processing": "sale", "shipped": "sale", "delivered": "sale", "partially_refunded": "sale",
    "partially refunded": "sale",
    "voided": "cancelled", "cancelled": "cancelled", "canceled": "cancelled", "failed": "cancelled",
    "expired": "cancelled",
    "pending": "unpaid", "on-hold": "unpaid", "on hold": "unpaid", "unpaid": "unpaid",
    "authorized": "unpaid",
    "refunded": "refunded",
})


def _yaml_with_lines(text: str, name: str) -> tuple[object, dict]:
    """YAML → data, and the line of every mapping key by its path; a repeated key is refused."""
    import yaml

    lines: dict[tuple, int] = {}

    class Loader(yaml.SafeLoader):
        pass

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                key = k.value
                line = k.start_mark.line + 1
                if key in seen:
                    where = ".".join(map(str, path + (key,)))
                    raise DataError(
                        f"{name} line {line}: `{where}` is given twice (first on line "
                        f"{seen[key]}); the first would be dropped without a word. Keep one."
                    )
                seen[key] = line
                lines[path + (key,)] = line
                walk(v, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                lines[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    node = yaml.compose(text, Loader=Loader)
    if node is None:
        return None, lines
    walk(node, ())
    return yaml.safe_load(text), lines


def _check_mapping(data: Mapping, where: str, lines: dict) -> None:
    """Refuse every mapping entry that would otherwise be dropped or misread without a word."""

    def at(*path) -> str:
        line = lines.get(tuple(path))
        return f"{where} line {line}" if line else f"{where} (`{'.'.join(map(str, path))}`)"

    for key in ("tables", "columns", "values", "read"):
        block = data.get(key, {}) or {}
        if not isinstance(block, Mapping):
            raise DataError(f"{at(key)}: `{key}` must map table names to settings.")
        for table in block:
            if table not in TABLES:
                raise DataError(
                    f"{at(key, table)}: `{key}` names an unknown table {table!r}; "
                    f"tables are {list(TABLE_NAMES)}."
                )
    for table, cols in (data.get("columns") or {}).items():
        spec = TABLES[table]
        targets = spec.names + EXTRA_TARGETS.get(table, ())
        if isinstance(cols, list):  # a headerless file: the canonical name of each position
            for i, c in enumerate(cols):
                if c is not None and c not in targets:
                    raise DataError(
                        f"{at('columns', table, i)}: column {i + 1} of `{table}` is mapped to "
                        f"{c!r}, which is no column of `{table}` (those are {list(targets)}); "
                        "write null for a column to leave out."
                    )
            named = [c for c in cols if c is not None]
            dups = sorted({c for c in named if named.count(c) > 1})
            if dups:
                raise DataError(f"{at('columns', table)}: {dups} named for two columns of `{table}`.")
            continue
        if not isinstance(cols, Mapping):
            raise DataError(f"{at('columns', table)}: `columns.{table}` must map canonical names "
                            "to your columns, or list the columns of a headerless file.")
        for canonical, theirs in cols.items():
            if canonical not in targets:
                raise DataError(
                    f"{at('columns', table, canonical)}: {canonical!r} is no column of `{table}`; "
                    f"the mapping goes canonical name: your column, and the canonical names are "
                    f"{list(targets)}."
                )
            if not isinstance(theirs, str) or not theirs:
                raise DataError(f"{at('columns', table, canonical)}: map {canonical!r} to one "
                                f"column name, got {theirs!r}.")
        by_source: dict[str, list[str]] = {}
        for canonical, theirs in cols.items():
            by_source.setdefault(theirs, []).append(canonical)
        for theirs, canon in by_source.items():
            if len(canon) > 1:
                raise DataError(
                    f"{at('columns', table, canon[1])}: column {theirs!r} of `{table}` is mapped "
                    f"twice (to {canon}); map each of your columns once."
                )
    for table, opts in (data.get("read") or {}).items():
        if not isinstance(opts, Mapping):
            raise DataError(f"{at('read', table)}: `read.{table}` must be a mapping of {list(READ_KEYS)}.")
        for k in opts:
            if k not in READ_KEYS:
                raise DataError(f"{at('read', table, k)}: unknown reading option {k!r}; "
                                f"expected some of {list(READ_KEYS)}.")
        if opts.get("decimal") not in (None, ".", ","):
            raise DataError(f"{at('read', table, 'decimal')}: decimal must be '.' or ','.")
    for key in (data.get("date_formats") or {}):
        table, _, column = str(key).partition(".")
        if table not in TABLES or column not in TABLES[table].names or \
                TABLES[table].column(column).kind not in ("date", "datetime"):
            raise DataError(f"{at('date_formats', key)}: {key!r} is no date column; write "
                            "<table>.<column>, e.g. transactions.date.")
    for table, cols in (data.get("values") or {}).items():
        for column in cols or {}:
            if column not in TABLES[table].names:
                raise DataError(f"{at('values', table, column)}: {column!r} is no column of `{table}`.")
    nm = data.get("non_merchandise")
    if nm is not None and not (isinstance(nm, list) and all(isinstance(x, str) for x in nm)):
        raise DataError(f"{at('non_merchandise')}: `non_merchandise` must be a list of product "
                        "ids (or 're:' patterns).")
    os_ = data.get("order_status")
    if os_ is not None:
        if not isinstance(os_, Mapping):
            raise DataError(f"{at('order_status')}: `order_status` must map your status words to "
                            f"one of {list(STATUS_CLASSES)}.")
        for word, cls in os_.items():
            if cls not in STATUS_CLASSES:
                raise DataError(f"{at('order_status', word)}: status {word!r} is classed as "
                                f"{cls!r}; the classes are {list(STATUS_CLASSES)}.")
    fd = data.get("fill_down")
    if fd is not None:
        if not isinstance(fd, Mapping):
            raise DataError(f"{at('fill_down')}: `fill_down` must list columns per table, e.g. "
                            "fill_down: {transactions: [order_id, date, customer_id]}.")
        for table, cols in fd.items():
            if table not in TABLES:
                raise DataError(f"{at('fill_down', table)}: unknown table {table!r}.")
            targets = TABLES[table].names + EXTRA_TARGETS.get(table, ())
            for c in cols or []:
                if c not in targets:
                    raise DataError(f"{at('fill_down', table)}: {c!r} is no column of `{table}`.")
    tz = data.get("timezone")
    if tz is not None:
        try:
            pd.Timestamp("2024-01-01", tz=tz)
        except Exception:
            raise DataError(f"{at('timezone')}: unknown time zone {tz!r} (e.g. Asia/Shanghai, "
                            "Europe/London, UTC).") from None


def read_mapping(mapping: str | Path | Mapping | None) -> dict:
    """Read a mapping (YAML or JSON file, or a dict) and check its shape.

    A mapping has up to nine keys::

        tables:           # file per table, when not named <table>.csv
          transactions: online_retail.csv
        columns:          # canonical name: your column, per table
          transactions: {order_id: InvoiceNo, customer_id: CustomerID, date: InvoiceDate,
                         product_id: StockCode, quantity: Quantity, unit_price: UnitPrice}
                          # or, for a headerless file, the canonical name of each column:
                          # transactions: [customer_id, date, quantity, amount]
        read:             # how to read a table's file, when the guess is not enough
          transactions: {sep: whitespace, header: false, encoding: cp1252, decimal: ","}
        values:           # your category values onto canonical ones, per table and column
          customers: {kind: {个人: individual, 企业: company}}
        date_formats:     # strptime format per table.column, when the guess is not enough
          transactions.date: "%m/%d/%Y %H:%M"
        dayfirst: false   # how to read 03/04/2024 when both readings are valid
        timezone: Asia/Shanghai   # convert dates with an offset to this zone's calendar day
        non_merchandise: [POST, DOT, M, "re:^AMAZON"]   # product ids that are no customer sales
        derive_customers: true   # no customers file: take the ids from transactions

    Every entry is checked: an unknown key, table, column or option, a key given twice, and
    a column mapped twice are refused with the line of the mapping file.

    Examples
    --------
    >>> read_mapping({"columns": {"transactions": {"customer_id": "CustomerID"}}})["columns"]
    {'transactions': {'customer_id': 'CustomerID'}}
    """
    if mapping is None:
        return {}
    lines: dict = {}
    if isinstance(mapping, Mapping):
        data = dict(mapping)
        where = "the mapping"
    else:
        p = Path(mapping)
        if not p.exists():
            raise DataError(f"Mapping file {p} not found.")
        text, _ = _decode(p.read_bytes(), p)
        where = p.name
        try:
            if p.suffix.lower() == ".json":
                def no_dups(pairs):
                    keys = [k for k, _ in pairs]
                    dup = next((k for k in keys if keys.count(k) > 1), None)
                    if dup is not None:
                        raise DataError(f"{where}: key {dup!r} is given twice; keep one.")
                    return dict(pairs)
                data = json.loads(text, object_pairs_hook=no_dups)
            else:
                data, lines = _yaml_with_lines(text, where)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"Cannot read the mapping file {p.name}: {exc}") from None
        data = data or {}
    if not isinstance(data, Mapping):
        raise DataError(f"{where} must be a mapping of {list(MAPPING_KEYS)}, got {type(data).__name__}.")
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        line = lines.get((unknown[0],))
        at = f" (line {line})" if line else ""
        raise DataError(f"{where} has unknown keys {unknown}{at}; expected some of {list(MAPPING_KEYS)}.")
    _check_mapping(data, where, lines)
    return data


# --- parsing columns ----------------------------------------------------------------------------


#: Cell texts that mean "no value" in number, date and yes/no columns (compared without case,
#: after trimming spaces). In text and id columns only an empty cell is missing: a region
#: called NA or a customer named None keeps its name.
MISSING_WORDS = ("", "na", "n/a", "#n/a", "null", "none")
#: Texts of a number that is not finite; such a number is refused in every numeric column.
_NON_FINITE = r"^\s*[+-]?(?i:inf|infinity|nan|1\.#inf|1\.#ind)\s*$"
#: Excel's ways of forcing text on a long id: ="0123", a leading apostrophe, a leading tab.
_EXCEL_WRAPPER = re.compile(r'^(?:="(.*)"|\'(.*)|\t(.*))$', re.DOTALL)


def _text(s: pd.Series) -> pd.Series:
    """Text cells trimmed; only empty cells (and real missing values) are missing."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        t = s.astype("str").where(s.notna()).str.strip()
        return t.mask(t == "")
    return s


def _blank(s: pd.Series) -> pd.Series:
    """Cells of a number, date or yes/no column: trimmed; :data:`MISSING_WORDS` are missing."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        t = s.astype("str").where(s.notna()).str.strip()
        short = (t.str.len() <= max(map(len, MISSING_WORDS))).fillna(False).astype(bool)
        if not short.any():
            return t
        words = pd.Series(False, index=t.index)
        words.loc[short] = t[short].str.lower().isin(MISSING_WORDS).to_numpy()
        return t.mask(words)
    return s


def _parse_float(s: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers; text with currency symbols, thousands separators or (accounting) negatives too.

    With ``decimal=","`` a comma is the decimal mark and ``.`` or a space groups thousands
    (``1.234,50``). Non-finite texts (``inf``, ``NaN``) come back as such, for the caller to refuse.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    s = _blank(s)
    if decimal == ",":
        t = s.str.replace(_CURRENCY, "", regex=True)
        grouped = t.str.match(r"^[+(-]?\d{1,3}(\.\d{3})+(,\d*)?\)?$", na=False)
        t = t.where(~grouped, t.str.replace(".", "", regex=False))
        stray = t.str.contains(".", regex=False, na=False)  # a '.' that groups no thousands
        s = t.str.replace(",", ".", regex=False).mask(stray, "unreadable")
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    rest = s.notna() & out.isna()
    if not rest.any():
        return out
    txt = s[rest].str.replace(_CURRENCY, "", regex=True)
    neg = txt.str.match(r"^\(.*\)$", na=False)
    txt = txt.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    thousands = txt.str.match(_THOUSANDS, na=False) if decimal == "." else pd.Series(False, index=txt.index)
    txt = txt.where(~thousands, txt.str.replace(",", "", regex=False))
    txt = txt.str.replace("，", "", regex=False)
    cleaned = pd.to_numeric(txt, errors="coerce").astype("float64")
    out.loc[cleaned.index] = cleaned.where(~neg, -cleaned)
    return out


def _unwrap_ids(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Excel's text-forcing wrappers removed from ids (``="2045678901234567"`` → the digits)."""
    hit = pd.Series(s.str.startswith(("=\"", "'", "\t")).fillna(False).astype(bool), index=s.index)
    if not hit.any():  # the regex only on the few candidates: ids are millions of cells
        return s, hit
    m = s[hit].str.extract(_EXCEL_WRAPPER)
    inner = m[0].fillna(m[1]).fillna(m[2])
    hit.loc[hit] = inner.notna().to_numpy()
    return s.where(~hit, inner.reindex(s.index)), hit


_OFFSET = re.compile(
    r"^(.*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


def _offsets(s: pd.Series, *, timezone: str | None, table: str, column: str, fname: str,
             notes: list) -> tuple[pd.Series, pd.Series]:
    """Values that carry a UTC offset: (texts with the offset cut off, dates already converted).

    Without a ``timezone`` each value keeps the local calendar day and time of its own offset
    (``2024-01-01T00:30+08:00`` is 1 January); several offsets in one column are refused, as
    their local days are not comparable. With a ``timezone`` every offset value is converted to
    that zone's local time; values without an offset are taken as that zone's local time.
    """
    done = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    # only values long enough for a date, a time and an offset go through the regex
    cand = (s.str.len() > 15).fillna(False).astype(bool) & \
        s.str[-6:].str.contains(r"[zZ+\-T]|UTC|GMT", regex=True).fillna(False).astype(bool)
    if not cand.any():
        return s, done
    m = s[cand].str.extract(_OFFSET).reindex(s.index)
    has = m[1].notna()
    if not has.any():
        return s, done
    off = m[1][has].str.upper().str.replace(r"^(Z|UTC|GMT)$", "+00:00", regex=True)
    off = off.str.replace(r"^([+-]\d{2})$", r"\1:00", regex=True)
    off = off.str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    kinds = off.value_counts()
    if timezone is None:
        if len(kinds) > 1:
            main = kinds.index[0]
            odd = off != main
            n, ex = examples(s[has][odd], row_offset=0)
            raise DataError(
                f"Column '{column}' in `{table}` ({fname}) mixes UTC offsets "
                f"({', '.join(f'{k}: {v}' for k, v in kinds.items())}); {n} row"
                f"{'s' if n != 1 else ''} differ from {main} ({ex}). Their calendar days are not "
                "comparable: name the zone to convert them to in the mapping file: "
                "timezone: Asia/Shanghai."
            )
        notes.append(_finding(table, f"UTC offset {kinds.index[0]} in '{column}' (local calendar "
                              "day kept)", "info", int(has.sum()), ""))
        return s.where(~has, m[0].str.strip()), done
    for o in kinds.index:
        sel = has & (off.reindex(s.index) == o)
        local = pd.to_datetime(m[0][sel].str.strip().str.replace(",", ".", regex=False),
                               format="ISO8601", errors="coerce")
        sign = -1 if o.startswith("-") else 1
        hours, minutes = int(o[1:3]), int(o[4:6])
        utc = local - sign * pd.Timedelta(hours=hours, minutes=minutes)
        conv = utc.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
        done.loc[conv.index] = conv.astype("datetime64[ns]")
    notes.append(_finding(table, f"dates with a UTC offset in '{column}' converted to {timezone}",
                          "info", int(has.sum()),
                          ", ".join(f"{k}: {v}" for k, v in kinds.items())))
    return s, done


def _parse_dates(s: pd.Series, *, kind: str, fmt: str | None, dayfirst: bool | None,
                 table: str, column: str, fname: str, offset: int,
                 notes: list, timezone: str | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None and timezone:
            s = s.dt.tz_convert(timezone)
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        out = out.astype("datetime64[ns]")
        return out.dt.normalize() if kind == "date" else out
    s = _blank(s)
    written = s
    s, converted = _offsets(s, timezone=timezone, table=table, column=column, fname=fname,
                            notes=notes)
    out = converted.copy()
    todo = s.notna() & out.isna()
    used: dict[str, int] = {}

    def attempt(formats):
        nonlocal todo
        for f in formats:
            if not todo.any():
                return
            got = pd.to_datetime(s[todo], format=f, errors="coerce")
            ok = got.notna()
            if ok.any():
                out.loc[got.index[ok]] = got[ok].astype("datetime64[ns]")
                used[f] = used.get(f, 0) + int(ok.sum())
                todo = todo & out.isna()

    if fmt:
        attempt([fmt])
    else:
        iso = pd.to_datetime(s[todo], format="ISO8601", errors="coerce")
        ok = iso.notna()
        if ok.any():
            iso = iso[ok]
            if getattr(iso.dt, "tz", None) is not None:
                iso = iso.dt.tz_convert(None)
            out.loc[iso.index] = iso.astype("datetime64[ns]")
            used["ISO 8601"] = int(ok.sum())
            todo = todo & out.isna()
        attempt([f + t for f in DATE_FORMATS for t in _TIME_SUFFIXES])
        if todo.any():
            # Slash dates: take the reading under which every remaining value parses.
            rest = s[todo]
            orders = [_MONTH_FIRST, _DAY_FIRST] if not dayfirst else [_DAY_FIRST, _MONTH_FIRST]
            if dayfirst is None:
                fits = []
                for group in orders:
                    n = sum(
                        int(pd.to_datetime(rest, format=f + t, errors="coerce").notna().sum())
                        for f in group for t in _TIME_SUFFIXES
                    )
                    fits.append(n)
                if fits[1] > fits[0]:
                    orders = orders[::-1]
            for group in orders:
                attempt([f + t for f in group for t in _TIME_SUFFIXES])
    bad = written.notna() & out.isna()
    fail_rows(
        table, column, written, bad, "a date (e.g. 2024-03-31)", row_offset=offset,
        source=fname,
        hint=f"Give its format in the mapping file: date_formats: {{{table}.{column}: '%d/%m/%Y'}}.",
    )
    if len(used) > 1:
        notes.append(_finding(
            table, f"mixed date formats in '{column}'", "info", int(s.notna().sum()),
            ", ".join(f"{k}: {v}" for k, v in used.items()),
        ))
    return out.dt.normalize() if kind == "date" else out


def _parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values as pandas 'boolean', mask of unreadable cells)."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    low = _blank(s.astype("str") if not pd.api.types.is_string_dtype(s) else s).str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(_TRUE)] = True
    out[low.isin(_FALSE)] = False
    return out, low.notna() & out.isna()


def _parse_column(s: pd.Series, col, *, table: str, fname: str, offset: int,
                  mapping: dict, notes: list) -> pd.Series:
    kind = col.kind
    if kind in ("id", "str"):
        if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        out = s.astype("str").where(s.notna())
        if kind == "id":
            out, wrapped = _unwrap_ids(out)
        out = _text(out)
        if kind == "id":
            if wrapped.any():
                n, ex = examples(s, wrapped.to_numpy(), row_offset=offset)
                notes.append(_finding(table, f"Excel text wrappers removed from '{col.name}' "
                                      "(=\"…\", a leading ' or tab)", "info", n, ex))
            nonnull = out.dropna()
            if len(nonnull) and nonnull.str.fullmatch(r"-?\d+\.0").all():
                out = out.str.replace(r"\.0$", "", regex=True)
                notes.append(_finding(table, f"'{col.name}' written as decimals (17850.0): read "
                                      "as whole ids (17850)", "info", len(nonnull), ""))
            mail = out.str.contains("@", regex=False, na=False)
            if col.name == "customer_id" and mail.any() and (out[mail] != out[mail].str.lower()).any():
                changed = mail & (out != out.str.lower())
                n, ex = examples(out, changed.to_numpy(), row_offset=offset)
                out = out.where(~mail, out.str.lower())
                notes.append(_finding(table, "e-mail customer ids compared without case "
                                      "(lower-cased)", "info", n, ex))
        return out.astype("str")
    if kind == "category":
        out = _text(s.astype("str").where(s.notna()))
        vmap = (mapping.get("values", {}).get(table, {}) or {}).get(col.name, {}) or {}
        if vmap:
            out = out.replace({str(k): str(v) for k, v in vmap.items()})
        if col.allowed:
            lower = {a.lower(): a for a in col.allowed}
            low = out.str.lower()
            canon = low.map(lower)
            out = canon.where(canon.notna(), out)
        return out.astype("str")
    if kind in ("float", "int"):
        decimal = ((mapping.get("read") or {}).get(table) or {}).get("decimal", ".")
        out = _parse_float(s, decimal)
        raw = _blank(s) if not pd.api.types.is_numeric_dtype(s) else s
        what = "numeric" if kind == "float" else "a whole number"
        if pd.api.types.is_numeric_dtype(s):
            nonfinite = np.isinf(out.to_numpy())
        else:
            nonfinite = matches(raw, _NON_FINITE) | np.isinf(out.to_numpy())
        fail_rows(table, col.name, raw, nonfinite,
                  "a finite number (infinity and NaN would make every total infinite or empty)",
                  row_offset=offset, source=fname)
        fail_rows(table, col.name, raw, raw.notna() & out.isna(), what, row_offset=offset,
                  source=fname, hint=("The mapping reads it with decimal ','." if decimal == ","
                                      else ""))
        if kind == "int":
            fail_rows(table, col.name, out, out.notna() & (out % 1 != 0), what,
                      row_offset=offset, source=fname)
        return out
    if kind in ("date", "datetime"):
        fmt = (mapping.get("date_formats") or {}).get(f"{table}.{col.name}")
        return _parse_dates(s, kind=kind, fmt=fmt, dayfirst=mapping.get("dayfirst"),
                            table=table, column=col.name, fname=fname, offset=offset,
                            notes=notes, timezone=mapping.get("timezone"))
    if kind in ("bool", "nbool"):
        out, bad = _parse_bool(s)
        fail_rows(table, col.name, _blank(s.astype("str")), bad,
                  "yes/no (true/false, yes/no, 1/0, 是/否)", row_offset=offset, source=fname)
        return out
    raise AssertionError(kind)  # pragma: no cover - the schema only has the kinds above


def _finalise_dtypes(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Apply defaults and the canonical dtypes; add absent optional columns, empty."""
    spec = TABLES[table]
    out = {}
    for c in spec.columns:
        if c.name in df:
            s = df[c.name]
        else:
            s = pd.Series(pd.NA if c.kind in ("nbool", "id", "str", "category") else np.nan,
                          index=df.index, dtype=DTYPES[c.kind] if c.kind not in ("bool", "int") else "float64")
            if c.kind in ("bool", "nbool"):
                s = s.astype("boolean")
        if c.default is not None:
            s = s.fillna(c.default)
        if c.kind == "bool":
            s = s.astype("bool")
        elif c.kind == "int" and not s.isna().any():
            s = s.astype("int64")
        out[c.name] = s
    extra = [c for c in df.columns if c not in out]
    return pd.DataFrame({**out, **{c: df[c] for c in extra}}, index=df.index)


def _validate_values(df: pd.DataFrame, table: str, fname: str, offset: int) -> None:
    """Run the pandera schema and turn its findings into one DataError."""
    try:
        pandera_schema(table).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        fc = fc[fc["column"].notna()]
        problems = []
        for (column, check), grp in fc.groupby(["column", "check"], sort=False):
            idx = pd.Index(grp["index"].astype("int64"))
            col = TABLES[table].column(column)
            if check == "not_nullable":
                what = "filled in (it may not be empty)"
            elif check == "field_uniqueness":
                what = f"unique (it identifies a row of `{table}`)"
            elif str(check).startswith("isin"):
                what = f"one of {list(col.allowed)}"
            elif str(check).startswith("greater_than_or_equal"):
                what = f"at least {col.min:g}"
            elif str(check).startswith("less_than_or_equal"):
                what = f"at most {col.max:g}"
            else:
                what = f"valid ({check})"
            values = df[column].loc[idx] if len(idx) else df[column]
            n, ex = examples(values, row_offset=offset)
            verb = "is not" if n == 1 else "are not"
            msg = f"Column '{column}' in `{table}` ({fname}) must be {what}; {n} row{'s' if n != 1 else ''} {verb} ({ex})."
            if str(check).startswith("isin"):
                msg += f" Map other spellings with a mapping file: values: {{{table}: {{{column}: {{<yours>: <canonical>}}}}}}."
            problems.append(msg)
        if not problems:
            raise DataError(f"`{table}` ({fname}) failed validation: {exc}") from None
        more = f" ({len(problems) - 1} more problem{'s' if len(problems) > 2 else ''} in `{table}`: " \
               + "; ".join(problems[1:]) + ")" if len(problems) > 1 else ""
        raise DataError(problems[0] + more) from None


# --- the quality report -------------------------------------------------------------------------


def _finding(table: str, check: str, severity: str, rows: int, ex: str) -> dict:
    return {"table": table, "check": check, "severity": severity, "rows": int(rows), "examples": ex}


def _flag(findings: list, table: str, df: pd.DataFrame, mask, check: str, severity: str,
          column: str, rows: np.ndarray) -> None:
    """A finding for the rows of ``df`` in ``mask``; ``rows`` gives each row's spreadsheet row."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        n, ex = examples(pd.Series(df[column].to_numpy(), index=rows), mask)
        findings.append(_finding(table, check, severity, n, ex))


def _quality_checks(tables: dict[str, pd.DataFrame], offsets: dict[str, np.ndarray],
                    today: pd.Timestamp) -> list[dict]:
    f: list[dict] = []
    cust = tables["customers"]
    tx = tables["transactions"]
    known = pd.Index(cust["customer_id"].dropna().unique())
    off = offsets["transactions"]

    _flag(f, "transactions", tx, tx["customer_id"].isna(), "no customer id (kept; counted in totals only)",
          "warning", "order_id", off)
    _flag(f, "transactions", tx, tx["customer_id"].notna() & ~isin(tx["customer_id"], known),
          "unknown customer (not in customers; kept)", "warning", "customer_id", off)
    if tables.get("products") is not None and "product_id" in tx:
        prods = pd.Index(tables["products"]["product_id"].dropna().unique())
        _flag(f, "transactions", tx, tx["product_id"].notna() & ~isin(tx["product_id"], prods),
              "unknown product (not in products; kept)", "warning", "product_id", off)
    dup = tx.duplicated(keep="first")
    _flag(f, "transactions", tx, dup, "duplicate order line (identical to an earlier row; kept)",
          "warning", "order_id", off)
    _flag(f, "transactions", tx, tx["date"] > today, f"date after {today.date()} (in the future; kept)",
          "warning", "date", off)
    ret = tx["amount"] < 0
    if "quantity" in tx:
        ret = ret | (tx["quantity"] < 0)
        _flag(f, "transactions", tx,
              (np.sign(tx["quantity"]) * np.sign(tx["amount"]) < 0),
              "quantity and amount of opposite sign", "warning", "amount", off)
    _flag(f, "transactions", tx, ret, "return (negative quantity or amount; netted, kept)", "info",
          "amount", off)
    _flag(f, "transactions", tx, tx["amount"] == 0,
          "zero amount (kept: a $0 line is an order for frequency, adds nothing to money)",
          "info", "amount", off)
    has_id = tx["customer_id"].notna() & tx["amount"].notna()
    if has_id.any():
        paid = (tx["amount"][has_id] != 0).groupby(tx["customer_id"][has_id]).any()
        only_zero = paid.index[~paid.to_numpy()]
        if len(only_zero):
            shown = ", ".join(repr(c) for c in only_zero[:3])
            f.append(_finding("transactions", "customers whose only purchases are $0 (kept: their "
                              "orders count for frequency and recency; their spend is 0)",
                              "info", len(only_zero), f"customers {shown}"))
    if "quantity" in tx:
        _flag(f, "transactions", tx, tx["quantity"] == 0, "quantity 0 (kept)", "warning",
              "quantity", off)
    no_cost = tx["cost"].isna()
    if no_cost.all():
        f.append(_finding("transactions", "no cost column: gross profit cannot be computed",
                          "warning", len(tx), ""))
    else:
        _flag(f, "transactions", tx, no_cost, "no cost (gross profit unknown for these rows)",
              "warning", "order_id", off)
    buyers = pd.Index(tx["customer_id"].dropna().unique())
    _flag(f, "customers", cust, ~isin(cust["customer_id"], buyers),
          "no transactions (potential customers; kept)", "info", "customer_id",
          offsets["customers"])

    for name in TABLE_NAMES:
        df = tables.get(name)
        if name in ("customers", "transactions") or df is None:
            continue
        o = offsets[name]
        if df.empty:
            f.append(_finding(name, "header only: no rows", "warning", 0, ""))
            continue
        if "customer_id" in df and name != "targets":
            _flag(f, name, df, df["customer_id"].notna() & ~isin(df["customer_id"], known),
                  "unknown customer (not in customers; kept)", "warning", "customer_id", o)
        for col in ("date", "opened_at", "at", "issued_on", "lost_on"):
            if col in df:
                _flag(f, name, df, df[col] > today, f"date after {today.date()} (in the future; kept)",
                      "warning", col, o)
    early, late = pd.Timestamp(EARLIEST_PLAUSIBLE), today + pd.DateOffset(years=PLAUSIBLE_YEARS_AHEAD)
    for name in TABLE_NAMES:
        df = tables.get(name)
        if df is None or df.empty:
            continue
        for c in TABLES[name].columns:
            if c.kind in ("date", "datetime") and c.name in df:
                d = df[c.name]
                _flag(f, name, df, (d < early) | (d > late),
                      f"'{c.name}' before {early.year} or after {late.date()} (a placeholder "
                      "date such as 1900-01-01 or 2099-12-31? kept)", "warning", c.name,
                      offsets[name])
    comp = tables.get("complaints")
    if comp is not None and not comp.empty:
        for col in ("first_response_at", "resolved_at"):
            if col in comp:
                _flag(f, "complaints", comp, comp[col] < comp["opened_at"],
                      f"{col} before opened_at", "warning", col, offsets["complaints"])
    inv = tables.get("invoices")
    if inv is not None and not inv.empty:
        _flag(f, "invoices", inv, inv["due_on"] < inv["issued_on"], "due_on before issued_on",
              "warning", "due_on", offsets["invoices"])
        _flag(f, "invoices", inv, inv["paid_on"] < inv["issued_on"], "paid_on before issued_on",
              "warning", "paid_on", offsets["invoices"])
    return f


# --- the dataset --------------------------------------------------------------------------------


def _empty_skipped() -> pd.DataFrame:
    return pd.DataFrame({"table": pd.Series(dtype="str"), "row": pd.Series(dtype="int64"),
                         "reason": pd.Series(dtype="str"), "text": pd.Series(dtype="str")})


def _empty_quality() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "rows" else "str") for c in QUALITY_COLUMNS})


@dataclass(frozen=True)
class Dataset:
    """The tables of one company, validated, with their data-quality report.

    Attributes are the tables of :data:`crm_lib.schema.TABLES` (``None`` for an absent optional
    table), ``quality`` (one row per finding: table, check, severity, rows, examples) and
    ``source`` (the folder it was read from).
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    products: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    lost_customers: pd.DataFrame | None = None
    service_calls: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    invoices: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    quality: pd.DataFrame = field(default_factory=_empty_quality)
    source: str = ""
    excluded_lines: pd.DataFrame | None = None
    skipped_rows: pd.DataFrame = field(default_factory=lambda: _empty_skipped())

    def tables(self) -> dict[str, pd.DataFrame]:
        """The present tables by name."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    def require(self, table: str, *, analysis: str = "this analysis",
                columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """The table, or a DataError saying which analysis needs it and how to provide it.

        ``columns`` names columns the analysis needs filled in: an export without amounts
        (``id,date`` only) loads, and an analysis of money says here that it cannot run.

        Examples
        --------
        >>> ds = Dataset(customers=pd.DataFrame(), transactions=pd.DataFrame())
        >>> ds.require("complaints", analysis="complaint handling")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        crm_lib._errors.DataError: complaint handling needs the `complaints` table, ...
        """
        if table not in TABLES:
            raise DataError(f"`table` must be one of {list(TABLE_NAMES)}, got {table!r}.")
        df = getattr(self, table)
        if df is None:
            cols = ", ".join(TABLES[table].required_columns)
            raise DataError(
                f"{analysis} needs the `{table}` table, which is not in "
                f"{self.source or 'this dataset'}. Add {table}.csv with columns {cols}."
            )
        empty = [c for c in columns if c not in df or (len(df) and df[c].isna().all())]
        if empty:
            raise DataError(
                f"{analysis} needs {', '.join(repr(c) for c in empty)} in `{table}`, which "
                f"{self.source or 'this dataset'} does not have (no such column, or every cell "
                "empty). Map the column with a mapping file, or run the analyses that need no "
                "amounts (BG/NBD, P(alive), RFM recency and frequency, churn)."
            )
        return df

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last transaction date."""
        d = self.transactions["date"]
        return d.min(), d.max()

    def month_end(self, month: str = "") -> pd.Timestamp:
        """The last day of a report month, checked against the data.

        Parameters
        ----------
        month : str
            ``"YYYY-MM"``; ``""`` means the latest complete month in the data (the month of the
            last transaction if it falls on that month's last day, else the month before).

        Returns
        -------
        Timestamp
            Midnight of the month's last day, the ``as_of`` of the analyses.

        Examples
        --------
        >>> tx = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-03-10"])})
        >>> Dataset(customers=pd.DataFrame(), transactions=tx).month_end("")
        Timestamp('2024-02-29 00:00:00')
        """
        first, last = self.period
        if pd.isna(last):
            raise DataError("`transactions` has no dated rows: no report month can be chosen.")
        if month in ("", None):
            end = last.to_period("M").to_timestamp(how="end").normalize()
            if end != last.normalize():
                end = (last.to_period("M") - 1).to_timestamp(how="end").normalize()
            if end < first:
                raise DataError(
                    f"The data ({first.date()} to {last.date()}) holds no complete month; "
                    "give the month explicitly."
                )
            return end
        if not isinstance(month, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise DataError(f"`month` must look like '2026-10', got {month!r}.")
        p = pd.Period(month, freq="M")
        start, end = p.to_timestamp(how="start"), p.to_timestamp(how="end").normalize()
        if end < first or start > last:
            raise DataError(
                f"`month` {month} is outside the data, which runs from {first.date()} to "
                f"{last.date()}."
            )
        return end

    def mask_pii(self) -> Dataset:
        """A copy with customer names, phones and emails masked (``张*``, ``138****5678``,
        ``z***@example.com``), also inside interaction notes."""
        cust = self.customers
        masked = {c: mask_name(cust[c]) for c in ("name", "decision_maker", "parent_company") if c in cust}
        if "phone" in cust:
            masked["phone"] = mask_phone(cust["phone"])
        if "email" in cust:
            masked["email"] = mask_email(cust["email"])
        changes = {"customers": cust.assign(**masked)}
        if self.interactions is not None and "note" in self.interactions:
            changes["interactions"] = self.interactions.assign(note=mask_text(self.interactions["note"]))
        return replace(self, **changes)

    def __repr__(self) -> str:
        parts = [f"{n}={len(df):,} rows" for n, df in self.tables().items()]
        return f"Dataset({self.source!r}: {', '.join(parts)}; {len(self.quality)} quality findings)"


def mask_name(s: pd.Series) -> pd.Series:
    """Keep the first character of each word and star the rest: ``张三丰`` → ``张**``.

    Examples
    --------
    >>> mask_name(pd.Series(["张三丰", "Wang Wei", None])).tolist()
    ['张**', 'W*** W**', nan]
    """
    s = s.astype("str").where(s.notna())
    return s.str.replace(r"(?<=\S)\S", "*", regex=True).where(s.notna())


def mask_phone(s: pd.Series) -> pd.Series:
    """Keep the first three and last four digits: ``138-1234-5678`` → ``138****5678``.

    Examples
    --------
    >>> mask_phone(pd.Series(["13812345678", "021-5555"])).tolist()
    ['138****5678', '********']
    """
    s = s.astype("str").where(s.notna())
    digits = s.str.replace(r"\D", "", regex=True)
    kept = digits.str.slice(0, 3) + "****" + digits.str.slice(-4)
    hidden = s.str.replace(r"\S", "*", regex=True)
    return kept.where(digits.str.len() >= 9, hidden).where(s.notna())


def mask_email(s: pd.Series) -> pd.Series:
    """Keep the first letter and the domain: ``zhang.san@example.com`` → ``z***@example.com``.

    Examples
    --------
    >>> mask_email(pd.Series(["zhang.san@example.com"])).tolist()
    ['z***@example.com']
    """
    s = s.astype("str").where(s.notna())
    return s.str.replace(r"^(.)[^@]*@", r"\1***@", regex=True).where(s.notna())


def mask_text(s: pd.Series) -> pd.Series:
    """Mask the emails and phone numbers inside free text."""
    s = s.astype("str").where(s.notna())
    s = s.str.replace(r"([\w.+-])[\w.+-]*@([\w-]+\.[\w.-]+)", r"\1***@\2", regex=True)
    return s.str.replace(r"(\d{3})\d{4}(\d{4})", r"\1****\2", regex=True)


#: A totals row: its first cell, or an id or date cell, starts with one of the Chinese words or
#: is one of the English ones (any case, an optional colon).
TOTALS_PATTERN = (r"^\s*(?:合计|小计|总计|共计|(?i:grand\s+total|sub-?\s?total|totals?|sum)"
                  r"\s*[:：]?\s*$)")
#: Product ids that the "Online Retail" export uses for lines that are no merchandise: postage,
#: carriage, manual adjustments, discounts, fees, bad debt, samples, charity. Left out of
#: customer sales by default when `products` does not list them (``non_merchandise: []`` in the
#: mapping keeps them in).
DEFAULT_NON_MERCHANDISE = ("POST", "DOT", "C2", "M", "m", "D", "S", "B", "CRUK", "PADS",
                           "AMAZONFEE", "BANK CHARGES", "ADJUST", "ADJUST2")
#: What each value of ``Dataset.excluded_lines["line_kind"]`` means.
LINE_KINDS = MappingProxyType({
    "non_merchandise": "postage, fees, adjustments and discounts named by `non_merchandise`",
    "cancelled": "an order whose status the mapping classes as cancelled (交易关闭, voided)",
    "unpaid": "an order not paid (等待买家付款, pending)",
    "refunded": "an order refunded in full (退款成功, refunded)",
})


def _skip_rows(raw: _Raw, table: str, header: list[str] | None, notes: list,
               skipped: list) -> None:
    """Take repeated header rows and totals rows out of ``raw`` (kept in ``skipped``, counted)."""
    df = raw.df
    if df.empty or df.shape[1] == 0 or raw.encoding == "parquet":
        return
    drop = pd.Series(False, index=df.index)
    if header:
        # candidates: the first cell repeats the first column's name; then half the cells must
        first = df.iloc[:, 0].str.strip() == str(df.columns[0])
        if first.any():
            cand = df[first.to_numpy()]
            same = sum((cand[c].str.strip() == str(c)).astype(int) for c in cand.columns)
            again = pd.Series(False, index=df.index)
            again.loc[cand.index] = (same >= max(2, (len(cand.columns) + 1) // 2)).to_numpy()
            _take(raw, again, "repeated header row", table, notes, skipped,
                  "repeated header rows (left out of every analysis)")
            drop |= again
    spec = TABLES[table]
    look = [c for c in df.columns if c in spec.names and spec.column(c).kind in ("id", "date")]
    look = list(dict.fromkeys([df.columns[0], *look]))
    tot = pd.Series(False, index=df.index)
    for c in look:
        tot |= matches(df[c], TOTALS_PATTERN)
    tot &= ~drop
    _take(raw, tot, "totals row", table, notes, skipped,
          "totals rows (合计/小计/Total: left out of every analysis, not sales)")
    keep = ~(drop | tot)
    if not keep.all():
        raw.df = df[keep.to_numpy()]


def _take(raw: _Raw, mask: pd.Series, reason: str, table: str, notes: list, skipped: list,
          check: str) -> None:
    m = mask.to_numpy()
    if not m.any():
        return
    rows = raw.df.index.to_numpy()[m]
    text = raw.df[m].astype("str").agg(" | ".join, axis=1).to_numpy()
    skipped.append(pd.DataFrame({"table": table, "row": rows.astype("int64"), "reason": reason,
                                 "text": text}))
    notes.append(_finding(table, check, "warning", int(m.sum()), _rows_text(rows)))


def _fill_down(df: pd.DataFrame, table: str, columns: list, fname: str,
               notes: list) -> pd.DataFrame:
    """Order-level cells that an export fills only on an order's first row, filled down."""
    if not columns:
        return df
    missing = [c for c in columns if c not in df]
    if missing:
        raise DataError(f"The mapping fills down {missing} of `{table}`, which {fname} does not "
                        f"have (after mapping: {list(df.columns)}).")
    out = df.copy()
    filled = 0
    for c in columns:
        col = out[c].astype("str")
        blank = col.str.strip() == ""
        if blank.any():
            out[c] = col.mask(blank).ffill().fillna("")
            filled += int((blank & (out[c] != "")).sum())
    notes.append(_finding(table, f"order cells filled down from the row above ({', '.join(columns)})",
                          "info", filled, ""))
    return out


_ORDER_CELLS = tuple(Column(c, "float") for c in ("refund", "discount", "postage"))


def _order_cells(df: pd.DataFrame, mapping: Mapping, fname: str, notes: list) -> pd.DataFrame:
    """Order status classed; refunds netted from the amount; discounts and postage kept apart."""
    out = df.copy()
    if "status" in out:
        st = _text(out["status"])
        words = {k.lower(): v for k, v in DEFAULT_ORDER_STATUS.items()}
        words.update({str(k).lower(): v for k, v in (mapping.get("order_status") or {}).items()})
        cls = st.str.lower().map(words)
        fail_rows("transactions", "status", st, st.isna(),
                  "filled in (an order status)", source=fname,
                  hint="Fill it down from the order's first row: fill_down: {transactions: [status]}.")
        fail_rows("transactions", "status", st, cls.isna(),
                  f"an order status the mapping classes as one of {list(STATUS_CLASSES)}",
                  source=fname,
                  hint="Class it in the mapping file: order_status: {<your word>: sale}.")
        out["status"] = st.astype("str")
        out["status_class"] = cls.astype("str")
    for col in _ORDER_CELLS:
        if col.name in out:
            out[col.name] = _parse_column(out[col.name], col, table="transactions", fname=fname,
                                          offset=0, mapping=mapping, notes=notes)
    if "refund" in out:
        refund = out["refund"].fillna(0.0)
        n = int((refund != 0).sum())
        if n:
            out["amount"] = out["amount"] - refund
            notes.append(_finding("transactions", "refunds netted from the amount (amount = "
                                  f"amount - refund; {_fmt_amount(refund.sum())} in all)", "info",
                                  n, ""))
    for c in ("discount", "postage"):
        if c in out and out[c].notna().any():
            notes.append(_finding("transactions", f"{c} kept apart from merchandise sales (column "
                                  f"'{c}', {_fmt_amount(out[c].sum())} in all; not in amount)",
                                  "info", int(out[c].notna().sum()), ""))
    return out


def _load_table(path: Path, table: str, mapping: dict, notes: list,
                skipped: list) -> tuple[pd.DataFrame, np.ndarray]:
    """One table: read, rows that are no data set aside, columns renamed, parsed and validated.

    Returns the table and the spreadsheet row of each of its rows (header = row 1).
    """
    opts = (mapping.get("read") or {}).get(table) or {}
    cols = (mapping.get("columns", {}) or {}).get(table, {}) or {}
    names = None
    if isinstance(cols, list):
        names = [c if c is not None else f"_column{i + 1}" for i, c in enumerate(cols)]
        cols = {}
    raw = _read_file(path, table, opts, names)
    notes.extend(raw.notes)
    if names is not None and raw.df.shape[1] != len(names):
        raise DataError(
            f"`{table}` ({path.name}) has {raw.df.shape[1]} columns, but the mapping names "
            f"{len(names)} ({names}). Give one name per column (null for one to leave out), or "
            "set its separator: read: {" + table + ": {sep: ...}}."
        )
    df = raw.df
    df.index = pd.Index(raw.rows, dtype="int64")
    offset = 0
    spec = TABLES[table]
    rename = {}
    for canonical, theirs in cols.items():
        if theirs not in df.columns:
            raise DataError(
                f"The mapping file maps '{canonical}' of `{table}` to column '{theirs}', which is not "
                f"in {path.name}. It has {list(df.columns)}."
            )
        rename[theirs] = canonical
    clash = [c for c in df.columns if c in spec.names and c not in rename and c in rename.values()]
    if clash:
        raise DataError(
            f"`{table}` ({path.name}) has a column {clash[0]!r} and the mapping maps another "
            f"column onto {clash[0]!r}: two source columns for one target. Map one of them."
        )
    raw.df = df
    _skip_rows(raw, table, None if names is not None else list(df.columns), notes, skipped)
    df = raw.df.rename(columns=rename)
    df = _fill_down(df, table, (mapping.get("fill_down") or {}).get(table) or [], path.name, notes)
    if "amount" not in df and table == "transactions" and {"quantity", "unit_price"} <= set(df):
        decimal = opts.get("decimal", ".")
        df = df.assign(amount=_parse_float(df["quantity"], decimal) * _parse_float(df["unit_price"], decimal))
        notes.append(_finding(table, "amount computed as quantity × unit_price", "info", len(df), ""))
    derived = []
    if table == "transactions":
        # An export without amounts loads (frequency analyses run) when it has no column the
        # model does not know: an unknown column may be the amount under another name.
        known = set(spec.names) | set(EXTRA_TARGETS["transactions"])
        if "amount" not in df and all(c in known for c in df.columns):
            derived.append("amount")
        if "order_id" not in df and {"customer_id", "date"} <= set(df):
            derived.append("order_id")
    missing = [c for c in spec.required_columns if c not in df.columns and c not in derived]
    if missing:
        noun = "Column" if len(missing) == 1 else "Columns"
        names_ = ", ".join(repr(c) for c in missing)
        raise DataError(
            f"{noun} {names_} not found in `{table}` ({path.name}). Expected {list(spec.required_columns)}"
            f" at least; it has {list(df.columns)}. Map it with a mapping file: "
            f"columns: {{{table}: {{{missing[0]}: <your column>}}}}."
        )
    if df.empty and table in REQUIRED_TABLES:
        raise DataError(f"`{table}` ({path.name}) has a header but no rows.")
    parsed = {
        c.name: _parse_column(df[c.name], c, table=table, fname=path.name, offset=offset,
                              mapping=mapping, notes=notes)
        for c in spec.columns if c.name in df.columns
    }
    absent = [c for c in spec.names if c not in df.columns and c not in derived]
    if absent:
        notes.append(_finding(table, "optional columns absent (left empty)", "info", len(df),
                              ", ".join(absent)))
    df = df.assign(**parsed)
    if table == "transactions":
        df = _order_cells(df, mapping, path.name, notes)
    if "order_id" in derived:
        day = df["date"].dt.strftime("%Y-%m-%d")
        df["order_id"] = (df["customer_id"].fillna("?") + " " + day).astype("str")
        notes.append(_finding(table, "no order id: one order per customer and day derived "
                              "(order_id = '<customer_id> <date>')", "info",
                              int(df["order_id"].nunique()), ""))
    if "amount" in derived:
        df["amount"] = np.nan
        notes.append(_finding(table, "no amount column: analyses of money (sales, RFM monetary, "
                              "spend, margins) cannot run; frequency and recency analyses can",
                              "warning", len(df), ""))
    rows = df.index.to_numpy()
    df = _finalise_dtypes(df, table)
    _validate_values(df.drop(columns=["amount"]) if "amount" in derived else df, table,
                     path.name, offset)
    return df.reset_index(drop=True), rows


def _non_merchandise(tx: pd.DataFrame, rows: np.ndarray, mapping: Mapping,
                     products: pd.DataFrame | None, notes: list) -> np.ndarray:
    """Which transaction lines are no merchandise (postage, fees, adjustments), as a mask.

    The mapping's ``non_merchandise`` (product ids, or ``re:`` patterns searched in the id)
    decides; without it, :data:`DEFAULT_NON_MERCHANDISE` applies to ids that `products` does
    not list. Other ids that look like fee codes (letters only, not in `products`) get a
    finding and stay in the sales.
    """
    pid = tx["product_id"]
    if pid.isna().all():
        return np.zeros(len(tx), dtype=bool)
    listed = pd.Index(products["product_id"].dropna().unique()) if products is not None else pd.Index([])
    named = mapping.get("non_merchandise")
    default = named is None
    named = list(DEFAULT_NON_MERCHANDISE) if default else named
    exact = [n for n in named if not n.startswith("re:")]
    patterns = [n[3:] for n in named if n.startswith("re:")]
    mask = isin(pid, exact)
    for pat in patterns:
        mask |= pid.str.contains(pat, regex=True, na=False).to_numpy(dtype=bool)
    if default:
        mask &= ~isin(pid, listed)
    if mask.any():
        sel = tx[mask]
        by = sel.groupby("product_id")["amount"].agg(["size", "sum"]).sort_values("size", ascending=False)
        shown = _by_product(by)
        notes.append(_finding(
            "transactions", "non-merchandise lines (postage, fees, adjustments: in "
            "Dataset.excluded_lines, out of customer sales; amount "
            f"{_fmt_amount(sel['amount'].sum())})", "warning", int(mask.sum()),
            shown + ("" if not default else " (the default list; set non_merchandise in the "
                     "mapping to change it)")))
    looks = matches(pid, r"^[A-Za-z][A-Za-z _-]*$") & ~mask & \
        ~isin(pid, listed)
    if looks.any():
        sel = tx[looks]
        by = sel.groupby("product_id")["amount"].agg(["size", "sum"]).sort_values("size", ascending=False)
        shown = _by_product(by)
        notes.append(_finding(
            "transactions", "product ids that look like fees or adjustments (letters only, not "
            "in products; kept as sales: name them in non_merchandise if they are not)",
            "warning", int(looks.sum()), shown))
    return mask


def _by_product(by: pd.DataFrame) -> str:
    return ", ".join(f"{i!r}: {int(r['size'])} line{'s' if r['size'] != 1 else ''}, "
                     f"{_fmt_amount(r['sum'])}" for i, r in by.head(6).iterrows())


def _fmt_amount(x: float) -> str:
    """An amount as written in a message: 2 decimals at most, no float noise."""
    return f"{round(float(x), 2):.2f}".rstrip("0").rstrip(".") if np.isfinite(x) else str(x)


def load_dataset(path: str | Path, mapping: str | Path | Mapping | None = None, *,
                 mask_pii: bool = False, today: str | pd.Timestamp | None = None) -> Dataset:
    """Read a folder of CSV or Parquet files, one per table, into a validated :class:`Dataset`.

    Parameters
    ----------
    path : str or Path
        The folder. Files are named after the tables (``customers.csv``,
        ``transactions.parquet``, …) unless the mapping names them.
    mapping : path or dict, optional
        Column names, category values and file names of your export (see :func:`read_mapping`).
    mask_pii : bool, default False
        Mask customer names, phones and emails (:meth:`Dataset.mask_pii`).
    today : date-like, optional
        The reference date of the "date in the future" check; defaults to the machine's date
        (the one clock read of the package; it affects only that check).

    Returns
    -------
    Dataset
        One DataFrame per table (``None`` when an optional table is absent) and ``quality``,
        one row per finding with columns table, check, severity, rows, examples.

    Raises
    ------
    DataError
        A required table or column is missing, a file is empty or unreadable, a value cannot be
        parsed, a key is duplicated or a category value is unknown. The message names the
        file, the column, how many rows and the first few values with their row numbers (the
        header is row 1, as a spreadsheet shows it).

    Examples
    --------
    >>> ds = load_dataset("data/sample")                 # doctest: +SKIP
    >>> ds.quality[["table", "check", "rows"]].head()    # doctest: +SKIP
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(f"Data folder {folder} not found (expected a folder with customers.csv and transactions.csv).")
    mapping = read_mapping(mapping)
    notes: list[dict] = []
    tables: dict[str, pd.DataFrame | None] = {}
    offsets: dict[str, np.ndarray] = {}
    skipped: list[pd.DataFrame] = []
    for table in TABLE_NAMES:
        p = _find_file(folder, table, mapping)
        if p is None:
            if table == "customers" and mapping.get("derive_customers"):
                continue
            if table in REQUIRED_TABLES:
                present = sorted(x.name for x in folder.iterdir() if x.name.lower().endswith(SUFFIXES))
                raise DataError(
                    f"Required table `{table}` not found in {folder}: expected {table}.csv or "
                    f"{table}.parquet (files there: {present}). Name another file with a mapping "
                    f"file: tables: {{{table}: <your file>}}."
                )
            tables[table] = None
            notes.append(_finding(table, "table absent (analyses that need it say so)", "info", 0, ""))
            continue
        tables[table], offsets[table] = _load_table(p, table, mapping, notes, skipped)
    if "customers" not in tables:
        ids = tables["transactions"]["customer_id"].dropna().unique()
        tables["customers"] = _finalise_dtypes(
            pd.DataFrame({"customer_id": pd.Series(np.sort(ids), dtype="str")}), "customers")
        offsets["customers"] = np.arange(1, len(ids) + 1)
        notes.append(_finding("customers", "derived from transactions (ids only)", "info", len(ids), ""))
    tx = tables["transactions"]
    if tx["cost"].isna().all() and tables.get("products") is not None and \
            tables["products"]["unit_cost"].notna().any():
        unit_cost = tables["products"].set_index("product_id")["unit_cost"]
        tables["transactions"] = tx.assign(cost=tx["quantity"] * tx["product_id"].map(unit_cost))
        notes.append(_finding("transactions", "cost computed as quantity × products.unit_cost", "info",
                              len(tx), ""))
    tx, rows = tables["transactions"], offsets["transactions"]
    kind = pd.Series("sale", index=tx.index, dtype="str")
    if "status_class" in tx:
        kind = tx["status_class"].astype("str")
        for cls in STATUS_CLASSES[1:]:
            m = (kind == cls).to_numpy()
            if m.any():
                notes.append(_finding(
                    "transactions", f"{cls} orders (status {sorted(set(tx['status'][m]))}: in "
                    "Dataset.excluded_lines, never counted as sales; amount "
                    f"{_fmt_amount(tx['amount'][m].sum())})", "warning", int(m.sum()),
                    _rows_text(rows[m])))
    nm = _non_merchandise(tx, rows, mapping, tables.get("products"), notes) & (kind == "sale").to_numpy()
    kind = kind.mask(nm, "non_merchandise")
    out = (kind != "sale").to_numpy()
    excluded = tx[out].assign(line_kind=kind[out], row=rows[out])
    tables["transactions"] = tx[~out].reset_index(drop=True)
    offsets["transactions"] = rows[~out]
    ref = pd.Timestamp(today) if today is not None else pd.Timestamp.today()
    findings = notes + _quality_checks(tables, offsets, ref.normalize())
    quality = pd.DataFrame(findings, columns=list(QUALITY_COLUMNS)) if findings else _empty_quality()
    quality = quality.astype({"rows": "int64"})
    ds = Dataset(**{n: tables.get(n) for n in TABLE_NAMES}, quality=quality, source=str(folder),
                 excluded_lines=excluded.reset_index(drop=True),
                 skipped_rows=pd.concat(skipped, ignore_index=True) if skipped else _empty_skipped())
    return ds.mask_pii() if mask_pii else ds


__all__ = ["Dataset", "load_dataset", "read_mapping", "mask_name", "mask_phone", "mask_email",
           "mask_text"]
