"""``s2r eval``: a policy in simulation, logged and summarised like a deployment on hardware.

:func:`evaluate` runs episodes through the same runner, safety layer and log format as
``s2r deploy`` (:func:`s2r.runner.run_task`), on the nominal model, on parameter values
from a YAML (``params=``, as ``s2r sysid`` writes ``params.yaml``; a top-level
``params:`` key is accepted too) and/or under a randomization (``randomization=``, a
name, YAML file or ``s2r sysid`` directory, resolved as ``s2r train`` does). It writes
``eval.s2r.csv`` (the log, ``source: sim``; its metadata holds the parameter values the
episodes ran with) and ``summary.json`` into ``out``. ``s2r report`` compares such a
directory with one of ``s2r deploy`` logs.

>>> import tempfile
>>> res = evaluate("scripted:zero", "pendulum_swingup", episodes=2, max_steps=10,
...                out=tempfile.mkdtemp())
>>> len(res.episodes), res.success_rate, res.log.name, res.summary["episodes"][1]["steps"]
(2, 0.0, 'eval.s2r.csv', 10)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2r.errors import ConfigError, ParameterError
from s2r.runner import RunResult, mean_return, success_rate

LOG_FILE, SUMMARY_FILE = "eval.s2r.csv", "summary.json"


@dataclass
class EvalResult:
    """What :func:`evaluate` did: the episodes, their summary and the output directory."""

    task: str
    policy: str
    episodes: list[RunResult]
    out: Path
    summary: dict[str, Any]

    @property
    def mean_return(self) -> float:
        return mean_return(self.episodes)

    @property
    def success_rate(self) -> float | None:
        """Fraction of successful episodes (None: the task has no success criterion)."""
        return success_rate(self.episodes)

    @property
    def log(self) -> Path:
        return self.out / LOG_FILE


def evaluate(policy: str, task: str, *, params: str | os.PathLike[str] | None = None,
             randomization: str | None = None, episodes: int = 5, seed: int = 0,
             out: str | os.PathLike[str] = "eval", max_steps: int | None = None
             ) -> EvalResult:
    """Run ``episodes`` of ``policy`` on ``task`` in simulation; write the log and summary.

    Episode ``i`` resets with seed ``seed + i`` (as ``s2r deploy`` does), and a
    randomization draws from a generator seeded with ``seed``. An ``out`` that already
    holds a log or summary is refused (nothing is overwritten).
    """
    from s2r.logs import LogWriter
    from s2r.policy import load_policy
    from s2r.rollout import log_meta
    from s2r.runner import TASK_COLUMNS, run_task, stop_on_signals
    from s2r.tasks.config import load_task_config
    from s2r.train.envs import EnvFactory, resolve_randomization

    if episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {episodes}", where="episodes")
    out = Path(out)
    for name in (LOG_FILE, SUMMARY_FILE):
        if (out / name).exists():
            raise ConfigError("already exists (remove it or choose another out=)",
                              where=str(out / name))
    setup = resolve_randomization(randomization, None if params is None else str(params))
    tcfg, _ = load_task_config(task)
    try:
        env: Any = EnvFactory(task, setup, seed=seed, max_steps=max_steps)()
    except ParameterError as err:  # name the file the bad name or value came from
        if setup.params_source and err.where in setup.params:
            err.where = f"{setup.params_source}: {err.where}"
        raise
    try:
        robot = env.unwrapped.robot
        spec = robot.spec
        pol = load_policy(policy, task=tcfg.task, obs_dim=type(env.unwrapped).obs_dim,
                          act_dim=spec.n_actions, rate=spec.control_rate, seed=seed, robot=spec)
        source = {"params_source": setup.params_source, "randomization": setup.path}
        meta = log_meta(spec, "sim", params=robot.get_params(), policy=pol.name, task=task,
                        **{k: v for k, v in source.items() if v is not None})
        out.mkdir(parents=True, exist_ok=True)
        with LogWriter(out / LOG_FILE, meta, extra_columns=TASK_COLUMNS) as writer, \
                stop_on_signals():
            results = run_task(env, pol, episodes=episodes, seed=seed, rate=None,
                               writer=writer, close=False)
    finally:
        env.close()
    summary = _summary(task, pol.name, results, source, seed, max_steps)
    tmp = out / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / SUMMARY_FILE)
    return EvalResult(task, pol.name, results, out, summary)


def _summary(task: str, policy: str, results: list[RunResult], source: dict[str, Any],
             seed: int, max_steps: int | None) -> dict[str, Any]:
    returns = [r.ret for r in results]
    return {"task": task, "policy": policy, "source": "sim",
            "params_source": source["params_source"], "randomization": source["randomization"],
            "seed": seed, "max_steps": max_steps,
            "mean_return": sum(returns) / len(returns),
            "success_rate": success_rate(results),
            "episodes": [{"index": r.index, "seed": r.seed, "return": r.ret, "steps": r.steps,
                          "success": r.success, "reason": r.reason} for r in results],
            "log": LOG_FILE}
