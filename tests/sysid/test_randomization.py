"""randomization.yaml of a covariance fit: conditional spreads for correlated parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from randomizers.registry import load_randomization
from s2r.sim import SimRobot
from s2r.sysid.result import Estimate, SysidResult


def _result(rho: float) -> SysidResult:
    # resistance and torque constant, both fitted on a log scale, 20 % std each
    params = {"motor.arm.resistance": Estimate(8.4, 0.2 * 8.4, (8.4 * math.exp(-0.392),
                                                                  8.4 * math.exp(0.392)),
                                               8.4, None, "ohm", 1.0, 50.0, True),
              "motor.arm.torque_constant": Estimate(0.042, 0.2 * 0.042,
                                                    (0.042 * math.exp(-0.392),
                                                     0.042 * math.exp(0.392)),
                                                    0.042, None, "N*m/A", 0.001, 1.0, True)}
    names = list(params)
    corr = {a: {b: 1.0 if a == b else rho for b in names} for a in names}
    return SysidResult("furuta", "lsq", params, {}, [], [], {"correlation": corr})


def test_a_strongly_correlated_pair_is_sampled_within_its_conditional_spread(tmp_path):
    result = _result(0.99)
    cond = result.conditional_std()
    assert cond["motor.arm.resistance"] == pytest.approx(0.2 * math.sqrt(1 - 0.99 ** 2))
    path = tmp_path / "randomization.yaml"
    import yaml

    path.write_text(yaml.safe_dump(result.randomization()))
    rng = np.random.default_rng(0)
    with SimRobot("furuta") as sim:
        draws = [r.sample_for(sim, rng)["values"] for _ in range(50)
                 for r in load_randomization(path)]
    rm = [d["motor.arm.resistance"] for d in draws if "motor.arm.resistance" in d]
    # independent draws over the 95 % intervals would span 5.7 to 12.4 ohm
    assert min(rm) > 8.4 * math.exp(-1.96 * cond["motor.arm.resistance"]) - 1e-9
    assert max(rm) - min(rm) < 0.25 * 8.4 * (math.exp(0.392) - math.exp(-0.392))


def test_uncorrelated_parameters_keep_their_95_percent_interval():
    result = _result(0.0)
    entries = {e["params"]: e["distribution"] for e in result.randomization()["randomizers"]}
    lo, hi = entries["motor.arm.resistance"]
    assert (lo, hi) == pytest.approx(result.params["motor.arm.resistance"].ci95)


def test_margin_widens_narrow_ranges_and_keeps_wide_ones():
    result = _result(0.99)  # conditional spread of each: 2.8 % std
    result.margin = 0.2
    entries = {e["params"]: e["distribution"] for e in result.randomization()["randomizers"]}
    lo, hi = entries["motor.arm.resistance"]
    assert (lo, hi) == pytest.approx((8.4 / 1.2, 8.4 * 1.2))
    wide = _result(0.0)  # 95 % interval exp(+-0.392): wider than the margin
    wide.margin = 0.2
    entries = {e["params"]: e["distribution"] for e in wide.randomization()["randomizers"]}
    assert entries["motor.arm.resistance"] == pytest.approx(
        list(wide.params["motor.arm.resistance"].ci95))


def test_margin_on_a_linear_parameter_is_a_fraction_of_its_value():
    e = Estimate(0.003, 1e-5, (0.003 - 2e-5, 0.003 + 2e-5), 0.0, None, "s", 0.0, 0.02, False)
    result = SysidResult("furuta", "lsq", {"delay.action": e}, {}, [], [],
                         {"correlation": {"delay.action": {"delay.action": 1.0}}}, margin=0.25)
    (entry,) = result.randomization()["randomizers"]
    assert entry["distribution"] == pytest.approx([0.00225, 0.00375])


def test_identify_refuses_a_margin_outside_0_to_1():
    from s2r.errors import ConfigError
    from s2r.sysid import identify

    with pytest.raises(ConfigError, match="margin"):
        identify("pendulum", ["x.s2r.csv"], ["link.pole.mass"], margin=1.5)
