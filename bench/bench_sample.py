"""Benchmark of the sample-company generator: generation time, write time and peak memory.

Usage::

    .venv/bin/python bench/bench_sample.py --customers 1000000 --seed 42 --out bench/out/sample_1m

Prints a markdown table for docs/benchmarks.md: wall-clock and CPU seconds (the machine is
shared, so the CPU time is the steadier figure), peak resident memory and the size of the files. Each size runs in a fresh process so that the peak
resident memory (``ru_maxrss``) belongs to that size alone.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def _one(customers: int, seed: int, out: str, fmt: str) -> dict:
    from crm_lib.sample import generate, write

    t0, c0 = time.perf_counter(), time.process_time()
    company = generate(customers, seed=seed)
    t1, c1 = time.perf_counter(), time.process_time()
    write(company, out, fmt)
    t2, c2 = time.perf_counter(), time.process_time()
    rows = company.truth["rows"]
    size = sum(p.stat().st_size for p in Path(out).iterdir())
    return {
        "customers": customers,
        "transactions": rows["transactions"],
        "orders": company.truth["orders_total"],
        "rows_all_tables": sum(rows.values()),
        "generate_s": t1 - t0,
        "write_s": t2 - t1,
        "generate_cpu_s": c1 - c0,
        "write_cpu_s": c2 - c1,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "files_mb": size / 1024**2,
        "format": fmt,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="bench/out/sample")
    parser.add_argument("--format", default="parquet", choices=("csv", "parquet"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_one(args.customers[0], args.seed, args.out, args.format)))
        return 0
    results = []
    for n in args.customers:
        out = f"{args.out}_{n}"
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--customers", str(n), "--seed", str(args.seed),
             "--out", out, "--format", args.format],
            check=True, capture_output=True, text=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"Python {platform.python_version()}, {platform.machine()}, format {args.format}\n")
    print("| customers | transactions | orders | rows (all tables) | generate wall (CPU) s "
          "| write wall (CPU) s | peak RSS (GB) | files (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['customers']:,} | {r['transactions']:,} | {r['orders']:,} "
              f"| {r['rows_all_tables']:,} | {r['generate_s']:.1f} ({r['generate_cpu_s']:.1f}) "
              f"| {r['write_s']:.1f} ({r['write_cpu_s']:.1f}) "
              f"| {r['peak_rss_gb']:.2f} | {r['files_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
