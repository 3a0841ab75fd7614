"""Customer lifetime value from the fitted models, and the simple historical and cohort values."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, fail_rows, require_columns
from crm_lib.clv._bgnbd import BetaGeo, _euler_term
from crm_lib.clv._engine import (
    _TABLE,
    MONTH_DAYS,
    MONTH_LENGTH,
    _numbers,
    _resolve_freq,
    _rft,
    _unique_rows,
)
from crm_lib.clv._gammagamma import GammaGamma, _spend_inputs
from crm_lib.clv._interval import (
    INTERVAL_DRAWS,
    _at_draws,
    _draw_bounds,
    _level,
    _n_draws,
    parameter_draws,
)
from crm_lib.clv._pareto import ParetoNBD


def lifetime_value(bg: BetaGeo, gg: GammaGamma, summary: pd.DataFrame, months: int = 12,
                   discount_rate: float = 0.01, freq: str | None = None, *,
                   margin: float = 1.0, frequency_col: str = "frequency",
                   recency_col: str = "recency", T_col: str = "T",
                   monetary_value_col: str = "monetary_value",
                   month_length: Mapping[str, float] = MONTH_LENGTH) -> pd.DataFrame:
    """Discounted expected value of each customer over the next ``months`` months.

    As lifetimes' ``customer_lifetime_value``: for each month i = 1..months, the expected
    purchases between month i-1 and month i (BG/NBD, equation 10, at ``i * L`` minus at
    ``(i-1) * L`` periods, L the month length in the summary's unit) times the expected spend
    (Gamma-Gamma), divided by ``(1 + discount_rate) ** i``, summed; then times ``margin``.

    Parameters
    ----------
    bg, gg : BetaGeo (or ModifiedBetaGeo, ParetoNBD), GammaGamma
        Fitted models (``bg`` fitted in the same period unit as ``summary``).
    summary : DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` per customer.
    months : int, default 12
        Horizon in months.
    discount_rate : float, default 0.01
        Discount rate per month.
    freq : {"D", "W", "M"} or None
        Period unit of ``recency`` and ``T``. None takes the unit the summary records
        (``attrs["freq"]``); a value that disagrees with that record (or with the unit ``bg``
        was fitted in) is an error: a daily month length on weekly data overstates CLV about
        sevenfold.
    margin : float, default 1.0
        Share of the expected spend that is profit (1 when ``monetary_value`` is already profit).
    month_length : mapping, default :data:`MONTH_LENGTH`
        Periods per month for each unit (:data:`MONTH_DAYS` = 30.4375 days, 4.348 weeks, 1 month;
        lifetimes takes 30 days and 4.345 weeks).

    Returns
    -------
    DataFrame
        Same index as ``summary``: ``prob_alive``, ``expected_purchases`` (undiscounted, over
        the horizon), ``expected_spend`` (per purchase), ``clv``. ``attrs`` record ``freq``,
        ``month_length``, ``months``, ``discount_rate`` and ``margin``.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 20.0], "T": [30.0, 30.0],
    ...                   "monetary_value": [0.0, 40.0]})
    >>> s.attrs["freq"] = "D"
    >>> bg = BetaGeo.from_params(r=0.5, alpha=10.0, a=0.8, b=2.5, freq="D")
    >>> gg = GammaGamma.from_params(p=6.0, q=4.0, v=15.0)
    >>> list(lifetime_value(bg, gg, s).columns)
    ['prob_alive', 'expected_purchases', 'expected_spend', 'clv']
    """
    unit, L, disc = _clv_inputs(bg, gg, summary, months, discount_rate, freq, margin,
                                month_length)
    x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
    spend = gg.expected_spend(summary, frequency_col=frequency_col,
                              monetary_value_col=monetary_value_col).to_numpy()
    if type(bg) is not BetaGeo:  # the model's own expected purchases, month by month
        steps = np.arange(months + 1) * L
        cum = np.column_stack([bg._cond_expected(s, x, tx, T) for s in steps])  # few months
        alive = bg._prob_alive(x, tx, T)
        value = ((cum[:, 1:] - cum[:, :-1]) * disc).sum(axis=1) * spend * margin
        out = pd.DataFrame({"prob_alive": alive, "expected_purchases": cum[:, -1],
                            "expected_spend": spend, "clv": value}, index=summary.index)
        out.attrs.update(freq=unit, month_length=L, months=int(months),
                         discount_rate=float(discount_rate), margin=float(margin))
        return out
    r, alpha, a, b = bg._p()
    # the hypergeometric term depends on (x, T) and the horizon only: evaluate on distinct pairs
    (ux, uT), inv = _unique_rows([x, T])
    steps = np.arange(months + 1) * L
    H = _euler_term(r, alpha, a, b, ux[:, None], uT[:, None], steps[None, :])
    inc = H[:, :-1] - H[:, 1:]  # expected purchases per month, up to the factor below
    factor = bg._prob_alive(x, tx, T) * (a + b + x - 1) / (a - 1)
    purchases = factor * (1 - H[inv, -1])
    value = factor * (inc * disc).sum(axis=1)[inv] * spend * margin
    out = pd.DataFrame({"prob_alive": bg._prob_alive(x, tx, T), "expected_purchases": purchases,
                        "expected_spend": spend, "clv": value}, index=summary.index)
    out.attrs.update(freq=unit, month_length=L, months=int(months),
                     discount_rate=float(discount_rate), margin=float(margin))
    return out


def _clv_inputs(bg, gg, summary, months, discount_rate, freq, margin, month_length):
    """Checked CLV settings: the period unit, the month length in it, the monthly discounts."""
    if not isinstance(bg, (BetaGeo, ParetoNBD)):
        raise DataError("`bg` must be a BetaGeo, ModifiedBetaGeo or ParetoNBD model, got "
                        f"{type(bg).__name__}.")
    if not isinstance(gg, GammaGamma):
        raise DataError(f"`gg` must be a GammaGamma model, got {type(gg).__name__}.")
    bg._p()
    gg._p()
    if not isinstance(summary, pd.DataFrame):
        raise DataError(f"`summary` must be a pandas DataFrame, got {type(summary).__name__}.")
    unit = _resolve_freq(summary, freq, what="the CLV horizon")
    if unit is None:
        raise DataError(
            "The summary records no period unit (attrs['freq'] is missing), so the month length "
            "is unknown. Pass freq='D', 'W' or 'M': the unit in which recency and T are counted."
        )
    if unit not in month_length:
        raise DataError(f"`freq` must be one of {list(month_length)}, got {unit!r}.")
    fitted = getattr(bg, "freq_", None)
    if fitted is not None and fitted != unit:
        raise DataError(
            f"The BG/NBD model was fitted on {fitted!r} periods but the summary is in {unit!r} "
            "periods; fit and predict in one unit."
        )
    if not (isinstance(months, (int, np.integer)) and months >= 1):
        raise DataError(f"`months` must be a whole number >= 1, got {months!r}.")
    if not (np.isfinite(discount_rate) and discount_rate > -1):
        raise DataError(f"`discount_rate` must be a number > -1, got {discount_rate!r}.")
    if not np.isfinite(margin):
        raise DataError(f"`margin` must be a finite number, got {margin!r}.")
    L = float(month_length[unit])
    disc = (1.0 + discount_rate) ** -np.arange(1, months + 1, dtype=float)
    return unit, L, disc


def lifetime_value_interval(bg: BetaGeo, gg: GammaGamma, summary: pd.DataFrame,
                            months: int = 12, discount_rate: float = 0.01,
                            freq: str | None = None, *, margin: float = 1.0, level: float = 0.9,
                            draws: int = INTERVAL_DRAWS, seed: int = 0,
                            frequency_col: str = "frequency", recency_col: str = "recency",
                            T_col: str = "T", monetary_value_col: str = "monetary_value",
                            month_length: Mapping[str, float] = MONTH_LENGTH) -> pd.DataFrame:
    """:func:`lifetime_value` with an interval of each customer's CLV from the estimation
    uncertainty of both models.

    The parameters of ``bg`` and of ``gg`` are drawn from the asymptotic normals of their
    estimates in log space (:func:`parameter_draws`), independently: the Gamma-Gamma likelihood
    is conditional on the purchase counts, so the two estimates are asymptotically independent.
    At each pair of draws the CLV is computed as :func:`lifetime_value` does; the bounds are its
    quantiles over the draws. They cover the uncertainty of the parameters, not the noise of
    the purchases and amounts a single customer will actually have.

    Parameters
    ----------
    bg, gg, summary, months, discount_rate, freq, margin, month_length
        As for :func:`lifetime_value`.
    level : float, default 0.9
        Coverage of the central interval.
    draws : int, default :data:`INTERVAL_DRAWS`
        Parameter draws of each model.
    seed : int, default 0
        Seed of the draws.

    Returns
    -------
    DataFrame
        The columns of :func:`lifetime_value` and ``clv_lower``, ``clv_upper``; ``attrs`` add
        ``level``, ``draws``, ``seed``.
    """
    out = lifetime_value(bg, gg, summary, months, discount_rate, freq, margin=margin,
                         frequency_col=frequency_col, recency_col=recency_col, T_col=T_col,
                         monetary_value_col=monetary_value_col, month_length=month_length)
    q = _level(level)
    d = _n_draws(draws)
    _, L, disc = _clv_inputs(bg, gg, summary, months, discount_rate, freq, margin,
                             month_length)
    x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
    m = _spend_inputs(summary, frequency_col, monetary_value_col)[1]
    seeds = np.random.SeedSequence(seed).spawn(2)
    bd = _at_draws(bg, parameter_draws(bg, draws=d, seed=seeds[0]))
    gd = _at_draws(gg, parameter_draws(gg, draws=d, seed=seeds[1]))
    steps = np.arange(months + 1) * L

    def per_month(x_, T_):  # discounted expected purchases of an alive customer
        prev = 0.0
        total = 0.0
        for i, s in enumerate(steps[1:]):  # loop over the few months
            cum = bd._given_alive(s, x_, T_)
            total = total + disc[i] * (cum - prev)
            prev = cum
        return total

    def per_row(x_, T_, tx_, m_):
        return bd._prob_alive(x_, tx_, T_) * gd._expected(x_, m_) * margin

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lo, hi = _draw_bounds([x, T, tx, m], 2, per_row, per_month, q, d)
    clv = out["clv"].to_numpy()
    out["clv_lower"] = np.minimum(lo, clv)
    out["clv_upper"] = np.maximum(hi, clv)
    out.attrs.update(level=float(level), draws=d, seed=int(seed))
    return out


def gross_margin(summary: pd.DataFrame, *, sales_col: str = "sales",
                 profit_col: str = "gross_profit") -> float:
    """Gross profit as a share of sales over all customers of a summary (a default CLV margin).

    Returns
    -------
    float
        ``sum(gross_profit) / sum(sales)``.

    Examples
    --------
    >>> gross_margin(pd.DataFrame({"sales": [100.0, 300.0], "gross_profit": [30.0, 90.0]}))
    0.3
    """
    require_columns(summary, [sales_col, profit_col], table=_TABLE,
                    hint="The summary needs sales and gross profit: summarise transactions "
                         "that have a cost column, or pass the margin yourself.")
    sales = float(_numbers(summary, sales_col).sum())
    if sales <= 0:
        raise DataError(f"The summary's total '{sales_col}' is {sales:g}: no gross margin can be "
                        "computed; pass the margin yourself.")
    return round(float(_numbers(summary, profit_col).sum()) / sales, 12)


def clv_settings(clv: pd.DataFrame) -> pd.DataFrame:
    """The unit, month length, horizon, discount rate and margin a CLV result was computed with.

    Returns
    -------
    DataFrame
        One row from ``clv.attrs``: ``period_unit`` (catalogue key), ``periods_per_month``,
        ``horizon_months``, ``discount_rate``, ``margin``.

    Examples
    --------
    >>> c = pd.DataFrame({"clv": [1.0]})
    >>> c.attrs.update(freq="W", month_length=4.345, months=12, discount_rate=0.01, margin=0.3)
    >>> clv_settings(c)["periods_per_month"].iloc[0]
    np.float64(4.345)
    """
    a = clv.attrs
    missing = [k for k in ("freq", "month_length", "months", "discount_rate", "margin")
               if k not in a]
    if missing:
        raise DataError(f"`clv` records no {missing[0]!r} in attrs: pass a lifetime_value result.")
    return pd.DataFrame({"period_unit": [f"clv_unit_{a['freq']}"],
                         "periods_per_month": [float(a["month_length"])],
                         "horizon_months": [float(a["months"])],
                         "discount_rate": [float(a["discount_rate"])],
                         "margin": [float(a["margin"])]})


def historical_clv(summary: pd.DataFrame, *, value_col: str = "gross_profit",
                   first_purchase_col: str = "first_purchase", as_of: object = None) -> pd.DataFrame:
    """Value to date per customer (the plain historical CLV), from a customer summary.

    Parameters
    ----------
    summary : DataFrame
        Per-customer totals, e.g. :func:`crm_lib.summary.customer_summary` (``gross_profit``,
        ``first_purchase``, ``attrs["as_of"]``).
    value_col : str, default "gross_profit"
        Value to date (use ``"sales"`` when the log has no cost).
    as_of : date-like, optional
        End of the observation for the tenure; default ``summary.attrs["as_of"]``.

    Returns
    -------
    DataFrame
        Same index: ``historical_clv`` (the value to date), ``tenure_months`` (months from the
        first purchase to ``as_of``, at least 1; NaN without first purchase or as_of) and
        ``historical_clv_per_month``.

    Examples
    --------
    >>> s = pd.DataFrame({"gross_profit": [10.0, 50.0],
    ...                   "first_purchase": pd.to_datetime(["2026-01-01", "2025-01-01"])})
    >>> historical_clv(s, as_of="2026-12-31")["historical_clv"].tolist()
    [10.0, 50.0]
    """
    require_columns(summary, [value_col], table=_TABLE,
                    hint="Pass value_col='sales' when the transactions have no cost column.")
    value = _numbers(summary, value_col)
    out = pd.DataFrame({"historical_clv": value}, index=summary.index)
    end = as_of if as_of is not None else summary.attrs.get("as_of")
    if end is not None and first_purchase_col in summary.columns:
        first = pd.to_datetime(summary[first_purchase_col])
        days = (pd.Timestamp(end) - first).dt.days.to_numpy(dtype=float, na_value=np.nan)
        tenure = np.maximum(days / MONTH_DAYS, 1.0)
    else:
        tenure = np.full(len(summary), np.nan)
    out["tenure_months"] = tenure
    out["historical_clv_per_month"] = value / tenure
    return out


def cohort_clv(summary: pd.DataFrame, *, value_col: str = "gross_profit",
               cohort_col: str = "first_purchase", cohort_freq: str = "Q",
               clv: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean value per customer of each acquisition cohort (a simple cohort-average CLV).

    Parameters
    ----------
    summary : DataFrame
        Per-customer rows with the value to date and the first purchase date.
    value_col : str, default "gross_profit"
        Value to date per customer.
    cohort_col : str, default "first_purchase"
        Acquisition date (or ``acquired_on`` of the customers table, joined in).
    cohort_freq : {"M", "Q", "Y"}, default "Q"
        Cohort length.
    clv : DataFrame, optional
        A :func:`lifetime_value` result; adds the cohort's mean predicted ``clv``.

    Returns
    -------
    DataFrame
        One row per cohort, sorted: ``cohort`` (first day), ``customers``, ``value`` (total),
        ``value_per_customer`` and, with ``clv``, ``predicted_clv_per_customer``.

    Examples
    --------
    >>> s = pd.DataFrame({"gross_profit": [10.0, 30.0, 5.0],
    ...                   "first_purchase": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-04-01"])})
    >>> cohort_clv(s)["value_per_customer"].tolist()
    [20.0, 5.0]
    """
    require_columns(summary, [value_col, cohort_col], table=_TABLE)
    if cohort_freq not in ("M", "Q", "Y"):
        raise DataError(f"`cohort_freq` must be one of ['M', 'Q', 'Y'], got {cohort_freq!r}.")
    value = _numbers(summary, value_col)
    dates = pd.to_datetime(summary[cohort_col])
    fail_rows(_TABLE, cohort_col, summary[cohort_col], dates.isna().to_numpy(), "a date")
    cohort = dates.dt.to_period(cohort_freq).dt.start_time
    frame = pd.DataFrame({"cohort": cohort.to_numpy(), "value": value})
    agg = {"customers": ("value", "size"), "value": ("value", "sum")}
    if clv is not None:
        require_columns(clv, ["clv"], table="clv")
        frame["clv"] = clv["clv"].reindex(summary.index).to_numpy()
        agg["predicted_clv_per_customer"] = ("clv", "mean")
    out = frame.groupby("cohort", sort=True).agg(**agg).reset_index()
    out["customers"] = out["customers"].astype(float)
    out.insert(3, "value_per_customer", out["value"] / out["customers"])
    return out




def calibration_end(as_of: object, holdout_months: int) -> pd.Timestamp:
    """The last day of the calibration period when the holdout is the last ``holdout_months`` months.

    A month-end ``as_of`` gives a month-end calibration end, so that the holdout is whole calendar
    months: 1997-06-30 with 6 months gives 1996-12-31 (``as_of - DateOffset(months=6)`` gives
    1996-12-30 and drops the calibration's last day into the holdout). Any other day steps back
    the same day of the month (clipped to the month's end): 2026-10-15 gives 2026-04-15.

    Parameters
    ----------
    as_of : date-like
        End of the observation (the holdout's last day).
    holdout_months : int
        Length of the holdout in months, >= 1.

    Returns
    -------
    Timestamp
        The calibration end, to pass as ``calibration_end`` to
        :func:`crm_lib.summary.customer_summary`.

    Examples
    --------
    >>> calibration_end("1997-06-30", 6).date()
    datetime.date(1996, 12, 31)
    >>> calibration_end("2026-10-15", 6).date()
    datetime.date(2026, 4, 15)
    """
    if not (isinstance(holdout_months, (int, np.integer)) and holdout_months >= 1):
        raise DataError(f"`holdout_months` must be a whole number >= 1, got {holdout_months!r}.")
    try:
        end = pd.Timestamp(as_of).normalize()
    except (TypeError, ValueError):
        end = pd.NaT
    if end is pd.NaT:
        raise DataError(f"`as_of` must be a date, got {as_of!r}.")
    if end.is_month_end:
        return (end - pd.offsets.MonthEnd(int(holdout_months))).normalize()
    return (end - pd.DateOffset(months=int(holdout_months))).normalize()
