"""Reading one table's file: bytes → text → a frame of text cells, rows that are no data set aside.

Part of :func:`crm_lib.load_dataset`; the rules are in docs/data.md ("Reading files").
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_lib._errors import DataError, examples
from crm_lib._errors import finding as _finding
from crm_lib._errors import rows_text as _rows_text
from crm_lib._frames import count_outside_quotes, matches
from crm_lib.schema import TABLES

SUFFIXES = (".csv", ".parquet", ".txt", ".tsv", ".csv.gz", ".txt.gz", ".tsv.gz")


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


#: A totals row: its first cell, or one of its id cells, starts with one of the Chinese words or
#: is one of the English ones (any case, an optional colon); in a row without any id, any cell.
TOTALS_PATTERN = (r"^\s*(?:合计|小计|总计|共计|(?i:grand\s+total|sub-?\s?total|totals?|sum)"
                  r"\s*[:：]?\s*$)")
#: Product ids that the "Online Retail" export uses for lines that are no merchandise: postage,
#: carriage, manual adjustments, discounts, fees, bad debt, samples, charity. Left out of
def _skip_rows(raw: _Raw, table: str, header: list[str] | None, notes: list,
               skipped: list) -> None:
    """Take repeated header rows and totals rows out of ``raw`` (kept in ``skipped``, counted).

    ``raw.df`` has the canonical column names (after the mapping); ``header`` is the file's own
    header line, which a repeated header row repeats.
    """
    df = raw.df
    if df.empty or df.shape[1] == 0 or raw.encoding == "parquet":
        return
    drop = pd.Series(False, index=df.index)
    if header:
        # candidates: the first cell repeats the first column's name; then half the cells must
        first = df.iloc[:, 0].str.strip() == str(header[0])
        if first.any():
            cand = df[first.to_numpy()]
            same = sum((cand.iloc[:, i].str.strip() == str(h)).astype(int)
                       for i, h in enumerate(header))
            again = pd.Series(False, index=df.index)
            again.loc[cand.index] = (same >= max(2, (len(cand.columns) + 1) // 2)).to_numpy()
            _take(raw, again, "repeated header row", table, notes, skipped,
                  "repeated header rows (left out of every analysis)")
            drop |= again
    spec = TABLES[table]
    ids = [c for c in df.columns if c in spec.names and spec.column(c).kind == "id"]
    tot = pd.Series(False, index=df.index)
    for c in dict.fromkeys([df.columns[0], *ids]):
        tot |= matches(df[c], TOTALS_PATTERN)
    # a row without any id (exports put the word under a date or a name): every cell is looked at
    if ids:
        no_id = pd.concat([df[c].fillna("").astype(str).str.strip() == "" for c in ids], axis=1).all(axis=1)
        if no_id.any():
            cand = df[no_id.to_numpy()]
            word = np.column_stack([matches(cand[c], TOTALS_PATTERN) for c in cand.columns]).any(axis=1)
            tot.loc[cand.index[word]] = True
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

