"""Model choice: fit statistics and holdout forecast errors of purchase models side by side."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_lib._errors import DataError, require_columns
from crm_lib.clv._engine import _TABLE, _numbers, _rft


def holdout_errors(model, summary: pd.DataFrame, *, frequency_col: str = "frequency_cal",
                   recency_col: str = "recency_cal", T_col: str = "T_cal",
                   holdout_col: str = "frequency_holdout",
                   duration_col: str = "duration_holdout") -> pd.DataFrame:
    """Per-customer holdout purchases: actual, predicted, and their difference.

    Parameters
    ----------
    model : BetaGeo, ModifiedBetaGeo or ParetoNBD
        Fitted on the calibration columns of ``summary`` (a summary made with
        ``calibration_end``).

    Returns
    -------
    DataFrame
        Same index as ``summary``: ``actual`` (holdout purchase periods), ``predicted`` (expected
        purchases over ``duration_holdout``), ``error`` (predicted - actual).

    Examples
    --------
    >>> from crm_lib.clv import BetaGeo
    >>> s = pd.DataFrame({"frequency_cal": [0.0, 2.0], "recency_cal": [0.0, 8.0],
    ...                   "T_cal": [10.0, 10.0], "frequency_holdout": [0.0, 1.0],
    ...                   "duration_holdout": [5.0, 5.0]})
    >>> m = BetaGeo.from_params(r=0.5, alpha=5.0, a=0.8, b=2.5)
    >>> list(holdout_errors(m, s).columns)
    ['actual', 'predicted', 'error']
    """
    x, tx, T = _rft(summary, frequency_col, recency_col, T_col)
    require_columns(summary, [holdout_col, duration_col], table=_TABLE,
                    hint="Summarise with calibration_end to get the holdout columns.")
    y = _numbers(summary, holdout_col)
    dur = _numbers(summary, duration_col)
    pred = model._cond_expected(dur, x, tx, T)
    return pd.DataFrame({"actual": y, "predicted": pred, "error": pred - y}, index=summary.index)


def compare_models(models: Mapping[str, object], summary: pd.DataFrame, **cols) -> pd.DataFrame:
    """Fit statistics and holdout errors of purchase models fitted on one calibration period.

    Parameters
    ----------
    models : mapping of name -> fitted model
        BetaGeo, ModifiedBetaGeo, ParetoNBD, each fitted on the calibration columns of
        ``summary`` (the same customers).
    summary : DataFrame
        A summary with ``calibration_end``: the calibration and holdout columns.
    **cols
        Column names, as :func:`holdout_errors` takes them.

    Returns
    -------
    DataFrame
        One row per model, in the given order: ``model``, ``parameters`` (k),
        ``log_likelihood``, ``aic`` (2k - 2 LL), ``bic`` (k ln n - 2 LL), ``mae``, ``rmse`` and
        ``bias`` (mean predicted - actual) of the per-customer holdout purchases,
        ``actual_total``, ``predicted_total``, ``total_error`` (relative error of the aggregate
        holdout forecast), ``best`` (true for the smallest ``mae``: the choice by holdout error).

    Examples
    --------
    >>> from crm_lib.clv import BetaGeo
    >>> s = pd.DataFrame({"frequency_cal": [0.0, 2.0], "recency_cal": [0.0, 8.0],
    ...                   "T_cal": [10.0, 10.0], "frequency_holdout": [0.0, 1.0],
    ...                   "duration_holdout": [5.0, 5.0]})
    >>> m = BetaGeo.from_params(r=0.5, alpha=5.0, a=0.8, b=2.5)
    >>> compare_models({"bg": m}, s)["best"].tolist()
    [True]
    """
    if not models:
        raise DataError("`models` must name at least one fitted model, got none.")
    rows = []
    for name, model in models.items():  # loop over the few models, not over customers
        if not hasattr(model, "_cond_expected"):
            raise DataError(f"`models[{name!r}]` must be a fitted BetaGeo, ModifiedBetaGeo or "
                            f"ParetoNBD, got {type(model).__name__}.")
        e = holdout_errors(model, summary, **cols)
        k = len(model._p())
        ll = float(getattr(model, "log_likelihood_", np.nan))
        n = float(getattr(model, "n_customers_", 0.0)) or float(len(summary))
        actual, pred = float(e["actual"].sum()), float(e["predicted"].sum())
        rows.append({"model": name, "parameters": float(k), "log_likelihood": ll,
                     "aic": 2 * k - 2 * ll, "bic": k * np.log(n) - 2 * ll,
                     "mae": float(e["error"].abs().mean()),
                     "rmse": float(np.sqrt((e["error"] ** 2).mean())),
                     "bias": float(e["error"].mean()), "actual_total": actual,
                     "predicted_total": pred,
                     "total_error": (pred - actual) / actual if actual else np.nan})
    out = pd.DataFrame(rows)
    out["best"] = out["mae"] == out["mae"].min()
    return out
