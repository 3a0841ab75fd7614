"""Benchmark and cross-check crm_lib.clv against lifetimes.

    .venv/bin/python bench/bench_clv.py                       # 1M customers, timings + ratios
    .venv/bin/python bench/bench_clv.py --check               # agreement with lifetimes only
    .venv/bin/python bench/bench_clv.py --customers 200000    # a smaller run
    .venv/bin/python bench/bench_clv.py --bg-cdnow            # BG/NBD fit alone, CDNOW-like weeks

lifetimes (archived; it needs pandas < 2 and numpy < 1.25) is not a dependency: it runs in a
throwaway environment, called as a subprocess on a CSV file written here::

    python3.11 -m venv /tmp/lt-venv
    /tmp/lt-venv/bin/pip install lifetimes "pandas<2" "numpy<1.25" "scipy<1.12"

Pass its interpreter with ``--lifetimes`` (default ``/tmp/lt-venv/bin/python``); without it the
lifetimes columns are left empty. The data are drawn from the BG/NBD and Gamma-Gamma processes
with the sample company's parameters (days, purchase times floored to whole days), so identical
(frequency, recency, T) rows occur as in real daily summaries.

``--check`` fits both implementations on lifetimes' CDNOW sample (weeks) and on 20 000 simulated
customers (days) with lifetimes at a tight tolerance (tol=1e-10), and reports the largest relative
differences of the parameters, of P(alive), of the expected purchases, of the expected spend and
of the CLV (the predictions evaluated at lifetimes' parameters, so that only the formulas differ).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

TRUE_BG = {"r": 0.9, "alpha": 27.0, "a": 0.7, "b": 9.0}
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 150.0}
#: lifetimes' month: 30 days, 4.345 weeks (crm_lib's default is 365.25 / 12 days in every unit)
LIFETIMES_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}


# ---------------------------------------------------------------------------------------------
# the lifetimes side (runs inside the lifetimes environment: no crm_lib there)
# ---------------------------------------------------------------------------------------------

def _worker(csv_path: str, out_path: str, tol: float, n_pred: int, cdnow: bool,
            penalizer: float = 0.0) -> None:
    import warnings

    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    warnings.simplefilter("ignore")
    if cdnow:
        from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
        df = load_cdnow_summary_data_with_monetary_value().reset_index(drop=True)
        df.to_csv(csv_path, index=False)
        freq = "W"
    else:
        df = pd.read_csv(csv_path)
        freq = "D"
    out: dict = {}
    from lifetimes.utils import ConvergenceError

    if n_pred < 0:  # the BG/NBD fit alone (--bg-cdnow)
        for attempt in (tol, tol * 10, tol * 100):  # BFGS may stop short of a very tight tol
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                bg = BetaGeoFitter().fit(df["frequency"], df["recency"], df["T"], tol=attempt)
            except ConvergenceError:
                continue
            out = {"bg_fit_s": time.perf_counter() - t0, "bg_fit_cpu": time.process_time() - c0,
                   "bg": {k: float(v) for k, v in bg.params_.items()}, "bg_tol": attempt}
            break
        else:
            raise SystemExit("lifetimes' BetaGeoFitter did not converge")
        Path(out_path).write_text(json.dumps(out))
        return

    for attempt in (tol, tol * 10, tol * 100):  # BFGS may stop short of a very tight tol
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            bg = BetaGeoFitter(penalizer_coef=penalizer).fit(
                df["frequency"], df["recency"], df["T"], tol=attempt)
            out["bg_fit_s"] = time.perf_counter() - t0
            out["bg_fit_cpu"] = time.process_time() - c0
            out["bg_tol"] = attempt
            break
        except ConvergenceError:
            continue
    else:
        raise SystemExit("lifetimes' BetaGeoFitter did not converge")
    out["bg"] = {k: float(v) for k, v in bg.params_.items()}
    out["bg_se"] = {k: float(v) for k, v in bg.standard_errors_.items()}
    rep = df[(df["frequency"] > 0) & (df["monetary_value"] > 0)]
    t0, c0 = time.perf_counter(), time.process_time()
    for attempt in (tol, tol * 10, tol * 100):
        try:
            gg = GammaGammaFitter(penalizer_coef=penalizer).fit(
                rep["frequency"], rep["monetary_value"], tol=attempt)
            break
        except ConvergenceError:
            continue
    else:
        raise SystemExit("lifetimes' GammaGammaFitter did not converge")
    out["gg_fit_s"] = time.perf_counter() - t0
    out["gg_fit_cpu"] = time.process_time() - c0
    out["gg"] = {k: float(v) for k, v in gg.params_.items()}
    t0, c0 = time.perf_counter(), time.process_time()
    clv = gg.customer_lifetime_value(bg, df["frequency"], df["recency"], df["T"],
                                     df["monetary_value"], time=12, discount_rate=0.01, freq=freq)
    out["clv_s"] = time.perf_counter() - t0
    out["clv_cpu"] = time.process_time() - c0
    head = df.iloc[:n_pred]
    out["prob_alive"] = np.asarray(bg.conditional_probability_alive(
        head["frequency"], head["recency"], head["T"])).tolist()
    t = 30.0 if freq == "D" else 10.0
    out["predict"] = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(
        t, head["frequency"], head["recency"], head["T"])).tolist()
    out["predict_t"] = t
    out["spend"] = np.asarray(gg.conditional_expected_average_profit(
        head["frequency"], head["monetary_value"])).tolist()
    out["clv"] = clv.iloc[:n_pred].tolist()
    out["expected_new"] = np.asarray(bg.expected_number_of_purchases_up_to_time(
        np.array([1.0, 10.0, 100.0]))).tolist()
    out["freq"] = freq
    Path(out_path).write_text(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# the crm_lib side
# ---------------------------------------------------------------------------------------------

def simulate(n: int, seed: int, *, continuous: bool = False):
    """(frequency, recency, T, monetary_value) of ``n`` customers in days, whole periods.

    With ``continuous``, recency and T are fractional (as a weekly summary of timestamped orders
    gives them), so that almost no two customers share a (frequency, recency, T) row.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUE_BG.values()
    T = rng.uniform(0, 1035, n) if continuous else rng.integers(0, 1035, n).astype(float)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    K = rng.poisson(lam * T)
    x = np.minimum(K, rng.geometric(p))
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    if not continuous:
        tx = np.floor(tx)
    gp, gq, gv = TRUE_GG.values()
    nu = rng.gamma(gq, 1 / gv, n)
    m = np.where(x > 0, rng.gamma(np.maximum(gp * x, 1e-9), 1 / np.maximum(x * nu, 1e-300)), 0)
    df = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T,
                       "monetary_value": np.round(m, 2)})
    df.loc[(df["frequency"] > 0) & (df["monetary_value"] <= 0), "monetary_value"] = 0.01
    return df


def _ours(df, freq: str, penalizer: float = 0.0):
    import warnings

    from crm_lib.clv import BetaGeo, GammaGamma, lifetime_value

    s = df.copy()
    s.attrs["freq"] = freq
    res = {}
    t0, c0 = time.perf_counter(), time.process_time()
    bg = BetaGeo(penalizer=penalizer).fit(s)
    res["bg_fit_s"], res["bg_fit_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gg = GammaGamma(penalizer=penalizer).fit(s)
    res["gg_fit_s"], res["gg_fit_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    clv = lifetime_value(bg, gg, s, months=12, discount_rate=0.01, month_length=LIFETIMES_MONTH)
    res["clv_s"], res["clv_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    return res, bg, gg, clv, s


def _run_lifetimes(python: str, csv: Path, out: Path, *, tol: float, n_pred: int,
                   cdnow: bool = False, penalizer: float = 0.0) -> dict | None:
    if not python or not Path(python).exists():
        return None
    cmd = [python, __file__, "--worker", str(csv), str(out), "--tol", str(tol),
           "--n-pred", str(n_pred), "--penalizer", str(penalizer)] + (["--cdnow"] if cdnow else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def _rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def check(python: str, work: Path) -> list[str]:
    """Agreement with lifetimes on CDNOW (weeks) and on simulated daily data."""
    import warnings

    import numpy as np
    import pandas as pd

    from crm_lib.clv import BetaGeo, GammaGamma, lifetime_value

    lines = ["| data | parameters (max rel. diff) | P(alive) | expected purchases | expected spend | CLV 12 months |",
             "|---|---|---|---|---|---|"]
    for name, cdnow, pen in (("CDNOW sample, 2 357 customers, weeks", True, 0.0),
                             ("CDNOW sample, penalizer 0.01", True, 0.01),
                             ("simulated, 20 000 customers, days", False, 0.0)):
        csv = work / ("cdnow.csv" if cdnow else "check.csv")
        if not cdnow:
            simulate(20_000, 7).to_csv(csv, index=False)
        lt = _run_lifetimes(python, csv, work / "check.json", tol=1e-10 if pen == 0 else 1e-8,
                            n_pred=5000, cdnow=cdnow, penalizer=pen)
        if lt is None:
            return ["lifetimes is not available: pass --lifetimes /path/to/python"]
        df = pd.read_csv(csv)[["frequency", "recency", "T", "monetary_value"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the penalised Gamma-Gamma has q < 1 on CDNOW
            _, bg, gg, _, s = _ours(df, lt["freq"], pen)
        head = s.iloc[:5000]
        p_bg = _rel([bg.params_[k] for k in lt["bg"]], list(lt["bg"].values()))
        p_gg = _rel([gg.params_[k] for k in lt["gg"]], list(lt["gg"].values()))
        at_bg = BetaGeo.from_params(**lt["bg"], freq=lt["freq"])
        at_gg = GammaGamma.from_params(**lt["gg"])
        pa = _rel(at_bg.prob_alive(head), lt["prob_alive"])
        pr = _rel(at_bg.predict_purchases(lt["predict_t"], head), lt["predict"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keep = at_gg.expected_spend(head).notna().to_numpy()
            sp = _rel(at_gg.expected_spend(head)[keep], np.asarray(lt["spend"])[keep])
            cl = _rel(lifetime_value(at_bg, at_gg, head, month_length=LIFETIMES_MONTH)["clv"][keep], np.asarray(lt["clv"])[keep])
        new = _rel(at_bg.expected_purchases_new([1.0, 10.0, 100.0]), lt["expected_new"])
        p_se = _rel([bg.standard_errors_[k] for k in lt["bg_se"]], list(lt["bg_se"].values()))
        lines.append(f"| {name} | BG {p_bg:.1e} (tol {lt['bg_tol']:g}; SEs {p_se:.1e}), GG {p_gg:.1e} | {pa:.1e} | {pr:.1e} "
                     f"(new customer {new:.1e}) | {sp:.1e} | {cl:.1e} |")
    return lines


def bench(n: int, seed: int, python: str, work: Path, *, continuous: bool = False) -> list[str]:
    import pandas as pd

    df = simulate(n, seed, continuous=continuous)
    csv = work / "bench.csv"
    df.to_csv(csv, index=False)
    df = pd.read_csv(csv)  # both sides read the same numbers
    ours, bg, gg, _, _ = _ours(df, "D")
    lt = _run_lifetimes(python, csv, work / "bench.json", tol=1e-7, n_pred=10)
    rows = [("BG/NBD fit", "bg_fit_s"), ("Gamma-Gamma fit", "gg_fit_s"),
            ("CLV, 12 months", "clv_s")]
    shape = "fractional days" if continuous else "whole days"
    lines = [f"{n:,} customers ({bg.n_rows_:,} distinct (frequency, recency, T) rows), {shape}.", "",
             "| step | crm_lib wall (CPU) s | lifetimes wall (CPU) s | speed-up wall (CPU) |",
             "|---|---|---|---|"]
    for label, key in rows:
        cpu = key.replace("_s", "_cpu")
        if lt is None:
            lines.append(f"| {label} | {ours[key]:.2f} ({ours[cpu]:.2f}) | – | – |")
        else:
            lines.append(f"| {label} | {ours[key]:.2f} ({ours[cpu]:.2f}) | {lt[key]:.1f} "
                         f"({lt[cpu]:.1f}) | {lt[key] / ours[key]:.0f}× "
                         f"({lt[cpu] / ours[cpu]:.0f}×) |")
    if lt is not None:
        p_bg = _rel([bg.params_[k] for k in lt["bg"]], list(lt["bg"].values()))
        p_gg = _rel([gg.params_[k] for k in lt["gg"]], list(lt["gg"].values()))
        lines += ["", f"Largest relative parameter difference to lifetimes (its default tol=1e-7): "
                      f"BG/NBD {p_bg:.1e}, Gamma-Gamma {p_gg:.1e}."]
    return lines


CDNOW_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def simulate_cdnow(n: int, seed: int, *, days: bool):
    """(frequency, recency, T) of ``n`` BG/NBD customers with the CDNOW estimates, in weeks.

    T is uniform on 27-39 weeks (CDNOW's first purchases fall in the first 12 of 39 weeks);
    recency and T are fractional weeks, or with ``days`` rounded to whole days (sevenths).
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    r, alpha, a, b = CDNOW_BG.values()
    T = rng.uniform(27, 39, n)
    K = rng.poisson(rng.gamma(r, 1 / alpha, n) * T)
    x = np.minimum(K, rng.geometric(rng.beta(a, b, n)))
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    if days:
        T = np.round(T * 7) / 7
        tx = np.minimum(np.floor(tx * 7) / 7, T)
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T})


def bench_cdnow(n: int, seed: int, python: str, work: Path) -> list[str]:
    """The BG/NBD fit alone on CDNOW-like weeks, fractional and in whole days, both sides.

    lifetimes runs at its default ``tol=1e-7`` (on these data it does not converge at 1e-8 or
    tighter), so the parameter difference includes its own stopping error.
    """
    import pandas as pd

    from crm_lib.clv import BetaGeo

    lines = [f"BG/NBD fit alone, {n:,} customers drawn from the CDNOW estimates (weeks).", "",
             "| data | distinct rows | crm_lib wall (CPU) s | lifetimes wall (CPU) s "
             "| speed-up wall (CPU) | max rel. parameter difference |", "|---|---|---|---|---|---|"]
    for days in (False, True):
        csv = work / "bench_cdnow.csv"
        simulate_cdnow(n, seed, days=days).to_csv(csv, index=False)
        df = pd.read_csv(csv)
        BetaGeo().fit(df.iloc[:2000])  # imports and first calls out of the timing
        t0, c0 = time.perf_counter(), time.process_time()
        bg = BetaGeo().fit(df)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        lt = _run_lifetimes(python, csv, work / "bench_cdnow.json", tol=1e-7, n_pred=-1)
        label = "whole days" if days else "fractional weeks"
        if lt is None:
            lines.append(f"| {label} | {bg.n_rows_:,} | {wall:.2f} ({cpu:.2f}) | – | – | – |")
            continue
        rel = _rel([bg.params_[k] for k in lt["bg"]], list(lt["bg"].values()))
        lines.append(f"| {label} | {bg.n_rows_:,} | {wall:.2f} ({cpu:.2f}) | {lt['bg_fit_s']:.1f} "
                     f"({lt['bg_fit_cpu']:.1f}) | {lt['bg_fit_s'] / wall:.0f}× "
                     f"({lt['bg_fit_cpu'] / cpu:.0f}×) | {rel:.1e} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lifetimes", default="/tmp/lt-venv/bin/python")
    ap.add_argument("--work", default="/tmp/bench_clv")
    ap.add_argument("--check", action="store_true", help="only the agreement with lifetimes")
    ap.add_argument("--bg-cdnow", action="store_true",
                    help="only the BG/NBD fit on CDNOW-like weeks, fractional and whole days")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--tol", type=float, default=1e-7, help=argparse.SUPPRESS)
    ap.add_argument("--n-pred", type=int, default=10, help=argparse.SUPPRESS)
    ap.add_argument("--cdnow", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--penalizer", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], args.worker[1], args.tol, args.n_pred, args.cdnow, args.penalizer)
        return 0
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.bg_cdnow:
        print("\n".join(bench_cdnow(args.customers, args.seed, args.lifetimes, work)))
        return 0
    lines = check(args.lifetimes, work)
    if not args.check:
        for continuous in (False, True):
            lines += [""] + bench(args.customers, args.seed, args.lifetimes, work,
                                  continuous=continuous)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
