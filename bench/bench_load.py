"""How long load_dataset takes to read, parse, validate and quality-check a company.

Usage::

    .venv/bin/python bench/bench_load.py [--customers 100000 1000000] [--seed 7]

For each size it generates a company (crm_lib.sample), writes it as CSV and as Parquet into
bench/out/, and times ``load_dataset`` on each; it prints a markdown table for
docs/benchmarks.md. Peak memory is the process's resident high-water mark after each load.
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import time
from pathlib import Path

from crm_lib import load_dataset
from crm_lib.sample import generate, write

OUT = Path(__file__).parent / "out" / "load"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--csv-max", type=int, default=200_000,
                    help="largest size also written and read as CSV (CSV writing is slow)")
    args = ap.parse_args()
    rows = []
    for n in args.customers:
        tables = generate(n, seed=args.seed)
        tx = len(tables["transactions"])
        for fmt in ("parquet", "csv"):
            if fmt == "csv" and n > args.csv_max:
                continue
            folder = OUT / f"{n}-{fmt}"
            shutil.rmtree(folder, ignore_errors=True)
            write(tables, folder, format=fmt)
            gc.collect()
            t0 = time.perf_counter()
            ds = load_dataset(folder, today="2026-11-25")
            secs = time.perf_counter() - t0
            rows.append((n, tx, fmt, secs, peak_mb(), len(ds.quality)))
            del ds
            shutil.rmtree(folder, ignore_errors=True)
        del tables
        gc.collect()
    print("| customers | transactions | format | load_dataset (s) | peak RSS (MB) | findings |")
    print("|---:|---:|---|---:|---:|---:|")
    for n, tx, fmt, secs, mb, nq in rows:
        print(f"| {n:,} | {tx:,} | {fmt} | {secs:.1f} | {mb:,.0f} | {nq} |")


if __name__ == "__main__":
    main()
