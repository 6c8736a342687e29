"""Building randomizers from config: a registry keyed by ``type``, plus plugins.

Built-in randomizers register themselves with :func:`register`; third-party
packages add theirs through the entry-point group ``s2r.randomizers``
(``name = "package.module:Class"``). A randomization config is a list of
``{type: ..., ...}`` entries (``configs/randomization/*.yaml``); invalid
entries fail with a message naming the entry and the file before any
simulation runs.

>>> rs = build_randomizers([{"type": "mass", "distribution": [0.8, 1.2]}])
>>> rs[0].patterns
['link.*.mass']
"""

from __future__ import annotations

import ast
import inspect
import os
import re
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

from randomizers.base import RandomizationError, Randomizer
from randomizers.distributions import NotANumber, number
from s2r.errors import ConfigError

ENTRY_POINT_GROUP = "s2r.randomizers"
REGISTRY: dict[str, type[Randomizer]] = {}
R = TypeVar("R", bound=type[Randomizer])


def register(name: str) -> Callable[[R], R]:
    """Class decorator: make a randomizer available as ``type: name`` in configs."""

    def deco(cls: R) -> R:
        if name in REGISTRY and REGISTRY[name] is not cls:
            raise RandomizationError(f"randomizer type '{name}' registered twice")
        cls.type = name
        REGISTRY[name] = cls
        return cls

    return deco


def _load_builtins() -> None:
    import randomizers.physics  # noqa: F401
    for module in ("actuation", "timing", "dropout", "sensing", "perturbations", "visual",
                   "adr"):
        try:
            __import__(f"randomizers.{module}")
        except ModuleNotFoundError as err:
            if err.name != f"randomizers.{module}":
                raise


def _load_plugins() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in REGISTRY:
            continue
        try:
            cls = ep.load()
        except Exception as err:
            raise RandomizationError(f"plugin '{ep.name}' ({ep.value}) failed to load: "
                                     f"{type(err).__name__}: {err}") from None
        if not (inspect.isclass(cls) and issubclass(cls, Randomizer)):
            raise RandomizationError(f"plugin '{ep.name}' ({ep.value}) is not a Randomizer "
                                     "subclass")
        cls.type = cls.type or ep.name
        REGISTRY[ep.name] = cls


def registry() -> dict[str, type[Randomizer]]:
    """All known randomizer types: built-in and plugins."""
    _load_builtins()
    _load_plugins()
    return dict(REGISTRY)


def build_randomizer(entry: Mapping[str, Any], where: str = "randomizers[0]") -> Randomizer:
    """One randomizer from a ``{type: ..., ...}`` mapping."""
    known = registry()
    entry = dict(entry)
    kind = entry.pop("type", None)
    if kind is None:
        raise RandomizationError("missing 'type'", where=where)
    if kind not in known:
        import difflib

        close = difflib.get_close_matches(str(kind), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise RandomizationError(f"unknown randomizer type '{kind}'{hint}", where=where)
    cls = known[kind]
    params = inspect.signature(cls.__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(entry) - set(params) - {"self"})
        if unknown:
            raise RandomizationError(f"{kind}: unknown option '{unknown[0]}' (options: "
                                     f"{', '.join(p for p in params if p != 'self')})",
                                     where=where)
    for name, value in entry.items():
        _check_numeric_lists(kind, str(name), value, where)
    try:
        randomizer = cls(**entry)
    except NotANumber as err:
        raise RandomizationError(_not_a_number(kind, entry, err.value), where=where) from None
    except ConfigError as err:  # RandomizationError, or a bad distribution
        raise RandomizationError(err.message, where=where) from None
    except ValueError as err:  # a randomizer's own float() of a string option
        raise RandomizationError(value_error_message(kind, entry, err), where=where) from None
    except TypeError as err:
        raise RandomizationError(f"{kind}: {err}", where=where) from None
    randomizer.where = where  # bind-time errors name the entry too
    randomizer.entry = {"type": kind, **entry}
    return randomizer


def _key_of(value: Any, bad: Any, path: str) -> str | None:
    """The dotted/indexed key under which ``bad`` sits in a config value, if anywhere."""
    if type(value) is type(bad) and value == bad:
        return path
    if isinstance(value, Mapping):
        items: Any = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    return next((key for sub, v in items if (key := _key_of(v, bad, sub))), None)


def _not_a_number(kind: str, entry: Mapping[str, Any], bad: Any) -> str:
    key = next((k for name, v in entry.items() if (k := _key_of(v, bad, str(name)))), None)
    return f"{kind}: {key + ': ' if key else ''}{bad!r} is not a number"


def value_error_message(kind: str, entry: Mapping[str, Any], err: ValueError) -> str:
    """One line for a ValueError a randomizer raised on its options: a string that is not a
    number is named with the key that holds it."""
    bad = re.match(r"could not convert string to float: (.*)$", str(err))
    if bad:
        try:
            return _not_a_number(kind, entry, ast.literal_eval(bad.group(1)))
        except (ValueError, SyntaxError):
            pass
    return f"{kind}: {err}"


def _check_numeric_lists(kind: str, key: str, value: Any, where: str) -> None:
    """A list holding numbers and a string that is not one (``[0.8, "abc"]``) is an error."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_numeric_lists(kind, f"{key}.{k}", v, where)
    elif isinstance(value, (list, tuple)):
        numeric = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        for i, v in enumerate(value):
            if numeric and (isinstance(v, str) or v is None):
                try:
                    number(v)
                except NotANumber:
                    raise RandomizationError(f"{kind}: {key}[{i}]: {v!r} is not a number",
                                             where=where) from None
            _check_numeric_lists(kind, f"{key}[{i}]", v, where)


def build_randomizers(entries: Sequence[Mapping[str, Any]], source: str = "randomizers"
                      ) -> list[Randomizer]:
    """Randomizers from a list of config entries; errors name ``source[i]``."""
    return [build_randomizer(e, where=f"{source}[{i}] (type {e.get('type', '?')})")
            for i, e in enumerate(entries)]


def read_randomization_file(name_or_path: str | os.PathLike[str]
                            ) -> tuple[Path, dict[str, Any]]:
    """The path and the top-level mapping of a randomization file, keys checked."""
    from omegaconf import OmegaConf

    from s2r.config import read_yaml, resolve_config_path

    path = resolve_config_path("randomization", name_or_path)
    cfg = OmegaConf.to_container(read_yaml(path), resolve=True)
    if not isinstance(cfg, dict):
        raise RandomizationError("expected a mapping with randomizers: [...]", where=str(path))
    if "seed" in cfg:
        raise RandomizationError("seed: a randomization file holds no seed; seed the stream "
                                 "with RandomizedEnv(..., seed=...) or reset(seed=...)",
                                 where=str(path))
    unknown = set(cfg) - {"randomizers", "schedules"}
    if unknown:
        raise RandomizationError(f"unknown key '{sorted(map(str, unknown))[0]}' (expected: "
                                 "randomizers, schedules)", where=str(path))
    return Path(path), {str(k): v for k, v in cfg.items()}


def load_randomization(name_or_path: str | os.PathLike[str]) -> list[Randomizer]:
    """Randomizers from ``configs/randomization/<name>.yaml`` or a YAML path.

    The file holds ``randomizers: [{type: ..., ...}, ...]`` and optionally
    ``schedules:`` (read by :func:`randomizers.schedules.load_curriculum`, and
    checked here: each must name a randomizer of the file). It holds no
    ``seed``: one file serves many envs, each seeded on its own through
    ``RandomizedEnv(..., seed=...)`` or ``reset(seed=...)``, so a ``seed:`` key
    is refused rather than silently ignored.
    """
    from randomizers.schedules import curriculum_from_file

    path, cfg = read_randomization_file(name_or_path)
    entries = cfg.get("randomizers") or []
    if not isinstance(entries, list):
        raise RandomizationError("randomizers: must be a list of {type: ...} entries",
                                 where=str(path))
    randomizers = build_randomizers(entries, source=f"{path}: randomizers")
    curriculum_from_file(cfg, str(path), randomizers)
    return randomizers
