"""Timing and sensing effects of a simulated robot, driven as a device's firmware would.

:class:`EffectControls` is the part of :class:`~s2r.sim.SimRobot` that an emulated device
and the randomizers use beyond the :class:`~s2r.robot.Robot` interface: the effect model
itself (delays, rate limit, smooth friction, encoders, velocity estimation, noise, all
parameters set with ``set_params``), the velocity estimate's span, extra channels carried
through the action delay, commands sent and time advanced separately, and the per-step
command and measurement filters randomizers install.

>>> from s2r.sim import SimRobot
>>> with SimRobot("pendulum", params={"delay.action": 0.02}) as robot:
...     _ = robot.reset()
...     robot.send([1.0])
...     robot.advance()                # 20 ms: the command is still in the delay line
...     before = float(robot.observe().qd[0])
...     robot.advance()
...     before, bool(robot.observe().qd[0] > 0.0)
(0.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from s2r.effects import CommandDelay
from s2r.sim._pb import pb

if TYPE_CHECKING:
    from s2r.effects import EffectModel
    from s2r.errors import RobotError
    from s2r.robot import RobotSpec
    from s2r.sim.stepping import CommandFilter, MeasurementFilter, Stepper


class EffectControls:
    """Effects, separate send/advance and per-step filters of :class:`~s2r.sim.SimRobot`
    (a mixin: it uses the robot's stepper and effect model)."""

    if TYPE_CHECKING:
        spec: RobotSpec
        _fx: EffectModel
        _stepper: Stepper
        _values: dict[str, float]
        _window: float | None
        _command_filter: CommandFilter | None
        _measurement_filter: MeasurementFilter | None
        _reclip: bool

        def _retime(self) -> None: ...

        def _error(self, what: str, err: Exception) -> RobotError: ...

    @property
    def effects(self) -> EffectModel:
        """The timing and sensing effects (set their values with :meth:`set_params`)."""
        return self._fx

    def set_sensor_window(self, seconds: float | None) -> None:
        """Finite-difference span of the velocity estimate (``None``: the control period).

        A firmware sampling every physics step estimates velocities over its
        host's control period, not its own tick.
        """
        self._window = seconds
        self._retime()

    def carry_channels(self, count: int,
                       transform: Callable[[tuple[float, ...], list[float]], Sequence[float]]
                       ) -> None:
        """Carry ``count`` extra channels (e.g. a driver's enable flag) through the action delay.

        Before every physics step ``transform(delayed, qd)`` turns the delayed
        command (actuator channels, then the extra ones, time-averaged over the
        step) and the joint velocities into the actuators' commands. Commands
        are then sent with :meth:`send` and time advanced with :meth:`advance`.

        >>> from s2r.sim import SimRobot
        >>> robot = SimRobot("pendulum", params={"delay.action": 0.01})
        >>> robot.carry_channels(1, lambda u, qd: [u[0] * u[1]])  # channel 1 gates the drive
        >>> _ = robot.reset()
        >>> robot.send([2.0], channels=[1.0])
        >>> robot.advance()  # 20 ms: the gate opens halfway through
        >>> bool(robot.observe().qd[0] > 0.0), robot._command
        (True, [2.0])
        >>> robot.close()
        """
        fx = self._fx
        fx.aux = count
        fx.actions = CommandDelay(self.spec.n_actions + count, fx.actions.delay)
        self._stepper.aux, self._stepper.transform = count, transform
        self._stepper.aux_values = (0.0,) * count
        self._stepper.sync()

    def send(self, command: Sequence[float], *, extra_delay: float = 0.0,
             channels: Sequence[float] = ()) -> None:
        """Send a command now without advancing time; it acts ``delay.action + extra_delay``
        later, and ``channels`` (see :meth:`carry_channels`) ride along with it."""
        self._stepper.send([float(u) for u in command], extra_delay, channels)

    def advance(self) -> None:
        """Advance one control period under the commands sent so far."""
        try:
            self._stepper.advance(self._values["world.timestep"],
                                  self._values["world.control_period"])
        except pb.error as err:
            raise self._error("advance", err) from None

    def set_filters(self, command: CommandFilter | None = None,
                    measurement: MeasurementFilter | None = None, *, clip: bool = True) -> None:
        """Transform every command and every measurement in the robot's own step (``None``: none).

        ``command(u)`` gets the clipped command (a list of Python floats, one per
        actuator) and returns the command for the actuators as a new list, which is
        clipped to the actuator limits again unless ``clip=False`` (for a filter that
        cannot leave them); :meth:`act` still returns the controller's clipped command.
        ``measurement(q, qd, sensors)`` gets the measurement as lists of Python floats
        (it must not change them: they are the robot's state) and returns the three
        sequences of floats :meth:`observe` delivers (as float64 vectors). Randomizers
        install their per-step transforms here (``randomizers.robot_proxy``): on floats,
        in the hot path, they cost a fraction of the NumPy calls a separate pass would.
        """
        self._command_filter, self._measurement_filter = command, measurement
        self._reclip = clip
