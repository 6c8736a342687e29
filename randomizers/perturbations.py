"""Perturbations: external pushes on a robot at random times.

A push is a force held on a link for its whole duration, or an instantaneous
velocity kick. The whole episode's schedule (start times, durations, force
or velocity vectors) is drawn in :meth:`PushRandomizer.sample`, so it is in
``info["randomization"]`` and a replay pushes at exactly the same times.

Forces are applied before **every** physics sub-step in which the push is
active (PyBullet clears external forces after each ``stepSimulation``), in
the world frame at the link's centre of mass; a sub-step only partly
covered by the push gets the covered fraction of the force, so the impulse
is exactly ``F * duration``. A velocity kick adds ``dv`` to the link's
centre-of-mass velocity through the joints (``dq = pinv(J) dv`` with the
link's linear Jacobian; a floating base gets ``resetBaseVelocity``).

The sub-step hook is installed on the SimRobot only for the control steps a
push may act in (decided after every control step), so between pushes the
robot keeps its fast path without hooks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pybullet as pb

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import make_distribution
from randomizers.registry import register

if TYPE_CHECKING:
    from s2r.sim import SimRobot

_EPS = 1e-9


def _range(value: float | Sequence[float], who: str, what: str, positive: bool) -> tuple[float,
                                                                                         float]:
    lo, hi = (value, value) if isinstance(value, (int, float)) else tuple(value)  # type: ignore[misc]
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(hi) and (0 < lo if positive else 0 <= lo) and lo <= hi):
        sign = ">" if positive else ">="
        raise RandomizationError(f"{who}: {what}: need 0 {sign} low <= high, got {value}")
    return lo, hi


@register("push")
class PushRandomizer(Randomizer):
    """Pushes on a named link at random intervals (s2r tasks on a SimRobot).

    Args:
        link: required; the link to push (a URDF link name; see ``SimRobot.link_index``).
        kind: ``force`` (held for ``duration``; ``magnitude`` in N) or
            ``velocity`` (an instantaneous kick; ``magnitude`` in m/s).
        every: seconds from one push's start to the next (and to the first): ``[lo, hi]``.
        duration: seconds a force push lasts: a number or ``[lo, hi]``.
        magnitude: a distribution of the force (N) or velocity change (m/s).
        direction: ``random`` (uniform on the sphere), ``horizontal`` (uniform
            in the x-y plane) or a fixed world vector ``[x, y, z]``.
        horizon: seconds of schedule to draw (default: the task's episode length).

    >>> from randomizers.wrapper import RandomizedEnv
    >>> from s2r.tasks import CartpoleBalance
    >>> push = PushRandomizer(link="cart", every=[0.5, 1.0], duration=0.1, magnitude=[5, 10],
    ...                       direction=[1, 0, 0], horizon=2.0)
    >>> env = RandomizedEnv(CartpoleBalance(), [push], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> t, duration, fx, fy, fz = info["randomization"]["push"]["pushes"][0]
    >>> 0.5 <= t <= 1.0 and 5 <= fx <= 10
    True
    >>> env.close()
    """

    uses_step = True  # installs its own sub-step hook around pushes (see the module doc)

    def __init__(self, link: str | None = None, kind: str = "force",
                 every: float | Sequence[float] = (1.0, 3.0),
                 duration: float | Sequence[float] = 0.1, magnitude: Any = (5.0, 20.0),
                 direction: str | Sequence[float] = "horizontal", horizon: float | None = None,
                 *, mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(mode=mode, interval=interval, name=name)
        if mode != "reset":
            raise RandomizationError(f"{self.name}: the schedule is drawn per episode: mode must "
                                     "be reset")
        if not link:
            raise RandomizationError(f"{self.name}: link: required (the link to push)")
        if kind not in ("force", "velocity"):
            raise RandomizationError(f"{self.name}: kind '{kind}' unknown (known: force, "
                                     "velocity)")
        if isinstance(direction, str):
            if direction not in ("random", "horizontal"):
                raise RandomizationError(f"{self.name}: direction '{direction}' unknown (random, "
                                         "horizontal or [x, y, z])")
            self.direction: str | np.ndarray = direction
        else:
            vec = np.asarray(direction, dtype=np.float64)
            if vec.shape != (3,) or not np.linalg.norm(vec) > 0:
                raise RandomizationError(f"{self.name}: direction must be a nonzero [x, y, z]")
            self.direction = vec / np.linalg.norm(vec)
        self.link, self.kind = link, kind
        self.every = _range(every, self.name, "every", positive=True)
        self.duration = _range(duration, self.name, "duration", positive=False)
        self.magnitude = make_distribution(magnitude)
        self.horizon = horizon
        self.scale = 1.0  # curricula: magnitudes shrink towards the centre of their range
        self.pushes: list[list[float]] = []

    def bind(self, ctx: RandomizationContext) -> None:
        robot = ctx.require_robot(self.name)
        try:
            self._link = robot.link_index(self.link)
        except Exception as err:  # RobotError with the list of links
            raise RandomizationError(f"{self.name}: {err}") from None
        if self.horizon is None:
            steps = getattr(ctx.env.unwrapped, "max_steps", None) or getattr(
                getattr(ctx.env, "spec", None), "max_episode_steps", None)
            if not steps:
                raise RandomizationError(f"{self.name}: horizon: give the episode length in s")
            self.horizon = float(steps) * ctx.control_period
        self._robot = robot
        self._dt_max = robot.params["world.timestep"].high
        self._lookahead = robot.params["world.control_period"].high + self._dt_max + _EPS
        self._next = 0
        self._last_t = math.inf
        self._wake = -math.inf
        self._hooked = False

    def _unit_vector(self, rng: np.random.Generator) -> np.ndarray:
        if isinstance(self.direction, np.ndarray):
            return self.direction
        v = rng.standard_normal(3)
        if self.direction == "horizontal":
            v[2] = 0.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else np.array([1.0, 0.0, 0.0])

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        pushes: list[list[float]] = []
        dist = self.magnitude if self.scale == 1.0 else self.magnitude.widened(self.scale)
        t = float(rng.uniform(*self.every))
        while t < float(self.horizon):  # type: ignore[arg-type]
            duration = float(rng.uniform(*self.duration)) if self.kind == "force" else 0.0
            vec = dist.sample(rng) * self._unit_vector(rng)
            pushes.append([t, duration, *(float(x) for x in vec)])
            t += float(rng.uniform(*self.every))
        return {"kind": self.kind, "link": self.link, "pushes": pushes}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self.pushes = [list(p) for p in record["pushes"]]
        self._next, self._wake, self._last_t = 0, -math.inf, math.inf
        self._hook(bool(self.pushes) and self.pushes[0][0] < self._lookahead)

    def on_step(self, ctx: RandomizationContext, rng: np.random.Generator) -> None:
        """Hook the sub-steps of the next control step only if a push may act in it."""
        pushes, i, t = self.pushes, self._next, self._robot.time
        while i < len(pushes) and self.kind == "force" and pushes[i][0] + pushes[i][1] < t:
            i += 1
        self._hook(i < len(pushes) and pushes[i][0] < t + self._lookahead)

    def _hook(self, on: bool) -> None:
        if on and not self._hooked:
            self._robot.add_substep_hook(self.on_substep)
        elif self._hooked and not on:
            self._robot.remove_substep_hook(self.on_substep)
        self._hooked = on

    def close(self, ctx: RandomizationContext) -> None:
        if getattr(self, "_hooked", False) and self._robot.client >= 0:
            self._hook(False)

    def on_substep(self, robot: SimRobot) -> None:
        t = robot.time
        if t < self._last_t:  # a reset since the last sub-step: start over
            self._next, self._wake = 0, -math.inf
        self._last_t = t
        if t < self._wake:
            return  # fast path: no push can act in this sub-step
        pushes, i = self.pushes, self._next
        if i >= len(pushes):
            self._wake = math.inf
            return
        dt = robot.get("world.timestep")
        if t + dt <= pushes[i][0] + _EPS:  # the next push starts later: sleep until then
            self._wake = pushes[i][0] - self._dt_max - _EPS
            return
        if self.kind == "velocity":  # kicks whose time has come, once each
            while i < len(pushes) and t + dt > pushes[i][0] + _EPS:
                self._kick(robot, np.asarray(pushes[i][2:]))
                i += 1
            self._next = i
            return
        while i < len(pushes) and t >= pushes[i][0] + pushes[i][1] - _EPS:
            i += 1  # finished forces
        self._next = i
        total, j = np.zeros(3), i
        while j < len(pushes) and t + dt > pushes[j][0] + _EPS:  # active (may overlap)
            start, duration = pushes[j][0], pushes[j][1]
            overlap = min(t + dt, start + duration) - max(t, start)
            if overlap > _EPS:
                total += np.asarray(pushes[j][2:]) * min(1.0, overlap / dt)
            j += 1
        if total.any():
            self._force(robot, total)

    def _force(self, robot: SimRobot, force: np.ndarray) -> None:
        c, body, link = robot.client, robot.body, self._link
        if link < 0:
            pos = pb.getBasePositionAndOrientation(body, physicsClientId=c)[0]
        else:
            pos = pb.getLinkState(body, link, computeForwardKinematics=1, physicsClientId=c)[0]
        pb.applyExternalForce(body, link, force.tolist(), pos, pb.WORLD_FRAME, physicsClientId=c)

    def _kick(self, robot: SimRobot, dv: np.ndarray) -> None:
        c, body, link = robot.client, robot.body, self._link
        if link < 0:
            v, w = pb.getBaseVelocity(body, physicsClientId=c)
            pb.resetBaseVelocity(body, (np.asarray(v) + dv).tolist(), w, physicsClientId=c)
            return
        joints = [j for j in range(pb.getNumJoints(body, physicsClientId=c))
                  if pb.getJointInfo(body, j, physicsClientId=c)[2] != pb.JOINT_FIXED]
        states = pb.getJointStates(body, joints, physicsClientId=c)
        q = [s[0] for s in states]
        zeros = [0.0] * len(joints)
        jac = np.asarray(pb.calculateJacobian(body, link, [0.0, 0.0, 0.0], q, zeros, zeros,
                                              physicsClientId=c)[0])
        dq = np.linalg.pinv(jac) @ dv
        for j, s, d in zip(joints, states, dq, strict=True):
            if d != 0.0:
                pb.resetJointState(body, j, s[0], s[1] + float(d), physicsClientId=c)
