"""Small vectorised helpers over pandas objects that the analysis modules share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_lib._errors import DataError, fail_rows, require_columns


def isin(values: pd.Series | pd.Index, allowed) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array, fast for long text columns.

    pandas' ``isin`` on its pyarrow-backed ``str`` dtype converts ``allowed`` one element at a
    time; with a million ids that dominates a load. This asks pyarrow directly. Missing values
    are never in ``allowed``.

    Examples
    --------
    >>> isin(pd.Series(["a", "b", None]), ["b", "c"]).tolist()
    [False, True, False]
    """
    allowed = pd.Index(allowed)
    if len(allowed) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_string_dtype(values) and pd.api.types.is_string_dtype(allowed):
        arr = pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True) \
            if values.dtype == object else pa.array(values, type=pa.large_string())
        ref = pa.array(allowed.dropna().astype("str"), type=pa.large_string())
        out = pc.is_in(arr, value_set=ref, skip_nulls=True)
        return np.asarray(out.fill_null(False), dtype=bool)
    return np.asarray(pd.Series(values).isin(allowed), dtype=bool)


def as_tuple(by) -> tuple[str, ...]:
    """The grouping columns ``by`` as a tuple: ``None`` is none, a string is one column.

    Examples
    --------
    >>> as_tuple(None), as_tuple("region"), as_tuple(["region", "tier"])
    ((), ('region',), ('region', 'tier'))
    """
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def attach_groups(df: pd.DataFrame, by: Sequence[str], groups, *, customer_col: str,
                  table: str) -> pd.DataFrame:
    """A copy of ``df`` with the grouping columns of ``by`` that it lacks, from ``groups``.

    ``groups`` is a table with the customer id (a column, or the index) and those columns, or
    a named Series indexed by customer id; it is joined on ``df[customer_col]``. Customers
    missing from ``groups`` get empty values.

    Raises
    ------
    DataError
        A column of ``by`` is in neither table (``groups`` not given: names ``table``), the
        customer id repeats in ``groups``, or ``df`` lacks ``customer_col``.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": ["a", "b", "a"], "amount": [1.0, 2.0, 3.0]})
    >>> g = pd.DataFrame({"customer_id": ["a", "b"], "region": ["north", "south"]})
    >>> attach_groups(df, ("region",), g, customer_col="customer_id", table="t")["region"].tolist()
    ['north', 'south', 'north']
    """
    out = df.copy()
    need = [c for c in by if c not in out.columns]
    if not need:
        return out
    if groups is None:
        require_columns(out, need, table=table, hint=(
            "Pass `groups=`: a table with the customer id and these columns (e.g. the customers "
            "table for region or sales_rep, a tiering result for tier)."))
    if isinstance(groups, pd.Series):
        groups = groups.to_frame(groups.name if groups.name is not None else need[0])
    g = groups.set_index(customer_col) if customer_col in groups.columns else groups
    require_columns(g, need, table="groups")
    g = g[need]
    fail_rows("groups", customer_col, pd.Series(g.index, dtype=object), g.index.duplicated(),
              "unique")
    require_columns(out, [customer_col], table=table)
    return out.join(g, on=customer_col)


def date_window(df: pd.DataFrame, date_col: str, *, start, as_of, table: str) -> pd.DataFrame:
    """The rows of ``df`` dated from ``start`` to ``as_of``, both included (either may be None).

    ``df`` itself when both are None; rows without a date are outside any window.

    Raises
    ------
    DataError
        A bound is given and ``df`` has no ``date_col`` (names ``table``).

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-03-01"])})
    >>> date_window(df, "date", start="2026-02-01", as_of="2026-02-28", table="t").index.tolist()
    [1]
    """
    if start is None and as_of is None:
        return df
    require_columns(df, [date_col], table=table)
    d = pd.to_datetime(df[date_col])
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= d >= pd.Timestamp(start)
    if as_of is not None:
        keep &= d <= pd.Timestamp(as_of)
    return df[keep]


def index_by_customer(df: pd.DataFrame, customer_col: str, table: str) -> pd.DataFrame:
    """The frame indexed by ``customer_col`` (from a column or the index name), ids unique.

    Returns ``df`` itself when it is already indexed by ``customer_col``.

    Raises
    ------
    DataError
        ``df`` is not a DataFrame, has no ``customer_col``, or has a customer on several rows.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": ["a", "b"], "sales": [1.0, 2.0]})
    >>> index_by_customer(df, "customer_id", "customers")["sales"].to_dict()
    {'a': 1.0, 'b': 2.0}
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`{table}` must be a pandas DataFrame, got {type(df).__name__}.")
    if customer_col in df.columns:
        out = df.set_index(customer_col)
    else:
        if df.index.name != customer_col:
            require_columns(df, [customer_col], table=table)  # raises: the column is missing
        out = df
    dup = out.index.duplicated(keep=False)
    if dup.any():
        ids = out.index[dup]
        raise DataError(
            f"`{table}` must have one row per customer; {int(dup.sum())} rows share a "
            f"'{customer_col}' (first: {', '.join(map(repr, ids[:3].tolist()))})."
        )
    return out


def largest_first(df: pd.DataFrame, values) -> pd.DataFrame:
    """The rows of ``df`` by ``values`` (one per row), largest first, ties by index ascending.

    The index (the customer id, unique) breaks ties, so a ranking does not depend on row order;
    missing values go last.

    Examples
    --------
    >>> df = pd.DataFrame({"v": [1.0, 3.0, 1.0]}, index=["c", "b", "a"])
    >>> largest_first(df, df["v"]).index.tolist()
    ['b', 'a', 'c']
    """
    order = pd.DataFrame({"_id": df.index.to_numpy(), "_v": np.asarray(values)})
    order = order.sort_values(["_v", "_id"], ascending=[False, True])
    return df.loc[order["_id"].to_numpy()]


def wilson(k, n, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share ``k / n`` and its Wilson score interval (all in 0-1); NaN where ``n == 0``.

    ``z`` is the normal quantile of the confidence (1.96 for 95%).

    Examples
    --------
    >>> p, lo, hi = wilson([5, 0], [10, 0], 1.959963984540054)
    >>> p.tolist(), lo.round(4).tolist(), hi.round(4).tolist()
    ([0.5, nan], [0.2366, nan], [0.7634, nan])
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return p, np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def to_timestamp(value: object, name: str = "as_of") -> pd.Timestamp:
    """Parse a date argument (``as_of``, ``start``, …) as a time-zone-naive Timestamp.

    Raises a :class:`~crm_lib._errors.DataError` naming the argument when it is not a date.

    Examples
    --------
    >>> to_timestamp("2026-10-31 12:00")
    Timestamp('2026-10-31 12:00:00')
    >>> to_timestamp("soon", "start")
    Traceback (most recent call last):
    ...
    crm_lib._errors.DataError: `start` must be a date such as '2026-10-31', got 'soon'.
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise DataError(f"`{name}` must be a date such as '2026-10-31', got {value!r}.") from err
    if ts is pd.NaT:
        raise DataError(f"`{name}` must be a date such as '2026-10-31', got {value!r}.")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def to_day(value: object, name: str = "as_of") -> pd.Timestamp:
    """Parse a date argument as midnight of its day (see :func:`to_timestamp`).

    Examples
    --------
    >>> to_day("2026-10-31 12:00")
    Timestamp('2026-10-31 00:00:00')
    """
    return to_timestamp(value, name).normalize()


def numeric(df: pd.DataFrame, col: str, *, table: str) -> np.ndarray:
    """A column as float64 (missing values as NaN); a DataError naming the rows that are text.

    Examples
    --------
    >>> numeric(pd.DataFrame({"x": ["1", None, "2.5"]}), "x", table="t").tolist()
    [1.0, nan, 2.5]
    """
    values = df[col]
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        converted = pd.to_numeric(values, errors="coerce")
        fail_rows(table, col, values, converted.isna() & values.notna(), "numeric")
        values = converted
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _arrow_text(values) -> pa.Array:
    if isinstance(values, pa.Array):
        return values
    if values.dtype == object:
        return pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True)
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def matches(values: pd.Series, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
    """Where a regular expression (RE2 syntax) matches text cells, as a boolean array.

    pyarrow's regex kernel, about ten times faster than pandas' ``str.match`` on long columns;
    the pattern is searched (anchor it with ``^``); missing cells never match.

    Examples
    --------
    >>> matches(pd.Series(["Total", "O1", None]), r"^total$", ignore_case=True).tolist()
    [True, False, False]
    """
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    out = pc.match_substring_regex(_arrow_text(values), pattern, ignore_case=ignore_case)
    return np.asarray(out.fill_null(False), dtype=bool)


def count_outside_quotes(lines, sep: str) -> np.ndarray:
    """How many times ``sep`` occurs in each line (a Series or a pyarrow array) outside
    double-quoted runs.

    Examples
    --------
    >>> count_outside_quotes(pd.Series(['a,"b,c",d', "x"]), ",").tolist()
    [2, 0]
    """
    arr = _arrow_text(lines)
    counts = np.array(pc.count_substring(arr, sep).fill_null(0), dtype="int64")
    quoted = np.asarray(pc.count_substring(arr, '"').fill_null(0), dtype="int64") > 0
    if quoted.any():  # the regex only on the lines with quotes
        idx = np.flatnonzero(quoted)
        cut = pc.replace_substring_regex(arr.take(pa.array(idx)), r'"[^"]*"', "")
        counts[idx] = np.asarray(pc.count_substring(cut, sep).fill_null(0), dtype="int64")
    return counts
