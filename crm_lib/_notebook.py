"""What a notebook needs to know about where it runs: live session, batch or test.

* :func:`interactive` is true only in a live Jupyter session: widgets go under
  ``if crm.interactive():`` so that the batch and the tests never drive them (a kernel-backed
  widget can stall a papermill run).
* :func:`export_table` hands a report's key table to the monthly batch, which writes it as CSV
  beside the HTML report; outside the batch it only returns the table.
* :func:`skipped`, :func:`skip_reason` and :func:`accepts_absent` are the one mechanism for a
  section that cannot be computed (an optional table is absent, the history is too short): the
  analysis returns an empty frame of its documented columns that carries the reason, every chart
  and table of :mod:`crm_lib.plots` draws such a frame as a note, and the note records the skipped
  section in the executed notebook (mime type :data:`SKIPPED_MIME`) for the batch to list.
* :func:`needs` stops a notebook whose required tables are absent with :class:`NotApplicable`,
  which the batch reports as "not applicable", not as a failure.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
from collections.abc import Callable, Sequence
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

LIVE_ENV = "CRM_WORKBOOK_LIVE"
"""Set to ``1`` by ``make lab``: the kernels of that JupyterLab show widgets."""

SESSION_ENV = "JPY_SESSION_NAME"
"""Set by jupyter-server in the environment of every kernel it starts for a notebook open in a
front end (JupyterLab, Notebook 7); papermill, nbconvert and nbval do not set it."""

SKIP_ATTR = "crm_skipped"
"""``DataFrame.attrs`` key of a skipped result: ``{"reason": <catalogue key>, **details}``."""

SKIPPED_MIME = "application/vnd.crm-workbook.skipped+json"
"""Mime type of the record a skipped section leaves in the executed notebook."""

STATUS_MIME = "application/vnd.crm-workbook.status+json"
"""Mime type of a notebook's own status record (e.g. not applicable)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


def interactive() -> bool:
    """Whether the code runs in a live Jupyter session (and not in the batch or the tests).

    Widgets need a front end that answers the kernel's comm messages; a notebook executed by
    papermill, nbconvert or nbval has none, and an ``ipywidgets.interact`` cell can then stall the
    run for ever. So the answer is true only when a front end is known to be there.

    Returns
    -------
    bool
        True when an IPython kernel runs *and* either jupyter-server started it for an open
        notebook (``JPY_SESSION_NAME`` set) or ``CRM_WORKBOOK_LIVE`` is ``1`` (``make lab``);
        always False when ``CRM_WORKBOOK_BATCH`` is ``1`` (the report batch and the test suite).

    Examples
    --------
    >>> interactive()  # a plain Python process or the test suite
    False
    """
    if _flag(BATCH_ENV):
        return False
    if not (_flag(LIVE_ENV) or os.environ.get(SESSION_ENV, "").strip()):
        return False
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


class NotApplicable(Exception):  # noqa: N818 -- the report status it stands for
    """The tables a notebook needs are absent: the report is "not applicable", not failed."""


def needs(ds, *tables: str, analysis: str = "") -> None:
    """Stop the notebook as *not applicable* unless every one of ``tables`` is present with rows.

    Parameters
    ----------
    ds : Dataset
        The loaded dataset.
    *tables : str
        Table names the notebook cannot do without.
    analysis : str
        What the notebook does, for the message.

    Raises
    ------
    NotApplicable
        Naming the absent tables; the batch lists the report as not applicable.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> needs(SimpleNamespace(products=None), "products", analysis="Product margins")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    crm_lib._notebook.NotApplicable: Product margins needs the table(s) products, absent or empty in this dataset.
    """
    absent = [t for t in tables if getattr(ds, t, None) is None or len(getattr(ds, t)) == 0]
    if absent:
        what = analysis or "This report"
        raise NotApplicable(f"{what} needs the table(s) {', '.join(absent)}, absent or empty in this dataset.")


def skipped(reason: str, *, columns: Sequence[str] = (), **details: object) -> pd.DataFrame:
    """An empty result that says why it is empty: ``columns`` as documented, the reason in attrs.

    Parameters
    ----------
    reason : str
        Catalogue key of the note shown instead of the section, e.g. ``"note_missing_table"``.
    columns : sequence of str
        The result's documented columns, so that a notebook can still select and filter it.
    **details
        Values of the note's placeholders (``table="surveys"``, ``needs="1996-09-30"``).

    Returns
    -------
    DataFrame
        No rows; ``attrs["crm_skipped"] == {"reason": reason, **details}``.

    Examples
    --------
    >>> df = skipped("note_missing_table", columns=["nps"], table="surveys")
    >>> list(df.columns), skip_reason(df)
    (['nps'], {'reason': 'note_missing_table', 'table': 'surveys'})
    """
    out = pd.DataFrame(columns=list(columns))
    out.attrs[SKIP_ATTR] = {"reason": reason, **{k: _plain(v) for k, v in details.items()}}
    return out


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def skip_reason(obj: object) -> dict | None:
    """The reason a result was skipped (see :func:`skipped`), or None for an ordinary result.

    Examples
    --------
    >>> skip_reason(pd.DataFrame({"a": [1]})) is None
    True
    """
    attrs = getattr(obj, "attrs", None)
    if isinstance(attrs, dict) and isinstance(attrs.get(SKIP_ATTR), dict):
        return dict(attrs[SKIP_ATTR])
    return None


def accepts_absent(*tables: str, columns: Sequence[str] = ()) -> Callable:
    """Decorate an analysis so that an absent (None) optional table, or a skipped input, gives a
    skipped result instead of an error.

    A table that is present without rows is *not* skipped: the analysis computes its result of
    zero counts (an export with a header only says "none this month"); a notebook that cannot do
    without the table uses :func:`needs`, which refuses empty tables too.

    Parameters
    ----------
    *tables : str
        Names of the function's parameters that hold optional tables; the table's canonical name
        is the parameter's name.
    columns : sequence of str
        The documented columns of the function's result.

    Returns
    -------
    decorator
        The wrapped function returns ``skipped("note_missing_table", table=…)`` for a None table
        and passes on the reason of any argument that is itself a skipped result; otherwise it
        calls the function.

    Examples
    --------
    >>> @accepts_absent("surveys", columns=("nps",))
    ... def mean_nps(surveys):
    ...     return surveys[["nps"]].mean().to_frame().T
    >>> skip_reason(mean_nps(None))
    {'reason': 'note_missing_table', 'table': 'surveys'}
    """

    def wrap(func: Callable) -> Callable:
        sig = inspect.signature(func)

        @functools.wraps(func)
        def inner(*args, **kwargs):
            bound = sig.bind_partial(*args, **kwargs)
            for name in tables:
                if name not in bound.arguments and sig.parameters[name].default is not None:
                    continue
                value = bound.arguments.get(name)
                if value is None:
                    return skipped("note_missing_table", columns=columns, table=name)
            for value in bound.arguments.values():
                reason = skip_reason(value)
                if reason is not None:
                    out = pd.DataFrame(columns=list(columns))
                    out.attrs[SKIP_ATTR] = reason
                    return out
            return func(*args, **kwargs)

        return inner

    return wrap


def optional(compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Run an optional part of a report; if it cannot be computed, a skipped result with the reason.

    Parameters
    ----------
    compute : callable
        No arguments, returns a DataFrame (a notebook passes a ``lambda``).

    Returns
    -------
    DataFrame
        What ``compute`` returns, or, when it raises a ``ValueError`` (so also a
        :class:`crm_lib.DataError`), an ``ArithmeticError`` or a ``RuntimeError``, a skipped
        result with reason ``note_failed_part`` whose ``error`` is the first line of the message.
        Other exceptions (a bug) propagate.

    Examples
    --------
    >>> skip_reason(optional(lambda: 1 / 0))
    {'reason': 'note_failed_part', 'error': 'division by zero'}
    """
    try:
        return compute()
    except (ValueError, ArithmeticError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return skipped("note_failed_part", error=first)


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
    ``<notebook>.<name>.csv``. Anywhere else nothing is written, and a skipped result
    (:func:`skipped`) is never written.

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
    if folder and skip_reason(df) is None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_csv(df, Path(folder) / f"{name}.csv", index=index)
    return df
