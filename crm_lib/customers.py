"""Customer analysis: composition, lifecycle and stability, trading performance, cost to serve,
cross-selling and the current vs potential value matrix.

Per-customer sales and profit always come from :mod:`crm_lib.summary` (``totals`` and
``period_totals``); the functions here take those frames as input (or call summary themselves),
so they never aggregate the transaction log directly. Business rules are parameters whose
defaults are the public read-only constants of this module (:data:`LIFECYCLE_RULES`,
:data:`TRADING_RULES`, :data:`UNIT_COSTS`, :data:`PROFITABILITY_RULES`,
:data:`CROSS_SELL_RULES`, :data:`VALUE_QUADRANTS`); ``docs/customers.md`` explains them.

Per-customer results are indexed by the customer id (index name ``customer_col``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_lib import summary
from crm_lib._errors import DataError, DataWarning, require_columns, require_one_of
from crm_lib._frames import index_by_customer, largest_first, to_day
from crm_lib._notebook import accepts_absent

__all__ = [
    "LIFECYCLE_STAGES",
    "STABILITY_CLASSES",
    "LIFECYCLE_RULES",
    "TRADING_RULES",
    "UNIT_COSTS",
    "PROFITABILITY_RULES",
    "PROFIT_GROUPS",
    "CROSS_SELL_RULES",
    "VALUE_QUADRANTS",
    "VALUE_CLASSES",
    "cost_coverage",
    "margin_basis",
    "UNKNOWN",
    "customer_indicators",
    "composition",
    "lifecycle",
    "trading_performance",
    "target_attainment",
    "cost_to_serve",
    "cross_sell_candidates",
    "value_matrix",
]

#: Lifecycle stages, in the order a customer passes through them.
LIFECYCLE_STAGES: tuple[str, ...] = ("potential", "new", "active", "loyal", "at_risk", "lost")
#: Stability classes (a customer without purchases has none).
STABILITY_CLASSES: tuple[str, ...] = ("stable", "at_risk", "churned")
#: Rules of :func:`lifecycle` (see its docstring).
LIFECYCLE_RULES = MappingProxyType(
    {
        "new_months": 6,               # new: first purchase within the last 6 months
        "at_risk_factor": 2.0,         # at risk: no purchase for > 2 x the usual interval
        "lost_factor": 4.0,            # lost: no purchase for > 4 x the usual interval
        "min_interval_days": 30.0,     # the usual interval is at least 30 days
        "default_interval_days": 90.0,  # usual interval of a customer with one purchase day
        "loyal_periods": 12,           # loyal: purchases in at least 12 distinct months ...
        "loyal_years": 2.0,            # ... and a first purchase at least 2 years ago
    }
)
#: Rules of :func:`trading_performance`.
TRADING_RULES = MappingProxyType(
    {
        "share_tolerance": 0.1,  # below expected: share < expected share x (1 - 10%)
    }
)
#: Unit cost of each way of serving a customer (currency units per event).
UNIT_COSTS = MappingProxyType(
    {"service_call": 5.0, "complaint": 80.0, "return_line": 15.0, "visit": 120.0}
)
#: Rules of :func:`cost_to_serve`.
PROFITABILITY_RULES = MappingProxyType(
    {
        "gold_share": 0.05,    # gold: the top 5% of customers by profit after cost to serve
        "bottom_share": 0.20,  # bottom: the last 20% ...
    }
)
#: Profitability groups of :func:`cost_to_serve`.
PROFIT_GROUPS: tuple[str, ...] = ("gold", "middle", "bottom")
#: Rules of :func:`cross_sell_candidates`.
CROSS_SELL_RULES = MappingProxyType(
    {
        "max_categories": 2,       # candidate: buys from at most 2 categories ...
        "min_peer_categories": 3,  # ... while similar customers buy from at least 3 (median)
        "min_peers": 5,            # a peer group needs at least 5 buying customers
        "suggestions": 2,          # categories suggested per candidate
    }
)
#: Quadrant names of :func:`value_matrix`: (current high?, potential high?) -> name.
VALUE_QUADRANTS = MappingProxyType(
    {
        (True, True): "most_valuable",
        (True, False): "maintain",
        (False, True): "grow",
        (False, False): "low_value",
    }
)
#: Group label for customers whose attribute is empty.
UNKNOWN = "unknown"

_EPS = 1e-9


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _as_day(value: object, name: str) -> pd.Timestamp:
    if value is None:
        raise DataError(f"`{name}` is required: the last day the analysis counts (e.g. '2026-10-31').")
    return to_day(value, name)


def _check_rules(rules: Mapping[str, float], defaults: Mapping[str, float], name: str) -> dict:
    unknown = [k for k in rules if k not in defaults]
    if unknown:
        raise DataError(f"`{name}` has unknown rule {unknown[0]!r}; expected {sorted(defaults)}.")
    return {**defaults, **dict(rules)}


def _pct_rank(x: pd.Series) -> pd.Series:
    """Percentile rank on 0 (lowest) .. 1 (highest); ties averaged; empty values 0.5."""
    x = x.astype("float64")
    k = int(x.notna().sum())
    r = x.rank(method="average")
    z = (r - 1) / (k - 1) if k > 1 else r * 0 + 0.5
    return z.fillna(0.5)


def _window_start(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    return as_of - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)


def _growth(current: pd.Series, previous: pd.Series) -> pd.Series:
    """(current - previous) / previous; 0 when neither is positive; empty when only current is."""
    g = ((current - previous) / previous).where(previous > 0)
    return g.mask((previous <= 0) & (current <= 0), 0.0)


# --------------------------------------------------------------------------------------------
# indicators
# --------------------------------------------------------------------------------------------


def customer_indicators(
    transactions: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    window_months: int = 12,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    cost_col: str = "cost",
) -> pd.DataFrame:
    """Sales and profit per customer: to date, in the recent window, and in the window before.

    Three calls to :func:`crm_lib.summary.totals`: everything up to ``as_of``, the last
    ``window_months`` months (``as_of`` included) and the same length before that.

    Parameters
    ----------
    transactions : DataFrame
        The transaction log (returns as negative lines).
    as_of : date
        The last day counted.
    window_months : int, default 12
        Length of the recent and of the previous window, in months.

    Returns
    -------
    DataFrame
        Indexed by customer id (customers with at least one line up to ``as_of``):
        ``first_purchase``, ``last_purchase``, ``sales_to_date``, ``gross_profit_to_date``,
        ``sales``, ``gross_profit`` (recent window), ``sales_prev``, ``gross_profit_prev``
        (previous window), ``months_active`` (months of the window since the first purchase,
        1..window_months), ``average_sales`` (window sales / months_active), ``profit_margin``
        (window gross profit / sales; empty without positive sales), ``sales_growth`` and
        ``profit_growth`` (against the previous window; 0 when neither window is positive,
        empty when only the recent one is, e.g. a new customer).

    Examples
    --------
    >>> tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2025-03-01", "2026-03-01"]), "product_id": ["p", "p"],
    ...     "quantity": [1.0, 1.0], "amount": [100.0, 150.0], "cost": [50.0, 90.0]})
    >>> ind = customer_indicators(tx, as_of="2026-10-31")
    >>> ind.loc["a", ["sales", "sales_prev", "sales_growth"]].tolist()
    [150.0, 100.0, 0.5]
    """
    if not isinstance(window_months, (int, np.integer)) or window_months < 1:
        raise DataError(f"`window_months` must be a whole number >= 1, got {window_months!r}.")
    end = _as_day(as_of, "as_of")
    start = _window_start(end, window_months)
    prev_start = _window_start(start - pd.Timedelta(days=1), window_months)
    kw = dict(by=(customer_col,), date_col=date_col, amount_col=amount_col, cost_col=cost_col,
              quantity_col=None, order_col=None)
    all_ = summary.totals(transactions, as_of=end, **kw)
    if len(all_) == 0:
        raise DataError(f"No transactions on or before as_of={end.date()}.")
    with warnings.catch_warnings():
        # the first call already reported rows without a key, date or amount
        warnings.simplefilter("ignore", DataWarning)
        win = summary.totals(transactions, start=start, as_of=end, **kw)
        prev = summary.totals(
            transactions, start=prev_start, as_of=start - pd.Timedelta(days=1), **kw
        )
    idx = all_.index
    out = pd.DataFrame(index=idx)
    out["first_purchase"] = all_["first_purchase"]
    out["last_purchase"] = all_["last_purchase"]
    out["sales_to_date"] = all_["sales"]
    out["gross_profit_to_date"] = all_["gross_profit"]
    out["sales"] = win["sales"].reindex(idx).fillna(0.0)
    out["gross_profit"] = win["gross_profit"].reindex(idx).fillna(0.0)
    out["sales_prev"] = prev["sales"].reindex(idx).fillna(0.0)
    out["gross_profit_prev"] = prev["gross_profit"].reindex(idx).fillna(0.0)
    fp = out["first_purchase"]
    months = (end.year - fp.dt.year) * 12 + (end.month - fp.dt.month) + 1
    out["months_active"] = months.fillna(window_months).clip(1, window_months).astype("int64")
    out["average_sales"] = out["sales"] / out["months_active"]
    out["profit_margin"] = (out["gross_profit"] / out["sales"]).where(out["sales"] > 0)
    out["sales_growth"] = _growth(out["sales"], out["sales_prev"])
    out["profit_growth"] = _growth(out["gross_profit"], out["gross_profit_prev"])
    out.index.name = customer_col
    out.attrs.update(as_of=end, window_start=start, previous_start=prev_start)
    return out


# --------------------------------------------------------------------------------------------
# composition
# --------------------------------------------------------------------------------------------


def composition(
    customers: pd.DataFrame,
    values: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = "kind",
    value_cols: Sequence[str] = ("sales",),
    order: Sequence[str] | None = None,
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Customers and value per group, with each group's share of the total.

    Parameters
    ----------
    customers : DataFrame
        One row per customer (id as column or index) with the grouping column(s) ``by``: the
        customers table, or e.g. the result of :func:`lifecycle` for ``by="stage"``.
    values : DataFrame, optional
        Per-customer values (id as column or index), e.g. ``summary.totals(...)``; customers
        without a row count as 0. Rows of customers not in ``customers`` are left out and counted
        in ``attrs["unmatched_values"]``.
    by : str or sequence of str, default "kind"
        Grouping column(s); empty values form the group "unknown".
    value_cols : sequence of str, default ("sales",)
        Columns of ``values`` to sum.
    order : sequence of str, optional
        Order of the groups (single ``by`` only; groups not listed follow). Default: by number of
        customers, largest first.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``customers``, ``customer_share`` and, per value
        column, ``<col>`` and ``<col>_share`` (of the total; shares sum to 1 when the total is
        positive).

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "c"], "kind": ["company", "individual", "company"]})
    >>> v = pd.DataFrame({"sales": [60.0, 40.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> composition(c, v)[["kind", "customers", "sales_share"]].values.tolist()
    [['company', 2, 0.6], ['individual', 1, 0.4]]
    """
    cols = [by] if isinstance(by, str) else list(by)
    if not cols:
        raise DataError("`by` must name at least one column.")
    cust = index_by_customer(customers, customer_col, "customers")
    require_columns(cust, cols, table="customers")
    frame = cust[cols].astype("object").where(cust[cols].notna(), UNKNOWN).astype("str")
    vcols = list(value_cols) if values is not None else []
    if values is not None:
        vals = index_by_customer(values, customer_col, "values")
        require_columns(vals, vcols, table="values")
        for c in vcols:
            if not pd.api.types.is_numeric_dtype(vals[c]):
                raise DataError(f"Column '{c}' in `values` must be numeric, got {vals[c].dtype}.")
        unmatched = int((~vals.index.isin(cust.index)).sum())
        for c in vcols:
            frame[c] = vals[c].reindex(cust.index).astype("float64").fillna(0.0)
    else:
        unmatched = 0
    g = frame.groupby(cols, sort=True)
    out = g.size().rename("customers").to_frame()
    for c in vcols:
        out[c] = g[c].sum()
    out = out.reset_index()
    n = len(frame)
    out["customer_share"] = out["customers"] / n if n else 0.0
    for c in vcols:
        total = out[c].sum()
        out[f"{c}_share"] = out[c] / total if total != 0 else 0.0
    if order is not None and len(cols) == 1:
        rank = {v: i for i, v in enumerate(order)}
        key = out[cols[0]].map(rank).fillna(len(rank)).to_numpy()
        out = out.iloc[np.lexsort((out[cols[0]].to_numpy(dtype=str), key))]
    else:
        out = out.sort_values(["customers", *cols], ascending=[False, *[True] * len(cols)])
    share_cols = [x for c in vcols for x in (c, f"{c}_share")]
    out = out[[*cols, "customers", "customer_share", *share_cols]].reset_index(drop=True)
    out.attrs["unmatched_values"] = unmatched
    return out


# --------------------------------------------------------------------------------------------
# lifecycle and stability
# --------------------------------------------------------------------------------------------


def lifecycle(
    customers: pd.DataFrame,
    totals: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp,
    periods: pd.DataFrame | None = None,
    lost_customers: pd.DataFrame | None = None,
    rules: Mapping[str, float] = LIFECYCLE_RULES,
    status: pd.DataFrame | None = None,
    customer_col: str = "customer_id",
    acquired_col: str = "acquired_on",
    lost_col: str = "lost_on",
) -> pd.DataFrame:
    """Lifecycle stage and stability of each customer on ``as_of``.

    **One definition of lost and at risk.** Pass ``status`` (the result of
    :func:`crm_lib.churn.customer_status` on the same day): then the stages *lost* and *at_risk*
    are exactly churn's, and ``lost_factor``, ``at_risk_factor`` and ``lost_customers`` are not
    used, so that this report, the churn report and the card count the same customers. Without
    ``status`` the stages follow the course's own factors below.

    The stage is the first of these that applies (parameters from ``rules``, default
    :data:`LIFECYCLE_RULES`):

    1. **potential** -- no purchase up to ``as_of``;
    2. **lost** -- recorded in ``lost_customers`` on or before ``as_of``, or no purchase for more
       than ``lost_factor`` (4) x the customer's usual interval;
    3. **at_risk** -- no purchase for more than ``at_risk_factor`` (2) x the usual interval;
    4. **new** -- first purchase within the last ``new_months`` (6) months;
    5. **loyal** -- purchases in at least ``loyal_periods`` (12) distinct months, the first at
       least ``loyal_years`` (2) years ago;
    6. **active** -- everyone else.

    The usual interval is (last purchase - first purchase) / (purchase days - 1), at least
    ``min_interval_days`` (30); with a single purchase day it is ``default_interval_days`` (90).
    Stability: lost -> "churned", at_risk -> "at_risk", new/active/loyal -> "stable",
    potential -> empty.

    Parameters
    ----------
    customers : DataFrame
        The customers table (id as column or index). Customers acquired after ``as_of`` are
        left out (counted in ``attrs["not_yet_acquired"]``).
    totals : DataFrame
        ``summary.totals(transactions, as_of=as_of)``: ``first_purchase``, ``last_purchase``,
        ``purchase_days`` per customer id. Customers bought from but missing from ``customers``
        are included (counted in ``attrs["unknown_customers"]``).
    as_of : date
    periods : DataFrame, optional
        ``summary.period_totals(transactions, freq="M", as_of=as_of)``: purchase months are
        the rows with ``orders`` > 0. Without it, purchase days stand in for purchase months.
    lost_customers : DataFrame, optional
        The lost_customers table (``customer_id``, ``lost_on``).
    status : DataFrame, optional
        :func:`crm_lib.churn.customer_status` (``customer_id``, ``status``): its "lost" and
        "at_risk" decide those two stages.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``first_purchase``, ``last_purchase``, ``purchase_days``,
        ``purchase_months``, ``days_since_last``, ``usual_interval_days``, ``tenure_years``,
        ``stage`` and ``stability``.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"]})
    >>> t = pd.DataFrame({"first_purchase": pd.to_datetime(["2026-09-01"]),
    ...     "last_purchase": pd.to_datetime(["2026-10-01"]), "purchase_days": [2]},
    ...     index=pd.Index(["a"], name="customer_id"))
    >>> lifecycle(c, t, as_of="2026-10-31")["stage"].tolist()
    ['new', 'potential']
    """
    r = _check_rules(rules, LIFECYCLE_RULES, "rules")
    end = _as_day(as_of, "as_of")
    cust = index_by_customer(customers, customer_col, "customers")
    tot = index_by_customer(totals, customer_col, "totals")
    require_columns(tot, ["first_purchase", "last_purchase", "purchase_days"], table="totals")
    not_yet = 0
    if acquired_col in cust.columns:
        later = pd.to_datetime(cust[acquired_col]) > end
        not_yet = int(later.sum())
        cust = cust.loc[~later.to_numpy()]
    # customers who bought nothing up to as_of, or whose purchases fall after it, are potential
    tot = tot.loc[tot["first_purchase"].notna() & (tot["first_purchase"] <= end)]
    unknown = tot.index.difference(cust.index)
    idx = cust.index.append(unknown)
    out = pd.DataFrame(index=idx)
    first = tot["first_purchase"].reindex(idx)
    last = tot["last_purchase"].reindex(idx)
    pdays = tot["purchase_days"].reindex(idx).fillna(0).astype("int64")
    out["first_purchase"] = first
    out["last_purchase"] = last
    out["purchase_days"] = pdays
    if periods is not None:
        require_columns(periods, [customer_col, "period", "orders"], table="periods")
        p = periods.loc[(periods["orders"] > 0) & (pd.to_datetime(periods["period"]) <= end)]
        months = p.groupby(customer_col)["period"].nunique()
        out["purchase_months"] = months.reindex(idx).fillna(0).astype("int64")
    else:
        out["purchase_months"] = pdays
    since = (end - last).dt.days.astype("float64")
    span = (last - first).dt.days.astype("float64")
    interval = (span / (pdays - 1)).where(pdays > 1, float(r["default_interval_days"]))
    interval = interval.clip(lower=float(r["min_interval_days"]))
    tenure = (end - first).dt.days.astype("float64") / 365.25
    out["days_since_last"] = since
    out["usual_interval_days"] = interval.where(first.notna())
    out["tenure_years"] = tenure
    lost_recorded = pd.Series(False, index=idx)
    if lost_customers is not None:
        require_columns(lost_customers, [customer_col, lost_col], table="lost_customers")
        lc = lost_customers.loc[pd.to_datetime(lost_customers[lost_col]) <= end, customer_col]
        lost_recorded = pd.Series(idx.isin(lc), index=idx)
    bought = first.notna()
    new_line = end - pd.DateOffset(months=int(r["new_months"]))
    if status is not None:
        st = index_by_customer(status, customer_col, "status")
        require_columns(st, ["status"], table="status")
        churn_status = st["status"].reindex(idx).astype(object)
        is_lost = (churn_status == "lost").to_numpy(dtype=bool)
        is_at_risk = (churn_status == "at_risk").to_numpy(dtype=bool)
    else:
        is_lost = (lost_recorded | (since > float(r["lost_factor"]) * interval)).to_numpy(dtype=bool)
        is_at_risk = (since > float(r["at_risk_factor"]) * interval).to_numpy(dtype=bool)
    stage = np.select(
        [
            ~bought,
            is_lost,
            is_at_risk,
            first > new_line,
            (out["purchase_months"] >= int(r["loyal_periods"]))
            & (tenure >= float(r["loyal_years"]) - _EPS),
        ],
        ["potential", "lost", "at_risk", "new", "loyal"],
        default="active",
    )
    out["stage"] = pd.array(stage, dtype="str")
    stab = {"lost": "churned", "at_risk": "at_risk", "new": "stable", "active": "stable",
            "loyal": "stable"}
    out["stability"] = out["stage"].map(stab).astype("str")
    out.index.name = customer_col
    out.attrs.update(not_yet_acquired=not_yet, unknown_customers=len(unknown))
    return out


# --------------------------------------------------------------------------------------------
# trading performance
# --------------------------------------------------------------------------------------------

_FREQS = ("M", "Y")


def _to_freq(frame: pd.DataFrame, keys: list[str], freq: str) -> pd.DataFrame:
    """Monthly period rows -> rows per ``freq`` (sums of sales and gross profit)."""
    f = frame[[*keys, "period", "sales", "gross_profit"]].copy()
    f["period"] = pd.to_datetime(f["period"]).dt.to_period(freq).dt.start_time
    return f.groupby([*keys, "period"], as_index=False)[["sales", "gross_profit"]].sum()


def _parse_target_period(period: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = period.astype("str").str.strip()
    is_year = text.str.fullmatch(r"\d{4}")
    is_month = text.str.fullmatch(r"\d{4}-\d{2}")
    bad = ~(is_year | is_month)
    if bad.any():
        from crm_lib._errors import fail_rows

        fail_rows("targets", "period", period, bad.to_numpy(), "a year 'YYYY' or a month 'YYYY-MM'")
    start = pd.to_datetime(text.where(is_month, text + "-01"), format="%Y-%m")
    return start, pd.Series(np.where(is_year, "Y", "M"), index=period.index)


def trading_performance(
    period_frame: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    freq: str = "M",
    share_of: str = "company",
    targets: pd.DataFrame | None = None,
    start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp | None = None,
    rules: Mapping[str, float] = TRADING_RULES,
    customer_col: str = "customer_id",
    region_col: str = "region",
) -> pd.DataFrame:
    """Each customer's sales and gross profit per month (or year), share, growth and plan.

    Parameters
    ----------
    period_frame : DataFrame
        ``summary.period_totals(transactions, freq="M")``: ``customer_id``, ``period``, ``sales``,
        ``gross_profit`` (monthly rows; years are summed from them).
    customers : DataFrame, optional
        The customers table; needed for ``share_of="region"``.
    freq : {"M", "Y"}, default "M"
        With "Y" the latest year may be incomplete (e.g. January to October); its
        ``sales_last_year`` then covers the same months of the year before (year to date).
    share_of : {"company", "region"}, default "company"
        The share is of company sales in the period, or of the customer's region's sales.
    targets : DataFrame, optional
        The targets table; its rows with a ``customer_id`` give ``expected_sales`` per customer
        and period ('2026' or '2026-10'; monthly targets are summed for ``freq="Y"``).
    start, as_of : date, optional
        Report periods starting on or after ``start`` and on or before ``as_of`` (the year
        before is still read for the comparison).
    rules : mapping, default :data:`TRADING_RULES`
        ``share_tolerance``: how far below the expected share a customer may be before it is
        flagged.

    Returns
    -------
    DataFrame
        One row per customer and period in which it bought this year or a year earlier:
        ``customer_id``, ``period``, ``sales``, ``gross_profit``, ``share`` (of company or
        region sales), ``sales_last_year`` (same period a year earlier), ``growth`` (empty when
        last year's sales were not positive), ``expected_sales`` (from targets, else empty),
        ``attainment`` (sales / expected_sales), ``expected_share`` (the target's share of all
        targets of the period when there are targets, otherwise last year's share) and
        ``below_expected`` (share < expected_share x (1 - share_tolerance)).

    Examples
    --------
    >>> pt = pd.DataFrame({"customer_id": ["a", "b", "a", "b"],
    ...     "period": pd.to_datetime(["2025-10-01", "2025-10-01", "2026-10-01", "2026-10-01"]),
    ...     "sales": [50.0, 50.0, 60.0, 140.0], "gross_profit": [10.0, 10.0, 12.0, 30.0]})
    >>> tp = trading_performance(pt, as_of="2026-10-31", start="2026-10-01")
    >>> tp[["customer_id", "share", "growth", "below_expected"]].values.tolist()
    [['a', 0.3, 0.2, True], ['b', 0.7, 1.8, False]]
    """
    require_one_of("freq", freq, _FREQS)
    require_one_of("share_of", share_of, ("company", "region"))
    r = _check_rules(rules, TRADING_RULES, "rules")
    require_columns(
        period_frame, [customer_col, "period", "sales", "gross_profit"], table="period_frame"
    )
    keys = [customer_col]
    monthly = period_frame[[customer_col, "period", "sales", "gross_profit"]].copy()
    monthly["period"] = pd.to_datetime(monthly["period"]).dt.to_period("M").dt.start_time
    if as_of is not None:
        monthly = monthly.loc[monthly["period"] <= _as_day(as_of, "as_of")]
    f = _to_freq(monthly, keys, freq)
    prior = monthly
    if freq == "Y" and len(monthly):
        # the latest year may be incomplete: compare it with the same months a year earlier
        latest = monthly["period"].max()
        cut = latest.month if as_of is None else _as_day(as_of, "as_of").month
        same_months = (monthly["period"].dt.year != latest.year - 1) | (
            monthly["period"].dt.month <= cut
        )
        prior = monthly.loc[same_months]
    last = _to_freq(prior, keys, freq)[[customer_col, "period", "sales"]].rename(
        columns={"sales": "sales_last_year"}
    )
    last["period"] = last["period"] + pd.DateOffset(years=1)
    out = f.merge(last, on=[customer_col, "period"], how="outer")
    if len(f):
        out = out.loc[out["period"] <= f["period"].max()]
    out[["sales", "gross_profit", "sales_last_year"]] = out[
        ["sales", "gross_profit", "sales_last_year"]
    ].fillna(0.0)
    if share_of == "region":
        if customers is None:
            raise DataError("`customers` is required for share_of='region' (it gives the region).")
        cust = index_by_customer(customers, customer_col, "customers")
        require_columns(cust, [region_col], table="customers")
        out[region_col] = (
            out[customer_col].map(cust[region_col]).astype("object").fillna(UNKNOWN).astype("str")
        )
        base = [region_col, "period"]
    else:
        base = ["period"]
    tot = out.groupby(base)["sales"].transform("sum")
    out["share"] = (out["sales"] / tot).where(tot > 0)
    # last year's share, for the same base
    ly = out.groupby(base)["sales_last_year"].transform("sum")
    last_share = (out["sales_last_year"] / ly).where(ly > 0)
    out["growth"] = _growth(out["sales"], out["sales_last_year"])
    out["expected_sales"] = np.nan
    expected_share = last_share
    if targets is not None:
        require_columns(targets, [customer_col, "period", "expected_sales"], table="targets")
        t = targets.loc[targets[customer_col].notna()]
        t_start, t_freq = _parse_target_period(t["period"])
        t = pd.DataFrame(
            {customer_col: t[customer_col].astype("str").to_numpy(), "period": t_start.to_numpy(),
             "freq": t_freq.to_numpy(), "expected_sales": t["expected_sales"].astype("float64").to_numpy()}
        )
        if freq == "Y":
            t["period"] = t["period"].dt.to_period("Y").dt.start_time
            use = t
        else:
            use = t.loc[t["freq"] == "M"]
            if len(t) and not len(use):
                warnings.warn(
                    "The customer targets are yearly; compare them with freq='Y'.",
                    DataWarning,
                    stacklevel=2,
                )
        use = use.groupby([customer_col, "period"], as_index=False)["expected_sales"].sum()
        out = out.drop(columns="expected_sales").merge(use, on=[customer_col, "period"], how="left")
        # keep the same row alignment for last_share
        last_share = last_share.reset_index(drop=True)
        out = out.reset_index(drop=True)
        etot = out.groupby(base)["expected_sales"].transform("sum")
        target_share = (out["expected_sales"] / etot).where(etot > 0)
        expected_share = target_share.where(out["expected_sales"].notna(), last_share)
    out["attainment"] = (out["sales"] / out["expected_sales"]).where(out["expected_sales"] > 0)
    out["expected_share"] = expected_share.to_numpy()
    tol = float(r["share_tolerance"])
    out["below_expected"] = (
        out["share"].fillna(0) < out["expected_share"] * (1 - tol) - _EPS
    ) & out["expected_share"].notna()
    if start is not None:
        out = out.loc[out["period"] >= _as_day(start, "start")]
    cols = [customer_col, *([region_col] if share_of == "region" else []), "period", "sales",
            "gross_profit", "share", "sales_last_year", "growth", "expected_sales", "attainment",
            "expected_share", "below_expected"]
    out = out[cols].sort_values([customer_col, "period"]).reset_index(drop=True)
    return out


@accepts_absent('targets', columns=('period', 'sales', 'expected_sales', 'attainment', 'below_target'))
def target_attainment(
    period_frame: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    level: str = "region",
    customer_col: str = "customer_id",
    region_col: str = "region",
) -> pd.DataFrame:
    """Sales against plan per region (or customer) and target period.

    Parameters
    ----------
    period_frame : DataFrame
        ``summary.period_totals(transactions, freq="M")``.
    targets : DataFrame
        The targets table: ``customer_id`` or ``region``, ``period`` ('2026' or '2026-10'),
        ``expected_sales``. Only rows of the chosen level are used.
    customers : DataFrame, optional
        The customers table (for the region); required for ``level="region"``.
    level : {"region", "customer"}, default "region"

    Returns
    -------
    DataFrame
        One row per target: the level column, ``period`` (the target's text), ``sales``,
        ``expected_sales``, ``attainment`` (sales / expected) and ``below_target``.

    Examples
    --------
    >>> pt = pd.DataFrame({"customer_id": ["a"], "period": pd.to_datetime(["2026-10-01"]),
    ...     "sales": [80.0], "gross_profit": [20.0]})
    >>> tg = pd.DataFrame({"customer_id": ["a"], "region": [None], "period": ["2026-10"],
    ...     "expected_sales": [100.0]})
    >>> target_attainment(pt, tg, level="customer")["attainment"].tolist()
    [0.8]
    """
    require_one_of("level", level, ("region", "customer"))
    col = region_col if level == "region" else customer_col
    require_columns(targets, [col, "period", "expected_sales"], table="targets")
    require_columns(period_frame, [customer_col, "period", "sales"], table="period_frame")
    t = targets.loc[targets[col].notna()]
    if level == "region" and customer_col in t.columns:
        t = t.loc[t[customer_col].isna()]
    t_start, t_freq = _parse_target_period(t["period"])
    pf = period_frame[[customer_col, "period", "sales"]].copy()
    if level == "region":
        if customers is None:
            raise DataError("`customers` is required for level='region' (it gives the region).")
        cust = index_by_customer(customers, customer_col, "customers")
        require_columns(cust, [region_col], table="customers")
        pf[region_col] = pf[customer_col].map(cust[region_col])
    pf["month"] = pd.to_datetime(pf["period"]).dt.to_period("M").dt.start_time
    pf["year"] = pd.to_datetime(pf["period"]).dt.to_period("Y").dt.start_time
    by_month = pf.groupby([col, "month"])["sales"].sum()
    by_year = pf.groupby([col, "year"])["sales"].sum()
    keys_m = pd.MultiIndex.from_arrays([t[col].astype("str"), t_start])
    sales = np.where(
        t_freq.to_numpy() == "Y",
        by_year.reindex(keys_m).fillna(0.0).to_numpy(),
        by_month.reindex(keys_m).fillna(0.0).to_numpy(),
    )
    out = pd.DataFrame(
        {
            col: t[col].astype("str").to_numpy(),
            "period": t["period"].astype("str").to_numpy(),
            "sales": sales,
            "expected_sales": t["expected_sales"].astype("float64").to_numpy(),
        }
    )
    out["attainment"] = (out["sales"] / out["expected_sales"]).where(out["expected_sales"] > 0)
    out["below_target"] = out["sales"] < out["expected_sales"]
    return out.sort_values([col, "period"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# profitability after cost to serve
# --------------------------------------------------------------------------------------------


def _count_events(
    table: pd.DataFrame | None, name: str, when_col: str, customer_col: str,
    start: pd.Timestamp | None, end: pd.Timestamp | None, mask_col: str | None = None,
    mask_value: str | None = None,
) -> pd.Series:
    if table is None:
        return pd.Series(dtype="float64")
    need = [customer_col, when_col, *([mask_col] if mask_col else [])]
    require_columns(table, need, table=name)
    when = pd.to_datetime(table[when_col])
    keep = pd.Series(True, index=table.index)
    if start is not None:
        keep &= when >= start
    if end is not None:
        keep &= when < end + pd.Timedelta(days=1)
    if mask_col:
        keep &= table[mask_col] == mask_value
    return table.loc[keep, customer_col].value_counts().astype("float64")


def _positions_from_top(n: int, share: float) -> np.ndarray:
    """True for ranked positions 1..n whose share of customers before is below ``share``."""
    return np.arange(n) / max(n, 1) < share - _EPS


def cost_to_serve(
    totals: pd.DataFrame,
    *,
    service_calls: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp | None = None,
    unit_costs: Mapping[str, float] = UNIT_COSTS,
    rules: Mapping[str, float] = PROFITABILITY_RULES,
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Gross profit minus the cost of serving each customer; the gold and the bottom customers.

    Cost to serve = service calls x ``unit_costs["service_call"]`` + complaints x
    ``["complaint"]`` + return lines x ``["return_line"]`` + visits (interactions of type
    "visit") x ``["visit"]``, counting events between ``start`` and ``as_of``. Customers are
    ranked by profit after cost to serve (ties: smaller id first); the first ``gold_share`` (5%)
    are "gold", the last ``bottom_share`` (20%) "bottom", and ``loses_money`` marks those of the
    bottom whose cost to serve exceeds their gross profit (they cost more than they bring).

    Parameters
    ----------
    totals : DataFrame
        ``summary.totals(transactions, start=start, as_of=as_of)`` per customer id
        (``gross_profit``, ``return_lines``).
    service_calls, complaints, interactions : DataFrame, optional
        The tables whose events cost money (``at``, ``opened_at``, ``date`` + ``type``).
        A missing table counts zero events.
    start, as_of : date, optional
        The window of events; should match the window of ``totals``.
    unit_costs : mapping, default :data:`UNIT_COSTS`
    rules : mapping, default :data:`PROFITABILITY_RULES`

    Returns
    -------
    DataFrame
        Indexed by customer id (everyone with a line in ``totals`` or an event), sorted by rank:
        ``gross_profit``, ``service_calls``, ``complaints``, ``return_lines``, ``visits``,
        ``cost_to_serve``, ``net_profit``, ``rank``, ``profit_group`` ("gold", "middle",
        "bottom") and ``loses_money``.

    Examples
    --------
    >>> t = pd.DataFrame({"gross_profit": [100.0, 10.0], "return_lines": [0, 1]},
    ...     index=pd.Index(["a", "b"], name="customer_id"))
    >>> cost_to_serve(t)["net_profit"].tolist()
    [100.0, -5.0]
    """
    unknown = [k for k in unit_costs if k not in UNIT_COSTS]
    if unknown:
        raise DataError(f"`unit_costs` has unknown item {unknown[0]!r}; expected {list(UNIT_COSTS)}.")
    uc = {**UNIT_COSTS, **dict(unit_costs)}
    neg = [k for k, v in uc.items() if not np.isfinite(float(v)) or float(v) < 0]
    if neg:
        raise DataError(f"`unit_costs` must be zero or positive, got {neg[0]}={uc[neg[0]]!r}.")
    r = _check_rules(rules, PROFITABILITY_RULES, "rules")
    g, b = float(r["gold_share"]), float(r["bottom_share"])
    if not (0 <= g <= 1 and 0 <= b <= 1 and g + b <= 1 + _EPS):
        raise DataError(
            f"`rules` gold_share and bottom_share must be shares summing to at most 1, got {g}, {b}."
        )
    tot = index_by_customer(totals, customer_col, "totals")
    require_columns(tot, ["gross_profit", "return_lines"], table="totals")
    s = _as_day(start, "start") if start is not None else None
    e = _as_day(as_of, "as_of") if as_of is not None else None
    calls = _count_events(service_calls, "service_calls", "at", customer_col, s, e)
    comps = _count_events(complaints, "complaints", "opened_at", customer_col, s, e)
    visits = _count_events(interactions, "interactions", "date", customer_col, s, e,
                           "type", "visit")
    idx = tot.index.union(calls.index).union(comps.index).union(visits.index)
    out = pd.DataFrame(index=idx)
    out["gross_profit"] = tot["gross_profit"].reindex(idx).astype("float64").fillna(0.0)
    out["service_calls"] = calls.reindex(idx).fillna(0).astype("int64")
    out["complaints"] = comps.reindex(idx).fillna(0).astype("int64")
    out["return_lines"] = tot["return_lines"].reindex(idx).fillna(0).astype("int64")
    out["visits"] = visits.reindex(idx).fillna(0).astype("int64")
    out["cost_to_serve"] = (
        out["service_calls"] * uc["service_call"]
        + out["complaints"] * uc["complaint"]
        + out["return_lines"] * uc["return_line"]
        + out["visits"] * uc["visit"]
    ).astype("float64")
    out["net_profit"] = out["gross_profit"] - out["cost_to_serve"]
    out = largest_first(out, out["net_profit"].to_numpy())
    n = len(out)
    out["rank"] = np.arange(1, n + 1)
    gold = _positions_from_top(n, g)
    bottom = _positions_from_top(n, b)[::-1] & ~gold
    out["profit_group"] = pd.array(
        np.select([gold, bottom], ["gold", "bottom"], default="middle"), dtype="str"
    )
    out["loses_money"] = bottom & (out["net_profit"] < 0).to_numpy()
    out.index.name = customer_col
    out.attrs["unit_costs"] = uc
    return out


# --------------------------------------------------------------------------------------------
# cross-selling
# --------------------------------------------------------------------------------------------


@accepts_absent('products', columns=('categories', 'industry', 'kind', 'peers', 'peer_median_categories', 'candidate', 'suggested'))
def cross_sell_candidates(
    product_totals: pd.DataFrame,
    *,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    peer_cols: Sequence[str] = ("industry", "kind"),
    rules: Mapping[str, float] = CROSS_SELL_RULES,
    customer_col: str = "customer_id",
    product_col: str = "product_id",
    category_col: str = "category",
) -> pd.DataFrame:
    """Customers who buy from only one or two categories while similar customers buy many.

    A customer "buys" a category when its net sales of the category's products are positive.
    Similar customers (peers) share the ``peer_cols`` values (default: industry and kind). A
    candidate buys at most ``max_categories`` (2) categories while the median buying peer buys at
    least ``min_peer_categories`` (3), in a peer group of at least ``min_peers`` (5) buying
    customers. The suggestions are the categories the candidate does not buy that most of its
    peers buy.

    Parameters
    ----------
    product_totals : DataFrame
        ``summary.totals(transactions, by=("customer_id", "product_id"), ...)`` (index or
        columns) with ``sales``.
    products : DataFrame
        The products table (``product_id``, ``category``). Sales of products without a category
        count as category "unknown".
    customers : DataFrame
        The customers table with the ``peer_cols``.
    peer_cols : sequence of str, default ("industry", "kind")
    rules : mapping, default :data:`CROSS_SELL_RULES`

    Returns
    -------
    DataFrame
        Indexed by customer id (every customer with positive sales in some category):
        ``categories`` (number bought), the ``peer_cols``, ``peers`` (buying customers in the
        group), ``peer_median_categories``, ``candidate`` (bool) and ``suggested`` (the
        suggested categories joined by ", "; empty for non-candidates).

    Examples
    --------
    >>> pt = pd.DataFrame({"customer_id": ["a", "b", "b"], "product_id": ["p1", "p1", "p2"],
    ...     "sales": [5.0, 3.0, 4.0]})
    >>> pr = pd.DataFrame({"product_id": ["p1", "p2"], "category": ["x", "y"]})
    >>> cu = pd.DataFrame({"customer_id": ["a", "b"], "industry": ["i", "i"], "kind": ["company"] * 2})
    >>> cross_sell_candidates(pt, products=pr, customers=cu,
    ...     rules={"max_categories": 1, "min_peer_categories": 1, "min_peers": 2})["suggested"].tolist()
    ['y', '']
    """
    r = _check_rules(rules, CROSS_SELL_RULES, "rules")
    pc = list(peer_cols)
    pt = product_totals
    if customer_col not in pt.columns or product_col not in pt.columns:
        pt = pt.reset_index()
    require_columns(pt, [customer_col, product_col, "sales"], table="product_totals")
    require_columns(products, [product_col, category_col], table="products")
    cust = index_by_customer(customers, customer_col, "customers")
    require_columns(cust, pc, table="customers")
    cat_of = products.drop_duplicates(product_col).set_index(product_col)[category_col]
    pairs = pd.DataFrame(
        {
            customer_col: pt[customer_col].to_numpy(),
            category_col: pt[product_col].map(cat_of).astype("object").fillna(UNKNOWN)
            .astype("str").to_numpy(),
            "sales": pt["sales"].astype("float64").to_numpy(),
        }
    )
    pairs = pairs.groupby([customer_col, category_col], as_index=False)["sales"].sum()
    pairs = pairs.loc[pairs["sales"] > 0, [customer_col, category_col]]
    n_cat = pairs.groupby(customer_col).size().rename("categories")
    out = n_cat.to_frame()
    peers = cust[pc].reindex(out.index).astype("object").fillna(UNKNOWN).astype("str")
    out[pc] = peers
    grp = out.groupby(pc)["categories"]
    out["peers"] = grp.transform("size").astype("int64")
    out["peer_median_categories"] = grp.transform("median")
    out["candidate"] = (
        (out["categories"] <= int(r["max_categories"]))
        & (out["peer_median_categories"] >= float(r["min_peer_categories"]))
        & (out["peers"] >= int(r["min_peers"]))
    )
    # penetration of each category in each peer group
    pp = pairs.join(peers, on=customer_col)
    pen = pp.groupby([*pc, category_col]).size().rename("buyers").reset_index()
    cand = out.loc[out["candidate"], pc].reset_index()
    sugg = cand.merge(pen, on=pc, how="inner")
    bought = pairs.assign(_b=True)
    sugg = sugg.merge(bought, on=[customer_col, category_col], how="left")
    sugg = sugg.loc[sugg["_b"].isna()].sort_values(
        [customer_col, "buyers", category_col], ascending=[True, False, True]
    )
    sugg["_n"] = sugg.groupby(customer_col).cumcount()
    sugg = sugg.loc[sugg["_n"] < int(r["suggestions"])]
    text = pd.Series("", index=out.index, dtype="str")
    for k in range(int(r["suggestions"])):  # a loop over suggestion slots, not customers
        s = sugg.loc[sugg["_n"] == k].set_index(customer_col)[category_col].reindex(out.index)
        sep = "" if k == 0 else ", "
        text = text + (sep + s).fillna("").astype("str")
    out["suggested"] = text
    out.index.name = customer_col
    return out


# --------------------------------------------------------------------------------------------
# current vs potential value
# --------------------------------------------------------------------------------------------


VALUE_CLASSES: tuple[str, ...] = ("no_sales_both_windows", "unknown_growth")
"""Classes of :func:`value_matrix` beside the four quadrants: ``no_sales_both_windows`` (no sales in the recent
window nor in the one before: nothing to rank), ``unknown_growth`` (sales only in the recent
window, e.g. a new customer: potential cannot be measured by growth)."""


def value_matrix(
    indicators: pd.DataFrame,
    *,
    current_col: str = "gross_profit",
    growth_col: str = "sales_growth",
    sales_col: str = "sales",
    previous_col: str = "sales_prev",
    wallet_col: str | None = None,
    split: float = 0.5,
    quadrants: Mapping[tuple[bool, bool], str] = VALUE_QUADRANTS,
    customer_col: str = "customer_id",
) -> pd.DataFrame:
    """Current vs potential value per customer and the four quadrants.

    Current value is the percentile rank (0-1) of ``current_col`` (gross profit of the recent
    window). Potential is the percentile rank of ``growth_col`` (sales growth); where a share of wallet is known
    (``wallet_col``, 0-1: our share of what the customer spends on our kind of products),
    potential is the mean of that rank and 1 - share of wallet (room left in the wallet).
    A score at or above ``split`` is "high". Two kinds of customer are not placed in a quadrant
    (:data:`VALUE_CLASSES`): ``no_sales_both_windows`` when neither window has positive sales (``sales_col``,
    ``previous_col``; when either column is absent nobody is), and ``unknown_growth`` when growth is unknown (empty ``growth_col``, e.g. a
    customer new in the window) and no share of wallet gives the potential instead. Only the
    quadrant customers are ranked, so the others do not move the ranks.

    Parameters
    ----------
    indicators : DataFrame
        One row per customer (id as column or index), e.g.
        :func:`customer_indicators`.
    current_col, growth_col : str
    wallet_col : str, optional
        Share of wallet column (empty values: growth alone).
    split : float, default 0.5
        Score line between low and high, within (0, 1).
    quadrants : mapping, default :data:`VALUE_QUADRANTS`
        (current high, potential high) -> quadrant name.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``current_value``, ``growth``, ``current_score``,
        ``potential_score`` (empty outside the quadrants), ``quadrant`` (a quadrant name or one of
        :data:`VALUE_CLASSES`).

    Examples
    --------
    >>> ind = pd.DataFrame({"customer_id": ["a", "b"], "gross_profit": [100.0, 5.0],
    ...     "sales_growth": [0.0, 0.8]})
    >>> value_matrix(ind)["quadrant"].tolist()
    ['maintain', 'grow']
    >>> ind = pd.DataFrame({"customer_id": ["a", "b", "c"], "gross_profit": [100.0, 0.0, 9.0],
    ...     "sales_growth": [0.1, 0.0, None], "sales": [300.0, 0.0, 20.0], "sales_prev": [250.0, 0.0, 0.0]})
    >>> value_matrix(ind)["quadrant"].tolist()
    ['most_valuable', 'no_sales_both_windows', 'unknown_growth']
    """
    if not (0 < float(split) < 1):
        raise DataError(f"`split` must be within (0, 1), got {split!r}.")
    keys = {(True, True), (True, False), (False, True), (False, False)}
    if set(quadrants) != keys:
        raise DataError(
            "`quadrants` must name the four (current high, potential high) pairs "
            f"{sorted(keys)}, got {sorted(quadrants)}."
        )
    ind = index_by_customer(indicators, customer_col, "indicators")
    need = [current_col, growth_col, *([wallet_col] if wallet_col else [])]
    require_columns(ind, need, table="indicators")
    cur = ind[current_col].astype("float64")
    grow = ind[growth_col].astype("float64")
    out = pd.DataFrame({"current_value": cur, "growth": grow}, index=ind.index)
    if sales_col in ind.columns and previous_col in ind.columns:
        no_sales = (~(ind[sales_col].astype("float64").fillna(0) > 0)
                    & ~(ind[previous_col].astype("float64").fillna(0) > 0))
    else:  # the windows' sales are not given: every customer is ranked
        no_sales = pd.Series(False, index=ind.index)
    room = (1 - ind[wallet_col].astype("float64").clip(0, 1)) if wallet_col else pd.Series(np.nan, index=ind.index)
    unknown = ~no_sales & grow.isna() & room.isna()
    placed = ~no_sales & ~unknown
    out["current_score"] = _pct_rank(cur.where(placed)).where(placed)
    pot = _pct_rank(grow.where(placed))
    pot = pot.where(grow.notna() & placed, np.nan)
    pot = ((pot + room) / 2).where(pot.notna() & room.notna(), pot.fillna(room))
    out["potential_score"] = pot.where(placed)
    hc = out["current_score"] >= float(split) - _EPS
    hp = out["potential_score"] >= float(split) - _EPS
    out["quadrant"] = pd.array(
        np.select(
            [no_sales, unknown, hc & hp, hc & ~hp, ~hc & hp],
            ["no_sales_both_windows", "unknown_growth", quadrants[(True, True)], quadrants[(True, False)],
             quadrants[(False, True)]],
            default=quadrants[(False, False)],
        ),
        dtype="str",
    )
    out.index.name = customer_col
    return out


# --------------------------------------------------------------------------------------------
# costs: known, partly known or absent
# --------------------------------------------------------------------------------------------


def cost_coverage(transactions: pd.DataFrame, *, amount_col: str = "amount",
                  cost_col: str = "cost") -> float:
    """Share of the (positive) sales whose cost is known: 1 all costs given, 0 none.

    Without costs, gross profit is unknown: a gross profit computed with missing costs as zero is
    the sales, and a report must say so rather than call it profit.

    Parameters
    ----------
    transactions : DataFrame
        Transaction lines; a missing ``cost_col`` counts as no cost known.

    Returns
    -------
    float
        Within [0, 1]; 0 for no sales.

    Examples
    --------
    >>> tx = pd.DataFrame({"amount": [30.0, 10.0], "cost": [20.0, None]})
    >>> cost_coverage(tx)
    0.75
    """
    require_columns(transactions, [amount_col], table="transactions")
    amount = transactions[amount_col].astype("float64").clip(lower=0)
    total = float(amount.sum())
    if cost_col not in transactions.columns or total <= 0:
        return 0.0
    return float(amount[transactions[cost_col].notna().to_numpy()].sum()) / total


MARGIN_BASES: tuple[str, ...] = ("margin_from_parameter", "data_gross_margin", "sales_no_costs")
"""Where :func:`margin_basis` took the margin from."""


def margin_basis(transactions: pd.DataFrame, *, margin: float = 0.0, gross_margin: float | None = None,
                 min_coverage: float = 0.5, amount_col: str = "amount", cost_col: str = "cost") -> pd.DataFrame:
    """The profit margin a value (e.g. lifetime value) is computed with, and where it comes from.

    Parameters
    ----------
    transactions : DataFrame
        Transaction lines (for the cost coverage).
    margin : float, default 0.0
        The margin set by the user (a report parameter), within (0, 1]; 0 = take it from the data.
    gross_margin : float, optional
        The data's gross margin (e.g. :func:`crm_lib.clv.gross_margin`), used when ``margin`` is 0
        and at least ``min_coverage`` of the sales have a cost.
    min_coverage : float, default 0.5
        Share of sales with a known cost below which the data's margin is not trusted.

    Returns
    -------
    DataFrame
        One row: ``margin`` (the value to use), ``basis`` (one of :data:`MARGIN_BASES`:
        "margin_from_parameter", "data_gross_margin", or "sales_no_costs" when there are too few costs and no
        margin was given: the margin is 1 and the values are sales, not profit), ``cost_coverage``.

    Examples
    --------
    >>> tx = pd.DataFrame({"amount": [30.0, 10.0], "cost": [None, None]})
    >>> margin_basis(tx, gross_margin=1.0)[["margin", "basis"]].to_dict("records")
    [{'margin': 1.0, 'basis': 'sales_no_costs'}]
    >>> margin_basis(tx, margin=0.3)[["margin", "basis"]].to_dict("records")
    [{'margin': 0.3, 'basis': 'margin_from_parameter'}]
    """
    if not 0 <= float(margin) <= 1:
        raise DataError(f"`margin` must be within [0, 1] (0 = from the data), got {margin!r}.")
    coverage = cost_coverage(transactions, amount_col=amount_col, cost_col=cost_col)
    if margin > 0:
        value, basis = float(margin), "margin_from_parameter"
    elif coverage >= min_coverage and gross_margin is not None and np.isfinite(gross_margin):
        value, basis = float(gross_margin), "data_gross_margin"
    else:
        value, basis = 1.0, "sales_no_costs"
    return pd.DataFrame({"margin": [value], "basis": [basis], "cost_coverage": [coverage]})
