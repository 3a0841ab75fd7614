"""The customer summary on each engine, measured side by side in one run.

Usage::

    .venv/bin/python bench/bench_engines.py --lines 10000000 50000000 100000000 \\
        --pandas-max 50000000 --spark-max 10000000

For each size the script writes a synthetic transaction log as Parquet files of 5 million
lines each into ``bench/out/engines/<lines>/`` (about 20 lines per customer over 1,000 days, 5 %
returns, a cost on every line, one order per customer and day), then times, each in a fresh
process so that the peak resident memory is that of the step alone:

- ``duckdb``: ``customer_summary(con.read_parquet(glob))`` (validation query, summary query,
  result to pandas);
- ``duckdb-sql``: one hand-written DuckDB query for the same result straight from the files
  (the floor: what DuckDB itself needs), fetched to pandas;
- ``narwhals``: frequency, recency, T and monetary value written with narwhals' lazy API on the
  same DuckDB relation (the candidate for one implementation over all engines);
- ``pandas``: ``pd.read_parquet`` then ``customer_summary`` (load and summary timed apart), up
  to ``--pandas-max`` lines;
- ``spark``: ``customer_summary(spark.read.parquet(dir))`` in ``local[2]``, up to
  ``--spark-max`` lines (session start-up not timed);
- ``duckdb-scores`` (only when listed in ``--engines``): on the sample generator's transactions
  for ``lines / 20`` customers (a buy-till-you-die log the models can fit; the synthetic log above
  has no drop-out), ``scoring.fit_models`` on the engine's histograms, then ``scoring.score_customers`` into a Parquet file (fit and scoring timed apart).

Every engine's frequency, recency, T and monetary value are compared with those of the
``duckdb`` engine (largest difference printed). Prints a markdown table for docs/benchmarks.md
with the growth exponent of each step between the smallest and the largest size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "out" / "engines"
CHUNK = 5_000_000
START = np.datetime64("2024-01-01")
DAYS = 1000
AS_OF = "2026-09-26"
COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def make_log(lines: int, seed: int = 7) -> Path:
    """Write the synthetic log of ``lines`` lines (once; reused when present)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = OUT / str(lines)
    done = folder / "_done"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    customers = max(lines // 20, 1)
    rng = np.random.default_rng(seed)
    for part, first in enumerate(range(0, lines, CHUNK)):
        n = min(CHUNK, lines - first)
        cust = rng.integers(0, customers, n)
        day = rng.integers(0, DAYS, n)
        amount = np.round(rng.gamma(2.0, 30.0, n), 2)
        amount[rng.random(n) < 0.05] *= -1
        table = pa.table({
            "order_id": pa.array(np.char.add("O", (cust * DAYS + day).astype(str))),
            "customer_id": pa.array(np.char.add("C", cust.astype(str))),
            "date": pa.array((START + day).astype("datetime64[ms]")),
            "product_id": pa.array(np.char.add("P", rng.integers(0, 500, n).astype(str))),
            "quantity": pa.array(np.sign(amount)),
            "amount": pa.array(amount),
            "cost": pa.array(np.round(amount * 0.6, 2)),
        })
        pq.write_table(table, folder / f"part-{part:03d}.parquet")
    done.touch()
    return folder


def make_company(lines: int, seed: int = 7) -> Path:
    """The sample generator's transactions for about ``lines`` lines (a buy-till-you-die log)."""
    from crm_lib.sample import generate

    folder = OUT / f"company-{lines}"
    if (folder / "_done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tx = generate(max(lines // 20, 1), seed=seed)["transactions"]
    tx.to_parquet(folder / "transactions.parquet", index=False)
    (folder / "_done").touch()
    return folder


HAND_SQL = """
WITH l AS (
  SELECT customer_id AS c, CAST(date AS DATE) AS dt, amount AS v, coalesce(cost, 0) AS k,
         order_id AS o
  FROM read_parquet('{glob}')
  WHERE customer_id IS NOT NULL AND date IS NOT NULL AND amount IS NOT NULL
    AND CAST(date AS DATE) <= DATE '{as_of}'),
cells AS (SELECT c, dt, sum(v) AS val, max(v) AS top FROM l GROUP BY c, dt),
b AS (SELECT c, count(*) AS n, min(dt) AS d0, max(dt) AS d1,
             sum(val) - arg_min(val, dt) AS rep FROM cells WHERE top > 0 GROUP BY c),
x AS (SELECT c, sum(v) AS sales, sum(k) AS cost,
             count(DISTINCT o) FILTER (WHERE v > 0) AS orders,
             min(dt) FILTER (WHERE v > 0) AS first_purchase,
             max(dt) FILTER (WHERE v > 0) AS last_purchase FROM l GROUP BY c)
SELECT b.c AS customer_id, CAST(n - 1 AS DOUBLE) AS frequency,
       CAST(date_diff('day', d0, d1) AS DOUBLE) AS recency,
       CAST(date_diff('day', d0, DATE '{as_of}') AS DOUBLE) AS T,
       CASE WHEN n > 1 THEN rep / (n - 1) ELSE 0.0 END AS monetary_value,
       sales, sales - cost AS gross_profit, orders, first_purchase, last_purchase
FROM b JOIN x ON b.c = x.c ORDER BY b.c
"""


def _narwhals(rel):
    import narwhals as nw

    lf = nw.from_native(rel)
    day = (nw.col("date").cast(nw.Date)).alias("dt")
    lines = lf.select(nw.col("customer_id"), day, nw.col("amount")).filter(
        ~nw.col("amount").is_null(), nw.col("dt") <= pd.Timestamp(AS_OF).date())
    cells = lines.group_by("customer_id", "dt").agg(
        nw.col("amount").sum().alias("val"), nw.col("amount").max().alias("top"))
    buys = cells.filter(nw.col("top") > 0)
    first = buys.group_by("customer_id").agg(nw.col("dt").min().alias("d0"))
    per = buys.join(first, on="customer_id").with_columns(
        nw.when(nw.col("dt") > nw.col("d0")).then(nw.col("val")).otherwise(0.0).alias("rep"))
    out = per.group_by("customer_id").agg(
        nw.len().alias("n"), nw.col("d0").min(), nw.col("dt").max().alias("d1"),
        nw.col("rep").sum())
    return out.collect("pandas").to_native()


def run_one(engine: str, folder: Path) -> dict:
    """One measurement in this process; returns seconds, peak MB and the summary columns."""
    from crm_lib.summary import customer_summary

    glob = str(folder / "*.parquet")
    info: dict = {}
    if engine in ("duckdb", "duckdb-sql", "narwhals"):
        import duckdb

        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute("SET memory_limit = '12GB'")
        t0 = time.perf_counter()
        if engine == "duckdb":
            s = customer_summary(con.read_parquet(glob), as_of=AS_OF)
        elif engine == "duckdb-sql":
            s = con.sql(HAND_SQL.format(glob=glob, as_of=AS_OF)).df().set_index("customer_id")
        else:
            raw = _narwhals(con.read_parquet(glob)).set_index("customer_id").sort_index()
            n = raw["n"].to_numpy()
            s = pd.DataFrame({
                "frequency": n - 1.0,
                "recency": (raw["d1"] - raw["d0"]).dt.days.to_numpy(float),
                "T": (pd.Timestamp(AS_OF) - pd.to_datetime(raw["d0"])).dt.days.to_numpy(float),
                "monetary_value": np.divide(raw["rep"], n - 1, out=np.zeros(len(n)),
                                            where=n > 1),
            }, index=raw.index)
        info["seconds"] = time.perf_counter() - t0
    elif engine == "duckdb-scores":
        import duckdb

        from crm_lib.scoring import fit_models, score_customers

        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute("SET memory_limit = '12GB'")
        rel = con.read_parquet(glob)
        t0 = time.perf_counter()
        bg, gg = fit_models(rel, as_of="2026-10-31")
        info["fit_seconds"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        out = folder.parent / f"scores-{folder.name}.parquet"
        info["scored"] = score_customers(rel, bg, gg, out=out, as_of="2026-10-31")
        info["score_seconds"] = time.perf_counter() - t1
        info["seconds"] = time.perf_counter() - t0
        s = pd.read_parquet(out, columns=["customer_id", *COLUMNS]).set_index("customer_id")
    elif engine == "pandas":
        t0 = time.perf_counter()
        tx = pd.read_parquet(folder)
        info["load_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        s = customer_summary(tx, as_of=AS_OF)
        info["seconds"] = time.perf_counter() - t0
    elif engine == "spark":
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.shuffle.partitions", "8")
                 .config("spark.driver.memory", "6g")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        t0 = time.perf_counter()
        s = customer_summary(spark.read.parquet(str(folder)), as_of=AS_OF)
        info["seconds"] = time.perf_counter() - t0
        spark.stop()
    else:
        raise SystemExit(f"unknown engine {engine}")
    info["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info["customers"] = len(s)
    dst = folder.parent / f"result-{folder.name}-{engine}.parquet"
    result = s[COLUMNS].rename_axis("customer_id").reset_index().astype({"customer_id": str})
    result.attrs = {}
    result.to_parquet(dst)
    info["result"] = str(dst)
    return info


def _diff(a_path: str, b_path: str) -> float:
    a = pd.read_parquet(a_path).set_index("customer_id").sort_index()
    b = pd.read_parquet(b_path).set_index("customer_id").sort_index()
    if not a.index.equals(b.index):
        return float("inf")
    x, y = a[COLUMNS].to_numpy(), b[COLUMNS].to_numpy()
    return float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--pandas-max", type=int, default=50_000_000)
    parser.add_argument("--spark-max", type=int, default=10_000_000)
    parser.add_argument("--engines", nargs="+",
                        default=["duckdb", "duckdb-sql", "narwhals", "pandas", "spark"],
                        help="also: duckdb-scores")
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return 0
    rows = []
    for lines in args.lines:
        t0 = time.perf_counter()
        folder = make_log(lines)
        print(f"log of {lines:,} lines ready in {time.perf_counter() - t0:.0f} s", flush=True)
        for engine in args.engines:
            if (engine == "pandas" and lines > args.pandas_max) or (
                    engine == "spark" and lines > args.spark_max):
                continue
            where = make_company(lines) if engine == "duckdb-scores" else folder
            proc = subprocess.run([sys.executable, __file__, "--one", engine, str(where)],
                                  capture_output=True, text=True)
            if proc.returncode:
                print(f"{engine} on {lines:,} lines failed:\n{proc.stderr[-2000:]}", flush=True)
                continue
            info = json.loads(proc.stdout.strip().splitlines()[-1])
            ref = folder.parent / f"result-{where.name}-duckdb.parquet"
            info["diff"] = _diff(info["result"], str(ref)) if ref.exists() else float("nan")
            info.update(engine=engine, lines=lines)
            rows.append(info)
            print(json.dumps(info), flush=True)
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}\n")
    print("| engine | lines | customers | summary s | load s | peak MB | max diff vs duckdb |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        load = f"{r['load_seconds']:.1f}" if "load_seconds" in r else ""
        print(f"| {r['engine']} | {r['lines']:,} | {r['customers']:,} | {r['seconds']:.1f} | "
              f"{load} | {r['peak_mb']:,.0f} | {r['diff']:.1e} |")
    print("\n| engine | growth exponent of the summary time |")
    print("|---|---:|")
    for engine in args.engines:
        mine = [r for r in rows if r["engine"] == engine]
        if len(mine) >= 2:
            a, b = mine[0], mine[-1]
            k = math.log(b["seconds"] / a["seconds"]) / math.log(b["lines"] / a["lines"])
            print(f"| {engine} | {k:.2f} ({a['lines']:,} to {b['lines']:,} lines) |")
    by = {(r["engine"], r["lines"]): r for r in rows}
    print("\n| lines | duckdb engine / hand-written DuckDB SQL |")
    print("|---:|---:|")
    for lines in args.lines:
        if ("duckdb", lines) in by and ("duckdb-sql", lines) in by:
            ratio = by[("duckdb", lines)]["seconds"] / by[("duckdb-sql", lines)]["seconds"]
            print(f"| {lines:,} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
