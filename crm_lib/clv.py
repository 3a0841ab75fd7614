"""Customer lifetime value: the BG/NBD and Gamma-Gamma models, CLV and the replenishment list.

* :class:`BetaGeo` is the BG/NBD model of Fader, Hardie and Lee (2005a), "Counting Your Customers
  the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24 (2), 275-284.
  It predicts how many purchases a customer will make and whether the customer is still "alive"
  from three numbers per customer: ``frequency`` (repeat purchase periods), ``recency`` (periods
  from the first to the last purchase) and ``T`` (periods from the first purchase to the end of
  the observation), as :func:`crm_lib.summary.customer_summary` returns them.
* :class:`GammaGamma` is the spend model of Fader, Hardie and Lee (2005b), "RFM and CLV: Using
  Iso-Value Curves for Customer Base Analysis", *Journal of Marketing Research* 42, 415-430,
  with the notation of Hardie's note "The Gamma-Gamma Model of Monetary Value" (2013).
* :func:`lifetime_value` combines them as lifetimes' ``customer_lifetime_value`` does: monthly
  steps of expected purchases times expected spend, discounted per month.

Both models are fitted by maximum likelihood with numpy and scipy only: the log-likelihood is
vectorised over the *distinct* customer rows (identical rows are compressed into weights), its
analytic gradient drives BFGS in log-parameter space, a few Newton steps on the numerical
Hessian finish the optimum, and the standard errors come from that Hessian (delta method from
log space). The time unit is explicit: a summary records it in ``attrs["freq"]``, a fitted model
keeps it in ``freq_``, and :func:`lifetime_value` refuses a unit that disagrees with either.

The penalizer is lifetimes' L2 penalty: the objective is the mean negative log-likelihood plus
``penalizer * sum(params ** 2)``, with ``alpha`` of the BG/NBD measured in time scaled so that
the longest ``T`` is 1 (lifetimes 0.11.3 scales time the same way).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from crm_lib._errors import DataError, DataWarning, examples, fail_rows, require_columns
from crm_lib._frames import numeric

__all__ = [
    "FM_CORRELATION_LIMIT",
    "MONTH_LENGTH",
    "PERIOD_DAYS",
    "REPLENISHMENT_BAND",
    "REPLENISHMENT_MIN_PROB_ALIVE",
    "BetaGeo",
    "GammaGamma",
    "NotFittedError",
    "clv_by",
    "clv_settings",
    "cohort_clv",
    "describe_unit",
    "due_list",
    "frequency_monetary_correlation",
    "gross_margin",
    "historical_clv",
    "lifetime_value",
    "replenishment",
    "top_customers",
]

#: Length of one month in the summary's period unit, used by :func:`lifetime_value` to turn its
#: horizon in months into periods. Days: 30, as lifetimes' ``customer_lifetime_value`` uses (the
#: average Gregorian month is 30.44 days; pass ``month_length`` to change it); weeks: 4.345;
#: months: 1.
MONTH_LENGTH = MappingProxyType({"D": 30.0, "W": 4.345, "M": 1.0})

#: Length of one period in days (for dates): a day, a week, the average Gregorian month.
PERIOD_DAYS = MappingProxyType({"D": 1.0, "W": 7.0, "M": 365.2425 / 12})

#: Above this absolute Pearson correlation between frequency and monetary value, the
#: Gamma-Gamma model's independence assumption is doubtful (:func:`frequency_monetary_correlation`).
FM_CORRELATION_LIMIT: float = 0.3

#: Quantiles of the waiting time to the next purchase that bound the band in :func:`replenishment`.
REPLENISHMENT_BAND: tuple[float, float] = (0.25, 0.75)

#: :func:`replenishment` lists only customers at least this likely to be alive.
REPLENISHMENT_MIN_PROB_ALIVE: float = 0.5

_TABLE = "summary"
_BG_NAMES = ("r", "alpha", "a", "b")
_GG_NAMES = ("p", "q", "v")
_THETA_BOUND = 25.0  # |log parameter| beyond this counts as a runaway fit
_WARM_ROWS = 20_000  # subsample size of the warm start of big fits
_FORWARD_ROWS = 200_000  # above this many rows, a forward-difference Hessian (half the cost)
_MAX_LOG_SE = 10.0  # a log-parameter this uncertain means the data do not identify the model


class NotFittedError(DataError):
    """A model method was called before :meth:`fit` (or ``from_params``)."""


# ---------------------------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------------------------

def _numbers(df: pd.DataFrame, col: str, table: str = _TABLE) -> np.ndarray:
    """The column as float64; a DataError for text or empty/infinite values."""
    v = numeric(df, col, table=table)
    fail_rows(table, col, df[col], ~np.isfinite(v), "a finite number (no empty values)")
    return v


def _rft(summary: pd.DataFrame, frequency_col: str, recency_col: str, T_col: str,
         table: str = _TABLE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated frequency, recency and T arrays of a summary."""
    require_columns(summary, [frequency_col, recency_col, T_col], table=table)
    if len(summary) == 0:
        raise DataError(f"`{table}` has no rows: there are no customers to fit or predict.")
    x = _numbers(summary, frequency_col, table)
    tx = _numbers(summary, recency_col, table)
    T = _numbers(summary, T_col, table)
    fail_rows(table, frequency_col, summary[frequency_col], (x < 0) | (x != np.floor(x)),
              "a whole number >= 0 (repeat purchase periods)")
    fail_rows(table, recency_col, summary[recency_col], tx < 0, ">= 0")
    fail_rows(table, T_col, summary[T_col], T < 0, ">= 0")
    fail_rows(table, recency_col, summary[recency_col], tx > T * (1 + 1e-12) + 1e-12,
              f"at most {T_col} (the last purchase cannot follow the end of the observation)")
    fail_rows(table, recency_col, summary[recency_col], (x == 0) & (tx != 0),
              f"0 where {frequency_col} is 0")
    return x, tx, T


def _weights(summary: pd.DataFrame, weights: object, table: str = _TABLE) -> np.ndarray:
    """Weights from None, a column name or an array of the summary's length."""
    n = len(summary)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        require_columns(summary, [weights], table=table)
        w = _numbers(summary, weights, table)
        ws = summary[weights]
    else:
        w = np.asarray(weights, dtype=float).reshape(-1)
        if len(w) != n:
            raise DataError(f"`weights` must have one value per row of `{table}` ({n}), "
                            f"got {len(w)}.")
        ws = pd.Series(w, index=summary.index)
        fail_rows(table, "weights", ws, ~np.isfinite(w), "a finite number")
    fail_rows(table, str(weights) if isinstance(weights, str) else "weights", ws, w < 0, ">= 0")
    return w


def _penalizer(value: object) -> float:
    try:
        pen = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pen = float("nan")
    if not np.isfinite(pen) or pen < 0:
        raise DataError(f"`penalizer` must be a number >= 0, got {value!r}.")
    return pen


def _unique_rows(cols: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the columns and the inverse index (rows -> distinct row)."""
    whole = all(np.all(c == np.floor(c)) and (len(c) == 0 or c.min() >= 0) for c in cols)
    if whole:
        spans = [int(c.max()) + 1 if len(c) else 1 for c in cols]
        if float(np.prod([float(s) for s in spans])) < 2.0 ** 62:
            key = np.zeros(len(cols[0]), dtype=np.int64)
            for c, s in zip(cols, spans, strict=True):
                key = key * s + c.astype(np.int64)
            ukey, inv = np.unique(key, return_inverse=True)
            out = []
            for s in reversed(spans):
                out.append((ukey % s).astype(float))
                ukey = ukey // s
            return out[::-1], inv.reshape(-1)
    stacked = np.column_stack(cols)
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], inv.reshape(-1)


def _resolve_freq(summary: pd.DataFrame, freq: object, *, what: str) -> str | None:
    """The period unit: ``freq`` if given (checked against the summary's record), else the record."""
    recorded = summary.attrs.get("freq") if isinstance(summary, pd.DataFrame) else None
    if freq is None:
        return None if recorded is None else str(recorded)
    if freq not in MONTH_LENGTH:
        raise DataError(f"`freq` must be one of {list(MONTH_LENGTH)}, got {freq!r}.")
    if recorded is not None and recorded != freq:
        raise DataError(
            f"`freq`={freq!r} disagrees with the period unit the summary records "
            f"(attrs['freq']={recorded!r}) for {what}. Recency and T are counted in "
            f"{recorded!r} periods; pass freq=None (or freq={recorded!r}), or summarise the "
            f"transactions again with freq={freq!r}."
        )
    return str(freq)


# ---------------------------------------------------------------------------------------------
# fitting machinery shared by both models
# ---------------------------------------------------------------------------------------------

def _num_hessian(grad, theta: np.ndarray, g0: np.ndarray | None = None) -> np.ndarray:
    """Numerical Hessian from the analytic gradient, symmetrised.

    Central differences (step 1e-5, error about 1e-10); given the gradient ``g0`` at ``theta``,
    forward differences (step 1e-6, error about 1e-6, half the gradient evaluations) for big data.
    """
    k = len(theta)
    H = np.empty((k, k))
    for i in range(k):  # loop over the few parameters, not over data
        e = np.zeros(k)
        if g0 is None:
            e[i] = 1e-5
            H[i] = (grad(theta + e) - grad(theta - e)) / 2e-5
        else:
            e[i] = 1e-6
            H[i] = (grad(theta + e) - g0) / 1e-6
    return (H + H.T) / 2


def _chord_newton(fun_grad, theta, f, g, H, *, steps: int = 30):
    """Newton steps with one fixed Hessian until a step moves the log-parameters < 1e-10.

    Returns (theta, f, g, converged).
    """
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return theta, f, g, False
    for _ in range(steps):
        step = np.linalg.solve(H, g)
        if not np.all(np.isfinite(step)):
            return theta, f, g, False
        if np.max(np.abs(step)) < 1e-10:
            return theta, f, g, True
        lam = 1.0
        while lam > 1e-4:
            cand = theta - lam * step
            fc, gc = fun_grad(cand)
            # near the optimum f changes less than its rounding noise: a smaller gradient counts
            if np.isfinite(fc) and (fc <= f + 1e-12 * max(1.0, abs(f))
                                    or np.max(np.abs(gc)) < 0.5 * np.max(np.abs(g))):
                break
            lam /= 2
        else:
            return theta, f, g, False
        if np.max(np.abs(gc)) >= np.max(np.abs(g)) and fc >= f:
            return theta, f, g, False
        theta, f, g = cand, fc, gc
    return theta, f, g, False


def _minimise(fun_grad, theta0: np.ndarray, model: str, hint: str, *, forward: bool = False,
              newton_first: bool = False,
              n_obs: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Minimise in log space: BFGS, then Newton steps; a DataError when it does not converge.

    The Newton steps reuse one numerical Hessian (a chord method: near the optimum each step
    costs one gradient). With ``newton_first`` (a warm start close to the optimum) they come
    first and BFGS runs only if they fail. The Hessian is evaluated again for the standard
    errors when the steps moved the estimate noticeably.
    """
    def grad(t):
        return fun_grad(t)[1]

    def hessian(t, g):
        return _num_hessian(grad, t, g if forward else None)

    theta = np.asarray(theta0, dtype=float)
    f, g = fun_grad(theta)
    ok, nit, message = False, 0, "Newton steps from the warm start"
    if newton_first and np.isfinite(f) and np.all(np.isfinite(g)):
        H, at = hessian(theta, g), theta
        theta, f, g, ok = _chord_newton(fun_grad, theta, f, g, H, steps=15)
    if not ok:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            res = optimize.minimize(fun_grad, theta, jac=True, method="BFGS",
                                    options={"maxiter": 5000, "gtol": 1e-9})
        nit, message = int(res.nit), str(res.message)
        theta = np.asarray(res.x, dtype=float)
        f, g = fun_grad(theta)
        if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(theta))):
            raise DataError(f"The {model} fit did not converge (the likelihood is not finite at "
                            f"the end of the search). {hint}")
        if np.all(np.abs(theta) <= _THETA_BOUND):
            H, at = hessian(theta, g), theta
            theta, f, g, ok = _chord_newton(fun_grad, theta, f, g, H)
        else:
            H, at = np.full((len(theta), len(theta)), np.nan), theta
    if np.any(np.abs(theta) > _THETA_BOUND):
        values = ", ".join(f"{n}" for n in np.round(np.exp(theta), 6))
        raise DataError(
            f"The {model} fit did not converge: a parameter ran off towards 0 or infinity "
            f"(estimates {values}), so the data cannot identify the model. {hint}"
        )
    if np.max(np.abs(g)) > 1e-6:
        raise DataError(
            f"The {model} fit did not converge (largest gradient {np.max(np.abs(g)):.2g} after "
            f"{nit} iterations: {message}). {hint}"
        )
    if np.max(np.abs(theta - at)) > 1e-6:  # the Hessian at the final point, for the SEs
        H = hessian(theta, g)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        raise DataError(
            f"The {model} fit has no unique optimum (the Hessian of the likelihood is not "
            f"positive definite), so the data cannot identify the model. {hint}"
        ) from None
    if n_obs is not None:
        log_se = np.sqrt(np.diag(np.linalg.inv(H)) / n_obs)
        if np.any(log_se > _MAX_LOG_SE):
            values = ", ".join(f"{v:.3g}" for v in np.exp(theta))
            raise DataError(
                f"The {model} fit did not converge to a usable optimum: the data leave a "
                f"parameter undetermined (estimates {values}; one is uncertain by a factor above "
                f"e^{_MAX_LOG_SE:g}), so the data cannot identify the model. {hint}"
            )
    return theta, H, nit


def _warm_start(fun_grad_sub, theta0: np.ndarray) -> np.ndarray:
    """A rough optimum on a systematic subsample of the distinct rows (a start for the full fit)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = optimize.minimize(fun_grad_sub, theta0, jac=True, method="BFGS",
                                options={"maxiter": 500, "gtol": 1e-6})
    theta = np.asarray(res.x, dtype=float)
    ok = np.all(np.isfinite(theta)) and np.all(np.abs(theta) < _THETA_BOUND)
    return theta if ok else theta0


def _table_index(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the index of each value in them (no sort for small whole numbers)."""
    if len(values) and values.min() >= 0 and np.all(values == np.floor(values)) \
            and values.max() < 4 * len(values) + 1024:
        return np.arange(int(values.max()) + 1, dtype=float), values.astype(np.intp)
    uniq, idx = np.unique(values, return_inverse=True)
    return uniq, idx.reshape(-1)


def _param_table(params: Mapping[str, float], se: Mapping[str, float]) -> pd.DataFrame:
    coef = pd.Series(params, dtype=float)
    err = pd.Series(se, dtype=float)
    out = pd.DataFrame({"coef": coef, "se": err,
                        "lower_95": coef - 1.959963984540054 * err,
                        "upper_95": coef + 1.959963984540054 * err})
    out.index.name = "parameter"
    return out


# ---------------------------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------------------------

def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS: threaded BLAS stalls on a busy machine for these sizes."""
    return float(np.einsum("i,i->", a, b))


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


class _BGData:
    """Compressed BG/NBD data: distinct (x, t_x, T) rows with weights, split by x > 0.

    Functions of ``T`` or ``t_x`` alone are evaluated on their distinct values and gathered;
    sums that involve only ``T`` are taken over distinct ``T`` with aggregated weights.
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
        self.xs, xinv = np.unique(self.x, return_inverse=True)
        self.xinv = xinv.reshape(-1)
        self.Wx = np.bincount(self.xinv, weights=self.w, minlength=len(self.xs))
        # distinct rows come sorted by x: per-x sums are then sums over runs
        self.x_sorted = bool(np.all(np.diff(self.xinv) >= 0))
        self.x_counts = np.bincount(self.xinv, minlength=len(self.xs))
        self.x_starts = np.concatenate([[0], np.cumsum(self.x_counts)[:-1]]).astype(np.intp)
        uTr, self.Tidx = _table_index(uT[rep])
        utr, self.tidx = _table_index(utx[rep])
        self.uT, self.ut = uTr * scale, utr * scale
        self.WT = np.bincount(self.Tidx, weights=self.w, minlength=len(uTr))
        self.WxT = np.bincount(self.Tidx, weights=self.wx, minlength=len(uTr))


def _bg_fun_grad(theta: np.ndarray, d: _BGData, pen: float) -> tuple[float, np.ndarray]:
    """Penalised mean negative log-likelihood and its gradient in log-parameter space.

    Per repeat customer, with A3 = -(r+x) ln(alpha+T) ("alive") and A4 = ln a - ln(b+x-1)
    - (r+x) ln(alpha+t_x) ("dropped after the last purchase"), the likelihood holds
    ln(e^A3 + e^A4) = A3 + softplus(A4 - A3); the share of the second term, expit(A4 - A3),
    weighs the two parts of the gradient.
    """
    params = np.exp(theta)
    r, alpha, a, b = params
    xs = d.xs
    # terms that depend on x only (over distinct x)
    a12 = (special.gammaln(r + xs) - special.gammaln(r) + special.gammaln(a + b)
           + special.gammaln(b + xs) - special.gammaln(b) - special.gammaln(a + b + xs))
    inv_bx = 1.0 / (b + xs - 1)
    # functions of T and of t_x over their distinct values
    lTt, iTt = np.log(alpha + d.uT), 1.0 / (alpha + d.uT)
    ltt, itt = np.log(alpha + d.ut), 1.0 / (alpha + d.ut)
    # repeat rows
    dlog = ltt[d.tidx] - lTt[d.Tidx]  # ln(alpha+t_x) - ln(alpha+T) <= 0
    rx = r + d.x
    c = np.log(a) - np.log(b + xs - 1)
    dl = (np.repeat(c, d.x_counts) if d.x_sorted else c[d.xinv]) - rx * dlog  # A4 - A3
    e = np.exp(-np.abs(dl))
    q = 1.0 / (1.0 + e)
    softplus = np.maximum(dl, 0.0) - np.log(q)  # ln(1 + e^dl), stable for any dl
    p4 = np.where(dl > 0, q, e * q)  # expit(A4 - A3)
    wp4 = d.w * p4
    wp4_x = (np.add.reduceat(wp4, d.x_starts) if d.x_sorted
             else np.bincount(d.xinv, weights=wp4, minlength=len(xs)))
    sum_wrlT = r * _dot(d.WT, lTt) + _dot(d.WxT, lTt)  # sum of w (r + x) ln(alpha + T)
    # zero-repeat rows
    lT0 = np.log(alpha + d.T0)
    la = np.log(alpha)
    ll = (_dot(d.Wx, a12) + d.W * r * la - sum_wrlT + _dot(d.w, softplus)
          - r * _dot(d.w0, lT0))
    dr = (_dot(d.Wx, special.digamma(r + xs) - special.digamma(r)) + d.W * la
          - _dot(d.WT, lTt) - _dot(wp4, dlog) - _dot(d.w0, lT0))
    diT = itt[d.tidx] - iTt[d.Tidx]
    dalpha = (d.W * r / alpha - r * _dot(d.WT, iTt) - _dot(d.WxT, iTt)
              - _dot(wp4 * rx, diT) - r * _dot(d.w0, 1.0 / (alpha + d.T0)))
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + xs)
    da = _dot(d.Wx, psi_ab - psi_abx) + float(wp4_x.sum()) / a
    db = (_dot(d.Wx, psi_ab + special.digamma(b + xs) - special.digamma(b) - psi_abx)
          - _dot(wp4_x, inv_bx))
    grad_ll = np.array([dr, dalpha, da, db]) * params
    f = -ll / d.W + pen * _dot(params, params)
    g = -grad_ll / d.W + 2 * pen * params * params
    return float(f), g


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


class BetaGeo:
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

        hint = ("Try a penalizer, e.g. BetaGeo(penalizer=0.001), and check that frequency, "
                "recency and T are counted in one period unit.")
        theta0 = np.full(4, 0.1)
        if d.n_rows > 4 * _WARM_ROWS:  # start the big fit from the optimum of every k-th row
            k = d.n_rows // _WARM_ROWS
            sub = _BGData(*(c[::k] for c in d.rows), scale, compressed=True)
            if sub.W1 > 0:
                theta0 = _warm_start(lambda t: _bg_fun_grad(t, sub, pen), theta0)
        theta, H, nit = _minimise(fun_grad, theta0, "BG/NBD", hint,
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

    def _cond_expected(self, t, x, tx, T):
        r, alpha, a, b = self._p()
        first = (a + b + x - 1) / (a - 1)
        return self._prob_alive(x, tx, T) * first * (1 - _euler_term(r, alpha, a, b, x, T, t))

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


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------------

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
        hint = ("Try a penalizer, e.g. GammaGamma(penalizer=0.001); the model needs repeat "
                "customers whose mean spend varies.")
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
        require_columns(summary, [frequency_col, monetary_value_col], table=_TABLE)
        x = _numbers(summary, frequency_col)
        m = _numbers(summary, monetary_value_col)
        fail_rows(_TABLE, frequency_col, summary[frequency_col], x < 0, ">= 0")
        m = np.where(x > 0, m, 0.0)
        return pd.Series(self._expected(x, m), index=summary.index, name="expected_spend")


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


# ---------------------------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------------------------

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
    bg, gg : BetaGeo, GammaGamma
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
        Periods per month for each unit (days: 30 as lifetimes; weeks: 4.345).

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
    if not isinstance(bg, BetaGeo):
        raise DataError(f"`bg` must be a BetaGeo model, got {type(bg).__name__}.")
    if not isinstance(gg, GammaGamma):
        raise DataError(f"`gg` must be a GammaGamma model, got {type(gg).__name__}.")
    r, alpha, a, b = bg._p()
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
    x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
    spend = gg.expected_spend(summary, frequency_col=frequency_col,
                              monetary_value_col=monetary_value_col).to_numpy()
    L = float(month_length[unit])
    # the hypergeometric term depends on (x, T) and the horizon only: evaluate on distinct pairs
    (ux, uT), inv = _unique_rows([x, T])
    steps = np.arange(months + 1) * L
    H = _euler_term(r, alpha, a, b, ux[:, None], uT[:, None], steps[None, :])
    inc = H[:, :-1] - H[:, 1:]  # expected purchases per month, up to the factor below
    disc = (1.0 + discount_rate) ** -np.arange(1, months + 1, dtype=float)
    factor = bg._prob_alive(x, tx, T) * (a + b + x - 1) / (a - 1)
    purchases = factor * (1 - H[inv, -1])
    value = factor * (inc * disc).sum(axis=1)[inv] * spend * margin
    out = pd.DataFrame({"prob_alive": bg._prob_alive(x, tx, T), "expected_purchases": purchases,
                        "expected_spend": spend, "clv": value}, index=summary.index)
    out.attrs.update(freq=unit, month_length=L, months=int(months),
                     discount_rate=float(discount_rate), margin=float(margin))
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
        tenure = np.maximum(days / PERIOD_DAYS["M"], 1.0)
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
    np.float64(4.345)
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
