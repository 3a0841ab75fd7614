"""Row compression of the lifetime-model fits against an independent pandas recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_lib.clv import BetaGeo
from crm_lib.clv._engine import _unique_rows


def _rows(n: int, seed: int, *, continuous: bool) -> pd.DataFrame:
    """BG/NBD customers with the CDNOW parameters, in weeks (fractional, or whole days)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(27, 39, n)
    lam = rng.gamma(0.243, 1 / 4.414, n)
    p = rng.beta(0.793, 2.426, n)
    K = rng.poisson(lam * T)
    x = np.minimum(K, rng.geometric(p))
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    if not continuous:  # whole days: many duplicate rows
        T = np.round(T * 7) / 7
        tx = np.minimum(np.floor(tx * 7) / 7, T)
    return pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T})


@pytest.mark.parametrize("continuous", [False, True])
def test_compressed_rows_and_weights_equal_a_pandas_groupby(continuous):
    df = _rows(20_000, 3, continuous=continuous)
    cols = [df[c].to_numpy() for c in df.columns]
    (ux, utx, uT), inv = _unique_rows(cols)
    weights = np.bincount(inv, minlength=len(ux))
    got = pd.DataFrame({"frequency": ux, "recency": utx, "T": uT, "n": weights})
    want = df.groupby(list(df.columns)).size().rename("n").reset_index()
    got = got.sort_values(list(df.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    for c, u in zip(cols, (ux, utx, uT), strict=True):
        np.testing.assert_array_equal(u[inv], c)
    assert np.all(np.diff(ux) >= 0)  # the frequency leads: rows come sorted by it
    if not continuous:
        assert len(ux) < len(df) / 2


def test_minus_zero_is_zero_in_both_paths():
    a = np.array([0.0, -0.0, 0.5, 0.5, 1.0])
    b = np.array([-0.0, 0.0, 0.25, 0.25, 0.0])
    (ua, ub), inv = _unique_rows([a, b])
    assert len(ua) == 3 and inv[0] == inv[1] and inv[2] == inv[3]
    (ua, ub), inv = _unique_rows([np.abs(a) * 2, np.abs(b) * 0])  # whole numbers: packed key
    assert len(ua) == 3 and inv[0] == inv[1]


@pytest.mark.parametrize("continuous", [False, True])
def test_fit_on_compressed_rows_with_weights_equals_the_fit_on_all_rows(continuous):
    df = _rows(6_000, 4, continuous=continuous)
    one = BetaGeo().fit(df)
    g = df.groupby(list(df.columns)).size().rename("n").reset_index()
    two = BetaGeo().fit(g, weights="n")
    assert one.n_rows_ == two.n_rows_ == len(g)
    for k in one.params_:
        assert two.params_[k] == pytest.approx(one.params_[k], rel=1e-8)
