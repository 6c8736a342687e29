"""The episode runner shared by sim and hardware, and simple controllers.

>>> from s2r.tasks import PendulumSwingup
>>> env = PendulumSwingup(max_steps=20)
>>> results = run_episodes(env, make_controller("zero", env), episodes=2, seed=0)
>>> [r.steps for r in results]
[20, 20]
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from s2r.errors import ConfigError
from s2r.logs import LogMeta, LogWriter
from s2r.robot import RobotSpec
from s2r.tasks.base import RobotTask

SENSOR_UNITS = {"current": "A", "voltage": "V", "torque": "N*m"}
Policy = Callable[[np.ndarray], np.ndarray]


@dataclass
class EpisodeResult:
    """Return, length and how an episode ended."""

    index: int
    seed: int | None
    ret: float
    steps: int
    reason: str
    info: dict[str, Any] = field(default_factory=dict)


def log_meta(spec: RobotSpec, source: str = "sim", params: dict[str, float] | None = None,
             policy: str | None = None, **extra: Any) -> LogMeta:
    """The log metadata of a robot (names, units, control rate)."""
    return LogMeta(robot=spec.name, joints=spec.joint_names, actuators=spec.actuator_names,
                   sensors=list(spec.sensors), source=source,
                   units={s: SENSOR_UNITS.get(s.split(".")[0], "-") for s in spec.sensors},
                   action_units={a.name: a.unit for a in spec.actuators},
                   joint_units={j.name: j.units[0] for j in spec.joints},
                   control_rate=spec.control_rate, params=params, policy=policy, extra=extra)


def run_episodes(env: RobotTask, policy: Policy, episodes: int = 1, seed: int | None = 0,
                 writer: LogWriter | None = None,
                 on_step: Callable[[int, float], None] | None = None) -> list[EpisodeResult]:
    """Run ``episodes`` episodes of ``policy`` on a task; log every tick if ``writer``.

    Each logged row holds the observation the policy saw and the command
    actually applied in response to it.
    """
    results = []
    for i in range(episodes):
        ep_seed = None if seed is None else seed + i
        obs, info = env.reset(seed=ep_seed)
        raw = env.robot.observe() if env.last_observation is None else env.last_observation
        if writer is not None:
            writer.begin_episode(seed=ep_seed, task=type(env).__name__,
                                 reset_state={"q": raw.q.tolist(), "qd": raw.qd.tolist()})
        ret, steps, reason = 0.0, 0, "truncated"
        while True:
            action = policy(obs)
            obs_next, reward, terminated, truncated, info = env.step(action)
            if writer is not None:
                writer.write(raw.t, info["applied_action"], raw.q, raw.qd, raw.sensors,
                             raw.status, reward=float(reward))
            raw = env.last_observation or raw
            obs = obs_next
            ret += float(reward)
            steps += 1
            if on_step is not None:
                on_step(i, ret)
            if terminated or truncated:
                reason = "terminated" if terminated else "truncated"
                break
        if writer is not None:
            writer.end_episode(reason, ret=ret, steps=steps)
        results.append(EpisodeResult(i, ep_seed, ret, steps, reason))
    return results


def make_controller(name: str, env: RobotTask, seed: int = 0) -> Policy:
    """A scripted controller: ``zero``, ``random`` (uniform) or ``sine`` (0.5 Hz, full range)."""
    from s2r.errors import PolicyError
    from s2r.policy import scripted_policy

    try:
        return scripted_policy(name, env.action_space.shape[0],  # type: ignore[index]
                               env.robot.spec.control_rate, seed)
    except PolicyError as err:
        raise ConfigError(f"controller: {err.message}") from None
