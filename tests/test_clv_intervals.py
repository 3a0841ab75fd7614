"""Intervals from the estimation uncertainty: coverage by simulation and brute-force checks.

The intervals of ``crm_lib.clv`` come from parameter draws from the asymptotic normal of the
estimate in log space. Two kinds of checks:

* **coverage**: data drawn from known parameters, fitted, and the truth of a population-level
  quantity (a new customer's expected purchases, the P(alive) and expected purchases of a fixed
  purchase history, the population mean spend) must lie inside the 90% interval about 90% of
  the time over seeds, within binomial tolerance;
* **the vectorised, chunked computation** equals a plain loop over the same draws with one
  ``from_params`` model per draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crm_lib._errors import DataError
from crm_lib.clv import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    _interval,
    lifetime_value,
    lifetime_value_interval,
    parameter_draws,
)
from tests.test_clv import CDNOW, GG_TRUE, simulate_bgnbd, simulate_spend

HISTORY = pd.DataFrame({"frequency": [2.0, 0.0, 6.0], "recency": [20.0, 0.0, 30.0],
                        "T": [35.0, 35.0, 36.0]})


def _draw(seed, n):
    rng = np.random.default_rng(seed)
    s = simulate_bgnbd(n, **CDNOW, T=rng.uniform(27, 39, n), rng=rng)
    s["monetary_value"] = simulate_spend(s["frequency"], **GG_TRUE, rng=rng)
    s.attrs["freq"] = "W"
    return s


def _binomial_band(n, level=0.9):
    """Counts of covering intervals that a true coverage of ``level`` gives with 99.9%."""
    return stats.binom.ppf(0.0005, n, level), stats.binom.ppf(0.9995, n, level)


def test_bgnbd_intervals_cover_the_truth_about_90_percent_of_the_time():
    truth = BetaGeo.from_params(**CDNOW)
    true_new = float(truth.expected_purchases_new(39.0))
    true_alive = truth.prob_alive(HISTORY).to_numpy()
    true_purch = truth.predict_purchases(10.0, HISTORY).to_numpy()
    seeds = range(100)
    hits = np.zeros(4)
    for seed in seeds:  # one fit per simulated data set
        bg = BetaGeo().fit(_draw(seed, 3000))
        new = bg.expected_purchases_new_interval(39.0, seed=seed).iloc[0]
        alive = bg.prob_alive_interval(HISTORY.iloc[[0]], seed=seed).iloc[0]
        purch = bg.predict_purchases_interval(10.0, HISTORY.iloc[[0, 2]], seed=seed)
        hits += [new["expected_purchases_lower"] <= true_new <= new["expected_purchases_upper"],
                 alive["prob_alive_lower"] <= true_alive[0] <= alive["prob_alive_upper"],
                 purch["predicted_purchases_lower"].iloc[0] <= true_purch[0]
                 <= purch["predicted_purchases_upper"].iloc[0],
                 purch["predicted_purchases_lower"].iloc[1] <= true_purch[2]
                 <= purch["predicted_purchases_upper"].iloc[1]]
    lo, hi = _binomial_band(len(seeds))
    assert np.all((hits >= lo) & (hits <= hi)), (hits, lo, hi)


def test_gamma_gamma_interval_covers_the_population_mean_spend():
    p, q, v = GG_TRUE.values()
    true_mean = p * v / (q - 1)  # expected spend of a customer without repeat purchases
    one_off = pd.DataFrame({"frequency": [0.0], "monetary_value": [0.0]})
    seeds = range(60)
    hits = 0
    for seed in seeds:
        gg = GammaGamma().fit(_draw(seed, 1500))
        iv = gg.expected_spend_interval(one_off, seed=seed).iloc[0]
        hits += iv["expected_spend_lower"] <= true_mean <= iv["expected_spend_upper"]
    lo, hi = _binomial_band(len(seeds))
    assert lo <= hits <= hi


def test_intervals_narrow_with_more_customers():
    widths = []
    for n in (1000, 16000):
        bg = BetaGeo().fit(_draw(3, n))
        iv = bg.prob_alive_interval(HISTORY.iloc[[0]], seed=1).iloc[0]
        widths.append(iv["prob_alive_upper"] - iv["prob_alive_lower"])
    # the width shrinks like 1 / sqrt(n): a factor of 4 for 16 times the customers
    assert widths[1] / widths[0] == pytest.approx(0.25, rel=0.35)


def _loop_quantiles(values, level=0.9):
    return np.quantile(np.vstack(values), [(1 - level) / 2, (1 + level) / 2], axis=0)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_chunked_draws_equal_a_loop_over_draws(cls, monkeypatch):
    s = _draw(11, 1200)
    model = cls().fit(s)
    rows = s.iloc[:60]
    draws = parameter_draws(model, draws=40, seed=5)
    monkeypatch.setattr(_interval, "_CELLS", 40 * 7)  # chunks of 7 rows: many chunks
    iv_a = model.prob_alive_interval(rows, draws=40, seed=5)
    iv_p = model.predict_purchases_interval(8.0, rows, draws=40, seed=5)
    alive, purch = [], []
    for _, d in draws.iterrows():  # the plain loop over draws the library avoids
        m = cls.from_params(**d.to_dict())
        alive.append(m.prob_alive(rows).to_numpy())
        purch.append(m.predict_purchases(8.0, rows).to_numpy())
    la, ha = _loop_quantiles(alive)
    lp, hp = _loop_quantiles(purch)
    point_a = model.prob_alive(rows).to_numpy()
    point_p = model.predict_purchases(8.0, rows).to_numpy()
    np.testing.assert_allclose(iv_a["prob_alive"], point_a, rtol=1e-12)
    np.testing.assert_allclose(iv_a["prob_alive_lower"], np.minimum(la, point_a), rtol=1e-10)
    np.testing.assert_allclose(iv_a["prob_alive_upper"], np.maximum(ha, point_a), rtol=1e-10)
    np.testing.assert_allclose(iv_p["predicted_purchases"], point_p, rtol=1e-12)
    np.testing.assert_allclose(iv_p["predicted_purchases_lower"], np.minimum(lp, point_p),
                               rtol=1e-10)
    np.testing.assert_allclose(iv_p["predicted_purchases_upper"], np.maximum(hp, point_p),
                               rtol=1e-10)


def test_clv_interval_equals_lifetime_value_at_each_draw(monkeypatch):
    s = _draw(12, 1500)
    bg, gg = BetaGeo().fit(s), GammaGamma().fit(s)
    rows = s.iloc[:50]
    monkeypatch.setattr(_interval, "_CELLS", 30 * 9)
    iv = lifetime_value_interval(bg, gg, rows, months=6, draws=30, seed=2, margin=0.3)
    seeds = np.random.SeedSequence(2).spawn(2)
    bd = parameter_draws(bg, draws=30, seed=seeds[0])
    gd = parameter_draws(gg, draws=30, seed=seeds[1])
    values = [lifetime_value(BetaGeo.from_params(**b.to_dict(), freq="W"),
                             GammaGamma.from_params(**g.to_dict()), rows, months=6,
                             margin=0.3)["clv"].to_numpy()
              for (_, b), (_, g) in zip(bd.iterrows(), gd.iterrows(), strict=True)]
    lo, hi = _loop_quantiles(values)
    point = lifetime_value(bg, gg, rows, months=6, margin=0.3)
    pd.testing.assert_frame_equal(iv[point.columns], point)
    np.testing.assert_allclose(iv["clv_lower"], np.minimum(lo, point["clv"]), rtol=1e-9)
    np.testing.assert_allclose(iv["clv_upper"], np.maximum(hi, point["clv"]), rtol=1e-9)
    assert iv.attrs["level"] == 0.9 and iv.attrs["draws"] == 30 and iv.attrs["months"] == 6


def test_parameter_draws_have_the_fitted_covariance_in_log_space():
    bg = BetaGeo().fit(_draw(4, 3000))
    d = parameter_draws(bg, draws=20000, seed=0)
    p = pd.Series(bg.params_)
    cov_log = bg.covariance_ / np.outer(p, p)
    np.testing.assert_allclose(np.log(d).mean(), np.log(p), atol=4 * np.sqrt(np.diag(cov_log)
                                                                               / 20000).max())
    np.testing.assert_allclose(np.log(d).cov().to_numpy(), cov_log.to_numpy(), rtol=0.05,
                               atol=0.05 * np.abs(cov_log.to_numpy()).max())
    again = parameter_draws(bg, draws=20000, seed=0)
    pd.testing.assert_frame_equal(d, again)


def test_interval_errors():
    bg = BetaGeo.from_params(**CDNOW)
    with pytest.raises(DataError, match="no covariance of its parameters"):
        bg.prob_alive_interval(HISTORY)
    fitted = BetaGeo().fit(_draw(5, 800))
    with pytest.raises(DataError, match="`level` must be a number between 0 and 1"):
        fitted.prob_alive_interval(HISTORY, level=90)
    with pytest.raises(DataError, match="`draws` must be a whole number >= 20"):
        fitted.prob_alive_interval(HISTORY, draws=5)
    with pytest.raises(DataError, match="`t` must be a number >= 0"):
        fitted.predict_purchases_interval(-1, HISTORY)
    before = HISTORY.copy()
    fitted.predict_purchases_interval(5, HISTORY)
    pd.testing.assert_frame_equal(HISTORY, before)
