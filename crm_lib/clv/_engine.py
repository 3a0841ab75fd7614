"""The maximum-likelihood engine shared by the lifetime models, and the input checks.

Models minimise a penalised mean negative log-likelihood in log-parameter space: BFGS with the
analytic gradient, then Newton steps on a numerical Hessian of that gradient; the standard errors
come from the same Hessian. Inputs are validated here once (``_rft``, ``_weights``) and identical
customer rows are compressed into weights (``_unique_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import optimize

from crm_lib._errors import DataError, fail_rows, require_columns
from crm_lib._frames import numeric
from crm_lib.summary import MONTH_DAYS

# MONTH_DAYS (crm_lib.summary): a twelfth of the Julian year, in every period unit, so that one
# company's CLV is the same whether its summary counts days or weeks (lifetimes'
# ``customer_lifetime_value`` takes 30 days but 4.345 weeks = 30.4 days, 1.4% apart).

#: Length of one period in days (for dates): a day, a week, a month of :data:`MONTH_DAYS`.
PERIOD_DAYS = MappingProxyType({"D": 1.0, "W": 7.0, "M": MONTH_DAYS})

#: Length of one month in the summary's period unit, used by :func:`lifetime_value` to turn its
#: horizon in months into periods: :data:`MONTH_DAYS` days (30.4375), ``MONTH_DAYS / 7`` weeks
#: (4.348), one month. Pass ``month_length={"D": 30.0, "W": 4.345}`` for lifetimes' convention.
MONTH_LENGTH = MappingProxyType({u: MONTH_DAYS / d for u, d in PERIOD_DAYS.items()})

_TABLE = "summary"
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
    """Distinct rows of the columns and the inverse index (rows -> distinct row).

    One sort of a 64-bit key per row finds the groups: the row itself, packed into an integer,
    when all columns are small whole numbers; else a hash of the bits of its values (-0.0 counts
    as 0.0), checked against the rows (on a collision, a sort of the rows themselves). A whole
    first column leads the key, so the distinct rows come sorted by it (the frequency, whose
    per-value sums are then sums over runs). ``np.unique(axis=0)`` sorts a structured view of
    the rows, about thirty times slower.
    """
    n = len(cols[0])
    spans = [_whole_span(c) for c in cols]
    if all(s is not None for s in spans) and float(np.prod([float(s) for s in spans])) < 2.0 ** 62:
        key = np.zeros(n, dtype=np.int64)
        for c, s in zip(cols, spans, strict=True):
            key *= s
            key += c.astype(np.int64)
        first, inv = _key_groups(key)
        return [c[first] + 0.0 for c in cols], inv
    if len(cols) <= len(_HASH_KEYS):
        h = np.zeros(n, dtype=np.uint64)
        for c, k in zip(cols, _HASH_KEYS, strict=False):
            bits = (np.asarray(c, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 is 0.0
            h ^= (bits ^ (bits >> np.uint64(29))) * k
        lead = 0 if spans[0] is None or spans[0] > 2 ** 20 else (spans[0] - 1).bit_length()
        if lead:  # the first column in the top bits, the hash in the others
            h >>= np.uint64(lead)
            h |= cols[0].astype(np.uint64) << np.uint64(64 - lead)
        first, inv = _key_groups(h)
        out = [c[first] + 0.0 for c in cols]
        if all(np.array_equal(u[inv], c) for u, c in zip(out, cols, strict=True)):
            return out, inv
    return _sorted_unique_rows(cols)


def _whole_span(c: np.ndarray) -> int | None:
    """``max + 1`` of a column of whole numbers >= 0 (1 when empty), else None."""
    if len(c) == 0:
        return 1
    if c.min() >= 0 and c.max() < 2.0 ** 62 and np.all(c == np.floor(c)):
        return int(c.max()) + 1
    return None


def _key_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row of each distinct key (in key order) and the index of each row's key among them."""
    order = np.argsort(key)  # unstable: which row of a group comes first does not matter
    srt = key[order]
    new = np.empty(len(key), dtype=bool)
    new[:1] = True
    np.not_equal(srt[1:], srt[:-1], out=new[1:])
    inv = np.empty(len(key), dtype=np.intp)
    inv[order] = np.cumsum(new) - 1
    return order[new], inv


_HASH_KEYS = tuple(np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                                           0x165667B19E3779F9, 0xD6E8FEB86659FD93))


def _sorted_unique_rows(cols: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows by one lexicographic sort; they come sorted by the first column."""
    n = len(cols[0])
    order = np.lexsort(tuple(reversed(cols)))
    srt = [c[order] for c in cols]
    new = _run_starts(srt)
    group = np.cumsum(new) - 1
    inv = np.empty(n, dtype=np.intp)
    inv[order] = group
    first = np.flatnonzero(new)
    return [c[first] for c in srt], inv


def _run_starts(cols: Sequence[np.ndarray]) -> np.ndarray:
    """True where a row differs from the previous one in any of the columns (sorted rows)."""
    new = np.ones(len(cols[0]), dtype=bool)
    if len(cols[0]) > 1:
        same = np.ones(len(cols[0]) - 1, dtype=bool)
        for c in cols:  # loop over the few columns, not over rows
            same &= c[1:] == c[:-1]
        new[1:] = ~same
    return new


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


def _penalizer_hint(cls: str, penalizer: float, rest: str = "") -> str:
    """Advice for a fit that failed: a first penalizer, a larger one, or none (true each time).

    Examples
    --------
    >>> _penalizer_hint("BetaGeo", 0.0)
    'Try a penalizer, e.g. BetaGeo(penalizer=0.001).'
    >>> _penalizer_hint("BetaGeo", 0.001)
    'BetaGeo(penalizer=0.001) did not help: try a larger one, e.g. BetaGeo(penalizer=0.01).'
    """
    if penalizer == 0:
        advice = f"Try a penalizer, e.g. {cls}(penalizer=0.001)."
    elif penalizer < 0.1:
        advice = (f"{cls}(penalizer={penalizer:g}) did not help: try a larger one, e.g. "
                  f"{cls}(penalizer={min(10 * penalizer, 0.1):g}).")
    else:
        advice = (f"Even {cls}(penalizer={penalizer:g}) did not help, so a penalizer will not: "
                  "the data are too few or too uniform for this model.")
    return f"{advice} {rest}".strip()


def _minimise(fun_grad, theta0: np.ndarray, model: str, hint: str, *, forward: bool = False,
              runaway_hint=None,
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
    if runaway_hint is not None:  # a fit that drifts towards a degenerate model says which
        hint = runaway_hint(theta) or hint
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
    # the Hessian at the final point, for the SEs; the forward one (big data, error about 1e-6)
    # is kept for a move of the log-parameters below 1e-4 (its effect on the SEs is about 1e-4)
    if np.max(np.abs(theta - at)) > (1e-4 if forward else 1e-6):
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


def _table_index(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct values and the index of each value in them, or the values and None.

    Small whole numbers index a table without a sort; other values repeat little (fractional
    periods), and a table would cost a sort and a gather per evaluation for nothing, so the
    values themselves are returned with index None.
    """
    if len(values) and values.min() >= 0 and np.all(values == np.floor(values)) \
            and values.max() < 4 * len(values) + 1024:
        return np.arange(int(values.max()) + 1, dtype=float), values.astype(np.intp)
    return values, None


def _param_table(params: Mapping[str, float], se: Mapping[str, float]) -> pd.DataFrame:
    coef = pd.Series(params, dtype=float)
    err = pd.Series(se, dtype=float)
    out = pd.DataFrame({"coef": coef, "se": err,
                        "lower_95": coef - 1.959963984540054 * err,
                        "upper_95": coef + 1.959963984540054 * err})
    out.index.name = "parameter"
    return out




def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of products without BLAS: threaded BLAS stalls on a busy machine for these sizes."""
    return float(np.einsum("i,i->", a, b))



def _numeric_grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient (error about 1e-10 for the smooth objectives here)."""
    g = np.empty(len(theta))
    for i in range(len(theta)):  # loop over the few parameters, not over data
        e = np.zeros(len(theta))
        e[i] = h
        g[i] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return g


def _positive(name: str, v: object) -> float:
    if not (isinstance(v, (int, float, np.floating, np.integer)) and np.isfinite(v) and v > 0):
        raise DataError(f"`{name}` must be a positive number, got {v!r}.")
    return float(v)


class _Model:
    """Shared state of a fitted lifetime model: parameters, their covariance, the summary table.

    A subclass sets ``_names`` (parameter names in order) and ``_label`` (for messages).
    """

    _names: tuple[str, ...] = ()
    _label = ""

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @classmethod
    def _from(cls, values: Mapping[str, object], freq: str | None = None):
        model = cls()
        model.params_ = {k: _positive(k, values[k]) for k in cls._names}
        k = list(cls._names)
        model.standard_errors_ = dict.fromkeys(k, float("nan"))
        model.covariance_ = pd.DataFrame(np.nan, index=k, columns=k)
        model.log_likelihood_ = float("nan")
        model.n_customers_ = 0.0
        model.n_rows_ = 0
        model.freq_ = freq
        return model

    def _p(self) -> tuple[float, ...]:
        if not hasattr(self, "params_"):
            cls = type(self).__name__
            raise NotFittedError(f"This {cls} model is not fitted yet: call .fit(...) first (or "
                                 f"build one with {cls}.from_params(...)).")
        return tuple(self.params_[k] for k in self._names)

    def _store(self, params: np.ndarray, H: np.ndarray, n_obs: float, *, log_likelihood: float,
               n_rows: int, nit: int, freq: str | None) -> None:
        """Parameters and their covariance (delta method from log space: d param / d log = param)."""
        names = list(self._names)
        cov = np.linalg.inv(H) / n_obs * np.outer(params, params)
        self.params_ = dict(zip(names, map(float, params), strict=True))
        self.covariance_ = pd.DataFrame(cov, index=names, columns=names)
        self.standard_errors_ = dict(zip(names, map(float, np.sqrt(np.diag(cov))), strict=True))
        self.log_likelihood_ = float(log_likelihood)
        self.n_customers_ = float(n_obs)
        self.n_rows_ = int(n_rows)
        self.n_iterations_ = int(nit)
        self.freq_ = freq

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: ``coef``, ``se``, ``lower_95``, ``upper_95`` (index ``parameter``)."""
        self._p()
        return _param_table(self.params_, self.standard_errors_)

    def __repr__(self) -> str:
        cls = type(self).__name__
        if not hasattr(self, "params_"):
            return f"{cls}(penalizer={self.penalizer!r})"
        return f"<{cls} fitted: " + ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items()) + ">"
