"""Logs recorded from a SimRobot with known parameter values, different from nominal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from s2r.logs import LogMeta, LogWriter
from s2r.sim import SimRobot

#: the furuta's "truth" of these tests (nominal: 0.024 kg, 0.0005 N*m*s/rad, 8.4 ohm)
TRUTH = {"link.pendulum.mass": 0.028, "joint.arm.damping": 0.0012,
         "motor.arm.resistance": 9.5}


def record(path: Path, seconds: float, seed: int = 0, params: Mapping[str, float] = TRUTH,
           robot: str = "furuta", episodes: int = 1, amplitude: float = 3.0) -> Path:
    """Random steps of voltage with a centring feedback on the first joint, logged (``seed``
    seeds the steps and the sensor noise)."""
    rng = np.random.default_rng(seed)
    with SimRobot(robot, params=dict(params), seed=seed) as sim:
        spec = sim.spec
        meta = LogMeta(robot=robot, joints=spec.joint_names, actuators=spec.actuator_names,
                       sensors=list(spec.sensors), control_rate=spec.control_rate,
                       params=dict(params))
        with LogWriter(path, meta) as writer:
            for _ in range(episodes):
                obs = sim.reset(q=[0.0] * len(spec.joints))
                writer.begin_episode()
                u = 0.0
                for k in range(int(seconds * spec.control_rate)):
                    if k % 20 == 0:
                        u = float(rng.uniform(-amplitude, amplitude) - 2.0 * obs.q[0])
                    applied = sim.act([u])  # logged as applied (clipped to the limits)
                    writer.write(obs.t, applied, obs.q, obs.qd, obs.sensors, 0)
                    obs = sim.observe()
                writer.end_episode("completed")
    return path


def position_segments(sim: SimRobot, path: Path, seconds: float = 0.15) -> tuple[list, list]:
    """The 0.15 s multiple-shooting segments of a log on joint positions: (segments,
    channels)."""
    from s2r.sysid.data import read_recordings
    from s2r.sysid.segments import channels, cut, measured

    spec = sim.spec
    rec = read_recordings(path, spec)[0]
    cols = channels(["q"], spec.joint_names, [])
    return cut(rec, measured(rec, cols, spec.joint_names, []), seconds,
               spec.control_rate), cols
