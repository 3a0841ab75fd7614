"""Render time and HTML size of a typical 20-row report table: pandas Styler vs great-tables.

Run: .venv/bin/python bench/bench_tables.py [--repeat 30]
(great-tables is not a dependency of the workbook; install it into the venv to run this
comparison: .venv/bin/pip install great-tables==1.1.0)

The table is the first 20 rows of the product ranking of the sample company (ids, names,
categories, amounts, shares, ratios), formatted the same way by both: thousands separators,
currency, percentages, headers from the catalogue.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import crm_lib as crm
from crm_lib import tables

ROOT = Path(__file__).resolve().parents[1]


def typical_table():
    ds = crm.load_dataset(ROOT / "data" / "sample")
    as_of = ds.month_end("2026-10")
    start = crm.products.window_start(as_of, months=12)
    totals = crm.summary.totals(ds.transactions, by=("product_id",), start=start, as_of=as_of)
    ranked = crm.products.product_profit(totals, ds.products)
    return ranked[["rank", "product_id", "name", "category", "sales", "gross_profit",
                   "gross_margin", "turnover", "cross_ratio", "quadrant"]].head(20)


def styler_html(df):
    return tables.render(df, lang="zh", currency="CNY")


def gt_html(df):
    from great_tables import GT

    from crm_lib import labels

    shown = labels.localize(df, "zh", columns=False)
    gt = GT(shown).cols_label(**{c: labels.label(c, "zh") for c in shown.columns})
    gt = gt.fmt_integer(columns=["rank"]).fmt_currency(columns=["sales", "gross_profit"],
                                                         currency="CNY", decimals=0)
    gt = gt.fmt_percent(columns=["gross_margin"], decimals=1).fmt_number(
        columns=["turnover", "cross_ratio"], decimals=2)
    return gt.as_raw_html()


def timed(fn, df, repeat):
    fn(df)  # warm up (imports, template compilation)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        html = fn(df)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(html.encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    df = typical_table()
    print(f"table: {df.shape[0]} rows x {df.shape[1]} columns, {args.repeat} repeats, median")
    print(f"{'renderer':<22}{'ms per table':>14}{'HTML bytes':>12}")
    for name, fn in (("pandas Styler", styler_html), ("great-tables 1.1.0", gt_html)):
        try:
            sec, size = timed(fn, df, args.repeat)
        except ImportError:
            print(f"{name:<22}{'not installed':>14}")
            continue
        print(f"{name:<22}{sec * 1000:>14.1f}{size:>12,}")


if __name__ == "__main__":
    main()
