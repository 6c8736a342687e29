"""One robot interface for simulation and hardware.

:class:`SimRobot` (PyBullet) and ``hardware.SerialRobot`` (a microcontroller on
a serial port) both implement :class:`Robot`, so the same task, policy and
episode runner run on both, which makes a gap report an apples-to-apples
comparison.

Contract of :class:`Robot` (modelled on LeRobot's robots):

- ``reset(q=None, qd=None)`` brings the robot to a start state (sim: exactly
  the given state; hardware: its go-home procedure) and returns the first
  observation.
- ``act(action)`` sends one command for one control period and returns the
  action *actually sent*, after the safety clipping. In simulation the call
  advances physics by one control period; on hardware the caller paces time.
- ``observe()`` returns the latest timestamped :class:`Observation`.
- ``close()`` disables the actuators and releases the simulator or port; a
  robot is a context manager that always closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np

#: Units of joint positions/velocities and of actuator commands by kind.
JOINT_UNITS = {"revolute": ("rad", "rad/s"), "prismatic": ("m", "m/s")}
ACTION_UNITS = {"dc_motor": "V", "torque": "N*m", "force": "N"}


@dataclass(frozen=True)
class JointSpec:
    """A measured joint: name, kind, position limits and velocity limit."""

    name: str
    kind: str  # "revolute" or "prismatic"
    position_limits: tuple[float, float] | None = None
    velocity_limit: float | None = None

    @property
    def units(self) -> tuple[str, str]:
        """(position unit, velocity unit)."""
        return JOINT_UNITS[self.kind]


@dataclass(frozen=True)
class ActuatorSpec:
    """An actuated joint: which joint, what kind of actuator, command limits."""

    name: str
    joint: str
    kind: str  # "dc_motor", "torque" or "force"
    low: float
    high: float

    @property
    def unit(self) -> str:
        """Unit of the command (V, N*m or N)."""
        return ACTION_UNITS[self.kind]


@dataclass(frozen=True)
class SafetyLimits:
    """Limits a runner enforces on hardware (and checks in sim).

    ``position`` and ``velocity`` are per joint name (missing: unguarded);
    ``max_action_delta`` is the largest change of each command per control
    step (``None``: no rate limit).
    """

    position: dict[str, tuple[float, float]] = field(default_factory=dict)
    velocity: dict[str, float] = field(default_factory=dict)
    max_action_delta: float | None = None


_empty = np.empty


def float_array(values: Sequence[float]) -> np.ndarray:
    """``np.array(values, dtype=np.float64)`` for a short sequence of floats, the same vector.

    Filling a new empty vector element by element costs about half of ``np.array``'s
    type inference on one or two elements (what the per-step paths hold).

    >>> float_array([0.5, -1.0]).tolist(), float_array([2.0]).dtype.name
    ([0.5, -1.0], 'float64')
    """
    n = len(values)
    if n == 1:
        out = _empty(1)
        out[0] = values[0]
        return out
    if n == 2:
        out = _empty(2)
        out[0] = values[0]
        out[1] = values[1]
        return out
    return np.array(values, dtype=np.float64)


def _clip(x: float, lo: float, hi: float) -> float:
    """``np.minimum(np.maximum(x, lo), hi)`` bit for bit (a tie, as 0.0 vs -0.0, gives the
    bound, as NumPy does) on Python floats, for a value that is not NaN."""
    m = x if x > lo else lo
    return m if m < hi else hi


@dataclass(frozen=True)
class RobotSpec:
    """What a policy and a runner need to know about a robot."""

    name: str
    joints: tuple[JointSpec, ...]
    actuators: tuple[ActuatorSpec, ...]
    control_rate: float
    sensors: tuple[str, ...] = ()
    safety: SafetyLimits = field(default_factory=SafetyLimits)

    @property
    def joint_names(self) -> list[str]:
        return [j.name for j in self.joints]

    @property
    def actuator_names(self) -> list[str]:
        return [a.name for a in self.actuators]

    @cached_property
    def action_low(self) -> np.ndarray:
        low = np.array([a.low for a in self.actuators], dtype=np.float64)
        low.setflags(write=False)
        return low

    @cached_property
    def action_high(self) -> np.ndarray:
        high = np.array([a.high for a in self.actuators], dtype=np.float64)
        high.setflags(write=False)
        return high

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    @property
    def n_actions(self) -> int:
        return len(self.actuators)

    def clip_action(self, action: Sequence[float] | np.ndarray) -> np.ndarray:
        """Clip a command to the actuator limits (NaN becomes 0: never send NaN).

        >>> spec = RobotSpec("r", (), (ActuatorSpec("m", "j", "torque", -2.0, 2.0),), 50.0)
        >>> spec.clip_action([5.0]), spec.clip_action([float("nan")])
        (array([2.]), array([0.]))
        """
        if type(action) is np.ndarray and action.dtype.char == "d" and action.ndim == 1:
            values = action.tolist()  # the per-step case: Python floats beat NumPy on a few
        else:
            values = np.array(action, dtype=np.float64).reshape(self.n_actions).tolist()
        if len(values) != self.n_actions:
            values = np.reshape(values, self.n_actions).tolist()  # NumPy's error
        return np.array([_clip(x, lo, hi) if x == x else z
                         for x, (lo, hi, z) in zip(values, self._clip_bounds)])

    @cached_property
    def _clip_bounds(self) -> list[tuple[float, float, float]]:
        """(low, high, what NaN becomes: 0 clipped) per actuator, as Python floats."""
        return [(float(a.low), float(a.high), _clip(0.0, float(a.low), float(a.high)))
                for a in self.actuators]

    def units(self) -> dict[str, str]:
        """Unit of every log column of this robot (``t``, ``u.*``, ``q.*``, ``qd.*``)."""
        units = {"t": "s"}
        units.update({f"u.{a.name}": a.unit for a in self.actuators})
        units.update({f"q.{j.name}": j.units[0] for j in self.joints})
        units.update({f"qd.{j.name}": j.units[1] for j in self.joints})
        return units


@dataclass
class Observation:
    """A timestamped measurement: time of sampling, joint state, other sensors."""

    t: float
    q: np.ndarray
    qd: np.ndarray
    sensors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    status: int = 0


@runtime_checkable
class Robot(Protocol):
    """The interface shared by :class:`~s2r.sim.SimRobot` and ``hardware.SerialRobot``."""

    spec: RobotSpec

    def reset(self, q: np.ndarray | None = None, qd: np.ndarray | None = None) -> Observation:
        ...

    def act(self, action: np.ndarray) -> np.ndarray:
        ...

    def observe(self) -> Observation:
        ...

    def close(self) -> None:
        ...


R = TypeVar("R", bound="RobotBase")


class RobotBase:
    """Context-manager plumbing shared by robot implementations."""

    spec: RobotSpec

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self: R) -> R:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
