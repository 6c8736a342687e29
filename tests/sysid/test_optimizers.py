"""Least squares stop once further steps are worth a small fraction of a standard deviation."""

from __future__ import annotations

import numpy as np

from s2r.sysid import optimizers
from s2r.sysid.optimizers import get_optimizer, jacobian

LOW, HIGH = np.array([0.1, 0.01, 0.0, 2.0]), np.array([5.0, 3.0, 2.0, 4.0])


def _problem(rugged: float, m: int = 4000):
    """y = a exp(-b t) + c sin(d t) + noise, the residuals with a small ripple in the
    parameters (``rugged``: as sticking friction and encoder counts make the cost)."""
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 5.0, m)

    def model(x):
        return x[0] * np.exp(-x[1] * t) + x[2] * np.sin(x[3] * t)

    y = model(np.array([2.0, 0.7, 0.5, 3.0])) + 0.05 * rng.standard_normal(m)
    return lambda xs: [model(x) - y + rugged * np.sin(200 * x[1] + 150 * x[3] + t) for x in xs]


def test_the_settled_stop_saves_steps_within_a_tenth_of_a_standard_deviation(monkeypatch):
    many, x0 = _problem(0.003), np.array([1.0, 0.3, 0.2, 2.8])
    settled = get_optimizer("lsq").minimize(many, x0, LOW, HIGH)
    monkeypatch.setattr(optimizers, "SETTLED", 0.0)  # the tolerance alone (1e-8)
    tight = get_optimizer("lsq").minimize(many, x0, LOW, HIGH)
    r, jac = jacobian(_problem(0.0), tight.x, LOW, HIGH, np.full(4, 1e-6))
    std = np.sqrt(np.diag(float(r @ r) / (len(r) - 4) * np.linalg.inv(jac.T @ jac)))
    assert np.all(np.abs(settled.x - tight.x) <= 0.1 * std), (settled.x - tight.x) / std
    assert settled.evaluations < tight.evaluations


def test_an_exact_fit_is_not_stopped_early():
    """Without noise the cost keeps falling by large fractions: the relative stop never
    triggers before the fit is exact."""
    t = np.linspace(0.0, 5.0, 50)
    y = 2.0 * np.exp(-0.7 * t)
    out = get_optimizer("lsq").minimize(
        lambda xs: [x[0] * np.exp(-x[1] * t) - y for x in xs], np.array([1.0, 0.3]),
        np.array([0.1, 0.01]), np.array([5.0, 3.0]))
    assert np.allclose(out.x, [2.0, 0.7], rtol=1e-6)
