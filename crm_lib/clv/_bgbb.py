"""The BG/BB model of discrete-time repeat transactions (Fader, Hardie and Shang 2010).

"Customer-Base Analysis in a Discrete-Time Noncontractual Setting", *Marketing Science* 29 (6),
1086-1108. At each of ``n`` transaction opportunities (a yearly donation, a renewal date) an
alive customer transacts with probability ``p`` (Beta(alpha, beta)); before each opportunity he
dies with probability ``theta`` (Beta(gamma, delta)). From ``x`` transactions, the last at
opportunity ``t_x``, of ``n``:

    L = B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n)/B(gamma, delta)
        + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                              B(gamma+1, delta+t_x+i)/B(gamma, delta)      (equation 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from crm_lib._errors import DataError, fail_rows, require_columns
from crm_lib.clv._engine import (
    _TABLE,
    _dot,
    _minimise,
    _Model,
    _numbers,
    _penalizer,
    _penalizer_hint,
    _unique_rows,
    _weights,
)

_BGBB_NAMES = ("alpha", "beta", "gamma", "delta")


def _terms(params, x, tx, n):
    """Log terms of the likelihood: column 0 alive through n, column 1 + i dead after t_x + i."""
    a, b, g, d = params
    J = int(np.max(n - tx)) if len(n) else 0
    i = np.arange(J, dtype=float)[None, :]
    X, TX, N = x[:, None], tx[:, None], n[:, None]
    lab, lgd = special.betaln(a, b), special.betaln(g, d)
    alive = special.betaln(a + x, b + n - x) - lab + special.betaln(g, d + n) - lgd
    with np.errstate(invalid="ignore"):
        dead = (special.betaln(a + X, b + TX - X + i) - lab
                + special.betaln(g + 1, d + TX + i) - lgd)
    dead = np.where(i < N - TX, dead, -np.inf)
    return alive, dead, i


def _bgbb_loglik(params, x, tx, n) -> np.ndarray:
    alive, dead, _ = _terms(params, x, tx, n)
    return np.logaddexp(alive, special.logsumexp(dead, axis=1)) if dead.shape[1] else alive


def _bgbb_fun_grad(theta, rows, pen):
    x, tx, n, w = rows
    W = float(w.sum())
    params = np.exp(theta)
    a, b, g, d = params
    alive, dead, i = _terms(params, x, tx, n)
    if dead.shape[1]:
        ll = np.logaddexp(alive, special.logsumexp(dead, axis=1))
        wd = np.exp(dead - ll[:, None])  # share of each "dead after t_x + i" term
    else:
        ll = alive
        wd = np.zeros((len(x), 0))
    wa = np.exp(alive - ll)
    psi = special.digamma
    base_a, base_b = psi(a) - psi(a + b), psi(b) - psi(a + b)
    base_g, base_d = psi(g) - psi(g + d), psi(d) - psi(g + d)
    X, TX = x[:, None], tx[:, None]
    da = wa * (psi(a + x) - psi(a + b + n)) + (wd * (psi(a + X) - psi(a + b + TX + i))).sum(1) - base_a
    db = wa * (psi(b + n - x) - psi(a + b + n)) \
        + (wd * (psi(b + TX - X + i) - psi(a + b + TX + i))).sum(1) - base_b
    dg = wa * (psi(g) - psi(g + d + n)) + (wd * (psi(g + 1) - psi(g + d + TX + i + 1))).sum(1) \
        - base_g
    dd = wa * (psi(d + n) - psi(g + d + n)) \
        + (wd * (psi(d + TX + i) - psi(g + d + TX + i + 1))).sum(1) - base_d
    grad_ll = np.array([_dot(w, da), _dot(w, db), _dot(w, dg), _dot(w, dd)]) * params
    f = -_dot(w, ll) / W + pen * _dot(params, params)
    return float(f), -grad_ll / W + 2 * pen * params * params


class BetaGeoBetaBinom(_Model):
    """The BG/BB model for discrete transaction opportunities (Fader, Hardie and Shang 2010).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * sum(params ** 2)`` on the mean negative log-likelihood (as
        lifetimes' BetaGeoBetaBinomFitter).

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (transaction probability), ``gamma``, ``delta`` (death probability).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 3, 3, 1], "recency": [0, 1, 4, 6, 3, 5],
    ...                   "n_periods": [6] * 6, "weights": [30, 10, 8, 9, 5, 6]})
    >>> sorted(BetaGeoBetaBinom(penalizer=0.01).fit(s, weights="weights").params_)
    ['alpha', 'beta', 'delta', 'gamma']
    """

    _names = _BGBB_NAMES
    _label = "BG/BB"

    @classmethod
    def from_params(cls, *, alpha: float, beta: float, gamma: float,
                    delta: float) -> BetaGeoBetaBinom:
        """A model with known parameters.

        Examples
        --------
        >>> BetaGeoBetaBinom.from_params(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783).params_["delta"]
        2.783
        """
        return cls._from({"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta})

    @staticmethod
    def _xtn(summary, frequency_col, recency_col, n_col):
        require_columns(summary, [frequency_col, recency_col, n_col], table=_TABLE)
        if len(summary) == 0:
            raise DataError(f"`{_TABLE}` has no rows: there are no customers to fit or predict.")
        x = _numbers(summary, frequency_col)
        tx = _numbers(summary, recency_col)
        n = _numbers(summary, n_col)
        for col, v in ((frequency_col, x), (recency_col, tx), (n_col, n)):
            fail_rows(_TABLE, col, summary[col], (v < 0) | (v != np.floor(v)), "a whole number >= 0")
        fail_rows(_TABLE, recency_col, summary[recency_col], (tx > n) | (tx < x),
                  f"between {frequency_col} and {n_col} (the opportunity of the last transaction)")
        fail_rows(_TABLE, recency_col, summary[recency_col], (x == 0) & (tx != 0),
                  f"0 where {frequency_col} is 0")
        return x, tx, n

    def fit(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
            recency_col: str = "recency", n_periods_col: str = "n_periods",
            weights: str | Sequence[float] | np.ndarray | None = None) -> BetaGeoBetaBinom:
        """Fit alpha, beta, gamma, delta by maximum likelihood.

        Parameters
        ----------
        summary : DataFrame
            ``frequency`` (x: transactions after the first opportunity), ``recency`` (t_x: the
            opportunity of the last one, 0 without), ``n_periods`` (n: opportunities).
        weights : str, array or None
            Customers per row (the donation data's counts).

        Returns
        -------
        BetaGeoBetaBinom
            ``self``, fitted.
        """
        pen = _penalizer(self.penalizer)
        x, tx, n = self._xtn(summary, frequency_col, recency_col, n_periods_col)
        w = _weights(summary, weights)
        keep = w > 0
        (ux, utx, un), inv = _unique_rows([x[keep], tx[keep], n[keep]])
        uw = np.bincount(inv, weights=w[keep], minlength=len(ux))
        rows = (ux, utx, un, uw)
        if float(uw[ux > 0].sum()) == 0:
            raise DataError(f"No customer in `{_TABLE}` has a transaction, so the BG/BB model "
                            "cannot be fitted.")

        def fun_grad(theta):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return _bgbb_fun_grad(theta, rows, pen)

        hint = _penalizer_hint("BetaGeoBetaBinom", pen)
        W = float(uw.sum())
        theta, H, nit = _minimise(fun_grad, np.zeros(4), "BG/BB", hint, n_obs=W)
        params = np.exp(theta)
        self._store(params, H, W, log_likelihood=_dot(uw, _bgbb_loglik(params, ux, utx, un)),
                    n_rows=len(ux), nit=nit, freq=summary.attrs.get("freq"))
        return self

    def log_likelihood(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                       recency_col: str = "recency",
                       n_periods_col: str = "n_periods") -> pd.Series:
        """Individual log-likelihood at ``params_``, per row of ``summary``."""
        x, tx, n = self._xtn(summary, frequency_col, recency_col, n_periods_col)
        return pd.Series(_bgbb_loglik(self._p(), x, tx, n), index=summary.index,
                         name="log_likelihood")

    def prob_alive(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                   recency_col: str = "recency", n_periods_col: str = "n_periods") -> pd.Series:
        """P(alive at the next opportunity n + 1) (paper, equation 11).

        B(alpha+x, beta+n-x)/B(alpha, beta) B(gamma, delta+n+1)/B(gamma, delta) / L.

        Returns
        -------
        Series
            ``prob_alive`` per row of ``summary``.
        """
        a, b, g, d = self._p()
        x, tx, n = self._xtn(summary, frequency_col, recency_col, n_periods_col)
        num = (special.betaln(a + x, b + n - x) - special.betaln(a, b)
               + special.betaln(g, d + n + 1) - special.betaln(g, d))
        out = np.exp(num - _bgbb_loglik((a, b, g, d), x, tx, n))
        return pd.Series(out, index=summary.index, name="prob_alive")

    def predict_purchases(self, t: float | np.ndarray, summary: pd.DataFrame, *,
                          frequency_col: str = "frequency", recency_col: str = "recency",
                          n_periods_col: str = "n_periods") -> pd.Series:
        """Expected transactions in the next ``t`` opportunities (paper, equation 13).

        Returns
        -------
        Series
            ``predicted_purchases`` per row of ``summary``.
        """
        a, b, g, d = self._p()
        x, tx, n = self._xtn(summary, frequency_col, recency_col, n_periods_col)
        t = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise DataError(f"`t` must be a number >= 0, got {t!r}.")
        lg = special.gammaln
        first = (special.betaln(a + x + 1, b + n - x) - special.betaln(a, b)
                 + np.log(d) + lg(g + d) - lg(1 + d) - _bgbb_loglik((a, b, g, d), x, tx, n))
        p4 = np.exp(lg(1 + d + n) - lg(g + d + n))
        p5 = np.exp(lg(1 + d + n + t) - lg(g + d + n + t))
        out = np.exp(first) * (p4 - p5) / (g - 1)
        return pd.Series(out, index=summary.index, name="predicted_purchases")
