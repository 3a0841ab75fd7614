"""Parsing cells: text (or Parquet values) → typed columns of the canonical model, validated.

Part of :func:`crm_lib.load_dataset`; the rules are in docs/data.md ("Numbers, missing values and
text", "Dates and time zones").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandera.pandas as pandera

from crm_lib._errors import DataError, examples, fail_rows
from crm_lib._errors import finding as _finding
from crm_lib._frames import matches
from crm_lib.schema import DTYPES, TABLES, pandera_schema, quiet_pandera

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
    # one pyarrow regex pass finds the values with an offset; Python's regex only on those
    cand = pd.Series(matches(s, r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?i:z|utc|gmt|[+-]\d\d(?::?\d\d)?)$"),
                     index=s.index)
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


#: ``date_formats: {table.column: excel}``: the cells are Excel's serial day numbers (days since
#: 1899-12-30, a fraction for the time of day), as a column formatted as a number shows them.
EXCEL_DATES = "excel"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


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

    if fmt and str(fmt).lower() == EXCEL_DATES:
        days = pd.to_numeric(s[todo], errors="coerce")
        ok = days.notna() & days.between(1, 2958465)  # 1900-01-01 .. 9999-12-31
        got = EXCEL_EPOCH + pd.to_timedelta(days[ok].astype(float), unit="D")
        out.loc[got.index] = got.dt.round("s").astype("datetime64[ns]")
        used["Excel day numbers"] = int(ok.sum())
        todo = todo & out.isna()
    elif fmt:
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
    serial = bad.any() and written[bad].astype(str).str.fullmatch(r"\s*[1-9]\d{4}(\.\d+)?\s*").all()
    fail_rows(
        table, column, written, bad, "a date (e.g. 2024-03-31)", row_offset=offset,
        source=fname,
        hint=(f"These look like Excel day numbers (45296 is 2024-01-05): say so in the mapping "
              f"file: date_formats: {{{table}.{column}: excel}}." if serial and not fmt else
              f"Give its format in the mapping file: date_formats: {{{table}.{column}: '%d/%m/%Y'}}."),
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
            # inf, NaN and 1e309 parse (to inf or NaN): the regex only on cells that came out so
            cand = (raw.notna() & ~np.isfinite(out.fillna(0.0))) | (raw.notna() & out.isna())
            nonfinite = np.isinf(out.to_numpy())
            if cand.any():
                nonfinite[cand.to_numpy()] |= matches(raw[cand], _NON_FINITE)
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
        with quiet_pandera():
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

