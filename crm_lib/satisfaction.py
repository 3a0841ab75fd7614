"""Customer satisfaction: NPS and CSAT with intervals, service-quality gaps, importance-performance.

Scores follow the course:

* **NPS** (net promoter score) from the 0-10 "would you recommend us" answer: promoters answer
  9-10, passives 7-8, detractors 0-6 (:data:`NPS_BANDS`). NPS = 100 × (share of promoters −
  share of detractors), from −100 to 100.
* **CSAT** from a 1-5 answer: the share of 4s and 5s (:data:`CSAT_SATISFIED`), in percent (0-100).
* **Quality gaps** for the ten factors of service quality (:data:`SATISFACTION_FACTORS`), each
  answered on 1-7 as expectation (``exp_<factor>``), perception (``perc_<factor>``) and importance
  (``imp_<factor>``): gap = perception − expectation (negative: the service falls short).

Intervals
---------
NPS is the difference of two shares of one multinomial sample. With ``p`` the promoter share,
``d`` the detractor share and ``n`` answers, ``Var(p − d) = (p + d − (p − d)²) / n``; the interval
is ``NPS ± z · 100 · sqrt(Var)`` (normal approximation, clipped to [−100, 100]). CSAT uses the
Wilson score interval of a proportion, which behaves for small groups and shares near 0 or 1.
Gaps use the t interval of the mean of the paired differences. Groups with fewer than ``min_n``
answers are flagged ``small_group`` (default :data:`MIN_N`): read them as anecdotes, not as results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from crm_lib import summary
from crm_lib._errors import DataError, DataWarning, fail_rows, require_columns, require_one_of
from crm_lib._frames import as_tuple, attach_groups, date_window, wilson
from crm_lib._notebook import accepts_absent
from crm_lib.schema import SATISFACTION_FACTORS

__all__ = [
    "CONFIDENCE",
    "CSAT_SATISFIED",
    "FACTOR_SCALE",
    "IPA_QUADRANTS",
    "MIN_N",
    "NPS_BANDS",
    "NPS_GROUPS",
    "SATISFACTION_FACTORS",
    "csat",
    "csat_interval",
    "importance_performance",
    "loyalty_by_nps",
    "nps",
    "nps_group",
    "nps_interval",
    "quality_gaps",
    "satisfaction_by",
]

#: NPS bands (inclusive score ranges on the 0-10 scale).
NPS_BANDS = MappingProxyType({"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)})
#: The NPS groups in reading order.
NPS_GROUPS = ("promoter", "passive", "detractor")
#: CSAT answers (1-5) that count as satisfied.
CSAT_SATISFIED = (4, 5)
#: Smallest group read as a result; smaller groups are flagged ``small_group``.
MIN_N = 30
#: Default confidence level of the intervals.
CONFIDENCE = 0.95
#: The scale of the factor answers (expectation, perception, importance).
FACTOR_SCALE = (1, 7)
#: Quadrants of the importance-performance map, by (importance, performance) high/low.
IPA_QUADRANTS = MappingProxyType(
    {
        ("high", "high"): "keep up the good work",
        ("high", "low"): "concentrate here",
        ("low", "low"): "low priority",
        ("low", "high"): "possible overkill",
    }
)

_NPS_SCALE = (0, 10)
_CSAT_SCALE = (1, 5)


# --- validation -------------------------------------------------------------------------------


def _scores(values, *, lo: float, hi: float, table: str, column: str,
            integer: bool = True) -> pd.Series:
    """Numeric scores with NaN for empty answers; DataError for text or values off the scale."""
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        num = pd.to_numeric(s, errors="coerce")
        fail_rows(table, column, s, num.isna() & s.notna(), "numeric")
        s = num
    s = s.astype("float64")
    bad = s.notna() & ((s < lo) | (s > hi) | (integer & (s != np.round(s))))
    kind = "whole numbers" if integer else "numbers"
    fail_rows(table, column, s, bad, f"{kind} from {lo:g} to {hi:g}")
    return s


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise DataError(f"`confidence` must be within (0, 1), got {confidence!r}.")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _nps_table(promoters, detractors, n, z) -> dict[str, np.ndarray]:
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(promoters, dtype=float) / n
        d = np.asarray(detractors, dtype=float) / n
        diff = p - d
        se = 100 * np.sqrt(np.maximum(p + d - diff**2, 0) / n)
    value = 100 * diff
    return {
        "nps": value,
        "nps_se": se,
        "nps_lower": np.clip(value - z * se, -100, 100),
        "nps_upper": np.clip(value + z * se, -100, 100),
    }


def _bands(bands) -> dict[str, tuple[float, float]]:
    bands = dict(bands)
    if set(bands) != set(NPS_GROUPS):
        raise DataError(f"`bands` must name exactly {list(NPS_GROUPS)}, got {list(bands)}.")
    return bands


def nps_group(scores: pd.Series, *, bands=NPS_BANDS, table: str = "surveys",
              column: str = "nps") -> pd.Series:
    """Name the NPS group (promoter, passive, detractor) of each 0-10 answer.

    Parameters
    ----------
    scores : Series
        Answers 0-10; empty answers stay empty.
    bands : mapping, default :data:`NPS_BANDS`
        Inclusive score range of each group.

    Returns
    -------
    Series
        "promoter", "passive", "detractor" or NaN, same index as ``scores``.

    Examples
    --------
    >>> nps_group(pd.Series([10, 7, 3])).tolist()
    ['promoter', 'passive', 'detractor']
    """
    s = _scores(scores, lo=0, hi=10, table=table, column=column)
    out = pd.Series(np.nan, index=s.index, dtype="object")
    for name, (lo, hi) in _bands(bands).items():
        out[(s >= lo) & (s <= hi)] = name
    return out.astype("str").where(out.notna())


# --- single-number scores --------------------------------------------------------------------


def nps(scores, *, bands=NPS_BANDS) -> float:
    """Net promoter score of a set of 0-10 answers: 100 × (promoters − detractors) / answers.

    Parameters
    ----------
    scores : Series or array-like
        Answers 0-10 (whole numbers). Empty answers are left out.
    bands : mapping, default :data:`NPS_BANDS`
        Inclusive score range of promoters, passives and detractors.

    Returns
    -------
    float
        From −100 to 100; NaN (with a :class:`DataWarning`) when there is no answer.

    Examples
    --------
    >>> nps([10, 9, 9, 8, 7, 6, 3, 10, 5, 9])
    20.0
    """
    r = _nps_interval(scores, confidence=CONFIDENCE, bands=bands, stacklevel=3)
    return float(r["nps"])


def nps_interval(scores, *, confidence: float = CONFIDENCE, bands=NPS_BANDS) -> pd.Series:
    """NPS with its confidence interval (multinomial variance of promoter − detractor share).

    ``Var(p − d) = (p + d − (p − d)²) / n`` with ``p``, ``d`` the promoter and detractor shares;
    the interval is ``NPS ± z · 100 · sqrt(Var)``, clipped to [−100, 100]. With fewer than about
    30 answers the normal approximation is rough: read the interval as "wide".

    Parameters
    ----------
    scores : Series or array-like
        Answers 0-10 (whole numbers). Empty answers are left out.
    confidence : float, default 0.95
    bands : mapping, default :data:`NPS_BANDS`

    Returns
    -------
    Series
        n, promoters, passives, detractors (counts), nps, nps_se, nps_lower, nps_upper.

    Examples
    --------
    >>> r = nps_interval([10, 9, 9, 8, 7, 6, 3, 10, 5, 9])
    >>> [round(float(r[c]), 1) for c in ("nps", "nps_lower", "nps_upper")]
    [20.0, -34.0, 74.0]
    """
    return _nps_interval(scores, confidence=confidence, bands=bands, stacklevel=3)


def _nps_interval(scores, *, confidence: float, bands, stacklevel: int) -> pd.Series:
    z = _z(confidence)
    groups = nps_group(pd.Series(scores) if not isinstance(scores, pd.Series) else scores,
                       bands=bands, table="scores", column="nps")
    counts = groups.value_counts().reindex(list(NPS_GROUPS), fill_value=0)
    n = int(counts.sum())
    if n == 0:
        warnings.warn("No NPS answers: the score is empty.", DataWarning, stacklevel=stacklevel)
    t = _nps_table(counts["promoter"], counts["detractor"], n, z)
    return pd.Series({
        "n": n,
        "promoters": int(counts["promoter"]),
        "passives": int(counts["passive"]),
        "detractors": int(counts["detractor"]),
        **{k: float(v) for k, v in t.items()},
    })


def csat(scores, *, satisfied=CSAT_SATISFIED) -> float:
    """CSAT: the percentage of 1-5 answers that are 4 or 5.

    Parameters
    ----------
    scores : Series or array-like
        Answers 1-5 (whole numbers). Empty answers are left out.
    satisfied : tuple, default (4, 5)
        The answers that count as satisfied.

    Returns
    -------
    float
        Percent 0-100; NaN (with a :class:`DataWarning`) when there is no answer.

    Examples
    --------
    >>> csat([5, 4, 3, 5, 1])
    60.0
    """
    return float(_csat_interval(scores, confidence=CONFIDENCE, satisfied=satisfied,
                                stacklevel=3)["csat"])


def csat_interval(scores, *, confidence: float = CONFIDENCE, satisfied=CSAT_SATISFIED) -> pd.Series:
    """CSAT with its Wilson score interval, in percent.

    Parameters
    ----------
    scores : Series or array-like
        Answers 1-5 (whole numbers). Empty answers are left out.
    confidence : float, default 0.95
    satisfied : tuple, default (4, 5)

    Returns
    -------
    Series
        n, satisfied (count), csat, csat_lower, csat_upper (percent).

    Examples
    --------
    >>> r = csat_interval([5, 4, 3, 5, 1])
    >>> [round(float(r[c]), 1) for c in ("csat", "csat_lower", "csat_upper")]
    [60.0, 23.1, 88.2]
    """
    return _csat_interval(scores, confidence=confidence, satisfied=satisfied, stacklevel=3)


def _csat_interval(scores, *, confidence: float, satisfied, stacklevel: int) -> pd.Series:
    z = _z(confidence)
    s = _scores(scores, lo=1, hi=5, table="scores", column="csat")
    s = s[s.notna()]
    n = len(s)
    if n == 0:
        warnings.warn("No CSAT answers: the score is empty.", DataWarning, stacklevel=stacklevel)
    k = int(s.isin(list(satisfied)).sum())
    p, lo, hi = wilson(k, n, z)
    return pd.Series({"n": n, "satisfied": k, "csat": float(100 * p),
                      "csat_lower": float(100 * lo), "csat_upper": float(100 * hi)})


# --- groups ------------------------------------------------------------------------------------


def _attach(df: pd.DataFrame, by: Sequence[str], groups, *, customer_col: str, table: str,
            date_col: str | None = None, freq: str = "M") -> pd.DataFrame:
    """Add the grouping columns that ``df`` lacks: "month" from the date, others from ``groups``."""
    if "month" in by and "month" not in df.columns and date_col is not None:
        require_columns(df, [date_col], table=table)
        df = df.assign(month=pd.to_datetime(df[date_col]).dt.to_period(freq).dt.start_time)
    return attach_groups(df, by, groups, customer_col=customer_col, table=table)


@accepts_absent('surveys', columns=('responses', 'nps_n', 'promoters', 'passives', 'detractors', 'nps', 'nps_lower', 'nps_upper', 'csat_n', 'csat', 'csat_lower', 'csat_upper', 'small_group'))
def satisfaction_by(surveys: pd.DataFrame, *, by=("month",), groups: pd.DataFrame | None = None,
                    min_n: int = MIN_N, confidence: float = CONFIDENCE, bands=NPS_BANDS,
                    satisfied=CSAT_SATISFIED, nps_col: str = "nps", csat_col: str = "csat",
                    date_col: str = "date", customer_col: str = "customer_id",
                    freq: str = "M", start=None, as_of=None) -> pd.DataFrame:
    """NPS and CSAT with intervals per group (month, tier, region, sales rep, …).

    Parameters
    ----------
    surveys : DataFrame
        One row per answer, with ``nps_col`` (0-10) and/or ``csat_col`` (1-5).
    by : str or sequence of str, default ("month",)
        Grouping columns. ``"month"`` is derived from ``date_col`` (period start, ``freq``);
        other columns missing from ``surveys`` are taken from ``groups`` by customer id.
        ``None`` or ``()`` gives one overall row.
    groups : DataFrame or Series, optional
        Customer attributes (a column ``customer_col`` or an index of customer ids), e.g. the
        customers table (region, sales_rep) or a tiering result (tier).
    min_n : int, default :data:`MIN_N`
        Groups with fewer answers (for NPS or CSAT) are flagged ``small_group``.
    confidence, bands, satisfied
        See :func:`nps_interval` and :func:`csat_interval`.
    start, as_of : date, optional
        Keep answers dated from ``start`` to ``as_of``.

    Returns
    -------
    DataFrame
        The ``by`` columns, then responses, nps_n, promoters, passives, detractors, nps,
        nps_lower, nps_upper (when ``nps_col`` is present), csat_n, csat, csat_lower, csat_upper
        (when ``csat_col`` is present), and small_group (bool). Answers whose customer has no group
        value form a group with an empty key.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": [10, 6, 9], "csat": [5, 2, 4],
    ...                   "date": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-01"])})
    >>> satisfaction_by(s, min_n=2)[["month", "nps", "csat", "small_group"]]
           month    nps   csat  small_group
    0 2026-01-01    0.0   50.0        False
    1 2026-02-01  100.0  100.0         True
    """
    z = _z(confidence)
    bands = _bands(bands)
    by = as_tuple(by)
    has_nps, has_csat = nps_col in surveys.columns, csat_col in surveys.columns
    if not (has_nps or has_csat):
        require_columns(surveys, [nps_col, csat_col], table="surveys")
    df = date_window(surveys, date_col, start=start, as_of=as_of, table="surveys")
    df = _attach(df, by, groups, customer_col=customer_col, table="surveys",
                 date_col=date_col, freq=freq)
    work = pd.DataFrame({c: df[c] for c in by}, index=df.index)
    work["responses"] = 1
    if has_nps:
        g = nps_group(df[nps_col], bands=bands, table="surveys", column=nps_col)
        work["nps_n"] = g.notna().astype(int)
        for name in NPS_GROUPS:
            work[name + "s"] = (g == name).astype(int)
    if has_csat:
        s = _scores(df[csat_col], lo=1, hi=5, table="surveys", column=csat_col)
        work["csat_n"] = s.notna().astype(int)
        work["csat_satisfied"] = s.isin(list(satisfied)).astype(int)
    if by:
        agg = work.groupby(list(by), dropna=False, sort=True).sum().reset_index()
    else:
        agg = work.sum().to_frame().T.astype(int)
    out = agg[list(by) + ["responses"]].copy()
    small = np.zeros(len(agg), dtype=bool)
    if has_nps:
        for c in ("nps_n", "promoters", "passives", "detractors"):
            out[c] = agg[c].astype(int)
        t = _nps_table(agg["promoters"], agg["detractors"], agg["nps_n"], z)
        for c in ("nps", "nps_lower", "nps_upper"):
            out[c] = t[c]
        small |= agg["nps_n"].to_numpy() < min_n
    if has_csat:
        out["csat_n"] = agg["csat_n"].astype(int)
        p, lo, hi = wilson(agg["csat_satisfied"], agg["csat_n"], z)
        out["csat"], out["csat_lower"], out["csat_upper"] = 100 * p, 100 * lo, 100 * hi
        small |= agg["csat_n"].to_numpy() < min_n
    out["small_group"] = small
    return out.reset_index(drop=True)


# --- service quality ---------------------------------------------------------------------------


def _factor_frame(surveys: pd.DataFrame, factors: Sequence[str], prefixes: Sequence[str]
                  ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Validated 1-7 answers per prefix (columns = factors present with every prefix)."""
    factors = list(factors)
    if not factors:
        raise DataError("`factors` must name at least one satisfaction factor, got none.")
    present = [f for f in factors if all(f"{p}{f}" in surveys.columns for p in prefixes)]
    if not present:
        require_columns(surveys, [f"{p}{factors[0]}" for p in prefixes], table="surveys")
    absent = [f for f in factors if f not in present]
    if absent:
        warnings.warn(
            f"`surveys` has no {'/'.join(prefixes)} columns for {absent}: these factors are left out.",
            DataWarning, stacklevel=3)
    lo, hi = FACTOR_SCALE
    frames = {}
    for p in prefixes:
        frames[p] = pd.DataFrame(
            {f: _scores(surveys[f"{p}{f}"], lo=lo, hi=hi, table="surveys", column=f"{p}{f}",
                        integer=False) for f in present}, index=surveys.index)
    return present, frames


@accepts_absent('surveys', columns=('factor', 'answers', 'expectation', 'perception', 'quality_gap', 'quality_gap_lower', 'quality_gap_upper', 'small_group'))
def quality_gaps(surveys: pd.DataFrame, *, factors: Sequence[str] = SATISFACTION_FACTORS,
                 confidence: float = CONFIDENCE, min_n: int = MIN_N,
                 expectation_prefix: str = "exp_", perception_prefix: str = "perc_",
                 start=None, as_of=None, date_col: str = "date") -> pd.DataFrame:
    """Service-quality gap per factor: mean of (perception − expectation) with a t interval.

    Only answers with both an expectation and a perception for the factor count.

    Parameters
    ----------
    surveys : DataFrame
        Columns ``exp_<factor>`` and ``perc_<factor>`` on the 1-7 scale.
    factors : sequence of str, default :data:`SATISFACTION_FACTORS`
        Factors missing from ``surveys`` are left out with a :class:`DataWarning`.
    confidence : float, default 0.95
    min_n : int, default :data:`MIN_N`
        Factors with fewer paired answers are flagged ``small_group``.
    start, as_of : date, optional
        Keep answers dated from ``start`` to ``as_of``.

    Returns
    -------
    DataFrame
        One row per factor (in ``factors`` order): factor, answers, expectation, perception,
        quality_gap, quality_gap_lower, quality_gap_upper, small_group. The interval is empty with fewer than 2 answers.

    Examples
    --------
    >>> s = pd.DataFrame({"exp_access": [6, 5, 7], "perc_access": [5, 5, 4]})
    >>> quality_gaps(s, factors=["access"], min_n=1)[["factor", "answers", "quality_gap"]]
       factor  answers  quality_gap
    0  access        3    -1.333333
    """
    z_conf = _z(confidence)  # validates confidence
    del z_conf
    surveys = date_window(surveys, date_col, start=start, as_of=as_of, table="surveys")
    present, fr = _factor_frame(surveys, factors, (expectation_prefix, perception_prefix))
    e, p = fr[expectation_prefix], fr[perception_prefix]
    paired = e.notna() & p.notna()
    diff = (p - e).where(paired)
    n = paired.sum()
    mean = diff.mean()
    sd = diff.std(ddof=1)
    dof = (n - 1).clip(lower=1)
    tcrit = pd.Series(stats.t.ppf(0.5 + confidence / 2, dof), index=n.index)
    half = (tcrit * sd / np.sqrt(n)).where(n >= 2)
    out = pd.DataFrame({
        "factor": present,
        "answers": n.astype(int).to_numpy(),
        "expectation": e.where(paired).mean().to_numpy(),
        "perception": p.where(paired).mean().to_numpy(),
        "quality_gap": mean.to_numpy(),
        "quality_gap_lower": (mean - half).to_numpy(),
        "quality_gap_upper": (mean + half).to_numpy(),
    })
    out["small_group"] = out["answers"] < min_n
    return out


@accepts_absent('surveys', columns=('factor', 'answers', 'importance', 'performance', 'importance_cut', 'performance_cut', 'quadrant'))
def importance_performance(surveys: pd.DataFrame, *, factors: Sequence[str] = SATISFACTION_FACTORS,
                           importance: str = "stated", cut="mean", overall_col: str = "csat",
                           importance_prefix: str = "imp_", perception_prefix: str = "perc_",
                           quadrants=IPA_QUADRANTS, start=None, as_of=None,
                           date_col: str = "date") -> pd.DataFrame:
    """The importance-performance map: each factor's importance and performance, and its quadrant.

    Performance is the mean perception (1-7). Importance is the mean stated importance
    (``importance="stated"``, columns ``imp_<factor>``) or, with ``importance="derived"``, the
    correlation of the factor's perception with the overall score ``overall_col``. A factor is
    "high" on an axis when it is at or above the cut line:

    * ``cut="mean"``: the mean over the factors (the data-centred map), the default;
    * ``cut="midpoint"``: the middle of the 1-7 scale (4) for both axes (stated importance only);
    * ``cut=(importance_cut, performance_cut)``: explicit lines.

    Quadrants (:data:`IPA_QUADRANTS`): high importance and high performance "keep up the good
    work"; high importance, low performance "concentrate here"; low importance, low performance
    "low priority"; low importance, high performance "possible overkill". ``start`` and ``as_of``
    keep the answers dated between them.

    Returns
    -------
    DataFrame
        factor, answers, importance, performance, importance_cut, performance_cut, quadrant.

    Examples
    --------
    >>> s = pd.DataFrame({"imp_access": [7, 6], "perc_access": [3, 4],
    ...                   "imp_courtesy": [2, 3], "perc_courtesy": [6, 7]})
    >>> importance_performance(s, factors=["access", "courtesy"])["quadrant"].tolist()
    ['concentrate here', 'possible overkill']
    """
    require_one_of("importance", importance, ("stated", "derived"))
    surveys = date_window(surveys, date_col, start=start, as_of=as_of, table="surveys")
    if importance == "stated":
        present, fr = _factor_frame(surveys, factors, (importance_prefix, perception_prefix))
        imp = fr[importance_prefix].mean()
        n = (fr[importance_prefix].notna() & fr[perception_prefix].notna()).sum()
    else:
        present, fr = _factor_frame(surveys, factors, (perception_prefix,))
        require_columns(surveys, [overall_col], table="surveys")
        overall = pd.to_numeric(surveys[overall_col], errors="coerce")
        imp = fr[perception_prefix].corrwith(overall)
        n = (fr[perception_prefix].notna() & overall.notna().to_numpy()[:, None]).sum()
    perf = fr[perception_prefix].mean()
    if isinstance(cut, str):
        require_one_of("cut", cut, ("mean", "midpoint"))
        if cut == "mean":
            icut, pcut = float(imp.mean()), float(perf.mean())
        else:
            if importance == "derived":
                raise DataError("`cut='midpoint'` needs stated importance; use cut='mean' or a pair.")
            icut = pcut = (FACTOR_SCALE[0] + FACTOR_SCALE[1]) / 2
    else:
        try:
            icut, pcut = (float(v) for v in cut)
        except (TypeError, ValueError):
            raise DataError(f"`cut` must be 'mean', 'midpoint' or a pair of numbers, got {cut!r}.") from None
    ih = np.where(imp.to_numpy() >= icut, "high", "low")
    ph = np.where(perf.to_numpy() >= pcut, "high", "low")
    q = dict(quadrants)
    return pd.DataFrame({
        "factor": present,
        "answers": n.astype(int).to_numpy(),
        "importance": imp.to_numpy(dtype=float),
        "performance": perf.to_numpy(dtype=float),
        "importance_cut": icut,
        "performance_cut": pcut,
        "quadrant": [q[(a, b)] for a, b in zip(ih, ph, strict=True)],
    })


# --- satisfaction and loyalty ------------------------------------------------------------------


@accepts_absent('surveys', columns=('nps_group', 'customers', 'churned', 'churn_rate', 'churn_lower', 'churn_upper', 'mean_sales', 'median_sales', 'mean_gross_profit', 'small_group'))
def loyalty_by_nps(surveys: pd.DataFrame, transactions: pd.DataFrame, *, lost: pd.DataFrame,
                   as_of, window_days: int = 365, bands=NPS_BANDS, confidence: float = CONFIDENCE,
                   min_n: int = MIN_N, churned_col: str = "churned", lost_on_col: str = "lost_on",
                   customer_col: str = "customer_id", date_col: str = "date",
                   nps_col: str = "nps", amount_col: str = "amount", cost_col: str = "cost"
                   ) -> pd.DataFrame:
    """Churn rate and spend by NPS group: does a satisfied customer buy more and stay longer?

    Each customer is placed in the NPS group of their latest answer on or before ``as_of``.
    Spend is the customer's sales and gross profit over the ``window_days`` days up to ``as_of``
    (zero when they bought nothing). A customer counts as churned when ``lost`` says so.

    Parameters
    ----------
    surveys : DataFrame
        customer_col, date_col, nps_col (0-10).
    transactions : DataFrame
        Aggregated with :func:`crm_lib.summary.totals`.
    lost : DataFrame
        Either a status table with a bool column ``churned_col`` (e.g.
        :func:`crm_lib.churn.customer_status`), or loss records (every customer listed is
        churned, if ``lost_on_col`` is present only when lost on or before ``as_of``).
    as_of : date
        End of the window; answers after it are ignored.

    Returns
    -------
    DataFrame
        One row per NPS group (promoter, passive, detractor): nps_group, customers, churned,
        churn_rate, churn_lower, churn_upper (shares 0-1, Wilson interval), mean_sales,
        median_sales, mean_gross_profit, small_group.

    Examples
    --------
    >>> sv = pd.DataFrame({"customer_id": ["a", "b"], "nps": [10, 2],
    ...                    "date": pd.to_datetime(["2026-01-05", "2026-01-06"])})
    >>> tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"], "amount": [100.0, 10.0],
    ...                    "cost": [60.0, 5.0], "date": pd.to_datetime(["2026-02-01", "2026-02-01"])})
    >>> lost = pd.DataFrame({"customer_id": ["b"], "lost_on": pd.to_datetime(["2026-03-01"])})
    >>> r = loyalty_by_nps(sv, tx, lost=lost, as_of="2026-06-30", min_n=1)
    >>> r[["nps_group", "customers", "churn_rate", "mean_sales"]]
       nps_group  customers  churn_rate  mean_sales
    0   promoter          1         0.0       100.0
    1    passive          0         NaN         NaN
    2  detractor          1         1.0        10.0
    """
    z = _z(confidence)
    as_of = pd.Timestamp(as_of)
    require_columns(surveys, [customer_col, date_col, nps_col], table="surveys")
    require_columns(lost, [customer_col], table="lost")
    sv = surveys.loc[pd.to_datetime(surveys[date_col]) <= as_of,
                     [customer_col, date_col, nps_col]].copy()
    sv["nps_group"] = nps_group(sv[nps_col], bands=bands, table="surveys", column=nps_col)
    sv = sv[sv["nps_group"].notna()]
    latest = (sv.sort_values([customer_col, date_col], kind="stable")
              .drop_duplicates(customer_col, keep="last")[[customer_col, "nps_group"]])
    if churned_col in lost.columns:
        churned_ids = lost.loc[lost[churned_col].astype(bool), customer_col]
    elif lost_on_col in lost.columns:
        churned_ids = lost.loc[pd.to_datetime(lost[lost_on_col]) <= as_of, customer_col]
    else:
        churned_ids = lost[customer_col]
    latest["churned"] = latest[customer_col].isin(set(churned_ids)).astype(int)
    start = as_of - pd.Timedelta(days=window_days - 1)
    tot = summary.totals(transactions, by=(customer_col,), start=start, as_of=as_of,
                         date_col=date_col, amount_col=amount_col, cost_col=cost_col,
                         quantity_col=None, order_col=None)
    tot = tot[["sales", "gross_profit"]]
    latest = latest.join(tot, on=customer_col)
    latest[["sales", "gross_profit"]] = latest[["sales", "gross_profit"]].fillna(0.0)
    g = latest.groupby("nps_group")
    agg = pd.DataFrame({
        "customers": g.size(),
        "churned": g["churned"].sum(),
        "mean_sales": g["sales"].mean(),
        "median_sales": g["sales"].median(),
        "mean_gross_profit": g["gross_profit"].mean(),
    }).reindex(list(NPS_GROUPS))
    agg[["customers", "churned"]] = agg[["customers", "churned"]].fillna(0).astype(int)
    p, lo, hi = wilson(agg["churned"], agg["customers"], z)
    out = pd.DataFrame({
        "nps_group": list(NPS_GROUPS),
        "customers": agg["customers"].to_numpy(),
        "churned": agg["churned"].to_numpy(),
        "churn_rate": p,
        "churn_lower": lo,
        "churn_upper": hi,
        "mean_sales": agg["mean_sales"].to_numpy(),
        "median_sales": agg["median_sales"].to_numpy(),
        "mean_gross_profit": agg["mean_gross_profit"].to_numpy(),
    })
    out["small_group"] = out["customers"] < min_n
    return out
