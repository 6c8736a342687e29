"""The statistics of gap reports, on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.report import stats


def test_mmrv_is_the_mean_of_each_policys_largest_real_gap_of_a_wrong_ordering():
    # sim ranks policy 1 above 2, real ranks them the other way by 5 (real 10 vs 15):
    # policies 1 and 2 each have a violation of 5, policy 0 none -> (0 + 5 + 5) / 3
    assert stats.mmrv([0.0, 2.0, 1.0], [0.0, 10.0, 15.0]) == pytest.approx(10 / 3)
    assert stats.mmrv([1.0, 2.0, 3.0], [5.0, 6.0, 100.0]) == 0.0  # same order
    # a flip between far-apart real scores costs more than between close ones
    assert stats.mmrv([0.0, 1.0], [10.0, 0.0]) == pytest.approx(10.0)


def test_correlations_of_agreeing_and_reversed_rankings():
    same = stats.correlations([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.5])
    assert same["spearman"] == pytest.approx(1.0) and same["pearson"] > 0.99
    reverse = stats.correlations([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert reverse["spearman"] == pytest.approx(-1.0) and reverse["mmrv"] > 0
    assert stats.correlations([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])["pearson"] is None


def test_bootstrap_interval_covers_the_mean_and_narrows_with_more_data():
    rng = np.random.default_rng(1)
    small, large = rng.normal(3.0, 1.0, 10), rng.normal(3.0, 1.0, 400)
    lo, hi = stats.mean_ci(small, 2000, 0)
    lo2, hi2 = stats.mean_ci(large, 2000, 0)
    assert lo < small.mean() < hi and lo2 < 3.0 < hi2
    assert hi2 - lo2 < (hi - lo) / 3
    assert stats.mean_ci([1.0], 100, 0) is None


def test_gap_interval_excludes_zero_only_for_a_real_difference():
    rng = np.random.default_rng(2)
    sim = rng.normal(10.0, 1.0, 30)
    far = stats.gap_ci(sim, rng.normal(5.0, 1.0, 30), 2000, 0)
    assert far["difference"] == pytest.approx(-5.0, abs=0.8)
    assert far["difference_ci"][1] < 0 and 0.4 < far["ratio"] < 0.6
    assert far["ratio_ci"][0] < far["ratio"] < far["ratio_ci"][1]
    near = stats.gap_ci(sim, rng.normal(10.0, 1.0, 30), 2000, 0)
    assert near["difference_ci"][0] < 0 < near["difference_ci"][1]
    assert stats.gap_ci([0.0, 0.0], [1.0, 2.0], 100, 0)["ratio"] is None


def test_mmd_permutation_test_detects_a_shift_and_not_a_resample():
    rng = np.random.default_rng(3)
    a = rng.normal(0.0, 1.0, (200, 3))
    same = stats.mmd_test(a, rng.normal(0.0, 1.0, (200, 3)), resamples=300, seed=0)
    shifted = stats.mmd_test(a, rng.normal(0.6, 1.0, (200, 3)), resamples=300, seed=0)
    assert same["p_value"] > 0.05 and shifted["p_value"] < 0.01
    assert shifted["mmd2"] > 5 * abs(same["mmd2"]) and shifted["bandwidth"] > 0


def test_fit_percent_wasserstein_and_dtw_on_known_signals():
    y = np.sin(np.linspace(0, 6, 200))[:, None]
    assert stats.fit_percent(y, y)[0] == pytest.approx(100.0)
    assert stats.fit_percent(y, np.full_like(y, y.mean()))[0] == pytest.approx(0.0)
    assert stats.wasserstein(np.zeros(50), np.full(50, 0.3)) == pytest.approx(0.3)
    x = np.sin(np.linspace(0, 6, 120))
    assert stats.dtw([x], [x.copy()]) == 0.0
    delayed = np.concatenate([np.zeros(5), x[:-5]])  # a shift DTW warps away, RMS does not
    assert stats.dtw([x], [delayed]) < 0.5 * np.sqrt(np.sum((x - delayed) ** 2))
