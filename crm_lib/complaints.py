"""Complaint handling: volumes, handling KPIs against the SLA, the eight steps, taboos, the iceberg.

Definitions
-----------
* **Time to first response** and **time to resolution** are hours from ``opened_at``. Medians
  and 90th percentiles are over the cases that have the timestamp (open cases are counted in
  ``share_resolved``, not in the percentiles).
* **Within SLA**: responded (resolved) within :data:`SLA_FIRST_RESPONSE_HOURS`
  (:data:`SLA_RESOLUTION_HOURS`); shares are of all cases.
* **The eight handling steps** (:data:`HANDLING_STEPS`): thank, explain why the complaint is
  welcome, apologise, promise immediate action, gather information, correct the mistake quickly,
  check satisfaction, prevent recurrence. ``steps_done`` (0-8) counts the steps done in order, so a
  case with ``steps_done = 4`` stalled before "gather".
* **Taboos**: "kicking the ball" — passed between staff more than :data:`MAX_HANDOFFS` times;
  "past SLA" — the first response or the resolution came later than the SLA (or has not come and
  the SLA has run out by ``as_of``); "closed unchecked" — resolved without asking whether the
  customer is satisfied (``satisfied_after`` empty).
* **The complaint iceberg**: for every customer who complains, :data:`ICEBERG_RATIO` (26) unhappy
  customers say nothing. Silent unhappy = complainants × ratio, capped by the customers who did
  not complain; their value at risk = silent × the average customer's annual sales (gross profit).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from crm_lib import summary
from crm_lib._errors import DataError, DataWarning, fail_rows, require_columns
from crm_lib._frames import as_tuple, wilson
from crm_lib._notebook import accepts_absent, skipped
from crm_lib.schema import COMPLAINT_CATEGORIES, COMPLAINT_SEVERITIES, HANDLING_STEPS

__all__ = [
    "COMPLAINT_CATEGORIES",
    "COMPLAINT_SEVERITIES",
    "HANDLING_STEPS",
    "ICEBERG_RATIO",
    "MAX_HANDOFFS",
    "RESOLUTION_SPEED_HOURS",
    "SLA_FIRST_RESPONSE_HOURS",
    "SLA_RESOLUTION_HOURS",
    "TABOOS",
    "churn_by_resolution",
    "complaint_volume",
    "handling_flags",
    "handling_funnel",
    "handling_kpis",
    "iceberg",
    "taboos",
    "top_complained",
]

#: Target hours to the first response.
SLA_FIRST_RESPONSE_HOURS = 24.0
#: Target hours to resolution.
SLA_RESOLUTION_HOURS = 72.0
#: More handoffs than this is "kicking the ball".
MAX_HANDOFFS = 2
#: Unhappy customers who never complain, per complaining customer (the course's 1 : 26).
ICEBERG_RATIO = 26
#: Bounds (hours) of the resolution-speed groups in :func:`churn_by_resolution`.
RESOLUTION_SPEED_HOURS = (24.0, 72.0, 168.0)
#: The handling taboos measured by :func:`handling_flags`.
TABOOS = ("kicking_the_ball", "past_sla", "closed_unchecked")

_HOUR = pd.Timedelta(hours=1)


def _prepare(complaints: pd.DataFrame, *, categories: Sequence[str] = COMPLAINT_CATEGORIES,
             as_of=None, need: Sequence[str] = (), category_col: str = "category",
             opened_col: str = "opened_at", first_response_col: str = "first_response_at",
             resolved_col: str = "resolved_at") -> pd.DataFrame:
    """Validated copy with hours to first response / resolution (NaN when not yet, by ``as_of``)."""
    require_columns(complaints, [opened_col, *need], table="complaints")
    df = complaints.copy()
    df[opened_col] = pd.to_datetime(df[opened_col])
    fail_rows("complaints", opened_col, df[opened_col], df[opened_col].isna(), "a date and time")
    if category_col in df.columns:
        allowed = list(categories)
        fail_rows("complaints", category_col, df[category_col], ~df[category_col].isin(allowed),
                  f"one of {allowed}", hint="Map other spellings with a mapping file.")
    for col, what in ((first_response_col, "on or after opened_at"),
                      (resolved_col, "on or after opened_at")):
        if col in df.columns:
            df[col] = pd.to_datetime(df[col])
            fail_rows("complaints", col, df[col], df[col] < df[opened_col], what)
    if "steps_done" in df.columns:
        s = pd.to_numeric(df["steps_done"], errors="coerce")
        fail_rows("complaints", "steps_done", df["steps_done"],
                  s.notna() & ((s < 0) | (s > len(HANDLING_STEPS)) | (s != np.round(s))),
                  f"a whole number from 0 to {len(HANDLING_STEPS)}")
    if "handoffs" in df.columns:
        h = pd.to_numeric(df["handoffs"], errors="coerce")
        fail_rows("complaints", "handoffs", df["handoffs"], h < 0, "a count (0 or more)")
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        df = df[df[opened_col] < end].copy()
        for col in (first_response_col, resolved_col):
            if col in df.columns:
                df[col] = df[col].where(df[col] < end)
    df["_now"] = _now(df, as_of, opened_col, first_response_col, resolved_col)
    for col, hours in ((first_response_col, "first_response_hours"),
                       (resolved_col, "resolution_hours")):
        if col in df.columns:
            df[hours] = (df[col] - df[opened_col]) / _HOUR
    return df


def _drop_missing(df: pd.DataFrame, col: str, analysis: str) -> pd.DataFrame:
    """Rows with ``col``; the others are counted in a :class:`DataWarning`."""
    missing = df[col].isna()
    if missing.any():
        n = int(missing.sum())
        warnings.warn(f"{n} complaint{'s' if n != 1 else ''} without {col} left out of {analysis}.",
                      DataWarning, stacklevel=3)
    return df[~missing]


def _now(df, as_of, *cols) -> pd.Timestamp:
    """The moment of the assessment: the end of ``as_of``, else the latest timestamp in the table."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    stamps = [df[c].max() for c in cols if c in df.columns]
    stamps = [s for s in stamps if pd.notna(s)]
    return max(stamps) if stamps else pd.NaT


def _attach_month(df: pd.DataFrame, by: Sequence[str], opened_col: str, freq: str) -> pd.DataFrame:
    if "month" in by and "month" not in df.columns:
        df = df.assign(month=df[opened_col].dt.to_period(freq).dt.start_time)
    require_columns(df, list(by), table="complaints")
    return df


@accepts_absent('complaints', columns=('complaints', 'share'))
def complaint_volume(complaints: pd.DataFrame, *, by="category", freq: str = "M", start=None,
                     as_of=None, categories: Sequence[str] = COMPLAINT_CATEGORIES,
                     opened_col: str = "opened_at", category_col: str = "category") -> pd.DataFrame:
    """Number of complaints per category, channel, severity, month (or any combination).

    Parameters
    ----------
    complaints : DataFrame
    by : str or sequence of str, default "category"
        Grouping columns; ``"month"`` is derived from ``opened_col`` (period start, ``freq``).
    start, as_of : date, optional
        Keep complaints opened from ``start`` to the end of ``as_of``.
    categories : sequence of str, default ``COMPLAINT_CATEGORIES``
        Allowed categories (others are a :class:`DataError`); with ``by="category"`` every
        category appears, with 0 when it has no complaint.

    Returns
    -------
    DataFrame
        The ``by`` columns, complaints, share (of all complaints in the window).

    Examples
    --------
    >>> c = pd.DataFrame({"opened_at": pd.to_datetime(["2026-01-02", "2026-01-05", "2026-02-01"]),
    ...                   "category": ["quality", "quality", "service"]})
    >>> complaint_volume(c)
        category  complaints     share
    0    quality           2  0.666667
    1    service           1  0.333333
    2   contract           0  0.000000
    3  transport           0  0.000000
    4      other           0  0.000000
    """
    by = as_tuple(by)
    if not by:
        raise DataError("`by` must name at least one column, got none.")
    df = _prepare(complaints, categories=categories, as_of=as_of, category_col=category_col,
                  opened_col=opened_col)
    if start is not None:
        df = df[df[opened_col] >= pd.Timestamp(start)]
    df = _attach_month(df, by, opened_col, freq)
    counts = df.groupby(list(by), dropna=False).size().rename("complaints")
    if by == (category_col,):
        counts = counts.reindex(list(categories), fill_value=0)
        counts.index.name = category_col
    out = counts.reset_index()
    if not by == ("month",):
        out = out.sort_values("complaints", ascending=False, kind="stable")
    total = out["complaints"].sum()
    out["share"] = out["complaints"] / total if total else np.nan
    return out.reset_index(drop=True)


@accepts_absent('complaints', columns=('complaints', 'share', 'first_opened', 'last_opened', 'main_category'))
def top_complained(complaints: pd.DataFrame, *, by: str = "customer_id", top: int = 10,
                   min_complaints: int = 1, as_of=None, opened_col: str = "opened_at",
                   category_col: str = "category") -> pd.DataFrame:
    """The customers (or products) with the most complaints; ``min_complaints=2`` gives repeat complainers.

    Parameters
    ----------
    complaints : DataFrame
    by : str, default "customer_id"
        "customer_id" or "product_id" (or any column).
    top : int, default 10
    min_complaints : int, default 1

    Returns
    -------
    DataFrame
        by, complaints, share (of all complaints up to ``as_of``), first_opened, last_opened,
        main_category (the most frequent category, ties by name); largest first, ties by ``by``.
        Complaints without a ``by`` value (e.g. a service complaint about no product) are
        counted in ``.attrs["excluded"]``.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "a"], "category": ["quality", "service", "quality"],
    ...                   "opened_at": pd.to_datetime(["2026-01-02", "2026-01-05", "2026-02-01"])})
    >>> top_complained(c, min_complaints=2)[["customer_id", "complaints", "main_category"]]
      customer_id  complaints main_category
    0           a           2       quality
    """
    if by not in complaints.columns or complaints[by].isna().all():
        return skipped("note_missing_column", columns=(by, "complaints", "share", "first_opened",
                                                        "last_opened", "main_category"),
                       column=by, table="complaints")
    df = _prepare(complaints, as_of=as_of, need=[by, category_col], category_col=category_col,
                  opened_col=opened_col)
    n_all = len(df)
    excluded = int(df[by].isna().sum())  # e.g. service complaints about no product
    df = df[df[by].notna()]
    g = df.groupby(by)
    out = pd.DataFrame({"complaints": g.size(), "first_opened": g[opened_col].min(),
                        "last_opened": g[opened_col].max()})
    cat = (df.groupby([by, category_col]).size().rename("n").reset_index()
           .sort_values([by, "n", category_col], ascending=[True, False, True], kind="stable")
           .drop_duplicates(by).set_index(by)[category_col])
    out["main_category"] = cat
    out["share"] = out["complaints"] / n_all if n_all else np.nan
    out = out[out["complaints"] >= min_complaints].reset_index()
    out = out.sort_values(["complaints", by], ascending=[False, True], kind="stable").head(top)
    out = out[[by, "complaints", "share", "first_opened", "last_opened",
               "main_category"]].reset_index(drop=True)
    out.attrs["excluded"] = excluded
    return out


@accepts_absent('complaints', columns=('complaints', 'first_response_median_h', 'first_response_p90_h', 'first_response_within_sla', 'resolved', 'share_resolved', 'resolution_median_h', 'resolution_p90_h', 'resolution_within_sla', 'share_reopened', 'share_checked', 'share_satisfied', 'sla_first_response_hours', 'sla_resolution_hours'))
def handling_kpis(complaints: pd.DataFrame, *, by=None,
                  sla_first_response_hours: float = SLA_FIRST_RESPONSE_HOURS,
                  sla_resolution_hours: float = SLA_RESOLUTION_HOURS, as_of=None,
                  freq: str = "M", categories: Sequence[str] = COMPLAINT_CATEGORIES,
                  opened_col: str = "opened_at", first_response_col: str = "first_response_at",
                  resolved_col: str = "resolved_at", reopened_col: str = "reopened",
                  satisfied_col: str = "satisfied_after") -> pd.DataFrame:
    """Handling KPIs: time to first response and resolution (median, p90) against the SLA, and outcomes.

    Parameters
    ----------
    complaints : DataFrame
        opened_at, first_response_at, resolved_at (empty while open), reopened (bool),
        satisfied_after (True/False, empty when the customer was never asked).
    by : str or sequence of str, optional
        Grouping columns (category, channel, severity, handled_by, "month").
    sla_first_response_hours, sla_resolution_hours : float
        The service-level targets.
    as_of : date, optional
        Complaints opened up to the end of this day; later responses count as not yet given.

    Returns
    -------
    DataFrame
        The ``by`` columns, complaints, first_response_median_h, first_response_p90_h,
        first_response_within_sla (share of all cases), resolved, share_resolved,
        resolution_median_h, resolution_p90_h, resolution_within_sla, share_reopened (of
        resolved), share_checked (of resolved: satisfaction asked), share_satisfied (of those
        asked), sla_first_response_hours, sla_resolution_hours.

    Examples
    --------
    >>> c = pd.DataFrame({"opened_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-02 09:00"]),
    ...     "first_response_at": pd.to_datetime(["2026-01-01 11:00", "2026-01-03 15:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-01-02 09:00", None]),
    ...     "reopened": [False, False], "satisfied_after": pd.array([True, None], dtype="boolean")})
    >>> k = handling_kpis(c)
    >>> k[["complaints", "first_response_median_h", "share_resolved"]]
       complaints  first_response_median_h  share_resolved
    0           2                     16.0             0.5
    """
    by = as_tuple(by)
    df = _prepare(complaints, categories=categories, as_of=as_of,
                  need=[first_response_col, resolved_col], opened_col=opened_col,
                  first_response_col=first_response_col, resolved_col=resolved_col)
    df = _attach_month(df, by, opened_col, freq)
    fr, rs = df["first_response_hours"], df["resolution_hours"]
    w = pd.DataFrame({c: df[c] for c in by}, index=df.index)
    w["complaints"] = 1
    w["fr"] = fr
    w["rs"] = rs
    w["fr_ok"] = (fr <= sla_first_response_hours).astype(int)
    w["resolved"] = rs.notna().astype(int)
    w["rs_ok"] = (rs <= sla_resolution_hours).astype(int)
    res = rs.notna()
    if reopened_col in df.columns:
        w["reopened"] = (df[reopened_col].fillna(False).astype(bool) & res).astype(int)
    else:
        w["reopened"] = np.nan
    if satisfied_col in df.columns:
        sat = df[satisfied_col].astype("boolean")
        w["checked"] = (sat.notna() & res).astype(int)
        w["satisfied"] = (sat.fillna(False).astype(bool) & sat.notna() & res).astype(int)
    else:
        w["checked"] = np.nan
        w["satisfied"] = np.nan
    keys = list(by) if by else [np.zeros(len(w), dtype=int)]
    g = w.groupby(keys, dropna=False)
    out = pd.DataFrame({
        "complaints": g["complaints"].sum(),
        "first_response_median_h": g["fr"].median(),
        "first_response_p90_h": g["fr"].quantile(0.9),
        "first_response_within_sla": g["fr_ok"].sum() / g["complaints"].sum(),
        "resolved": g["resolved"].sum(),
        "resolution_median_h": g["rs"].median(),
        "resolution_p90_h": g["rs"].quantile(0.9),
        "resolution_within_sla": g["rs_ok"].sum() / g["complaints"].sum(),
        "_reopened": g["reopened"].sum(min_count=1),
        "_checked": g["checked"].sum(min_count=1),
        "_satisfied": g["satisfied"].sum(min_count=1),
    })
    out.insert(5, "share_resolved", out["resolved"] / out["complaints"])
    with np.errstate(invalid="ignore", divide="ignore"):
        resolved = out["resolved"].where(out["resolved"] > 0)
        out["share_reopened"] = out["_reopened"] / resolved
        out["share_checked"] = out["_checked"] / resolved
        out["share_satisfied"] = out["_satisfied"] / out["_checked"].where(out["_checked"] > 0)
    out = out.drop(columns=["_reopened", "_checked", "_satisfied"])
    out["sla_first_response_hours"] = float(sla_first_response_hours)
    out["sla_resolution_hours"] = float(sla_resolution_hours)
    out = out.reset_index(drop=not by)
    if not by and out.empty:
        out = pd.DataFrame([{c: (0 if c in ("complaints", "resolved") else np.nan)
                             for c in out.columns}])
        out["sla_first_response_hours"] = float(sla_first_response_hours)
        out["sla_resolution_hours"] = float(sla_resolution_hours)
    out[["complaints", "resolved"]] = out[["complaints", "resolved"]].astype(int)
    return out


@accepts_absent('complaints', columns=('step_no', 'step', 'reached', 'share_reached', 'stalled', 'share_stalled'))
def handling_funnel(complaints: pd.DataFrame, *, steps: Sequence[str] = HANDLING_STEPS,
                    by=None, steps_col: str = "steps_done") -> pd.DataFrame:
    """The eight handling steps as a funnel: how many cases reached each step, and where they stalled.

    Parameters
    ----------
    complaints : DataFrame
        ``steps_col``: how many of the steps were done, in order (0 to ``len(steps)``).
    steps : sequence of str, default :data:`HANDLING_STEPS`
    by : str or sequence of str, optional
        One funnel per group (e.g. "handled_by", "category").

    Returns
    -------
    DataFrame
        The ``by`` columns, step_no (1-8), step, reached (cases with at least this many steps),
        share_reached, stalled (cases whose handling stopped just before this step),
        share_stalled. Shares are of the group's cases.

    Examples
    --------
    >>> c = pd.DataFrame({"opened_at": pd.to_datetime(["2026-01-01"] * 4), "steps_done": [8, 8, 3, 0]})
    >>> handling_funnel(c)[["step", "reached", "stalled"]].head(4)
            step  reached  stalled
    0      thank        3        1
    1    explain        3        0
    2  apologise        3        0
    3    promise        2        1
    """
    by = as_tuple(by)
    df = _prepare(complaints, need=[steps_col, *by])
    n_steps = len(steps)
    s = pd.to_numeric(df[steps_col]).to_numpy()
    fail_rows("complaints", steps_col, df[steps_col], s > n_steps,
              f"at most the {n_steps} handling steps")
    counts = pd.DataFrame({c: df[c] for c in by}, index=df.index)
    counts["steps_done"] = s.astype(int)
    keys = list(by)
    if keys:
        tab = counts.groupby(keys + ["steps_done"], dropna=False).size().unstack("steps_done")
    else:
        tab = counts["steps_done"].value_counts().to_frame().T
    tab = tab.reindex(columns=range(n_steps + 1), fill_value=0).fillna(0).astype(int)
    total = tab.sum(axis=1).to_numpy()[:, None]
    stalled = tab.to_numpy()[:, :n_steps]  # done exactly k: stalled before step k + 1
    reached = tab.to_numpy()[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]  # at least k + 1 done
    rows = len(tab)
    out = pd.DataFrame({
        "step_no": np.tile(np.arange(1, n_steps + 1), rows),
        "step": np.tile(np.asarray(steps, dtype=object), rows),
        "reached": reached.ravel(),
        "stalled": stalled.ravel(),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_reached"] = (reached / np.where(total > 0, total, np.nan)).ravel()
        out["share_stalled"] = (stalled / np.where(total > 0, total, np.nan)).ravel()
    if keys:
        idx = tab.index.to_frame(index=False)
        out = pd.concat([idx.loc[idx.index.repeat(n_steps)].reset_index(drop=True), out], axis=1)
    return out[keys + ["step_no", "step", "reached", "share_reached", "stalled", "share_stalled"]]


def handling_flags(complaints: pd.DataFrame, *, max_handoffs: int = MAX_HANDOFFS,
                   sla_first_response_hours: float = SLA_FIRST_RESPONSE_HOURS,
                   sla_resolution_hours: float = SLA_RESOLUTION_HOURS, as_of=None,
                   opened_col: str = "opened_at", first_response_col: str = "first_response_at",
                   resolved_col: str = "resolved_at", handoffs_col: str = "handoffs",
                   satisfied_col: str = "satisfied_after") -> pd.DataFrame:
    """Per complaint, which of the course's handling taboos it broke.

    Returns
    -------
    DataFrame
        The input columns plus first_response_hours, resolution_hours and the bool flags
        kicking_the_ball (handoffs > ``max_handoffs``), past_sla (first response or resolution
        later than its SLA, or still missing after the SLA ran out by ``as_of`` — by default the
        latest timestamp in the table), closed_unchecked (resolved, satisfaction never asked).

    Examples
    --------
    >>> c = pd.DataFrame({"opened_at": pd.to_datetime(["2026-01-01 09:00"]),
    ...     "first_response_at": pd.to_datetime(["2026-01-03 09:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-01-03 10:00"]), "handoffs": [3],
    ...     "satisfied_after": pd.array([None], dtype="boolean")})
    >>> handling_flags(c)[["kicking_the_ball", "past_sla", "closed_unchecked"]].to_numpy().tolist()
    [[True, True, True]]
    """
    df = _prepare(complaints, as_of=as_of, need=[first_response_col, resolved_col, handoffs_col,
                                                 satisfied_col],
                  opened_col=opened_col, first_response_col=first_response_col,
                  resolved_col=resolved_col)
    age = (df["_now"] - df[opened_col]) / _HOUR
    fr, rs = df["first_response_hours"], df["resolution_hours"]
    late_fr = (fr > sla_first_response_hours) | (fr.isna() & (age > sla_first_response_hours))
    late_rs = (rs > sla_resolution_hours) | (rs.isna() & (age > sla_resolution_hours))
    out = df.drop(columns="_now")
    out["kicking_the_ball"] = pd.to_numeric(df[handoffs_col]).fillna(0).to_numpy() > max_handoffs
    out["past_sla"] = (late_fr | late_rs).to_numpy(dtype=bool)
    out["closed_unchecked"] = (rs.notna() & df[satisfied_col].astype("boolean").isna()).to_numpy(
        dtype=bool)
    return out


@accepts_absent('complaints', columns=('taboo', 'cases', 'share'))
def taboos(complaints: pd.DataFrame, *, by=None, max_handoffs: int = MAX_HANDOFFS,
           sla_first_response_hours: float = SLA_FIRST_RESPONSE_HOURS,
           sla_resolution_hours: float = SLA_RESOLUTION_HOURS, as_of=None, **cols) -> pd.DataFrame:
    """How many cases broke each handling taboo (see :func:`handling_flags`).

    Returns
    -------
    DataFrame
        The ``by`` columns, taboo (kicking_the_ball, past_sla, closed_unchecked), cases, share
        (of the group's complaints).

    Examples
    --------
    >>> c = pd.DataFrame({"opened_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 10:00"]),
    ...     "first_response_at": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-01-01 12:00", "2026-01-01 13:00"]),
    ...     "handoffs": [3, 0], "satisfied_after": pd.array([True, False], dtype="boolean")})
    >>> taboos(c)[["taboo", "cases", "share"]]
                  taboo  cases  share
    0  kicking_the_ball      1    0.5
    1          past_sla      0    0.0
    2  closed_unchecked      0    0.0
    """
    by = as_tuple(by)
    f = handling_flags(complaints, max_handoffs=max_handoffs,
                       sla_first_response_hours=sla_first_response_hours,
                       sla_resolution_hours=sla_resolution_hours, as_of=as_of, **cols)
    require_columns(f, list(by), table="complaints")
    keys = list(by) if by else [np.zeros(len(f), dtype=int)]
    g = f.groupby(keys, dropna=False)
    cases = g[list(TABOOS)].sum().astype(int)
    n = g.size()
    if not by and cases.empty:
        cases = pd.DataFrame([[0] * len(TABOOS)], columns=list(TABOOS))
        n = pd.Series([0])
    long = cases.stack().rename("cases").reset_index()
    long = long.rename(columns={long.columns[-2]: "taboo"})
    share = cases.div(n.where(n > 0), axis=0).stack().to_numpy()
    long["share"] = share
    if not by:
        long = long[["taboo", "cases", "share"]]
    return long.reset_index(drop=True)


@accepts_absent('complaints', columns=('complaints', 'complainants', 'ratio', 'silent_unhappy', 'unhappy_total', 'customers', 'capped', 'mean_annual_sales', 'mean_annual_gross_profit', 'sales_at_risk', 'gross_profit_at_risk'))
def iceberg(complaints: pd.DataFrame, *, ratio: float = ICEBERG_RATIO,
            transactions: pd.DataFrame | None = None, customers: int | None = None, as_of=None,
            window_days: int = 365, customer_col: str = "customer_id",
            opened_col: str = "opened_at", date_col: str = "date", amount_col: str = "amount",
            cost_col: str = "cost") -> pd.DataFrame:
    """The complaint iceberg: unhappy customers who never complained, and what they are worth.

    Silent unhappy = complaining customers × ``ratio``; when the number of customers is known it
    is capped at the customers who did not complain (the column ``capped`` says when). With ``transactions``, the value
    at risk is silent unhappy × the mean annual sales (gross profit) of the customers who bought
    in the window.

    Parameters
    ----------
    complaints : DataFrame
    ratio : float, default :data:`ICEBERG_RATIO`
    transactions : DataFrame, optional
        For the average customer value (:func:`crm_lib.summary.totals` over the window).
    customers : int, optional
        Size of the customer base; default: the customers who bought in the window.
    as_of : date, optional
        With ``window_days``: complaints and sales of the ``window_days`` days up to ``as_of``.
        Default: every complaint, and sales over the whole log.

    Returns
    -------
    DataFrame
        One row: complaints, complainants, ratio, silent_unhappy, unhappy_total (complainants +
        silent), customers, capped (bool), mean_annual_sales, mean_annual_gross_profit,
        sales_at_risk, gross_profit_at_risk.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                   "opened_at": pd.to_datetime(["2026-01-02", "2026-01-05", "2026-02-01"])})
    >>> iceberg(c)[["complainants", "silent_unhappy", "unhappy_total"]]
       complainants  silent_unhappy  unhappy_total
    0             2            52.0           54.0
    """
    if not ratio >= 0:
        raise DataError(f"`ratio` must be a number of 0 or more, got {ratio!r}.")
    df = _prepare(complaints, as_of=as_of, need=[customer_col], opened_col=opened_col)
    start = None
    if as_of is not None:
        start = pd.Timestamp(as_of).normalize() - pd.Timedelta(days=window_days - 1)
        df = df[df[opened_col] >= start]
    df = _drop_missing(df, customer_col, "the iceberg")
    complainants = int(df[customer_col].nunique())
    silent = complainants * ratio
    mean_sales = mean_gp = np.nan
    base = customers
    if transactions is not None:
        tot = summary.totals(transactions, by=(customer_col,), start=start, as_of=as_of,
                             date_col=date_col, amount_col=amount_col, cost_col=cost_col,
                             quantity_col=None, order_col=None)
        if start is not None:
            years = window_days / 365.25
        else:
            span = (tot["last_purchase"].max() - tot["first_purchase"].min()).days + 1 if len(tot) else 0
            years = max(span, 1) / 365.25
        mean_sales = float(tot["sales"].mean() / years) if len(tot) else np.nan
        mean_gp = float(tot["gross_profit"].mean() / years) if len(tot) else np.nan
        if base is None:
            base = len(tot)
    capped = False
    if base is not None:
        room = max(int(base) - complainants, 0)
        if silent > room:
            silent, capped = float(room), True
    silent = float(silent)
    return pd.DataFrame([{
        "complaints": len(df), "complainants": complainants, "ratio": float(ratio),
        "silent_unhappy": silent, "unhappy_total": complainants + silent,
        "customers": np.nan if base is None else int(base), "capped": capped,
        "mean_annual_sales": mean_sales, "mean_annual_gross_profit": mean_gp,
        "sales_at_risk": silent * mean_sales, "gross_profit_at_risk": silent * mean_gp,
    }])


@accepts_absent('complaints', columns=('resolution', 'customers', 'churned', 'churn_rate', 'churn_lower', 'churn_upper'))
def churn_by_resolution(complaints: pd.DataFrame, status: pd.DataFrame, *,
                        speed_hours: Sequence[float] = RESOLUTION_SPEED_HOURS, as_of=None,
                        churned_col: str = "churned", lost_on_col: str = "lost_on",
                        customer_col: str = "customer_id", opened_col: str = "opened_at",
                        resolved_col: str = "resolved_at") -> pd.DataFrame:
    """Churn rate of complainers by whether and how fast their (latest) complaint was resolved.

    Each complaining customer is placed by their latest complaint: resolved within each bound of
    ``speed_hours``, resolved later, or unresolved. Customers in ``status`` who never complained
    form the baseline group "no complaint".

    Parameters
    ----------
    complaints : DataFrame
    status : DataFrame
        Either a status table with a bool column ``churned_col`` for every customer (e.g.
        :func:`crm_lib.churn.customer_status`), or loss records (every listed customer churned,
        when lost on or before ``as_of``; then there is no "no complaint" baseline).
    speed_hours : sequence of float, default :data:`RESOLUTION_SPEED_HOURS`
        Increasing bounds of the speed groups, in hours.
    as_of : date, optional

    Returns
    -------
    DataFrame
        resolution ("within 24 h", "24-72 h", …, "over 168 h", "unresolved", "no complaint"),
        customers, churned, churn_rate, churn_lower, churn_upper (Wilson 95%).

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"],
    ...     "opened_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-01-01 12:00", None])})
    >>> st = pd.DataFrame({"customer_id": ["a", "b", "c"], "churned": [False, True, False]})
    >>> churn_by_resolution(c, st)[["resolution", "customers", "churned"]]
         resolution  customers  churned
    0   within 24 h          1        0
    1       24-72 h          0        0
    2      72-168 h          0        0
    3    over 168 h          0        0
    4    unresolved          1        1
    5  no complaint          1        0
    """
    bounds = [float(b) for b in speed_hours]
    if not bounds or any(b <= 0 for b in bounds) or bounds != sorted(set(bounds)):
        raise DataError(f"`speed_hours` must be increasing positive hours, got {tuple(speed_hours)!r}.")
    df = _prepare(complaints, as_of=as_of, need=[customer_col, resolved_col],
                  opened_col=opened_col, resolved_col=resolved_col)
    require_columns(status, [customer_col], table="status")
    df = _drop_missing(df, customer_col, "the churn comparison")
    latest = (df.sort_values([customer_col, opened_col], kind="stable")
              .drop_duplicates(customer_col, keep="last"))
    labels = ([f"within {bounds[0]:g} h"]
              + [f"{a:g}-{b:g} h" for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
              + [f"over {bounds[-1]:g} h"])
    hours = latest["resolution_hours"].to_numpy()
    idx = np.searchsorted(np.asarray(bounds), hours, side="left")
    group = np.where(np.isnan(hours), "unresolved", np.asarray(labels, dtype=object)[
        np.clip(idx, 0, len(labels) - 1)])
    per = pd.DataFrame({customer_col: latest[customer_col].to_numpy(), "resolution": group})
    if churned_col in status.columns:
        flags = status.drop_duplicates(customer_col).set_index(customer_col)[churned_col]
        flags = flags.astype("boolean").fillna(False).astype(bool)
        others = flags[~flags.index.isin(set(per[customer_col]))]
        base = pd.DataFrame({customer_col: others.index, "resolution": "no complaint"})
        per = pd.concat([per, base], ignore_index=True)
        per["churned"] = per[customer_col].map(flags).fillna(False).astype(int)
        order = labels + ["unresolved", "no complaint"]
    else:
        lost = status
        if lost_on_col in status.columns and as_of is not None:
            lost = status[pd.to_datetime(status[lost_on_col]) <= pd.Timestamp(as_of)]
        per["churned"] = per[customer_col].isin(set(lost[customer_col])).astype(int)
        order = labels + ["unresolved"]
    g = per.groupby("resolution")
    agg = pd.DataFrame({"customers": g.size(), "churned": g["churned"].sum()}).reindex(order)
    agg = agg.fillna(0).astype(int)
    p, lo, hi = wilson(agg["churned"], agg["customers"], float(stats.norm.ppf(0.975)))
    return pd.DataFrame({"resolution": order, "customers": agg["customers"].to_numpy(),
                         "churned": agg["churned"].to_numpy(), "churn_rate": p,
                         "churn_lower": lo, "churn_upper": hi})
