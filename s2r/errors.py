"""The typed exceptions of s2r.

Every error a user can cause (a bad config, a malformed log, garbage on the
serial line, a safety stop) is one of these. The CLI turns any
:class:`S2RError` into a single line and a non-zero exit code.

>>> try:
...     raise ConfigError("robot.control_rate must be > 0", where="configs/robots/x.yaml")
... except S2RError as err:
...     print(err)
configs/robots/x.yaml: robot.control_rate must be > 0
"""

from __future__ import annotations


class S2RError(Exception):
    """Base class of every error s2r raises on purpose.

    ``where`` names the file, key, row or port the error is about; it is put in
    front of the message so that one line tells the user what to fix.
    """

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(message)

    def __str__(self) -> str:  # built each time, so a caller may fill in ``where`` later
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(S2RError):
    """A configuration file or override is invalid (unknown key, wrong type, bad range)."""


class ParameterError(S2RError, KeyError):
    """A named physical parameter is unknown or a value is outside its bounds."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return S2RError.__str__(self)


class RobotError(S2RError):
    """A robot description (YAML/URDF) is invalid or a robot was misused."""


class LogFormatError(S2RError):
    """A log file is malformed: missing columns, NaN, non-monotonic time, ..."""


class ProtocolError(S2RError):
    """Bytes on the serial line violate hardware/PROTOCOL.md."""


class DeviceError(S2RError):
    """The device is unreachable, silent, or reported an error."""

    exit_code = 3


class SafetyStop(S2RError):
    """A safety guard stopped the robot (limit, velocity, watchdog, e-stop)."""

    exit_code = 4


class PolicyError(S2RError):
    """A policy file cannot be loaded or does not fit the robot."""


class TimingError(S2RError):
    """A run held its control rate too poorly (more overruns than the allowed fraction)."""

    exit_code = 5


class ReportError(S2RError):
    """The logs given to a gap report cannot be compared (none found, other robot or task)."""
