"""Loading a dataset: files → validated tables, a data-quality report, PII masking.

``load_dataset(path, mapping=None)`` reads a folder with one CSV or Parquet file per table of the
canonical model (:mod:`crm_lib.schema`). A mapping file renames a user's columns and category
values onto the canonical ones. Input the workbook cannot read raises :class:`DataError`;
problems that need not stop an analysis are counted in ``Dataset.quality`` and the rows are kept.

The steps live in four modules: :mod:`crm_lib._read` (a file → text cells, rows that are no data
set aside), :mod:`crm_lib._mapping` (the mapping file, checked), :mod:`crm_lib._parse` (cells →
typed, validated columns) and this one (what counts as customer sales, the quality report, the
:class:`Dataset`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib import _cache
from crm_lib._errors import DataError, examples, fail_rows
from crm_lib._errors import finding as _finding
from crm_lib._errors import rows_text as _rows_text
from crm_lib._frames import isin, matches
from crm_lib._mapping import (
    DEFAULT_ORDER_STATUS,
    EXTRA_TARGETS,
    MAPPING_KEYS,
    READ_KEYS,
    STATUS_CLASSES,
    read_mapping,
)
from crm_lib._parse import (
    DATE_FORMATS,
    MISSING_WORDS,
    _finalise_dtypes,
    _parse_column,
    _parse_float,
    _text,
    _validate_values,
)
from crm_lib._read import (
    DETECTED_ENCODINGS,
    SUFFIXES,
    TOTALS_PATTERN,
    _find_file,
    _read_file,
    _skip_rows,
)
from crm_lib.schema import REQUIRED_TABLES, TABLE_NAMES, TABLES, Column

QUALITY_COLUMNS = ("table", "check", "severity", "rows", "examples")
#: Dates before this day, or more than this many years after the reference day, get a finding.
EARLIEST_PLAUSIBLE = "1990-01-01"
PLAUSIBLE_YEARS_AHEAD = 2


# --- the quality report -------------------------------------------------------------------------


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
    header = None if names is not None or raw.encoding == "parquet" else list(df.columns)
    raw.df = df.rename(columns=rename)
    _skip_rows(raw, table, header, notes, skipped)
    df = raw.df
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
    shared = _cache.shared(folder, mapping, mask_pii, today)  # the dataset the report batch loaded
    if shared is not None:
        return shared
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
           "mask_text",
           # the loader's rules, documented in docs/data.md under these names
           "DATE_FORMATS", "DEFAULT_NON_MERCHANDISE", "DEFAULT_ORDER_STATUS", "DETECTED_ENCODINGS",
           "LINE_KINDS", "MAPPING_KEYS", "MISSING_WORDS", "READ_KEYS", "STATUS_CLASSES",
           "TOTALS_PATTERN"]
