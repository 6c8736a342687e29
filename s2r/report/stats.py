"""The statistics of a gap report: bootstrap intervals, distribution distances, rank agreement.

Every function takes plain arrays and returns plain floats (or None where a quantity is
undefined, e.g. an interval from one sample), so the results go straight into JSON.

>>> round(mmrv([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]), 4)
0.6667
>>> mmrv([1.0, 2.0, 3.0], [10.0, 20.0, 30.0])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _interval(ci: object) -> list[float | None] | None:
    lo, hi = (_finite(v) for v in (ci.low, ci.high))  # type: ignore[attr-defined]
    return None if lo is None or hi is None else [lo, hi]


def mean_ci(values: Sequence[float] | np.ndarray, resamples: int, seed: int
            ) -> list[float | None] | None:
    """95 % bootstrap (percentile) interval of the mean; None with fewer than 2 values.

    >>> mean_ci([1.0, 1.0, 1.0], 200, 0)
    [1.0, 1.0]
    """
    from scipy.stats import bootstrap

    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return None
    if np.ptp(x) == 0:
        return [float(x[0]), float(x[0])]
    res = bootstrap((x,), np.mean, n_resamples=resamples, confidence_level=CONFIDENCE,
                    method="percentile", rng=np.random.default_rng(seed))
    return _interval(res.confidence_interval)


def gap_ci(sim: Sequence[float] | np.ndarray, real: Sequence[float] | np.ndarray,
           resamples: int, seed: int) -> dict[str, float | list[float | None] | None]:
    """real - sim and real / sim of the means, each with a 95 % bootstrap interval
    (sim and real episodes resampled independently); ratio None when the sim mean is 0."""
    from scipy.stats import bootstrap

    s, r = np.asarray(sim, dtype=float), np.asarray(real, dtype=float)
    diff = float(r.mean() - s.mean())
    ratio = _finite(r.mean() / s.mean()) if s.mean() != 0 else None
    out: dict[str, float | list[float | None] | None] = {
        "difference": diff, "difference_ci": None, "ratio": ratio, "ratio_ci": None}
    if len(s) < 2 or len(r) < 2:
        return out
    rng = np.random.default_rng(seed)

    def difference(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(b, axis=axis) - np.mean(a, axis=axis)

    def quotient(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mean(b, axis=axis) / np.mean(a, axis=axis)

    kw = {"n_resamples": resamples, "confidence_level": CONFIDENCE, "method": "percentile",
          "paired": False, "vectorized": True}
    if np.ptp(s) == 0 and np.ptp(r) == 0:
        out["difference_ci"] = [diff, diff]
    else:
        out["difference_ci"] = _interval(bootstrap((s, r), difference, rng=rng, **kw)
                                         .confidence_interval)
    if ratio is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            res = bootstrap((s, r), quotient, rng=rng, **kw)
        out["ratio_ci"] = _interval(res.confidence_interval)
    return out


def fit_percent(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """Per column: 100 (1 - ||y - yhat|| / ||y - mean(y)||); NaN where y does not move
    (its range below :data:`s2r.compare.STILL`).

    >>> fit_percent(np.array([[0.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [2.0]])).tolist()
    [100.0]
    >>> fit_percent(np.array([[0.0], [1e-19]]), np.array([[0.0], [0.1]])).tolist()
    [nan]
    """
    from s2r.compare import STILL

    y, yhat = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    spread = np.linalg.norm(y - y.mean(axis=0), axis=0)
    still = np.ptp(y, axis=0) <= STILL if len(y) else np.ones(y.shape[1:], bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((spread > 0) & ~still,
                        100.0 * (1.0 - np.linalg.norm(y - yhat, axis=0) / spread), np.nan)


def wasserstein(sim: np.ndarray, real: np.ndarray) -> float:
    """Wasserstein-1 distance of two samples of one channel (in its unit)."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(np.asarray(sim, float), np.asarray(real, float)))


def dtw(sim: Sequence[np.ndarray], real: Sequence[np.ndarray]) -> float:
    """Mean DTW distance of matched episodes (sim episode i with real episode i) of one
    channel: sqrt of the summed squared differences along the best warping path."""
    from dtaidistance import dtw as dtaidtw

    n = min(len(sim), len(real))
    # distance() with use_c: distance_fast (dtaidistance 2.5.1) returns inf for some
    # nearly identical series
    return float(np.mean([dtaidtw.distance(np.array(sim[i], dtype=np.double),
                                           np.array(real[i], dtype=np.double), use_c=True)
                          for i in range(n)]))


def _subsample(x: np.ndarray, n: int) -> np.ndarray:
    return x if len(x) <= n else x[np.linspace(0, len(x) - 1, n).round().astype(int)]


def mmd_test(sim: np.ndarray, real: np.ndarray, *, resamples: int, seed: int,
             max_points: int = 300) -> dict[str, float]:
    """Joint MMD² (RBF kernel, median-heuristic bandwidth) of sim and real rows, with a
    permutation p-value (``scipy.stats.permutation_test``).

    Rows are (time step x channel) vectors, standardised by the pooled standard deviation
    of each channel; at most ``max_points`` evenly spaced rows per side are used.
    """
    from scipy.spatial.distance import cdist
    from scipy.stats import permutation_test

    a, b = _subsample(np.asarray(sim, float), max_points), _subsample(np.asarray(real, float),
                                                                     max_points)
    pooled = np.vstack([a, b])
    std = pooled.std(axis=0)
    pooled = (pooled - pooled.mean(axis=0)) / np.where(std > 0, std, 1.0)
    d2 = cdist(pooled, pooled, "sqeuclidean")
    off = d2[np.triu_indices(len(pooled), 1)]
    median = float(np.median(off[off > 0])) if (off > 0).any() else 1.0
    bandwidth = float(np.sqrt(median / 2.0))  # sigma: median distance^2 = 2 sigma^2
    kernel = np.exp(-d2 / median)

    rowsum, total, na, nb = kernel.sum(axis=1), kernel.sum(), len(a), len(b)

    def mmd2(i: np.ndarray, j: np.ndarray, axis: int = -1) -> np.ndarray:
        one = np.ndim(i) == 1  # i: the pooled indices of group a (per batch row)
        i = np.atleast_2d(i).astype(int)
        z = np.zeros((len(i), len(pooled)))
        np.put_along_axis(z, i, 1.0, axis=1)
        aa = np.einsum("bn,bn->b", z @ kernel, z)
        a_all = z @ rowsum
        ab, bb = a_all - aa, total - 2.0 * a_all + aa
        out = aa / na ** 2 + bb / nb ** 2 - 2.0 * ab / (na * nb)
        return out[0] if one else out

    ia, ib = np.arange(len(a), dtype=float), np.arange(len(a), len(pooled), dtype=float)
    res = permutation_test((ia, ib), mmd2, permutation_type="independent", vectorized=True,
                           n_resamples=resamples, alternative="greater",
                           rng=np.random.default_rng(seed))
    return {"mmd2": float(res.statistic), "p_value": float(res.pvalue),
            "bandwidth": bandwidth, "points_sim": len(a), "points_real": len(b)}


def mmrv(sim: Sequence[float] | np.ndarray, real: Sequence[float] | np.ndarray) -> float:
    """Mean maximum rank violation of sim scores against real scores.

    For policies i, j the rank violation is ``|real_i - real_j|`` if sim orders them the
    other way round than real does (``sim_i < sim_j`` differs from ``real_i < real_j``),
    else 0; MMRV is the mean over i of the largest violation of i. 0: sim ranks every
    pair as real does; larger: a wrong ordering costs that much real score.
    """
    s, r = np.asarray(sim, float), np.asarray(real, float)
    flipped = (s[:, None] < s[None, :]) != (r[:, None] < r[None, :])
    violation = np.abs(r[:, None] - r[None, :]) * flipped
    return float(violation.max(axis=1).mean())


def correlations(sim: Sequence[float], real: Sequence[float]) -> dict[str, float | None]:
    """Pearson and Spearman correlation and MMRV of per-policy sim and real scores."""
    from scipy.stats import pearsonr, spearmanr

    s, r = np.asarray(sim, float), np.asarray(real, float)
    constant = np.ptp(s) == 0 or np.ptp(r) == 0
    return {"pearson": None if constant else _finite(pearsonr(s, r).statistic),
            "spearman": None if constant else _finite(spearmanr(s, r).statistic),
            "mmrv": mmrv(s, r)}
