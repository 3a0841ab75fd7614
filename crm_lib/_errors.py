"""The package's exception and warning, and the helpers that word their messages.

Every refusal of bad input is a :class:`DataError` whose message names the table, the column, how
many rows are affected and the first few offending values with their row labels, e.g.::

    Column 'amount' in `transactions` must be numeric; 3 rows are not (rows 4, 17, 22: 'abc', '1,2,3', '—').
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

MAX_EXAMPLES = 3


class DataError(ValueError):
    """Bad input: a missing table or column, a value of the wrong type or out of range.

    The message names the table, the column, the number of rows affected and the first
    offending values with their row labels.
    """


class DataWarning(UserWarning):
    """A result that is degraded but usable (e.g. a group too small to read, a model that barely fits)."""


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA \
            or value is pd.NaT:
        return "empty"
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.time() != pd.Timestamp(0).time() else str(value.date())
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        # as written: the shortest digits that give the value back (-11062.06, 23502), never
        # rounded to six digits (-11062.1) nor shown as 23502.0 or -0
        if not np.isfinite(value):
            return str(value)
        return np.format_float_positional(float(value) + 0.0, trim="-")
    return str(value)


def examples(values: pd.Series, mask: Iterable[bool] | None = None, *, limit: int = MAX_EXAMPLES,
             row_offset: int = 0) -> tuple[int, str]:
    """Count the offending rows and word the first few as ``rows 4, 17: 'abc', '—'``.

    Parameters
    ----------
    values : Series
        The column; its index gives the row labels.
    mask : array of bool, optional
        Which rows offend; all rows when omitted.
    limit : int
        How many examples to show.
    row_offset : int
        Added to integer row labels (files number their data rows from 1).

    Returns
    -------
    (int, str)
        The number of offending rows and the wording of the first ``limit`` of them.

    Examples
    --------
    >>> examples(pd.Series(["1", "x", "y"]), [False, True, True])
    (2, "rows 1, 2: 'x', 'y'")
    """
    sel = values if mask is None else values[np.asarray(mask, dtype=bool)]
    n = len(sel)
    head = sel.iloc[:limit]
    labels = [str(i + row_offset) if isinstance(i, (int, np.integer)) else str(i) for i in head.index]
    word = "row" if len(head) == 1 else "rows"
    return n, f"{word} {', '.join(labels)}: {', '.join(_fmt(v) for v in head.tolist())}"


def rows_phrase(n: int) -> str:
    """``"1 row is"`` / ``"3 rows are"``."""
    return "1 row is" if n == 1 else f"{n} rows are"


def fail_rows(table: str, column: str, values: pd.Series, mask, what: str, *,
              row_offset: int = 0, hint: str = "", source: str = "") -> None:
    """Raise a :class:`DataError` for the rows of ``values`` selected by ``mask``, if any.

    ``what`` completes "Column 'c' in `t` must be ...", e.g. ``"numeric"`` or ``"one of ['A', 'B']"``;
    ``source`` (a file name) is shown after the table; ``hint`` says how to fix it.

    Examples
    --------
    >>> fail_rows("transactions", "amount", pd.Series(["1", "x"]), [False, True], "numeric")
    Traceback (most recent call last):
    ...
    crm_lib._errors.DataError: Column 'amount' in `transactions` must be numeric; 1 row is not (row 1: 'x').
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    n, ex = examples(values, mask, row_offset=row_offset)
    verb = "is not" if n == 1 else "are not"
    where = f"`{table}` ({source})" if source else f"`{table}`"
    msg = f"Column '{column}' in {where} must be {what}; {n} row{'s' if n != 1 else ''} {verb} ({ex})."
    raise DataError(msg + (f" {hint}" if hint else ""))


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, table: str,
                    hint: str | None = None) -> None:
    """Raise a :class:`DataError` naming every column of ``columns`` missing from ``df``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], table="t")
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`{table}` must be a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        noun = "Column" if len(missing) == 1 else "Columns"
        fix = hint if hint is not None else (
            "Pass the column name as a keyword argument, or map it with a mapping file: "
            f"{missing[0]}: <your column>."
        )
        raise DataError(
            f"{noun} {names} not found in `{table}`. It has {list(map(str, df.columns))}. {fix}"
        )


def require_one_of(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise a :class:`DataError` when ``value`` is not in ``allowed``: "`x` must be one of …, got '…'."""
    allowed = list(allowed)
    if value not in allowed:
        raise DataError(f"`{name}` must be one of {allowed}, got {value!r}.")


def finding(table: str, check: str, severity: str, rows: int, ex: str) -> dict:
    """One row of a data-quality report: table, check, severity (info/warning), rows, examples.

    Examples
    --------
    >>> finding("transactions", "zero amount", "info", 2, "rows 3, 4: 0, 0")["rows"]
    2
    """
    return {"table": table, "check": check, "severity": severity, "rows": int(rows), "examples": ex}


def rows_text(rows, limit: int = 5) -> str:
    """Row numbers as a finding shows them: ``rows 4, 6, 7`` (the first ``limit``, then a count).

    Examples
    --------
    >>> rows_text(np.array([4, 6, 7, 9, 12, 15]))
    'rows 4, 6, 7, 9, 12 and 1 more'
    """
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"
