"""Transactions to per-customer (or per-group) summaries.

This module is the only place in the package that aggregates the transaction log: every analysis
that needs totals per customer, per period, or the ``frequency`` / ``recency`` / ``T`` /
``monetary_value`` statistics of the lifetime-value models calls one of its three functions.
Keeping the step in one place lets a bigger engine take it over later.

Conventions shared by the three functions
-----------------------------------------
* Dates are compared as calendar days: ``start <= date <= as_of`` keeps every line dated on
  ``as_of`` whatever its time of day.
* A *purchase line* has a positive amount, a *return line* a negative amount; a line of amount
  zero is neither (it still counts in ``lines``).
* Returns are kept and netted: sales, cost and gross profit are net sums over all lines.
* Rows without a customer id (or another ``by`` key), a date or an amount cannot be placed; they
  are left out and counted in a :class:`~crm_lib._errors.DataWarning` and in
  ``result.attrs["excluded_rows"]``.
* Aggregation runs on integer codes with numpy (``factorize``, ``bincount``, sorting of packed
  keys): there is no Python loop over customers or transactions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, DataWarning, examples, fail_rows, require_columns
from crm_lib._frames import numeric, to_day

__all__ = [
    "FREQUENCIES",
    "MONTH_DAYS",
    "PERIOD_LENGTH_DAYS",
    "customer_summary",
    "period_totals",
    "summary_histogram",
    "totals",
    "HISTOGRAM_COLUMNS",
]

#: Period units accepted by :func:`customer_summary` and :func:`period_totals`:
#: days, weeks (Monday to Sunday, pandas' ``W``/``W-SUN`` periods) and calendar months.
FREQUENCIES: tuple[str, ...] = ("D", "W", "M")

#: Days in one month: a twelfth of the Julian year (30.4375), the one month length of the workbook,
#: in every period unit (the lifetime value's horizon, tenure in months, monthly periods).
MONTH_DAYS: float = 365.25 / 12

#: Length of one period in days, as lifetimes divides by ``np.timedelta64(1, freq)``, except that a
#: month is :data:`MONTH_DAYS` (numpy's "M" is the Gregorian 365.2425 / 12 = 30.436875 days, so a
#: monthly ``recency``/``T`` differs from lifetimes' by 2.1e-5 relative).
PERIOD_LENGTH_DAYS = MappingProxyType({"D": 1.0, "W": 7.0, "M": MONTH_DAYS})

_TABLE = "transactions"
_NS_PER_DAY = 86_400_000_000_000


# ---------------------------------------------------------------------------------------------
# validation and preparation
# ---------------------------------------------------------------------------------------------

def _to_day(value: object, name: str) -> tuple[pd.Timestamp, int] | tuple[None, None]:
    """Parse a date argument; return (the day as a Timestamp, its day number since 1970)."""
    if value is None:
        return None, None
    day = to_day(value, name)
    return day, int(day.value // _NS_PER_DAY)


def _date_days(df: pd.DataFrame, date_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers since 1970-01-01 (int64; 0 where missing) and the mask of missing dates."""
    col = df[date_col]
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_localize(None)
    if not pd.api.types.is_datetime64_dtype(col.dtype):
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            n, ex = examples(col)
            raise DataError(
                f"Column '{date_col}' in `{_TABLE}` must hold dates, got numbers "
                f"({col.dtype}; {ex}). Convert it with pd.to_datetime or map the right column."
            )
        parsed = pd.to_datetime(col, errors="coerce", format="mixed")
        fail_rows(_TABLE, date_col, col, parsed.isna() & col.notna(), "a date",
                  hint="Write dates as YYYY-MM-DD.")
        col = parsed
    values = col.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(values)
    days = values.view(np.int64) // _NS_PER_DAY
    if missing.any():
        days[missing] = 0
    return days, missing


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    return numeric(df, col, table=_TABLE)


def _check_col_arg(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise DataError(f"`{name}` must be a column name (str), got {value!r}.")


def _by_tuple(by: str | Sequence[str]) -> tuple[str, ...]:
    cols = (by,) if isinstance(by, str) else tuple(by)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise DataError(f"`by` must be a column name or a non-empty sequence of names, got {by!r}.")
    return cols


def _group_codes(df: pd.DataFrame, cols: tuple[str, ...], *,
                 sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """Integer group codes (-1 where a key is missing) and the index of the groups.

    The index is sorted unless ``sort`` is False (one key column only: the caller sorts its
    small result instead of renumbering every line).
    """
    codes = None
    levels = []
    for col in cols:
        c, uniques = pd.factorize(df[col], sort=sort or len(cols) > 1, use_na_sentinel=True)
        c = c.astype(np.int64, copy=False)
        levels.append(pd.Index(uniques, name=col))
        if codes is None:
            codes = c
        else:
            missing = (codes < 0) | (c < 0)
            codes = codes * len(uniques) + c
            codes[missing] = -1
    if len(cols) == 1:
        return codes, levels[0]
    valid = codes >= 0
    packed, uniq = pd.factorize(codes[valid], sort=True)
    out = np.full(len(codes), -1, dtype=np.int64)
    out[valid] = packed
    uniq = np.asarray(uniq, dtype=np.int64)
    sizes = [len(lv) for lv in levels]
    parts = []
    rest = uniq
    for size in reversed(sizes):
        parts.append(rest % size)
        rest = rest // size
    parts.reverse()
    index = pd.MultiIndex.from_arrays(
        [lv.take(p) for lv, p in zip(levels, parts, strict=True)], names=list(cols)
    )
    return out, index


def _exclude(keep: np.ndarray, bad: dict[str, np.ndarray], df: pd.DataFrame) -> int:
    """Warn about rows that cannot be placed; return how many were left out."""
    any_bad = np.zeros(len(df), dtype=bool)
    parts = []
    for what, mask in bad.items():
        if mask.any():
            parts.append(f"{int(mask.sum())} without {what}")
            any_bad |= mask
    n = int(any_bad.sum())
    if n:
        shown = [str(i) for i in df.index[any_bad][:3]]
        where = f"row{'s' if len(shown) != 1 else ''} {', '.join(shown)}{', …' if n > 3 else ''}"
        warnings.warn(
            f"{n} row{'s' if n != 1 else ''} of `{_TABLE}` left out ({'; '.join(parts)}; "
            f"{where}).", DataWarning, stacklevel=3,
        )
    keep &= ~any_bad
    return n


def _period_index(days: np.ndarray, freq: str) -> np.ndarray:
    """Integer period numbers of day numbers: days, Monday-based weeks, or months since 1970-01."""
    if freq == "D":
        return days
    if freq == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; weeks start on Monday
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _period_start_day(index: np.ndarray, freq: str) -> np.ndarray:
    """Day number (since 1970-01-01) of the first day of each period number."""
    index = np.asarray(index, dtype=np.int64)
    if freq == "D":
        return index
    if freq == "W":
        return index * 7 - 3
    return index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _period_start(index: np.ndarray, freq: str) -> np.ndarray:
    return _period_start_day(index, freq).astype("datetime64[D]").astype("datetime64[ns]")


def _check_freq(freq: object) -> str:
    if freq not in FREQUENCIES:
        raise DataError(f"`freq` must be one of {list(FREQUENCIES)}, got {freq!r}.")
    return str(freq)


#: Largest key range handled with a dense presence table instead of a sort (bytes of memory).
_DENSE_KEYS = 2**27


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of non-negative int64 ``keys``.

    A presence table when the key range is small enough, else a sort (as uint32 when they fit).
    """
    if len(keys) == 0:
        return keys.astype(np.int64)
    kmax = int(keys.max())
    if kmax < _DENSE_KEYS:
        present = np.zeros(kmax + 1, dtype=bool)
        present[keys] = True
        return np.flatnonzero(present)
    # logs usually list an order's lines (same customer, same day) together: drop repeats of
    # the previous key first, which shrinks the sort
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    small = kmax < 2**32
    ordered = np.sort(keys.astype(np.uint32) if small else keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]].astype(np.int64)


def _cell_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ``keys`` and, for each key, its position among them."""
    if len(keys) and int(keys.max()) < _DENSE_KEYS // 4:
        present = np.zeros(int(keys.max()) + 1, dtype=bool)
        present[keys] = True
        position = np.cumsum(present, dtype=np.int32) - 1
        return np.flatnonzero(present), position[keys].astype(np.int64)
    if len(keys) == 0:
        return keys.astype(np.int64), keys.astype(np.int64)
    small = int(keys.max()) < 2**32
    order = np.argsort(keys.astype(np.uint32) if small else keys, kind="stable")
    ordered = keys[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]]
    cell = np.empty(len(keys), dtype=np.int64)
    cell[order] = np.cumsum(new) - 1
    return ordered[new].astype(np.int64), cell


def _distinct_count(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Number of distinct non-negative ``values`` per group code (codes in 0..n_groups-1)."""
    ok = values >= 0
    g, v = groups[ok], values[ok]
    if len(g) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    span = int(v.max()) + 1
    return np.bincount(_sorted_unique(g * span + v) // span, minlength=n_groups)


def _order_counts(groups: np.ndarray, orders: pd.Series, rows: np.ndarray,
                  n_groups: int) -> np.ndarray:
    """Distinct order ids per group among the selected ``rows`` (missing ids are not counted).

    An order normally belongs to one group, so each order is credited to its group without a
    sort of (group, order) pairs; orders shared by several groups fall back to that sort.
    """
    codes = pd.factorize(orders)[0].astype(np.int64)[rows]
    g = groups[rows]
    ok = codes >= 0
    codes, g = codes[ok], g[ok]
    if len(codes) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    owner = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    owner[codes] = g
    if (owner[codes] == g).all():
        return np.bincount(owner[owner >= 0], minlength=n_groups)
    return _distinct_count(g, codes, n_groups)


def _fmt_day(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


# ---------------------------------------------------------------------------------------------
# totals
# ---------------------------------------------------------------------------------------------

def _prepared(transactions, key_cols, *, start, as_of, date_col, amount_col, optional):
    """Validate, compute day numbers and group codes, apply the window.

    Returns (day numbers, amounts, group codes, group index, mask of the lines in the window,
    number of lines excluded, as_of day number).
    """
    cols = [*key_cols, date_col, amount_col]
    cols += [c for c in optional if c is not None]
    require_columns(transactions, list(dict.fromkeys(cols)), table=_TABLE)
    _, start_day = _to_day(start, "start")
    _, as_of_day = _to_day(as_of, "as_of")
    if start_day is not None and as_of_day is not None and start_day > as_of_day:
        raise DataError(
            f"`start` must not be after `as_of`, got start={_fmt_day(start_day)}, "
            f"as_of={_fmt_day(as_of_day)}."
        )
    days, no_date = _date_days(transactions, date_col)
    amount = _numeric(transactions, amount_col)
    codes, index = _group_codes(transactions, key_cols)
    keep = np.ones(len(transactions), dtype=bool)
    excluded = _exclude(keep, {
        f"a {' / '.join(key_cols)}": codes < 0,
        f"a {date_col}": no_date,
        f"an {amount_col}": np.isnan(amount),
    }, transactions)
    if start_day is not None:
        keep &= ~(days < start_day)
    if as_of_day is not None:
        keep &= ~(days > as_of_day)
    return days, amount, codes, index, keep, excluded, as_of_day


def totals(
    transactions: pd.DataFrame,
    by: str | Sequence[str] = ("customer_id",),
    *,
    start: object = None,
    as_of: object = None,
    date_col: str = "date",
    amount_col: str = "amount",
    cost_col: str | None = "cost",
    quantity_col: str | None = "quantity",
    order_col: str | None = "order_id",
) -> pd.DataFrame:
    """Sum the transaction log by customer (or any key columns) over a date window.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction line; returns are lines with a negative amount.
    by : str or sequence of str, default ("customer_id",)
        Key columns of ``transactions``; the result is indexed by them (sorted).
    start, as_of : date-like, optional
        Keep lines with ``start <= date <= as_of`` (calendar days; either bound may be None).
    date_col, amount_col : str
        Date and revenue columns.
    cost_col, quantity_col, order_col : str or None
        Cost, quantity and order-id columns; ``None`` when the log has no such column (the
        corresponding results are then NaN). A missing cost or quantity on a line counts as 0;
        a missing order id is not counted as an order.

    Returns
    -------
    DataFrame
        Indexed by ``by`` (only keys with at least one line in the window), with columns

        - ``sales``: net revenue (returns included),
        - ``cost``, ``gross_profit`` (sales - cost), ``quantity``: net sums,
        - ``orders``: distinct order ids among purchase lines (amount > 0),
        - ``lines``: number of lines, ``return_lines``: lines with a negative amount,
        - ``returned_amount``: the returned revenue as a positive number,
        - ``first_purchase``, ``last_purchase``: dates of the first and last purchase line
          (NaT when the window holds only returns),
        - ``purchase_days``: distinct dates with a purchase line.

        ``attrs["excluded_rows"]`` counts lines without a key, date or amount (left out with a
        :class:`DataWarning`); ``attrs["start"]`` and ``attrs["as_of"]`` record the window.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "order_id": ["1", "2", "3"],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-09", "2026-01-07"]),
    ...     "quantity": [2.0, -1.0, 1.0], "amount": [20.0, -10.0, 5.0], "cost": [12.0, -6.0, 3.0]})
    >>> totals(tx)[["sales", "gross_profit", "orders", "returned_amount"]]  # doctest: +NORMALIZE_WHITESPACE
                 sales  gross_profit  orders  returned_amount
    customer_id
    a             10.0           4.0       1             10.0
    b              5.0           2.0       1              0.0
    """
    key_cols = _by_tuple(by)
    for name, val in (("date_col", date_col), ("amount_col", amount_col)):
        _check_col_arg(name, val)
    if not isinstance(transactions, pd.DataFrame):
        return _engine_totals(transactions, key_cols, start=start, as_of=as_of,
                              date_col=date_col, amount_col=amount_col, cost_col=cost_col,
                              quantity_col=quantity_col, order_col=order_col)
    days, amount, codes, index, keep, excluded, _ = _prepared(
        transactions, key_cols, start=start, as_of=as_of, date_col=date_col,
        amount_col=amount_col, optional=(cost_col, quantity_col, order_col),
    )
    g_all = codes[keep]
    present = np.flatnonzero(np.bincount(g_all, minlength=len(index)) > 0)
    n = len(present)
    remap = np.full(len(index) + 1, -1, dtype=np.int64)
    remap[present] = np.arange(n)
    g = remap[g_all]
    amt = amount[keep]
    d = days[keep]

    def _sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=np.nan_to_num(values), minlength=n)

    out = pd.DataFrame(index=index.take(present))
    out["sales"] = _sum(amt)
    if cost_col is not None:
        out["cost"] = _sum(_numeric(transactions, cost_col)[keep])
    else:
        out["cost"] = np.nan
    out["gross_profit"] = out["sales"] - out["cost"]
    if quantity_col is not None:
        out["quantity"] = _sum(_numeric(transactions, quantity_col)[keep])
    else:
        out["quantity"] = np.nan
    buy = amt > 0
    if order_col is not None:
        rows = np.flatnonzero(keep)[buy]
        full_g = np.full(len(keep), -1, dtype=np.int64)
        full_g[keep] = g
        out["orders"] = _order_counts(full_g, transactions[order_col], rows, n)
    else:
        out["orders"] = np.nan
    out["lines"] = np.bincount(g, minlength=n)
    ret = amt < 0
    out["return_lines"] = np.bincount(g[ret], minlength=n)
    out["returned_amount"] = -np.bincount(g[ret], weights=amt[ret], minlength=n) + 0.0
    bd = d[buy]
    bg = g[buy]
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, bg, bd)
    np.maximum.at(last, bg, bd)
    has = np.bincount(bg, minlength=n) > 0
    out["first_purchase"] = _days_to_ts(first, has)
    out["last_purchase"] = _days_to_ts(last, has)
    out["purchase_days"] = _distinct_count(bg, bd - (bd.min() if len(bd) else 0), n)
    out.attrs.update(excluded_rows=excluded, start=_attr_day(start), as_of=_attr_day(as_of))
    return out


def _days_to_ts(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.where(valid, days, 0).astype("datetime64[D]").astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def _attr_day(value: object) -> pd.Timestamp | None:
    return _to_day(value, "date")[0]


# ---------------------------------------------------------------------------------------------
# period totals
# ---------------------------------------------------------------------------------------------

def period_totals(
    transactions: pd.DataFrame,
    *,
    freq: str = "M",
    by: str | Sequence[str] = ("customer_id",),
    start: object = None,
    as_of: object = None,
    date_col: str = "date",
    amount_col: str = "amount",
    cost_col: str | None = "cost",
    order_col: str | None = "order_id",
) -> pd.DataFrame:
    """Sum the transaction log by key columns and period (day, week or month).

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction line.
    freq : {"D", "W", "M"}, default "M"
        Period unit: calendar day, week (Monday to Sunday) or calendar month.
    by : str or sequence of str, default ("customer_id",)
        Key columns; ``by=()`` is not allowed (use a constant column for grand totals).
    start, as_of : date-like, optional
        Keep lines with ``start <= date <= as_of`` (calendar days).
    date_col, amount_col, cost_col, order_col : str
        Column names; ``cost_col`` / ``order_col`` may be None (results NaN).

    Returns
    -------
    DataFrame
        Long format, one row per key and period with at least one line, sorted by key then
        period: the ``by`` columns, ``period`` (Timestamp of the period's first day), ``sales``
        (net), ``cost``, ``gross_profit``, ``orders`` (distinct order ids among purchase lines).
        ``attrs["freq"]`` records the unit.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a"], "order_id": ["1", "2", "3"],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-30", "2026-02-02"]),
    ...     "amount": [20.0, 5.0, 7.0], "cost": [10.0, 2.0, 3.0]})
    >>> period_totals(tx)[["customer_id", "period", "sales", "orders"]]
      customer_id     period  sales  orders
    0           a 2026-01-01   25.0       2
    1           a 2026-02-01    7.0       1
    """
    freq = _check_freq(freq)
    key_cols = _by_tuple(by)
    if "period" in key_cols:
        raise DataError("`by` must not contain 'period': the result adds a column of that name.")
    if not isinstance(transactions, pd.DataFrame):
        return _engine_period_totals(transactions, key_cols, freq=freq, start=start, as_of=as_of,
                                     date_col=date_col, amount_col=amount_col,
                                     cost_col=cost_col, order_col=order_col)
    days, amount, codes, index, keep, excluded, _ = _prepared(
        transactions, key_cols, start=start, as_of=as_of, date_col=date_col,
        amount_col=amount_col, optional=(cost_col, order_col),
    )
    per = _period_index(days[keep], freq)
    g0 = codes[keep]
    pmin = int(per.min()) if len(per) else 0
    span = (int(per.max()) - pmin + 1) if len(per) else 1
    key = g0 * span + (per - pmin)
    uniq, cell = _cell_codes(key)
    n = len(uniq)
    amt = amount[keep]

    def _sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=np.nan_to_num(values), minlength=n)

    keys = index.take(uniq // span)
    out = keys.to_frame(index=False) if isinstance(keys, pd.MultiIndex) else pd.DataFrame(
        {key_cols[0]: keys})
    out["period"] = _period_start(uniq % span + pmin, freq)
    out["sales"] = _sum(amt)
    out["cost"] = _sum(_numeric(transactions, cost_col)[keep]) if cost_col is not None else np.nan
    out["gross_profit"] = out["sales"] - out["cost"]
    if order_col is not None:
        full_cell = np.full(len(keep), -1, dtype=np.int64)
        full_cell[keep] = cell
        out["orders"] = _order_counts(full_cell, transactions[order_col],
                                      np.flatnonzero(keep)[amt > 0], n)
    else:
        out["orders"] = np.nan
    out.attrs.update(freq=freq, excluded_rows=excluded, start=_attr_day(start),
                     as_of=_attr_day(as_of))
    return out


# ---------------------------------------------------------------------------------------------
# customer summary (lifetimes' definitions)
# ---------------------------------------------------------------------------------------------

def _purchase_cells(cust: np.ndarray, per: np.ndarray, val: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Purchase periods of each customer and which lines fall in one.

    A (customer, period) cell is a purchase period when it holds a line of positive value (any
    line when ``val`` is None). Returns the sorted packed cells ``customer * span + period -
    pmin``, a mask of the lines in a purchase cell, ``span`` and ``pmin``.
    """
    if len(per) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), 1, 0
    pmin = int(per.min())
    span = int(per.max()) - pmin + 1
    key = cust * span + (per - pmin)
    pos = np.ones(len(per), dtype=bool) if val is None else val > 0
    cells = _sorted_unique(key[pos])
    in_cell = pos.copy()
    other = np.flatnonzero(~pos)
    if len(other) and len(cells):
        k = key[other]
        at = np.minimum(np.searchsorted(cells, k), len(cells) - 1)
        in_cell[other] = cells[at] == k
    return cells, in_cell, span, pmin


def _rfm_stats(cust: np.ndarray, per: np.ndarray, val: np.ndarray | None, n: int,
               as_of_per: int, freq: str) -> dict[str, np.ndarray]:
    """frequency, recency, T, monetary_value for customers 0..n-1 from their lines.

    A period's value is the net sum of all the customer's lines in it (returns included).
    """
    cells, in_cell, span, pmin = _purchase_cells(cust, per, val)
    c = cells // span
    p = cells % span + pmin
    count = np.bincount(c, minlength=n)
    has = count > 0
    first_p = np.zeros(n, dtype=np.int64)
    last_p = np.zeros(n, dtype=np.int64)
    if len(c):
        new = np.r_[True, c[1:] != c[:-1]]
        end = np.r_[c[1:] != c[:-1], True]
        first_p[c[new]] = p[new]
        last_p[c[end]] = p[end]
    frequency = np.maximum(count - 1, 0).astype(np.float64)
    length = PERIOD_LENGTH_DAYS[freq]
    start_first = _period_start_day(first_p, freq)
    recency = (_period_start_day(last_p, freq) - start_first) / length
    T = (_period_start_day(np.array([as_of_per]), freq)[0] - start_first) / length
    out = {
        "has": has,
        "frequency": frequency,
        "recency": np.where(has, recency, np.nan),
        "T": np.where(has, T, np.nan),
    }
    if val is not None:
        repeat = in_cell & (per != first_p[cust])
        repeat_sum = np.bincount(cust[repeat], weights=val[repeat], minlength=n)
        monetary = np.divide(repeat_sum, frequency, out=np.zeros(n), where=frequency > 0)
        out["monetary_value"] = np.where(has, monetary, np.nan)
    return out


def customer_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "amount",
    as_of: object = None,
    freq: str = "D",
    calibration_end: object = None,
    cost_col: str | None = "cost",
    order_col: str | None = "order_id",
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency``, ``T`` and ``monetary_value`` (lifetimes' definitions).

    The log is first cut into periods of the unit ``freq`` (pandas' ``to_period``: calendar days,
    Monday-to-Sunday weeks, calendar months). A *purchase period* is a period in which the
    customer has at least one line with a positive value; its value is the net sum of all the
    customer's lines in that period (returns in the same period are netted, so it can be zero or
    negative). A period holding only returns is not a purchase: it counts in no statistic here
    (its lines still count in ``sales`` and ``gross_profit``). Then, as lifetimes'
    ``summary_data_from_transaction_data`` defines them:

    - ``frequency``: number of purchase periods minus 1 (repeat purchases),
    - ``recency``: last minus first purchase period, in periods,
    - ``T``: the period of ``as_of`` minus the first purchase period, in periods,

    (both measured, as lifetimes does, as the days between the periods' first days divided by
    the period length of :data:`PERIOD_LENGTH_DAYS`: whole numbers for days and weeks, average
    months of 30.4375 days for "M", so monthly values are close to but not whole numbers),
    - ``monetary_value``: mean value of the repeat purchase periods (the first one left out);
      0 when ``frequency`` is 0.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction line.
    customer_col, date_col : str
        Customer id and date columns.
    value_col : str or None, default "amount"
        Revenue of a line; ``None`` counts every line as a purchase and gives no monetary value.
    as_of : date-like, optional
        End of the observation (inclusive, calendar day); default the last date in the log. Lines
        after it are left out.
    freq : {"D", "W", "M"}, default "D"
        Period unit of ``recency`` and ``T``; recorded in ``attrs["freq"]``.
    calibration_end : date-like, optional
        When given, statistics are computed on ``date <= calibration_end`` (``T`` up to
        ``calibration_end``) with the suffix ``_cal``, and the holdout ``calibration_end < date <=
        as_of`` adds ``frequency_holdout`` (purchase periods in the holdout),
        ``monetary_value_holdout`` (mean value of those periods, 0 when none) and
        ``duration_holdout`` (period of ``as_of`` minus period of ``calibration_end``, in the
        unit of ``T``; lifetimes gives whole months here for "M"), as
        lifetimes' ``calibration_and_holdout_data``. Customers whose first purchase falls in the
        holdout are not in the result (``attrs["holdout_only_customers"]`` counts them).
    cost_col, order_col : str or None
        Used for ``gross_profit`` and ``orders`` when the log has these columns; pass None to
        leave them out. A name other than the default must exist.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), one row per customer with a purchase period on or
        before ``as_of`` (``calibration_end`` when given), float columns

        - ``frequency``, ``recency``, ``T``, ``monetary_value`` (suffix ``_cal`` with a
          calibration split, then ``frequency_holdout``, ``monetary_value_holdout``,
          ``duration_holdout``),
        - ``sales``: net revenue to date; ``gross_profit``: sales minus cost (when a cost column
          is present); ``orders``: distinct order ids of purchase lines (when an order column is
          present),
        - ``first_purchase``, ``last_purchase``: dates of the first and last purchase lines.

        All of the extra columns are over the same window as ``frequency`` (to
        ``calibration_end`` when given). ``attrs``: ``freq``, ``as_of``, ``calibration_end``,
        ``excluded_rows`` (lines without customer, date or value, left out with a warning),
        ``return_only_customers`` (customers with lines but no purchase period, not in the
        result).

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-11", "2026-01-21"]),
    ...     "amount": [10.0, 5.0, 30.0, 8.0]})
    >>> customer_summary(tx, as_of="2026-01-31")[["frequency", "recency", "T", "monetary_value"]]  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency     T  monetary_value
    customer_id
    a                  1.0     10.0  30.0            30.0
    b                  0.0      0.0  10.0             0.0
    """
    if not isinstance(transactions, pd.DataFrame):
        return _engine_customer_summary(
            transactions, customer_col=customer_col, date_col=date_col, value_col=value_col,
            as_of=as_of, freq=freq, calibration_end=calibration_end, cost_col=cost_col,
            order_col=order_col)
    freq = _check_freq(freq)
    for name, val in (("customer_col", customer_col), ("date_col", date_col)):
        _check_col_arg(name, val)
    optional = []
    for name, col, default in (("cost_col", cost_col, "cost"), ("order_col", order_col, "order_id")):
        if col is None or (col == default and col not in transactions.columns):
            optional.append(None)
        else:
            _check_col_arg(name, col)
            optional.append(col)
    cost_c, order_c = optional
    value_c = value_col
    cols = [customer_col, date_col] + [c for c in (value_c, cost_c, order_c) if c is not None]
    require_columns(transactions, cols, table=_TABLE)
    _, as_of_day = _to_day(as_of, "as_of")
    _, cal_day = _to_day(calibration_end, "calibration_end")

    days, no_date = _date_days(transactions, date_col)
    value = _numeric(transactions, value_c) if value_c is not None else None
    codes, index = _group_codes(transactions, (customer_col,), sort=False)
    keep = np.ones(len(transactions), dtype=bool)
    bad = {f"a {customer_col}": codes < 0, f"a {date_col}": no_date}
    if value is not None:
        bad[f"a {value_c}"] = np.isnan(value)
    excluded = _exclude(keep, bad, transactions)
    if not keep.any():
        raise DataError(f"`{_TABLE}` has no usable rows (customer, date and value all present).")
    first_day = int(np.min(days, where=keep, initial=np.iinfo(np.int64).max))
    last_day = int(np.max(days, where=keep, initial=np.iinfo(np.int64).min))
    if as_of_day is None:
        as_of_day = last_day
    elif as_of_day < first_day:
        raise DataError(
            f"No transactions on or before as_of={_fmt_day(as_of_day)} "
            f"(the first is {_fmt_day(first_day)})."
        )
    end_day = as_of_day
    if cal_day is not None:
        if cal_day < first_day:
            raise DataError(
                f"No transactions on or before calibration_end={_fmt_day(cal_day)} "
                f"(the first is {_fmt_day(first_day)})."
            )
        if cal_day >= as_of_day:
            raise DataError(
                f"`calibration_end` must be before `as_of`, got calibration_end="
                f"{_fmt_day(cal_day)}, as_of={_fmt_day(as_of_day)}."
            )
        end_day = cal_day
    if last_day > as_of_day:
        keep &= days <= as_of_day

    # the estimation window (everything up to as_of, or up to calibration_end)
    cal = keep & (days <= end_day) if last_day > end_day else keep
    whole = bool(cal.all())

    def window(a: np.ndarray | None) -> np.ndarray | None:
        return a if a is None or whole else a[cal]

    n_cust = len(index)
    d_cal, c_cal, v_cal = window(days), window(codes), window(value)
    end_per = int(_period_index(np.array([end_day]), freq)[0])
    stats = _rfm_stats(c_cal, _period_index(d_cal, freq), v_cal, n_cust, end_per, freq)
    has = stats["has"]
    # customers present in the window but without a purchase period (returns only)
    seen = np.bincount(c_cal, minlength=n_cust) > 0
    return_only = int((seen & ~has).sum())

    sel = np.flatnonzero(has)
    ids = index.take(sel)
    order = ids.argsort(kind="stable")
    sel = sel[order]
    out = pd.DataFrame(index=ids.take(order))
    names = ["frequency", "recency", "T"] + (["monetary_value"] if value is not None else [])
    suffix = "_cal" if cal_day is not None else ""
    for name in names:
        out[name + suffix] = stats[name][sel]

    holdout_only = 0
    if cal_day is not None:
        hold = keep & (days > cal_day)
        hstats = _holdout(codes[hold], _period_index(days[hold], freq),
                          value[hold] if value is not None else None, n_cust)
        out["frequency_holdout"] = hstats["frequency"][sel]
        if value is not None:
            out["monetary_value_holdout"] = hstats["monetary_value"][sel]
        as_of_start = _period_start_day(_period_index(np.array([as_of_day]), freq), freq)[0]
        end_start = _period_start_day(np.array([end_per]), freq)[0]
        out["duration_holdout"] = float((as_of_start - end_start) / PERIOD_LENGTH_DAYS[freq])
        holdout_only = int(((hstats["frequency"] > 0) & ~has).sum())

    # extras over the same window
    if value is not None:
        out["sales"] = np.bincount(c_cal, weights=v_cal, minlength=n_cust)[sel]
        if cost_c is not None:
            cost = np.nan_to_num(window(_numeric(transactions, cost_c)))
            out["gross_profit"] = out["sales"] - np.bincount(c_cal, weights=cost,
                                                             minlength=n_cust)[sel]
        buy = v_cal > 0
        bd, bc = d_cal[buy], c_cal[buy]
    else:
        buy, bd, bc = None, d_cal, c_cal
    if order_c is not None:
        rows = np.flatnonzero(cal)
        out["orders"] = _order_counts(codes, transactions[order_c],
                                      rows if buy is None else rows[buy], n_cust)[sel]
    first = np.full(n_cust, np.iinfo(np.int64).max)
    last = np.full(n_cust, np.iinfo(np.int64).min)
    np.minimum.at(first, bc, bd)
    np.maximum.at(last, bc, bd)
    out["first_purchase"] = _days_to_ts(first[sel], np.ones(len(sel), dtype=bool))
    out["last_purchase"] = _days_to_ts(last[sel], np.ones(len(sel), dtype=bool))
    out.index.name = customer_col
    out.attrs.update(
        freq=freq,
        as_of=pd.Timestamp(_fmt_day(as_of_day)),
        calibration_end=pd.Timestamp(_fmt_day(cal_day)) if cal_day is not None else None,
        excluded_rows=excluded,
        return_only_customers=return_only,
        holdout_only_customers=holdout_only,
    )
    return out


def _holdout(cust: np.ndarray, per: np.ndarray, val: np.ndarray | None,
             n: int) -> dict[str, np.ndarray]:
    """Purchase periods and their mean value per customer in the holdout window."""
    cells, in_cell, span, _ = _purchase_cells(cust, per, val)
    count = np.bincount(cells // span, minlength=n).astype(np.float64)
    if val is None:
        return {"frequency": count, "monetary_value": np.zeros(n)}
    total = np.bincount(cust[in_cell], weights=val[in_cell], minlength=n)
    mean = np.divide(total, count, out=np.zeros(n), where=count > 0)
    return {"frequency": count, "monetary_value": mean}


# ---------------------------------------------------------------------------------------------
# the same three functions over a DuckDB relation or a Spark DataFrame
# ---------------------------------------------------------------------------------------------

def _engine_stats(be, keys: Sequence[str], date_col: str, value_col: str | None,
                  key_label: str) -> tuple[int, int, int | None, int | None]:
    """Run the validation query; warn about lines left out.

    Returns (lines, lines left out, first usable day, last usable day).
    """
    from crm_lib.engines import _sql

    row = be.collect(_sql.stats(be.dialect, keys, date_col, value_col)).iloc[0]

    def whole(name: str) -> int:
        value = row[name]
        return 0 if pd.isna(value) else int(value)

    parts = []
    for what, name in ((f"a {key_label}", "no_key"), (f"a {date_col}", "no_date"),
                       (f"an {value_col}" if value_col == "amount" else f"a {value_col}",
                        "no_value")):
        if whole(name):
            parts.append(f"{whole(name)} without {what}")
    bad = whole("bad")
    if bad:
        warnings.warn(
            f"{bad} row{'s' if bad != 1 else ''} of `{_TABLE}` ({be.name}) left out "
            f"({'; '.join(parts)}).", DataWarning, stacklevel=4,
        )
    first = None if pd.isna(row["first_day"]) else int(row["first_day"])
    last = None if pd.isna(row["last_day"]) else int(row["last_day"])
    return whole("n"), bad, first, last


def _optional_engine_col(kinds: dict[str, str], name: str, col: str | None,
                         default: str) -> str | None:
    if col is None or (col == default and col not in kinds):
        return None
    _check_col_arg(name, col)
    return col


def _engine_summary_query(transactions, *, customer_col, date_col, value_col, as_of, freq,
                          calibration_end, cost_col, order_col, statistics_only=False):
    """Validate on the engine and build the per-customer query.

    Returns (backend, SQL, settings used to finish the result).
    """
    from crm_lib.engines import _sql, backend

    be = backend(transactions)
    freq = _check_freq(freq)
    for name, val in (("customer_col", customer_col), ("date_col", date_col)):
        _check_col_arg(name, val)
    kinds = be.kinds()
    cost_c = _optional_engine_col(kinds, "cost_col", cost_col, "cost")
    order_c = _optional_engine_col(kinds, "order_col", order_col, "order_id")
    wanted = {customer_col: None, date_col: "date"}
    for col, kind in ((value_col, "number"), (cost_c, "number"), (order_c, None)):
        if col is not None:
            wanted[col] = kind
    _sql.check_columns(be, wanted)
    _, as_of_day = _to_day(as_of, "as_of")
    _, cal_day = _to_day(calibration_end, "calibration_end")
    n, excluded, first_day, last_day = _engine_stats(be, [customer_col], date_col, value_col,
                                                     customer_col)
    if first_day is None:
        raise DataError(f"`{_TABLE}` has no usable rows (customer, date and value all present).")
    if as_of_day is None:
        as_of_day = last_day
    elif as_of_day < first_day:
        raise DataError(
            f"No transactions on or before as_of={_fmt_day(as_of_day)} "
            f"(the first is {_fmt_day(first_day)})."
        )
    end_day = as_of_day
    if cal_day is not None:
        if cal_day < first_day:
            raise DataError(
                f"No transactions on or before calibration_end={_fmt_day(cal_day)} "
                f"(the first is {_fmt_day(first_day)})."
            )
        if cal_day >= as_of_day:
            raise DataError(
                f"`calibration_end` must be before `as_of`, got calibration_end="
                f"{_fmt_day(cal_day)}, as_of={_fmt_day(as_of_day)}."
            )
        end_day = cal_day
    end_per = int(_period_index(np.array([end_day]), freq)[0])
    end_start = int(_period_start_day(np.array([end_per]), freq)[0])
    sql = _sql.customer_summary(
        be.dialect, customer_col=customer_col, date_col=date_col, value_col=value_col,
        cost_col=cost_c, order_col=order_c, as_of_day=as_of_day, end_day=end_day,
        cal_day=cal_day, freq=freq, end_start_day=end_start, length=PERIOD_LENGTH_DAYS[freq],
        statistics_only=statistics_only,
    )
    settings = dict(freq=freq, as_of_day=as_of_day, cal_day=cal_day, end_per=end_per,
                    excluded=excluded, value_col=value_col, cost_col=cost_c, order_col=order_c,
                    customer_col=customer_col)
    return be, sql, settings


def _ints(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).fillna(0).to_numpy(dtype=np.int64)


def _floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan)


def _engine_customer_summary(transactions, **kwargs) -> pd.DataFrame:
    be, sql, s = _engine_summary_query(transactions, **kwargs)
    raw = be.collect(sql)
    has = raw["periods"].notna().to_numpy()
    seen = _ints(raw["seen"]) == 1
    cal = s["cal_day"] is not None
    hold_n = _floats(raw["hold_periods"]) if cal else None
    rows = raw.loc[has]
    ids = pd.Index(rows["c"].to_numpy(), name=s["customer_col"])
    order = ids.argsort(kind="stable")
    rows = rows.iloc[order]
    out = pd.DataFrame(index=ids.take(order))
    suffix = "_cal" if cal else ""
    names = ["frequency", "recency", "T"] + (["monetary_value"] if s["value_col"] else [])
    for name in names:
        out[name + suffix] = _floats(rows[name])
    freq = s["freq"]
    if cal:
        out["frequency_holdout"] = _floats(rows["hold_periods"])
        if s["value_col"] is not None:
            out["monetary_value_holdout"] = _floats(rows["hold_value"])
        as_of_start = _period_start_day(_period_index(np.array([s["as_of_day"]]), freq), freq)[0]
        end_start = _period_start_day(np.array([s["end_per"]]), freq)[0]
        out["duration_holdout"] = float((as_of_start - end_start) / PERIOD_LENGTH_DAYS[freq])
    if s["value_col"] is not None:
        out["sales"] = _floats(rows["sales"])
        if s["cost_col"] is not None:
            out["gross_profit"] = out["sales"] - _floats(rows["cost"])
    if s["order_col"] is not None:
        out["orders"] = _ints(rows["orders"])
    valid = np.ones(len(rows), dtype=bool)
    out["first_purchase"] = _days_to_ts(_ints(rows["first_day"]), valid)
    out["last_purchase"] = _days_to_ts(_ints(rows["last_day"]), valid)
    out.attrs.update(
        freq=freq,
        as_of=pd.Timestamp(_fmt_day(s["as_of_day"])),
        calibration_end=pd.Timestamp(_fmt_day(s["cal_day"])) if cal else None,
        excluded_rows=s["excluded"],
        return_only_customers=int((seen & ~has).sum()),
        holdout_only_customers=int(((hold_n > 0) & ~has).sum()) if cal else 0,
    )
    return out


def _engine_window(be, key_cols, *, start, as_of, date_col, amount_col, optional):
    """Validate a totals call on the engine; return (start day, as_of day, lines left out)."""
    from crm_lib.engines import _sql

    wanted = {c: None for c in key_cols}
    wanted[date_col] = "date"
    wanted[amount_col] = "number"
    for col, kind in optional:
        if col is not None:
            wanted[col] = kind
    _sql.check_columns(be, wanted)
    _, start_day = _to_day(start, "start")
    _, as_of_day = _to_day(as_of, "as_of")
    if start_day is not None and as_of_day is not None and start_day > as_of_day:
        raise DataError(
            f"`start` must not be after `as_of`, got start={_fmt_day(start_day)}, "
            f"as_of={_fmt_day(as_of_day)}."
        )
    _, excluded, _, _ = _engine_stats(be, key_cols, date_col, amount_col, " / ".join(key_cols))
    return start_day, as_of_day, excluded


def _key_frame(raw: pd.DataFrame, key_cols: tuple[str, ...]) -> pd.DataFrame:
    """The result with its key columns renamed back and sorted by them (then by ``per``)."""
    raw = raw.rename(columns={f"k{i}": c for i, c in enumerate(key_cols)})
    order = list(key_cols) + (["per"] if "per" in raw.columns else [])
    return raw.sort_values(order, kind="stable").reset_index(drop=True)


def _engine_totals(transactions, key_cols, *, start, as_of, date_col, amount_col, cost_col,
                   quantity_col, order_col) -> pd.DataFrame:
    from crm_lib.engines import _sql, backend

    be = backend(transactions)
    start_day, as_of_day, excluded = _engine_window(
        be, key_cols, start=start, as_of=as_of, date_col=date_col, amount_col=amount_col,
        optional=((cost_col, "number"), (quantity_col, "number"), (order_col, None)))
    raw = _key_frame(be.collect(_sql.totals(
        be.dialect, keys=key_cols, date_col=date_col, amount_col=amount_col, cost_col=cost_col,
        quantity_col=quantity_col, order_col=order_col, start_day=start_day,
        as_of_day=as_of_day)), key_cols)
    if len(key_cols) == 1:
        index = pd.Index(raw[key_cols[0]].to_numpy(), name=key_cols[0])
    else:
        index = pd.MultiIndex.from_frame(raw[list(key_cols)])
    out = pd.DataFrame(index=index)
    out["sales"] = _floats(raw["sales"])
    out["cost"] = _floats(raw["cost"]) if cost_col is not None else np.nan
    out["gross_profit"] = out["sales"] - out["cost"]
    out["quantity"] = _floats(raw["quantity"]) if quantity_col is not None else np.nan
    out["orders"] = _ints(raw["orders"]) if order_col is not None else np.nan
    out["lines"] = _ints(raw["lines"])
    out["return_lines"] = _ints(raw["return_lines"])
    out["returned_amount"] = _floats(raw["returned_amount"]) + 0.0
    has = raw["first_day"].notna().to_numpy()
    out["first_purchase"] = _days_to_ts(_ints(raw["first_day"]), has)
    out["last_purchase"] = _days_to_ts(_ints(raw["last_day"]), has)
    out["purchase_days"] = _ints(raw["purchase_days"])
    out.attrs.update(excluded_rows=excluded, start=_attr_day(start), as_of=_attr_day(as_of))
    return out


def _engine_period_totals(transactions, key_cols, *, freq, start, as_of, date_col, amount_col,
                          cost_col, order_col) -> pd.DataFrame:
    from crm_lib.engines import _sql, backend

    be = backend(transactions)
    start_day, as_of_day, excluded = _engine_window(
        be, key_cols, start=start, as_of=as_of, date_col=date_col, amount_col=amount_col,
        optional=((cost_col, "number"), (order_col, None)))
    raw = _key_frame(be.collect(_sql.period_totals(
        be.dialect, keys=key_cols, freq=freq, date_col=date_col, amount_col=amount_col,
        cost_col=cost_col, order_col=order_col, start_day=start_day, as_of_day=as_of_day)),
        key_cols)
    out = pd.DataFrame({c: raw[c].to_numpy() for c in key_cols})
    out["period"] = _period_start(_ints(raw["per"]), freq)
    out["sales"] = _floats(raw["sales"])
    out["cost"] = _floats(raw["cost"]) if cost_col is not None else np.nan
    out["gross_profit"] = out["sales"] - out["cost"]
    out["orders"] = _ints(raw["orders"]) if order_col is not None else np.nan
    out.attrs.update(freq=freq, excluded_rows=excluded, start=_attr_day(start),
                     as_of=_attr_day(as_of))
    return out


#: Columns of :func:`summary_histogram` by default: what the BG/NBD model fits on.
HISTOGRAM_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T")


def summary_histogram(
    transactions: object,
    *,
    columns: Sequence[str] = HISTOGRAM_COLUMNS,
    weight_col: str = "customers",
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "amount",
    as_of: object = None,
    freq: str = "D",
) -> pd.DataFrame:
    """Distinct rows of the customer summary with the number of customers of each.

    The lifetime-value models fit on these rows with ``weights=weight_col``: the BG/NBD model on
    ``("frequency", "recency", "T")`` (a few thousand distinct rows however many customers), the
    Gamma-Gamma model on ``("frequency", "monetary_value")``. On DuckDB or Spark the histogram is
    computed in the engine and only its rows come to pandas.

    Parameters
    ----------
    transactions : DataFrame, DuckDB relation or Spark DataFrame
        The log, as for :func:`customer_summary`.
    columns : sequence of str
        Columns of the customer summary to count the distinct rows of.
    weight_col : str, default "customers"
        Name of the count column.
    customer_col, date_col, value_col, as_of, freq
        As for :func:`customer_summary` (no calibration split).

    Returns
    -------
    DataFrame
        The ``columns`` and ``weight_col`` (int), sorted by the columns; ``attrs`` as the
        customer summary's (``freq``, ``as_of``, ``excluded_rows``, …) plus ``customers`` (their
        total).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-01-21", "2026-01-21"]),
    ...     "amount": [10.0, 30.0, 8.0, 5.0]})
    >>> summary_histogram(tx, as_of="2026-01-31")
       frequency  recency     T  customers
    0        0.0      0.0  10.0          2
    1        1.0     10.0  30.0          1
    """
    cols = list(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise DataError(f"`columns` must be a non-empty sequence of names, got {columns!r}.")
    allowed = ["frequency", "recency", "T"] + (["monetary_value"] if value_col else [])
    unknown = [c for c in cols if c not in allowed]
    if unknown:
        raise DataError(f"`columns` must be among {allowed}, got {unknown[0]!r}.")
    _check_col_arg("weight_col", weight_col)
    kwargs = dict(customer_col=customer_col, date_col=date_col, value_col=value_col,
                  as_of=as_of, freq=freq)
    if isinstance(transactions, pd.DataFrame):
        summary = customer_summary(transactions, cost_col=None, order_col=None, **kwargs)
        out = summary.groupby(cols, sort=True).size().rename(weight_col).reset_index()
        attrs = summary.attrs
    else:
        from crm_lib.engines import _sql

        be, sql, st = _engine_summary_query(transactions, calibration_end=None, cost_col=None,
                                            order_col=None, statistics_only=True, **kwargs)
        out = be.collect(_sql.histogram(sql, cols, weight_col))
        out = out.sort_values(cols, kind="stable").reset_index(drop=True)
        for c in cols:
            out[c] = _floats(out[c])
        out[weight_col] = _ints(out[weight_col])
        attrs = {"freq": st["freq"], "as_of": pd.Timestamp(_fmt_day(st["as_of_day"])),
                 "calibration_end": None, "excluded_rows": st["excluded"]}
    out.attrs.update({k: v for k, v in attrs.items()
                      if k in ("freq", "as_of", "calibration_end", "excluded_rows")})
    out.attrs["customers"] = int(out[weight_col].sum())
    return out
