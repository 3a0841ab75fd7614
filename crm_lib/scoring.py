"""Lifetime-value models at scale: fit on the engine's histogram, score in the engine.

The BG/NBD and Gamma-Gamma models of :mod:`crm_lib.clv` fit on distinct (frequency, recency, T)
rows and (frequency, monetary_value) rows with weights; :func:`fit_models` has the engine count
those rows (:func:`crm_lib.summary.summary_histogram`) and fits on the driver. :func:`score_customers`
then computes each customer's P(alive), expected purchases, expected spend and CLV where the
log lives, with the fitted models' public formulas (:func:`crm_lib.clv.lifetime_value`) applied
batch by batch (DuckDB: Arrow record batches; Spark: ``mapInPandas``), and writes the scores to
Parquet without collecting them: one row per customer is the one thing that does not fit on the
driver when the customers are many.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crm_lib._errors import DataError
from crm_lib.clv import BetaGeo, GammaGamma, lifetime_value
from crm_lib.summary import customer_summary, summary_histogram

__all__ = ["SCORE_COLUMNS", "fit_models", "score_customers"]

#: Columns of the score file, after the customer id.
SCORE_COLUMNS: tuple[str, ...] = (
    "frequency", "recency", "T", "monetary_value",
    "prob_alive", "expected_purchases", "expected_spend", "clv",
)


def fit_models(transactions: object, *, as_of: object = None, freq: str = "D",
               penalizer: float = 0.0, customer_col: str = "customer_id",
               date_col: str = "date", value_col: str = "amount") -> tuple[BetaGeo, GammaGamma]:
    """Fit BG/NBD and Gamma-Gamma on the histograms of the customer summary.

    Parameters
    ----------
    transactions : DataFrame, DuckDB relation or Spark DataFrame
        The transaction log.
    as_of, freq, customer_col, date_col, value_col
        As for :func:`crm_lib.summary.customer_summary`.
    penalizer : float, default 0.0
        Passed to both models.

    Returns
    -------
    (BetaGeo, GammaGamma)
        Fitted; the same parameters as fitting on the full customer summary (the models
        compress identical rows into weights in any case).

    Examples
    --------
    >>> from crm_lib.sample import generate
    >>> tx = generate(300, seed=1)["transactions"]
    >>> bg, gg = fit_models(tx, as_of="2026-10-31")
    >>> sorted(bg.params_)
    ['a', 'alpha', 'b', 'r']
    """
    kwargs = dict(as_of=as_of, freq=freq, customer_col=customer_col, date_col=date_col,
                  value_col=value_col)
    bg_rows = summary_histogram(transactions, **kwargs)
    bg = BetaGeo(penalizer=penalizer).fit(bg_rows, weights="customers")
    gg_rows = summary_histogram(transactions, columns=("frequency", "monetary_value"), **kwargs)
    gg = GammaGamma(penalizer=penalizer).fit(gg_rows[gg_rows["frequency"] > 0],
                                             weights="customers")
    return bg, gg


def _scorer(bg: BetaGeo, gg: GammaGamma, *, freq: str, months: int, discount_rate: float,
            margin: float, customer_col: str):
    def score(batch: pd.DataFrame) -> pd.DataFrame:
        summary = batch.set_index(customer_col)
        for col in SCORE_COLUMNS[:4]:
            summary[col] = pd.to_numeric(summary[col]).astype(np.float64)
        summary.attrs["freq"] = freq
        if len(summary) == 0:
            values = pd.DataFrame(columns=list(SCORE_COLUMNS[4:]), dtype=np.float64)
        else:
            values = lifetime_value(bg, gg, summary, months=months,
                                    discount_rate=discount_rate, margin=margin)
        out = pd.concat([summary[list(SCORE_COLUMNS[:4])], values[list(SCORE_COLUMNS[4:])]],
                        axis=1).reset_index()
        out[customer_col] = out[customer_col].astype(str)
        return out
    return score


def score_customers(transactions: object, bg: BetaGeo, gg: GammaGamma, *, out: str | Path,
                    as_of: object = None, freq: str = "D", months: int = 12,
                    discount_rate: float = 0.01, margin: float = 1.0,
                    customer_col: str = "customer_id", date_col: str = "date",
                    value_col: str = "amount", batch_rows: int = 500_000) -> int:
    """Score every customer with fitted models and write the scores to Parquet.

    Parameters
    ----------
    transactions : DataFrame, DuckDB relation or Spark DataFrame
        The transaction log. With DuckDB the summary stays in DuckDB and is scored per Arrow
        batch of ``batch_rows`` customers into one Parquet file; with Spark it is scored with
        ``mapInPandas`` on the executors into a Parquet folder (Spark's layout).
    bg, gg : BetaGeo, GammaGamma
        Fitted models, e.g. from :func:`fit_models`, in the period unit ``freq``.
    out : path
        The Parquet file (pandas, DuckDB) or folder (Spark) to write; replaced if it exists.
    as_of, freq, customer_col, date_col, value_col
        As for :func:`crm_lib.summary.customer_summary`.
    months, discount_rate, margin
        As for :func:`crm_lib.clv.lifetime_value`.

    Returns
    -------
    int
        The number of customers scored. The file holds ``customer_col`` (string) and
        :data:`SCORE_COLUMNS`, one row per customer with a purchase up to ``as_of``.

    Examples
    --------
    >>> import tempfile, os
    >>> from crm_lib.sample import generate
    >>> tx = generate(300, seed=1)["transactions"]
    >>> bg, gg = fit_models(tx, as_of="2026-10-31")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     n = score_customers(tx, bg, gg, out=os.path.join(d, "scores.parquet"),
    ...                         as_of="2026-10-31")
    ...     scores = pd.read_parquet(os.path.join(d, "scores.parquet"))
    >>> n == len(scores) == tx.loc[tx["amount"] > 0, "customer_id"].nunique()
    True
    """
    if not isinstance(batch_rows, (int, np.integer)) or batch_rows < 1:
        raise DataError(f"`batch_rows` must be a whole number >= 1, got {batch_rows!r}.")
    fitted = getattr(bg, "freq_", None)
    if fitted is not None and fitted != freq:
        raise DataError(
            f"The BG/NBD model was fitted on {fitted!r} periods but `freq`={freq!r}; fit and "
            "score in one unit."
        )
    score = _scorer(bg, gg, freq=freq, months=months, discount_rate=discount_rate,
                    margin=margin, customer_col=customer_col)
    path = str(out)
    kwargs = dict(customer_col=customer_col, date_col=date_col, value_col=value_col,
                  as_of=as_of, freq=freq)
    if isinstance(transactions, pd.DataFrame):
        summary = customer_summary(transactions, cost_col=None, order_col=None, **kwargs)
        scores = score(summary[list(SCORE_COLUMNS[:4])].reset_index())
        scores.to_parquet(path, index=False)
        return len(scores)
    from crm_lib.summary import _engine_summary_query

    be, sql, _ = _engine_summary_query(transactions, calibration_end=None, cost_col=None,
                                       order_col=None, statistics_only=True, **kwargs)
    d = be.dialect
    cols = ", ".join(["CAST(s.c AS STRING) AS " + d.quote(customer_col)]
                     + [f"s.{c}" for c in SCORE_COLUMNS[:4]])
    table = be.query(f"SELECT {cols} FROM ({sql}) AS s WHERE s.periods IS NOT NULL")
    schema = {customer_col: "string", **{c: "double" for c in SCORE_COLUMNS}}
    return be.write_mapped(table, score, schema, path, batch_rows=int(batch_rows))
