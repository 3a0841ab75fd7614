"""The BG/NBD model (Fader, Hardie and Lee 2005a) of repeat purchasing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from crm_lib._errors import DataError, require_columns
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
    _rft,
    _table_index,
    _unique_rows,
    _warm_start,
    _weights,
)
from crm_lib.clv._interval import _Intervals

_BG_NAMES = ("r", "alpha", "a", "b")


def _bg_loglik(params: Sequence[float], x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Individual BG/NBD log-likelihoods (paper, section 7), stable for huge frequencies."""
    r, alpha, a, b = params
    x1 = np.maximum(x, 1)
    a12 = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
           + special.betaln(a, b + x) - special.betaln(a, b))
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x1 - 1) - (r + x) * np.log(alpha + tx),
                      -np.inf)
    return a12 + np.logaddexp(a3, a4)


def _no_dropout(theta: np.ndarray) -> str | None:
    """The message for a fit whose drop-out probability runs to 0 (theta = log r, alpha, a, b)."""
    # a -> 0 or b -> infinity: the mean drop-out probability E[p] = a / (a + b) runs to 0
    if theta[2] < -20 or theta[3] > 20 or theta[2] - np.logaddexp(theta[2], theta[3]) < -20:
        return ("No dropout is identifiable: the drop-out probability runs to 0, as when every "
                "repeat customer still buys at the end of the observation. A penalizer does not "
                "help (it pulls the same way); use a longer history, in which some customers "
                "stop buying.")
    return None



def _at(values: np.ndarray, index: np.ndarray | None, out: np.ndarray) -> np.ndarray:
    """``values[index]`` (into ``out``), or the values themselves without an index."""
    return values if index is None else np.take(values, index, out=out)


class _BGData:
    """Compressed BG/NBD data: distinct (x, t_x, T) rows with weights, split by x > 0.

    Functions of ``T`` or ``t_x`` alone are evaluated on their distinct values and gathered;
    sums that involve only ``T`` are taken over distinct ``T`` with aggregated weights. The
    arrays ``work``, ``work_T``, ``work_t`` and ``work0`` hold the intermediate values of one
    evaluation of the likelihood: writing into them (``out=``) instead of new arrays saves the
    page faults of fresh memory, most of the time of an evaluation on big data.
    """

    def __init__(self, x, tx, T, w, scale, *, compressed: bool = False):
        if compressed:
            ux, utx, uT, uw = x, tx, T, w
        else:
            keep = w > 0
            (ux, utx, uT), inv = _unique_rows([x[keep], tx[keep], T[keep]])
            uw = np.bincount(inv, weights=w[keep], minlength=len(ux))
        self.rows = (ux, utx, uT, uw)
        rep = ux > 0
        self.n_rows = len(ux)
        self.W = float(uw.sum())
        # customers without repeat purchases: only T matters
        self.w0 = uw[~rep]
        self.T0 = uT[~rep] * scale
        # repeat customers
        self.x = ux[rep]
        self.w = uw[rep]
        self.W1 = float(self.w.sum())
        self.wx = self.w * self.x
        self.sum_wx = float(self.wx.sum())
        n = len(self.x)
        top = int(self.x.max()) if n else 0
        # rows sorted by x (as _unique_rows leaves them): per-x sums are sums over runs
        self.x_sorted = bool(n and np.all(self.x[1:] >= self.x[:-1]))
        if self.x_sorted:
            self.x_starts = np.flatnonzero(np.diff(self.x, prepend=-1.0))
            self.xs = self.x[self.x_starts]
            self.x_counts = np.diff(self.x_starts, append=n)
            self.xinv = np.repeat(np.arange(len(self.xs)), self.x_counts)
        elif top < 4 * n + 1024:  # x = 1..top indexes a table without a sort
            self.xs, self.xinv = np.arange(1, top + 1, dtype=float), self.x.astype(np.intp) - 1
        else:
            xs, xinv = np.unique(self.x, return_inverse=True)
            self.xs, self.xinv = xs, xinv.reshape(-1)
        self.Wx = np.bincount(self.xinv, weights=self.w, minlength=len(self.xs))
        uTr, self.Tidx = _table_index(uT[rep])
        utr, self.tidx = _table_index(utx[rep])
        self.uT, self.ut = uTr * scale, utr * scale
        if self.Tidx is None:
            self.WT, self.WxT = self.w, self.wx
        else:
            self.WT = np.bincount(self.Tidx, weights=self.w, minlength=len(uTr))
            self.WxT = np.bincount(self.Tidx, weights=self.wx, minlength=len(uTr))
        self.work = np.empty((6, n))
        self.work_T = np.empty((2, len(self.uT)))
        self.work_t = np.empty((2, len(self.ut)))
        self.work0 = np.empty((2, len(self.T0)))


def _bg_fun_grad(theta: np.ndarray, d: _BGData, pen: float) -> tuple[float, np.ndarray]:
    """Penalised mean negative log-likelihood and its gradient in log-parameter space.

    Per repeat customer, with A3 = -(r+x) ln(alpha+T) ("alive") and A4 = ln a - ln(b+x-1)
    - (r+x) ln(alpha+t_x) ("dropped after the last purchase"), the likelihood holds
    ln(e^A3 + e^A4) = A3 + softplus(A4 - A3); the share of the second term, expit(A4 - A3),
    weighs the two parts of the gradient. Not reentrant: it writes into the arrays of ``d``.
    """
    params = np.exp(theta)
    r, alpha, a, b = params
    xs = d.xs
    # terms that depend on x only (over distinct x)
    a12 = (special.gammaln(r + xs) - special.gammaln(r) + special.gammaln(a + b)
           + special.gammaln(b + xs) - special.gammaln(b) - special.gammaln(a + b + xs))
    inv_bx = 1.0 / (b + xs - 1)
    # functions of T and of t_x over their distinct values: ln(alpha + .) and 1 / (alpha + .)
    lTt, iTt = _log_inv(alpha, d.uT, d.work_T)
    ltt, itt = _log_inv(alpha, d.ut, d.work_t)
    # repeat rows
    v0, v1, v2, v3, v4, v5 = d.work
    dlog = np.subtract(_at(ltt, d.tidx, v0), _at(lTt, d.Tidx, v1), out=v0)
    # ln(alpha+t_x) - ln(alpha+T) <= 0
    rx = np.add(r, d.x, out=v1)
    c = np.log(a) - np.log(b + xs - 1)
    dl = np.multiply(rx, dlog, out=v2)
    np.subtract(np.take(c, d.xinv, out=v3), dl, out=dl)  # A4 - A3
    e = np.exp(np.negative(np.abs(dl, out=v3), out=v3), out=v3)  # e^-|dl|
    q = np.reciprocal(np.add(e, 1.0, out=v4), out=v4)
    softplus = np.subtract(np.maximum(dl, 0.0, out=v5), np.log(q, out=e), out=v5)
    sum_wsp = _dot(d.w, softplus)  # ln(1 + e^dl), stable for any dl
    # expit(A4 - A3): q for dl > 0, e^dl q otherwise
    wp4 = np.multiply(np.exp(np.minimum(dl, 0.0, out=v5), out=v5), q, out=v5)
    np.multiply(d.w, wp4, out=wp4)
    wp4_x = (np.add.reduceat(wp4, d.x_starts) if d.x_sorted
             else np.bincount(d.xinv, weights=wp4, minlength=len(xs)))
    sum_wrlT = r * _dot(d.WT, lTt) + _dot(d.WxT, lTt)  # sum of w (r + x) ln(alpha + T)
    # zero-repeat rows
    lT0, iT0 = _log_inv(alpha, d.T0, d.work0)
    la = np.log(alpha)
    ll = (_dot(d.Wx, a12) + d.W * r * la - sum_wrlT + sum_wsp - r * _dot(d.w0, lT0))
    dr = (_dot(d.Wx, special.digamma(r + xs) - special.digamma(r)) + d.W * la
          - _dot(d.WT, lTt) - _dot(wp4, dlog) - _dot(d.w0, lT0))
    diT = np.subtract(_at(itt, d.tidx, v2), _at(iTt, d.Tidx, v3), out=v2)
    dalpha = (d.W * r / alpha - r * _dot(d.WT, iTt) - _dot(d.WxT, iTt)
              - _dot(np.multiply(wp4, rx, out=v1), diT) - r * _dot(d.w0, iT0))
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + xs)
    da = _dot(d.Wx, psi_ab - psi_abx) + float(wp4_x.sum()) / a
    db = (_dot(d.Wx, psi_ab + special.digamma(b + xs) - special.digamma(b) - psi_abx)
          - _dot(wp4_x, inv_bx))
    grad_ll = np.array([dr, dalpha, da, db]) * params
    f = -ll / d.W + pen * _dot(params, params)
    g = -grad_ll / d.W + 2 * pen * params * params
    return float(f), g


def _log_inv(alpha: float, v: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ln(alpha + v) and 1 / (alpha + v), written into the two rows of ``out``."""
    s = np.add(alpha, v, out=out[0])
    inv = np.reciprocal(s, out=out[1])
    return np.log(s, out=s), inv


def _euler_term(r, alpha, a, b, x, T, t):
    """((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t).

    Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns it into
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose series converges fast even for huge x
    (the first form overflows there).
    """
    z = t / (alpha + T + t)
    c = a + b + x - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)


class BetaGeo(_Intervals):
    """The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005).

    Each customer buys at a Poisson rate ``lambda`` (Gamma(r, alpha) across customers) and, after
    each repeat purchase, drops out with probability ``p`` (Beta(a, b) across customers).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the parameters, as lifetimes applies it: the objective is the mean negative
        log-likelihood plus ``penalizer * (r**2 + alpha_s**2 + a**2 + b**2)``, where ``alpha_s``
        is ``alpha`` in time scaled so that the longest ``T`` is 1. A small value (0.001-0.1)
        helps a fit that does not converge.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha``, ``a``, ``b`` (``alpha`` in the summary's period unit).
    standard_errors_ : dict
        Standard errors from the Hessian of the objective (delta method from log space).
    covariance_ : DataFrame
        Covariance matrix of the parameters.
    summary : DataFrame
        ``coef``, ``se``, ``lower_95``, ``upper_95`` per parameter.
    log_likelihood_ : float
        Log-likelihood of the fitted data at ``params_`` (unpenalised, in the summary's unit).
    n_customers_ : float
        Sum of the weights (number of customers) fitted; ``n_rows_`` distinct rows.
    freq_ : str or None
        The period unit of the summary (its ``attrs["freq"]``).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [0, 1, 2, 5, 0, 3], "recency": [0, 10, 20, 30, 0, 12],
    ...                   "T": [30, 40, 35, 31, 20, 40]})
    >>> bg = BetaGeo(penalizer=0.01).fit(s)
    >>> sorted(bg.params_)
    ['a', 'alpha', 'b', 'r']
    >>> bool((bg.prob_alive(s) <= 1).all())
    True
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    # -- state ----------------------------------------------------------------------------------
    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float,
                    freq: str | None = None) -> BetaGeo:
        """A model with known parameters (e.g. a generator's truth), ready to predict.

        Examples
        --------
        >>> BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426).params_["r"]
        0.243
        """
        model = cls()
        values = {"r": r, "alpha": alpha, "a": a, "b": b}
        for name, v in values.items():
            if not (isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v > 0):
                raise DataError(f"`{name}` must be a positive number, got {v!r}.")
        model.params_ = {k: float(v) for k, v in values.items()}
        model.standard_errors_ = dict.fromkeys(_BG_NAMES, float("nan"))
        model.covariance_ = pd.DataFrame(np.nan, index=list(_BG_NAMES), columns=list(_BG_NAMES))
        model.freq_ = freq
        model.log_likelihood_ = float("nan")
        model.n_customers_ = 0.0
        model.n_rows_ = 0
        model.max_frequency_ = None
        model.max_T_ = None
        return model

    def _p(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError("This BetaGeo model is not fitted yet: call .fit(summary) first "
                                 "(or build one with BetaGeo.from_params(...)).")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"BetaGeo(penalizer={self.penalizer!r})"
        vals = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<BetaGeo fitted: {vals}; unit {self.freq_!r}>"

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
            recency_col: str = "recency", T_col: str = "T",
            weights: str | Sequence[float] | np.ndarray | None = None) -> BetaGeo:
        """Fit r, alpha, a, b by maximum likelihood.

        Parameters
        ----------
        summary : DataFrame
            One row per customer (or per pattern, with ``weights``), e.g. from
            :func:`crm_lib.summary.customer_summary`. ``attrs["freq"]`` is kept as ``freq_``.
        frequency_col, recency_col, T_col : str
            Columns with the repeat purchase periods, the recency and the age, in one unit
            (use ``"frequency_cal"`` etc. for a calibration summary).
        weights : str, array or None
            Number of customers each row stands for (a column name or an array); rows with
            weight 0 are ignored. Identical rows are compressed into weights in any case.

        Returns
        -------
        BetaGeo
            ``self``, fitted.

        Raises
        ------
        DataError
            On bad input, when no customer has a repeat purchase, or when the fit does not
            converge (try a penalizer).
        """
        pen = _penalizer(self.penalizer)
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        w = _weights(summary, weights)
        repeat = float(w[x > 0].sum())
        if repeat == 0:
            raise DataError(
                f"No customer in `{_TABLE}` has a repeat purchase ({frequency_col} is 0 in all "
                f"{len(summary)} rows with weight), so the BG/NBD model cannot be fitted: it "
                "learns the purchase and drop-out rates from repeat purchases. Use a longer "
                "history or a finer period unit (freq='D')."
            )
        scale = 1.0 / float(T[w > 0].max())
        d = _BGData(x, tx, T, w, scale)

        def fun_grad(theta):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return _bg_fun_grad(theta, d, pen)

        hint = _penalizer_hint("BetaGeo", pen, "Check that frequency, recency and T are "
                               "counted in one period unit.")
        theta0 = np.full(4, 0.1)
        if d.n_rows > 4 * _WARM_ROWS:  # start the big fit from the optimum of every k-th row
            k = d.n_rows // _WARM_ROWS
            sub = _BGData(*(c[::k] for c in d.rows), scale, compressed=True)
            if sub.W1 > 0:
                theta0 = _warm_start(lambda t: _bg_fun_grad(t, sub, pen), theta0)
        theta, H, nit = _minimise(fun_grad, theta0, "BG/NBD", hint, runaway_hint=_no_dropout,
                                  forward=d.n_rows > _FORWARD_ROWS,
                                  newton_first=d.n_rows > 4 * _WARM_ROWS, n_obs=d.W)
        params = np.exp(theta)
        params[1] /= scale
        cov_theta = np.linalg.inv(H) / d.W
        cov = cov_theta * np.outer(params, params)
        self.params_ = dict(zip(_BG_NAMES, map(float, params), strict=True))
        self.covariance_ = pd.DataFrame(cov, index=list(_BG_NAMES), columns=list(_BG_NAMES))
        self.standard_errors_ = dict(zip(_BG_NAMES, map(float, np.sqrt(np.diag(cov))),
                                         strict=True))
        # in the summary's unit: scaling time by s adds x ln(s) per customer
        f0 = _bg_fun_grad(theta, d, 0.0)[0]
        self.log_likelihood_ = float(-f0 * d.W + np.log(scale) * d.sum_wx)
        self.n_customers_ = d.W
        self.n_rows_ = d.n_rows
        self.n_iterations_ = nit
        self.freq_ = summary.attrs.get("freq")
        self.max_frequency_ = int(x.max())
        self.max_T_ = float(T.max())
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: ``coef``, ``se``, ``lower_95``, ``upper_95`` (index ``parameter``)."""
        self._p()
        return _param_table(self.params_, self.standard_errors_)

    # -- predictions ----------------------------------------------------------------------------
    def log_likelihood(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                       recency_col: str = "recency", T_col: str = "T") -> pd.Series:
        """Individual log-likelihood of each customer's (frequency, recency, T) at ``params_``.

        Returns
        -------
        Series
            ``log_likelihood`` per row of ``summary`` (same index).
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        ll = _bg_loglik(self._p(), x, tx, T)
        return pd.Series(ll, index=summary.index, name="log_likelihood")

    def _prob_alive(self, x, tx, T):
        r, alpha, a, b = self._p()
        x1 = np.maximum(x, 1)
        logit = (np.log(a) - np.log(b + x1 - 1)
                 + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        return np.where(x > 0, special.expit(-logit), 1.0)

    def _given_alive(self, t, x, T):
        """Expected purchases in the next t periods of a customer alive at T (eq. 10 / P(alive))."""
        r, alpha, a, b = self._p()
        return (a + b + x - 1) / (a - 1) * (1 - _euler_term(r, alpha, a, b, x, T, t))

    def _cond_expected(self, t, x, tx, T):
        return self._prob_alive(x, tx, T) * self._given_alive(t, x, T)

    def prob_alive(self, summary: pd.DataFrame, *, frequency_col: str = "frequency",
                   recency_col: str = "recency", T_col: str = "T") -> pd.Series:
        """Probability that each customer is still active at the end of the observation.

        P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
        (Fader, Hardie and Lee, note 021), computed as a logistic function of the log-odds.

        Returns
        -------
        Series
            ``prob_alive`` per row of ``summary`` (same index), in [0, 1].
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        return pd.Series(self._prob_alive(x, tx, T), index=summary.index, name="prob_alive")

    def predict_purchases(self, t: float | np.ndarray, summary: pd.DataFrame, *,
                          frequency_col: str = "frequency", recency_col: str = "recency",
                          T_col: str = "T") -> pd.Series:
        """Expected number of purchases in the next ``t`` periods (paper, equation 10).

        Parameters
        ----------
        t : float or array
            Horizon in the summary's period unit (one value, or one per row).
        summary : DataFrame
            ``frequency``, ``recency``, ``T`` per customer.

        Returns
        -------
        Series
            ``predicted_purchases`` per row of ``summary`` (same index).
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        t = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t)) or np.any(t < 0) or t.ndim > 1 or (
                t.ndim == 1 and len(t) != len(x)):
            raise DataError("`t` must be a number >= 0 or one such number per row of "
                            f"`{_TABLE}`, got {t!r}.")
        return pd.Series(self._cond_expected(t, x, tx, T), index=summary.index,
                         name="predicted_purchases")

    def expected_purchases_new(self, t: float | Sequence[float] | np.ndarray) -> np.ndarray | float:
        """Expected repeat purchases of a new customer in the first ``t`` periods (equation 9).

        Returns
        -------
        float or ndarray
            E[X(t)], the shape of ``t``.

        Examples
        --------
        >>> bg = BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(bg.expected_purchases_new(1.0)), 4)
        0.0533
        """
        r, alpha, a, b = self._p()
        t_arr = np.asarray(t, dtype=float)
        if not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise DataError(f"`t` must be >= 0, got {t!r}.")
        out = (a + b - 1) / (a - 1) * (1 - _euler_term(r, alpha, a, b, 0.0, 0.0, t_arr))
        return float(out) if out.ndim == 0 else out

    def purchase_distribution(self, t: float | np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """P(X(t) = n): probability of ``n`` repeat purchases in ``t`` periods (equation 8).

        ``t`` and ``n`` broadcast against each other. The finite sum of the paper is the
        survival function of a negative binomial, which is how it is computed.

        Returns
        -------
        ndarray
            Probabilities.
        """
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        n = np.asarray(n, dtype=float)
        q = alpha / (alpha + t)
        first = np.exp(special.betaln(a, b + n) - special.betaln(a, b) + stats.nbinom.logpmf(n, r, q))
        with np.errstate(invalid="ignore"):
            second = np.where(
                n > 0,
                np.exp(special.betaln(a + 1, b + np.maximum(n, 1) - 1) - special.betaln(a, b))
                * stats.nbinom.sf(n - 1, r, q),
                0.0)
        return first + second

    def prob_alive_matrix(self, max_frequency: int | None = None,
                          max_recency: int | None = None) -> pd.DataFrame:
        """P(alive) on a grid of frequency x recency, for customers of age ``T = max_recency``.

        Returns
        -------
        DataFrame
            Index ``recency`` 0..max_recency, columns ``frequency`` 0..max_frequency (lifetimes'
            layout of the heat map). Defaults: the largest frequency and T fitted.
        """
        return self._matrix(None, max_frequency, max_recency)

    def expected_purchases_matrix(self, t: float, max_frequency: int | None = None,
                                  max_recency: int | None = None) -> pd.DataFrame:
        """Expected purchases in the next ``t`` periods on a frequency x recency grid.

        Returns
        -------
        DataFrame
            Index ``recency`` 0..max_recency, columns ``frequency`` 0..max_frequency, for
            customers of age ``T = max_recency``.
        """
        if not np.isfinite(t) or t < 0:
            raise DataError(f"`t` must be a number >= 0, got {t!r}.")
        return self._matrix(float(t), max_frequency, max_recency)

    def _matrix(self, t, max_frequency, max_recency):
        self._p()
        mf = max_frequency if max_frequency is not None else self.max_frequency_
        mr = max_recency if max_recency is not None else self.max_T_
        if mf is None or mr is None:
            raise DataError("Pass `max_frequency` and `max_recency`: this model was not fitted "
                            "on data, so it has no observed maxima.")
        mf, mr = int(mf), int(np.ceil(mr))
        if mf < 0 or mr < 0:
            raise DataError(f"`max_frequency` and `max_recency` must be >= 0, got {mf}, {mr}.")
        x = np.arange(mf + 1, dtype=float)[None, :]
        tx = np.arange(mr + 1, dtype=float)[:, None]
        T = float(mr)
        with np.errstate(invalid="ignore"):
            vals = self._prob_alive(x, tx, T) if t is None else self._cond_expected(t, x, tx, T)
        out = pd.DataFrame(np.broadcast_to(vals, (mr + 1, mf + 1)).copy(),
                           index=pd.Index(np.arange(mr + 1), name="recency"),
                           columns=pd.Index(np.arange(mf + 1), name="frequency"))
        return out

    def period_transactions(self, summary: pd.DataFrame, *, max_frequency: int = 7,
                            frequency_col: str = "frequency", T_col: str = "T") -> pd.DataFrame:
        """Customers by number of repeat purchases: observed vs expected by the model.

        The model column is the sum over customers of P(X(T_i) = k) (equation 8) for each
        customer's own age ``T_i``, an exact expectation (lifetimes simulates it instead).

        Returns
        -------
        DataFrame
            One row per bucket: ``frequency`` (0..max_frequency; the last bucket holds
            ``max_frequency`` or more), ``bucket`` (label, e.g. "7+"), ``actual`` and ``model``
            (numbers of customers).
        """
        require_columns(summary, [frequency_col, T_col], table=_TABLE)
        if len(summary) == 0:
            raise DataError(f"`{_TABLE}` has no rows.")
        x = _numbers(summary, frequency_col)
        T = _numbers(summary, T_col)
        k = int(max_frequency)
        if k < 1:
            raise DataError(f"`max_frequency` must be >= 1, got {max_frequency!r}.")
        (uT,), inv = _unique_rows([T])
        counts = np.bincount(inv, minlength=len(uT)).astype(float)
        probs = self.purchase_distribution(uT[:, None], np.arange(k)[None, :])
        model = (counts[:, None] * probs).sum(axis=0)
        model = np.append(model, counts.sum() - model.sum())
        actual = np.bincount(np.minimum(x, k).astype(np.int64), minlength=k + 1).astype(float)
        labels = [str(i) for i in range(k)] + [f"{k}+"]
        return pd.DataFrame({"frequency": np.arange(k + 1), "bucket": labels,
                             "actual": actual, "model": model})

    def holdout_purchases(self, summary: pd.DataFrame, *, max_frequency: int = 7,
                          frequency_col: str = "frequency_cal", recency_col: str = "recency_cal",
                          T_col: str = "T_cal", holdout_col: str = "frequency_holdout",
                          duration_col: str = "duration_holdout") -> pd.DataFrame:
        """Mean purchases in the holdout by calibration frequency: observed vs predicted.

        Fit the model on the calibration columns first (``fit(summary,
        frequency_col="frequency_cal", ...)``) of a summary made with ``calibration_end``.

        Returns
        -------
        DataFrame
            One row per calibration frequency bucket (the last holds ``max_frequency`` or
            more): ``frequency``, ``bucket``, ``customers``, ``actual`` (mean holdout purchase
            periods) and ``predicted`` (mean of :meth:`predict_purchases` over
            ``duration_holdout``).
        """
        x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
        require_columns(summary, [holdout_col, duration_col], table=_TABLE)
        y = _numbers(summary, holdout_col)
        dur = _numbers(summary, duration_col)
        k = int(max_frequency)
        if k < 1:
            raise DataError(f"`max_frequency` must be >= 1, got {max_frequency!r}.")
        pred = self._cond_expected(dur, x, tx, T)
        bucket = np.minimum(x, k).astype(np.int64)
        n = np.bincount(bucket, minlength=k + 1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            actual = np.bincount(bucket, weights=y, minlength=k + 1) / n
            predicted = np.bincount(bucket, weights=pred, minlength=k + 1) / n
        labels = [str(i) for i in range(k)] + [f"{k}+"]
        out = pd.DataFrame({"frequency": np.arange(k + 1), "bucket": labels, "customers": n,
                            "actual": actual, "predicted": predicted})
        return out[out["customers"] > 0].reset_index(drop=True)


