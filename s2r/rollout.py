"""Episodes of a task in simulation, through the same runner as on hardware.

:func:`rollout` is what ``s2r rollout`` runs: it builds the task, loads the policy (a
policy file or ``scripted:<name>``, see :mod:`s2r.policy`), runs the episodes with
:func:`s2r.runner.run_task` (unpaced; the task applies the robot's safety layer as on
hardware) and logs them in the format of the hardware logs. :func:`log_meta` is the log
metadata of a robot, used by every log writer.

>>> result = rollout("pendulum_swingup", "scripted:zero", episodes=2, max_steps=20)
>>> [(r.steps, r.reason) for r in result.episodes], result.policy
([(20, 'truncated'), (20, 'truncated')], 'scripted:zero')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from s2r.errors import ConfigError
from s2r.logs import LogMeta
from s2r.robot import RobotSpec
from s2r.runner import RunResult, mean_return

SENSOR_UNITS = {"current": "A", "voltage": "V", "torque": "N*m"}


def log_meta(spec: RobotSpec, source: str = "sim", params: dict[str, float] | None = None,
             policy: str | None = None, **extra: Any) -> LogMeta:
    """The log metadata of a robot (names, units, control rate)."""
    return LogMeta(robot=spec.name, joints=spec.joint_names, actuators=spec.actuator_names,
                   sensors=list(spec.sensors), source=source,
                   units={s: SENSOR_UNITS.get(s.split(".")[0], "-") for s in spec.sensors},
                   action_units={a.name: a.unit for a in spec.actuators},
                   joint_units={j.name: j.units[0] for j in spec.joints},
                   control_rate=spec.control_rate, params=params, policy=policy, extra=extra)


@dataclass
class RolloutResult:
    """What :func:`rollout` did: the episodes, the policy's name, the log written (or None)."""

    task: str
    policy: str
    episodes: list[RunResult]
    out: str | None = None

    @property
    def mean_return(self) -> float:
        return mean_return(self.episodes)


def rollout(task: str, policy: str = "scripted:sine", *, episodes: int = 1, seed: int = 0,
            out: str | os.PathLike[str] | None = None, max_steps: int | None = None,
            on_step: Callable[[int, float], None] | None = None,
            on_episode: Callable[[RunResult], None] | None = None) -> RolloutResult:
    """Run ``episodes`` of ``policy`` on ``task`` (a name or task YAML) in simulation.

    The log at ``out`` (if given) has the columns of a deployment log (``reward``,
    ``t_host``, ``rtt`` = 0) and ``source: sim``; an existing non-empty file is refused.
    """
    from s2r.logs import LogWriter
    from s2r.policy import load_policy
    from s2r.runner import TASK_COLUMNS, run_task, stop_on_signals
    from s2r.tasks.config import load_task_config, make_task

    if episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {episodes}")
    tcfg, _ = load_task_config(task)
    env = make_task(task, [] if max_steps is None else [f"max_steps={max_steps}"])
    writer = None
    try:
        spec = env.robot.spec
        pol = load_policy(policy, task=tcfg.task, obs_dim=type(env).obs_dim,
                          act_dim=spec.n_actions, rate=spec.control_rate, seed=seed,
                          robot=spec)
        if out is not None:
            meta = log_meta(spec, "sim", params=env.robot.get_params(),  # type: ignore[attr-defined]
                            policy=pol.name, task=task)
            writer = LogWriter(out, meta, extra_columns=TASK_COLUMNS)
        with stop_on_signals():
            results = run_task(env, pol, episodes=episodes, seed=seed, rate=None, writer=writer,
                               on_step=on_step, on_episode=on_episode, close=False)
    finally:
        if writer is not None:
            writer.close()
        env.close()
    return RolloutResult(task, pol.name, results, None if out is None else str(out))
