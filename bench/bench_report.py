"""Benchmark of the monthly report batch: a 12-month batch of every notebook, and what one notebook
run costs before it does any work (kernel start-up, then the crm_lib imports).

    .venv/bin/python bench/bench_report.py                       # 12 months to the latest, --jobs 2
    .venv/bin/python bench/bench_report.py --months 2026-09..2026-10 --repeat 3
    .venv/bin/python bench/bench_report.py --compare 7c20c70 --months 2026-10   # before/after

Prints a markdown section for docs/benchmarks.md. Reports go to bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crm_lib import report  # noqa: E402
from crm_lib.data import load_dataset  # noqa: E402


def _papermill_seconds(source: str, repeat: int) -> list[float]:
    """Wall time of papermill runs of a one-cell notebook (kernel start, the cell, shutdown)."""
    folder = Path(tempfile.mkdtemp())
    nb = new_notebook(cells=[new_code_cell(source)],
                      metadata={"kernelspec": {"name": report.KERNEL, "display_name": report.KERNEL,
                                               "language": "python"}})
    path = folder / "probe.ipynb"
    nbformat.write(nb, path)
    times = []
    env = {**os.environ, **report.KERNEL_ENV}
    old = dict(os.environ)
    os.environ.update(env)
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            pm.execute_notebook(str(path), str(folder / "out.ipynb"), kernel_name=report.KERNEL,
                                progress_bar=False, cwd=str(ROOT / "notebooks"),
                                extra_arguments=list(report.KERNEL_ARGS))
            times.append(time.perf_counter() - start)
    finally:
        os.environ.clear()
        os.environ.update(old)
        shutil.rmtree(folder, ignore_errors=True)
    return times


def _floor_run(_: int) -> float:
    return _papermill_seconds("pass", 1)[0]


def _batch(cwd: Path, data: str, months: str, jobs: int, out: Path, *extra: str) -> tuple[float, int, int]:
    """Wall time, notebook runs and exit status of one batch run with the code in ``cwd``."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "crm_lib", "report", "--data", data, "--out", str(out), "--months",
           months, "--jobs", str(jobs), "--no-progress", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    runs = sum(len(json.loads((m / "manifest.json").read_text(encoding="utf-8"))["reports"])
               for m in out.iterdir() if (m / "manifest.json").is_file())
    return wall, runs, proc.returncode


def compare(args) -> int:
    """Before (the code of ``args.compare``) and after (this code, with and without the shared load),
    and papermill's floor: as many papermill runs of an empty notebook, ``--jobs`` at a time."""
    import concurrent.futures as cf
    import multiprocessing

    months = args.months or load_dataset(args.data).month_end("").strftime("%Y-%m")
    old = Path(tempfile.mkdtemp(prefix="bench-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.compare], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    out = Path(args.out)
    load_before = os.getloadavg()[0]
    rows = []
    for label, cwd, extra in [(f"before ({args.compare})", old, ()),
                              ("after, every notebook loads the data (`--no-shared-load`)", ROOT,
                               ("--no-shared-load",)),
                              ("after (one shared load)", ROOT, ())]:
        wall, runs, code = _batch(cwd, args.data, months, args.jobs, out, *extra)
        rows.append((label, wall, runs, code))
    runs = rows[-1][2]
    ctx = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        list(pool.map(_floor_run, range(runs)))
    rows.append((f"papermill's floor: {runs} runs of an empty notebook", time.perf_counter() - start,
                 runs, 0))
    shutil.rmtree(old, ignore_errors=True)
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, `{Path(args.data).name}`, {months}, `--jobs "
          f"{args.jobs}`; load average before the start {load_before:.2f}.\n")
    print("| run | wall time (s) | notebook runs | exit status |\n|---|---|---|---|")
    for label, wall, n, code in rows:
        print(f"| {label} | {wall:.1f} | {n} | {code} |")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT / "data" / "sample"))
    p.add_argument("--months", default="", help="default: the 12 months to the latest complete one")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--repeat", type=int, default=5, help="runs of each start-up probe")
    p.add_argument("--out", default=str(ROOT / "bench" / "out" / "reports"))
    p.add_argument("--compare", default="", metavar="REF", help="time the batch of REF (a commit) "
                   "against this code, and papermill's floor")
    args = p.parse_args()
    if args.compare:
        return compare(args)
    load_before = os.getloadavg()[0]

    probes = {
        "kernel start-up and shutdown (papermill, an empty cell)": "pass",
        "… plus `import crm_lib as crm; from crm_lib import plots`":
            "import crm_lib as crm\nfrom crm_lib import plots",
        "… plus the first plotly figure": "import crm_lib as crm\nfrom crm_lib import plots\n"
            "import pandas as pd\nplots.bar(pd.DataFrame({'kind': ['a'], 'sales': [1.0]}), x='kind', y='sales')",
    }
    startup = {name: _papermill_seconds(src, args.repeat) for name, src in probes.items()}

    if not args.months:
        last = load_dataset(args.data).month_end("").to_period("M")
        args.months = f"{last - 11}..{last}"
    months = report.parse_months(args.months)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "crm_lib", "report", "--data", args.data, "--out", str(out),
           "--months", args.months, "--jobs", str(args.jobs), "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start

    per_nb: dict[str, list[float]] = {}
    failed: list[str] = []
    for m in months:
        manifest = json.loads((out / m / "manifest.json").read_text(encoding="utf-8"))
        for name, r in manifest["reports"].items():
            per_nb.setdefault(name, []).append(r["seconds"])
            if r["status"] != "ok":
                failed.append(f"{m}/{name}: {r.get('error', '')}")
    runs = sum(len(v) for v in per_nb.values())
    notebooks = sorted(per_nb)

    print("## Report batch (`bench/bench_report.py`)\n")
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, the sample company (`{Path(args.data).name}`); "
          f"load average before the start {load_before:.2f}.\n")
    print("Cost of one notebook run before it does any work (median of "
          f"{args.repeat} papermill runs of a one-cell notebook, seconds):\n")
    print("| what | median | min | max |\n|---|---|---|---|")
    for name, t in startup.items():
        print(f"| {name} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} |")
    print(f"\n{len(months)}-month batch ({months[0]} … {months[-1]}) of {len(notebooks)} notebooks "
          f"({runs} notebook runs), `--jobs {args.jobs}`: **{wall:.0f} s wall time** "
          f"({wall / max(runs, 1):.1f} s of wall time per notebook run; exit status {proc.returncode}"
          f"{', ' + str(len(failed)) + ' failed' if failed else ''}).\n")
    print("| notebook | median run (s) | max run (s) |\n|---|---|---|")
    for name in notebooks:
        t = per_nb[name]
        print(f"| {name} | {statistics.median(t):.1f} | {max(t):.1f} |")
    if failed:
        print("\nFailed runs: " + "; ".join(failed[:10]))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"\nThe {len(months)} month folders take {size / 1e6:.0f} MB.")
    print("\nRun times are per notebook inside its worker (kernel start to HTML written); with two "
          "workers two notebooks run at once, so the wall time is about half their sum.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
