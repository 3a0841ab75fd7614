"""Report helpers over the model results: top customers, value by group, the unit, the replenishment list."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, examples, require_columns
from crm_lib.clv._bgnbd import BetaGeo
from crm_lib.clv._engine import (
    _TABLE,
    MONTH_LENGTH,
    PERIOD_DAYS,
    _numbers,
    _resolve_freq,
    _rft,
)

#: Quantiles of the waiting time to the next purchase that bound the band in :func:`replenishment`.
REPLENISHMENT_BAND: tuple[float, float] = (0.25, 0.75)

#: :func:`replenishment` lists only customers at least this likely to be alive.
REPLENISHMENT_MIN_PROB_ALIVE: float = 0.5


def clv_by(clv: pd.DataFrame, groups: pd.DataFrame | pd.Series, *, by: str = "tier",
           value_col: str = "clv") -> pd.DataFrame:
    """Predicted value per group of customers (tier, segment, region, ...).

    Parameters
    ----------
    clv : DataFrame
        A :func:`lifetime_value` result, indexed by customer id.
    groups : DataFrame or Series
        The group of each customer, indexed by customer id (a DataFrame with the column ``by``,
        e.g. :func:`crm_lib.tiering.pyramid_tiers`, or a Series). Customers of ``clv`` without a
        group are counted in the group "(none)".
    by : str, default "tier"
        Group column of ``groups`` (the name of the result's group column).
    value_col : str, default "clv"

    Returns
    -------
    DataFrame
        One row per group (groups in their order of first appearance in ``groups``, "(none)"
        last): ``by``, ``customers``, ``clv`` (total), ``clv_per_customer``, ``clv_share`` (of
        the total; shares sum to 1).

    Examples
    --------
    >>> c = pd.DataFrame({"clv": [10.0, 30.0, 60.0]}, index=["a", "b", "c"])
    >>> g = pd.Series({"a": "gold", "b": "gold", "c": "iron"}, name="tier")
    >>> clv_by(c, g)[["tier", "clv_per_customer", "clv_share"]].values.tolist()
    [['gold', 20.0, 0.4], ['iron', 60.0, 0.6]]
    """
    require_columns(clv, [value_col], table="clv")
    if isinstance(groups, pd.Series):
        labels = groups
    else:
        require_columns(groups, [by], table="groups")
        labels = groups[by]
    if labels.index.has_duplicates:
        dup = labels.index.duplicated()
        n, ex = examples(pd.Series(labels.index, index=labels.index), dup)
        raise DataError(f"`groups` must have one row per customer; {n} customer ids repeat ({ex}).")
    order = list(pd.unique(labels.dropna()))
    g = labels.reindex(clv.index).astype(object).where(lambda v: v.notna(), "(none)")
    if (g == "(none)").any():
        order.append("(none)")
    value = _numbers(clv, value_col, "clv")
    frame = pd.DataFrame({by: g.to_numpy(), "value": value})
    out = frame.groupby(by, sort=False).agg(customers=("value", "size"), clv=("value", "sum"))
    out = out.reindex([k for k in order if k in out.index]).reset_index()
    out["customers"] = out["customers"].astype(float)
    out["clv_per_customer"] = out["clv"] / out["customers"]
    total = out["clv"].sum()
    out["clv_share"] = out["clv"] / total if total != 0 else np.nan
    return out


def describe_unit(summary: pd.DataFrame, *, month_length: Mapping[str, float] = MONTH_LENGTH,
                  frequency_col: str = "frequency") -> pd.DataFrame:
    """The period unit a summary is counted in, for the reader of a report.

    Returns
    -------
    DataFrame
        One row: ``period_unit`` (catalogue key "clv_unit_D", "clv_unit_W" or "clv_unit_M"),
        ``period_days`` (days per period), ``periods_per_month`` (as :func:`lifetime_value` uses
        it), ``observation_end`` (the summary's ``as_of``), ``customers`` and
        ``repeat_customers``.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0.0, 2.0]})
    >>> s.attrs["freq"] = "W"
    >>> describe_unit(s)["periods_per_month"].iloc[0]
    np.float64(4.348214285714286)
    """
    unit = summary.attrs.get("freq")
    if unit not in month_length:
        raise DataError("The summary records no period unit (attrs['freq'] is missing or "
                        f"unknown: {unit!r}); make it with crm_lib.summary.customer_summary.")
    require_columns(summary, [frequency_col], table=_TABLE)
    x = _numbers(summary, frequency_col)
    return pd.DataFrame({"period_unit": [f"clv_unit_{unit}"], "period_days": [PERIOD_DAYS[unit]],
                         "periods_per_month": [float(month_length[unit])],
                         "observation_end": [summary.attrs.get("as_of")],
                         "customers": [float(len(x))], "repeat_customers": [float((x > 0).sum())]})


def _with_names(frame: pd.DataFrame, customers: pd.DataFrame | None, name_col: str,
                customer_col: str) -> pd.DataFrame:
    if customers is None:
        return frame
    require_columns(customers, [customer_col, name_col], table="customers")
    names = customers.drop_duplicates(customer_col).set_index(customer_col)[name_col]
    out = frame.copy()
    out.insert(0, name_col, names.reindex(out.index).to_numpy())
    return out


def top_customers(clv: pd.DataFrame, customers: pd.DataFrame | None = None, *, n: int = 20,
                  name_col: str = "name", customer_col: str = "customer_id") -> pd.DataFrame:
    """The ``n`` customers with the highest predicted CLV (ties: smaller customer id first).

    Parameters
    ----------
    clv : DataFrame
        :func:`lifetime_value` result, indexed by customer id.
    customers : DataFrame, optional
        The customers table; adds the column ``name_col`` in front.

    Returns
    -------
    DataFrame
        The top rows of ``clv`` (same columns, plus the name), highest first.

    Examples
    --------
    >>> c = pd.DataFrame({"clv": [5.0, 9.0, 9.0]}, index=pd.Index(["c", "b", "a"], name="customer_id"))
    >>> top_customers(c, n=2).index.tolist()
    ['a', 'b']
    """
    require_columns(clv, ["clv"], table="clv")
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise DataError(f"`n` must be a whole number >= 1, got {n!r}.")
    value = _numbers(clv, "clv", "clv")
    ids = clv.index.astype(str).to_numpy()
    order = np.lexsort((ids, -value))[:n]
    return _with_names(clv.iloc[order], customers, name_col, customer_col)


def due_list(replenishment: pd.DataFrame, customers: pd.DataFrame | None = None, *,
             name_col: str = "name", customer_col: str = "customer_id") -> pd.DataFrame:
    """The customers of a :func:`replenishment` result that are due, nearest to ``as_of`` first.

    Returns
    -------
    DataFrame
        The rows with ``due`` true, by the number of days between the predicted date and
        ``as_of`` (overdue or ahead; ties: earlier date first), with the customer's name in
        front when ``customers`` is given.

    Examples
    --------
    >>> r = pd.DataFrame({"next_purchase": pd.to_datetime(["2026-11-05", "2026-10-01", "2026-12-30"]),
    ...                   "days_until": [5.0, -30.0, 60.0], "due": [True, True, False]},
    ...                  index=["a", "b", "c"])
    >>> due_list(r).index.tolist()
    ['a', 'b']
    """
    require_columns(replenishment, ["due", "days_until", "next_purchase"], table="replenishment")
    sel = replenishment[replenishment["due"].to_numpy(dtype=bool)]
    near = np.abs(sel["days_until"].to_numpy(dtype=float))
    order = np.lexsort((np.arange(len(sel)), sel["next_purchase"].to_numpy(), near))
    out = _with_names(sel.iloc[order], customers, name_col, customer_col)
    out.attrs = dict(replenishment.attrs)
    return out


# ---------------------------------------------------------------------------------------------
# replenishment
# ---------------------------------------------------------------------------------------------

def replenishment(summary: pd.DataFrame, *, model: BetaGeo, as_of: object = None,
                  within_days: int = 14, band: tuple[float, float] = REPLENISHMENT_BAND,
                  min_prob_alive: float = REPLENISHMENT_MIN_PROB_ALIVE, min_frequency: int = 1,
                  freq: str | None = None, frequency_col: str = "frequency",
                  recency_col: str = "recency", T_col: str = "T",
                  last_purchase_col: str = "last_purchase") -> pd.DataFrame:
    """Who will need to buy again soon: the replenishment list.

    For each active repeat customer (``frequency >= min_frequency`` and P(alive) at least
    ``min_prob_alive``):

    - the usual interval between purchases: ``recency / frequency`` periods (the mean gap
      between the first and the last purchase), in days;
    - the predicted next purchase: last purchase + usual interval;
    - a band from the BG/NBD: given the customer is alive, the purchase rate has the posterior
      Gamma(r + x, alpha + T), so the waiting time W from a purchase to the next has
      P(W > w) = ((alpha + T) / (alpha + T + w)) ** (r + x); the band is last purchase + the
      ``band`` quantiles of W;
    - ``status``: "lapsed" (the predicted date is more than one usual interval before
      ``as_of``: the customer skipped a purchase), "overdue" (before ``as_of``, by less than one
      interval), "due" (within ``within_days`` days after ``as_of``) or "later"; ``due`` marks
      "overdue" and "due".

    Parameters
    ----------
    summary : DataFrame
        A customer summary (``frequency``, ``recency``, ``T`` and ``last_purchase``; without
        ``last_purchase`` it is ``as_of`` minus ``T - recency`` periods).
    model : BetaGeo
        Fitted on the same unit.
    as_of : date-like, optional
        End of the observation; default ``summary.attrs["as_of"]``; must agree with it.
    within_days : int, default 14
        Horizon of the "due" list.
    band : (float, float), default :data:`REPLENISHMENT_BAND`
        Lower and upper quantile of the waiting time.
    min_prob_alive : float, default :data:`REPLENISHMENT_MIN_PROB_ALIVE`
    min_frequency : int, default 1
    freq : {"D", "W", "M"} or None
        Period unit; None takes ``summary.attrs["freq"]``.

    Returns
    -------
    DataFrame
        Indexed like ``summary`` (the listed customers), sorted by ``next_purchase``:
        ``frequency``, ``prob_alive``, ``interval_days``, ``last_purchase``, ``next_purchase``,
        ``next_purchase_early``, ``next_purchase_late``, ``days_until`` (from ``as_of``),
        ``status``, ``due``. ``attrs["excluded"]`` counts the customers not listed
        (``no_repeat``, ``inactive``).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [3.0, 0.0], "recency": [60.0, 0.0], "T": [70.0, 5.0],
    ...                   "last_purchase": pd.to_datetime(["2026-10-21", "2026-10-26"])})
    >>> s.attrs.update(freq="D", as_of=pd.Timestamp("2026-10-31"))
    >>> bg = BetaGeo.from_params(r=1.0, alpha=20.0, a=0.5, b=5.0, freq="D")
    >>> replenishment(s, model=bg)[["interval_days", "next_purchase", "status"]]
       interval_days next_purchase status
    0           20.0    2026-11-10    due
    """
    if not isinstance(model, BetaGeo):
        raise DataError(f"`model` must be a BetaGeo model, got {type(model).__name__}.")
    r, alpha, a, b = model._p()
    unit = _resolve_freq(summary, freq, what="the purchase intervals")
    if unit is None:
        raise DataError("The summary records no period unit (attrs['freq'] is missing). Pass "
                        "freq='D', 'W' or 'M'.")
    fitted = getattr(model, "freq_", None)
    if fitted is not None and fitted != unit:
        raise DataError(f"The BG/NBD model was fitted on {fitted!r} periods but the summary is "
                        f"in {unit!r} periods; fit and predict in one unit.")
    recorded = summary.attrs.get("as_of")
    if as_of is None and recorded is None:
        raise DataError("Pass `as_of`: the summary records no end of observation "
                        "(attrs['as_of']).")
    end = pd.Timestamp(as_of if as_of is not None else recorded).normalize()
    if recorded is not None and pd.Timestamp(recorded).normalize() != end:
        raise DataError(f"`as_of`={end.date()} disagrees with the summary's end of observation "
                        f"{pd.Timestamp(recorded).date()}: T and recency are counted to that "
                        "day. Summarise again with this as_of.")
    lo, hi = band
    if not (0 < lo < hi < 1):
        raise DataError(f"`band` must be two increasing quantiles within (0, 1), got {band!r}.")
    if not (isinstance(within_days, (int, np.integer)) and within_days >= 0):
        raise DataError(f"`within_days` must be a whole number >= 0, got {within_days!r}.")
    x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
    days = PERIOD_DAYS[unit]
    if last_purchase_col in summary.columns:
        last = pd.to_datetime(summary[last_purchase_col]).to_numpy(dtype="datetime64[ns]")
    else:
        offset = np.round((T - tx) * days).astype(np.int64)
        last = (np.datetime64(end, "ns") - offset.astype("timedelta64[D]")).astype("datetime64[ns]")
    alive = model._prob_alive(x, tx, T)
    repeat = x >= max(min_frequency, 1)
    active = repeat & (alive >= min_prob_alive)
    k = np.flatnonzero(active)
    xs, txs, Ts = x[k], tx[k], T[k]
    interval = txs / xs * days
    shape, scale = r + xs, alpha + Ts

    def waiting(qn):
        return scale * np.expm1(-np.log1p(-qn) / shape) * days

    def add_days(d):
        return last[k] + np.round(d * 86400).astype("timedelta64[s]").astype("timedelta64[ns]")

    nxt = pd.DatetimeIndex(add_days(interval)).normalize()
    until = ((nxt - end) / pd.Timedelta(days=1)).to_numpy()
    status = np.select([until < -interval, until < 0, until <= within_days],
                       ["lapsed", "overdue", "due"], "later")
    out = pd.DataFrame({
        "frequency": xs,
        "prob_alive": alive[k],
        "interval_days": interval,
        "last_purchase": pd.DatetimeIndex(last[k]).normalize(),
        "next_purchase": nxt,
        "next_purchase_early": pd.DatetimeIndex(add_days(waiting(lo))).normalize(),
        "next_purchase_late": pd.DatetimeIndex(add_days(waiting(hi))).normalize(),
        "days_until": until,
        "status": status,
        "due": (status == "overdue") | (status == "due"),
    }, index=summary.index[k])
    order = np.lexsort((np.arange(len(out)), out["next_purchase"].to_numpy()))
    out = out.iloc[order]
    out.attrs.update(as_of=end, within_days=int(within_days), freq=unit,
                     excluded={"no_repeat": int((~repeat).sum()),
                               "inactive": int((repeat & ~active).sum())})
    return out

