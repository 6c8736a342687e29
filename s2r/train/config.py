"""TrainConfig: the options of ``s2r train`` and :func:`s2r.train.train`, and their checks.

>>> cfg = TrainConfig(task="pendulum_swingup", steps=1000)
>>> check_config(cfg).algo
'ppo'
>>> check_config(TrainConfig(task="pendulum_swingup", algo="dqn"))
Traceback (most recent call last):
...
s2r.errors.ConfigError: <config>: algo: unknown 'dqn' (known: ppo, sac)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from s2r.errors import ConfigError
from s2r.settings import setting

ALGOS = ("ppo", "sac")


@dataclass
class TrainConfig:
    """Options of a training run (all settable as key=value on the command line)."""

    task: str = setting("???", "task name (configs/tasks) or path to a task YAML")
    randomization: str = setting("none", "a name (configs/randomization), a YAML file, an "
                                 "`s2r sysid` output dir, or none (the nominal model)")
    params: str | None = setting(None, "YAML of parameter values (name: value) to train "
                                 "around; overrides the sysid dir's params.yaml")
    algo: str = setting("ppo", "ppo or sac (Stable-Baselines3, MlpPolicy)")
    steps: int = setting(200_000, "total environment steps (a resumed run trains the rest)")
    seed: int = setting(0, "seed of the learner; worker i's randomization stream is seed + i")
    out: str | None = setting(None, "output directory; null: runs/<task>-<algo>-s<seed>")
    envs: int | None = setting(None, "parallel environments; null: one per CPU core")
    subprocess: bool = setting(True, "environments in worker processes (false: in this one)")
    normalize: bool = setting(True, "normalise observations (statistics saved in the artifact)")
    eval_every: int = setting(50_000, "steps between evaluations on the nominal model and the "
                              "randomized distribution (0: only at the end)")
    eval_episodes: int = setting(5, "episodes per evaluation, on each of the two")
    checkpoint_every: int = setting(100_000, "steps between checkpoints (0: only at the end)")
    resume: str | None = setting(None, "a run directory (or one of its checkpoints) to continue")
    max_steps: int | None = setting(None, "episode length; null: the task's")
    net: list[int] = setting(help="hidden layer sizes of the policy (and value/Q) networks",
                             factory=lambda: [64, 64])
    hyper: dict[str, Any] = setting(help="more SB3 algorithm arguments, e.g. hyper.n_steps=256",
                                    factory=dict)
    progress: bool = setting(True, "show a progress bar with ETA on the terminal")


#: keys that define a run: a resumed run must keep them
RUN_KEYS = ("task", "randomization", "params", "algo", "seed", "normalize", "max_steps", "net",
            "hyper")


def check_config(cfg: TrainConfig, where: str = "<config>") -> TrainConfig:
    """Check values the schema cannot (ranges, choices); returns ``cfg``."""
    if cfg.task in ("", "???") and cfg.resume is None:
        raise ConfigError("task: missing (e.g. task=furuta_swingup)", where=where)
    if cfg.algo not in ALGOS:
        raise ConfigError(f"algo: unknown '{cfg.algo}' (known: {', '.join(ALGOS)})", where=where)
    for key in ("steps", "eval_episodes"):
        if getattr(cfg, key) <= 0:
            raise ConfigError(f"{key}: must be > 0, got {getattr(cfg, key)}", where=where)
    for key in ("eval_every", "checkpoint_every"):
        if getattr(cfg, key) < 0:
            raise ConfigError(f"{key}: must be >= 0, got {getattr(cfg, key)}", where=where)
    if cfg.envs is not None and cfg.envs <= 0:
        raise ConfigError(f"envs: must be > 0, got {cfg.envs}", where=where)
    if cfg.max_steps is not None and cfg.max_steps <= 0:
        raise ConfigError(f"max_steps: must be > 0, got {cfg.max_steps}", where=where)
    if not cfg.net or any(int(n) <= 0 for n in cfg.net):
        raise ConfigError(f"net: need hidden layer sizes > 0, got {list(cfg.net)}", where=where)
    return cfg


def merge_resumed(cfg: TrainConfig, saved: dict[str, Any], where: str) -> TrainConfig:
    """The saved run config with ``cfg``'s changes; a changed run key is an error."""
    default = TrainConfig()
    merged = dict(saved)
    for f in fields(TrainConfig):
        mine = getattr(cfg, f.name)
        if f.name in RUN_KEYS:
            if mine != getattr(default, f.name) and mine != saved.get(f.name):
                raise ConfigError(f"resume: {f.name} is {saved.get(f.name)!r} in the run, not "
                                  f"{mine!r} (a resumed run keeps its {f.name})", where=where)
        elif f.name != "resume" and mine != getattr(default, f.name):
            merged[f.name] = mine  # out= too: the resumed run writes there (a branch)
    merged["resume"] = cfg.resume
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in merged.items() if k in known})
