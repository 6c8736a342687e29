"""The tasks' hot path (Python floats) computes exactly what the plain NumPy code computes.

Every built-in task runs a few hundred steps (resets included) beside a twin whose
observation, reward, termination and action scaling are written the straightforward NumPy
way (the reference below); observations, rewards, terminations and applied commands must
agree bit for bit. A future speed-up that changes a single rounding fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from s2r.robot import Observation
from s2r.tasks import (
    TASKS,
    CartpoleBalance,
    CartpoleSwingup,
    FurutaSwingup,
    PendulumSwingup,
    RobotTask,
    wrap_angle,
)


def _wrap(angle):
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


class _NumpyScaling:
    """Action scaling the NumPy way (overriding to_command also turns off the float path)."""

    def to_command(self, action):
        a = np.minimum(np.maximum(np.asarray(action, dtype=np.float64), -1.0), 1.0)
        return self._mid + a * self._half


class RefCartpoleBalance(_NumpyScaling, CartpoleBalance):
    def observation(self, obs: Observation) -> np.ndarray:
        x, th = obs.q
        return np.array([x, np.cos(th), np.sin(th), obs.qd[0], obs.qd[1]], dtype=np.float32)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit or abs(_wrap(obs.q[1])) > self.angle_limit)


class RefCartpoleSwingup(_NumpyScaling, CartpoleSwingup):
    observation = RefCartpoleBalance.observation

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        upright = 0.5 * (1.0 + np.cos(obs.q[1]))
        centred = np.exp(-0.5 * (obs.q[0] / 1.0) ** 2)
        effort = 1e-3 * float(np.sum(self.to_action(applied) ** 2))
        return float(upright * centred - effort)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit)


class RefPendulumSwingup(_NumpyScaling, PendulumSwingup):
    def observation(self, obs: Observation) -> np.ndarray:
        q = obs.q[0]
        return np.array([np.cos(q), np.sin(q), obs.qd[0]], dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        error = float(_wrap(obs.q[0] - np.pi))
        u = float(self.to_action(applied)[0])
        return -(error**2 + 0.1 * obs.qd[0] ** 2 + 0.01 * u**2)


class RefFurutaSwingup(_NumpyScaling, FurutaSwingup):
    def observation(self, obs: Observation) -> np.ndarray:
        th, al = obs.q
        return np.array([np.cos(th), np.sin(th), np.cos(al), np.sin(al), obs.qd[0], obs.qd[1]],
                        dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        th, al = obs.q
        upright = 0.5 * (1.0 - np.cos(al))
        speed2 = obs.qd[1] ** 2 + 0.5 * obs.qd[0] ** 2
        slow = np.exp(-0.5 * speed2 / self.speed_scale**2)
        u = float(self.to_action(applied)[0])
        centred = (th / self.arm_limit) ** 2
        return float(upright * (0.3 + 0.7 * slow) - 0.1 * centred - 1e-3 * u**2)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.arm_limit)


REFERENCES: dict[type[RobotTask], type[RobotTask]] = {
    CartpoleBalance: RefCartpoleBalance, CartpoleSwingup: RefCartpoleSwingup,
    PendulumSwingup: RefPendulumSwingup, FurutaSwingup: RefFurutaSwingup}


def _actions(n: int, steps: int) -> list:
    """Mostly float32 in and beyond [-1, 1]; some float64, lists, NaN, inf and -0.0."""
    rng = np.random.default_rng(7)
    out: list = [rng.uniform(-1.3, 1.3, n).astype(np.float32) for _ in range(steps)]
    for k in range(0, steps, 37):
        out[k] = rng.uniform(-1.0, 1.0, n)  # float64
    for k in range(5, steps, 53):
        out[k] = [float(x) for x in rng.uniform(-1.0, 1.0, n)]
    out[11] = np.full(n, np.nan, np.float32)
    out[12] = np.full(n, np.inf)
    out[13] = np.full(n, -0.0, np.float32)
    return out


def _bits(x) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


def _rollout(env: RobotTask, actions: list) -> list[tuple]:
    obs, _ = env.reset(seed=3)
    rows = [("reset", obs.tobytes(), obs.dtype)]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        assert type(obs) is np.ndarray and obs.dtype == np.float32  # Gymnasium contract
        rows.append((obs.tobytes(), _bits(reward), bool(terminated), bool(truncated),
                     _bits(info["applied_action"]), info.get("safety_stop")))
        if terminated or truncated:
            obs, _ = env.reset()
            rows.append(("reset", obs.tobytes(), obs.dtype))
    return rows


@pytest.mark.parametrize("cls", [cls for _, cls in TASKS.values()], ids=list(TASKS))
def test_a_rollout_is_bit_identical_to_the_numpy_reference(cls):
    steps = 400
    env, ref = cls(max_steps=150), REFERENCES[cls](max_steps=150)
    try:
        actions = _actions(env.action_space.shape[0], steps)
        fast, slow = _rollout(env, actions), _rollout(ref, actions)
    finally:
        env.close()
        ref.close()
    assert len(fast) == len(slow)
    resets = sum(r[0] == "reset" for r in fast)
    assert resets >= 3  # truncations (and terminations) exercised the reset path
    for k, (a, b) in enumerate(zip(fast, slow)):
        assert a == b, f"row {k} differs: {a} vs {b}"
    assert len({r[0] for r in fast}) > 300  # observations vary: a real rollout


def test_wrap_angle_on_floats_is_numpys_remainder_bit_for_bit():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-40.0, 40.0, 20000), np.pi + rng.uniform(-1e-9, 1e-9, 500),
                        -np.pi + rng.uniform(-1e-12, 1e-12, 500),
                        [np.pi, -np.pi, 0.0, -0.0, 3 * np.pi, -3 * np.pi, 1e300, -5e-324]])
    expected = _wrap(x)
    got = np.array([wrap_angle(v) for v in x.tolist()])
    assert got.tobytes() == expected.tobytes()
    assert type(wrap_angle(1.0)) is float and isinstance(wrap_angle(np.zeros(2)), np.ndarray)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_action_scaling_matches_to_command(dtype):
    env = CartpoleSwingup()
    try:
        rng = np.random.default_rng(1)
        values = [*rng.uniform(-2.0, 2.0, 2000).tolist(), np.nan, np.inf, -np.inf, -0.0, 1.0]
        for v in values:
            a = np.array([v], dtype=dtype)
            fast = np.array(env._command(a))
            assert _bits(fast) == _bits(env.to_command(a)), v
            applied = env.to_command(a)
            assert _bits(env.normalized(applied)) == _bits(env.to_action(applied)), v
            assert _bits(env.normalized(applied.tolist())) == _bits(env.to_action(applied))
    finally:
        env.close()


def _numpy_clip(spec, action):
    a = np.array(action, dtype=np.float64).reshape(spec.n_actions)
    a = np.nan_to_num(a, posinf=np.inf, neginf=-np.inf)
    return np.minimum(np.maximum(a, spec.action_low), spec.action_high)


def test_clip_action_is_numpys_clip_bit_for_bit():
    from s2r.robot import ActuatorSpec, RobotSpec

    spec = RobotSpec("r", (), (ActuatorSpec("a", "j", "torque", -2.0, 2.0),
                               ActuatorSpec("b", "j", "force", 0.0, 3.0),
                               ActuatorSpec("c", "j", "torque", -1.0, -0.0),
                               ActuatorSpec("d", "j", "dc_motor", 0.5, 6)), 50.0)
    rng = np.random.default_rng(2)
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, 2.0, -2.0, 3.0, 0.5, -1.0, 6.0, 1e-320]
    rows = [rng.uniform(-8.0, 8.0, 4) for _ in range(3000)]
    rows += [rng.choice(edges, 4) for _ in range(3000)]
    for row in rows:
        for action in (row, row.tolist(), row.astype(np.float32), row.reshape(1, 4)):
            got = spec.clip_action(action)
            assert got.dtype == np.float64 and got.shape == (4,)
            assert got.tobytes() == _numpy_clip(spec, action).tobytes(), action
    with pytest.raises(ValueError, match="reshape"):
        spec.clip_action(np.zeros(3))
