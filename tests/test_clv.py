"""Tests for crm_lib.clv.

The reference values are computed here independently of the code under test: by numerical
integration of the models' definitions (Poisson purchases with Gamma rates, geometric drop-out
with Beta probabilities, Gamma spend), by the papers' closed forms written out with plain scipy
functions, and by parameter recovery on data simulated from the models.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from crm_lib._errors import DataError, DataWarning
from crm_lib.clv import (
    BetaGeo,
    GammaGamma,
    NotFittedError,
    _bgnbd,
    _gammagamma,
    calibration_end,
    clv_by,
    clv_settings,
    cohort_clv,
    describe_unit,
    due_list,
    frequency_monetary_correlation,
    gross_margin,
    historical_clv,
    lifetime_value,
    replenishment,
    top_customers,
)

# published BG/NBD estimates on the CDNOW sample (weeks), Fader, Hardie and Lee (2005a)
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_TRUE = {"p": 6.0, "q": 4.0, "v": 15.0}


# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------

def simulate_bgnbd(n, r, alpha, a, b, *, T, rng):
    """Draw (frequency, recency, T) from the BG/NBD process in continuous time.

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); repeat purchases arrive as a Poisson process;
    the customer drops out right after each repeat purchase with probability p. Given K arrivals
    in (0, T], the x-th of them is T times the x-th order statistic of K uniforms, Beta(x, K-x+1).
    """
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    K = rng.poisson(lam * T)
    N = rng.geometric(p)  # the repeat purchase after which the customer leaves (1, 2, ...)
    x = np.minimum(K, N)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T.astype(float)})


def simulate_spend(frequency, p, q, v, *, rng):
    """Mean of x Gamma(p, rate nu) transaction values, nu ~ Gamma(q, rate v)."""
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / v, len(x))
    m = np.where(x > 0, rng.gamma(np.maximum(p * x, 1e-9), 1.0 / np.maximum(x * nu, 1e-300)), 0.0)
    return m


def paper_likelihood(r, alpha, a, b, x, tx, T):
    """Equation (6) of Fader, Hardie and Lee (2005a), with plain (not log-space) functions."""
    B = special.beta
    first = B(a, b + x) / B(a, b) * special.gamma(r + x) * alpha ** r / (
        special.gamma(r) * (alpha + T) ** (r + x))
    second = 0.0
    if x > 0:
        second = B(a + 1, b + x - 1) / B(a, b) * special.gamma(r + x) * alpha ** r / (
            special.gamma(r) * (alpha + tx) ** (r + x))
    return first + second


def integrated_likelihood(r, alpha, a, b, x, tx, T):
    """The BG/NBD likelihood integrated numerically over lambda ~ Gamma and p ~ Beta.

    Returns (likelihood, alive part): L(lambda, p) = (1-p)^x lambda^x e^(-lambda T)
    + [x > 0] p (1-p)^(x-1) lambda^x e^(-lambda t_x); the alive part is the first term.
    """
    lg = r * np.log(alpha) - special.gammaln(r)
    lb = -special.betaln(a, b)

    def prior(lam, p):  # Gamma(r, rate alpha) x Beta(a, b) densities
        return np.exp(lg + (r - 1) * np.log(lam) - alpha * lam
                      + lb + (a - 1) * np.log(p) + (b - 1) * np.log1p(-p))

    def alive(lam, p):
        return (1 - p) ** x * lam ** x * np.exp(-lam * T) * prior(lam, p)

    def dead(lam, p):
        return p * (1 - p) ** (x - 1) * lam ** x * np.exp(-lam * tx) * prior(lam, p)

    opts = {"epsabs": 1e-14, "epsrel": 1e-10, "limit": 100}
    la = integrate.nquad(alive, [[0, np.inf], [0, 1]], opts=[opts, opts])[0]
    ld = integrate.nquad(dead, [[0, np.inf], [0, 1]], opts=[opts, opts])[0] if x > 0 else 0.0
    return la + ld, la


def expected_future(r, alpha, a, b, x, tx, T, t):
    """E[purchases in (T, T+t] | x, t_x, T] from the model's definition, one integral over p.

    Given alive at T: lambda | data ~ Gamma(r+x, rate alpha+T), p | data ~ Beta(a, b+x), and an
    alive customer with (lambda, p) makes (1 - exp(-lambda p t)) / p purchases in expectation.
    """
    total, la = integrated_likelihood(r, alpha, a, b, x, tx, T)
    p_alive = la / total
    lb = -special.betaln(a, b + x)

    def integrand(p):  # Beta(a, b + x) density times the expected purchases of (lambda, p)
        dens = np.exp(lb + (a - 1) * np.log(p) + (b + x - 1) * np.log1p(-p))
        return dens * (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p

    inner = integrate.quad(integrand, 0, 1, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return p_alive * inner, p_alive


def hyp2f1_series(A, B, C, z, terms=4000):
    """Gauss' series summed term by term (log-space ratios), for |z| < 1."""
    k = np.arange(terms, dtype=float)
    log_terms = (special.gammaln(A + k) - special.gammaln(A) + special.gammaln(B + k)
                 - special.gammaln(B) - special.gammaln(C + k) + special.gammaln(C)
                 - special.gammaln(k + 1) + k * np.log(z))
    return float(np.exp(log_terms).sum())


def _summary(rows, freq="D"):
    s = pd.DataFrame(rows, columns=["frequency", "recency", "T"], dtype=float)
    s.attrs["freq"] = freq
    return s


@pytest.fixture(scope="module")
def sim():
    """30 000 customers drawn from the BG/NBD with the CDNOW parameters (weeks) and spend."""
    rng = np.random.default_rng(2005)
    n = 30_000
    T = rng.uniform(27, 39, n)  # CDNOW customers were observed for 27 to 39 weeks
    s = simulate_bgnbd(n, **CDNOW, T=T, rng=rng)
    s["monetary_value"] = simulate_spend(s["frequency"], **GG_TRUE, rng=rng)
    s.attrs["freq"] = "W"
    return s


@pytest.fixture(scope="module")
def fitted(sim):
    return BetaGeo().fit(sim), GammaGamma().fit(sim)


HAND = [  # (x, t_x, T): a one-off customer, repeaters, recency == T, T = 0
    (0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 38.86),
    (3, 32.0, 32.0), (0, 0.0, 0.0),
]


# ---------------------------------------------------------------------------------------------
# BG/NBD: closed forms and definitions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, tx, T", HAND)
def test_log_likelihood_is_equation_6(x, tx, T):
    bg = BetaGeo.from_params(**CDNOW)
    got = bg.log_likelihood(_summary([(x, tx, T)])).iloc[0]
    assert got == pytest.approx(np.log(paper_likelihood(*CDNOW.values(), x, tx, T)), rel=1e-12)


@pytest.mark.parametrize("x, tx, T", [(0, 0.0, 20.0), (2, 10.0, 25.0), (4, 25.0, 25.0)])
def test_likelihood_and_prob_alive_match_numerical_integration(x, tx, T):
    params = {"r": 1.4, "alpha": 6.0, "a": 1.3, "b": 2.5}
    bg = BetaGeo.from_params(**params)
    total, alive = integrated_likelihood(*params.values(), x, tx, T)
    s = _summary([(x, tx, T)])
    assert np.exp(bg.log_likelihood(s).iloc[0]) == pytest.approx(total, rel=1e-7)
    assert bg.prob_alive(s).iloc[0] == pytest.approx(alive / total, rel=1e-7)


@pytest.mark.parametrize("x, tx, T, t", [(0, 0.0, 20.0, 10.0), (2, 10.0, 25.0, 30.0),
                                         (5, 24.0, 25.0, 5.0), (1, 3.0, 30.0, 52.0)])
def test_predict_purchases_matches_the_model_definition(x, tx, T, t):
    params = {"r": 1.4, "alpha": 6.0, "a": 1.3, "b": 2.5}
    want, p_alive = expected_future(*params.values(), x, tx, T, t)
    bg = BetaGeo.from_params(**params)
    got = bg.predict_purchases(t, _summary([(x, tx, T)])).iloc[0]
    assert got == pytest.approx(want, rel=1e-7)


@pytest.mark.parametrize("x, tx, T", HAND[1:5])
def test_predict_purchases_matches_equation_10_with_series(x, tx, T):
    r, alpha, a, b = CDNOW.values()
    t = 39.0
    z = t / (alpha + T + t)
    F = hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * F)
    den = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    got = BetaGeo.from_params(**CDNOW).predict_purchases(t, _summary([(x, tx, T)])).iloc[0]
    assert got == pytest.approx(num / den, rel=1e-9)


def test_prob_alive_edge_cases():
    bg = BetaGeo.from_params(**CDNOW)
    s = _summary([(0, 0.0, 30.0), (3, 32.0, 32.0), (0, 0.0, 0.0)])
    pa = bg.prob_alive(s).to_numpy()
    r, alpha, a, b = CDNOW.values()
    # one purchase only: alive (drop-out happens only after a repeat purchase)
    assert pa[0] == 1.0
    # recency == T: the odds of having left are a / (b + x - 1)
    assert pa[1] == pytest.approx(1 / (1 + a / (b + 3 - 1)), rel=1e-13)
    assert pa[2] == 1.0


@pytest.mark.parametrize("t", [1.0, 10.0, 39.0, 78.0])
def test_expected_purchases_new_matches_integral(t):
    params = {"r": 1.4, "alpha": 6.0, "a": 1.3, "b": 2.5}
    r, alpha, a, b = params.values()
    want = integrate.quad(
        lambda p: stats.beta(a, b).pdf(p) * (1 - (alpha / (alpha + p * t)) ** r) / p, 0, 1,
        epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    got = BetaGeo.from_params(**params).expected_purchases_new(t)
    assert got == pytest.approx(want, rel=1e-8)
    # equation 9 with the series of the hypergeometric function
    eq9 = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1_series(
        r, b, a + b - 1, t / (alpha + t), terms=20000))
    assert got == pytest.approx(eq9, rel=1e-6)


def test_purchase_distribution_is_equation_8_and_sums_to_one():
    r, alpha, a, b = CDNOW.values()
    bg = BetaGeo.from_params(**CDNOW)
    t = 30.0
    B = special.beta
    for n in range(6):
        first = (B(a, b + n) / B(a, b) * special.gamma(r + n) / (special.gamma(r)
                 * special.factorial(n)) * (alpha / (alpha + t)) ** r * (t / (alpha + t)) ** n)
        second = 0.0
        if n > 0:
            j = np.arange(n)
            fs = (special.gamma(r + j) / (special.gamma(r) * special.factorial(j))
                  * (t / (alpha + t)) ** j).sum()
            second = B(a + 1, b + n - 1) / B(a, b) * (1 - (alpha / (alpha + t)) ** r * fs)
        assert bg.purchase_distribution(t, n) == pytest.approx(first + second, rel=1e-10)
    probs = bg.purchase_distribution(t, np.arange(2000))
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    # and the mean is equation 9
    assert (np.arange(2000) * probs).sum() == pytest.approx(bg.expected_purchases_new(t), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------

def test_bgnbd_recovers_cdnow_parameters_within_three_standard_errors(fitted):
    bg, _ = fitted
    for name, true in CDNOW.items():
        assert abs(bg.params_[name] - true) < 3 * bg.standard_errors_[name], (
            name, bg.params_[name], true, bg.standard_errors_[name])
    assert bg.freq_ == "W"
    table = bg.summary
    assert list(table.columns) == ["coef", "se", "lower_95", "upper_95"]
    assert (table["lower_95"] < table["coef"]).all() and (table["coef"] < table["upper_95"]).all()


def test_gamma_gamma_recovers_parameters_within_three_standard_errors(fitted, sim):
    _, gg = fitted
    for name, true in GG_TRUE.items():
        assert abs(gg.params_[name] - true) < 3 * gg.standard_errors_[name], (
            name, gg.params_[name], true, gg.standard_errors_[name])
    assert gg.excluded_["no_repeat"] == int((sim["frequency"] == 0).sum())
    assert gg.excluded_["non_positive_value"] == 0


def test_fit_reaches_the_maximum_of_the_likelihood(fitted, sim):
    # the fitted parameters beat every small move in each direction
    bg, _ = fitted
    best = bg.log_likelihood(sim).sum()
    assert best == pytest.approx(bg.log_likelihood_, rel=1e-12)
    for name in _bgnbd._BG_NAMES:
        for f in (0.999, 1.001):
            p = dict(bg.params_)
            p[name] *= f
            assert BetaGeo.from_params(**p).log_likelihood(sim).sum() < best


def test_standard_errors_match_the_observed_information(fitted, sim):
    # finite differences of the log-likelihood in the natural parameters, computed here
    bg, _ = fitted
    names = list(_bgnbd._BG_NAMES)
    theta = np.array([bg.params_[k] for k in names])
    h = theta * 1e-4

    def ll(v):
        return BetaGeo.from_params(**dict(zip(names, v, strict=True))).log_likelihood(sim).sum()

    H = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = (ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej)
                       + ll(theta - ei - ej)) / (4 * h[i] * h[j])
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    got = np.array([bg.standard_errors_[k] for k in names])
    np.testing.assert_allclose(got, se, rtol=1e-3)


def test_weighted_fit_equals_unweighted(sim):
    small = sim.iloc[:5000].copy()
    small["recency"] = np.round(small["recency"])
    small["T"] = np.round(small["T"])
    small.loc[small["frequency"] == 0, "recency"] = 0.0
    small["recency"] = np.minimum(small["recency"], small["T"])
    grouped = small.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    assert len(grouped) < len(small)
    full = BetaGeo().fit(small)
    weighted = BetaGeo().fit(grouped, weights="n")
    arr = BetaGeo().fit(grouped, weights=grouped["n"].to_numpy())
    for k in _bgnbd._BG_NAMES:
        assert weighted.params_[k] == pytest.approx(full.params_[k], rel=1e-7)
        assert arr.params_[k] == pytest.approx(full.params_[k], rel=1e-7)
        assert weighted.standard_errors_[k] == pytest.approx(full.standard_errors_[k], rel=1e-4)
    assert weighted.n_customers_ == len(small)
    assert full.n_rows_ == len(grouped)


def test_penalizer_shrinks_parameters(sim):
    free = BetaGeo().fit(sim.iloc[:3000])
    pen = BetaGeo(penalizer=0.1).fit(sim.iloc[:3000])
    norm = sum(v ** 2 for k, v in pen.params_.items() if k != "alpha")
    assert norm < sum(v ** 2 for k, v in free.params_.items() if k != "alpha")


def test_fit_is_independent_of_row_order_and_leaves_input_unchanged(sim):
    part = sim.iloc[:4000]
    before = part.copy()
    a = BetaGeo().fit(part)
    b = BetaGeo().fit(part.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(part, before)
    for k in _bgnbd._BG_NAMES:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-8)


def test_huge_frequencies_stay_finite():
    bg = BetaGeo.from_params(**CDNOW)
    s = _summary([(1e4, 300.0, 400.0), (1e4, 400.0, 400.0), (5e3, 100.0, 100.5)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = bg.log_likelihood(s)
        pa = bg.prob_alive(s)
        pred = bg.predict_purchases(10.0, s)
    assert np.isfinite(ll).all() and np.isfinite(pa).all() and np.isfinite(pred).all()
    assert pa.iloc[0] < 1e-100  # a daily buyer silent for 100 periods is gone
    # alive and buying at rate about x / T: close to t * x / T purchases in the next t periods
    rate = (CDNOW["r"] + 1e4) / (CDNOW["alpha"] + 400)  # posterior mean purchase rate
    assert pred.iloc[1] == pytest.approx(10 * rate * pa.iloc[1], rel=0.02)
    # a fit with such a customer converges
    rows = [(0, 0, 30), (1, 10, 30), (2, 20, 40), (3, 5, 40), (0, 0, 10), (1e4, 39, 40),
            (4, 30, 35), (1, 2, 35), (0, 0, 25), (2, 24, 25)]
    fit = BetaGeo(penalizer=0.01).fit(_summary(rows))
    assert all(np.isfinite(v) for v in fit.params_.values())


def test_customer_with_T_zero_and_one_purchase():
    bg = BetaGeo.from_params(**CDNOW)
    s = _summary([(0, 0.0, 0.0)])
    assert bg.log_likelihood(s).iloc[0] == pytest.approx(0.0, abs=1e-14)
    assert bg.predict_purchases(10.0, s).iloc[0] == pytest.approx(
        bg.expected_purchases_new(10.0), rel=1e-12)


def test_fit_with_t_zero_rows_and_one_off_customers(sim):
    extra = pd.DataFrame({"frequency": [0.0] * 50, "recency": [0.0] * 50, "T": [0.0] * 50})
    both = pd.concat([sim.iloc[:3000][["frequency", "recency", "T"]], extra], ignore_index=True)
    a = BetaGeo().fit(sim.iloc[:3000])
    b = BetaGeo().fit(both)  # a customer with T = 0 carries no information
    for k in _bgnbd._BG_NAMES:
        assert b.params_[k] == pytest.approx(a.params_[k], rel=1e-7)


# ---------------------------------------------------------------------------------------------
# BG/NBD: errors
# ---------------------------------------------------------------------------------------------

def test_no_repeat_purchases_is_an_error():
    s = _summary([(0, 0, 10), (0, 0, 20)])
    with pytest.raises(DataError, match=r"No customer in `summary` has a repeat purchase"):
        BetaGeo().fit(s)


def test_non_convergence_is_an_error():
    # every repeat customer bought on the last day: nothing tells how customers drop out
    rng = np.random.default_rng(1)
    T = rng.integers(50, 300, 200).astype(float)
    s = _summary(np.column_stack([rng.integers(1, 20, 200), T, T]))
    # (where the search stops depends on the platform's arithmetic: either refusal names the cause)
    with pytest.raises(DataError, match=r"BG/NBD fit (did not converge|has no unique optimum).*No dropout is "
                                        r"identifiable.*A penalizer does not help"):
        BetaGeo().fit(s)
    # the advice is true: with the penalizer it would have suggested, it still fails
    with pytest.raises(DataError, match=r"No dropout is identifiable"):
        BetaGeo(penalizer=0.001).fit(s)


def test_penalizer_advice_is_never_the_penalizer_already_used():
    from crm_lib.clv._engine import _penalizer_hint

    assert "BetaGeo(penalizer=0.001)" in _penalizer_hint("BetaGeo", 0.0)
    used = _penalizer_hint("BetaGeo", 0.001)
    assert used.startswith("BetaGeo(penalizer=0.001) did not help") and "penalizer=0.01)" in used
    assert "try" not in _penalizer_hint("GammaGamma", 0.1).lower()
    # a Gamma-Gamma fit on one spend value does not converge without a penalizer
    s = pd.DataFrame({"frequency": [1.0, 2.0, 3.0], "monetary_value": [5.0, 5.0, 5.0]})
    with pytest.raises(DataError, match=r"Try a penalizer, e\.g\. GammaGamma\(penalizer=0\.001\)"):
        GammaGamma().fit(s)
    assert GammaGamma(penalizer=0.001).fit(s).params_["q"] > 0  # and that advice helps here


def test_not_fitted():
    with pytest.raises(NotFittedError, match=r"BetaGeo model is not fitted yet"):
        BetaGeo().prob_alive(_summary([(1, 1, 2)]))
    with pytest.raises(DataError, match=r"GammaGamma model is not fitted yet"):
        GammaGamma().expected_spend(pd.DataFrame({"frequency": [1.0], "monetary_value": [2.0]}))


@pytest.mark.parametrize("rows, match", [
    ([(1, 5, 4)], r"Column 'recency' in `summary` must be at most T \(the last purchase .*\); 1 row is not \(row 0: 5\)"),
    ([(1.5, 1, 4)], r"Column 'frequency' in `summary` must be a whole number >= 0"),
    ([(-1, 0, 4)], r"Column 'frequency' .* 1 row is not \(row 0: -1\)"),
    ([(0, 2, 4)], r"Column 'recency' in `summary` must be 0 where frequency is 0"),
    ([(1, 1, np.nan)], r"Column 'T' in `summary` must be a finite number .*row 0: empty"),
    ([(1, -1, 3)], r"Column 'recency' in `summary` must be >= 0"),
])
def test_bad_summaries(rows, match):
    with pytest.raises(DataError, match=match):
        BetaGeo().fit(_summary(rows))


def test_missing_column_and_bad_penalizer_and_weights():
    with pytest.raises(DataError, match=r"Column 'T' not found in `summary`"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1.0], "recency": [1.0]}))
    with pytest.raises(DataError, match=r"`penalizer` must be a number >= 0, got -1"):
        BetaGeo(penalizer=-1).fit(_summary([(1, 1, 2)]))
    with pytest.raises(DataError, match=r"`weights` must have one value per row of `summary` \(1\), got 2"):
        BetaGeo().fit(_summary([(1, 1, 2)]), weights=[1, 2])
    with pytest.raises(DataError, match=r"Column 'weights' in `summary` must be >= 0"):
        BetaGeo().fit(_summary([(1, 1, 2)]), weights=[-1])
    with pytest.raises(DataError, match=r"`summary` has no rows"):
        BetaGeo().fit(_summary([]))
    with pytest.raises(DataError, match=r"Column 'frequency' in `summary` must be numeric; 1 row is not \(row 0: 'x'\)"):
        BetaGeo().fit(pd.DataFrame({"frequency": ["x"], "recency": [1.0], "T": [2.0]}))


# ---------------------------------------------------------------------------------------------
# BG/NBD: matrices and model checks
# ---------------------------------------------------------------------------------------------

def test_matrices_have_lifetimes_layout():
    bg = BetaGeo.from_params(**CDNOW)
    m = bg.prob_alive_matrix(max_frequency=5, max_recency=30)
    assert m.shape == (31, 6) and m.index.name == "recency" and m.columns.name == "frequency"
    s = _summary([(3, 12, 30), (5, 30, 30), (1, 0, 30)])
    pa = bg.prob_alive(s).to_numpy()
    assert m.loc[12, 3] == pytest.approx(pa[0], rel=1e-14)
    assert m.loc[30, 5] == pytest.approx(pa[1], rel=1e-14)
    e = bg.expected_purchases_matrix(10.0, max_frequency=5, max_recency=30)
    assert e.loc[12, 3] == pytest.approx(bg.predict_purchases(10.0, s).iloc[0], rel=1e-14)
    with pytest.raises(DataError, match=r"Pass `max_frequency` and `max_recency`"):
        bg.prob_alive_matrix()


def test_period_transactions_counts(fitted, sim):
    bg, _ = fitted
    out = bg.period_transactions(sim, max_frequency=4)
    assert out["bucket"].tolist() == ["0", "1", "2", "3", "4+"]
    x = sim["frequency"]
    want = [(x == 0).sum(), (x == 1).sum(), (x == 2).sum(), (x == 3).sum(), (x >= 4).sum()]
    assert out["actual"].tolist() == [float(v) for v in want]
    assert out["model"].sum() == pytest.approx(len(sim), rel=1e-12)
    # the model fitted on these data reproduces them closely
    np.testing.assert_allclose(out["model"], out["actual"], rtol=0.05)


def test_holdout_purchases_by_frequency():
    bg = BetaGeo.from_params(**CDNOW)
    s = pd.DataFrame({"frequency_cal": [0.0, 0.0, 1.0, 3.0, 9.0],
                      "recency_cal": [0.0, 0.0, 5.0, 20.0, 30.0],
                      "T_cal": [30.0, 20.0, 30.0, 30.0, 31.0],
                      "frequency_holdout": [0.0, 1.0, 2.0, 1.0, 4.0],
                      "duration_holdout": [26.0] * 5})
    out = bg.holdout_purchases(s, max_frequency=3)
    assert out["bucket"].tolist() == ["0", "1", "3+"]
    assert out["customers"].tolist() == [2.0, 1.0, 2.0]
    assert out["actual"].tolist() == [0.5, 2.0, 2.5]
    pred = bg.predict_purchases(26.0, s.rename(columns=lambda c: c.replace("_cal", "")))
    assert out["predicted"].iloc[2] == pytest.approx(pred.iloc[3:].mean(), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, m", [(1, 20.0), (3, 12.5), (10, 40.0)])
def test_gamma_gamma_likelihood_and_expected_spend_from_the_definition(x, m):
    p, q, v = 6.0, 4.0, 15.0
    # mean of x Gamma(p, rate nu) values is Gamma(p x, rate x nu); nu ~ Gamma(q, rate v)
    prior = stats.gamma(q, scale=1 / v)

    def joint(nu):
        return stats.gamma(p * x, scale=1 / (x * nu)).pdf(m) * prior.pdf(nu)

    lik = integrate.quad(joint, 0, np.inf, epsabs=1e-15, epsrel=1e-11, limit=200)[0]
    post_mean = integrate.quad(lambda nu: p / nu * joint(nu), 0, np.inf, epsabs=1e-15,
                               epsrel=1e-11, limit=200)[0] / lik
    got_ll = _gammagamma._gg_loglik((p, q, v), np.array([x]), np.array([m]))[0]
    assert np.exp(got_ll) == pytest.approx(lik, rel=1e-7)
    gg = GammaGamma.from_params(p=p, q=q, v=v)
    got = gg.expected_spend(pd.DataFrame({"frequency": [float(x)], "monetary_value": [m]}))
    assert got.iloc[0] == pytest.approx(post_mean, rel=1e-7)


def test_expected_spend_of_one_off_customer_is_population_mean():
    gg = GammaGamma.from_params(p=6.0, q=4.0, v=15.0)
    s = pd.DataFrame({"frequency": [0.0], "monetary_value": [123.0]})
    assert gg.expected_spend(s).iloc[0] == pytest.approx(6.0 * 15.0 / 3.0, rel=1e-14)


def test_gamma_gamma_exclusions_and_errors():
    s = pd.DataFrame({"frequency": [1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 4.0],
                      "monetary_value": [20.0, -5.0, 0.0, 18.0, 30.0, 25.0, 22.0]})
    with pytest.warns(DataWarning, match=r"1 repeat customer of `summary` left out .*\(row 1: -5\)"):
        gg = GammaGamma(penalizer=0.01).fit(s)
    assert gg.excluded_ == {"no_repeat": 1, "non_positive_value": 1}
    with pytest.raises(DataError, match=r"No customer in `summary` has a repeat purchase with a positive"):
        GammaGamma().fit(pd.DataFrame({"frequency": [0.0, 0.0], "monetary_value": [0.0, 1.0]}))
    with pytest.raises(DataError, match=r"Column 'monetary_value' not found in `summary`"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1.0]}))


def test_gamma_gamma_weighted_equals_unweighted(sim):
    part = sim[sim["frequency"] > 0].iloc[:2000][["frequency", "monetary_value"]]
    part = part.assign(monetary_value=np.round(part["monetary_value"]))
    part = part[part["monetary_value"] > 0]
    grouped = part.groupby(["frequency", "monetary_value"]).size().rename("n").reset_index()
    a = GammaGamma().fit(part)
    b = GammaGamma().fit(grouped, weights="n")
    for k in _gammagamma._GG_NAMES:
        assert b.params_[k] == pytest.approx(a.params_[k], rel=1e-7)


def test_frequency_monetary_correlation():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 500).astype(float)
    indep = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(5, 10, 500)})
    out = frequency_monetary_correlation(indep)
    assert out["pearson"].iloc[0] == pytest.approx(np.corrcoef(x, indep["monetary_value"])[0, 1])
    assert out["spearman"].iloc[0] == pytest.approx(
        stats.spearmanr(x, indep["monetary_value"]).statistic)
    assert bool(out["independent"].iloc[0])
    dep = indep.assign(monetary_value=x * 10 + rng.normal(0, 1, 500))
    with pytest.warns(DataWarning, match=r"Frequency and mean spend of the 500 repeat customers are correlated"):
        out = frequency_monetary_correlation(dep)
    assert not bool(out["independent"].iloc[0])


# ---------------------------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------------------------

def test_lifetime_value_is_lifetimes_definition(fitted, sim):
    bg, gg = fitted
    s = sim.iloc[:200]
    out = lifetime_value(bg, gg, s, months=6, discount_rate=0.02, margin=0.3)
    spend = gg.expected_spend(s)
    want = np.zeros(len(s))
    for i in range(1, 7):  # the definition, month by month
        L = 365.25 / 12 / 7  # one month in weeks
        step = bg.predict_purchases(i * L, s) - bg.predict_purchases((i - 1) * L, s)
        want += (spend * step / 1.02 ** i).to_numpy()
    np.testing.assert_allclose(out["clv"], 0.3 * want, rtol=1e-10)
    np.testing.assert_allclose(out["expected_purchases"],
                               bg.predict_purchases(6 * 365.25 / 12 / 7, s), rtol=1e-10)
    assert out.index.equals(s.index)
    assert out.attrs["freq"] == "W" and out.attrs["month_length"] == pytest.approx(4.348214285714)


def test_lifetime_value_same_in_days_and_weeks(sim):
    # the same customers in days and in weeks: the fits agree, and with one month length
    # (365.25 / 12 days = 4.348 weeks) in both units so do the CLVs
    weeks = sim.iloc[:8000]
    days = weeks.assign(recency=weeks["recency"] * 7, T=weeks["T"] * 7)
    days.attrs["freq"] = "D"
    bw, bd = BetaGeo().fit(weeks), BetaGeo().fit(days)
    assert bd.params_["alpha"] == pytest.approx(7 * bw.params_["alpha"], rel=1e-6)
    assert bd.params_["r"] == pytest.approx(bw.params_["r"], rel=1e-6)
    gg = GammaGamma().fit(weeks)
    cw = lifetime_value(bw, gg, weeks)["clv"].sum()
    cd = lifetime_value(bd, gg, days)["clv"].sum()
    assert cd == pytest.approx(cw, rel=1e-6)
    # lifetimes' months (30 days, 4.345 weeks = 30.415 days) make them differ
    cd30 = lifetime_value(bd, gg, days, month_length={"D": 30.0})["clv"].sum()
    cw30 = lifetime_value(bw, gg, weeks, month_length={"W": 4.345})["clv"].sum()
    assert abs(cw30 / cd30 - 1) > 1e-3
    assert cd30 < cw30 < cd


def test_lifetime_value_refuses_mismatched_units(fitted, sim):
    bg, gg = fitted
    with pytest.raises(DataError, match=r"`freq`='D' disagrees with the period unit the summary records \(attrs\['freq'\]='W'\)"):
        lifetime_value(bg, gg, sim, freq="D")
    bare = pd.DataFrame(sim.iloc[:10])
    bare.attrs = {}
    with pytest.raises(DataError, match=r"records no period unit"):
        lifetime_value(bg, gg, bare)
    daily = sim.iloc[:10].copy()
    daily.attrs["freq"] = "D"
    with pytest.raises(DataError, match=r"fitted on 'W' periods but the summary is in 'D'"):
        lifetime_value(bg, gg, daily)
    # an explicit unit on a summary without record is taken
    out = lifetime_value(bg, gg, bare, freq="W")
    assert out.attrs["freq"] == "W"
    with pytest.raises(DataError, match=r"`freq` must be one of \['D', 'W', 'M'\], got 'H'"):
        lifetime_value(bg, gg, bare, freq="H")
    with pytest.raises(DataError, match=r"`months` must be a whole number >= 1"):
        lifetime_value(bg, gg, sim, months=0)


def test_lifetime_value_input_unchanged_and_nonnegative(fitted, sim):
    bg, gg = fitted
    s = sim.iloc[:300]
    before = s.copy()
    out = lifetime_value(bg, gg, s)
    pd.testing.assert_frame_equal(s, before)
    assert (out["clv"] >= 0).all()
    # more months, more value; a higher discount rate, less
    assert (lifetime_value(bg, gg, s, months=24)["clv"] >= out["clv"]).all()
    assert (lifetime_value(bg, gg, s, discount_rate=0.05)["clv"] <= out["clv"]).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 30), st.floats(0, 1), st.floats(0, 200)),
                     min_size=1, max_size=15),
       t=st.floats(0, 100))
def test_prediction_properties(rows, t):
    bg = BetaGeo.from_params(**CDNOW)
    s = _summary([(x, (u * T if x > 0 else 0.0), T) for x, u, T in rows])
    pa = bg.prob_alive(s)
    pred = bg.predict_purchases(t, s)
    assert ((pa >= 0) & (pa <= 1)).all()
    assert (pred >= -1e-12).all()
    assert (bg.predict_purchases(t + 10, s) >= pred - 1e-12).all()
    # each row predicted on its own gives the same value (row-order independence)
    rev = s.iloc[::-1]
    pd.testing.assert_series_equal(bg.predict_purchases(t, rev).sort_index(), pred.sort_index())


# ---------------------------------------------------------------------------------------------
# historical and cohort value
# ---------------------------------------------------------------------------------------------

def test_historical_and_cohort_clv():
    s = pd.DataFrame({"gross_profit": [10.0, 30.0, 5.0, 7.0],
                      "first_purchase": pd.to_datetime(["2026-01-05", "2026-02-01",
                                                        "2026-04-01", "2025-01-31"])},
                     index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    s.attrs["as_of"] = pd.Timestamp("2026-10-31")
    h = historical_clv(s)
    assert h["historical_clv"].tolist() == [10.0, 30.0, 5.0, 7.0]
    month = 365.25 / 12  # MONTH_DAYS
    assert h.loc["c", "tenure_months"] == pytest.approx(213 / month)
    assert h.loc["c", "historical_clv_per_month"] == pytest.approx(5.0 / (213 / month))
    c = cohort_clv(s)
    assert c["cohort"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2026-01-01"),
                                    pd.Timestamp("2026-04-01")]
    assert c["customers"].tolist() == [1.0, 2.0, 1.0]
    assert c["value_per_customer"].tolist() == [7.0, 20.0, 5.0]
    pred = pd.DataFrame({"clv": [1.0, 3.0, 5.0, 7.0]}, index=s.index[::-1])  # aligned by id
    c2 = cohort_clv(s, clv=pred, cohort_freq="M")
    assert c2["predicted_clv_per_customer"].tolist() == [1.0, 7.0, 5.0, 3.0]
    with pytest.raises(DataError, match=r"Column 'gross_profit' not found .* value_col='sales'"):
        historical_clv(s[["first_purchase"]])
    with pytest.raises(DataError, match=r"`cohort_freq` must be one of"):
        cohort_clv(s, cohort_freq="W")


# ---------------------------------------------------------------------------------------------
# replenishment
# ---------------------------------------------------------------------------------------------

def _rep_summary():
    s = pd.DataFrame({
        "frequency": [3.0, 0.0, 4.0, 2.0, 5.0, 1.0],
        "recency": [60.0, 0.0, 80.0, 40.0, 50.0, 20.0],
        "T": [70.0, 5.0, 81.0, 66.0, 400.0, 70.0],
        "last_purchase": pd.to_datetime(["2026-10-21", "2026-10-26", "2026-10-30",
                                         "2026-10-05", "2025-10-01", "2026-09-11"]),
    }, index=pd.Index(["a", "b", "c", "d", "e", "f"], name="customer_id"))
    s.attrs.update(freq="D", as_of=pd.Timestamp("2026-10-31"))
    return s


def test_replenishment_list():
    bg = BetaGeo.from_params(r=1.0, alpha=20.0, a=0.5, b=5.0, freq="D")
    s = _rep_summary()
    before = s.copy()
    out = replenishment(s, model=bg, within_days=14)
    pd.testing.assert_frame_equal(s, before)
    pa = bg.prob_alive(s)
    # b has no repeat purchase; e has not bought for 395 days at a 10-day rhythm
    assert pa["e"] < 0.5 <= pa["d"]
    assert list(out.index) == ["f", "d", "a", "c"]  # sorted by the next purchase date
    assert out.attrs["excluded"] == {"no_repeat": 1, "inactive": 1}
    assert out.loc["a", "interval_days"] == 20.0
    assert out.loc["a", "next_purchase"] == pd.Timestamp("2026-11-10")
    assert out.loc["a", "status"] == "due" and out.loc["a", "days_until"] == 10
    assert out.loc["c", "next_purchase"] == pd.Timestamp("2026-11-19")
    assert out.loc["c", "status"] == "later" and not out.loc["c", "due"]
    # d should have bought on 10-25 (6 days late, less than its 20-day interval): overdue;
    # f should have bought on 10-01, 30 days late, more than its 20-day interval: lapsed
    assert out.loc["d", "status"] == "overdue" and out.loc["d", "due"]
    assert out.loc["f", "status"] == "lapsed" and not out.loc["f", "due"]
    # nearest to as_of first: d is 6 days late, a is due in 10 days
    assert due_list(out).index.tolist() == ["d", "a"]
    names = pd.DataFrame({"customer_id": ["a", "d"], "name": ["Ann", "Dan"]})
    assert due_list(out, names)["name"].tolist() == ["Dan", "Ann"]
    # the band: quantiles of the waiting time, lambda ~ Gamma(r + x, rate alpha + T)
    r, alpha = 1.0, 20.0
    x, T = 3.0, 70.0

    def cdf(w):
        post = stats.gamma(r + x, scale=1 / (alpha + T))
        return integrate.quad(lambda lam: (1 - np.exp(-lam * w)) * post.pdf(lam), 0, np.inf)[0]

    for col, q in (("next_purchase_early", 0.25), ("next_purchase_late", 0.75)):
        days = (out.loc["a", col] - out.loc["a", "last_purchase"]).days
        assert cdf(days - 1) < q + 1e-9 and cdf(days + 1) > q - 1e-9, (col, days)


def test_replenishment_units_and_errors():
    bg = BetaGeo.from_params(r=1.0, alpha=20.0, a=0.5, b=5.0, freq="D")
    s = _rep_summary()
    with pytest.raises(DataError, match=r"`as_of`=2026-11-30 disagrees with the summary's end"):
        replenishment(s, model=bg, as_of="2026-11-30")
    with pytest.raises(DataError, match=r"`band` must be two increasing quantiles"):
        replenishment(s, model=bg, band=(0.8, 0.2))
    weekly = s.drop(columns="last_purchase").assign(recency=s["recency"] / 7, T=s["T"] / 7)
    weekly.attrs.update(freq="W", as_of=pd.Timestamp("2026-10-31"))
    with pytest.raises(DataError, match=r"fitted on 'D' periods but the summary is in 'W'"):
        replenishment(weekly, model=bg)
    bgw = BetaGeo.from_params(r=1.0, alpha=20.0 / 7, a=0.5, b=5.0, freq="W")
    out = replenishment(weekly, model=bgw)
    # without last_purchase the date is as_of minus (T - recency) periods
    assert out.loc["a", "last_purchase"] == pd.Timestamp("2026-10-21")
    assert out.loc["a", "interval_days"] == pytest.approx(20.0)


# ---------------------------------------------------------------------------------------------
# the sample company: its generator draws from the BG/NBD and Gamma-Gamma processes
# ---------------------------------------------------------------------------------------------

def _fit_purchases(transactions, end):
    from crm_lib.summary import customer_summary
    purchases = transactions[transactions["quantity"] > 0]  # returns are not purchases
    s = customer_summary(purchases, as_of=end, freq="D")
    return s, BetaGeo().fit(s), GammaGamma().fit(s)


def test_recovers_the_truth_of_the_embedded_sample():
    import json
    from pathlib import Path

    import crm_lib as crm

    folder = Path(__file__).resolve().parents[1] / "data" / "sample"
    truth = json.loads((folder / "TRUTH.json").read_text())
    ds = crm.load_dataset(folder)
    s, bg, gg = _fit_purchases(ds.transactions, truth["end"])
    assert truth["bgnbd"]["period"] == "day" and s.attrs["freq"] == "D"
    # the generator places at most one order per customer and day (TRUTH.json:
    # orders_per_customer_and_day), so the daily summary counts every repeat order
    assert truth["bgnbd"]["orders_per_customer_and_day"] == 1
    assert s["frequency"].sum() == truth["orders_total"] - len(s)
    for name, est in bg.params_.items():
        true = truth["bgnbd"][name]
        assert abs(est - true) < 3 * bg.standard_errors_[name], (
            name, est, true, bg.standard_errors_[name])
    # On 3 000 customers p and v of the Gamma-Gamma are strongly correlated (only their product
    # is well determined): check q and the mean spend p v / (q - 1), whose standard error comes
    # from the covariance matrix by the delta method.
    tg = truth["gamma_gamma"]
    p, q, v = (gg.params_[k] for k in ("p", "q", "v"))
    assert abs(q - tg["q"]) < 3 * gg.standard_errors_["q"]
    grad = np.array([v / (q - 1), -p * v / (q - 1) ** 2, p / (q - 1)])
    se_mean = float(np.sqrt(grad @ gg.covariance_.to_numpy() @ grad))
    assert abs(p * v / (q - 1) - tg["p"] * tg["v"] / (tg["q"] - 1)) < 3 * se_mean


@pytest.mark.slow
def test_recovers_the_generator_truth_on_a_large_draw():
    # On 50 000 customers the standard errors are about 1 % of r and alpha, 2-4 % of a, b, p and
    # v: the check is sharp. The day rounding of purchase times (TRUTH.json: purchase_times)
    # moves the fit by well under one of these standard errors (docs/sample.md), so the
    # tolerance is the plain three standard errors of every parameter.
    from crm_lib.sample import generate

    company = generate(50_000, seed=1)
    truth = company.truth
    _, bg, gg = _fit_purchases(company["transactions"], truth["end"])
    for model, true_params in ((bg, truth["bgnbd"]), (gg, truth["gamma_gamma"])):
        for name, est in model.params_.items():
            true, se = true_params[name], model.standard_errors_[name]
            assert abs(est - true) < 3 * se, (name, est, true, se)
            assert se < 0.05 * true, (name, se)     # the draw is large enough to tell


def test_top_customers_groups_and_unit():
    c = pd.DataFrame({"clv": [5.0, 9.0, 9.0, 1.0]},
                     index=pd.Index(["c", "b", "a", "d"], name="customer_id"))
    names = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "name": ["A", "B", "C", "D"],
                          "region": ["N", "S", "N", None]})
    top = top_customers(c, names, n=3)
    assert top.index.tolist() == ["a", "b", "c"] and top["name"].tolist() == ["A", "B", "C"]
    g = clv_by(c, names.set_index("customer_id"), by="region")
    assert g["region"].tolist() == ["N", "S", "(none)"]
    assert g["clv"].tolist() == [14.0, 9.0, 1.0]
    assert g["clv_share"].sum() == pytest.approx(1.0)
    assert g["customers"].sum() == len(c)  # every customer in exactly one group
    with pytest.raises(DataError, match=r"`groups` must have one row per customer; 1 customer ids repeat"):
        clv_by(c, pd.Series(["x", "y"], index=["a", "a"]))
    s = _summary([(0, 0, 10), (2, 5, 10)], freq="W")
    u = describe_unit(s)
    assert u["period_unit"].iloc[0] == "clv_unit_W" and u["period_days"].iloc[0] == 7.0
    assert u["repeat_customers"].iloc[0] == 1.0
    s.attrs = {}
    with pytest.raises(DataError, match=r"records no period unit"):
        describe_unit(s)


def test_gamma_gamma_and_clv_row_order_and_input(fitted, sim):
    part = sim.iloc[:3000]
    before = part.copy()
    shuffled = part.sample(frac=1.0, random_state=5)
    a = GammaGamma().fit(part)
    b = GammaGamma().fit(shuffled)
    pd.testing.assert_frame_equal(part, before)
    for k in _gammagamma._GG_NAMES:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-8)
    bg, gg = fitted
    v1 = lifetime_value(bg, gg, part)
    v2 = lifetime_value(bg, gg, shuffled)
    pd.testing.assert_frame_equal(v1, v2.loc[v1.index], check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(part, before)


def test_charts_draw_the_results(fitted, sim):
    from crm_lib import plots

    bg, gg = fitted
    s = sim.iloc[:500].copy()
    value = lifetime_value(bg, gg, s)
    figs = [
        plots.clv_param_table(pd.concat([bg.summary, gg.summary]), lang="zh"),
        plots.clv_period_transactions(bg.period_transactions(s), lang="zh"),
        plots.clv_prob_alive_heatmap(bg.prob_alive_matrix(10, 39)),
        plots.clv_top_customers(top_customers(value, n=5)),
        plots.clv_by_group_bars(clv_by(value, pd.Series("all", index=s.index, name="tier")),
                                by="tier"),
    ]
    assert figs[0].data[0].header.values[0] == "参数"
    assert list(figs[1].data[0].x) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert figs[2].data[0].z.shape == (40, 11)
    assert len(figs[3].data[0].y) == 5
    assert figs[4].data[0].text[0] == "100%"


def test_clv_of_the_sample_summarised_in_days_and_in_weeks():
    # the same transactions summarised per day and per week: weekly periods merge purchases of
    # one week, so the fits differ a little, but with the unit read from the summary the CLV
    # totals agree (a daily month length on the weekly summary would make it about 7x larger)
    from pathlib import Path

    import crm_lib as crm
    from crm_lib.summary import customer_summary

    ds = crm.load_dataset(Path(__file__).resolve().parents[1] / "data" / "sample")
    totals = {}
    for unit in ("D", "W"):
        s = customer_summary(ds.transactions, freq=unit)
        value = lifetime_value(BetaGeo().fit(s), GammaGamma().fit(s), s)
        assert value.attrs["freq"] == unit
        totals[unit] = value["clv"].sum()
    assert totals["W"] == pytest.approx(totals["D"], rel=0.1)


def test_gross_margin_and_clv_settings(fitted, sim):
    s = pd.DataFrame({"sales": [100.0, 300.0, -20.0], "gross_profit": [30.0, 90.0, -4.0]})
    assert gross_margin(s) == pytest.approx(116 / 380)
    with pytest.raises(DataError, match=r"Column 'gross_profit' not found in `summary`"):
        gross_margin(s[["sales"]])
    with pytest.raises(DataError, match=r"total 'sales' is 0"):
        gross_margin(pd.DataFrame({"sales": [0.0], "gross_profit": [0.0]}))
    bg, gg = fitted
    value = lifetime_value(bg, gg, sim.iloc[:20], months=6, discount_rate=0.02, margin=0.25)
    row = clv_settings(value).iloc[0]
    assert row["period_unit"] == "clv_unit_W" and row["periods_per_month"] == pytest.approx(365.25 / 84)
    assert (row["horizon_months"], row["discount_rate"], row["margin"]) == (6.0, 0.02, 0.25)
    with pytest.raises(DataError, match=r"`clv` records no 'freq'"):
        clv_settings(pd.DataFrame({"clv": [1.0]}))


def test_calibration_end_keeps_the_holdout_whole_months():
    # CDNOW 1997-06-30 with a 6-month holdout: the holdout is 1997-01-01..1997-06-30
    assert calibration_end("1997-06-30", 6) == pd.Timestamp("1996-12-31")
    assert calibration_end(pd.Timestamp("1998-02-28"), 1) == pd.Timestamp("1998-01-31")
    assert calibration_end("1996-03-31", 1) == pd.Timestamp("1996-02-29")  # leap year
    assert calibration_end("2026-10-15", 6) == pd.Timestamp("2026-04-15")
    assert calibration_end("2026-05-30", 3) == pd.Timestamp("2026-02-28")  # clipped
    with pytest.raises(DataError, match=r"`holdout_months` must be a whole number >= 1, got 0"):
        calibration_end("2026-10-31", 0)
    with pytest.raises(DataError, match=r"`as_of` must be a date, got 'soon'"):
        calibration_end("soon", 3)


def test_fit_on_continuous_and_gapped_frequencies_equals_the_compressed_fit(sim):
    # fractional recency and T take the hash path of the row compression, a frequency table with
    # gaps (no customer with x = 2) the unsorted path; both must give the fit of the same
    # customers duplicated (weights 2), which compresses them again
    rng = np.random.default_rng(5)
    s = sim.iloc[:3000].copy()
    s["T"] = s["T"] + rng.uniform(0, 0.5, len(s))
    s["recency"] = np.where(s["frequency"] > 0, s["recency"] + rng.uniform(0, 0.5, len(s)), 0.0)
    s["recency"] = np.minimum(s["recency"], s["T"])
    s = s[s["frequency"] != 2]
    one = BetaGeo().fit(s)
    two = BetaGeo().fit(pd.concat([s, s.iloc[::-1]]))
    assert one.n_rows_ == len(s) and two.n_rows_ == len(s)
    for k in _bgnbd._BG_NAMES:
        assert two.params_[k] == pytest.approx(one.params_[k], rel=1e-8)
    ll = BetaGeo.from_params(**one.params_).log_likelihood(s).sum()
    assert one.log_likelihood_ == pytest.approx(ll, rel=1e-10)


def test_unique_rows_hash_path_agrees_with_numpy():
    from crm_lib.clv._engine import _sorted_unique_rows, _unique_rows

    rng = np.random.default_rng(2)
    a = np.round(rng.uniform(0, 3, 5000), 1)
    b = np.round(rng.uniform(0, 2, 5000), 1) * -1.0 + 0.0
    b[:10] = -0.0  # -0.0 and 0.0 are one value
    b[10:20] = 0.0
    for cols in ([a, b], [a, b, a * 2]):
        got, inv = _unique_rows(cols)
        want = np.unique(np.column_stack(cols), axis=0)
        assert len(got[0]) == len(want)
        for c, u in zip(cols, got, strict=True):
            np.testing.assert_array_equal(u[inv], c)
        got_s, inv_s = _sorted_unique_rows(cols)
        np.testing.assert_array_equal(np.column_stack(got_s), want)
