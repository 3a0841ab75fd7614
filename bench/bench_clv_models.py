"""Fit speed of the MBG/NBD, Pareto/NBD and BG/BB next to lifetimes, in one run.

    .venv/bin/python bench/bench_clv_models.py                      # 1M customers (Pareto 20k)
    .venv/bin/python bench/bench_clv_models.py --customers 200000

lifetimes runs in its own environment as bench/bench_clv.py describes (``--lifetimes``, default
``/tmp/lt-venv/bin/python``). The MBG/NBD data are bench_clv's BG/NBD draws in whole days; the
BG/BB data are donation-like (six opportunities, Fader, Hardie and Shang's estimates); the
Pareto/NBD is timed on ``--pareto-customers`` of the same draws (its fit in both tools is slow).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def _worker(kind: str, csv: str, out: str) -> None:
    import warnings

    import pandas as pd
    from lifetimes import BetaGeoBetaBinomFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

    warnings.simplefilter("ignore")
    df = pd.read_csv(csv)
    t0 = time.perf_counter()
    if kind == "mbg":
        m = ModifiedBetaGeoFitter().fit(df["frequency"], df["recency"], df["T"], tol=1e-6)
    elif kind == "pnbd":
        m = ParetoNBDFitter().fit(df["frequency"], df["recency"], df["T"], tol=1e-6, maxiter=5000)
    else:
        m = BetaGeoBetaBinomFitter().fit(df["frequency"], df["recency"], df["n_periods"], tol=1e-6)
    res = {"s": time.perf_counter() - t0, "params": {k: float(v) for k, v in m.params_.items()}}
    Path(out).write_text(json.dumps(res))


def simulate_bgbb(n: int, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    p = rng.beta(BGBB["alpha"], BGBB["beta"], n)
    th = rng.beta(BGBB["gamma"], BGBB["delta"], n)
    alive = np.cumprod(rng.random((n, 6)) >= th[:, None], axis=1).astype(bool)
    buy = alive & (rng.random((n, 6)) < p[:, None])
    x = buy.sum(1)
    tx = np.where(x > 0, 6 - np.argmax(buy[:, ::-1], axis=1), 0)
    return pd.DataFrame({"frequency": x, "recency": tx, "n_periods": 6})


def _lifetimes(python: str, kind: str, csv: Path, work: Path) -> dict | None:
    if not python or not Path(python).exists():
        return None
    out = work / f"{kind}.json"
    subprocess.run([python, __file__, "--worker", kind, str(csv), str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--pareto-customers", type=int, default=20_000)
    ap.add_argument("--lifetimes", default="/tmp/lt-venv/bin/python")
    ap.add_argument("--work", default="/tmp/bench_clv_models")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(*args.worker)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pandas as pd
    from bench_clv import simulate

    from crm_lib.clv import BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNBD

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    lines = ["| model | customers (distinct rows) | crm_lib s | lifetimes s | speed-up | "
             "largest rel. parameter difference |", "|---|---|---|---|---|---|"]
    cases = [("MBG/NBD", "mbg", ModifiedBetaGeo, args.customers),
             ("Pareto/NBD", "pnbd", ParetoNBD, args.pareto_customers),
             ("BG/BB", "bgbb", BetaGeoBetaBinom, args.customers)]
    for label, kind, cls, n in cases:
        df = simulate_bgbb(n, 3) if kind == "bgbb" else simulate(n, 1)[["frequency", "recency", "T"]]
        csv = work / f"{kind}.csv"
        df.to_csv(csv, index=False)
        df = pd.read_csv(csv)
        t0 = time.perf_counter()
        m = cls().fit(df)
        ours = time.perf_counter() - t0
        lt = _lifetimes(args.lifetimes, kind, csv, work)
        if lt is None:
            lines.append(f"| {label} | {n:,} ({m.n_rows_:,}) | {ours:.2f} | – | – | – |")
            continue
        diff = max(abs(m.params_[k] / v - 1) for k, v in lt["params"].items())
        lines.append(f"| {label} | {n:,} ({m.n_rows_:,}) | {ours:.2f} | {lt['s']:.1f} | "
                     f"{lt['s'] / ours:.0f}× | {diff:.1e} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
