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

import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from s2r.errors import ConfigError
from s2r.settings import setting

ALGOS = ("ppo", "sac")
#: what picks a run's best policy (``select=``)
SELECT = ("nominal", "randomized")


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
    select: str = setting("nominal", "which evaluation picks out/policy: nominal (its success "
                          "rate, then return; the randomized one breaks ties) or randomized "
                          "(the randomized distribution's first: the policy that copes best "
                          "with the whole distribution)", choices=SELECT)
    checkpoint_every: int = setting(100_000, "steps between checkpoints (0: only at the end)")
    resume: str | None = setting(None, "a run directory (or one of its checkpoints) to continue")
    init: str | None = setting(None, "a run directory (or one of its checkpoints) whose policy "
                               "and observation statistics start this run (fine-tuning)")
    init_log_std: float | None = setting(None, "with init=: the log standard deviation of "
                                         "PPO's action noise to start from (0 is a new "
                                         "run's; a converged run's is lower); null: keep it")
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
    if cfg.init_log_std is not None and (cfg.init is None or cfg.algo != "ppo"):
        raise ConfigError("init_log_std: only for a PPO run started with init=", where=where)
    if cfg.select not in SELECT:
        raise ConfigError(f"select: must be one of {', '.join(SELECT)}, got {cfg.select!r}",
                          where=where)
    if cfg.select == "randomized" and cfg.randomization == "none":
        raise ConfigError("select=randomized: needs a randomization (randomization= is none)",
                          where=where)
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


def check_init(cfg: TrainConfig, saved: dict[str, Any], where: str) -> None:
    """A run started from another run's weights must learn the same task with the same
    algorithm, networks and observation normalisation (anything else may change)."""
    for key in ("task", "algo", "net", "normalize"):
        if saved.get(key) != getattr(cfg, key):
            raise ConfigError(f"init: {key} is {saved.get(key)!r} in that run, not "
                              f"{getattr(cfg, key)!r} (its weights fit only its own)", where=where)


def task_defaults(task: str, algo: str | None = None) -> tuple[dict[str, Any], str | None]:
    """The default training options of a built-in task (``configs/train/<task>.yaml``) and
    that file; ``({}, None)`` if it has none. Its ``hyper`` is dropped when ``algo`` is
    another algorithm than the file's (they are that algorithm's arguments).

    >>> options, path = task_defaults("pendulum_swingup")
    >>> options["algo"], options["normalize"], path.endswith("train/pendulum_swingup.yaml")
    ('ppo', False, True)
    >>> "hyper" in task_defaults("pendulum_swingup", algo="sac")[0]
    False
    """
    from omegaconf import OmegaConf

    from s2r.config import builtin_names, configs_dir, read_yaml

    if task not in builtin_names("train"):
        return {}, None
    path = str(configs_dir() / "train" / f"{task}.yaml")
    options = OmegaConf.to_container(read_yaml(path), resolve=True)
    assert isinstance(options, dict)
    if algo is not None and algo != options.get("algo", "ppo"):
        options.pop("hyper", None)
    return {str(k): v for k, v in options.items()}, path


def task_config(task: str, **options: Any) -> TrainConfig:
    """A TrainConfig of ``task`` with the task's default training options under ``options``
    (what ``s2r train task=...`` runs).

    >>> cfg = task_config("pendulum_swingup", steps=1000, hyper={"gamma": 0.99})
    >>> cfg.algo, cfg.steps, cfg.hyper["gamma"], cfg.hyper["n_steps"]
    ('ppo', 1000, 0.99, 1024)
    >>> task_config("cartpole_balance").algo
    'ppo'
    """
    from s2r.config import merge_into

    defaults, path = task_defaults(task, options.get("algo"))
    sources: list[tuple[Any, str]] = [(defaults, path)] if path else []
    return merge_into(TrainConfig, *sources, ({"task": task, **options}, "<options>"))


def load_train_config(config: str | os.PathLike[str] | None,
                      overrides: Sequence[str]) -> TrainConfig:
    """``s2r train``'s options: the task's defaults (:func:`task_defaults`), then the
    ``--config`` file, then the ``key=value`` overrides. With ``resume=`` the run's saved
    options stand in for the task's defaults, and its task is used when none is given."""
    from s2r.config import load_structured, merge_into, parse_overrides, read_yaml

    overrides = [*overrides, *_resumed_task(config, overrides)]
    cfg = load_structured(TrainConfig, config, overrides)
    if cfg.resume is not None:
        return cfg  # the run's saved options hold its task defaults
    user = [(read_yaml(config), str(config))] if config is not None else []
    if overrides:
        user.append((parse_overrides(overrides), "<overrides>"))
    algo = cfg.algo if any("algo" in source for source, _ in user) else None
    defaults, path = task_defaults(cfg.task, algo)
    if path is None:
        return cfg
    return merge_into(TrainConfig, (defaults, path), *user)


def _resumed_task(config: str | os.PathLike[str] | None, overrides: Sequence[str]
                  ) -> list[str]:
    """``["task=<the run's task>"]`` when a run is resumed without naming its task (as
    ``s2r train resume=runs/x steps=N``), else ``[]``."""
    import json

    from s2r.config import parse_overrides, read_yaml
    from s2r.train.run import find_checkpoint

    given = dict(read_yaml(config)) if config is not None else {}
    given.update(parse_overrides(overrides))
    if given.get("resume") in (None, "") or given.get("task") not in (None, "", "???"):
        return []
    state = json.loads((find_checkpoint(str(given["resume"])) / "state.json").read_text())
    return [f"task={state['config']['task']}"]
