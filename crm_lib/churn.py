"""Lost customers: who is lost or at risk, why they leave, retention and its economics.

The rule that says who is lost (:func:`customer_status`)
--------------------------------------------------------
1. A customer with a loss record (``lost_customers``, ``lost_on`` on or before ``as_of``) is
   **lost**, with the recorded reason, unless they bought again after ``lost_on`` (won back: the
   record no longer counts; ``.attrs["came_back"]`` counts them). Otherwise records always win.
2. Otherwise, depending on ``rule``:

   * ``"records"``: nobody else is flagged;
   * ``"inactivity"`` (default): **at risk** when the days since the last purchase exceed ``k``
     times the customer's own usual interval between purchase days (``(last − first) /
     (purchase days − 1)``); customers with a single purchase day get the median interval of
     the others (``interval_source = "typical"``);
   * ``"prob_alive"``: **at risk** when the probability of being alive (from a fitted BG/NBD
     model, e.g. ``crm_lib.clv.BetaGeo``; passed in as a Series) is below ``threshold``.

3. Everyone else who bought on or before ``as_of`` is **active**.

"Churned" means lost or at risk. The churn date is ``lost_on`` for a record and the last purchase
for a customer flagged by the rule (the day after which they stopped buying).

Value at risk is a customer's **annual** sales and gross profit: their sales over their buying
life, spread over that life in years and at least one year (``sales × 365.25 / max(last − first +
usual interval, 365.25 days)``).

Reasons
-------
:data:`REFERENCE_LOSS_SHARES` are the course's shares of loss reasons. The reasons the company
could have prevented (:data:`PREVENTABLE_REASONS`) are staff indifference, product
dissatisfaction, cheaper elsewhere and a friend's recommendation (92% of losses in the reference);
deaths, moves and changed preferences are not, and "other" is unknown, so not counted preventable.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_lib import summary
from crm_lib._errors import DataError, DataWarning, fail_rows, require_columns, require_one_of
from crm_lib._frames import as_tuple, attach_groups, date_window
from crm_lib._notebook import accepts_absent
from crm_lib.schema import LOSS_REASONS, REFERENCE_LOSS_SHARES

__all__ = [
    "ACQUISITION_COST",
    "DISCOUNT_RATE",
    "HORIZON_YEARS",
    "INACTIVITY_MULTIPLE",
    "LOSS_REASONS",
    "PREVENTABLE_REASONS",
    "PROB_ALIVE_THRESHOLD",
    "REFERENCE_LOSS_SHARES",
    "RETENTION_GAIN",
    "STATUSES",
    "STATUS_RULES",
    "status_rule",
    "WIN_BACK_YEARS",
    "at_risk_summary",
    "churn_rate_by_month",
    "churn_reasons",
    "customer_status",
    "logrank",
    "preventable_share",
    "retention_economics",
    "retention_matrix",
    "survival",
    "win_back",
]

#: Loss reasons the company could have prevented.
PREVENTABLE_REASONS = (
    "staff_indifference",
    "product_dissatisfaction",
    "cheaper_elsewhere",
    "friend_recommendation",
)
#: The rules :func:`customer_status` can apply beyond the loss records.
STATUS_RULES = ("records", "inactivity", "prob_alive")
#: Customer statuses, from good to bad.
STATUSES = ("active", "at_risk", "lost")
#: At risk when inactive longer than this many usual purchase intervals.
INACTIVITY_MULTIPLE = 3.0
#: At risk when the probability of being alive is below this.
PROB_ALIVE_THRESHOLD = 0.5
#: The win-back list looks back this many years.
WIN_BACK_YEARS = 2
#: The retention rise of the course's example (5 percentage points).
RETENTION_GAIN = 0.05
#: Horizon of the retention economics, in years.
HORIZON_YEARS = 5
#: Yearly discount rate of future profit.
DISCOUNT_RATE = 0.10
#: Cost of acquiring one new customer (a placeholder: set your own).
ACQUISITION_COST = 200.0

_YEAR_DAYS = 365.25


def _check_reasons(lost: pd.DataFrame, reasons: Sequence[str], reason_col: str) -> None:
    allowed = list(reasons)
    fail_rows("lost_customers", reason_col, lost[reason_col], ~lost[reason_col].isin(allowed),
              f"one of {allowed}", hint="Map other spellings with a mapping file.")


# --- who is lost --------------------------------------------------------------------------------


def customer_status(transactions: pd.DataFrame, *, as_of, lost_customers: pd.DataFrame | None = None,
                    rule: str = "inactivity", k: float = INACTIVITY_MULTIPLE,
                    prob_alive: pd.Series | None = None, threshold: float = PROB_ALIVE_THRESHOLD,
                    default_interval_days: float | None = None,
                    customer_col: str = "customer_id", date_col: str = "date",
                    amount_col: str = "amount", cost_col: str = "cost",
                    lost_on_col: str = "lost_on", reason_col: str = "reason") -> pd.DataFrame:
    """Who is active, at risk or lost on ``as_of``, with the revenue and gross profit at stake.

    See the module docstring for the rule. Customers appear when they bought on or before
    ``as_of`` or have a loss record by then.

    Parameters
    ----------
    transactions : DataFrame
        Aggregated with :func:`crm_lib.summary.totals`.
    as_of : date
        The day of the assessment; later transactions and records are ignored.
    lost_customers : DataFrame, optional
        Loss records: customer_col, lost_on_col, reason_col.
    rule : {"records", "inactivity", "prob_alive"}, default "inactivity"
    k : float, default :data:`INACTIVITY_MULTIPLE`
        Inactivity multiple of the usual interval.
    prob_alive : Series, optional
        Probability alive per customer id (needed by ``rule="prob_alive"``).
    threshold : float, default :data:`PROB_ALIVE_THRESHOLD`
    default_interval_days : float, optional
        Usual interval for customers with one purchase day; the median of the others if omitted.

    Returns
    -------
    DataFrame
        One row per customer: customer_id, status ("active", "at_risk", "lost"), reason (the
        recorded reason, "inactivity" or "prob_alive"; empty when active), first_purchase,
        last_purchase, purchase_days, usual_interval_days, interval_source ("own", "typical"),
        days_inactive, prob_alive, churned (bool), churn_date, tenure_days (first purchase to
        churn date, or to ``as_of`` when not churned), sales, gross_profit, annual_sales,
        annual_gross_profit.

    Examples
    --------
    >>> tx = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "a", "b"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-01-21", "2026-01-25"]),
    ...     "amount": [10.0, 10.0, 10.0, 50.0], "cost": [5.0, 5.0, 5.0, 20.0]})
    >>> customer_status(tx, as_of="2026-02-22")[["customer_id", "status", "usual_interval_days"]]
      customer_id   status  usual_interval_days
    0           a  at_risk                 10.0
    1           b   active                 10.0
    """
    require_one_of("rule", rule, STATUS_RULES)
    as_of = pd.Timestamp(as_of)
    if not k > 0:
        raise DataError(f"`k` must be a positive number of usual intervals, got {k!r}.")
    if not 0 <= threshold <= 1:
        raise DataError(f"`threshold` must be a probability within [0, 1], got {threshold!r}.")
    tot = summary.totals(transactions, by=(customer_col,), as_of=as_of, date_col=date_col,
                         amount_col=amount_col, cost_col=cost_col,
                         quantity_col=None, order_col=None)
    tot = tot[["first_purchase", "last_purchase", "purchase_days", "sales", "gross_profit"]]
    if lost_customers is not None:
        require_columns(lost_customers, [customer_col, lost_on_col, reason_col],
                        table="lost_customers")
        rec = lost_customers[[customer_col, lost_on_col, reason_col]].copy()
        rec[lost_on_col] = pd.to_datetime(rec[lost_on_col])
        fail_rows("lost_customers", lost_on_col, rec[lost_on_col], rec[lost_on_col].isna(),
                  "a date")
        rec = rec[rec[lost_on_col] <= as_of]
        fail_rows("lost_customers", customer_col, rec[customer_col],
                  rec[customer_col].duplicated(keep=False), "unique (one loss record per customer)")
        rec = rec.set_index(customer_col)
    else:
        rec = pd.DataFrame({lost_on_col: pd.Series(dtype="datetime64[ns]"),
                            reason_col: pd.Series(dtype="str")})
    ids = tot.index.union(rec.index)
    out = tot.reindex(ids)
    out.index.name = customer_col
    out["purchase_days"] = out["purchase_days"].fillna(0).astype(int)
    out[["sales", "gross_profit"]] = out[["sales", "gross_profit"]].fillna(0.0)
    span = (out["last_purchase"] - out["first_purchase"]).dt.days.astype(float)
    own = span / (out["purchase_days"] - 1).where(out["purchase_days"] >= 2)
    if default_interval_days is None:
        typical = float(own.median()) if own.notna().any() else np.nan
        if np.isnan(typical):
            typical = _YEAR_DAYS
            if len(out):
                warnings.warn("No customer bought on two different days: the usual interval is "
                              "set to one year; pass `default_interval_days`.", DataWarning,
                              stacklevel=2)
    else:
        typical = float(default_interval_days)
    out["usual_interval_days"] = own.fillna(typical)
    out["interval_source"] = np.where(own.notna(), "own", "typical")
    out["days_inactive"] = (as_of - out["last_purchase"]).dt.days.astype(float)

    if prob_alive is not None:
        pa = pd.Series(prob_alive, dtype=float)
        out["prob_alive"] = pa.reindex(out.index).to_numpy()
    else:
        out["prob_alive"] = np.nan
    lost_on = rec[lost_on_col].reindex(out.index)
    came_back = (out["last_purchase"] > lost_on).to_numpy(dtype=bool)
    is_lost = out.index.isin(rec.index) & ~came_back
    if rule == "inactivity":
        flag = out["days_inactive"] > k * out["usual_interval_days"]
    elif rule == "prob_alive":
        if prob_alive is None:
            raise DataError("`rule='prob_alive'` needs `prob_alive`: a Series of the probability "
                            "alive per customer id (e.g. from crm_lib.clv.BetaGeo).")
        missing = int((out["prob_alive"].isna() & ~is_lost & out["last_purchase"].notna()).sum())
        if missing:
            warnings.warn(f"{missing} customers have no `prob_alive` value: they count as active.",
                          DataWarning, stacklevel=2)
        flag = out["prob_alive"] < threshold
    else:
        flag = pd.Series(False, index=out.index)
    flag = flag.fillna(False).to_numpy(dtype=bool) & ~is_lost
    status = np.where(is_lost, "lost", np.where(flag, "at_risk", "active"))
    out["status"] = status
    out["reason"] = rec[reason_col].reindex(out.index).astype(object).where(is_lost)
    out.loc[flag, "reason"] = rule
    out["reason"] = out["reason"].astype("str").where(out["reason"].notna())
    out["churned"] = status != "active"
    out["churn_date"] = lost_on.where(is_lost, out["last_purchase"].where(flag))
    end = out["churn_date"].where(out["churned"], as_of)
    out["tenure_days"] = (end - out["first_purchase"]).dt.days.astype(float)
    life = (span + out["usual_interval_days"]).clip(lower=_YEAR_DAYS).fillna(_YEAR_DAYS)
    out["annual_sales"] = out["sales"] * _YEAR_DAYS / life
    out["annual_gross_profit"] = out["gross_profit"] * _YEAR_DAYS / life
    cols = ["status", "reason", "first_purchase", "last_purchase", "purchase_days",
            "usual_interval_days", "interval_source", "days_inactive", "prob_alive", "churned",
            "churn_date", "tenure_days", "sales", "gross_profit", "annual_sales",
            "annual_gross_profit"]
    result = out[cols].reset_index()
    result.attrs["came_back"] = int(came_back.sum())
    return result


def at_risk_summary(status: pd.DataFrame, *, by=None, groups=None,
                    customer_col: str = "customer_id") -> pd.DataFrame:
    """Customers, annual sales and gross profit per status (the revenue and profit at risk).

    Parameters
    ----------
    status : DataFrame
        The result of :func:`customer_status`.
    by : str or sequence of str, optional
        Further grouping columns (from ``status`` or ``groups``), e.g. "tier".
    groups : DataFrame or Series, optional
        Customer attributes by customer id.

    Returns
    -------
    DataFrame
        The ``by`` columns, status, customers, customer_share, annual_sales, sales_share,
        annual_gross_profit, gross_profit_share (shares within each ``by`` group). Every status
        appears, with zeros when empty.

    Examples
    --------
    >>> st = pd.DataFrame({"customer_id": ["a", "b"], "status": ["active", "lost"],
    ...                    "annual_sales": [30.0, 10.0], "annual_gross_profit": [3.0, 1.0]})
    >>> at_risk_summary(st)[["status", "customers", "sales_share"]]
        status  customers  sales_share
    0   active          1         0.75
    1  at_risk          0         0.00
    2     lost          1         0.25
    """
    by = as_tuple(by)
    require_columns(status, ["status", "annual_sales", "annual_gross_profit"], table="status")
    df = attach_groups(status, by, groups, customer_col=customer_col, table="status")
    df["customers"] = 1
    keys = list(by) + ["status"]
    agg = df.groupby(keys, dropna=False)[["customers", "annual_sales", "annual_gross_profit"]].sum()
    if by:
        outer = agg.index.droplevel("status").unique()
        full = pd.MultiIndex.from_tuples(
            [(*(o if isinstance(o, tuple) else (o,)), s) for o in outer for s in STATUSES],
            names=keys)
    else:
        full = pd.Index(list(STATUSES), name="status")
    agg = agg.reindex(full, fill_value=0).reset_index()
    agg["customers"] = agg["customers"].astype(int)
    for col, share in (("customers", "customer_share"), ("annual_sales", "sales_share"),
                       ("annual_gross_profit", "gross_profit_share")):
        total = agg.groupby(list(by))[col].transform("sum") if by else agg[col].sum()
        agg[share] = agg[col] / total
    return agg[list(by) + ["status", "customers", "customer_share", "annual_sales", "sales_share",
                           "annual_gross_profit", "gross_profit_share"]]


# --- reasons ------------------------------------------------------------------------------------


def status_rule(*, rule: str = "inactivity", k: float = INACTIVITY_MULTIPLE,
                threshold: float = PROB_ALIVE_THRESHOLD) -> pd.DataFrame:
    """The rule of :func:`customer_status` as a table, for a report to state it.

    Every notebook that counts lost or at-risk customers (customer analysis, churn, satisfaction,
    complaints) takes them from :func:`customer_status` and shows this table next to the count.

    Parameters
    ----------
    rule, k, threshold
        As for :func:`customer_status`.

    Returns
    -------
    DataFrame
        One row per status ("lost", "at_risk", "active"): ``status``, ``condition`` (a catalogue
        key), ``value`` (the rule's number: ``k`` or ``threshold``; empty where none applies).

    Examples
    --------
    >>> status_rule(k=3.0).iloc[1].to_dict()
    {'status': 'at_risk', 'condition': 'status_rule_inactivity', 'value': 3.0}
    """
    require_one_of("rule", rule, STATUS_RULES)
    at_risk = {"inactivity": ("status_rule_inactivity", float(k)),
               "prob_alive": ("status_rule_prob_alive", float(threshold)),
               "records": ("status_rule_records_only", np.nan)}[rule]
    return pd.DataFrame({"status": ["lost", "at_risk", "active"],
                         "condition": ["status_rule_lost", at_risk[0], "status_rule_active"],
                         "value": [np.nan, at_risk[1], np.nan]})


@accepts_absent('lost_customers', columns=('reason', 'lost_customers', 'share', 'cum_share', 'reference_share', 'difference', 'preventable'))
def churn_reasons(lost_customers: pd.DataFrame, *, by=None, groups=None,
                  reasons: Sequence[str] = LOSS_REASONS, reference=REFERENCE_LOSS_SHARES,
                  preventable: Sequence[str] = PREVENTABLE_REASONS, start=None, as_of=None,
                  customer_col: str = "customer_id", lost_on_col: str = "lost_on",
                  reason_col: str = "reason") -> pd.DataFrame:
    """Pareto of loss reasons, side by side with the course's reference shares.

    Parameters
    ----------
    lost_customers : DataFrame
        Loss records: customer_col, reason_col (one of ``reasons``) and, to use ``start`` or
        ``as_of``, lost_on_col.
    by : str or sequence of str, optional
        Grouping columns (tier, region, sales_rep, …), from the records or ``groups``.
    groups : DataFrame or Series, optional
        Customer attributes by customer id (e.g. the customers table).
    reasons : sequence of str, default ``LOSS_REASONS``
        The allowed reasons; any other value is a :class:`DataError`.
    reference : mapping, default :data:`REFERENCE_LOSS_SHARES`
    preventable : sequence of str, default :data:`PREVENTABLE_REASONS`
    start, as_of : date, optional
        Keep losses with ``start <= lost_on <= as_of``.

    Returns
    -------
    DataFrame
        Per ``by`` group and reason (every reason, largest first, ties in the order of
        ``reasons``): the ``by`` columns, reason,
        lost_customers (count), share, cum_share (shares of the group's losses),
        reference_share (empty for a reason outside the reference), difference (share −
        reference_share), preventable (bool).

    Examples
    --------
    >>> lc = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...                    "reason": ["moved", "staff_indifference", "staff_indifference", "died"]})
    >>> churn_reasons(lc)[["reason", "lost_customers", "share"]].head(3)
                   reason  lost_customers  share
    0  staff_indifference               2   0.50
    1                died               1   0.25
    2               moved               1   0.25
    """
    by = as_tuple(by)
    require_columns(lost_customers, [customer_col, reason_col], table="lost_customers")
    _check_reasons(lost_customers, reasons, reason_col)
    df = date_window(lost_customers, lost_on_col, start=start, as_of=as_of,
                     table="lost_customers")
    df = attach_groups(df, by, groups, customer_col=customer_col, table="lost_customers")
    order = list(reasons)
    if by:
        counts = df.groupby(list(by) + [reason_col], dropna=False).size().unstack(reason_col)
        counts = counts.reindex(columns=order, fill_value=0).fillna(0).astype(int)
        counts.columns.name = "reason"
        long = counts.stack().rename("lost_customers").reset_index()
    else:
        vc = df[reason_col].value_counts().reindex(order, fill_value=0)
        long = pd.DataFrame({"reason": order, "lost_customers": vc.to_numpy(dtype=int)})
    long["_order"] = long["reason"].map({r: i for i, r in enumerate(order)})
    long = long.sort_values(list(by) + ["lost_customers", "_order"],
                            ascending=[True] * len(by) + [False, True], kind="stable")
    if by:
        total = long.groupby(list(by), dropna=False)["lost_customers"].transform("sum")
        cum = long.groupby(list(by), dropna=False)["lost_customers"].cumsum()
    else:
        total, cum = long["lost_customers"].sum(), long["lost_customers"].cumsum()
    with np.errstate(invalid="ignore", divide="ignore"):
        long["share"] = long["lost_customers"] / total
        long["cum_share"] = cum / total
    ref = dict(reference)
    long["reference_share"] = long["reason"].map(ref).astype(float)
    long["difference"] = long["share"] - long["reference_share"]
    long["preventable"] = long["reason"].isin(list(preventable))
    return long.drop(columns="_order").reset_index(drop=True)


@accepts_absent('lost_customers', columns=('lost_customers', 'preventable_losses', 'preventable_share', 'reference_share'))
def preventable_share(lost_customers: pd.DataFrame, *, by=None, groups=None,
                      preventable: Sequence[str] = PREVENTABLE_REASONS,
                      reference=REFERENCE_LOSS_SHARES, **kwargs) -> pd.DataFrame:
    """Share of losses the company could have prevented, next to the reference share.

    Parameters
    ----------
    lost_customers, by, groups, preventable, reference
        As in :func:`churn_reasons` (further keywords are passed on to it).

    Returns
    -------
    DataFrame
        The ``by`` columns, lost_customers, preventable_losses (counts), preventable_share,
        reference_share (the reference shares of the preventable reasons, summed).

    Examples
    --------
    >>> lc = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...                    "reason": ["moved", "staff_indifference", "cheaper_elsewhere", "died"]})
    >>> preventable_share(lc)[["lost_customers", "preventable_losses", "preventable_share"]]
       lost_customers  preventable_losses  preventable_share
    0               4                   2                0.5
    """
    by = as_tuple(by)
    r = churn_reasons(lost_customers, by=by, groups=groups, preventable=preventable,
                      reference=reference, **kwargs)
    r["prev_lost"] = r["lost_customers"].where(r["preventable"], 0)
    if by:
        agg = r.groupby(list(by), dropna=False)[["lost_customers", "prev_lost"]].sum().reset_index()
    else:
        agg = r[["lost_customers", "prev_lost"]].sum().to_frame().T
    agg = agg.rename(columns={"prev_lost": "preventable_losses"})
    counts = ["lost_customers", "preventable_losses"]
    agg[counts] = agg[counts].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["preventable_share"] = (agg["preventable_losses"]
                                    / agg["lost_customers"].where(agg["lost_customers"] > 0))
    agg["reference_share"] = float(sum(v for k, v in dict(reference).items() if k in preventable))
    return agg.reset_index(drop=True)


# --- retention ----------------------------------------------------------------------------------


def retention_matrix(transactions: pd.DataFrame, *, freq: str = "M", as_of=None,
                     values: str = "share", customer_col: str = "customer_id",
                     date_col: str = "date", amount_col: str = "amount",
                     cost_col: str = "cost") -> pd.DataFrame:
    """Acquisition cohorts × periods since acquisition: the share of each cohort still buying.

    A customer is active in a period when their net sales in it are positive (per-customer
    per-period totals from :func:`crm_lib.summary.period_totals`). Their cohort is their first
    active period. Note that the first cohort of the data also holds every customer acquired
    before the data starts.

    Parameters
    ----------
    transactions : DataFrame
    freq : str, default "M"
        Period length (a pandas period alias: "M", "Q", "W", …).
    as_of : date, optional
        Last day counted; cells after its period are empty (not observable yet). Default: the
        last transaction.
    values : {"share", "active"}, default "share"
        Share of the cohort active, or the number of active customers.

    Returns
    -------
    DataFrame
        Index ``cohort`` (period start), columns 0, 1, 2, … (periods since acquisition, named
        ``periods_since``); column 0 is 1.0 (or the cohort size). Unobservable cells are NaN.

    Examples
    --------
    >>> tx = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "a", "c"],
    ...     "date": pd.to_datetime(["2026-01-03", "2026-01-09", "2026-02-02", "2026-02-20"]),
    ...     "amount": [10.0, 10.0, 10.0, 10.0], "cost": [5.0, 5.0, 5.0, 5.0]})
    >>> retention_matrix(tx).to_numpy().tolist()
    [[1.0, 0.5], [1.0, nan]]
    """
    require_one_of("values", values, ("share", "active"))
    pt = summary.period_totals(transactions, freq=freq, by=(customer_col,), as_of=as_of,
                               date_col=date_col, amount_col=amount_col, cost_col=cost_col,
                               order_col=None)
    act = pt.loc[pt["sales"] > 0, [customer_col, "period"]]
    if act.empty:
        empty = pd.DataFrame(index=pd.DatetimeIndex([], name="cohort"))
        empty.columns.name = "periods_since"
        return empty
    ordinal = pd.PeriodIndex(pd.to_datetime(act["period"]), freq=freq).asi8
    act = act.assign(_o=ordinal)
    first = act.groupby(customer_col)["_o"].transform("min")
    act = act.assign(_c=first, _k=ordinal - first)
    if as_of is not None:
        last = int(pd.Period(pd.Timestamp(as_of), freq=freq).ordinal)
    else:
        last = int(ordinal.max())
    counts = act.groupby(["_c", "_k"])[customer_col].nunique().unstack("_k", fill_value=0)
    kmax = int(counts.columns.max())
    counts = counts.reindex(columns=range(kmax + 1), fill_value=0).astype(float)
    observable = (counts.index.to_numpy()[:, None] + np.arange(kmax + 1)[None, :]) <= last
    counts = counts.where(observable)
    if values == "share":
        counts = counts.div(counts[0], axis=0)
    counts.index = pd.PeriodIndex.from_ordinals(counts.index.to_numpy(), freq=freq).start_time
    counts.index.name = "cohort"
    counts.columns = pd.Index(range(kmax + 1), name="periods_since")
    return counts


def _durations(df: pd.DataFrame, duration_col: str, event_col: str, group_col: str | None,
               table: str, groups=None, customer_col: str = "customer_id") -> pd.DataFrame:
    if group_col and group_col not in df.columns and groups is not None:
        df = attach_groups(df, (group_col,), groups, customer_col=customer_col, table=table)
    cols = [duration_col, event_col] + ([group_col] if group_col else [])
    require_columns(df, cols, table=table)
    d = pd.DataFrame({"duration": pd.to_numeric(df[duration_col], errors="coerce"),
                      "event": df[event_col].fillna(False).astype(bool)}, index=df.index)
    d["group"] = df[group_col].astype(object).fillna("(none)").astype(str) if group_col else "all"
    bad = d["duration"].isna() | (d["duration"] < 0)
    if bad.any():
        warnings.warn(f"{int(bad.sum())} rows of `{table}` have no usable {duration_col} "
                      "(empty or negative): left out of the survival curves.", DataWarning,
                      stacklevel=3)
    return d[~bad]


def survival(df: pd.DataFrame, *, duration_col: str = "tenure_days", event_col: str = "churned",
             group_col: str | None = None, groups=None, confidence: float = 0.95,
             customer_col: str = "customer_id") -> pd.DataFrame:
    """Kaplan-Meier survival curves with confidence bands, overall or per group (lifelines).

    ``S(t) = Π_{t_i <= t} (1 − d_i / n_i)`` with ``d_i`` events and ``n_i`` at risk at each event
    time. The bands are lifelines' exponential Greenwood intervals (log(−log) scale).

    Parameters
    ----------
    df : DataFrame
        One row per subject, e.g. :func:`customer_status` (tenure_days, churned).
    duration_col : str, default "tenure_days"
    event_col : str, default "churned"
        True when the subject was lost (an event), False when still observed (censored).
    group_col : str, optional
        One curve per value (e.g. "tier"); empty values form the group "(none)".
    groups : DataFrame or Series, optional
        Customer attributes by customer id, when ``group_col`` is not a column of ``df`` (e.g. a
        tiering result).
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        The group column (named ``group_col``, when given), survival_time (in the unit of
        ``duration_col``), at_risk, events, censored, survival, survival_lower, survival_upper;
        one row per group and distinct time (starting at 0). Rows without a usable duration are left out with a
        :class:`DataWarning`.

    Examples
    --------
    >>> d = pd.DataFrame({"tenure_days": [1, 2, 2, 3], "churned": [True, True, False, True]})
    >>> survival(d)[["survival_time", "at_risk", "survival"]]
       survival_time  at_risk  survival
    0            0.0        4      1.00
    1            1.0        4      0.75
    2            2.0        3      0.50
    3            3.0        1      0.00
    """
    from lifelines import KaplanMeierFitter

    if not 0 < confidence < 1:
        raise DataError(f"`confidence` must be within (0, 1), got {confidence!r}.")
    d = _durations(df, duration_col, event_col, group_col, "survival input", groups, customer_col)
    cols = ["_group", "survival_time", "at_risk", "events", "censored", "survival",
            "survival_lower", "survival_upper"]
    parts = []
    for name, g in d.groupby("group", sort=True):
        kmf = KaplanMeierFitter(alpha=1 - confidence)
        kmf.fit(g["duration"], event_observed=g["event"], label="s")
        et = kmf.event_table
        ci = kmf.confidence_interval_survival_function_
        parts.append(pd.DataFrame({
            "_group": name,
            "survival_time": et.index.to_numpy(dtype=float),
            "at_risk": et["at_risk"].to_numpy(dtype=int),
            "events": et["observed"].to_numpy(dtype=int),
            "censored": et["censored"].to_numpy(dtype=int),
            "survival": kmf.survival_function_["s"].reindex(et.index).to_numpy(),
            "survival_lower": ci.iloc[:, 0].reindex(et.index).to_numpy(),
            "survival_upper": ci.iloc[:, 1].reindex(et.index).to_numpy(),
        }))
    if not parts:
        warnings.warn("No subjects for the survival curves.", DataWarning, stacklevel=2)
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
        return empty.drop(columns="_group") if group_col is None else empty.rename(
            columns={"_group": group_col})
    out = pd.concat(parts, ignore_index=True)[cols]
    if group_col is None:
        return out.drop(columns="_group")
    return out.rename(columns={"_group": group_col})


def logrank(df: pd.DataFrame, *, group_col: str, groups=None, duration_col: str = "tenure_days",
            event_col: str = "churned", alpha: float = 0.05,
            customer_col: str = "customer_id") -> pd.DataFrame:
    """Log-rank test: do the survival curves of the groups differ?

    Parameters
    ----------
    df : DataFrame
        One row per subject with duration, event and group.
    group_col : str
        The grouping column (e.g. "tier"), from ``df`` or ``groups``.
    groups : DataFrame or Series, optional
        Customer attributes by customer id (see :func:`survival`).
    alpha : float, default 0.05
        Significance level of the ``significant`` column.

    Returns
    -------
    DataFrame
        One row for all groups together (comparison "all"), then one per pair of groups when
        there are more than two: comparison, compared_groups, statistic, dof, p_value,
        significant (p_value < ``alpha``; pairs are not corrected for multiple testing). Fewer than two
        groups give a :class:`DataWarning` and an empty table.

    Examples
    --------
    >>> d = pd.DataFrame({"tenure_days": [1, 2, 3, 8, 9, 10], "churned": [True] * 6,
    ...                   "tier": ["a", "a", "a", "b", "b", "b"]})
    >>> float(round(logrank(d, group_col="tier")["p_value"].iloc[0], 4))
    0.0246
    """
    from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test

    d = _durations(df, duration_col, event_col, group_col, "logrank input", groups, customer_col)
    cols = ["comparison", "compared_groups", "statistic", "dof", "p_value", "significant"]
    names = sorted(d["group"].unique())
    if len(names) < 2:
        warnings.warn(f"The log-rank test needs two groups of `{group_col}`, got {names}.",
                      DataWarning, stacklevel=2)
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("statistic", "p_value") else object)
                             for c in cols})
    with warnings.catch_warnings():  # lifelines 0.30 calls pandas with positional axis arguments
        warnings.filterwarnings("ignore", message=".*keyword-only", category=DeprecationWarning)
        res = multivariate_logrank_test(d["duration"], d["group"], d["event"])
        pw = (pairwise_logrank_test(d["duration"], d["group"], d["event"]).summary
              if len(names) > 2 else None)
    rows = [{"comparison": "all", "compared_groups": ", ".join(names), "statistic": float(res.test_statistic),
             "dof": int(res.degrees_of_freedom), "p_value": float(res.p_value)}]
    if pw is not None:
        rows += [{"comparison": "pair", "compared_groups": f"{a}, {b}", "statistic": float(r["test_statistic"]),
                  "dof": 1, "p_value": float(r["p"])} for (a, b), r in pw.iterrows()]
    out = pd.DataFrame(rows, columns=cols[:-1])
    out["significant"] = out["p_value"] < alpha
    return out


def churn_rate_by_month(status: pd.DataFrame, *, as_of, start=None, freq: str = "M") -> pd.DataFrame:
    """Churn rate per period: churned customers over the customers exposed in the period.

    Exposed = active at the period start (first purchase before it, not churned before it) plus
    the customers acquired during it. Churn dates come from :func:`customer_status`: with the
    inactivity rule the last months are low because recent leavers are not overdue yet.

    Parameters
    ----------
    status : DataFrame
        :func:`customer_status` output (first_purchase, churned, churn_date).
    as_of : date
        Last day; the last period may be partial.
    start : date, optional
        First period (default: the first purchase in ``status``).
    freq : str, default "M"

    Returns
    -------
    DataFrame
        period (start), customers_start, new_customers, churned, churn_rate. Customers without a
        first purchase (loss records only) are left out and counted in ``.attrs["excluded"]``.

    Examples
    --------
    >>> st = pd.DataFrame({"first_purchase": pd.to_datetime(["2026-01-02", "2026-01-05"]),
    ...                    "churned": [True, False], "churn_date": pd.to_datetime(["2026-02-10", None])})
    >>> churn_rate_by_month(st, as_of="2026-02-28")[["period", "customers_start", "churned", "churn_rate"]]
          period  customers_start  churned  churn_rate
    0 2026-01-01                0        0         0.0
    1 2026-02-01                2        1         0.5
    """
    require_columns(status, ["first_purchase", "churned", "churn_date"], table="status")
    as_of = pd.Timestamp(as_of)
    fp = pd.to_datetime(status["first_purchase"])
    excluded = int(fp.isna().sum())
    ok = fp.notna()
    fp = fp[ok]
    cd = pd.to_datetime(status.loc[ok, "churn_date"]).where(status.loc[ok, "churned"].astype(bool))
    first = pd.Timestamp(start) if start is not None else (fp.min() if len(fp) else as_of)
    periods = pd.period_range(first, as_of, freq=freq)
    starts = periods.start_time.to_numpy()
    ends = (periods + 1).start_time.to_numpy()
    fpv = np.sort(fp.to_numpy())
    cdv = np.sort(cd.dropna().to_numpy())
    acquired_before = np.searchsorted(fpv, starts, side="left")
    churned_before = np.searchsorted(cdv, starts, side="left")
    new = np.searchsorted(fpv, ends, side="left") - acquired_before
    churned = np.searchsorted(cdv, ends, side="left") - churned_before
    base = acquired_before - churned_before
    exposed = base + new
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(exposed > 0, churned / np.maximum(exposed, 1), np.nan)
    out = pd.DataFrame({"period": periods.start_time, "customers_start": base,
                        "new_customers": new, "churned": churned, "churn_rate": rate})
    out.attrs["excluded"] = excluded
    return out


def win_back(status: pd.DataFrame, transactions: pd.DataFrame, *, as_of,
             years: float = WIN_BACK_YEARS, top: int = 50, statuses=("lost", "at_risk"),
             value_col: str = "annual_gross_profit", products: pd.DataFrame | None = None,
             top_products: int = 3, customer_col: str = "customer_id", date_col: str = "date",
             amount_col: str = "amount", cost_col: str = "cost", product_col: str = "product_id",
             product_name_col: str = "name") -> pd.DataFrame:
    """The win-back list: the most valuable customers lost in the last ``years``, with what they bought.

    Parameters
    ----------
    status : DataFrame
        :func:`customer_status` output.
    transactions : DataFrame
        For the products each customer used to buy (:func:`crm_lib.summary.totals` per product).
    as_of : date
    years : float, default :data:`WIN_BACK_YEARS`
        Churn dates after ``as_of − years`` count.
    top : int, default 50
        Length of the list, ranked by ``value_col``.
    statuses : tuple, default ("lost", "at_risk")
    products : DataFrame, optional
        Product names (product_col, product_name_col) for the ``used_to_buy`` column.
    top_products : int, default 3

    Returns
    -------
    DataFrame
        customer_id, status, reason, churn_date, last_purchase, annual_sales,
        annual_gross_profit, sales, products_bought (distinct products), used_to_buy (the top
        products by sales, largest first, comma-separated).

    Examples
    --------
    >>> st = pd.DataFrame({"customer_id": ["a", "b"], "status": ["lost", "active"],
    ...     "reason": ["moved", None], "churn_date": pd.to_datetime(["2026-01-01", None]),
    ...     "last_purchase": pd.to_datetime(["2025-12-01", "2026-01-01"]),
    ...     "annual_sales": [100.0, 50.0], "annual_gross_profit": [40.0, 20.0], "sales": [100.0, 50.0]})
    >>> tx = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2025-12-01", "2025-12-01"]), "product_id": ["P1", "P2"],
    ...     "amount": [30.0, 70.0], "cost": [10.0, 50.0]})
    >>> win_back(st, tx, as_of="2026-06-30")[["customer_id", "used_to_buy"]]
      customer_id used_to_buy
    0           a      P2, P1
    """
    as_of = pd.Timestamp(as_of)
    need = [customer_col, "status", "reason", "churn_date", "last_purchase", "annual_sales",
            "annual_gross_profit", "sales"]
    require_columns(status, need, table="status")
    since = as_of - pd.Timedelta(days=round(years * _YEAR_DAYS))
    cd = pd.to_datetime(status["churn_date"])
    sel = status[status["status"].isin(list(statuses)) & (cd > since) & (cd <= as_of)]
    sel = sel.sort_values([value_col, customer_col], ascending=[False, True], kind="stable")
    sel = sel.head(top)[need].reset_index(drop=True)
    require_columns(transactions, [customer_col, product_col], table="transactions")
    tx = transactions[transactions[customer_col].isin(set(sel[customer_col]))]
    if tx.empty:
        sel["products_bought"] = 0
        sel["used_to_buy"] = ""
        return sel
    per = summary.totals(tx, by=(customer_col, product_col), as_of=as_of, date_col=date_col,
                         amount_col=amount_col, cost_col=cost_col,
                         quantity_col=None, order_col=None)[["sales"]].reset_index()
    if products is not None:
        require_columns(products, [product_col, product_name_col], table="products")
        names = products.drop_duplicates(product_col).set_index(product_col)[product_name_col]
        per["label"] = per[product_col].map(names).fillna(per[product_col]).astype(str)
    else:
        per["label"] = per[product_col].astype(str)
    per = per.sort_values([customer_col, "sales", "label"], ascending=[True, False, True],
                          kind="stable")
    n = per.groupby(customer_col)[product_col].nunique()
    topp = per[per["sales"] > 0].groupby(customer_col).head(top_products)
    used = topp.groupby(customer_col)["label"].agg(", ".join)
    sel["products_bought"] = sel[customer_col].map(n).fillna(0).astype(int)
    sel["used_to_buy"] = sel[customer_col].map(used).fillna("")
    return sel


def retention_economics(status: pd.DataFrame, *, as_of, retention_gain: float = RETENTION_GAIN,
                        years: int = HORIZON_YEARS, discount_rate: float = DISCOUNT_RATE,
                        acquisition_cost: float = ACQUISITION_COST) -> pd.DataFrame:
    """What retention is worth, from the data: the course's "5 points more retention" and the cost of a loss.

    Fitted from ``status`` (:func:`customer_status`):

    * ``r`` = yearly retention = 1 − (customers of one year ago who churned since) / (customers
      active one year ago);
    * ``m`` = mean annual gross profit of the customers active one year ago;
    * ``N`` = customers active at ``as_of``.

    Profit of today's customers over ``years`` years, discounted at ``d``:
    ``P(r) = N · m · Σ_{t=1..years} (r / (1 + d))^t``. The rise adds ``P(min(r + gain, 1)) −
    P(r)``. A lost customer costs ``m · Σ_{t=1..years} (r / (1 + d))^t`` (the profit they would
    have brought), compared with ``acquisition_cost``.

    Returns
    -------
    DataFrame
        metric, value, note: customers_year_ago, churned_in_year, retention_rate,
        annual_gross_profit_per_customer, active_customers, profit_baseline, retention_improved,
        profit_improved, added_profit, added_profit_pct, lost_customer_value, acquisition_cost,
        lost_value_vs_acquisition, plus the parameters (retention_gain, years, discount_rate).

    Examples
    --------
    >>> st = pd.DataFrame({"first_purchase": pd.to_datetime(["2024-01-01"] * 4),
    ...     "churned": [True, False, False, False],
    ...     "churn_date": pd.to_datetime(["2025-09-01", None, None, None]),
    ...     "status": ["lost", "active", "active", "active"], "annual_gross_profit": [100.0] * 4})
    >>> e = retention_economics(st, as_of="2025-12-31", discount_rate=0.0, years=1).set_index("metric")
    >>> e.loc[["retention_rate", "profit_baseline", "added_profit"], "value"].tolist()
    [0.75, 225.0, 15.0]
    """
    require_columns(status, ["first_purchase", "churned", "churn_date", "status",
                             "annual_gross_profit"], table="status")
    if not 0 <= retention_gain <= 1:
        raise DataError(f"`retention_gain` must be a share within [0, 1], got {retention_gain!r}.")
    if int(years) < 1:
        raise DataError(f"`years` must be at least 1, got {years!r}.")
    as_of = pd.Timestamp(as_of)
    t0 = as_of - pd.Timedelta(days=365)
    fp = pd.to_datetime(status["first_purchase"])
    cd = pd.to_datetime(status["churn_date"]).where(status["churned"].astype(bool))
    base = (fp <= t0) & ~(cd <= t0)
    lost = base & (cd > t0) & (cd <= as_of)
    n_base, n_lost = int(base.sum()), int(lost.sum())
    if n_base == 0:
        warnings.warn("No customer was active a year before `as_of`: the retention economics "
                      "are empty.", DataWarning, stacklevel=2)
    r = 1 - n_lost / n_base if n_base else np.nan
    m = float(status.loc[base, "annual_gross_profit"].mean()) if n_base else np.nan
    n_now = int((status["status"] == "active").sum())
    t = np.arange(1, int(years) + 1)

    def horizon(rate: float) -> float:
        return float(np.sum((rate / (1 + discount_rate)) ** t))

    r2 = min(r + retention_gain, 1.0) if n_base else np.nan
    p1, p2 = n_now * m * horizon(r), n_now * m * horizon(r2)
    lost_value = m * horizon(r)
    rows = [
        ("customers_year_ago", n_base, "customers active 365 days before as_of"),
        ("churned_in_year", n_lost, "of those, churned by as_of"),
        ("retention_rate", r, "r = 1 - churned / customers a year ago"),
        ("annual_gross_profit_per_customer", m, "m = mean annual gross profit of those customers"),
        ("active_customers", n_now, "N = customers active at as_of"),
        ("retention_gain", retention_gain, "parameter"),
        ("years", int(years), "parameter"),
        ("discount_rate", discount_rate, "parameter d"),
        ("profit_baseline", p1, "P(r) = N m sum_t (r/(1+d))^t"),
        ("retention_improved", r2, "r + gain (at most 1)"),
        ("profit_improved", p2, "P(r + gain)"),
        ("added_profit", p2 - p1, "P(r + gain) - P(r)"),
        ("added_profit_pct", 100 * (p2 - p1) / p1 if p1 else np.nan, "percent of P(r)"),
        ("lost_customer_value", lost_value, "m sum_t (r/(1+d))^t"),
        ("acquisition_cost", acquisition_cost, "parameter"),
        ("lost_value_vs_acquisition", lost_value / acquisition_cost if acquisition_cost else np.nan,
         "lost customer value / acquisition cost"),
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "note"]).astype({"value": float})
