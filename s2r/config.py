"""Typed configuration: omegaconf YAML + dotlist overrides, validated against schemas.

Every problem (unknown key, wrong type, missing file, inverted range) becomes
a :class:`~s2r.errors.ConfigError` whose one-line message names the key and
the file, which the CLI prints without a traceback.

>>> from dataclasses import dataclass
>>> @dataclass
... class Run:
...     episodes: int = 1
>>> load_structured(Run, overrides=["episodes=3"]).episodes
3
>>> load_structured(Run, overrides=["episode=3"])
Traceback (most recent call last):
...
s2r.errors.ConfigError: <overrides>: unknown key 'episode' in Run (did you mean 'episodes'?)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    OmegaConfBaseException,
    ValidationError,
)

from s2r.errors import ConfigError
from s2r.settings import check_values

T = TypeVar("T")


def configs_dir() -> Path:
    """The directory of the built-in configs (``robots/``, ``tasks/``, ``randomization/``, ...).

    ``$S2R_CONFIGS`` overrides it. Otherwise, in an installed wheel it is the package
    ``s2r._configs`` (the repository's ``configs/`` shipped inside s2r); in a checkout or an
    editable install it is ``configs/`` next to the ``s2r`` package.

    >>> (configs_dir() / "robots" / "furuta.yaml").is_file()
    True
    """
    env = os.environ.get("S2R_CONFIGS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    shipped = here / "_configs"
    return shipped if shipped.is_dir() else here.parent / "configs"


def builtin_names(group: str) -> list[str]:
    """Names of the built-in YAML files of a config group (``robots``, ``tasks``, ...).

    >>> "furuta" in builtin_names("robots")
    True
    """
    return sorted(p.stem for p in (configs_dir() / group).glob("*.yaml"))


def resolve_config_path(group: str, name_or_path: str | os.PathLike[str]) -> Path:
    """A built-in name (``furuta``) or a path to a YAML file, as an existing path.

    >>> resolve_config_path("robots", "furuta").name
    'furuta.yaml'
    >>> resolve_config_path("robots", "furrta")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    s2r.errors.ConfigError: robots: unknown robot 'furrta' (built-in: ...furuta...)
    """
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise ConfigError("no such config file", where=text)
        return path
    path = configs_dir() / group / f"{text}.yaml"
    if not path.is_file():
        known = ", ".join(builtin_names(group)) or "none"
        kind = {"robots": "robot", "tasks": "task"}.get(group, f"{group} config")
        raise ConfigError(f"unknown {kind} '{text}' (built-in: {known})", where=group)
    return path


def read_yaml(path: str | os.PathLike[str]) -> DictConfig:
    """Read one YAML file into a DictConfig; syntax errors name the file."""
    try:
        cfg = OmegaConf.load(Path(path))
    except FileNotFoundError:
        raise ConfigError("no such config file", where=str(path)) from None
    except Exception as err:  # yaml.YAMLError and friends
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"invalid YAML: {first}", where=str(path)) from None
    if not isinstance(cfg, DictConfig):
        raise ConfigError("expected a mapping at the top level", where=str(path))
    return cfg


def _describe(err: OmegaConfBaseException) -> str:
    key = getattr(err, "full_key", None) or getattr(err, "key", None)
    msg = getattr(err, "msg", None) or str(err)
    msg = msg.strip().splitlines()[0]
    if isinstance(err, (ConfigKeyError, ConfigAttributeError)) and key:
        kind = getattr(err, "object_type", None)
        inside = f" in {kind.__name__}" if isinstance(kind, type) and "." not in str(key) else ""
        hint = ""
        suggestion = re.search(r"Did you mean(?: one of)?:\s*(.+?)\s*\??$", msg)
        if suggestion:
            hint = f" (did you mean {suggestion.group(1)}?)"
        return f"unknown key '{key}'{inside}{hint}"
    if isinstance(err, ValidationError) and key:
        return f"{key}: {msg}"
    return f"{key}: {msg}" if key else msg


def _contains(source: Any, path: Sequence[str | int]) -> bool:
    node = source
    for part in path:
        try:
            if isinstance(part, int) and isinstance(node, (list, ListConfig)):
                node = node[part]
            elif isinstance(node, (Mapping, DictConfig)) and part in node:
                node = node[part]
            else:
                return False
        except (IndexError, KeyError, OmegaConfBaseException):
            return False
    return True


def _origin(schema: type[Any], sources: Sequence[tuple[Any, str]]
            ) -> Callable[[list[str | int]], str]:
    """Name the last source that sets a key (its file or ``<overrides>``)."""
    def origin(path: list[str | int]) -> str:
        for source, where in reversed(sources):
            if _contains(source, path):
                return where
        return f"{schema.__name__} defaults"

    return origin


def merge_into(schema: type[T], *sources: tuple[Any, str]) -> T:
    """Merge ``(config, origin)`` pairs onto a structured schema and return the object.

    ``origin`` names the file (or ``<overrides>``) each source came from, so
    an error says which one is wrong. Every value is then checked against its
    field's :func:`~s2r.settings.setting` constraint (NaN and infinity are
    refused in every float unless the field allows them).

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Run:
    ...     gain: float = 1.0
    >>> merge_into(Run, ({"gain": float("nan")}, "<my run config>"))
    Traceback (most recent call last):
    ...
    s2r.errors.ConfigError: <my run config>: gain: must be finite, got nan
    """
    base = OmegaConf.structured(schema)
    for source, origin in sources:
        try:
            base = OmegaConf.merge(base, source)
        except OmegaConfBaseException as err:
            raise ConfigError(_describe(err), where=origin) from None
    try:
        obj = OmegaConf.to_object(base)
    except OmegaConfBaseException as err:
        raise ConfigError(_describe(err), where=sources[-1][1] if sources else "<config>") from None
    check_values(obj, _origin(schema, sources))
    return obj  # type: ignore[return-value]


def parse_overrides(overrides: Sequence[str]) -> DictConfig:
    """``["a.b=1", "c=x"]`` as a DictConfig; malformed items raise ConfigError, and so
    does a key given twice with different values (the later one would silently win).

    >>> parse_overrides(["sim=a", "real=b", "sim=c"])
    Traceback (most recent call last):
    ...
    s2r.errors.ConfigError: <overrides>: sim is given twice ('a', then 'c'); give it once
    """
    seen: dict[str, str] = {}
    for item in overrides:
        if "=" not in item or item.startswith("="):
            raise ConfigError(f"override '{item}' is not of the form key=value",
                              where="<overrides>")
        key, value = (part.strip() for part in item.split("=", 1))
        if seen.setdefault(key, value) != value:
            raise ConfigError(f"{key} is given twice ({seen[key]!r}, then {value!r}); give it "
                              "once", where="<overrides>")
    try:
        return OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as err:
        raise ConfigError(_describe(err), where="<overrides>") from None


def load_structured(schema: type[T], path: str | os.PathLike[str] | None = None,
                    overrides: Sequence[str] = ()) -> T:
    """Load ``schema`` from an optional YAML file plus dotlist overrides."""
    sources: list[tuple[Any, str]] = []
    if path is not None:
        sources.append((read_yaml(path), str(path)))
    if overrides:
        sources.append((parse_overrides(overrides), "<overrides>"))
    return merge_into(schema, *sources)
