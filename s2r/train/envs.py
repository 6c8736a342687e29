"""Training environments: the task, its randomization and parameter values, one per worker.

:func:`resolve_randomization` turns ``randomization=`` (a name, a YAML file, an
``s2r sysid`` output directory or ``none``) and ``params=`` into a
:class:`Setup`; :class:`EnvFactory` (picklable, so it reaches worker processes)
builds one environment from it, with its own randomization seed.

>>> setup = resolve_randomization("none", None)
>>> env = EnvFactory("pendulum_swingup", setup, seed=0, max_steps=5)()
>>> obs, info = env.reset(seed=0)
>>> env.close()
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from s2r.errors import ConfigError

RANDOMIZATION_FILE = "randomization.yaml"
PARAMS_FILE = "params.yaml"


@dataclass
class Setup:
    """What the environments are built from: randomization file and parameter values."""

    source: str  # what the user gave (name, file, directory or "none")
    path: str | None  # the randomization YAML, None for none
    params: dict[str, float] = field(default_factory=dict)
    params_source: str | None = None

    def describe(self) -> dict[str, Any] | None:
        """The randomization as recorded in the artifact (None for none)."""
        if self.path is None:
            return None
        from omegaconf import OmegaConf

        from s2r.config import read_yaml

        return {"source": self.source, "path": self.path,
                "config": OmegaConf.to_container(read_yaml(self.path), resolve=True)}


def read_params(path: str | os.PathLike[str]) -> dict[str, float]:
    """A YAML of ``name: value`` (as ``s2r sysid`` writes ``params.yaml``)."""
    from omegaconf import OmegaConf

    from s2r.config import read_yaml

    data = OmegaConf.to_container(read_yaml(path), resolve=True)
    assert isinstance(data, dict)
    if "params" in data and isinstance(data["params"], dict) and len(data) == 1:
        data = data["params"]
    out = {}
    for key, value in data.items():
        name = str(key)
        try:
            out[name] = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number, got {value!r}", where=str(path)) \
                from None
    return out


def resolve_randomization(value: str | None, params: str | None) -> Setup:
    """Resolve ``randomization=`` and ``params=`` into a :class:`Setup` (files checked)."""
    from s2r.config import builtin_names, resolve_config_path

    text = str(value or "none")
    path: str | None = None
    values: dict[str, float] = {}
    params_source = None
    if text.lower() != "none":
        if Path(text).is_dir():
            file = Path(text) / RANDOMIZATION_FILE
            if not file.is_file():
                raise ConfigError(f"directory has no {RANDOMIZATION_FILE} (an `s2r sysid` "
                                  "output directory has one)", where=f"randomization={text}")
            path = str(file)
            if (Path(text) / PARAMS_FILE).is_file():
                params_source = str(Path(text) / PARAMS_FILE)
                values = read_params(params_source)
        elif text.endswith((".yaml", ".yml")) or os.sep in text:
            path = str(resolve_config_path("randomization", text))
        elif text in builtin_names("randomization"):
            path = str(resolve_config_path("randomization", text))
        else:
            known = ", ".join(["none", *builtin_names("randomization")])
            raise ConfigError(f"unknown randomization '{text}' (built-in: {known}; or a YAML "
                              "file or an `s2r sysid` output directory)",
                              where=f"randomization={text}")
    if params is not None:
        if not Path(params).is_file():
            raise ConfigError("no such parameter file", where=f"params={params}")
        params_source = str(params)
        values = read_params(params)
    return Setup(text, path, values, params_source)


class SuccessInfo(gym.Wrapper[Any, Any, Any, Any]):
    """Copy the task's ``info["success"]`` to ``info["is_success"]`` (SB3's success rate)."""

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if "success" in info:
            info["is_success"] = bool(info["success"])
        return obs, reward, terminated, truncated, info


@dataclass
class EnvFactory:
    """Build one training/eval environment (a callable for SB3's vector envs).

    Args:
        task: task name or YAML path.
        setup: randomization and parameter values.
        seed: this env's randomization seed.
        max_steps: episode length (None: the task's).
        randomize: False builds the nominal env (the parameter values, no randomization).
        monitor: wrap in SB3's ``Monitor`` (episode returns and lengths).
        resumable: wrap in :class:`~s2r.train.snapshot.EpisodeRecorder` (outermost), whose
            snapshots let a resumed run continue the env exactly.
    """

    task: str
    setup: Setup
    seed: int | None = 0
    max_steps: int | None = None
    randomize: bool = True
    monitor: bool = False
    resumable: bool = False

    def __call__(self) -> gym.Env[Any, Any]:
        import torch

        torch.set_num_threads(1)  # in a worker process: one thread per core
        from s2r.errors import S2RError
        from s2r.quiet import import_pybullet_quietly

        import_pybullet_quietly()  # a worker's import would print PyBullet's build time
        from s2r.tasks.config import make_task

        overrides = [] if self.max_steps is None else [f"max_steps={self.max_steps}"]
        env: gym.Env[Any, Any] = make_task(self.task, overrides)
        try:
            if self.setup.params:
                try:
                    env.unwrapped.robot.set_params(self.setup.params)  # type: ignore[attr-defined]
                except S2RError as err:
                    err.where = err.where or f"params ({self.setup.params_source})"
                    raise
            if self.randomize and self.setup.path is not None:
                from randomizers.registry import load_randomization
                from randomizers.wrapper import RandomizedEnv

                env = RandomizedEnv(env, load_randomization(self.setup.path), seed=self.seed)
        except BaseException:
            env.close()
            raise
        env = SuccessInfo(env)
        if self.monitor:
            from stable_baselines3.common.monitor import Monitor

            env = Monitor(env, info_keywords=("is_success",))
        if self.resumable:
            from s2r.train.snapshot import EpisodeRecorder

            env = EpisodeRecorder(env)
        return env


def randomization_ranges(env: gym.Env[Any, Any]) -> dict[str, tuple[float, float]]:
    """``{randomizer name: (low, high)}`` of the randomizers of ``env`` that have one
    distribution (their configured support, narrowed by a curriculum's ``scale``)."""
    out: dict[str, tuple[float, float]] = {}
    current: Any = env
    while current is not None and not hasattr(current, "randomizers"):
        current = getattr(current, "env", None)
    for r in getattr(current, "randomizers", []):
        term = getattr(r, "term", None)
        dist = getattr(term, "distribution", None) or getattr(r, "distribution", None)
        support = getattr(dist, "support", None)
        if callable(support) and dist is not None:
            scale = float(getattr(r, "scale", 1.0))
            d = dist.widened(scale) if scale != 1.0 else dist
            lo, hi = d.support()
            if np.isfinite(lo) and np.isfinite(hi):
                out[r.name] = (float(lo), float(hi))
    return out
