"""The MBG/NBD model (Batislam, Denizel and Filiztekin 2007): the BG/NBD with drop-out at time 0.

In the BG/NBD a customer can drop out only after a repeat purchase, so a one-time buyer is
always alive; the MBG/NBD lets him drop out right after the first purchase too. Per customer,
with the purchase rate Gamma(r, alpha) and the drop-out probability Beta(a, b),

    L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r)
        * [(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)]

for every x (lifetimes' ``ModifiedBetaGeoFitter``); P(alive) = 1 / (1 + a/(b+x) ((alpha+T) /
(alpha+t_x))^(r+x)), and the expected purchases in the next t periods are the BG/NBD's with
b + 1 in place of b, times P(alive).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from crm_lib._errors import DataError
from crm_lib.clv._bgnbd import BetaGeo, _euler_term
from crm_lib.clv._engine import (
    _FORWARD_ROWS,
    _TABLE,
    _WARM_ROWS,
    _dot,
    _minimise,
    _penalizer,
    _penalizer_hint,
    _rft,
    _unique_rows,
    _warm_start,
    _weights,
)

_MBG_NAMES = ("r", "alpha", "a", "b")


def _mbg_loglik(params: Sequence[float], x, tx, T) -> np.ndarray:
    """Individual MBG/NBD log-likelihoods."""
    r, alpha, a, b = params
    a12 = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
           + special.betaln(a, b + x + 1) - special.betaln(a, b))
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    return a12 + np.logaddexp(a3, a4)


def _mbg_fun_grad(theta, rows, pen):
    """Penalised mean negative log-likelihood and its analytic gradient in log space."""
    x, tx, T, w = rows
    W = float(w.sum())
    params = np.exp(theta)
    r, alpha, a, b = params
    la, lT, lt = np.log(alpha), np.log(alpha + T), np.log(alpha + tx)
    a3 = -(r + x) * lT
    a4 = np.log(a) - np.log(b + x) - (r + x) * lt
    p4 = special.expit(a4 - a3)  # share of "dropped after the last purchase"
    ll = (special.gammaln(r + x) - special.gammaln(r) + r * la
          + special.betaln(a, b + x + 1) - special.betaln(a, b) + np.logaddexp(a3, a4))
    psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + x + 1)
    dr = special.digamma(r + x) - special.digamma(r) + la - (1 - p4) * lT - p4 * lt
    dalpha = r / alpha - (r + x) * ((1 - p4) / (alpha + T) + p4 / (alpha + tx))
    da = psi_ab - psi_abx + p4 / a
    db = psi_ab - special.digamma(b) + special.digamma(b + x + 1) - psi_abx - p4 / (b + x)
    grad_ll = np.array([_dot(w, dr), _dot(w, dalpha), _dot(w, da), _dot(w, db)]) * params
    f = -_dot(w, ll) / W + pen * _dot(params, params)
    return float(f), -grad_ll / W + 2 * pen * params * params


class ModifiedBetaGeo(BetaGeo):
    """The MBG/NBD model of repeat purchasing (Batislam, Denizel and Filiztekin 2007).

    As :class:`BetaGeo`, but a customer may drop out right after the first purchase, so a
    one-time buyer who has not come back for long is likely gone (in the BG/NBD his P(alive) is
    1). The same interface: ``fit``, ``params_`` (``r``, ``alpha``, ``a``, ``b``), ``summary``,
    ``from_params``, ``prob_alive``, ``predict_purchases``, ``expected_purchases_new``, the
    matrices and ``holdout_purchases``; the penalizer as lifetimes applies it (time scaled so
    that the longest ``T`` is 1).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 5, 0, 3], "recency": [0, 10, 20, 30, 0, 12],
    ...                   "T": [30, 40, 35, 31, 20, 40]})
    >>> m = ModifiedBetaGeo(penalizer=0.01).fit(s)
    >>> bool((m.prob_alive(s) < 1).all())
    True
    """

    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float,
                    freq: str | None = None) -> ModifiedBetaGeo:
        """A model with known parameters, ready to predict.

        Examples
        --------
        >>> ModifiedBetaGeo.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614).params_["b"]
        1.614
        """
        model = super().from_params(r=r, alpha=alpha, a=a, b=b, freq=freq)
        return model  # type: ignore[return-value]

    def __repr__(self) -> str:
        return super().__repr__().replace("BetaGeo", "ModifiedBetaGeo", 1)

    def fit(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
            recency_col: str = "recency", T_col: str = "T",
            weights: str | Sequence[float] | np.ndarray | None = None) -> ModifiedBetaGeo:
        """Fit r, alpha, a, b by maximum likelihood (parameters as :meth:`BetaGeo.fit`).

        Returns
        -------
        ModifiedBetaGeo
            ``self``, fitted.
        """
        pen = _penalizer(self.penalizer)
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        w = _weights(summary, weights)
        if float(w[x > 0].sum()) == 0:
            raise DataError(
                f"No customer in `{_TABLE}` has a repeat purchase ({frequency_col} is 0 in all "
                f"{len(summary)} rows with weight), so the MBG/NBD model cannot be fitted.")
        keep = w > 0
        scale = 1.0 / float(T[keep].max())
        (ux, utx, uT), inv = _unique_rows([x[keep], tx[keep], T[keep]])
        uw = np.bincount(inv, weights=w[keep], minlength=len(ux))
        rows = (ux, utx * scale, uT * scale, uw)

        def fun_grad(theta):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return _mbg_fun_grad(theta, rows, pen)

        hint = _penalizer_hint("ModifiedBetaGeo", pen, "Check that frequency, recency and T are "
                               "counted in one period unit.")
        theta0 = np.full(4, 0.1)
        big = len(ux) > 4 * _WARM_ROWS
        if big:  # start the big fit from the optimum of every k-th distinct row
            sub = tuple(c[:: len(ux) // _WARM_ROWS] for c in rows)
            theta0 = _warm_start(lambda t: _mbg_fun_grad(t, sub, pen), theta0)
        theta, H, nit = _minimise(fun_grad, theta0, "MBG/NBD", hint, newton_first=big,
                                  forward=len(ux) > _FORWARD_ROWS, n_obs=float(uw.sum()))
        params = np.exp(theta)
        params[1] /= scale
        W = float(uw.sum())
        cov = np.linalg.inv(H) / W * np.outer(params, params)
        names = list(_MBG_NAMES)
        self.params_ = dict(zip(names, map(float, params), strict=True))
        self.covariance_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = dict(zip(names, map(float, np.sqrt(np.diag(cov))), strict=True))
        self.log_likelihood_ = _dot(uw, _mbg_loglik(params, ux, utx, uT))
        self.n_customers_ = W
        self.n_rows_ = len(ux)
        self.n_iterations_ = nit
        self.freq_ = summary.attrs.get("freq")
        self.max_frequency_ = int(x.max())
        self.max_T_ = float(T.max())
        return self

    def log_likelihood(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                       recency_col: str = "recency", T_col: str = "T") -> pd.Series:
        """Individual log-likelihood of each customer at ``params_``.

        Returns
        -------
        Series
            ``log_likelihood`` per row of ``summary`` (same index).
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        return pd.Series(_mbg_loglik(self._p(), x, tx, T), index=summary.index,
                         name="log_likelihood")

    def _prob_alive(self, x, tx, T):
        r, alpha, a, b = self._p()
        logit = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return special.expit(-logit)

    def _given_alive(self, t, x, T):
        r, alpha, a, b = self._p()
        return (a + b + x) / (a - 1) * (1 - _euler_term(r, alpha, a, b + 1, x, T, t))

    def expected_purchases_new(self, t):
        """Expected repeat purchases of a new customer in the first ``t`` periods.

        b / (a - 1) (1 - (alpha / (alpha + t))^r 2F1(r, b + 1; a + b; t / (alpha + t))).

        Examples
        --------
        >>> m = ModifiedBetaGeo.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614)
        >>> round(float(m.expected_purchases_new(1.0)), 4)
        0.0531
        """
        r, alpha, a, b = self._p()
        t_arr = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise DataError(f"`t` must be >= 0, got {t!r}.")
        out = b / (a - 1) * (1 - _euler_term(r, alpha, a, b + 1, 0.0, 0.0, t_arr))
        return float(out) if out.ndim == 0 else out

    def purchase_distribution(self, t, n):
        """Not available for the MBG/NBD (lifetimes has it; this workbook not yet)."""
        raise DataError("ModifiedBetaGeo has no purchase_distribution (nor period_transactions) "
                        "yet: use BetaGeo for that chart.")
