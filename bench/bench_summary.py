"""Benchmark of ``crm_lib.summary.customer_summary`` against lifetimes on a 10-million-line log.

Usage::

    .venv/bin/python bench/bench_summary.py --customers 510000 \\
        --lifetimes-python /tmp/lt-venv/bin/python

The log is the transaction table of the sample-company generator (``crm_lib.sample.generate``;
about 20 lines per customer). Lifetimes counts every line as a purchase, so both libraries are
timed on the purchase lines (amount > 0, returns removed) with the columns customer_id, date and
amount. For each period unit the script times ``customer_summary`` and lifetimes'
``summary_data_from_transaction_data`` on the same log, in the same run, and checks that
frequency, recency, T and monetary_value agree to 1e-9 (relative or absolute). It also times
``customer_summary`` on the whole log with returns and every column (the extras gross profit and
orders).

lifetimes is not a dependency of the project: it runs in a throwaway environment
(``python3.11 -m venv /tmp/lt-venv && /tmp/lt-venv/bin/pip install lifetimes``, with pandas < 2 so
that it imports), reached through ``--lifetimes-python``; the log is handed over as a ``.npz``
file. Without that interpreter the lifetimes columns are skipped with a note.

Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
import lifetimes
warnings.simplefilter("ignore")
src, freq, as_of, dst = sys.argv[1:5]
z = np.load(src)
tx = pd.DataFrame({"customer_id": z["customer_id"].astype(object),
                   "date": z["date"].astype("datetime64[ns]"), "amount": z["amount"]})
t0, c0 = time.perf_counter(), time.process_time()
s = summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
                                       observation_period_end=as_of, freq=freq)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
np.savez(dst, customer_id=s.index.to_numpy().astype(str),
         **{c: s[c].to_numpy() for c in ["frequency", "recency", "T", "monetary_value"]})
print(json.dumps({"seconds": seconds, "cpu": cpu, "lifetimes": lifetimes.__version__,
                  "pandas": pd.__version__, "numpy": np.__version__}))
"""

COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def _compare(ours: pd.DataFrame, path: str) -> float:
    """Largest difference (relative where the value is above 1) between ours and lifetimes'."""
    z = np.load(path)
    theirs = pd.DataFrame({c: z[c] for c in COLUMNS}, index=pd.Index(z["customer_id"]))
    if len(theirs) != len(ours) or not theirs.index.sort_values().equals(
            pd.Index(ours.index.astype(str)).sort_values()):
        raise SystemExit(f"customer sets differ: ours {len(ours)}, lifetimes {len(theirs)}")
    theirs = theirs.loc[ours.index.astype(str)]
    a = ours[COLUMNS].to_numpy()
    b = theirs[COLUMNS].to_numpy()
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=510_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--freq", nargs="+", default=["D", "W", "M"])
    parser.add_argument("--lifetimes-python", default="/tmp/lt-venv/bin/python")
    args = parser.parse_args(argv)

    from crm_lib.sample import DEFAULT_END, generate
    from crm_lib.summary import customer_summary

    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    tx = generate(args.customers, seed=args.seed)["transactions"]
    print(f"generated {len(tx):,} lines in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    log = tx.loc[tx["amount"] > 0, ["customer_id", "date", "amount"]].reset_index(drop=True)
    as_of = DEFAULT_END

    have_lt = Path(args.lifetimes_python).exists()
    tmp = tempfile.mkdtemp(prefix="bench_summary_")
    src = os.path.join(tmp, "log.npz")
    if have_lt:
        np.savez(src, customer_id=log["customer_id"].to_numpy(dtype=str),
                 date=log["date"].to_numpy(dtype="datetime64[ns]"),
                 amount=log["amount"].to_numpy())

    rows = []
    versions = {}
    for freq in args.freq:
        t0, c0 = time.perf_counter(), time.process_time()
        ours = customer_summary(log, as_of=as_of, freq=freq)
        t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
        row = {"freq": freq, "lines": len(log), "customers": len(ours), "ours_s": t_ours,
               "ours_cpu": c_ours}
        if have_lt:
            dst = os.path.join(tmp, f"lt_{freq}.npz")
            res = subprocess.run([args.lifetimes_python, "-c", LIFETIMES_SCRIPT, src, freq,
                                  as_of, dst], capture_output=True, text=True)
            if res.returncode != 0:
                print(res.stderr, file=sys.stderr)
                have_lt = False
            else:
                info = json.loads(res.stdout.strip().splitlines()[-1])
                versions = {k: info[k] for k in ("lifetimes", "pandas", "numpy")}
                row["lifetimes_s"] = info["seconds"]
                row["lifetimes_cpu"] = info["cpu"]
                row["ratio"] = info["seconds"] / t_ours
                row["ratio_cpu"] = info["cpu"] / c_ours
                row["max_diff"] = _compare(ours, dst)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)

    t0, c0 = time.perf_counter(), time.process_time()
    full = customer_summary(tx, as_of=as_of, freq="D")
    t_full, c_full = time.perf_counter() - t0, time.process_time() - c0

    print(f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}; "
          f"load average (1 min) {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    if versions:
        print(f"lifetimes {versions['lifetimes']} with pandas {versions['pandas']}, "
              f"numpy {versions['numpy']}.")
    else:
        print("lifetimes not run (no interpreter at --lifetimes-python).")
    print("\n| freq | purchase lines | customers | crm_lib wall (CPU) s | lifetimes wall (CPU) s "
          "| speed-up wall (CPU) | max difference |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lt = f"{r['lifetimes_s']:.1f} ({r['lifetimes_cpu']:.1f})" if "lifetimes_s" in r else "—"
        ratio = f"{r['ratio']:.1f}× ({r['ratio_cpu']:.1f}×)" if "ratio" in r else "—"
        diff = f"{r['max_diff']:.1e}" if "max_diff" in r else "—"
        print(f"| {r['freq']} | {r['lines']:,} | {r['customers']:,} | {r['ours_s']:.2f} "
              f"({r['ours_cpu']:.2f}) | {lt} | {ratio} | {diff} |")
    print(f"\nWhole log with returns and all columns ({len(tx):,} lines, extras gross profit and "
          f"orders), freq D: {t_full:.2f} s wall ({c_full:.2f} s CPU), {len(full):,} customers.")
    bad = [r for r in rows if r.get("max_diff", 0.0) > 1e-9]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
