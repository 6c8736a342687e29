"""The emulator's Plant through s2r.effects: sub-tick delays, shortcuts, rate limit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hardware.emulator import Plant
from s2r.effects import lowpass_coefficient
from s2r.errors import ConfigError


def plant(robot: str = "furuta", truth: str = "nominal", **kw: object) -> Plant:
    return Plant(robot, truth, rng=np.random.default_rng(0), **kw)


def currents(p: Plant, ticks: int) -> list[float]:
    out = []
    for _ in range(ticks):
        p.step()
        out.append(p.measurement()[2][0])
    return out


def test_an_action_delay_between_ticks_splits_the_tick() -> None:
    p = plant()
    try:
        p.sim.set_params({"delay.action": 0.003})  # 1.5 ticks of 2 ms
        p.command((5.0,), enabled=True)
        first, half, full = currents(p, 3)
        assert first == 0.0
        # the tick [2, 4) ms gets the new output for its second half only
        assert half == pytest.approx(full / 2, rel=0.05) and full > 0.5
    finally:
        p.close()


def arm_angle(delay: float) -> float:
    p = plant()
    try:
        p.sim.set_params({"delay.action": delay})
        p.command((2.0,), enabled=True)
        p.advance_to(0.06)
        return float(p.true_state()[0][0])
    finally:
        p.close()


def test_the_trajectory_is_smooth_in_the_action_delay() -> None:
    """The bench's 3 +- 1 ms at a 2 ms tick is identifiable: no staircase."""
    delays = [0.002, 0.0025, 0.003, 0.0035, 0.004]
    q = [arm_angle(d) for d in delays]
    steps = np.diff(q)
    assert all(s < 0 for s in steps)  # later torque: less travel, strictly
    # nearly linear over a 2 ms span: each half-tick changes the angle by a similar amount
    assert max(abs(steps)) < 1.5 * min(abs(steps))


def test_the_observation_delay_interpolates_between_ticks() -> None:
    p = plant()
    try:
        p.sim.set_params({"delay.observation": 0.003})
        p.command((3.0,), enabled=True)
        true = []
        for _ in range(20):
            p.step()
            true.append(p.true_state()[0])
        q, _, _ = p.measurement()
        # 3 ms before the last tick: halfway between the states 2 and 4 ms before it
        assert q == pytest.approx(tuple((true[-2] + true[-3]) / 2), abs=1e-12)
    finally:
        p.close()


def test_the_rate_limit_slews_the_output_tick_by_tick() -> None:
    p = plant()
    try:
        p.sim.set_params({"motor.arm.rate_limit": 100.0})  # V/s: 0.2 V per 2 ms tick
        p.command((5.0,), enabled=True)
        seen = []
        for _ in range(30):
            p.step()
            seen.append(p.fx.limiter.last[0])
        # at most 100 V/s * (t - t_reset): 0 over the first tick, then 0.2 V more per tick
        assert seen[:4] == pytest.approx([0.0, 0.2, 0.4, 0.6]) and seen[-1] == 5.0
    finally:
        p.close()


def test_emulator_shortcuts_set_the_named_parameters_of_every_joint() -> None:
    p = plant("furuta", encoder_cpr=1024, velocity_filter=0.5, position_noise=0.001,
              sensor_noise=0.02)
    try:
        values = p.effect_truth
        for j in ("arm", "pendulum"):
            assert values[f"sensor.{j}.resolution"] == 2 * math.pi / 1024
            assert lowpass_coefficient(values[f"sensor.{j}.velocity_cutoff"], p.tick) == (
                pytest.approx(0.5, abs=1e-12))
            assert values[f"sensor.{j}.position_noise"] == 0.001
        assert values["sensor.current_arm.noise"] == 0.02 and p.counts_per_rev == 1024
    finally:
        p.close()
    p = plant("cartpole", "bench", linear_resolution=0.001, encoder_cpr=0)
    try:
        values = p.effect_truth
        assert values["sensor.cart.resolution"] == 0.001
        assert values["sensor.pole.resolution"] == 0.0 and p.counts_per_rev == 0
    finally:
        p.close()


@pytest.mark.parametrize("kw, message", [
    (dict(velocity_filter=1.0), "velocity_filter: must be in [0, 1)"),
    (dict(encoder_cpr=-1), "encoder_cpr: must be finite and >= 0"),
    (dict(encoder_cpr=10), "sensor.arm.resolution: 0.628"),
    (dict(encoder_cpr=10), "outside the bounds [0.0, 0.1] (from an emulator option)"),
    (dict(encoder_cp=10), "unknown effect option(s): encoder_cp"),
])
def test_bad_shortcuts_are_config_errors(kw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        plant("furuta", **kw)
    assert message in str(err.value)


def swing(p: Plant, friction: float) -> list[float]:
    """Free pendulum swing from 1 rad (arm disabled): the true pendulum angles."""
    p.sim.set_params({"joint.pendulum.coulomb_smooth": friction})
    p.reset([0.0, 1.0], [0.0, 0.0])
    out = []
    for _ in range(500):
        p.step()
        out.append(float(p.true_state()[0][1]))
    return out


def test_smooth_friction_is_a_torque_that_decays_the_swing(tmp_path: Path) -> None:
    path = tmp_path / "truth.yaml"
    path.write_text("params: {joint.pendulum.coulomb_smooth: 0.001}\n")
    p = plant("furuta", str(path))
    try:
        assert p.effect_truth["joint.pendulum.coulomb_smooth"] == 0.001
        free, rubbed = swing(p, 0.0), swing(p, 0.001)
        # 1 s of swinging: the amplitude of the last swing is smaller with friction
        assert max(np.abs(rubbed[-150:])) < max(np.abs(free[-150:])) - 0.05
        assert swing(p, 0.0) == free  # off again: bit for bit the frictionless swing
    finally:
        p.close()


def test_smooth_friction_matches_an_explicit_torque_on_an_unactuated_joint() -> None:
    """One tick from rest at 90 deg: the pendulum's acceleration drops by F / I_eff."""
    p = plant("furuta")
    try:
        def accel(friction: float) -> float:
            p.sim.set_params({"joint.pendulum.coulomb_smooth": friction,
                             "joint.pendulum.stribeck_velocity": 0.01})
            p.reset([0.0, 0.5], [0.0, 2.0])  # moving fast: tanh(200) = 1
            p.step()
            return (float(p.true_state()[1][1]) - 2.0) / p.tick

        a0, a1, a2 = accel(0.0), accel(0.001), accel(0.002)
        assert a1 < a0 and (a0 - a2) == pytest.approx(2 * (a0 - a1), rel=1e-3)  # linear in F
    finally:
        p.close()
