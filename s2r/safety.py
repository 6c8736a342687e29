"""The safety layer shared by sim and hardware: clip and rate-limit every command, guard
joint limits and velocities.

:class:`SafetyGuard` holds the rules (from a robot's :class:`~s2r.robot.SafetyLimits`).
Every :class:`~s2r.tasks.RobotTask` filters its commands through one, in simulation as
on hardware, so a policy trained in sim meets the same clipping and ``max_action_delta``
rate limit as on the robot, and ``info["applied_action"]`` is the filtered command.
:class:`GuardedRobot` wraps any :class:`~s2r.robot.Robot` so that every command passes
the guard before it is sent and every observation is checked after it arrives. A guard
trip sends ESTOP (the device latches it) and raises :class:`~s2r.errors.SafetyStop`.

>>> from s2r.robot import ActuatorSpec, JointSpec, RobotSpec, SafetyLimits
>>> spec = RobotSpec("toy", (JointSpec("arm", "revolute"),),
...                  (ActuatorSpec("arm", "arm", "torque", -2.0, 2.0),), 100.0,
...                  safety=SafetyLimits({"arm": (-1.0, 1.0)}, {"arm": 5.0}, 0.5))
>>> guard = SafetyGuard(spec)
>>> [float(guard.filter([9.0])[0]) for _ in range(5)]   # clipped to 2, then 0.5 per step
[0.5, 1.0, 1.5, 2.0, 2.0]
>>> guard.filter([float("nan")]).tolist()                # NaN is never sent: 0, rate-limited
[1.5]
>>> from s2r.robot import Observation
>>> guard.check(Observation(0.0, np.array([1.2]), np.array([0.0])))
Traceback (most recent call last):
...
s2r.errors.SafetyStop: safety guard: joint arm position 1.2 rad outside [-1, 1]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from s2r.errors import SafetyStop
from s2r.robot import Observation, Robot, RobotBase, RobotSpec, SafetyLimits

__all__ = ["GuardedRobot", "SafetyGuard"]


class SafetyGuard:
    """Clipping, rate limiting and joint guards for one robot.

    ``previous`` is the last command sent (zero after a reset: a device enables with a
    zero output), from which the rate limit counts. Counters: ``clipped`` and
    ``rate_limited`` (commands changed by each rule), ``nonfinite`` (NaN/inf replaced).
    """

    def __init__(self, spec: RobotSpec, limits: SafetyLimits | None = None) -> None:
        self.spec, self.limits = spec, limits or spec.safety
        self.clipped = self.rate_limited = self.nonfinite = 0
        joints = spec.joint_names
        self._pos = [(joints.index(n), lo, hi) for n, (lo, hi) in self.limits.position.items()]
        self._vel = [(joints.index(n), v) for n, v in self.limits.velocity.items()]
        # plain floats: this runs every step of every training env (NumPy costs ~10x more)
        self._bounds = list(zip(spec.action_low.tolist(), spec.action_high.tolist()))
        self._delta = self.limits.max_action_delta
        self._prev = [0.0] * spec.n_actions

    @property
    def previous(self) -> np.ndarray:
        """The last command sent, from which the rate limit counts."""
        return np.array(self._prev)

    @previous.setter
    def previous(self, value: Sequence[float] | np.ndarray) -> None:
        self._prev = self._floats(value)

    def _floats(self, values: Sequence[float] | np.ndarray) -> list[float]:
        """One command as Python floats; a float vector or list of floats of the right
        length is taken as is (the per-step case), anything else through NumPy."""
        n = self.spec.n_actions
        if type(values) is np.ndarray:
            if values.dtype.char == "d" and values.shape == (n,):
                return values.tolist()
        elif type(values) is list and len(values) == n and all(type(x) is float for x in values):
            return values[:]
        return np.asarray(values, dtype=np.float64).reshape(n).tolist()

    def reset(self, previous: Sequence[float] | np.ndarray | None = None) -> None:
        """Restart the rate limit from ``previous`` (default: zero output)."""
        if previous is None:
            self._prev = [0.0] * self.spec.n_actions
        else:
            self.previous = previous

    def filter(self, action: Sequence[float] | np.ndarray) -> np.ndarray:
        """The command to send for ``action``: finite, within limits and rate limit."""
        return np.array(self.filter_floats(self._floats(action)))

    def filter_floats(self, raw: list[float]) -> list[float]:
        """:meth:`filter` of a command given as a list of Python floats, one per actuator
        (unchecked: the per-step case), as a new list of floats.

        >>> from s2r.robot import ActuatorSpec, RobotSpec
        >>> spec = RobotSpec("toy", (), (ActuatorSpec("m", "j", "torque", -2.0, 2.0),), 50.0)
        >>> SafetyGuard(spec).filter_floats([9.0])
        [2.0]
        """
        delta, out = self._delta, []
        clipped = limited = False
        for x, (lo, hi), p in zip(raw, self._bounds, self._prev):
            if not -math.inf < x < math.inf:  # NaN or inf: never sent, 0 instead
                self.nonfinite += 1
                x = 0.0
            u = lo if x < lo else hi if x > hi else x
            clipped |= u != x
            if delta is not None:
                r = p - delta if u < p - delta else p + delta if u > p + delta else u
                limited |= r != u
                u = lo if r < lo else hi if r > hi else r
            out.append(u)
        if clipped:  # counted only when it happened: no attribute writes per step
            self.clipped += 1
        if limited:
            self.rate_limited += 1
        self._prev = out
        return out[:]

    def violation(self, obs: Observation) -> str | None:
        """What a measurement violates (joint, value, limit), or None."""
        if not self._pos and not self._vel:
            return None
        q, qd = obs.q, obs.qd  # Python floats: cheaper than indexing NumPy per joint
        return self.violation_floats(q.tolist() if type(q) is np.ndarray else list(q),
                                     qd.tolist() if type(qd) is np.ndarray else list(qd))

    def violation_floats(self, qs: Sequence[float], qds: Sequence[float]) -> str | None:
        """:meth:`violation` of joint positions and velocities given as Python floats.

        >>> from s2r.robot import JointSpec, RobotSpec, SafetyLimits
        >>> spec = RobotSpec("toy", (JointSpec("arm", "revolute"),), (), 50.0,
        ...                  safety=SafetyLimits({}, {"arm": 5.0}))
        >>> SafetyGuard(spec).violation_floats([0.0], [-6.0])
        'joint arm velocity -6 rad/s beyond +-5'
        """
        for i, lo, hi in self._pos:
            q = qs[i]
            if not lo <= q <= hi:
                q = float(q)
                j = self.spec.joints[i]
                return f"joint {j.name} position {q:.4g} {j.units[0]} outside [{lo:g}, {hi:g}]"
        for i, vmax in self._vel:
            v = qds[i]
            if not abs(v) <= vmax:
                v = float(v)
                j = self.spec.joints[i]
                return f"joint {j.name} velocity {v:.4g} {j.units[1]} beyond +-{vmax:g}"
        return None

    def check(self, obs: Observation) -> None:
        """Raise SafetyStop if ``obs`` violates a position or velocity guard."""
        why = self.violation(obs)
        if why is not None:
            raise SafetyStop(f"safety guard: {why}")


class GuardedRobot(RobotBase):
    """A :class:`Robot` whose commands pass a :class:`SafetyGuard`; e-stops on a trip.

    Other attributes (``stats``, ``device_info``, ...) are those of the wrapped robot.
    ``tripped`` holds the reason of the last guard trip.
    """

    def __init__(self, robot: Robot, guard: SafetyGuard | None = None) -> None:
        self.robot = robot
        self.spec = robot.spec
        self.guard = guard or SafetyGuard(robot.spec)
        self.tripped: str | None = None

    def __getattr__(self, name: str) -> Any:
        if name == "robot":  # not set yet (e.g. during unpickling)
            raise AttributeError(name)
        return getattr(self.robot, name)

    def _check(self, obs: Observation) -> Observation:
        why = self.guard.violation(obs)
        if why is not None:
            self.tripped = why
            self.estop()
            raise SafetyStop(f"safety guard: {why}; ESTOP sent")
        return obs

    def estop(self) -> bool:
        """ESTOP the wrapped robot if it can (True if acknowledged), else close it."""
        estop = getattr(self.robot, "estop", None)
        if estop is not None:
            return bool(estop())
        self.robot.close()
        return False

    def reset(self, q: np.ndarray | None = None, qd: np.ndarray | None = None) -> Observation:
        """Reset the robot, restart the rate limit from zero and check the start state."""
        obs = self.robot.reset(q, qd)
        self.guard.reset()
        return self._check(obs)

    def act(self, action: np.ndarray | Sequence[float]) -> np.ndarray:
        """Filter, send, check the new observation; returns the command actually sent."""
        sent = self.robot.act(self.guard.filter(action))
        self.guard.previous = np.asarray(sent, dtype=np.float64)
        self._check(self.robot.observe())
        return sent

    def observe(self) -> Observation:
        return self.robot.observe()

    def close(self) -> None:
        self.robot.close()
