"""analyse(): identified combinations, covariance (plain and cluster-robust), warnings."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.errors import ParameterError
from s2r.sysid.identifiability import analyse, require_effect

LOG = np.array([True, True, False])
LOW, HIGH = np.array([np.log(4.2), np.log(0.021), 0.0]), np.array([np.log(16.8), np.log(0.084),
                                                                    0.005])


def _x():
    return np.array([np.log(8.4), np.log(0.042), 0.0005])


def test_a_motor_like_null_direction_gives_the_ratio_and_a_linear_form():
    """r depends on log(km) - log(Rm) and on b + km^2/Rm only (as a DC motor's does)."""
    rng = np.random.default_rng(0)
    x = _x()
    bemf = np.exp(2 * x[1] - x[0])
    a, c = rng.normal(size=(50, 1)), rng.normal(size=(50, 1)) / bemf  # c: per N*m*s/rad
    # d/d(log Rm), d/d(log km), d/d b of f(log km - log Rm) + g(b + km^2/Rm)
    jac = np.hstack([-a - c * bemf, a + 2 * c * bemf, c])
    out = analyse(jac, 0.01 * rng.normal(size=50), ["Rm", "km", "b"], x, LOG, LOW, HIGH)
    assert out.unidentified == ["Rm", "km", "b"]
    kinds = sorted(c.kind for c in out.combinations)
    assert kinds == ["linear", "monomial"]
    ratio = next(c for c in out.combinations if c.kind == "monomial")
    assert ratio.name == "Rm / km" and ratio.value == pytest.approx(200.0)
    assert ratio.std > 0 and np.isfinite(ratio.std)
    assert np.all(np.isinf(out.std))


def test_correlated_pair_and_bound_are_warned_by_name():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 1))
    jac = np.hstack([base, base + 0.01 * rng.normal(size=(40, 1)),
                     rng.normal(size=(40, 1)) / 0.005])
    x = _x()
    x[2] = 0.0  # damping at its lower bound
    out = analyse(jac, 0.01 * rng.normal(size=40), ["Rm", "km", "b"], x, LOG, LOW, HIGH)
    assert any(w.startswith("Rm and km: strongly correlated") for w in out.warnings)
    assert any(w.startswith("b: at its lower bound") for w in out.warnings)
    assert abs(out.correlation[0, 1]) > 0.95 and abs(out.correlation[0, 2]) < 0.95


def test_cluster_robust_covariance_widens_for_correlated_segments():
    """Residuals equal within each segment of 10: the data hold 20 independent errors,
    not 200, and the cluster-robust standard deviation says so (about sqrt(10) wider)."""
    rng = np.random.default_rng(2)
    jac = np.ones((200, 1))
    r = np.repeat(rng.normal(size=20), 10)
    r -= r.mean()
    x, log = np.array([np.log(1.0)]), np.array([True])
    lo, hi = np.array([-3.0]), np.array([3.0])
    plain = analyse(jac, r, ["p"], x, log, lo, hi).std[0]
    robust = analyse(jac, r, ["p"], x, log, lo, hi, clusters=[10] * 20).std[0]
    assert 2.5 < robust / plain < 4.0


def test_dead_parameters_are_named_together():
    with pytest.raises(ParameterError, match="^a, c: has no effect"):
        require_effect(["a", "b", "c"], np.array([0.0, 1.0, np.nan]))


def test_a_measured_symmetry_direction_is_unseen_even_when_jacobian_columns_are_noisy():
    """Regression: on a 60 s emulator log with friction, the forward-difference columns of
    km, Rm and b carried errors that kept their exact symmetry above rtol, and km and Rm
    got (wrong) intervals of their own. A dedicated difference along the symmetry says
    the data do not see it."""
    rng = np.random.default_rng(0)
    x = _x()
    bemf = np.exp(2 * x[1] - x[0])
    a, c = rng.normal(size=(50, 1)), rng.normal(size=(50, 1)) / bemf
    exact = np.hstack([-a - c * bemf, a + 2 * c * bemf, c])
    noisy = exact + 0.02 * rng.normal(size=exact.shape)  # finite-difference errors
    args = (0.01 * rng.normal(size=50), ["Rm", "km", "b"], x, LOG, LOW, HIGH)
    assert analyse(noisy, *args).combinations == []  # the noise hides the symmetry
    d = np.array([1.0, 1.0, -bemf])  # d log Rm = d log km = 1, d b = -km^2/Rm
    along_rm = np.array([1.0, 0.0, 0.0])
    seen = analyse(noisy, *args, directions=[(along_rm, exact @ along_rm)])
    assert seen.combinations == []  # a direction the data do see is kept
    out = analyse(noisy, *args, directions=[(d, 1e-9 * np.ones(50))])
    assert out.unidentified == ["Rm", "km", "b"] and len(out.combinations) == 2


def test_a_weakly_determined_parameter_is_warned_about_with_its_interval():
    rng = np.random.default_rng(2)
    # b (5e-4) moves the residuals by 10 per unit: 1e-2 noise leaves it +-50 % or so
    jac = np.hstack([rng.normal(size=(50, 2)), 10.0 * rng.normal(size=(50, 1))])
    out = analyse(jac, 0.01 * rng.normal(size=50), ["Rm", "km", "b"], _x(), LOG, LOW, HIGH)
    weak = [w for w in out.warnings if "weakly determined" in w]
    assert len(weak) == 1 and weak[0].startswith("b: weakly determined")
    assert "95 % interval +-" in weak[0]
