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

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any, TypeVar

from randomizers.base import RandomizationError, Randomizer
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
    try:
        randomizer = cls(**entry)
    except ConfigError as err:  # RandomizationError, or a bad distribution
        raise RandomizationError(err.message, where=where) from None
    except TypeError as err:
        raise RandomizationError(f"{kind}: {err}", where=where) from None
    randomizer.where = where  # bind-time errors name the entry too
    return randomizer


def build_randomizers(entries: Sequence[Mapping[str, Any]], source: str = "randomizers"
                      ) -> list[Randomizer]:
    """Randomizers from a list of config entries; errors name ``source[i]``."""
    return [build_randomizer(e, where=f"{source}[{i}] (type {e.get('type', '?')})")
            for i, e in enumerate(entries)]


def load_randomization(name_or_path: str | os.PathLike[str]) -> list[Randomizer]:
    """Randomizers from ``configs/randomization/<name>.yaml`` or a YAML path.

    The file holds ``randomizers: [{type: ..., ...}, ...]``.
    """
    from omegaconf import OmegaConf

    from s2r.config import read_yaml, resolve_config_path

    path = resolve_config_path("randomization", name_or_path)
    cfg = OmegaConf.to_container(read_yaml(path), resolve=True)
    assert isinstance(cfg, dict)
    unknown = set(cfg) - {"randomizers", "seed", "schedules"}  # schedules: load_curriculum
    if unknown:
        raise RandomizationError(f"unknown key '{sorted(unknown)[0]}' (expected: randomizers)",
                                 where=str(path))
    entries = cfg.get("randomizers") or []
    if not isinstance(entries, list):
        raise RandomizationError("randomizers: must be a list of {type: ...} entries",
                                 where=str(path))
    return build_randomizers(entries, source=f"{path}: randomizers")
