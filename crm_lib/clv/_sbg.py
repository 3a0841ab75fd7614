"""The shifted-beta-geometric (sBG) model of contractual retention (Fader and Hardie 2007).

A customer renews each period with a constant probability 1 - theta and theta is Beta(alpha,
beta) across customers ("How to project customer retention", *Journal of Interactive
Marketing* 21 (1), 76-90):

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),   S(t) = B(alpha, beta + t) / B(alpha, beta),
    retention r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)  (rising with t).

The discounted expected residual lifetime of a customer who has renewed ``n - 1`` times (Fader
and Hardie 2010, "Customer-base valuation in a contractual setting", equation 6) is
``DERL = (beta + n - 1) / (alpha + beta + n - 1) 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from crm_lib._errors import DataError, fail_rows, require_columns
from crm_lib.clv._engine import _minimise, _Model, _numbers, _penalizer, _penalizer_hint

_SBG_NAMES = ("alpha", "beta")


def _sbg_fun_grad(theta, t, churned, w, pen):
    """Mean negative log-likelihood of churn periods (churned) and survived periods (censored)."""
    params = np.exp(theta)
    a, b = params
    W = float(w.sum())
    lb = special.betaln(a, b)
    psi_a, psi_b, psi_ab = special.digamma(a), special.digamma(b), special.digamma(a + b)
    # churned in period t: ln B(a+1, b+t-1) - ln B(a, b); survived t periods: ln B(a, b+t) - ln B(a, b)
    ll = np.where(churned, special.betaln(a + 1, b + t - 1), special.betaln(a, b + t)) - lb
    psi_abt = special.digamma(a + b + t)
    da = np.where(churned, special.digamma(a + 1), psi_a) - psi_abt - psi_a + psi_ab
    db = np.where(churned, special.digamma(b + t - 1), special.digamma(b + t)) - psi_abt \
        - psi_b + psi_ab
    g = np.array([np.dot(w, da), np.dot(w, db)]) * params
    f = -float(np.dot(w, ll)) / W + pen * float(np.dot(params, params))
    return f, -g / W + 2 * pen * params * params


class ShiftedBetaGeometric(_Model):
    """The sBG model of contractual retention (Fader and Hardie 2007).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (alpha**2 + beta**2)`` on the mean negative log-likelihood.

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (churn probability Beta(alpha, beta) across customers).
    standard_errors_, covariance_, summary, log_likelihood_, n_customers_
        As for :class:`BetaGeo`.

    Examples
    --------
    >>> m = ShiftedBetaGeometric().fit_survival([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.params_["alpha"], 3), round(m.params_["beta"], 3)
    (0.704, 1.182)
    """

    _names = _SBG_NAMES
    _label = "sBG"

    @classmethod
    def from_params(cls, *, alpha: float, beta: float) -> ShiftedBetaGeometric:
        """A model with known parameters.

        Examples
        --------
        >>> round(ShiftedBetaGeometric.from_params(alpha=0.704, beta=1.182).retention(1), 4)
        0.6267
        """
        return cls._from({"alpha": alpha, "beta": beta})

    def _fit(self, t, churned, w, n_rows):
        pen = _penalizer(self.penalizer)
        if not np.any(churned & (w > 0)):
            raise DataError("No customer churned, so the sBG model cannot be fitted: the churn "
                            "probability is not identifiable from survivors alone.")
        hint = _penalizer_hint("ShiftedBetaGeometric", pen)

        def fun_grad(theta):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return _sbg_fun_grad(theta, t, churned, w, pen)

        theta, H, nit = _minimise(fun_grad, np.zeros(2), "sBG", hint, n_obs=float(w.sum()))
        params = np.exp(theta)
        f0 = _sbg_fun_grad(theta, t, churned, w, 0.0)[0]
        self._store(params, H, float(w.sum()), log_likelihood=-f0 * float(w.sum()),
                    n_rows=n_rows, nit=nit, freq=None)
        return self

    def fit_survival(self, alive: Sequence[float] | np.ndarray) -> ShiftedBetaGeometric:
        """Fit on a survival curve: ``alive[t]`` customers still active at the start of period t.

        ``alive[0]`` is the cohort size; ``alive[t-1] - alive[t]`` customers churned in period
        t, and the ``alive[-1]`` left at the end are censored.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.
        """
        n = np.asarray(alive, dtype=float).reshape(-1)
        if len(n) < 2 or not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(np.diff(n) > 0):
            raise DataError("`alive` must hold at least two counts >= 0 that never increase "
                            f"(customers still active at the start of each period), got {list(n)}.")
        lost = -np.diff(n)
        t = np.arange(1, len(n), dtype=float)
        tt = np.concatenate([t, [float(len(n) - 1)]])
        churned = np.concatenate([np.ones(len(t), bool), [False]])
        return self._fit(tt, churned, np.concatenate([lost, [n[-1]]]), len(n))

    def fit(self, tenure: pd.DataFrame, *, periods_col: str = "periods",
            churned_col: str = "churned",
            weights: str | None = None) -> ShiftedBetaGeometric:
        """Fit on per-customer tenure: ``periods`` (whole periods >= 1) and ``churned``.

        A churned customer left in period ``periods`` (renewed ``periods - 1`` times); a
        customer still active has survived ``periods`` periods (censored).

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.
        """
        require_columns(tenure, [periods_col, churned_col], table="tenure")
        if len(tenure) == 0:
            raise DataError("`tenure` has no rows: there are no customers to fit.")
        t = _numbers(tenure, periods_col, "tenure")
        fail_rows("tenure", periods_col, tenure[periods_col], (t < 1) | (t != np.floor(t)),
                  "a whole number >= 1 (periods as a customer)")
        c = tenure[churned_col]
        bad = ~c.isin([True, False, 0, 1]).to_numpy()
        fail_rows("tenure", churned_col, c, bad, "true or false")
        w = np.ones(len(t)) if weights is None else _numbers(tenure, weights, "tenure")
        return self._fit(t, c.to_numpy(dtype=bool), w, len(t))

    # -- projections ----------------------------------------------------------------------------
    def survival(self, t: float | np.ndarray) -> np.ndarray | float:
        """S(t): share of a new cohort still active after ``t`` periods.

        Examples
        --------
        >>> round(ShiftedBetaGeometric.from_params(alpha=1.0, beta=1.0).survival(3), 4)
        0.25
        """
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        out = np.exp(special.betaln(a, b + t) - special.betaln(a, b))
        return float(out) if out.ndim == 0 else out

    def retention(self, t: float | np.ndarray) -> np.ndarray | float:
        """r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1), for t >= 1."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        if np.any(t < 1):
            raise DataError(f"`t` must be >= 1, got {t!r}.")
        out = np.round((b + t - 1) / (a + b + t - 1), 12)
        return float(out) if out.ndim == 0 else out

    def churn_probability(self, t: float | np.ndarray) -> np.ndarray | float:
        """P(T = t): share of a new cohort that leaves in period t."""
        a, b = self._p()
        t = np.asarray(t, dtype=float)
        out = np.exp(special.betaln(a + 1, b + t - 1) - special.betaln(a, b))
        return float(out) if out.ndim == 0 else out

    def expected_residual_lifetime(self, discount_rate: float, renewals: float | np.ndarray = 0
                                   ) -> np.ndarray | float:
        """Discounted expected residual lifetime (DERL) after ``renewals`` renewals.

        DERL = sum over k >= 0 of S(n + k) / S(n - 1) / (1 + d)^k with n = renewals + 1: the
        expected payments of a customer active in period n, from the renewal at the end of period
        n on, the first undiscounted (Fader and Hardie 2010, equation 6); times the payment per
        period it is the customer's residual value.

        Examples
        --------
        >>> m = ShiftedBetaGeometric.from_params(alpha=1.0, beta=1.0)
        >>> round(m.expected_residual_lifetime(0.1), 4)  # sum of 1/(k+2) / 1.1^k, k >= 0
        1.8015
        """
        a, b = self._p()
        if not (np.isfinite(discount_rate) and discount_rate > 0):
            raise DataError(f"`discount_rate` must be a number > 0, got {discount_rate!r}.")
        n = np.asarray(renewals, dtype=float) + 1
        out = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1.0, b + n, a + b + n,
                                                              1.0 / (1.0 + discount_rate))
        return float(out) if np.ndim(out) == 0 else out

    def projection(self, periods: int) -> pd.DataFrame:
        """Survival and retention of a new cohort over ``periods`` periods.

        Returns
        -------
        DataFrame
            ``period`` 0..periods, ``survival`` S(t), ``retention`` r(t) (NaN at 0),
            ``churn`` P(T = t) (0 at 0).
        """
        t = np.arange(int(periods) + 1, dtype=float)
        ret = np.full(len(t), np.nan)
        ret[1:] = self.retention(t[1:])
        churn = np.zeros(len(t))
        churn[1:] = self.churn_probability(t[1:])
        return pd.DataFrame({"period": t.astype(int), "survival": self.survival(t),
                             "retention": ret, "churn": churn})
