"""A small CDNOW-like export written as canonical CSV files, for the real-data tests.

Like the CDNOW log: customers and transactions only, a first purchase in the first quarter of
1997, history up to 1998-06-30, no costs, no products, no order ids in the log (one order per
customer and day is made here, as the loader would do). Purchases follow a buy-till-you-die process
(Poisson purchases while alive, a chance of dropping out after each one), so the lifetime-value
models have something to fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("1997-01-01")
END = pd.Timestamp("1998-06-30")


def transactions(n_customers: int = 300, *, seed: int = 7) -> pd.DataFrame:
    """The purchase log: customer_id, date, quantity, amount (one row per customer and day)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:05d}" for i in range(1, n_customers + 1)])
    first = START + pd.to_timedelta(rng.integers(0, 84, n_customers), unit="D")
    rate = rng.gamma(0.9, 1 / 30, n_customers)           # purchases per day while alive
    drop = rng.beta(1.0, 4.0, n_customers)               # chance of leaving after a purchase
    gaps = rng.exponential(1.0, (n_customers, 30)) / rate[:, None]
    alive = np.cumprod(rng.random((n_customers, 30)) > drop[:, None], axis=1).astype(bool)
    days = np.concatenate([np.zeros((n_customers, 1)), np.cumsum(gaps, axis=1)[:, :-1]], axis=1)
    keep = np.concatenate([np.ones((n_customers, 1), bool), alive[:, :-1]], axis=1)
    cust = np.repeat(np.arange(n_customers), 30).reshape(n_customers, 30)[keep]
    when = first.values[cust] + pd.to_timedelta(days[keep].astype(int), unit="D").values
    tx = pd.DataFrame({"customer_id": ids[cust], "date": pd.DatetimeIndex(when).normalize()})
    tx = tx[tx["date"] <= END].drop_duplicates(["customer_id", "date"])
    spend = rng.gamma(4.0, 8.0, n_customers)
    tx["quantity"] = rng.integers(1, 5, len(tx)).astype(float)
    tx["amount"] = np.round(spend[tx["customer_id"].str.lstrip("0").astype(int) - 1]
                            * rng.gamma(6.0, 1 / 6.0, len(tx)), 2)
    return tx.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)


def write(folder: str | Path, n_customers: int = 300, *, seed: int = 7) -> Path:
    """Write customers.csv and transactions.csv (canonical names) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tx = transactions(n_customers, seed=seed)
    tx = tx.assign(order_id=tx["customer_id"] + "-" + tx["date"].dt.strftime("%Y%m%d"),
                   date=tx["date"].dt.strftime("%Y-%m-%d"))
    tx[["order_id", "customer_id", "date", "quantity", "amount"]].to_csv(folder / "transactions.csv",
                                                                        index=False)
    pd.DataFrame({"customer_id": sorted(tx["customer_id"].unique())}).to_csv(folder / "customers.csv",
                                                                            index=False)
    return folder
