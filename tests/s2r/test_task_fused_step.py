"""The built-in tasks' fused step (observation, reward, flags and goal from the robot's Python
floats at once) returns what the step through the array methods returns, bit for bit, on
every path a step can take: nominal, safety stops and rate limiting, live timing and sensing
effects, and filters installed in the robot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from s2r.robot import Observation, SafetyLimits
from s2r.safety import SafetyGuard
from s2r.tasks import TASKS, CartpoleSwingup, FurutaSwingup
from s2r.tasks.builtin import BuiltinTask


def _value(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, float):
        return (type(v), np.float64(v).tobytes())
    return (type(v), v)


def _rollout(env: BuiltinTask, actions: list, seed: int) -> list[tuple]:
    obs, info = env.reset(seed=seed)
    rows: list[tuple] = [("reset", _value(obs), {k: _value(v) for k, v in info.items()})]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        last = env.last_observation
        assert last is not None and env._goals is not None
        guard = env.guard
        rows.append((_value(obs), _value(reward), terminated, truncated,
                     list(info), {k: _value(v) for k, v in info.items()},
                     last.t, _value(last.q), _value(last.qd), _value(last.sensors),
                     last.status, _value(guard.previous), guard.clipped, guard.rate_limited,
                     guard.nonfinite, list(env._goals)))
        if terminated or truncated:
            obs, info = env.reset()
            rows.append(("reset", _value(obs), {k: _value(v) for k, v in info.items()}))
    return rows


def _actions(n: int, steps: int) -> list:
    rng = np.random.default_rng(5)
    out: list = [rng.uniform(-1.3, 1.3, n).astype(np.float32) for _ in range(steps)]
    out[7] = np.full(n, np.nan, np.float32)
    out[8] = np.full(n, -np.inf)
    out[9] = [0.3] * n  # a list: not the float path
    return out


def _compare(make, setup=lambda env: None, steps: int = 300, seed: int = 4) -> list[tuple]:
    fused, plain = make(), make()
    plain._fused = False  # this instance steps through the array methods
    try:
        assert type(fused)._fused
        for env in (fused, plain):
            setup(env)
        actions = _actions(fused.action_space.shape[0], steps)
        a, b = _rollout(fused, actions, seed), _rollout(plain, actions, seed)
    finally:
        fused.close()
        plain.close()
    assert len(a) == len(b)
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x == y, f"row {k} differs"
    return a


@pytest.mark.parametrize("name", list(TASKS))
def test_fused_step_is_the_array_step(name):
    rows = _compare(lambda: TASKS[name][1](max_steps=120))
    assert sum(r[0] == "reset" for r in rows) >= 3  # episode ends and resets exercised
    assert len({r[0] for r in rows}) > 250  # a real motion


def test_fused_step_with_safety_stops_and_rate_limit():
    def guard(env: BuiltinTask) -> None:
        env.guard = SafetyGuard(env.spec_robot, SafetyLimits(
            {"arm": (-0.4, 0.4)}, {"pendulum": 4.0}, max_action_delta=1.5))
    rows = _compare(lambda: FurutaSwingup(max_steps=200), guard)
    stops = [r[5]["safety_stop"] for r in rows if r[0] != "reset" and "safety_stop" in r[5]]
    assert len(stops) >= 2
    assert any(r[13] > 0 for r in rows if r[0] != "reset")  # rate-limited commands


def test_fused_step_with_live_effects():
    params = {"delay.observation": 0.003, "delay.action": 0.004,
              "sensor.arm.resolution": 0.01, "sensor.pendulum.velocity_noise": 0.05}
    def seed(env: BuiltinTask) -> None:
        env.robot.rng = np.random.default_rng(0)  # type: ignore[attr-defined]  # same noise
    rows = _compare(lambda: FurutaSwingup(max_steps=150, params=params), seed)
    # the measurements are 3 ms old: the effects were live
    assert all(abs(r[6] - round(r[6], 2) + 0.003) < 1e-9 for r in rows if r[0] != "reset")


def test_fused_step_with_filters_in_the_robot():
    def filters(env: BuiltinTask) -> None:
        def command(u: list[float]) -> list[float]:
            return [0.8 * x + 0.1 for x in u]

        def measurement(q: list[float], qd: list[float], s: list[float]) -> tuple:
            # NumPy float32 values: the task sees them as the float64 vector holds them
            return (np.float32(q) + np.float32(0.01), [x * 1.01 for x in qd], s)
        env.robot.set_filters(command, measurement)  # type: ignore[attr-defined]
    _compare(lambda: CartpoleSwingup(max_steps=150), filters)


def test_a_subclass_overriding_an_array_method_is_stepped_through_it():
    class Constant(FurutaSwingup):
        def reward(self, obs: Observation, applied: np.ndarray) -> float:
            return 42.0

    env = Constant()
    try:
        env.reset(seed=0)
        assert not Constant._fused
        assert env.step(np.array([0.5], np.float32))[1] == 42.0
    finally:
        env.close()
