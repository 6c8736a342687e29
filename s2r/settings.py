"""Declarative config settings: a default, a one-line meaning and a constraint per field.

:func:`setting` makes a dataclass field whose metadata holds its help text and
its :class:`Check`; :func:`check_values` enforces them (and rejects NaN/inf in
every float unless a field allows it) on a loaded config, and
:func:`describe_settings` renders the ``--help`` listing from the same metadata.

>>> from dataclasses import dataclass
>>> @dataclass
... class Run:
...     rate: float = setting(50.0, "control rate in Hz", gt=0)
...     mode: str = setting("fast", "how to run", choices=("fast", "slow"))
>>> check_values(Run(rate=-5.0), lambda key: "<overrides>")
Traceback (most recent call last):
...
s2r.errors.ConfigError: <overrides>: rate: must be > 0, got -5.0
>>> print(describe_settings(Run))
  rate  50.0  control rate in Hz (> 0)
  mode  fast  how to run (fast | slow)
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from s2r.errors import ConfigError

META_KEY = "s2r"


@dataclass(frozen=True)
class Check:
    """Constraint of one setting (applied to each element of a list)."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    choices: tuple[Any, ...] | None = None
    finite: bool = True  # reject NaN and +-inf
    message: str | None = None  # says what a bad value breaks, instead of the bounds

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks this constraint, or None."""
        if self.choices is not None and value not in self.choices:
            if self.message:
                return self.message
            *head, last = map(str, self.choices)
            return f"must be {', '.join(head)} or {last}" if head else f"must be {last}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if isinstance(value, float) and math.isnan(value):
            return "must be a number" if not self.finite else "must be finite"
        if self.finite and math.isinf(value):
            return "must be finite"
        ok = ((self.gt is None or value > self.gt) and (self.ge is None or value >= self.ge)
              and (self.lt is None or value < self.lt) and (self.le is None or value <= self.le))
        return None if ok else self.message or f"must be {self.bounds()}"

    def bounds(self) -> str:
        """``> 0``, ``1..60000``, ``>= 0 and < 1`` or ``''``."""
        if self.ge is not None and self.le is not None:
            return f"{self.ge:g}..{self.le:g}"
        parts = [f"{op} {v:g}" for op, v in ((">", self.gt), (">=", self.ge), ("<", self.lt),
                                             ("<=", self.le)) if v is not None]
        return " and ".join(parts)

    def describe(self) -> str:
        """The constraint as shown in ``--help``."""
        if self.choices is not None:
            return " | ".join(map(str, self.choices))
        return self.bounds()


def setting(default: Any = dataclasses.MISSING, help: str = "", *,
            factory: Callable[[], Any] | None = None, gt: float | None = None,
            ge: float | None = None, lt: float | None = None, le: float | None = None,
            choices: Sequence[Any] | None = None, finite: bool = True,
            message: str | None = None) -> Any:
    """A dataclass field with a one-line ``help`` and a constraint (see :class:`Check`).

    Use ``factory`` instead of ``default`` for a list or dict default; ``finite=False``
    allows +-inf; ``message`` replaces the generated "must be ..." text of an error.

    >>> setting(3, "episodes", ge=1).metadata["s2r"][1].bounds()
    '>= 1'
    """
    check = Check(gt, ge, lt, le, tuple(choices) if choices is not None else None, finite,
                  message)
    meta = {META_KEY: (help, check)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def field_info(f: dataclasses.Field[Any]) -> tuple[str, Check]:
    """(help, check) of a dataclass field; plain fields: no help, finite floats only.

    >>> @dataclass
    ... class Link:
    ...     baud: int = setting(9600, "baud rate", gt=0)
    >>> field_info(dataclasses.fields(Link)[0])
    ('baud rate', Check(gt=0, ge=None, lt=None, le=None, choices=None, finite=True, message=None))
    """
    return f.metadata.get(META_KEY, ("", Check()))


def check_values(obj: Any, origin: Callable[[list[str | int]], str],
                 _path: list[str | int] | None = None) -> None:
    """Raise :class:`ConfigError` for the first value of ``obj`` that breaks its field's check.

    Walks nested dataclasses, lists and dicts. ``origin(path)`` names the file (or
    ``<overrides>``) the value at ``path`` came from.
    """
    path = _path or []
    for f in dataclasses.fields(obj):
        _check(getattr(obj, f.name), field_info(f)[1], [*path, f.name], origin)


def _check(value: Any, check: Check, path: list[str | int], origin: Callable[..., str]) -> None:
    if value is None:
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        check_values(value, origin, path)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, check, [*path, i], origin)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check(item, check, [*path, str(key)], origin)
    elif (why := check.problem(value)) is not None:
        raise ConfigError(f"{key_name(path)}: {why}, got {value!r}", where=origin(path))


def key_name(path: Sequence[str | int]) -> str:
    """``["joints", 0, "damping"]`` as ``joints[0].damping``.

    >>> key_name(["joints", 0, "damping"])
    'joints[0].damping'
    """
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def format_default(value: Any) -> str:
    """A default as it would be written in YAML.

    >>> format_default(None), format_default(True), format_default([1.0, 2.0])
    ('null', 'true', '[1.0, 2.0]')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_default(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_default(v)}" for k, v in value.items()) + "}"
    return str(value)


def default_of(f: dataclasses.Field[Any]) -> Any:
    """The default value of a dataclass field (calls a default factory)."""
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def describe_settings(schema: type[Any], width: int | None = None) -> str:
    """One line per field: key, default, meaning and constraint (for ``--help``).

    With ``width``, meanings are wrapped to lines of at most that many characters.
    """
    rows = []
    for f in dataclasses.fields(schema):
        text, check = field_info(f)
        default = default_of(f)
        extra = check.describe()
        if default == "???":
            default, extra = "???", "required" + (f", {extra}" if extra else "")
        extra = extra.replace(" ", "\0")  # a constraint is never split over two lines
        rows.append((f.name, format_default(default), f"{text} ({extra})" if extra else text))
    wk = max(len(r[0]) for r in rows)
    wd = min(max(len(r[1]) for r in rows), 16)
    indent = " " * (wk + wd + 6)
    lines = []
    for key, default, text in rows:
        first = f"  {key:<{wk}}  {default:<{wd}}  "
        if width is None:
            lines.append((first + text).rstrip())
        else:
            lines.append(textwrap.fill(text, max(width, len(first) + 20), initial_indent=first,
                                       subsequent_indent=indent, break_long_words=False))
    return "\n".join(lines).replace("\0", " ")
