"""Sweeps: the same :func:`~s2r.train.train` over a grid of options, as Ray tasks.

``s2r sweep`` (or :func:`sweep`) takes the options every trial shares (``train.*``, those
of ``s2r train``) and a grid (``grid.<option>=[values]``, any option including
``hyper.*``); every combination is one trial, run by :func:`run_trial` in a Ray task that
reserves ``cpus_per_trial`` CPUs (its envs), on a local Ray or a cluster. All trials are
checked before Ray starts, so a bad option fails at once, naming the trial. Each trial
writes an ordinary run directory under ``out``; ``sweep.json`` and the printed table
hold every trial's options, best evaluation and success rate. As with ``s2r train``, a
built-in task's default training options (:func:`~s2r.train.config.task_defaults`) lie
under the sweep's.

>>> cfg = SweepConfig(train={"task": "cartpole_balance", "steps": 1000},
...                   grid={"seed": [0, 1], "hyper": {"gamma": [0.9, 0.99]}}, out="runs/x")
>>> [t.name for t in trials(cfg)]
['0-seed0-gamma0.9', '1-seed0-gamma0.99', '2-seed1-gamma0.9', '3-seed1-gamma0.99']
>>> trials(cfg)[3].options, trials(cfg)[3].config["out"]
({'seed': 1, 'hyper.gamma': 0.99}, 'runs/x/3-seed1-gamma0.99')
>>> trials(SweepConfig(train={"task": "pendulum_swingup"}, grid={"seed": 3}))
Traceback (most recent call last):
...
s2r.errors.ConfigError: <config>: grid.seed: expected a list of values, got 3
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from s2r.errors import ConfigError, S2RError
from s2r.ray_env import runtime_env
from s2r.settings import setting
from s2r.train.config import TrainConfig, check_config, task_defaults

EXTRA = "pip install 's2r[ray]'"


@dataclass
class SweepConfig:
    """Options of ``s2r sweep``."""

    train: dict[str, Any] = setting(help="the options every trial shares (those of s2r train), "
                                    "e.g. train.task=cartpole_balance", factory=dict)
    grid: dict[str, Any] = setting(help="option -> list of values; one trial per combination, "
                                   "e.g. grid.seed=[0,1,2] grid.hyper.gamma=[0.98,0.99]",
                                   factory=dict)
    out: str | None = setting(None, "root of the trials' run directories; null: "
                              "runs/sweep-<task>")
    ray_address: str = setting("local", "local: start Ray on this machine; auto or "
                               "host:port: join that Ray cluster")
    cpus: int | None = setting(None, "CPUs of a local Ray; null: every core", gt=0)
    cpus_per_trial: int = setting(1, "CPUs a trial reserves: its envs (worker processes "
                                  "when more than 1) unless train.envs says otherwise", ge=1)


@dataclass
class Trial:
    """One combination of the grid: its name (its directory), options and full config."""

    name: str
    options: dict[str, Any]
    config: dict[str, Any] = field(repr=False)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _set(config: dict[str, Any], key: str, value: Any) -> None:
    head, _, rest = key.partition(".")
    if rest:
        if head != "hyper":
            raise ConfigError(f"grid.{key}: unknown option (a grid over options of s2r train, "
                              "e.g. seed, algo, hyper.gamma)", where="<config>")
        config["hyper"] = {**config.get("hyper", {}), rest: value}
    else:
        config[head] = value


def _slug(key: str, value: Any) -> str:
    text = f"{key.rsplit('.', 1)[-1]}{value}"
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in text)


def trials(cfg: SweepConfig) -> list[Trial]:
    """Every combination of the grid, checked (a bad option names its trial)."""
    known = {f.name for f in fields(TrainConfig)}
    base = dict(cfg.train)
    for key in base:
        if key not in known:
            raise ConfigError(f"train.{key}: unknown option of s2r train", where="<config>")
    if "resume" in base:
        raise ConfigError("train.resume: a sweep starts new runs", where="<config>")
    grid = _flatten(dict(cfg.grid))
    for key, values in grid.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"grid.{key}: expected a list of values, got {values!r}",
                              where="<config>")
        if key.split(".", 1)[0] not in known or key in ("out", "resume"):
            raise ConfigError(f"grid.{key}: unknown option (a grid over options of s2r train, "
                              "e.g. seed, algo, hyper.gamma)", where="<config>")
    task = Path(str(base.get("task", "run"))).stem
    root = Path(cfg.out or f"runs/sweep-{task}")
    if "envs" not in base:
        base["envs"] = cfg.cpus_per_trial
    if "subprocess" not in base:
        base["subprocess"] = base["envs"] > 1
    base["progress"] = False
    out = []
    for i, combo in enumerate(itertools.product(*grid.values())):
        options = dict(zip(grid, combo))
        name = "-".join([str(i), *(_slug(k, v) for k, v in options.items())])
        config = {**base, "hyper": dict(base.get("hyper") or {}), "out": str(root / name)}
        for key, value in options.items():
            _set(config, key, value)
        # under it all, the task's default training options (as s2r train)
        defaults, _ = task_defaults(str(config.get("task", "")), config.get("algo"))
        config = {**defaults, **config,
                  "hyper": {**(defaults.get("hyper") or {}), **config["hyper"]}}
        try:
            check_config(TrainConfig(**config), where=f"trial {name}")
        except TypeError as err:
            raise ConfigError(f"{err}", where=f"trial {name}") from None
        out.append(Trial(name, options, config))
    return out


def run_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one trial (in a Ray task); its summary, or its one-line error."""
    from s2r.train.run import train

    try:
        result = train(TrainConfig(**config))
    except S2RError as err:
        return {"out": config["out"], "error": str(err)}
    return {"out": str(result.out), "steps": result.steps, "seconds": result.seconds,
            "best": result.best, "policy": str(result.policy)}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise S2RError(f"sweeps run on Ray, which is not installed: {EXTRA}") from None
    return ray


def sweep(cfg: SweepConfig) -> list[dict[str, Any]]:
    """Run every trial of ``cfg`` as a Ray task; one row per trial (its options, best
    evaluation, success rate, or error), also written to ``<out>/sweep.json``."""
    todo = trials(cfg)
    ray = _ray()
    from s2r.train.envs import resolve_randomization

    for t in todo:  # files the trials read: checked here, not in a Ray worker
        resolve_randomization(t.config.get("randomization"), t.config.get("params"))
    started = not ray.is_initialized()
    if started:
        if cfg.ray_address == "local":
            ray.init(num_cpus=cfg.cpus or os.cpu_count(), include_dashboard=False,
                     log_to_driver=False, runtime_env=runtime_env())
        else:
            ray.init(address=cfg.ray_address, log_to_driver=False, runtime_env=runtime_env())
    try:
        remote = ray.remote(num_cpus=cfg.cpus_per_trial, max_retries=0)(run_trial)
        results = ray.get([remote.remote(t.config) for t in todo])
    finally:
        if started:
            ray.shutdown()
    rows = [{"trial": t.name, "options": t.options, **r} for t, r in zip(todo, results)]
    root = Path(todo[0].config["out"]).parent if todo else Path(cfg.out or ".")
    root.mkdir(parents=True, exist_ok=True)
    (root / "sweep.json").write_text(json.dumps({"config": asdict(cfg), "trials": rows},
                                                indent=1))
    return rows
