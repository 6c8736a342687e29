"""s2r.effects: every effect parameter acts, resets bit for bit, and matches its formula."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from hardware.safety import SafetyGuard
from s2r.effects import (
    EFFECT_KINDS,
    CommandDelay,
    EffectModel,
    History,
    RateLimiter,
    deadzone,
    effect_parameters,
    lowpass_coefficient,
    quantize,
)
from s2r.errors import ParameterError
from s2r.params import KINDS, kind_of
from s2r.robot import ActuatorSpec, JointSpec, RobotSpec, SafetyLimits
from s2r.sim.actuators import DCMotor

SPEC = RobotSpec(
    "rig", (JointSpec("cart", "prismatic"), JointSpec("arm", "revolute")),
    (ActuatorSpec("arm", "arm", "dc_motor", -5.0, 5.0),), 50.0, sensors=("current.arm",))

#: a value for every effect parameter of SPEC that differs from the base values below
CHANGED = {
    "delay.action": 0.0033, "delay.observation": 0.0047,
    "motor.arm.rate_limit": 30.0,
    "joint.cart.coulomb_smooth": 0.8, "joint.arm.coulomb_smooth": 0.3,
    "joint.cart.stribeck_velocity": 0.3, "joint.arm.stribeck_velocity": 0.05,
    "sensor.cart.resolution": 0.003, "sensor.arm.resolution": 0.02,
    "sensor.cart.velocity_cutoff": 3.0, "sensor.arm.velocity_cutoff": 7.0,
    "sensor.cart.position_noise": 0.004, "sensor.arm.position_noise": 0.006,
    "sensor.cart.velocity_noise": 0.05, "sensor.arm.velocity_noise": 0.07,
    "sensor.current_arm.noise": 0.02,
}
#: every effect on, so that each parameter's change shows (the Stribeck velocity only acts
#: with friction, the cutoff only with quantization)
BASE = {"delay.action": 0.005, "delay.observation": 0.002, "motor.arm.rate_limit": 100.0,
        "joint.cart.coulomb_smooth": 0.5, "joint.arm.coulomb_smooth": 0.2,
        "sensor.cart.resolution": 0.001, "sensor.arm.resolution": 0.01,
        "sensor.cart.velocity_cutoff": 20.0, "sensor.arm.velocity_cutoff": 20.0,
        "sensor.cart.position_noise": 0.001, "sensor.arm.position_noise": 0.001,
        "sensor.cart.velocity_noise": 0.01, "sensor.arm.velocity_noise": 0.01,
        "sensor.current_arm.noise": 0.01}
DT, PERIOD = 0.002, 0.02


def truth(t: float) -> tuple[list[float], list[float], list[float]]:
    """A smooth made-up true trajectory (q, qd, sensors)."""
    q = [0.3 * math.sin(3 * t), 2.0 * math.sin(5 * t + 0.3)]
    qd = [0.9 * math.cos(3 * t), 10.0 * math.cos(5 * t + 0.3)]
    return q, qd, [0.4 * math.cos(7 * t)]


def run(fx: EffectModel, seed: int = 0, steps: int = 20) -> list[Any]:
    """Commands every control period, 10 sub-steps each: everything the model outputs."""
    rng = np.random.default_rng(seed)
    out: list[Any] = [fx.reset(0.0, *truth(0.0), rng)]
    t = 0.0
    for k in range(steps):
        out.append(fx.command(t, (4.0 * math.sin(k),)))
        for _ in range(round(PERIOD / DT)):
            out.append(fx.drive(t, DT))
            t += DT
            q, qd, s = truth(t)
            out.append(fx.friction(qd))
            fx.record(t, q, qd, s)
            out.append(fx.measure(t, rng))
    return out


def model(**values: float) -> EffectModel:
    fx = EffectModel(SPEC, sample_period=DT, window=PERIOD)
    fx.set_params({**BASE, **values})
    return fx


def test_the_model_has_exactly_the_documented_parameters() -> None:
    fx = EffectModel(SPEC, sample_period=DT)
    assert set(fx.parameters) == set(CHANGED)
    for name, param in fx.parameters.items():
        assert kind_of(name) in EFFECT_KINDS and kind_of(name) in KINDS, name
        assert param.meaning and param.unit and param.low <= param.nominal <= param.high
    units = {p.name: p.unit for p in effect_parameters(SPEC)}
    assert units["sensor.cart.resolution"] == "m" and units["sensor.arm.resolution"] == "rad"
    assert units["joint.cart.coulomb_smooth"] == "N" and units["motor.arm.rate_limit"] == "1/s"
    assert "motor.arm.rate_limit" not in {
        p.name for p in effect_parameters(SPEC, existing={"motor.arm.rate_limit"})}


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_every_parameter_changes_the_output_and_resetting_it_restores_it(name: str) -> None:
    fx = model()
    base = run(fx)
    assert run(fx) == base  # deterministic for a seed
    fx.set_params({name: CHANGED[name]})
    assert run(fx) != base, f"{name} has no effect"
    fx.set_params({name: BASE.get(name, fx.parameters[name].nominal)})
    assert run(fx) == base  # bit for bit


def test_nominal_values_switch_every_effect_off() -> None:
    fx = EffectModel(SPEC, sample_period=DT, window=PERIOD)
    assert fx.identity and not fx.frictional
    for name, value in CHANGED.items():
        fx.set_params({name: value})
        assert fx.identity == name.endswith(".stribeck_velocity"), name
        fx.set_params({name: fx.parameters[name].nominal})
    rng = np.random.default_rng(0)
    fx.reset(0.0, *truth(0.0), rng)
    applied = fx.command(0.0, (3.0,))
    assert applied == (3.0,) and fx.drive(0.0, DT) == (3.0,)
    q, qd, s = truth(DT)
    fx.record(DT, q, qd, s)
    assert fx.friction(qd) == [0.0, 0.0]
    assert fx.measure(DT, rng) == (tuple(q), tuple(qd), tuple(s))


def test_bad_values_and_names_are_parameter_errors() -> None:
    fx = EffectModel(SPEC, sample_period=DT)
    with pytest.raises(ParameterError, match=r"sensor.arm.resolution: -0.1 rad is outside"):
        fx.set_params({"sensor.arm.resolution": -0.1})
    with pytest.raises(ParameterError, match=r"sensor.arm.resolutoin: not an effect parameter"):
        fx.set_params({"sensor.arm.resolutoin": 0.1})
    with pytest.raises(ParameterError, match="stribeck_velocity: 0.0 rad/s is outside"):
        fx.set_params({"joint.arm.stribeck_velocity": 0.0})
    assert fx.get_params()["sensor.arm.resolution"] == 0.0  # nothing half-applied


def test_snapshot_is_plain_data_and_restores_the_future() -> None:
    fx = model()
    rng = np.random.default_rng(3)
    fx.reset(0.0, *truth(0.0), rng)
    t = 0.0
    for k in range(7):
        fx.command(t, (float(k),), extra_delay=0.0007 * (k % 3))
        for _ in range(10):
            fx.drive(t, DT)
            t += DT
            fx.record(t, *truth(t))
            fx.measure(t, rng)
    state = json.loads(json.dumps(fx.snapshot()))
    rng_state = rng.bit_generator.state

    def rest() -> list[Any]:
        out, tt = [], t
        for k in range(5):
            out.append(fx.command(tt, (-float(k),)))
            for _ in range(10):
                out.append(fx.drive(tt, DT))
                tt += DT
                fx.record(tt, *truth(tt))
                out.append(fx.measure(tt, rng))
        return out

    first = rest()
    fx.set_params({"sensor.arm.resolution": 0.05, "delay.action": 0.0})
    fx.restore(state)
    rng.bit_generator.state = rng_state
    assert rest() == first


# ------------------------------------------------------------------- delays
def reference_mean(changes: list[tuple[float, float]], a: float, b: float) -> float:
    """Mean over [a, b) of the zero-order hold of time-ordered ``changes``, piece by piece."""
    def value(t: float) -> float:
        return next((v for when, v in reversed(changes) if when <= t), 0.0)

    cuts = [a, *sorted(w for w, _ in changes if a < w < b), b]
    return sum(value(t0) * (t1 - t0) for t0, t1 in zip(cuts, cuts[1:])) / (b - a)


@pytest.mark.parametrize("delay", [0.0, 0.0013, 0.003, 0.0071])
def test_command_delay_is_the_exact_mean_of_the_shifted_hold(delay: float) -> None:
    rng = np.random.default_rng(1)
    line = CommandDelay(1, delay)
    changes = [(0.0, 0.0)]
    for k in range(12):  # commands every 4 ms, each with a per-command extra delay
        when = 0.004 * k + float(rng.uniform(0, 0.001))
        value = float(rng.normal())
        line.push(0.004 * k, (value,), extra=when - 0.004 * k)
        changes.append((when, value))
    for k in range(24):
        t0, t1 = 0.002 * k, 0.002 * (k + 1)
        got = line.average(t0, t1)[0]
        assert got == pytest.approx(reference_mean(changes, t0 - delay, t1 - delay), abs=1e-12)


def test_a_delay_between_physics_steps_is_smooth_in_the_delay() -> None:
    """A step at t=0 seen through the tick [2, 4) ms: linear in the delay, not a staircase."""
    seen = []
    for d in np.linspace(0.0015, 0.0045, 31):
        line = CommandDelay(1, float(d))
        line.push(0.0, (1.0,))
        line.average(0.0, 0.002)
        seen.append(line.average(0.002, 0.004)[0])
    expected = np.clip((0.004 - np.linspace(0.0015, 0.0045, 31)) / 0.002, 0.0, 1.0)
    assert seen == pytest.approx(expected, abs=1e-9)
    assert len(set(np.round(seen, 9))) > 20  # not two or three levels


def test_an_unchanged_command_is_the_same_object() -> None:
    line = CommandDelay(2, 0.003)
    line.push(0.0, (1.0, 2.0))
    seen = [line.average(0.002 * k, 0.002 * (k + 1)) for k in range(6)]
    assert seen[0] == (0.0, 0.0) and seen[1] == (0.5, 1.0)
    assert seen[2] is seen[3] is seen[4] is seen[5]
    assert seen[2] == (1.0, 2.0)


def test_commands_never_overtake_each_other() -> None:
    line = CommandDelay(1)
    line.push(0.0, (1.0,), extra=0.003)
    line.push(0.001, (2.0,), extra=0.0)  # would act at 1 ms, before the first
    assert line.average(0.0, 0.003)[0] == 0.0
    assert line.average(0.003, 0.004)[0] == 2.0  # both at 3 ms: the later one wins


def test_history_interpolates_linearly_at_the_delayed_time() -> None:
    h = History(0.0031)
    h.reset(0.0, (0.0, 5.0))
    for k in range(1, 11):
        h.append(0.002 * k, (0.002 * k, 5.0 - 0.002 * k))
        expected = max(0.0, 0.002 * k - 0.0031)
        assert h.at(0.002 * k) == pytest.approx((expected, 5.0 - expected), abs=1e-12)


# ---------------------------------------------------------------- actuation
def test_deadzone_is_the_dc_motor_shift() -> None:
    motor = DCMotor("arm", deadzone=0.3, voltage_limit=100.0)
    for u in np.linspace(-2, 2, 41):
        assert deadzone(float(u), 0.3) == pytest.approx(motor.effective_voltage(float(u)))
    assert deadzone(0.3, 0.3) == 0.0 and deadzone(-0.31, 0.3) == pytest.approx(-0.01)


def test_rate_limit_is_the_safety_max_action_delta_per_control_period() -> None:
    spec = RobotSpec("toy", (JointSpec("arm", "revolute"),),
                     (ActuatorSpec("arm", "arm", "torque", -2.0, 2.0),), 50.0,
                     safety=SafetyLimits(max_action_delta=0.5))
    guard = SafetyGuard(spec)
    limiter = RateLimiter((0.5 * 50.0,))  # 0.5 per 20 ms period = 25 per second
    rng = np.random.default_rng(0)
    for k in range(1, 60):
        u = float(rng.uniform(-2, 2))
        assert limiter.limit(k / 50.0, (u,))[0] == pytest.approx(float(guard.filter([u])[0]))


# ------------------------------------------------------------------ sensing
def test_quantization_and_the_migrated_velocity_filter() -> None:
    assert quantize(0.26, 0.1) == pytest.approx(0.3) and quantize(0.26, 0.0) == 0.26
    # the bench truths' cutoffs are the old per-tick weights 0.5 (2 ms) and 0.3 (1/240 s)
    assert lowpass_coefficient(55.1589000381629, 0.002) == pytest.approx(0.5, abs=1e-12)
    assert lowpass_coefficient(45.98837355760416, 1 / 240) == pytest.approx(0.3, abs=1e-12)
    assert lowpass_coefficient(0.0, 0.002) == 0.0


def test_velocity_is_a_finite_difference_over_one_control_period() -> None:
    fx = EffectModel(SPEC, sample_period=DT, window=PERIOD)
    fx.set_params({"sensor.arm.resolution": 0.001})
    rng = np.random.default_rng(0)
    fx.reset(0.0, [0.0, 0.0], [0.0, 1.0], [0.0], rng)  # was turning at 1 rad/s
    qds = []
    for k in range(1, 31):  # stops dead at t=0
        fx.record(k * DT, [0.0, 0.0], [0.0, 0.0], [0.0])
        qds.append(fx.measure(k * DT, rng)[1][1])
    # the 20 ms window still sees the motion before t=0, then exactly zero
    assert qds[0] == pytest.approx(0.9, abs=0.06) and qds[8] == pytest.approx(0.1, abs=0.06)
    assert qds[9:] == [0.0] * 21
