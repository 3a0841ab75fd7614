"""What a notebook needs to know about where it runs: live session, batch or test.

* :func:`interactive` is true only in a live Jupyter session: widgets go under
  ``if crm.interactive():`` so that the batch and the tests never drive them (a kernel-backed
  widget can stall a papermill run).
* :func:`export_table` hands a report's key table to the monthly batch, which writes it as CSV
  beside the HTML report; outside the batch it only returns the table.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pandas as pd

from crm_lib._errors import DataError

BATCH_ENV = "CRM_WORKBOOK_BATCH"
"""Set to ``1`` by the report batch and the test suite: no widgets, no interactive extras."""

EXPORT_DIR_ENV = "CRM_WORKBOOK_EXPORT_DIR"
"""Folder into which :func:`export_table` writes CSV files; set per notebook by the batch."""

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run as a formula by spreadsheets; it is prefixed with
an apostrophe in exported CSV."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def interactive() -> bool:
    """Whether the code runs in a live Jupyter session (and not in the batch or the tests).

    Returns
    -------
    bool
        False when the environment variable ``CRM_WORKBOOK_BATCH`` is ``1`` (the report batch and
        the test suite set it) or when no IPython kernel is running.

    Examples
    --------
    >>> interactive()  # a plain Python process or the test suite
    False
    """
    if os.environ.get(BATCH_ENV, "").strip().lower() in {"1", "true", "yes"}:
        return False
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise text cells that a spreadsheet would run as a formula.

    Parameters
    ----------
    df : DataFrame
        Any table. The index is not touched (reset it first to export it).

    Returns
    -------
    DataFrame
        A new frame: every text cell and column header starting with ``=``, ``+``, ``-``, ``@``,
        a tab or a carriage return gets a leading apostrophe; numbers are unchanged.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"note": ["=1+2", "ok", "-x"], "n": [-1, 2, 3]}))["note"].tolist()
    ["'=1+2", 'ok', "'-x"]
    """
    out = df.copy()
    pattern = "^[" + re.escape("".join(FORMULA_PREFIXES)) + "]"
    for pos in range(out.shape[1]):
        col = out.iloc[:, pos]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if not (pd.api.types.is_string_dtype(col.dtype) or col.dtype == object):
            continue
        risky = col.str.match(pattern).fillna(False).astype(bool)
        if risky.any():
            col = col.astype(object).where(~risky, "'" + col[risky].astype(str))
            out.isetitem(pos, col)
    out.columns = [f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c
                   for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool | None = None) -> Path:
    """Write ``df`` as CSV for spreadsheets: UTF-8 with BOM, formula cells neutralised.

    Parameters
    ----------
    df : DataFrame
        The table.
    path : path
        The file to write; written to a temporary name first, then renamed.
    index : bool, optional
        Write the index as the first column(s); by default only when it is named or not a
        plain 0..n-1 range.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile
    >>> p = write_csv(pd.DataFrame({"a": ["中文"]}), Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_bytes()[:3] == b"\\xef\\xbb\\xbf"
    True
    """
    path = Path(path)
    if index is None:
        index = any(n is not None for n in df.index.names) or not isinstance(df.index, pd.RangeIndex)
    table = df.reset_index() if index else df
    tmp = path.with_name(f".{path.name}.tmp")
    csv_safe(table).to_csv(tmp, index=False, encoding="utf-8-sig")
    os.replace(tmp, path)
    return path


def export_table(df: pd.DataFrame, name: str, *, index: bool | None = None) -> pd.DataFrame:
    """Offer one of a report's key tables as CSV; returns ``df`` so a cell can show it too.

    In the monthly batch (environment variable ``CRM_WORKBOOK_EXPORT_DIR`` set by the runner) the
    table is written to ``<name>.csv`` there, and the batch places it beside the HTML report as
    ``<notebook>.<name>.csv``. Anywhere else nothing is written.

    Parameters
    ----------
    df : DataFrame
        The table as the reader should get it (usually after ``crm.labels.localize``).
    name : str
        Short file name: letters, digits, ``_``, ``-`` and ``.``, e.g. ``"top_customers"``.
    index : bool, optional
        See :func:`write_csv`.

    Returns
    -------
    DataFrame
        ``df`` itself, unchanged.

    Examples
    --------
    >>> t = export_table(pd.DataFrame({"a": [1]}), "example")  # no batch: nothing written
    >>> t.shape
    (1, 1)
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"`df` must be a pandas DataFrame, got {type(df).__name__}.")
    if not isinstance(name, str) or not _NAME.match(name):
        raise DataError(
            f"`name` must be letters, digits, '_', '-' or '.', starting with a letter or digit, got {name!r}."
        )
    folder = os.environ.get(EXPORT_DIR_ENV, "")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_csv(df, Path(folder) / f"{name}.csv", index=index)
    return df
