"""Grading customers: ABC classes, the customer pyramid, tier migration, key accounts, service levels.

Every business rule is a parameter whose default is a public read-only constant of this module
(:data:`ABC_CUTOFFS`, :data:`TIER_SIZES`, :data:`TIER_NAMES`, :data:`PYRAMID_WEIGHTS`,
:data:`CREDIT_SCORES`, :data:`KEY_ACCOUNT_RULES`, :data:`INTERACTION_HOURS`,
:data:`IMPORTANT_INDUSTRIES`, :data:`SERVICE_TARGETS`, :data:`CARE_PLANS`, :data:`TIERING_RULES`), so that a notebook can
show it and a trainer can change it. The rules are explained in ``docs/tiering.md``.

Per-customer results are indexed by the customer id (index name ``customer_col``), like the
frames of :mod:`crm_lib.summary`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib import customers as _cust
from crm_lib import summary as _summary
from crm_lib._errors import DataError, DataWarning, fail_rows, require_columns, require_one_of
from crm_lib._frames import index_by_customer, largest_first
from crm_lib._notebook import accepts_absent, skipped
from crm_lib.schema import CREDIT_RATINGS

__all__ = [
    "ABC_CUTOFFS",
    "ABC_CLASSES",
    "ABC_VALUES",
    "TIER_NAMES",
    "pyramid_at",
    "TIER_SIZES",
    "PYRAMID_INDICATORS",
    "PYRAMID_WEIGHTS",
    "CREDIT_SCORES",
    "NORMALISATIONS",
    "KEY_ACCOUNT_CRITERIA",
    "CRITERIA_SEPARATOR",
    "KEY_ACCOUNT_TYPES",
    "KEY_ACCOUNT_RULES",
    "INTERACTION_HOURS",
    "IMPORTANT_INDUSTRIES",
    "SERVICE_TARGETS",
    "BLACKLISTED",
    "UNRANKED",
    "NO_TIER",
    "CARE_PLANS",
    "abc_values",
    "abc_classes",
    "abc_table",
    "abc_summary",
    "pyramid_indicators",
    "pyramid_tiers",
    "tier_summary",
    "tier_migration",
    "migration_matrix",
    "key_accounts",
    "service_priority",
    "service_levels",
    "care_plan_table",
    "TIERING_CONDITIONS",
    "TIERING_MEASURES",
    "TIERING_RULES",
    "TIERING_VERDICTS",
    "gini",
    "top_share",
    "tiering_conditions",
    "tiering_verdict",
]

# --------------------------------------------------------------------------------------------
# Constants (the business rules)
# --------------------------------------------------------------------------------------------

#: Cumulative shares of value that close class A and class B.
ABC_CUTOFFS: tuple[float, float] = (0.7, 0.9)
#: The ABC class labels, best first.
ABC_CLASSES: tuple[str, str, str] = ("A", "B", "C")
#: The values ABC can rank customers by (columns of :func:`pyramid_indicators`).
ABC_VALUES: tuple[str, ...] = ("sales", "gross_profit")

#: Pyramid tier names, best first (Chinese names in the catalogue).
TIER_NAMES: tuple[str, ...] = ("VIP", "major", "ordinary", "small")
#: Share of customers in each tier, best first; must sum to 1.
TIER_SIZES: tuple[float, ...] = (0.01, 0.04, 0.15, 0.80)

#: The indicators of the pyramid score, in the order a weight sequence refers to them.
PYRAMID_INDICATORS: tuple[str, ...] = (
    "cumulative_sales",
    "average_sales",
    "profit_margin",
    "sales_growth",
    "profit_growth",
    "credit_status",
)
#: Default weight of each indicator (they are rescaled to sum to 1).
PYRAMID_WEIGHTS = MappingProxyType(
    {
        "cumulative_sales": 0.30,
        "average_sales": 0.20,
        "profit_margin": 0.15,
        "sales_growth": 0.10,
        "profit_growth": 0.10,
        "credit_status": 0.15,
    }
)
#: Credit status as a number: ratings A-D, "unrated" for an empty rating, blacklisted lowest.
CREDIT_SCORES = MappingProxyType(
    {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "unrated": 0.5, "blacklisted": 0.0}
)
#: How indicators are put on a common 0-1 scale.
NORMALISATIONS: tuple[str, ...] = ("rank", "minmax")

#: The key-account criteria (flag columns of :func:`key_accounts`).
KEY_ACCOUNT_CRITERIA: tuple[str, ...] = (
    "profit_leader",
    "target_critical",
    "growth_room",
    "loss_impact",
    "time_intensive",
)
#: Joins the criterion keys in the ``criteria`` column of :func:`key_accounts` (a fixed separator,
#: whatever the report language: ``crm_lib.plots.localize_criteria`` renders it per language).
CRITERIA_SEPARATOR: str = ", "
#: Key-account types in order of precedence (the first that applies is reported).
KEY_ACCOUNT_TYPES: tuple[str, ...] = ("group", "important", "strategic", "economic")
#: The thresholds of the key-account criteria (see :func:`key_accounts`).
KEY_ACCOUNT_RULES = MappingProxyType(
    {
        "profit_share": 0.5,   # profit_leader: among the customers making the first 50% of gross profit
        "sales_share": 0.005,  # target_critical: at least 0.5% of company sales in the window
        "growth_min": 0.2,     # growth_room: sales up at least 20% on the previous window ...
        "growth_size": 0.5,    # ... and sales at least the median (quantile 0.5) of buying customers
        "rep_share": 0.10,     # loss_impact: at least 10% of their sales rep's gross profit
        "time_top": 0.05,      # time_intensive: among the top 5% of customers by contact hours
        "min_criteria": 2,     # a key account meets at least 2 criteria
        "group_min": 2,        # group: at least 2 customers under the same parent_company
    }
)
#: Estimated staff hours per interaction type (time_intensive criterion).
INTERACTION_HOURS = MappingProxyType(
    {"visit": 3.0, "meeting": 2.0, "event": 2.0, "call": 0.5, "email": 0.25}
)
#: Industries whose customers count as "important" key accounts (public bodies, key projects).
IMPORTANT_INDUSTRIES: tuple[str, ...] = (
    "government",
    "public_sector",
    "public sector",
    "education",
    "healthcare",
    "utilities",
)

#: Target share of calls answered within the threshold, per tier.
SERVICE_TARGETS = MappingProxyType({"VIP": 0.90, "major": 0.85, "ordinary": 0.85, "small": 0.85})
#: The service group of blacklisted customers (always last in the queue, no target).
BLACKLISTED = "blacklisted"
#: The service group of callers without a tier (not ranked, e.g. no purchases yet).
UNRANKED = "unranked"

#: What each tier gets; the values are catalogue keys (English/Chinese text in tiering.yaml).
CARE_PLANS = MappingProxyType(
    {
        "VIP": MappingProxyType(
            {
                "care_contact": "care_contact_vip",
                "care_visits": "care_visits_vip",
                "care_service": "care_service_vip",
                "care_terms": "care_terms_vip",
                "care_extras": "care_extras_vip",
            }
        ),
        "major": MappingProxyType(
            {
                "care_contact": "care_contact_major",
                "care_visits": "care_visits_major",
                "care_service": "care_service_major",
                "care_terms": "care_terms_major",
                "care_extras": "care_extras_major",
            }
        ),
        "ordinary": MappingProxyType(
            {
                "care_contact": "care_contact_ordinary",
                "care_visits": "care_visits_ordinary",
                "care_service": "care_service_ordinary",
                "care_terms": "care_terms_ordinary",
                "care_extras": "care_extras_ordinary",
            }
        ),
        "small": MappingProxyType(
            {
                "care_contact": "care_contact_small",
                "care_visits": "care_visits_small",
                "care_service": "care_service_small",
                "care_terms": "care_terms_small",
                "care_extras": "care_extras_small",
            }
        ),
        BLACKLISTED: MappingProxyType(
            {
                "care_contact": "care_contact_blacklisted",
                "care_visits": "care_visits_blacklisted",
                "care_service": "care_service_blacklisted",
                "care_terms": "care_terms_blacklisted",
                "care_extras": "care_extras_blacklisted",
            }
        ),
    }
)

_EPS = 1e-9

# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _check_values(values: pd.Series, name: str = "values") -> pd.Series:
    """A numeric Series with a unique index and no empty values, as float."""
    if isinstance(values, pd.DataFrame) or not isinstance(values, pd.Series):
        raise DataError(
            f"`{name}` must be a pandas Series of one value per customer (indexed by customer id), "
            f"got {type(values).__name__}. Select one column, e.g. totals['sales']."
        )
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise DataError(f"`{name}` must be numeric, got dtype {values.dtype}.")
    out = values.astype("float64")
    fail_rows(name, str(values.name or "value"), out, out.isna().to_numpy(), "filled in")
    fail_rows(name, str(values.name or "value"), out, ~np.isfinite(out.to_numpy()), "finite")
    dup = values.index.duplicated(keep=False)
    if dup.any():
        ids = pd.Series(values.index[dup], index=values.index[dup])
        raise DataError(
            f"`{name}` must have one value per customer; {int(dup.sum())} rows share a customer id "
            f"(first: {', '.join(map(repr, ids.iloc[:3].tolist()))}). Aggregate per customer first."
        )
    return out


def _check_cutoffs(cutoffs: Sequence[float]) -> tuple[float, float]:
    try:
        c = tuple(float(x) for x in cutoffs)
    except (TypeError, ValueError):
        raise DataError(f"`cutoffs` must be two numbers, got {cutoffs!r}.") from None
    if len(c) != 2 or not (0 < c[0] < c[1] <= 1):
        raise DataError(
            f"`cutoffs` must be two increasing shares within (0, 1], got {tuple(cutoffs)!r}."
        )
    return c


def _check_tiers(tier_sizes: Sequence[float], tier_names: Sequence[str]) -> tuple[np.ndarray, list]:
    sizes = np.asarray(tier_sizes, dtype="float64")
    names = list(tier_names)
    if sizes.ndim != 1 or len(sizes) < 1 or (sizes <= 0).any():
        raise DataError(f"`tier_sizes` must be positive shares, got {tuple(tier_sizes)!r}.")
    if abs(sizes.sum() - 1) > 1e-6:
        raise DataError(
            f"`tier_sizes` must sum to 1, got {sizes.sum():g} ({tuple(tier_sizes)!r})."
        )
    if len(names) != len(sizes):
        raise DataError(
            f"`tier_names` must name each of the {len(sizes)} tiers, got {len(names)} names "
            f"({names!r})."
        )
    if len(set(names)) != len(names):
        raise DataError(f"`tier_names` must be distinct, got {names!r}.")
    return sizes, names


def _check_weights(weights: Mapping[str, float] | Sequence[float]) -> pd.Series:
    """Weights per indicator as a Series over PYRAMID_INDICATORS, rescaled to sum to 1."""
    n = len(PYRAMID_INDICATORS)
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in PYRAMID_INDICATORS]
        if unknown:
            raise DataError(
                f"`weights` has unknown indicator {unknown[0]!r}; "
                f"expected some of {list(PYRAMID_INDICATORS)}."
            )
        w = pd.Series({k: float(weights.get(k, 0.0)) for k in PYRAMID_INDICATORS})
    else:
        vals = list(weights)
        if len(vals) != n:
            raise DataError(
                f"`weights` must have {n} values, one per indicator {list(PYRAMID_INDICATORS)}, "
                f"got {len(vals)}."
            )
        w = pd.Series([float(v) for v in vals], index=list(PYRAMID_INDICATORS))
    if (w < 0).any() or not np.isfinite(w).all():
        bad = w[(w < 0) | ~np.isfinite(w)]
        raise DataError(
            f"`weights` must be zero or positive, got {bad.index[0]}={bad.iloc[0]:g}."
        )
    if w.sum() <= 0:
        raise DataError("`weights` must have at least one positive weight, got all zero.")
    return w / w.sum()


def _position_classes(n: int, cum_shares: np.ndarray) -> np.ndarray:
    """Class number (0, 1, ...) of ranked positions 1..n by the share of customers before each.

    A position belongs to class k when the share of customers ranked before it is below the
    cumulative size of classes 0..k (so the customer that crosses a boundary stays above it).
    """
    before = np.arange(n) / max(n, 1)
    return np.searchsorted(np.asarray(cum_shares) - _EPS, before, side="right")


# --------------------------------------------------------------------------------------------
# ABC
# --------------------------------------------------------------------------------------------


def abc_values(indicators: pd.DataFrame, *, abc_by: str = "sales",
               customer_col: str = "customer_id") -> pd.Series:
    """The value per customer that ABC ranks by, picked from a per-customer frame.

    Parameters
    ----------
    indicators : DataFrame
        One row per customer (id as column or index), e.g. :func:`pyramid_indicators`.
    abc_by : {"sales", "gross_profit"}, default "sales"
        The value to rank by (:data:`ABC_VALUES`).

    Returns
    -------
    Series
        Named ``abc_by``, indexed by customer id.

    Examples
    --------
    >>> ind = pd.DataFrame({"customer_id": ["a"], "sales": [5.0], "gross_profit": [2.0]})
    >>> abc_values(ind, abc_by="gross_profit").tolist()
    [2.0]
    """
    require_one_of("abc_by", abc_by, ABC_VALUES)
    frame = index_by_customer(indicators, customer_col, "indicators")
    require_columns(frame, [abc_by], table="indicators")
    return frame[abc_by].copy()


def abc_table(values: pd.Series, *, cutoffs: Sequence[float] = ABC_CUTOFFS) -> pd.DataFrame:
    """The ABC ranking behind :func:`abc_classes`, one row per customer, best first (Pareto data).

    Parameters
    ----------
    values : Series
        Value per customer (e.g. sales or gross profit), indexed by customer id.
        Negative totals (net returns) count as zero.
    cutoffs : (float, float), default (0.7, 0.9)
        Cumulative shares of value that close class A and class B.

    Returns
    -------
    DataFrame
        Indexed like ``values`` (same index name), sorted by rank: ``value`` (negatives set to
        zero), ``rank`` (1 = largest; ties broken by customer id, ascending), ``share`` (of the
        total), ``share_before`` (cumulative share of the customers ranked before),
        ``cumulative_share``, ``customer_share`` (cumulative share of customers) and
        ``abc_class``.

    Examples
    --------
    >>> abc_table(pd.Series({"a": 70.0, "b": 20.0, "c": 10.0}))["abc_class"].tolist()
    ['A', 'B', 'C']
    """
    return _abc(values, cutoffs, stacklevel=3)


def _abc(values: pd.Series, cutoffs: Sequence[float], *, stacklevel: int) -> pd.DataFrame:
    c1, c2 = _check_cutoffs(cutoffs)
    v = _check_values(values)
    value = v.clip(lower=0.0)
    order = pd.DataFrame({"_id": value.index.to_numpy(), "_v": value.to_numpy()})
    try:
        order = order.sort_values(["_v", "_id"], ascending=[False, True])
    except TypeError:
        raise DataError(
            "`values` must have customer ids of one type (all text or all numbers) to break ties."
        ) from None
    vals = order["_v"].to_numpy()
    n = len(vals)
    total = vals.sum()
    cum = np.cumsum(vals)
    before = np.concatenate([[0.0], cum[:-1]]) if n else cum
    if n and total <= 0:
        warnings.warn(
            f"All {n} customers have zero (or negative) value: everyone is classed C.",
            DataWarning,
            stacklevel=stacklevel,
        )
        share = np.zeros(n)
        share_before = np.ones(n)
        cum_share = np.zeros(n)
    else:
        share = vals / total if n else vals
        share_before = before / total if n else before
        cum_share = cum / total if n else cum
    cls = np.select(
        [share_before < c1 - _EPS, share_before < c2 - _EPS], ["A", "B"], default="C"
    )
    out = pd.DataFrame(
        {
            "value": vals,
            "rank": np.arange(1, n + 1),
            "share": share,
            "share_before": share_before,
            "cumulative_share": cum_share,
            "customer_share": np.arange(1, n + 1) / max(n, 1),
            "abc_class": pd.array(cls, dtype="str") if n else pd.array([], dtype="str"),
        },
        index=pd.Index(order["_id"].to_numpy(), name=values.index.name, dtype=values.index.dtype),
    )
    return out


def abc_classes(values: pd.Series, *, cutoffs: Sequence[float] = ABC_CUTOFFS) -> pd.Series:
    """Class customers A/B/C by their cumulative share of total value.

    Customers are ranked by value, largest first (equal values: the smaller customer id first).
    A customer is **A** when the customers ranked before it make up less than ``cutoffs[0]`` of
    the total, **B** when they make up less than ``cutoffs[1]``, **C** otherwise. So the customer
    that crosses a cut-off belongs to the upper class: with (0.7, 0.9) and values 60, 30, 10 the
    second customer (cumulative 60% -> 90%) is A.

    Parameters
    ----------
    values : Series
        Value per customer (e.g. sales or gross profit), indexed by customer id. Negative totals
        (more returned than bought) count as zero; empty values are an error.
    cutoffs : (float, float), default :data:`ABC_CUTOFFS` (0.7, 0.9)
        Cumulative shares of value that close class A and class B; increasing, within (0, 1].

    Returns
    -------
    Series
        ``abc_class``: "A", "B" or "C" per customer, same index (and order) as ``values``.
        A single customer with positive value is A. When no customer has positive value everyone
        is C and a :class:`~crm_lib._errors.DataWarning` says so.

    Examples
    --------
    >>> abc_classes(pd.Series({"a": 60.0, "b": 30.0, "c": 10.0})).tolist()
    ['A', 'A', 'C']
    """
    table = _abc(values, cutoffs, stacklevel=4)
    return table["abc_class"].reindex(values.index).rename("abc_class")


def abc_summary(
    values: pd.Series,
    *,
    cutoffs: Sequence[float] = ABC_CUTOFFS,
    value_name: str | None = None,
) -> pd.DataFrame:
    """Customers and value per ABC class.

    Parameters
    ----------
    values : Series
        Value per customer, as for :func:`abc_classes`.
    cutoffs : (float, float), default (0.7, 0.9)
        As for :func:`abc_classes`.
    value_name : str, optional
        Name of the value columns; defaults to ``values.name`` or ``"sales"``.

    Returns
    -------
    DataFrame
        Indexed by ``abc_class`` (A, B, C, all present): ``customers``, ``customer_share``,
        ``<value_name>`` (negatives counted as zero) and ``<value_name>_share``. Shares sum to 1
        (the value share is 0 everywhere when no customer has positive value).

    Examples
    --------
    >>> abc_summary(pd.Series({"a": 70.0, "b": 20.0, "c": 10.0}))["customers"].tolist()
    [1, 1, 1]
    """
    name = value_name or (str(values.name) if values.name is not None else "sales")
    table = _abc(values, cutoffs, stacklevel=4)
    g = table.groupby("abc_class")["value"].agg(["size", "sum"]).reindex(list(ABC_CLASSES))
    n = len(table)
    total = table["value"].sum()
    customers = g["size"].fillna(0).astype("int64")
    value = g["sum"].fillna(0.0)
    out = pd.DataFrame(
        {
            "customers": customers,
            "customer_share": customers / n if n else 0.0,
            name: value,
            f"{name}_share": value / total if total > 0 else 0.0,
        }
    )
    out.index.name = "abc_class"
    return out


# --------------------------------------------------------------------------------------------
# The customer pyramid
# --------------------------------------------------------------------------------------------


def pyramid_indicators(
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp,
    window_months: int = 12,
    credit_scores: Mapping[str, float] = CREDIT_SCORES,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    cost_col: str = "cost",
    rating_col: str = "credit_rating",
    blacklisted_col: str = "blacklisted",
) -> pd.DataFrame:
    """The six pyramid indicators per customer who bought on or before ``as_of``.

    Sales and profit come from :func:`crm_lib.customers.customer_indicators` (which uses
    :mod:`crm_lib.summary`); ``credit_status`` maps the customer's credit rating through
    ``credit_scores`` (an empty rating is "unrated"; a blacklisted customer gets the
    "blacklisted" score, the lowest).

    Parameters
    ----------
    transactions : DataFrame
        One row per order line (returns as negative rows).
    customers : DataFrame, optional
        The customers table, for ``credit_rating`` and ``blacklisted``; without it everyone is
        "unrated".
    as_of : date
        The last day counted.
    window_months : int, default 12
        Length of the recent window (average sales, margin) and of the comparison window (growth).
    credit_scores : mapping, default :data:`CREDIT_SCORES`
        Score of each rating, of "unrated" and of "blacklisted".

    Returns
    -------
    DataFrame
        Indexed by customer id: ``cumulative_sales`` (all sales to ``as_of``), ``average_sales``
        (monthly, over the months active in the window), ``profit_margin``, ``sales_growth``,
        ``profit_growth`` (against the previous window; 0 when neither window is positive, empty
        when only the recent one is), ``credit_status`` (the score), ``credit_class`` (A-D,
        "unrated" or "blacklisted"), and ``sales``, ``gross_profit`` of the window.
        ``attrs`` holds ``as_of``, ``window_start`` and ``previous_start``. The credit rating is
        the customers table's current one, also for a past ``as_of``.

    Examples
    --------
    >>> tx = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-02-01"]), "product_id": ["p", "p"],
    ...     "quantity": [1.0, 1.0], "amount": [100.0, 50.0], "cost": [60.0, 20.0]})
    >>> pyramid_indicators(tx, as_of="2026-03-31")["profit_margin"].tolist()
    [0.4, 0.6]
    """
    ind = _cust.customer_indicators(
        transactions,
        as_of=as_of,
        window_months=window_months,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        cost_col=cost_col,
    )
    missing = [k for k in (*CREDIT_RATINGS, "unrated", "blacklisted") if k not in credit_scores]
    if missing:
        raise DataError(
            f"`credit_scores` must give a score for {missing[0]!r}; it has {list(credit_scores)}."
        )
    status = pd.Series("unrated", index=ind.index, dtype="str")
    if customers is not None:
        cust = index_by_customer(customers, customer_col, "customers")
        if rating_col in cust.columns:
            rating = cust[rating_col].reindex(ind.index)
            known = rating.isin(list(credit_scores)) & rating.notna()
            status = status.mask(known, rating.astype("str"))
        if blacklisted_col in cust.columns:
            black = cust[blacklisted_col].reindex(ind.index).fillna(False).astype(bool)
            status = status.mask(black, "blacklisted")
    scores = pd.Series(dict(credit_scores), dtype="float64")
    out = pd.DataFrame(
        {
            "cumulative_sales": ind["sales_to_date"],
            "average_sales": ind["average_sales"],
            "profit_margin": ind["profit_margin"],
            "sales_growth": ind["sales_growth"],
            "profit_growth": ind["profit_growth"],
            "credit_status": status.map(scores).astype("float64"),
            "credit_class": status,
            "sales": ind["sales"],
            "gross_profit": ind["gross_profit"],
        },
        index=ind.index,
    )
    out.attrs.update(ind.attrs)
    return out


def _normalise(col: pd.Series, method: str) -> pd.Series:
    """0 (worst) .. 1 (best); empty values get 0.5 (neutral).

    Values are rounded to 9 decimals first, so that sums that differ only by floating-point noise
    (e.g. a purchase and its full return) tie.
    """
    x = col.astype("float64").round(9)
    valid = x.notna()
    k = int(valid.sum())
    if method == "rank":
        r = x.rank(method="average")
        z = (r - 1) / (k - 1) if k > 1 else r * 0 + 0.5
    else:
        lo, hi = x.min(), x.max()
        z = (x - lo) / (hi - lo) if k > 1 and hi > lo else x * 0 + 0.5
    return z.fillna(0.5)


def pyramid_tiers(
    indicators: pd.DataFrame,
    *,
    weights: Mapping[str, float] | Sequence[float] = PYRAMID_WEIGHTS,
    tier_sizes: Sequence[float] = TIER_SIZES,
    tier_names: Sequence[str] = TIER_NAMES,
    normalise: str = "rank",
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Place customers in the customer pyramid by a weighted score over normalised indicators.

    Each indicator with a positive weight is put on a 0-1 scale (``"rank"``: percentile rank,
    robust to a few huge customers; ``"minmax"``: (x - min) / (max - min)); an empty indicator
    value (e.g. growth of a customer who had no sales in the previous window) scores 0.5. The
    score is the weighted mean. Customers are ranked by score (ties: smaller customer id first)
    and cut into tiers by ``tier_sizes``: the customer at rank ``r`` of ``n`` goes to the first
    tier whose cumulative size is above ``(r - 1) / n`` (so the top tier is never empty, and with
    3000 customers the default sizes give 30 / 120 / 450 / 2400).

    Parameters
    ----------
    indicators : DataFrame
        One row per customer (customer id as column ``customer_col`` or as the index), with a
        numeric column per weighted indicator (see :func:`pyramid_indicators`).
    weights : mapping or sequence, default :data:`PYRAMID_WEIGHTS`
        A mapping indicator -> weight (missing indicators weigh 0), or six weights in the order
        of :data:`PYRAMID_INDICATORS`. Rescaled to sum to 1.
    tier_sizes : sequence of float, default :data:`TIER_SIZES` (0.01, 0.04, 0.15, 0.80)
        Share of customers per tier, best first; positive, summing to 1.
    tier_names : sequence of str, default :data:`TIER_NAMES`
        One name per tier, best first.
    normalise : {"rank", "minmax"}, default "rank"

    Returns
    -------
    DataFrame
        Indexed by customer id, sorted by rank: the weighted indicator columns, ``<indicator>_norm``
        per weighted indicator, ``score`` (0-1), ``rank`` (1 = best) and ``tier``.

    Examples
    --------
    >>> ind = pd.DataFrame({"customer_id": ["a", "b"], "cumulative_sales": [10.0, 20.0]})
    >>> pyramid_tiers(ind, weights={"cumulative_sales": 1}, tier_sizes=(0.5, 0.5),
    ...               tier_names=("top", "rest"))["tier"].to_dict()
    {'b': 'top', 'a': 'rest'}
    """
    w = _check_weights(weights)
    sizes, names = _check_tiers(tier_sizes, tier_names)
    require_one_of("normalise", normalise, NORMALISATIONS)
    frame = index_by_customer(indicators, customer_col, "indicators")
    used = [k for k in PYRAMID_INDICATORS if w[k] > 0]
    require_columns(frame, used, table="indicators")
    for k in used:
        col = frame[k]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise DataError(
                f"Column '{k}' in `indicators` must be numeric, got dtype {col.dtype}."
            )
        arr = col.to_numpy(dtype="float64", na_value=np.nan)
        fail_rows("indicators", k, col, np.isinf(arr), "finite")
    out = frame[used].astype("float64")
    score = pd.Series(0.0, index=out.index)
    for k in used:  # a loop over the (at most six) indicators, not over customers
        z = _normalise(out[k], normalise)
        out[f"{k}_norm"] = z
        score = score + w[k] * z
    out["score"] = score
    out = largest_first(out, score.to_numpy())
    n = len(out)
    out["rank"] = np.arange(1, n + 1)
    cls = _position_classes(n, np.cumsum(sizes))
    cls = np.minimum(cls, len(names) - 1)
    out["tier"] = pd.array(np.asarray(names, dtype=object)[cls] if n else [], dtype="str")
    out.index.name = customer_col
    return out


def tier_summary(
    pyramid: pd.DataFrame,
    *,
    tier_names: Sequence[str] = TIER_NAMES,
    value_col: str = "cumulative_sales",
    tier_col: str = "tier",
) -> pd.DataFrame:
    """Customers and value per pyramid tier.

    Parameters
    ----------
    pyramid : DataFrame
        One row per customer with ``tier_col`` and ``value_col`` (e.g. :func:`pyramid_tiers`).
    tier_names : sequence of str
        The tiers, best first (all are listed, empty ones with zero customers).

    Returns
    -------
    DataFrame
        Indexed by ``tier``: ``customers``, ``customer_share``, ``<value_col>``,
        ``<value_col>_share`` (negatives counted as zero), ``score_min``, ``score_mean``
        (when the frame has ``score``).

    Examples
    --------
    >>> p = pd.DataFrame({"tier": ["VIP", "small"], "cumulative_sales": [90.0, 10.0]})
    >>> tier_summary(p)["customers"].tolist()
    [1, 0, 0, 1]
    """
    require_columns(pyramid, [tier_col, value_col], table="pyramid")
    names = list(tier_names)
    unknown = ~pyramid[tier_col].isin(names)
    fail_rows("pyramid", tier_col, pyramid[tier_col], unknown.to_numpy(), f"one of {names}")
    val = pyramid[value_col].astype("float64").clip(lower=0)
    g = val.groupby(pyramid[tier_col]).agg(["size", "sum"]).reindex(names)
    n = len(pyramid)
    customers = g["size"].fillna(0).astype("int64")
    total = val.sum()
    out = pd.DataFrame(
        {
            "customers": customers,
            "customer_share": customers / n if n else 0.0,
            value_col: g["sum"].fillna(0.0),
            f"{value_col}_share": g["sum"].fillna(0.0) / total if total > 0 else 0.0,
        }
    )
    if "score" in pyramid.columns:
        s = pyramid["score"].groupby(pyramid[tier_col]).agg(["min", "mean"]).reindex(names)
        out["score_min"] = s["min"]
        out["score_mean"] = s["mean"]
    out.index.name = "tier"
    return out


# --------------------------------------------------------------------------------------------
# Migration
# --------------------------------------------------------------------------------------------

#: Label used in migration tables for "no tier in that period".
NO_TIER = "no_tier"


def pyramid_at(
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp,
    window_months: int = 12,
    weights: Mapping[str, float] | Sequence[float] = PYRAMID_WEIGHTS,
    tier_sizes: Sequence[float] = TIER_SIZES,
    date_col: str = "date",
) -> pd.DataFrame:
    """The customer pyramid at an earlier day, for tier migration; skipped when the data are too short.

    Parameters
    ----------
    transactions, customers : DataFrame
        As for :func:`pyramid_indicators`.
    as_of : date
        The earlier day (e.g. the report day a year before).
    window_months, weights, tier_sizes
        As for :func:`pyramid_indicators` and :func:`pyramid_tiers`.

    Returns
    -------
    DataFrame
        :func:`pyramid_tiers` at ``as_of``; when no transaction falls on or before ``as_of``, an
        empty frame of the same columns that carries the reason ``note_short_history`` (with
        ``needs`` = ``as_of`` and ``first`` = the first transaction day), which
        :func:`tier_migration`, :func:`migration_matrix` and every chart pass on as a note.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-03-01"]),
    ...                    "amount": [10.0]})
    >>> from crm_lib._notebook import skip_reason
    >>> skip_reason(pyramid_at(tx, as_of="2023-03-31"))["reason"]
    'note_short_history'
    """
    as_of = pd.Timestamp(as_of)
    first = pd.to_datetime(transactions[date_col]).min()
    if pd.isna(first) or first > as_of:
        cols = ["cumulative_sales", "average_sales", "profit_margin", "sales_growth", "profit_growth",
                "credit_status", "score", "rank", "tier"]
        return skipped("note_short_history", columns=cols, needs=as_of, first=first)
    indicators = pyramid_indicators(transactions, customers, as_of=as_of, window_months=window_months)
    return pyramid_tiers(indicators, weights=weights, tier_sizes=tier_sizes)


@accepts_absent(columns=('tier_before', 'tier_after', 'steps', 'movement'))
def tier_migration(
    tiers_before: pd.Series,
    tiers_after: pd.Series,
    *,
    tier_names: Sequence[str] = TIER_NAMES,
) -> pd.DataFrame:
    """Who moved up or down the pyramid between two periods.

    Parameters
    ----------
    tiers_before, tiers_after : Series
        Tier per customer (indexed by customer id) in the earlier and the later period, e.g.
        ``pyramid_tiers(...)["tier"]``. A customer may be missing from one of them.
    tier_names : sequence of str, default :data:`TIER_NAMES`
        The tiers, best first.

    Returns
    -------
    DataFrame
        One row per customer in either period, indexed by customer id (sorted): ``tier_before``,
        ``tier_after`` ("no_tier" when absent), ``steps`` (tiers climbed: positive = up,
        negative = down; 0 when absent from a period) and ``movement``: "moved_up",
        "moved_down", "unchanged", "entered" (only in the later period) or "left" (only in the
        earlier one).

    Examples
    --------
    >>> tier_migration(pd.Series({"a": "small", "b": "VIP"}),
    ...                pd.Series({"a": "major", "b": "VIP"}))["movement"].tolist()
    ['moved_up', 'unchanged']
    """
    names = list(tier_names)
    level = {t: i for i, t in enumerate(names)}
    for name, s in (("tiers_before", tiers_before), ("tiers_after", tiers_after)):
        if not isinstance(s, pd.Series):
            raise DataError(f"`{name}` must be a pandas Series of tiers, got {type(s).__name__}.")
        fail_rows(name, str(s.name or "tier"), s, (~s.isin(names)).to_numpy(), f"one of {names}")
        if s.index.duplicated().any():
            raise DataError(f"`{name}` must have one tier per customer; some ids repeat.")
    idx = tiers_before.index.union(tiers_after.index)
    before = tiers_before.reindex(idx)
    after = tiers_after.reindex(idx)
    lb = before.map(level).astype("float64")
    la = after.map(level).astype("float64")
    steps = (lb - la).fillna(0).astype("int64")
    movement = np.select(
        [before.isna(), after.isna(), steps > 0, steps < 0],
        ["entered", "left", "moved_up", "moved_down"],
        default="unchanged",
    )
    out = pd.DataFrame(
        {
            "tier_before": before.fillna(NO_TIER).astype("str"),
            "tier_after": after.fillna(NO_TIER).astype("str"),
            "steps": steps,
            "movement": pd.array(movement, dtype="str"),
        },
        index=idx,
    )
    out.index.name = tiers_after.index.name or tiers_before.index.name
    return out


@accepts_absent(columns=TIER_NAMES + ('no_tier',))
def migration_matrix(
    migration: pd.DataFrame, *, tier_names: Sequence[str] = TIER_NAMES
) -> pd.DataFrame:
    """Count customers by tier before (rows) and after (columns).

    Parameters
    ----------
    migration : DataFrame
        The result of :func:`tier_migration`.
    tier_names : sequence of str
        The tiers, best first; "no_tier" is added as the last row and column.

    Returns
    -------
    DataFrame
        Index ``tier_before``, columns ``tier_after``, integer counts (all tiers listed).

    Examples
    --------
    >>> m = tier_migration(pd.Series({"a": "small"}), pd.Series({"a": "major"}))
    >>> int(migration_matrix(m).loc["small", "major"])
    1
    """
    require_columns(migration, ["tier_before", "tier_after"], table="migration")
    order = [*tier_names, NO_TIER]
    m = pd.crosstab(migration["tier_before"], migration["tier_after"])
    m = m.reindex(index=order, columns=order, fill_value=0).astype("int64")
    m.index.name = "tier_before"
    m.columns.name = "tier_after"
    return m


# --------------------------------------------------------------------------------------------
# Key accounts
# --------------------------------------------------------------------------------------------


def key_accounts(
    indicators: pd.DataFrame,
    *,
    customers: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    as_of: str | pd.Timestamp | None = None,
    window_months: int = 12,
    rules: Mapping[str, float] = KEY_ACCOUNT_RULES,
    interaction_hours: Mapping[str, float] = INTERACTION_HOURS,
    important_industries: Sequence[str] = IMPORTANT_INDUSTRIES,
    customer_col: str = "customer_id",
    sales_col: str = "sales",
    profit_col: str = "gross_profit",
    growth_col: str = "sales_growth",
    rep_col: str = "sales_rep",
    kind_col: str = "kind",
    industry_col: str = "industry",
    parent_col: str = "parent_company",
    date_col: str = "date",
    type_col: str = "type",
) -> pd.DataFrame:
    """Flag key accounts: the criteria each customer meets and the key-account type.

    The criteria (thresholds in ``rules``, default :data:`KEY_ACCOUNT_RULES`):

    * ``profit_leader`` -- a leading profit contributor: among the customers who together make the
      first ``profit_share`` (50%) of gross profit in the window (ranked as in ABC: the customer
      crossing the line is included).
    * ``target_critical`` -- decisive for the sales target: at least ``sales_share`` (0.5%) of
      company sales in the window (set it to suit the size of the customer base).
    * ``growth_room`` -- room to grow: sales up at least ``growth_min`` (20%) on the previous
      window while already at least the ``growth_size`` quantile (median) of buying customers.
    * ``loss_impact`` -- losing them would hurt results badly: at least ``rep_share`` (10%) of
      their sales rep's gross profit in the window.
    * ``time_intensive`` -- the team already spends much of its time on them: among the top
      ``time_top`` (5%) of customers by estimated contact hours in the window (interactions
      weighted by ``interaction_hours`` per type), with at least one contact. Without an
      interactions table this criterion is not measured (False, with a DataWarning).

    A key account meets at least ``min_criteria`` (2) criteria. Its type is the first that
    applies of: ``group`` (a company whose ``parent_company`` has at least ``group_min`` (2)
    customers in the customers table), ``important`` (industry in ``important_industries``:
    public bodies, key projects), ``strategic`` (meets ``growth_room``: the potential matters
    more than today's volume), ``economic`` (the rest: valuable for their volume and profit).

    Parameters
    ----------
    indicators : DataFrame
        One row per customer (id as column or index) with ``sales``, ``gross_profit`` and
        ``sales_growth`` of the window (e.g. :func:`pyramid_indicators`).
    customers : DataFrame
        The customers table (``sales_rep``, ``kind``, ``industry``, ``parent_company`` where
        present).
    interactions : DataFrame, optional
        The interactions table (``customer_id``, ``date``, ``type``).
    as_of : date, optional
        End of the window for interactions (required with ``interactions``).
    window_months : int, default 12
        Length of the interactions window.

    Returns
    -------
    DataFrame
        Indexed by customer id (rows of ``indicators``): ``sales``, ``gross_profit``,
        ``sales_share``, ``rep_profit_share``, ``contact_hours``, one bool column per criterion,
        ``criteria_met`` (count), ``criteria``, ``is_key_account`` and ``key_account_type``
        (empty when not a key account).

        ``criteria`` holds the criteria met as their catalogue keys (the flag column names), in
        the order of :data:`KEY_ACCOUNT_CRITERIA`, joined by :data:`CRITERIA_SEPARATOR` (``", "``);
        ``""`` when none is met. It stays in keys, like every category value, so it can be
        translated: a joined string is not itself a catalogue key, so
        :func:`crm_lib.labels.localize` leaves it as it is; show it with
        ``crm_lib.plots.localize_criteria(frame, lang=...)`` (before ``localize`` or
        ``plots.table``), which renders each key by the catalogue in the report language.

    Examples
    --------
    >>> ind = pd.DataFrame({"customer_id": ["a", "b"], "sales": [900.0, 100.0],
    ...     "gross_profit": [300.0, 20.0], "sales_growth": [0.5, 0.0]})
    >>> cust = pd.DataFrame({"customer_id": ["a", "b"], "sales_rep": ["r1", "r1"]})
    >>> inter = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2026-10-01"]),
    ...     "type": ["visit"]})
    >>> ka = key_accounts(ind, customers=cust, interactions=inter, as_of="2026-10-31")
    >>> ka["criteria"].tolist()
    ['profit_leader, target_critical, growth_room, loss_impact, time_intensive', 'target_critical']
    >>> ka["key_account_type"].tolist()
    ['strategic', nan]
    """
    rule_keys = set(KEY_ACCOUNT_RULES)
    unknown = [k for k in rules if k not in rule_keys]
    if unknown:
        raise DataError(f"`rules` has unknown rule {unknown[0]!r}; expected {sorted(rule_keys)}.")
    r = {**KEY_ACCOUNT_RULES, **dict(rules)}
    ind = index_by_customer(indicators, customer_col, "indicators")
    require_columns(ind, [sales_col, profit_col, growth_col], table="indicators")
    cust = index_by_customer(customers, customer_col, "customers")
    idx = ind.index
    sales = ind[sales_col].astype("float64").fillna(0.0)
    profit = ind[profit_col].astype("float64").fillna(0.0)
    growth = ind[growth_col].astype("float64")

    out = pd.DataFrame({"sales": sales, "gross_profit": profit}, index=idx)
    total_sales = sales.clip(lower=0).sum()
    out["sales_share"] = sales.clip(lower=0) / total_sales if total_sales > 0 else 0.0

    # profit_leader: the ABC rule with cut-off profit_share
    if (profit > 0).any() and len(profit):
        share = float(r["profit_share"])
        leader = _abc(profit, stacklevel=3, cutoffs=(share, 1.0) if share < 1 else (0.999999, 1.0))
        out["profit_leader"] = leader["abc_class"].reindex(idx).eq("A") & (profit > 0)
    else:
        out["profit_leader"] = False
    out["target_critical"] = (out["sales_share"] >= float(r["sales_share"])) & (sales > 0)
    buyers = sales[sales > 0]
    size_line = buyers.quantile(float(r["growth_size"])) if len(buyers) else np.inf
    out["growth_room"] = (growth >= float(r["growth_min"])).fillna(False) & (sales >= size_line) & (
        sales > 0
    )

    rep = cust[rep_col].reindex(idx) if rep_col in cust.columns else pd.Series(np.nan, index=idx)
    pos = profit.clip(lower=0)
    rep_total = pos.groupby(rep).transform("sum") if rep.notna().any() else pos * np.nan
    rep_total = rep_total.where(rep.notna())
    out["rep_profit_share"] = (pos / rep_total).where(rep_total > 0)
    out["loss_impact"] = (out["rep_profit_share"] >= float(r["rep_share"])).fillna(False)

    hours = pd.Series(0.0, index=idx)
    if interactions is not None:
        if as_of is None:
            raise DataError("`as_of` is required with `interactions` (the end of the window).")
        require_columns(interactions, [customer_col, date_col, type_col], table="interactions")
        end = pd.Timestamp(as_of)
        start = end - pd.DateOffset(months=window_months) + pd.Timedelta(days=1)
        when = pd.to_datetime(interactions[date_col])
        inside = (when >= start) & (when <= end + pd.Timedelta(days=1) - pd.Timedelta(1))
        per_type = pd.Series(dict(interaction_hours), dtype="float64")
        h = interactions.loc[inside, type_col].map(per_type).fillna(0.0)
        hours = (
            h.groupby(interactions.loc[inside, customer_col]).sum().reindex(idx).fillna(0.0)
        )
        top = float(r["time_top"])
        if top > 0 and (hours > 0).any():
            line = hours.quantile(1 - top)
            out["time_intensive"] = (hours >= line) & (hours > 0)
        else:
            out["time_intensive"] = False
    else:
        warnings.warn(
            "No interactions table: the 'time_intensive' key-account criterion is not measured.",
            DataWarning,
            stacklevel=2,
        )
        out["time_intensive"] = False
    out["contact_hours"] = hours
    crit = list(KEY_ACCOUNT_CRITERIA)
    out[crit] = out[crit].astype(bool)
    out["criteria_met"] = out[crit].sum(axis=1).astype("int64")
    text = pd.Series("", index=idx, dtype="str")
    for c in crit:  # a loop over the five criteria, not over customers
        text = text + np.where(out[c], c + CRITERIA_SEPARATOR, "")
    out["criteria"] = text.str.removesuffix(CRITERIA_SEPARATOR)
    out["is_key_account"] = out["criteria_met"] >= int(r["min_criteria"])

    kind = cust[kind_col].reindex(idx) if kind_col in cust.columns else pd.Series(np.nan, index=idx)
    parent_all = cust[parent_col] if parent_col in cust.columns else pd.Series(dtype="str")
    sizes = parent_all.dropna().value_counts()
    parent = parent_all.reindex(idx)
    group = parent.map(sizes).fillna(0).ge(int(r["group_min"])) & parent.notna()
    group = group & (kind.eq("company") | kind.isna())
    industry = (
        cust[industry_col].reindex(idx).astype("str").str.lower()
        if industry_col in cust.columns
        else pd.Series("", index=idx)
    )
    important = industry.isin([s.lower() for s in important_industries])
    kind_type = np.select(
        [group.to_numpy(dtype=bool), important.to_numpy(dtype=bool), out["growth_room"].to_numpy()],
        ["group", "important", "strategic"],
        default="economic",
    )
    out["key_account_type"] = pd.Series(kind_type, index=idx, dtype="str").where(
        out["is_key_account"]
    )
    out.index.name = customer_col
    return out


# --------------------------------------------------------------------------------------------
# Service levels
# --------------------------------------------------------------------------------------------


def service_priority(
    tiers: pd.Series,
    *,
    customers: pd.DataFrame | None = None,
    tier_names: Sequence[str] = TIER_NAMES,
    customer_col: str = "customer_id",
    blacklisted_col: str = "blacklisted",
) -> pd.DataFrame:
    """The service group and queue priority of each customer.

    The group is the customer's tier, except that blacklisted customers form their own group
    ("blacklisted"), which is always served last, after the customers with no tier
    ("unranked"). Priority 1 is served first.

    Parameters
    ----------
    tiers : Series
        Tier per customer id.
    customers : DataFrame, optional
        The customers table with ``blacklisted``; customers blacklisted there but absent from
        ``tiers`` are included.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``service_group`` and ``priority`` (1 = first).

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "blacklisted": [True, False]})
    >>> service_priority(pd.Series({"a": "VIP", "b": "small"}), customers=c)["priority"].tolist()
    [6, 4]
    """
    names = list(tier_names)
    if not isinstance(tiers, pd.Series):
        raise DataError(f"`tiers` must be a pandas Series of tiers, got {type(tiers).__name__}.")
    fail_rows("tiers", str(tiers.name or "tier"), tiers, (~tiers.isin(names)).to_numpy(),
              f"one of {names}")
    group = tiers.astype("str")
    if customers is not None:
        cust = index_by_customer(customers, customer_col, "customers")
        require_columns(cust, [blacklisted_col], table="customers")
        black = cust[blacklisted_col].fillna(False).astype(bool)
        black_ids = black.index[black.to_numpy()]
        group = group.reindex(group.index.union(black_ids))
        group = group.mask(group.index.isin(black_ids), BLACKLISTED).fillna(UNRANKED)
    order = {g: i + 1 for i, g in enumerate([*names, UNRANKED, BLACKLISTED])}
    out = pd.DataFrame({"service_group": group.astype("str"), "priority": group.map(order)})
    out["priority"] = out["priority"].astype("int64")
    out.index.name = customer_col
    return out


@accepts_absent('service_calls', columns=('priority', 'calls', 'answered', 'within_threshold', 'service_level', 'target', 'gap', 'met', 'excluded'))
def service_levels(
    service_calls: pd.DataFrame,
    tiers: pd.Series,
    *,
    customers: pd.DataFrame | None = None,
    threshold_seconds: float = 20,
    targets: Mapping[str, float] = SERVICE_TARGETS,
    tier_names: Sequence[str] = TIER_NAMES,
    start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp | None = None,
    customer_col: str = "customer_id",
    at_col: str = "at",
    wait_col: str = "wait_seconds",
    answered_col: str = "answered",
    blacklisted_col: str = "blacklisted",
) -> pd.DataFrame:
    """Share of calls answered within ``threshold_seconds`` per tier, against its target.

    A call counts as "within" when it was answered and waited at most ``threshold_seconds``; the
    service level is within / all calls (an abandoned call counts against it). Blacklisted
    customers (from ``customers``) are always last: they leave their tier and are reported as
    their own group "blacklisted", with the last queue priority and no target. Callers without a
    tier are the group "unranked" (no target). An answered call without a wait time cannot be
    judged: it is counted in ``excluded`` (and a DataWarning is issued), not in ``calls``.

    Parameters
    ----------
    service_calls : DataFrame
        ``customer_id``, ``at`` (datetime), ``wait_seconds``, ``answered`` (bool).
    tiers : Series
        Tier per customer id (e.g. ``pyramid_tiers(...)["tier"]``).
    customers : DataFrame, optional
        The customers table, for ``blacklisted``.
    threshold_seconds : float, default 20
    targets : mapping, default :data:`SERVICE_TARGETS` (VIP 90%, other tiers 85%)
    start, as_of : date, optional
        Only calls on or after ``start`` and on or before the end of the day ``as_of``.

    Returns
    -------
    DataFrame
        Indexed by ``service_group`` (tiers best first, then "unranked" and "blacklisted" when they
        have calls or customers): ``priority``, ``calls``, ``answered``, ``within_threshold``,
        ``service_level``, ``target``, ``gap`` (service level minus target), ``met`` (bool, empty
        without target), ``excluded``.

    Examples
    --------
    >>> calls = pd.DataFrame({"customer_id": ["a", "a", "b"], "at": pd.to_datetime(["2026-01-01"] * 3),
    ...     "wait_seconds": [5.0, 30.0, 10.0], "answered": [True, True, True]})
    >>> service_levels(calls, pd.Series({"a": "VIP", "b": "small"}))["service_level"].tolist()
    [0.5, nan, nan, 1.0]
    """
    if threshold_seconds is None or not np.isfinite(threshold_seconds) or threshold_seconds < 0:
        raise DataError(f"`threshold_seconds` must be a number >= 0, got {threshold_seconds!r}.")
    bad = {k: v for k, v in targets.items() if v is not None and not (0 <= float(v) <= 1)}
    if bad:
        k = next(iter(bad))
        raise DataError(f"`targets` must be shares within [0, 1], got {k}={bad[k]!r}.")
    require_columns(
        service_calls, [customer_col, at_col, wait_col, answered_col], table="service_calls"
    )
    prio = service_priority(
        tiers, customers=customers, tier_names=tier_names, customer_col=customer_col,
        blacklisted_col=blacklisted_col,
    )
    calls = service_calls
    keep = pd.Series(True, index=calls.index)
    at = pd.to_datetime(calls[at_col])
    if start is not None:
        keep &= at >= pd.Timestamp(start)
    if as_of is not None:
        keep &= at < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    calls = calls.loc[keep]
    group = calls[customer_col].map(prio["service_group"]).fillna(UNRANKED).astype("str")
    answered = calls[answered_col].fillna(False).astype(bool)
    wait = calls[wait_col].astype("float64")
    unusable = answered & wait.isna()
    if unusable.any():
        warnings.warn(
            f"{int(unusable.sum())} answered calls in `service_calls` have no '{wait_col}' and "
            "are excluded from the service levels.",
            DataWarning,
            stacklevel=2,
        )
    within = answered & (wait <= threshold_seconds) & ~unusable
    frame = pd.DataFrame(
        {
            "group": group,
            "calls": (~unusable).astype("int64"),
            "answered": (answered & ~unusable).astype("int64"),
            "within_threshold": within.astype("int64"),
            "excluded": unusable.astype("int64"),
        }
    )
    agg = frame.groupby("group")[["calls", "answered", "within_threshold", "excluded"]].sum()
    groups = list(tier_names)
    extra = [g for g in (UNRANKED, BLACKLISTED)
             if g in agg.index or (prio["service_group"] == g).any()]
    out = agg.reindex([*groups, *extra]).fillna(0).astype("int64")
    order = {g: i + 1 for i, g in enumerate([*tier_names, UNRANKED, BLACKLISTED])}
    out.insert(0, "priority", [order[g] for g in out.index])
    out["service_level"] = (out["within_threshold"] / out["calls"]).where(out["calls"] > 0)
    tgt = pd.Series({k: (np.nan if v is None else float(v)) for k, v in targets.items()},
                    dtype="float64")
    out["target"] = tgt.reindex(out.index).where(
        ~out.index.isin([UNRANKED, BLACKLISTED])
    ).to_numpy()
    out["gap"] = out["service_level"] - out["target"]
    met = (out["service_level"] >= out["target"] - _EPS).astype("boolean")
    out["met"] = met.mask(out["gap"].isna())
    out = out[["priority", "calls", "answered", "within_threshold", "service_level", "target",
               "gap", "met", "excluded"]]
    out.index.name = "service_group"
    return out


def care_plan_table(care_plans: Mapping[str, Mapping[str, str]] = CARE_PLANS) -> pd.DataFrame:
    """The care plan per tier as a table (rows: tiers, columns: aspects of care).

    Parameters
    ----------
    care_plans : mapping, default :data:`CARE_PLANS`
        Tier -> {aspect: what the tier gets}. The defaults are catalogue keys, so
        ``labels.localize`` shows them in English or Chinese.

    Returns
    -------
    DataFrame
        Indexed by ``tier``; one column per aspect (``care_contact``, ``care_visits``,
        ``care_service``, ``care_terms``, ``care_extras`` by default).

    Examples
    --------
    >>> care_plan_table().loc["VIP", "care_contact"]
    'care_contact_vip'
    """
    if not isinstance(care_plans, Mapping) or not all(
        isinstance(v, Mapping) for v in care_plans.values()
    ):
        raise DataError("`care_plans` must map each tier to a mapping {aspect: text}.")
    out = pd.DataFrame({t: dict(p) for t, p in care_plans.items()}).T
    out = out.astype("str")
    out.index.name = "tier"
    return out


# --------------------------------------------------------------------------------------------
# Is tiering worth it? The course's three conditions
# --------------------------------------------------------------------------------------------

TIERING_CONDITIONS: tuple[str, ...] = ("customers_per_rep", "repeat_purchase", "value_spread")
"""The course's three conditions under which grading customers pays, in the order it gives them."""

TIERING_MEASURES: tuple[str, ...] = ("customers_per_rep", "repeat_share", "gini", "top_share")
"""The measures behind the conditions (value spread has two: the Gini coefficient and the share of
the top customers)."""

TIERING_RULES = MappingProxyType(
    {
        "span_min": 6.0,      # the span of control: one person handles 6-20 customers personally
        "span_max": 20.0,     # more active customers per rep than this: one person cannot know them all
        "min_repeat_share": 0.5,  # at least half the customers bought on two days or more
        "min_gini": 0.4,      # Gini coefficient of customer value at least this
        "top_fraction": 0.2,  # "the top customers": this share of them
        "min_top_share": 0.5,  # ... hold at least this share of the value
    }
)
"""Thresholds of the three conditions (the span 6-20 is the course's; the others are this workbook's
reading of "customers buy at least twice" and "values differ clearly", see ``docs/tiering.md``)."""

TIERING_VERDICTS: tuple[str, ...] = ("tiering_pays", "tiering_partly_pays", "tiering_does_not_pay")
"""Verdicts: all three conditions met; two met; fewer than two met."""


def gini(values: pd.Series | Sequence[float]) -> float:
    """The Gini coefficient of customer values: 0 when all are equal, (n-1)/n when one holds all.

    ``G = 2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n`` over the values sorted ascending
    (``i`` = 1..n), which equals the mean absolute difference of all pairs over twice the mean.
    Negative values count as zero (as in ABC).

    Parameters
    ----------
    values : Series or sequence of float
        One value per customer.

    Returns
    -------
    float
        The coefficient; NaN when there are no values or they sum to zero.

    Examples
    --------
    >>> gini([1.0, 2.0, 3.0, 4.0])
    0.25
    >>> gini([0.0, 0.0, 0.0, 10.0])
    0.75
    """
    x = np.sort(np.clip(np.asarray(values, dtype="float64"), 0.0, None))
    n, total = len(x), float(x.sum()) if len(x) else 0.0
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2.0 * (i * x).sum() / (n * total) - (n + 1) / n)


def top_share(values: pd.Series | Sequence[float], *, fraction: float = 0.2) -> float:
    """The share of the total value held by the top ``fraction`` of customers.

    The top group is the ``ceil(fraction * n)`` largest values (at least one customer), so with
    10 customers and 0.2 it is the two largest. Negative values count as zero.

    Examples
    --------
    >>> top_share([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])  # (10 + 9) / 55
    0.34545454545454546
    """
    if not (0 < float(fraction) <= 1):
        raise DataError(f"`fraction` must be within (0, 1], got {fraction!r}.")
    x = np.sort(np.clip(np.asarray(values, dtype="float64"), 0.0, None))[::-1]
    total = float(x.sum()) if len(x) else 0.0
    if total <= 0:
        return float("nan")
    k = max(1, math.ceil(float(fraction) * len(x) - 1e-9))
    return float(x[:k].sum() / total)


def tiering_conditions(
    transactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp,
    window_months: int = 12,
    value: str = "sales",
    rules: Mapping[str, float] = TIERING_RULES,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    cost_col: str = "cost",
    rep_col: str = "sales_rep",
) -> pd.DataFrame:
    """The course's three conditions for tiering, measured on the data.

    1. *Too many customers for one person*: active customers (a purchase in the last
       ``window_months`` months) per sales rep, against the span of control 6-20; met above
       ``span_max``. Active customers without a rep are counted in ``unassigned`` and left out of
       the ratio.
    2. *Customers buy at least twice*: the share of customers who bought to ``as_of`` that bought
       on two days or more (:func:`crm_lib.summary.totals`' ``purchase_days``).
    3. *Values differ clearly*: the Gini coefficient (:func:`gini`) and the top-20% share
       (:func:`top_share`) of the active customers' ``value`` in the window; met when both reach
       their thresholds.

    Parameters
    ----------
    transactions : DataFrame
        The transaction log.
    customers : DataFrame, optional
        For the sales rep of each customer; without it (or without the rep column) the first
        condition is unknown.
    as_of : date
        The last day counted.
    window_months : int, default 12
        The window of "active" and of the value.
    value : {"sales", "gross_profit"}, default "sales"
        The customer value whose spread is measured.
    rules : mapping, default :data:`TIERING_RULES`
        The thresholds.

    Returns
    -------
    DataFrame
        Indexed by ``measure`` (:data:`TIERING_MEASURES`): ``condition``
        (:data:`TIERING_CONDITIONS`), ``value``, ``threshold``, ``condition_met`` (nullable boolean; empty
        when the measure cannot be computed), ``customers`` (the customers it is measured on),
        ``reps`` (first row only), ``unassigned`` (first row only).

    Examples
    --------
    >>> tx = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-01"]),
    ...     "amount": [100.0, 50.0, 50.0], "cost": [60.0, 20.0, 20.0]})
    >>> float(tiering_conditions(tx, as_of="2026-03-31").loc["repeat_share", "value"])
    0.5
    """
    require_one_of("value", value, ABC_VALUES)
    rules = _cust._check_rules(rules, TIERING_RULES, "rules")
    if not (0 < rules["span_min"] <= rules["span_max"]):
        raise DataError(
            f"`rules` must have 0 < span_min <= span_max, got {rules['span_min']:g}, {rules['span_max']:g}."
        )
    ind = _cust.customer_indicators(transactions, as_of=as_of, window_months=window_months,
                                    customer_col=customer_col, date_col=date_col,
                                    amount_col=amount_col, cost_col=cost_col)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # reported by the call above
        to_date = _summary.totals(transactions, by=(customer_col,), as_of=ind.attrs["as_of"],
                                  date_col=date_col, amount_col=amount_col, cost_col=None,
                                  quantity_col=None, order_col=None)
    buyers = to_date.loc[to_date["purchase_days"] > 0]
    active = ind.loc[ind["last_purchase"] >= ind.attrs["window_start"]]
    values = active[value].astype("float64")

    per_rep, reps, unassigned = float("nan"), 0, 0
    if customers is not None:
        cust = index_by_customer(customers, customer_col, "customers")
        if rep_col in cust.columns:
            rep = cust[rep_col].reindex(active.index)
            has = rep.notna() & (rep.astype("str").str.strip() != "")
            unassigned = int((~has).sum())
            reps = int(rep[has].nunique())
            if reps:
                per_rep = float(has.sum()) / reps
    repeat = float((buyers["purchase_days"] >= 2).mean()) if len(buyers) else float("nan")
    g = gini(values)
    top = top_share(values, fraction=rules["top_fraction"]) if len(values) else float("nan")

    rows = [
        ("customers_per_rep", "customers_per_rep", per_rep, rules["span_max"], per_rep > rules["span_max"],
         int(len(active)) - unassigned),
        ("repeat_share", "repeat_purchase", repeat, rules["min_repeat_share"],
         repeat >= rules["min_repeat_share"], len(buyers)),
        ("gini", "value_spread", g, rules["min_gini"], g >= rules["min_gini"], len(values)),
        ("top_share", "value_spread", top, rules["min_top_share"], top >= rules["min_top_share"],
         len(values)),
    ]
    out = pd.DataFrame(rows, columns=["measure", "condition", "value", "threshold", "condition_met", "customers"])
    out["condition_met"] = out["condition_met"].astype("boolean").mask(out["value"].isna())
    out["customers"] = out["customers"].astype("int64")
    out["reps"] = pd.array([reps, pd.NA, pd.NA, pd.NA], dtype="Int64")
    out["unassigned"] = pd.array([unassigned, pd.NA, pd.NA, pd.NA], dtype="Int64")
    out = out.set_index("measure")
    out.attrs.update(as_of=ind.attrs["as_of"], window_start=ind.attrs["window_start"],
                     span=(rules["span_min"], rules["span_max"]), value=value)
    return out


def tiering_verdict(conditions: pd.DataFrame) -> pd.DataFrame:
    """Whether tiering pays, from :func:`tiering_conditions`, with the reasons.

    A condition is met when all its measures are met, not met when one is not, unknown when a
    measure could not be computed and none failed. Verdict: ``tiering_pays`` (all three met),
    ``tiering_partly_pays`` (two), ``tiering_does_not_pay`` (fewer).

    Parameters
    ----------
    conditions : DataFrame
        :func:`tiering_conditions`.

    Returns
    -------
    DataFrame
        Indexed by ``condition`` (:data:`TIERING_CONDITIONS`) with ``condition_met`` (nullable boolean) and
        ``reason`` (catalogue key ``<condition>_met``, ``<condition>_not_met`` or
        ``<condition>_unknown``); ``attrs["verdict"]`` (one of :data:`TIERING_VERDICTS`) and
        ``attrs["conditions_met"]``. The same verdict is the ``verdict`` column.

    Examples
    --------
    >>> c = pd.DataFrame({"condition": ["customers_per_rep", "repeat_purchase", "value_spread",
    ...     "value_spread"], "condition_met": pd.array([True, True, True, False], dtype="boolean")})
    >>> tiering_verdict(c)["verdict"].iloc[0]
    'tiering_partly_pays'
    """
    require_columns(conditions, ["condition", "condition_met"], table="tiering conditions",
                    hint="Pass the result of crm_lib.tiering.tiering_conditions.")
    met = conditions["condition_met"].astype("boolean")
    cond = conditions["condition"].to_numpy()
    any_false = pd.Series((met == False).fillna(False).to_numpy()).groupby(cond).any()  # noqa: E712
    all_true = pd.Series(met.fillna(False).to_numpy()).groupby(cond).all()
    state = pd.Series(pd.NA, index=pd.Index(TIERING_CONDITIONS, name="condition"), dtype="boolean")
    state[all_true.reindex(state.index, fill_value=False).to_numpy()] = True
    state[any_false.reindex(state.index, fill_value=False).to_numpy()] = False
    reason = np.where(state.isna(), "_unknown", np.where(state.fillna(False), "_met", "_not_met"))
    n_met = int(state.fillna(False).sum())
    verdict = TIERING_VERDICTS[0 if n_met == len(TIERING_CONDITIONS) else 1 if n_met == 2 else 2]
    out = pd.DataFrame({"condition_met": state, "reason": [c + r for c, r in zip(state.index, reason, strict=True)],
                        "verdict": verdict}, index=state.index)
    out.attrs.update(verdict=verdict, conditions_met=n_met)
    return out
