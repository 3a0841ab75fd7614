"""The Gamma-Gamma model of the mean spend per transaction (Fader, Hardie and Lee 2005b)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from crm_lib._errors import DataError, DataWarning, examples, fail_rows, require_columns
from crm_lib.clv._engine import (
    _FORWARD_ROWS,
    _TABLE,
    _WARM_ROWS,
    NotFittedError,
    _dot,
    _minimise,
    _numbers,
    _param_table,
    _penalizer,
    _penalizer_hint,
    _warm_start,
    _weights,
)
from crm_lib.clv._interval import (
    INTERVAL_DRAWS,
    _at_draws,
    _draw_bounds,
    _frame,
    _level,
    _n_draws,
    parameter_draws,
)

#: Above this absolute Pearson correlation between frequency and monetary value, the
#: Gamma-Gamma model's independence assumption is doubtful (:func:`frequency_monetary_correlation`).
FM_CORRELATION_LIMIT: float = 0.3

_GG_NAMES = ("p", "q", "v")


def _gg_loglik(params, x, m):
    """Individual Gamma-Gamma log-likelihoods of mean spend m over x transactions (note 025, 1a)."""
    p, q, v = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))


class _GGData:
    def __init__(self, x, m, w):
        self.W = float(w.sum())
        self.xs, xinv = np.unique(x, return_inverse=True)
        self.xinv = xinv.reshape(-1)
        self.Wx = np.bincount(self.xinv, weights=w, minlength=len(self.xs))
        self.w = w
        self.xm = x * m
        lm = np.log(m)
        self.sum_wxlm = _dot(w * x, lm)
        self.sum_wlm = _dot(w, lm)
        self.sum_wxlx = _dot(self.Wx, self.xs * np.log(self.xs))
        self.wx = w * x


def _gg_fun_grad(theta, d: _GGData, pen: float):
    params = np.exp(theta)
    p, q, v = params
    xs = d.xs
    pxs = p * xs
    lxv = np.log(d.xm + v)
    ll = (_dot(d.Wx, special.gammaln(pxs + q) - special.gammaln(pxs)) - d.W * special.gammaln(q)
          + d.W * q * np.log(v) + p * d.sum_wxlm - d.sum_wlm + p * d.sum_wxlx
          - p * _dot(d.wx, lxv) - q * _dot(d.w, lxv))
    psi_pq = special.digamma(pxs + q)
    dp = (_dot(d.Wx, xs * (psi_pq - special.digamma(pxs))) + d.sum_wxlm + d.sum_wxlx
          - _dot(d.wx, lxv))
    dq = _dot(d.Wx, psi_pq) - d.W * special.digamma(q) + d.W * np.log(v) - _dot(d.w, lxv)
    inv = 1.0 / (d.xm + v)
    dv = d.W * q / v - p * _dot(d.wx, inv) - q * _dot(d.w, inv)
    grad_ll = np.array([dp, dq, dv]) * params
    f = -ll / d.W + pen * _dot(params, params)
    g = -grad_ll / d.W + 2 * pen * params * params
    return float(f), g


class GammaGamma:
    """The Gamma-Gamma model of the mean spend per transaction (Fader, Hardie and Lee 2005b).

    A customer's transaction values are Gamma(p, nu); nu is Gamma(q, v) across customers. Fitted
    on repeat customers (frequency > 0) with a positive mean repeat spend; the model assumes that
    spend is independent of purchase frequency (check it with
    :func:`frequency_monetary_correlation`).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (p**2 + q**2 + v**2)`` added to the mean negative
        log-likelihood, as lifetimes applies it.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``v``.
    standard_errors_, covariance_, summary, log_likelihood_, n_customers_
        As for :class:`BetaGeo`.
    excluded_ : dict
        Customers left out of the fit: ``no_repeat`` (frequency 0) and ``non_positive_value``
        (repeat customers whose mean repeat spend is 0 or negative after returns).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 0],
    ...                   "monetary_value": [20.0, 35.0, 18.0, 50.0, 22.0, 0.0]})
    >>> gg = GammaGamma(penalizer=0.01).fit(s)
    >>> gg.excluded_["no_repeat"]
    1
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGamma:
        """A model with known parameters, ready to predict.

        Examples
        --------
        >>> GammaGamma.from_params(p=6.25, q=3.74, v=15.44).params_["q"]
        3.74
        """
        model = cls()
        for name, val in (("p", p), ("q", q), ("v", v)):
            if not (isinstance(val, (int, float, np.floating)) and np.isfinite(val) and val > 0):
                raise DataError(f"`{name}` must be a positive number, got {val!r}.")
        model.params_ = {"p": float(p), "q": float(q), "v": float(v)}
        model.standard_errors_ = dict.fromkeys(_GG_NAMES, float("nan"))
        model.covariance_ = pd.DataFrame(np.nan, index=list(_GG_NAMES), columns=list(_GG_NAMES))
        model.log_likelihood_ = float("nan")
        model.n_customers_ = 0.0
        model.excluded_ = {"no_repeat": 0, "non_positive_value": 0}
        return model

    def _p(self):
        if not hasattr(self, "params_"):
            raise NotFittedError("This GammaGamma model is not fitted yet: call .fit(summary) "
                                 "first (or build one with GammaGamma.from_params(...)).")
        return self.params_["p"], self.params_["q"], self.params_["v"]

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"GammaGamma(penalizer={self.penalizer!r})"
        return "<GammaGamma fitted: " + ", ".join(f"{k}={v:.4g}" for k, v in
                                                  self.params_.items()) + ">"

    def fit(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
            monetary_value_col: str = "monetary_value",
            weights: str | Sequence[float] | np.ndarray | None = None) -> GammaGamma:
        """Fit p, q, v by maximum likelihood on the repeat customers.

        Parameters
        ----------
        summary : DataFrame
            ``frequency`` and ``monetary_value`` (mean value of the repeat purchases) per
            customer. Customers with frequency 0 or a mean value <= 0 are left out and counted in
            ``excluded_`` (the latter with a :class:`DataWarning`).
        frequency_col, monetary_value_col : str
            Column names.
        weights : str, array or None
            Customers per row.

        Returns
        -------
        GammaGamma
            ``self``, fitted.
        """
        pen = _penalizer(self.penalizer)
        require_columns(summary, [frequency_col, monetary_value_col], table=_TABLE)
        if len(summary) == 0:
            raise DataError(f"`{_TABLE}` has no rows: there are no customers to fit.")
        x = _numbers(summary, frequency_col)
        m = _numbers(summary, monetary_value_col)
        fail_rows(_TABLE, frequency_col, summary[frequency_col], (x < 0) | (x != np.floor(x)),
                  "a whole number >= 0 (repeat purchase periods)")
        w = _weights(summary, weights)
        rep = (x > 0) & (w > 0)
        bad = rep & (m <= 0)
        n_bad = int(bad.sum())
        self.excluded_ = {"no_repeat": int(((x == 0) & (w > 0)).sum()), "non_positive_value": n_bad}
        if n_bad:
            _, ex = examples(summary[monetary_value_col], bad)
            warnings.warn(
                f"{n_bad} repeat customer{'s' if n_bad != 1 else ''} of `{_TABLE}` left out of the "
                f"Gamma-Gamma fit: '{monetary_value_col}' must be > 0 ({ex}); returns can net a "
                "customer's repeat purchases to zero or below.",
                DataWarning, stacklevel=2)
        keep = rep & ~bad
        if not keep.any():
            raise DataError(
                f"No customer in `{_TABLE}` has a repeat purchase with a positive "
                f"'{monetary_value_col}', so the Gamma-Gamma model cannot be fitted."
            )
        d = _GGData(x[keep], m[keep], w[keep])

        def fun_grad(theta):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return _gg_fun_grad(theta, d, pen)

        mean_m = float(np.average(m[keep], weights=w[keep]))
        theta0 = np.array([0.0, np.log(2.0), np.log(mean_m)])
        hint = _penalizer_hint("GammaGamma", pen, "The model needs repeat customers whose mean "
                               "spend varies.")
        n_keep = int(keep.sum())
        if n_keep > 4 * _WARM_ROWS:  # start the big fit from the optimum of every k-th customer
            k = n_keep // _WARM_ROWS
            sub = _GGData(x[keep][::k], m[keep][::k], w[keep][::k])
            theta0 = _warm_start(lambda t: _gg_fun_grad(t, sub, pen), theta0)
        theta, H, nit = _minimise(fun_grad, theta0, "Gamma-Gamma", hint,
                                  forward=n_keep > _FORWARD_ROWS,
                                  newton_first=n_keep > 4 * _WARM_ROWS, n_obs=d.W)
        params = np.exp(theta)
        cov = np.linalg.inv(H) / d.W * np.outer(params, params)
        self.params_ = dict(zip(_GG_NAMES, map(float, params), strict=True))
        self.covariance_ = pd.DataFrame(cov, index=list(_GG_NAMES), columns=list(_GG_NAMES))
        self.standard_errors_ = dict(zip(_GG_NAMES, map(float, np.sqrt(np.diag(cov))),
                                         strict=True))
        self.log_likelihood_ = _dot(w[keep], _gg_loglik(params, x[keep], m[keep]))
        self.n_customers_ = d.W
        self.n_iterations_ = nit
        if params[1] <= 1:
            warnings.warn(
                f"The Gamma-Gamma fit gives q = {params[1]:.3g} <= 1: the population mean spend "
                "p v / (q - 1) does not exist, so customers without repeat purchases get no "
                "expected spend (NaN). Consider a penalizer.", DataWarning, stacklevel=2)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: ``coef``, ``se``, ``lower_95``, ``upper_95`` (index ``parameter``)."""
        self._p()
        return _param_table(self.params_, self.standard_errors_)

    def _expected(self, x, m):
        p, q, v = self._p()
        den = p * x + q - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (p * v + p * x * m) / den, np.nan)

    def expected_spend(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                       monetary_value_col: str = "monetary_value") -> pd.Series:
        """Conditional expected mean spend per transaction (note 025, equation 5).

        E(Z | x, m) = (p v + p x m) / (p x + q - 1): a weighted mean of the customer's own mean
        spend and the population mean p v / (q - 1). Customers with frequency 0 get the
        population mean (NaN when q <= 1). A repeat customer whose mean spend is 0 or negative
        (returns; left out of the fit) gets the same formula with that mean, which can be
        negative. The value is in the unit of ``monetary_value`` (revenue or profit).

        Returns
        -------
        Series
            ``expected_spend`` per row of ``summary`` (same index).
        """
        x, m = _spend_inputs(summary, frequency_col, monetary_value_col)
        return pd.Series(self._expected(x, m), index=summary.index, name="expected_spend")

    def expected_spend_interval(self, summary: pd.DataFrame, *, level: float = 0.9,
                                draws: int = INTERVAL_DRAWS, seed: int = 0,
                                frequency_col: str = "frequency",
                                monetary_value_col: str = "monetary_value") -> pd.DataFrame:
        """Conditional expected spend with an interval from the estimation uncertainty.

        The parameters are drawn from the asymptotic normal of the estimate in log space
        (:func:`crm_lib.clv.parameter_draws`); the bounds are quantiles of E(Z | x, m) over the
        draws. They cover the uncertainty of p, q, v, not the spread of single purchases.

        Returns
        -------
        DataFrame
            Same index as ``summary``: ``expected_spend``, ``expected_spend_lower``,
            ``expected_spend_upper``; ``attrs`` record ``level``, ``draws``, ``seed``.
        """
        q = _level(level)
        x, m = _spend_inputs(summary, frequency_col, monetary_value_col)
        d = _n_draws(draws)
        gd = _at_draws(self, parameter_draws(self, draws=d, seed=seed))
        lo, hi = _draw_bounds([x, m], 0, gd._expected, None, q, d)
        return _frame(self._expected(x, m), lo, hi, "expected_spend", summary.index,
                      level=level, draws=d, seed=seed)


def _spend_inputs(summary: pd.DataFrame, frequency_col: str,
                  monetary_value_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Frequency and mean spend (0 without repeat purchases) of a summary, validated."""
    require_columns(summary, [frequency_col, monetary_value_col], table=_TABLE)
    x = _numbers(summary, frequency_col)
    m = _numbers(summary, monetary_value_col)
    fail_rows(_TABLE, frequency_col, summary[frequency_col], x < 0, ">= 0")
    return x, np.where(x > 0, m, 0.0)


def frequency_monetary_correlation(summary: pd.DataFrame, *, frequency_col: str = "frequency",
                                   monetary_value_col: str = "monetary_value",
                                   limit: float = FM_CORRELATION_LIMIT) -> pd.DataFrame:
    """Correlation between frequency and mean spend of repeat customers (Gamma-Gamma check).

    The Gamma-Gamma model assumes that how much a customer spends per purchase does not depend
    on how often he buys. A :class:`DataWarning` is raised when the absolute Pearson correlation
    exceeds ``limit``.

    Parameters
    ----------
    summary : DataFrame
        ``frequency`` and ``monetary_value`` per customer; customers with frequency 0 or a mean
        spend <= 0 are left out (as in the fit).
    limit : float, default :data:`FM_CORRELATION_LIMIT`
        Largest absolute correlation read as "independent enough".

    Returns
    -------
    DataFrame
        One row: ``customers``, ``pearson``, ``spearman``, ``limit``, ``independent`` (bool).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [1, 2, 3, 4], "monetary_value": [10.0, 30.0, 20.0, 25.0]})
    >>> float(frequency_monetary_correlation(s, limit=0.9)["customers"].iloc[0])
    4.0
    """
    require_columns(summary, [frequency_col, monetary_value_col], table=_TABLE)
    x = _numbers(summary, frequency_col)
    m = _numbers(summary, monetary_value_col)
    keep = (x > 0) & (m > 0)
    n = int(keep.sum())
    if n < 3:
        raise DataError(f"The frequency/monetary correlation needs at least 3 repeat customers "
                        f"with a positive '{monetary_value_col}' in `{_TABLE}`, got {n}.")
    xs, ms = x[keep], m[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(np.corrcoef(xs, ms)[0, 1])
        rx = pd.Series(xs).rank().to_numpy()
        rm = pd.Series(ms).rank().to_numpy()
        spearman = float(np.corrcoef(rx, rm)[0, 1])
    independent = bool(np.isfinite(pearson) and abs(pearson) <= limit)
    if not independent:
        warnings.warn(
            f"Frequency and mean spend of the {n} repeat customers are correlated (Pearson "
            f"{pearson:.2f}, above the limit {limit}): the Gamma-Gamma model assumes they are "
            "independent, so its expected spend and the CLV are biased. Read them with care.",
            DataWarning, stacklevel=2)
    return pd.DataFrame({"customers": [float(n)], "pearson": [pearson], "spearman": [spearman],
                         "limit": [float(limit)], "independent": [independent]})


