"""Loading a dataset: files → validated tables, a data-quality report, PII masking.

``load_dataset(path, mapping=None)`` reads a folder with one CSV or Parquet file per table of the
canonical model (:mod:`crm_lib.schema`). A mapping file renames a user's columns and category
values onto the canonical ones. Input the workbook cannot read raises :class:`DataError`;
problems that need not stop an analysis are counted in ``Dataset.quality`` and the rows are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from crm_lib._errors import DataError, examples, fail_rows
from crm_lib._frames import isin
from crm_lib.schema import DTYPES, REQUIRED_TABLES, TABLE_NAMES, TABLES, pandera_schema

QUALITY_COLUMNS = ("table", "check", "severity", "rows", "examples")
SUFFIXES = (".csv", ".parquet", ".txt", ".tsv")
MAPPING_KEYS = ("tables", "columns", "values", "date_formats", "dayfirst", "derive_customers")

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


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Text of a CSV export and the encoding it was read with (UTF-8, with or without BOM,
    UTF-16 with BOM, or GB18030, the superset of GBK that Chinese Excel writes)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise DataError(
            f"Cannot read {path.name}: it is neither UTF-8 nor GBK/GB18030 text "
            f"(byte {exc.start}: {raw[exc.start:exc.start + 4]!r}). Save it as CSV UTF-8."
        ) from None


def _read_file(path: Path, table: str) -> tuple[pd.DataFrame, str]:
    """Raw table (CSV: every cell a string) and the encoding (``"parquet"`` for Parquet)."""
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path), "parquet"
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise DataError(f"Cannot read `{table}` from {path.name}: {exc}") from None
    raw = path.read_bytes()
    text, encoding = _decode(raw, path)
    if not text.strip():
        raise DataError(f"`{table}` ({path.name}) is empty: expected a header line and rows.")
    first = text.split("\n", 1)[0]
    sep = max(",;\t|", key=first.count)
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
            skipinitialspace=True, quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as exc:
        raise DataError(f"Cannot read `{table}` ({path.name}) as CSV: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, encoding


def _find_file(folder: Path, table: str, mapping: Mapping) -> Path | None:
    named = mapping.get("tables", {}).get(table)
    if named:
        p = folder / named
        if not p.exists():
            raise DataError(
                f"The mapping file names {named!r} for `{table}`, but {p} does not exist."
            )
        return p
    hits = [folder / f"{table}{s}" for s in SUFFIXES if (folder / f"{table}{s}").exists()]
    if len(hits) > 1:
        raise DataError(
            f"Two files for `{table}` in {folder}: {', '.join(h.name for h in hits)}. Keep one."
        )
    return hits[0] if hits else None


# --- mapping files ------------------------------------------------------------------------------


def read_mapping(mapping: str | Path | Mapping | None) -> dict:
    """Read a mapping (YAML or JSON file, or a dict) and check its shape.

    A mapping has up to six keys::

        tables:           # file per table, when not named <table>.csv
          transactions: online_retail.csv
        columns:          # canonical name: your column, per table
          transactions: {order_id: InvoiceNo, customer_id: CustomerID, date: InvoiceDate,
                         product_id: StockCode, quantity: Quantity, unit_price: UnitPrice}
        values:           # your category values onto canonical ones, per table and column
          customers: {kind: {个人: individual, 企业: company}}
        date_formats:     # strptime format per table.column, when the guess is not enough
          transactions.date: "%m/%d/%Y %H:%M"
        dayfirst: false   # how to read 03/04/2024 when both readings are valid
        derive_customers: true   # no customers file: take the ids from transactions

    Examples
    --------
    >>> read_mapping({"columns": {"transactions": {"customer_id": "CustomerID"}}})["columns"]
    {'transactions': {'customer_id': 'CustomerID'}}
    """
    if mapping is None:
        return {}
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
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as exc:
            raise DataError(f"Cannot read the mapping file {p.name}: {exc}") from None
        data = data or {}
    if not isinstance(data, Mapping):
        raise DataError(f"{where} must be a mapping of {list(MAPPING_KEYS)}, got {type(data).__name__}.")
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise DataError(f"{where} has unknown keys {unknown}; expected some of {list(MAPPING_KEYS)}.")
    for key in ("tables", "columns", "values"):
        for table in data.get(key, {}) or {}:
            if table not in TABLES:
                raise DataError(
                    f"{where}: `{key}` names an unknown table {table!r}; "
                    f"tables are {list(TABLE_NAMES)}."
                )
    return data


# --- parsing columns ----------------------------------------------------------------------------


def _blank(s: pd.Series) -> pd.Series:
    """Strip text; empty strings and NaN become missing."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.astype("str").str.strip()
        return s.mask(s.isin(["", "nan", "NaN", "NULL", "null", "None", "NA", "N/A", "#N/A"]))
    return s


def _parse_float(s: pd.Series) -> pd.Series:
    """Numbers; text with currency symbols, thousands separators or (accounting) negatives too."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    s = _blank(s)
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    rest = s.notna() & out.isna()
    if not rest.any():
        return out
    txt = s[rest].str.replace(_CURRENCY, "", regex=True)
    neg = txt.str.match(r"^\(.*\)$", na=False)
    txt = txt.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    thousands = txt.str.match(_THOUSANDS, na=False)
    txt = txt.where(~thousands, txt.str.replace(",", "", regex=False))
    txt = txt.str.replace("，", "", regex=False)
    cleaned = pd.to_numeric(txt, errors="coerce").astype("float64")
    out.loc[cleaned.index] = cleaned.where(~neg, -cleaned)
    return out


def _parse_dates(s: pd.Series, *, kind: str, fmt: str | None, dayfirst: bool | None,
                 table: str, column: str, fname: str, offset: int,
                 notes: list) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        out = out.astype("datetime64[ns]")
        return out.dt.normalize() if kind == "date" else out
    s = _blank(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s.notna()
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
    bad = s.notna() & out.isna()
    fail_rows(
        table, column, s, bad, "a date (e.g. 2024-03-31)", row_offset=offset,
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
        out = _blank(s.astype("str").where(s.notna()))
        if kind == "id":
            nonnull = out.dropna()
            if len(nonnull) and nonnull.str.fullmatch(r"\d+\.0").all():
                out = out.str.replace(r"\.0$", "", regex=True)
        return out.astype("str")
    if kind == "category":
        out = _blank(s.astype("str").where(s.notna()))
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
        out = _parse_float(s)
        raw = _blank(s) if not pd.api.types.is_numeric_dtype(s) else s
        what = "numeric" if kind == "float" else "a whole number"
        fail_rows(table, col.name, raw, raw.notna() & out.isna(), what, row_offset=offset,
                  source=fname)
        if kind == "int":
            fail_rows(table, col.name, out, out.notna() & (out % 1 != 0), what,
                      row_offset=offset, source=fname)
        return out
    if kind in ("date", "datetime"):
        fmt = (mapping.get("date_formats") or {}).get(f"{table}.{col.name}")
        return _parse_dates(s, kind=kind, fmt=fmt, dayfirst=mapping.get("dayfirst"),
                            table=table, column=col.name, fname=fname, offset=offset,
                            notes=notes)
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
    except pa.errors.SchemaErrors as exc:
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
          column: str, offset: int) -> None:
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        n, ex = examples(df[column], mask, row_offset=offset)
        findings.append(_finding(table, check, severity, n, ex))


def _quality_checks(tables: dict[str, pd.DataFrame], offsets: dict[str, int],
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
    _flag(f, "transactions", tx, tx["amount"] == 0, "zero amount", "info", "amount", off)
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

    def tables(self) -> dict[str, pd.DataFrame]:
        """The present tables by name."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    def require(self, table: str, *, analysis: str = "this analysis") -> pd.DataFrame:
        """The table, or a DataError saying which analysis needs it and how to provide it.

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
        ``z***@***.cn``), also inside free text: the names of the customers (and of their
        decision makers and parent companies), phone numbers and emails written in the notes of
        interactions and in any ``note``/``comment``/``description`` column of the complaints
        and surveys."""
        cust = self.customers
        name_cols = [c for c in ("name", "decision_maker", "parent_company") if c in cust]
        names = pd.concat([cust[c] for c in name_cols]) if name_cols else pd.Series(dtype="str")
        masked = {c: mask_name(cust[c]) for c in name_cols}
        if "phone" in cust:
            masked["phone"] = mask_phone(cust["phone"])
        if "email" in cust:
            masked["email"] = mask_email(cust["email"])
        changes = {"customers": cust.assign(**masked)}
        for table in ("interactions", "complaints", "surveys"):
            df = getattr(self, table)
            if df is None:
                continue
            text_cols = [c for c in df.columns if c in _FREE_TEXT_COLUMNS]
            if text_cols:
                changes[table] = df.assign(**{c: mask_text(df[c], names=names) for c in text_cols})
        return replace(self, **changes)

    def __repr__(self) -> str:
        parts = [f"{n}={len(df):,} rows" for n, df in self.tables().items()]
        return f"Dataset({self.source!r}: {', '.join(parts)}; {len(self.quality)} quality findings)"


_FREE_TEXT_COLUMNS = frozenset({"note", "notes", "comment", "comments", "description", "text"})
"""Columns of interactions, complaints and surveys that :meth:`Dataset.mask_pii` masks as free text."""


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
    """Keep the first letter and the top-level domain: ``zhang.san@anxin.com.cn`` → ``z***@***.cn``.

    The domain of a company address names the company, so only its last label is kept.

    Examples
    --------
    >>> mask_email(pd.Series(["zhang.san@anxinkunming.com.cn", "li@qq.com"])).tolist()
    ['z***@***.cn', 'l***@***.com']
    """
    s = s.astype("str").where(s.notna())
    return s.str.replace(_EMAIL, r"\1***@***.\2", regex=True).where(s.notna())


_EMAIL = r"([\w+-])[\w.+-]*@(?:[\w-]+\.)*([A-Za-z]{2,})\b"
_DATE_LIKE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
_PHONE_IN_TEXT = (r"(?<![\w])(?!(?:" + _DATE_LIKE + r")(?![\d]))"
                  r"\+?\(?\d[\d()]*(?:[ \-.]?\(?\d[\d()]*){2,}(?![\w])")
"""A run of digits, possibly in groups joined by one space, hyphen or dot and with parentheses or
a leading ``+``; dates (``2026-03-01``, ``01/03/2026``) are left alone. Runs of 7 or more digits
are masked."""


def _mask_phone_match(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    if len(digits) < 7:
        return m.group(0)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 9 else "*" * len(digits)


def mask_text(s: pd.Series, *, names: pd.Series | None = None) -> pd.Series:
    """Mask emails, phone numbers and known names inside free text.

    Parameters
    ----------
    s : Series
        Free text (notes, comments).
    names : Series, optional
        Names to find in the text (e.g. the customers' names); each occurrence is masked as
        :func:`mask_name` masks it. Names shorter than two characters are ignored.

    Returns
    -------
    Series
        Emails as :func:`mask_email`, phone numbers of 7 or more digits written with or without
        separators (``0871-14230826``, ``+86 138 1234 5678``, ``(021) 5555 1234``) as
        ``087****0826``; dates are left alone.

    Examples
    --------
    >>> mask_text(pd.Series(["Call Wang Wei on 0871-14230826 before 2026-03-01, wei@anxin.com.cn"]),
    ...           names=pd.Series(["Wang Wei"])).tolist()
    ['Call W*** W** on 087****0826 before 2026-03-01, w***@***.cn']
    """
    s = s.astype("str").where(s.notna())
    s = s.str.replace(_EMAIL, r"\1***@***.\2", regex=True)
    s = s.str.replace(_PHONE_IN_TEXT, _mask_phone_match, regex=True)
    if names is not None:
        known = pd.Series(names).dropna().astype("str").str.strip()
        known = known[known.str.len() >= 2].drop_duplicates()
        if len(known):
            order = known.str.len().sort_values(ascending=False, kind="stable").index
            known = known.loc[order]
            lookup = dict(zip(known, mask_name(known), strict=True))
            pattern = "|".join(re.escape(n) for n in known)
            s = s.str.replace(pattern, lambda m: lookup[m.group(0)], regex=True)
    return s.where(s.notna())


def _offset(encoding: str) -> int:
    """Row label → row number as a spreadsheet shows it (header = row 1) for CSV; 1-based for Parquet."""
    return 1 if encoding == "parquet" else 2


def _load_table(path: Path, table: str, mapping: dict, notes: list) -> tuple[pd.DataFrame, int]:
    raw, encoding = _read_file(path, table)
    offset = _offset(encoding)
    if encoding in ("utf-8-sig", "gb18030", "utf-16"):
        label = {"utf-8-sig": "UTF-8 with BOM", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}[encoding]
        notes.append(_finding(table, f"read as {label}", "info", len(raw), path.name))
    spec = TABLES[table]
    cols = (mapping.get("columns", {}) or {}).get(table, {}) or {}
    rename = {}
    for canonical, theirs in cols.items():
        if theirs not in raw.columns:
            raise DataError(
                f"The mapping file maps '{canonical}' of `{table}` to column '{theirs}', which is not "
                f"in {path.name}. It has {list(raw.columns)}."
            )
        rename[theirs] = canonical
    raw = raw.rename(columns=rename)
    if "amount" not in raw and table == "transactions" and {"quantity", "unit_price"} <= set(raw):
        raw = raw.assign(amount=_parse_float(raw["quantity"]) * _parse_float(raw["unit_price"]))
        notes.append(_finding(table, "amount computed as quantity × unit_price", "info", len(raw), ""))
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        noun = "Column" if len(missing) == 1 else "Columns"
        names = ", ".join(repr(c) for c in missing)
        raise DataError(
            f"{noun} {names} not found in `{table}` ({path.name}). Expected {list(spec.required_columns)}"
            f" at least; it has {list(raw.columns)}. Map it with a mapping file: "
            f"columns: {{{table}: {{{missing[0]}: <your column>}}}}."
        )
    if raw.columns.duplicated().any():
        dups = sorted(set(raw.columns[raw.columns.duplicated()]))
        raise DataError(f"`{table}` ({path.name}) has duplicate column names {dups}.")
    if raw.empty and table in REQUIRED_TABLES:
        raise DataError(f"`{table}` ({path.name}) has a header but no rows.")
    parsed = {
        c.name: _parse_column(raw[c.name], c, table=table, fname=path.name, offset=offset,
                              mapping=mapping, notes=notes)
        for c in spec.columns if c.name in raw.columns
    }
    absent = [c for c in spec.names if c not in raw.columns]
    if absent:
        notes.append(_finding(table, "optional columns absent (left empty)", "info", len(raw),
                              ", ".join(absent)))
    df = raw.assign(**parsed).reset_index(drop=True)
    df = _finalise_dtypes(df, table)
    _validate_values(df, table, path.name, offset)
    return df, offset


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
    offsets: dict[str, int] = {}
    for table in TABLE_NAMES:
        p = _find_file(folder, table, mapping)
        if p is None:
            if table == "customers" and mapping.get("derive_customers"):
                continue
            if table in REQUIRED_TABLES:
                present = sorted(x.name for x in folder.iterdir() if x.suffix.lower() in SUFFIXES)
                raise DataError(
                    f"Required table `{table}` not found in {folder}: expected {table}.csv or "
                    f"{table}.parquet (files there: {present}). Name another file with a mapping "
                    f"file: tables: {{{table}: <your file>}}."
                )
            tables[table] = None
            notes.append(_finding(table, "table absent (analyses that need it say so)", "info", 0, ""))
            continue
        tables[table], offsets[table] = _load_table(p, table, mapping, notes)
    if "customers" not in tables:
        ids = tables["transactions"]["customer_id"].dropna().unique()
        tables["customers"] = _finalise_dtypes(
            pd.DataFrame({"customer_id": pd.Series(np.sort(ids), dtype="str")}), "customers")
        offsets["customers"] = 1
        notes.append(_finding("customers", "derived from transactions (ids only)", "info", len(ids), ""))
    tx = tables["transactions"]
    if tx["cost"].isna().all() and tables.get("products") is not None and \
            tables["products"]["unit_cost"].notna().any():
        unit_cost = tables["products"].set_index("product_id")["unit_cost"]
        tables["transactions"] = tx.assign(cost=tx["quantity"] * tx["product_id"].map(unit_cost))
        notes.append(_finding("transactions", "cost computed as quantity × products.unit_cost", "info",
                              len(tx), ""))
    ref = pd.Timestamp(today) if today is not None else pd.Timestamp.today()
    findings = notes + _quality_checks(tables, offsets, ref.normalize())
    quality = pd.DataFrame(findings, columns=list(QUALITY_COLUMNS)) if findings else _empty_quality()
    quality = quality.astype({"rows": "int64"})
    ds = Dataset(**{n: tables.get(n) for n in TABLE_NAMES}, quality=quality, source=str(folder))
    return ds.mask_pii() if mask_pii else ds


__all__ = ["Dataset", "load_dataset", "read_mapping", "mask_name", "mask_phone", "mask_email",
           "mask_text"]
