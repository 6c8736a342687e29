"""DROPO distributions: the spread of a robot that varies is recovered from its logs."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from sysid_logs import record

from randomizers.registry import load_randomization
from s2r.errors import ConfigError
from s2r.sim import SimRobot
from s2r.sysid import identify
from s2r.sysid.dropo import fit_dropo


def test_fit_dropo_recovers_mean_and_spread_of_a_linear_model():
    """Residual of row j: g_j (p - p_j), with the p_j drawn N(1, 0.1): the maximum
    likelihood Gaussian is about N(mean p_j, std p_j)."""
    rng = np.random.default_rng(3)
    truth = rng.normal(1.0, 0.1, size=400)
    gain = rng.uniform(0.5, 2.0, size=400)

    def many(sets):
        return [gain * (v["p"] - truth) for v in sets]

    fit = fit_dropo(many, ["p"], np.array([0.0]), np.array([3.0]), np.array([1.3]),
                    np.array([0.01]), samples=6, noise=1e-3, max_evaluations=3000)
    assert fit.mean["p"] == pytest.approx(truth.mean(), abs=0.03)
    assert 0.5 < fit.std["p"] / truth.std() < 2.0
    assert fit.trace[-1] >= fit.trace[0] and fit.evaluations <= 3000


@pytest.fixture(scope="module")
def varying(tmp_path_factory):
    """Five logs of the furuta, the pendulum's mass drawn N(0.028, 0.002) for each."""
    tmp = tmp_path_factory.mktemp("dropo")
    masses = np.random.default_rng(1).normal(0.028, 0.002, size=5)
    logs = [record(tmp / f"ep{i}.s2r.csv", 0.8, seed=i,
                   params={"link.pendulum.mass": float(m)}) for i, m in enumerate(masses)]
    return masses, logs, tmp


def test_dropo_spread_matches_the_spread_of_the_robot(varying):
    masses, logs, tmp = varying
    out = tmp / "fit"
    result = identify("furuta", logs, ["link.pendulum.mass"], workers=1, holdout=0.0,
                      distribution="dropo", out=out,
                      dropo={"samples": 6, "max_evaluations": 800, "noise": 1e-3})
    spread = result.dropo
    true_std = masses.std(ddof=1)
    assert 0.5 < spread.std["link.pendulum.mass"] / true_std < 2.0
    assert abs(spread.mean["link.pendulum.mass"] - masses.mean()) < true_std
    doc = yaml.safe_load((out / "result.yaml").read_text())
    assert doc["distribution"]["kind"] == "dropo"
    assert doc["distribution"]["std"]["link.pendulum.mass"] == spread.std["link.pendulum.mass"]
    entry = yaml.safe_load((out / "randomization.yaml").read_text())["randomizers"][0]
    assert entry["distribution"] == {"truncated_normal": [
        spread.mean["link.pendulum.mass"], spread.std["link.pendulum.mass"], 0.006, 0.096]}
    with SimRobot("furuta") as sim:
        (r,) = load_randomization(out / "randomization.yaml")
        rng = np.random.default_rng(0)
        draws = [r.sample_for(sim, rng)["values"]["link.pendulum.mass"] for _ in range(400)]
    assert np.std(draws) == pytest.approx(spread.std["link.pendulum.mass"], rel=0.2)
    assert "Randomization fitted to the data (DROPO)" in (out / "report.html").read_text()


def test_the_default_distribution_is_the_covariance_one(varying, tmp_path):
    _, logs, _ = varying
    result = identify("furuta", logs[:2], ["link.pendulum.mass"], workers=1, holdout=0.0,
                      out=tmp_path)
    assert result.dropo is None
    doc = yaml.safe_load((tmp_path / "result.yaml").read_text())
    assert doc["distribution"] == {"kind": "covariance", "margin": 0.0}
    entry = yaml.safe_load((tmp_path / "randomization.yaml").read_text())["randomizers"][0]
    assert entry["distribution"] == pytest.approx(list(result.params["link.pendulum.mass"].ci95))


def test_bad_distribution_options_are_errors(varying):
    _, logs, _ = varying
    with pytest.raises(ConfigError, match="distribution: must be one of covariance, dropo"):
        identify("furuta", logs, ["link.pendulum.mass"], distribution="wide")
    with pytest.raises(ConfigError, match=r"dropo: unknown options \['sample'\]"):
        identify("furuta", logs, ["link.pendulum.mass"], distribution="dropo",
                 dropo={"sample": 4})


def test_bad_dropo_values_are_errors():
    def many(sets):
        return [np.zeros(3) for _ in sets]

    args = (many, ["p"], np.array([0.0]), np.array([1.0]), np.array([0.5]), np.array([0.1]))
    with pytest.raises(ConfigError, match="dropo: samples: must be an integer >= 2, got 1"):
        fit_dropo(*args, samples=1)
    with pytest.raises(ConfigError, match="dropo: noise: must be > 0"):
        fit_dropo(*args, noise=0.0)
    assert fit_dropo(*args, samples=4.0, max_evaluations=40).samples == 4  # from a YAML
