"""The Pareto/NBD model (Schmittlein, Morrison and Colombo 1987).

Each customer buys at a Poisson rate ``lambda`` (Gamma(r, alpha) across customers) while alive
and has an exponential lifetime of rate ``mu`` (Gamma(s, beta)). The likelihood follows Fader,
Hardie and Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB" (equations 18-20):

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ],
    A0 = F(t_x) - F(T),  F(y) = 2F1(r+s+x, c; r+s+x+1; |alpha-beta| / (M+y)) / (M+y)^(r+s+x),

with M = max(alpha, beta) and c = s+1 when alpha >= beta, r+x otherwise. Here the hypergeometric
function is evaluated after Euler's transformation, 2F1(k, c; k+1; z) = (1-z)^(1-c) 2F1(1,
k+1-c; k+1; z), a series of positive terms, and A0 in logs (log F(t_x) + log(1 - F(T)/F(t_x))),
so that large differences between alpha and beta neither overflow nor cancel.

The gradient is a central difference of this likelihood (its error is about 1e-10, far below the
convergence threshold); the hypergeometric terms have no cheap closed-form derivative in r and s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from crm_lib._errors import DataError
from crm_lib.clv._engine import (
    _TABLE,
    _dot,
    _minimise,
    _Model,
    _numeric_grad,
    _penalizer,
    _penalizer_hint,
    _rft,
    _unique_rows,
    _weights,
)
from crm_lib.clv._interval import _Intervals

_PNBD_NAMES = ("r", "alpha", "s", "beta")


def _log_a0_term(params, x, tx, T) -> np.ndarray:
    """log of s/(r+s+x) A0 (-inf where t_x = T)."""
    r, alpha, s, beta = params
    k = r + s + x
    # (np.where, not if: the parameters may be arrays of draws, see _interval)
    big = np.maximum(alpha, beta)
    c = np.where(alpha >= beta, s + 1, r + x)
    d = np.abs(alpha - beta)

    def log_f(y):
        z = d / (big + y)
        return ((1 - c) * np.log1p(-z) + np.log(special.hyp2f1(1.0, k + 1 - c, k + 1, z))
                - k * np.log(big + y))

    f_tx, f_T = log_f(tx), log_f(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.log(-np.expm1(np.minimum(f_T - f_tx, 0.0)))
    return np.log(s) - np.log(k) + f_tx + diff


def _pnbd_loglik(params: Sequence[float], x, tx, T) -> np.ndarray:
    """Individual Pareto/NBD log-likelihoods."""
    r, alpha, s, beta = params
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    return head + np.logaddexp(alive, _log_a0_term(params, x, tx, T))


def _one_minus_ratio_pow(k, log_ratio):
    """(1 - exp(k * log_ratio)) / k, with its limit -log_ratio at k = 0."""
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.expm1(k * log_ratio) / k
    return np.where(np.abs(k) < 1e-12, -log_ratio, out)


class ParetoNBD(_Model, _Intervals):
    """The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison and Colombo 1987).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r**2 + alpha_s**2 + s**2 + beta_s**2)`` added to the mean
        negative log-likelihood, ``alpha_s`` and ``beta_s`` in time scaled so that the longest
        ``T`` is 1. (lifetimes' ParetoNBDFitter adds its penalty to the *sum* over rows divided
        by the mean weight, so the same number penalises less there.)

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha``, ``s``, ``beta`` (``alpha`` and ``beta`` in the summary's period unit).
    standard_errors_, covariance_, summary, log_likelihood_, n_customers_, n_rows_, freq_
        As for :class:`BetaGeo`.

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 5, 0, 3], "recency": [0, 10, 20, 30, 0, 12],
    ...                   "T": [30, 40, 35, 31, 20, 40]})
    >>> sorted(ParetoNBD(penalizer=0.01).fit(s).params_)
    ['alpha', 'beta', 'r', 's']
    """

    _names = _PNBD_NAMES
    _label = "Pareto/NBD"

    @classmethod
    def from_params(cls, *, r: float, alpha: float, s: float, beta: float,
                    freq: str | None = None) -> ParetoNBD:
        """A model with known parameters, ready to predict.

        Examples
        --------
        >>> ParetoNBD.from_params(r=0.553, alpha=10.58, s=0.606, beta=11.67).params_["s"]
        0.606
        """
        return cls._from({"r": r, "alpha": alpha, "s": s, "beta": beta}, freq)

    def fit(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
            recency_col: str = "recency", T_col: str = "T",
            weights: str | Sequence[float] | np.ndarray | None = None) -> ParetoNBD:
        """Fit r, alpha, s, beta by maximum likelihood.

        Parameters
        ----------
        summary : DataFrame
            ``frequency``, ``recency``, ``T`` per customer (or per pattern, with ``weights``).
        weights : str, array or None
            Customers per row; identical rows are compressed into weights in any case.

        Returns
        -------
        ParetoNBD
            ``self``, fitted.
        """
        pen = _penalizer(self.penalizer)
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        w = _weights(summary, weights)
        if float(w[x > 0].sum()) == 0:
            raise DataError(
                f"No customer in `{_TABLE}` has a repeat purchase ({frequency_col} is 0 in all "
                f"{len(summary)} rows with weight), so the Pareto/NBD model cannot be fitted.")
        keep = w > 0
        scale = 1.0 / float(T[keep].max())
        (ux, utx, uT), inv = _unique_rows([x[keep], tx[keep], T[keep]])
        uw = np.bincount(inv, weights=w[keep], minlength=len(ux))
        W = float(uw.sum())
        sx, stx, sT = ux, utx * scale, uT * scale

        def objective(theta):
            params = np.exp(theta)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                ll = _dot(uw, _pnbd_loglik(params, sx, stx, sT))
            return -ll / W + pen * _dot(params, params)

        def fun_grad(theta):
            f = objective(theta)
            if not np.isfinite(f):
                return f, np.full(len(theta), np.nan)
            return f, _numeric_grad(objective, theta)

        hint = _penalizer_hint("ParetoNBD", pen, "Check that frequency, recency and T are "
                               "counted in one period unit.")
        theta, H, nit = _minimise(fun_grad, np.zeros(4), "Pareto/NBD", hint, n_obs=W)
        params = np.exp(theta)
        params[[1, 3]] /= scale
        self._store(params, H, W, log_likelihood=_dot(uw, _pnbd_loglik(params, ux, utx, uT)),
                    n_rows=len(ux), nit=nit, freq=summary.attrs.get("freq"))
        self.max_frequency_ = int(x.max())
        self.max_T_ = float(T.max())
        return self

    # -- predictions ----------------------------------------------------------------------------
    def log_likelihood(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                       recency_col: str = "recency", T_col: str = "T") -> pd.Series:
        """Individual log-likelihood of each customer at ``params_``.

        Returns
        -------
        Series
            ``log_likelihood`` per row of ``summary``.
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        return pd.Series(_pnbd_loglik(self._p(), x, tx, T), index=summary.index,
                         name="log_likelihood")

    def _prob_alive(self, x, tx, T):
        params = self._p()
        r, alpha, s, beta = params
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (_log_a0_term(params, x, tx, T) + (r + x) * np.log(alpha + T)
                        + s * np.log(beta + T))
        return special.expit(-log_odds)

    def _given_alive(self, t, x, T):
        r, alpha, s, beta = self._p()
        ratio = np.log(beta + T) - np.log(beta + T + t)
        return (r + x) / (alpha + T) * (beta + T) * _one_minus_ratio_pow(s - 1, ratio)

    def _cond_expected(self, t, x, tx, T):
        return self._prob_alive(x, tx, T) * self._given_alive(t, x, T)

    def prob_alive(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                   recency_col: str = "recency", T_col: str = "T") -> pd.Series:
        """Probability that each customer is alive at the end of the observation.

        P(alive) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0).

        Returns
        -------
        Series
            ``prob_alive`` per row of ``summary``, in [0, 1].
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        return pd.Series(self._prob_alive(x, tx, T), index=summary.index, name="prob_alive")

    def predict_purchases(self, t: float | np.ndarray, summary: pd.DataFrame, *,
                          frequency_col: str = "frequency", recency_col: str = "recency",
                          T_col: str = "T") -> pd.Series:
        """Expected purchases in the next ``t`` periods.

        P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        (Schmittlein et al. 1987; the limit -log((beta+T)/(beta+T+t)) at s = 1).

        Returns
        -------
        Series
            ``predicted_purchases`` per row of ``summary``.
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        t = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t)) or np.any(t < 0) or t.ndim > 1 or (
                t.ndim == 1 and len(t) != len(x)):
            raise DataError("`t` must be a number >= 0 or one such number per row of "
                            f"`{_TABLE}`, got {t!r}.")
        return pd.Series(self._cond_expected(t, x, tx, T), index=summary.index,
                         name="predicted_purchases")

    def expected_purchases_new(self, t):
        """Expected repeat purchases of a new customer in the first ``t`` periods.

        r beta / (alpha (s-1)) [1 - (beta / (beta + t))^(s-1)].

        Examples
        --------
        >>> m = ParetoNBD.from_params(r=0.553, alpha=10.58, s=0.606, beta=11.67)
        >>> round(float(m.expected_purchases_new(52.0)), 3)
        1.473
        """
        r, alpha, s, beta = self._p()
        t_arr = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise DataError(f"`t` must be >= 0, got {t!r}.")
        ratio = np.log(beta) - np.log(beta + t_arr)
        out = r / alpha * beta * _one_minus_ratio_pow(s - 1, ratio)
        return float(out) if np.ndim(out) == 0 else out
