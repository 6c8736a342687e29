"""One training run: vector envs, the SB3 learner, evaluation, checkpoints, the artifact.

Layout of ``out``::

    policy/              the best policy artifact (nominal success rate, then return; ties:
                         the same on the randomized distribution)
    last_policy/         the artifact of the final weights
    checkpoints/step_N/  model.zip, vecnormalize.pkl, state.json, resume.pkl (what resumes
                         the run exactly: s2r.train.resume), + replay_buffer.pkl (SAC, latest)
    tb/                  TensorBoard logs
    evaluations.json     every evaluation (nominal and randomized)
    config.json          the run's config
"""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from s2r.errors import ConfigError
from s2r.train import resume
from s2r.train.config import TrainConfig, check_config, check_init, merge_resumed
from s2r.train.envs import EnvFactory, Setup, randomization_ranges, resolve_randomization
from s2r.train.evaluate import Evaluation, evaluate, selection_key

EVAL_SEED = 1_000_000  # reset seeds of evaluation episodes (the same at every evaluation)
EVAL_RANDOMIZATION_SEED = 100_000  # randomization stream of the randomized evaluation env


@dataclass
class TrainResult:
    """What a run produced and measured."""

    out: Path
    policy: Path  # the best artifact
    last_policy: Path  # the final weights' artifact
    steps: int  # total environment steps of the run (including a resumed run's earlier ones)
    trained_steps: int  # steps trained by this call
    seconds: float  # wall time of this call's learning
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None

    @property
    def steps_per_second(self) -> float:
        return self.trained_steps / self.seconds if self.seconds > 0 else float("nan")


def find_checkpoint(path: str | os.PathLike[str], key: str = "resume") -> Path:
    """A checkpoint directory, or the latest checkpoint of a run directory (``key``: the
    option that named it, for errors)."""
    root = Path(path)
    if (root / "state.json").is_file():
        return root
    steps = sorted((root / "checkpoints").glob("step_*"), key=lambda p: p.name)
    steps = [p for p in steps if (p / "state.json").is_file()]
    if not steps:
        raise ConfigError(f"no checkpoint to {'start from' if key == 'init' else key} (a run "
                          "directory with checkpoints/ or a checkpoint directory)",
                          where=f"{key}={path}")
    return steps[-1]


class Run:
    """The state of one training run (used by :func:`train`)."""

    def __init__(self, cfg: TrainConfig, out: Path, setup: Setup) -> None:
        from stable_baselines3.common.logger import Logger

        self.cfg, self.out, self.setup = cfg, out, setup
        self.evaluations: list[dict[str, Any]] = []
        self.best_key: tuple[float, ...] | None = None
        self.best: dict[str, Any] | None = None
        self.model: Any = None
        self.vecnorm: Any = None
        self.adr_cb: Any = None
        self.schedule_cb: Any = None
        self.progress: Any = None
        self.logger: Logger | None = None
        self.last_eval_step = -1
        self.last_checkpoint_step = -1
        factory = EnvFactory(cfg.task, setup, seed=None, max_steps=cfg.max_steps, randomize=False)
        self.nominal_env = factory()
        self.random_env = None
        if setup.path is not None:
            self.random_env = EnvFactory(cfg.task, setup, seed=cfg.seed + EVAL_RANDOMIZATION_SEED,
                                         max_steps=cfg.max_steps)()

    def close(self) -> None:
        for env in (self.nominal_env, self.random_env):
            if env is not None:
                env.close()

    # ------------------------------------------------------------- artifact
    def meta(self) -> dict[str, Any]:
        randomization = self.setup.describe()
        if randomization is not None and self.adr_cb is not None and self.adr_cb.adrs:
            randomization["adr"] = self.adr_cb.state_dict()
        config = asdict(self.cfg)
        return {"randomization": randomization,
                "params": self.nominal_env.unwrapped.robot.get_params(),  # type: ignore[attr-defined]
                "training": {"algo": self.cfg.algo, "seed": self.cfg.seed,
                             "steps": int(self.model.num_timesteps), "config": config,
                             "params_source": self.setup.params_source}}

    def export(self, path: Path) -> Any:
        from s2r.artifact import from_sb3

        return from_sb3(self.model, path, task=self.nominal_env, vecnormalize=self.vecnorm,
                        **self.meta())

    # ----------------------------------------------------------- evaluation
    def evaluate(self, steps: int) -> None:
        """Evaluate the current deterministic policy (as its artifact); keep the best."""
        tmp = self.out / ".eval_policy"
        policy = self.export(tmp)
        seed = self.cfg.seed + EVAL_SEED
        nominal = evaluate(policy, self.nominal_env, self.cfg.eval_episodes, seed)
        randomized: Evaluation | None = None
        if self.random_env is not None:
            if self.adr_cb is not None:
                for name, state in self.adr_cb.state_dict().items():
                    self.random_env.get_wrapper_attr("call_randomizers")(
                        "load_state_dict", state, names=[name])
            randomized = evaluate(policy, self.random_env, self.cfg.eval_episodes, seed)
        entry = {"steps": int(steps), "nominal": nominal.as_dict(),
                 "randomized": randomized.as_dict() if randomized else None}
        self.evaluations.append(entry)
        self.last_eval_step = steps
        if self.logger is not None:
            for kind, ev in (("nominal", nominal), ("randomized", randomized)):
                if ev is not None:
                    self.logger.record(f"eval/{kind}/mean_return", ev.mean_return)
                    self.logger.record(f"eval/{kind}/success_rate", ev.success_rate)
                    self.logger.record(f"eval/{kind}/mean_length", ev.mean_length)
        key = selection_key(self.cfg.select, nominal, randomized)
        if self.best_key is None or key > self.best_key:
            self.best_key, self.best = key, entry
            _replace_dir(tmp, self.out / "policy")
        else:
            shutil.rmtree(tmp)
        if self.progress is not None:
            self.progress.set_status(f"eval: return {nominal.mean_return:.1f}, success "
                                     f"{nominal.success_rate:.0%}")
        (self.out / "evaluations.json").write_text(json.dumps(self.evaluations, indent=1))

    # ---------------------------------------------------------- checkpoints
    def checkpoint(self, steps: int, exact: bool = True) -> Path:
        """Save model, normalisation, ADR/curriculum state and the run's bookkeeping; with
        ``exact`` (only at a clean point of the loop) also what resumes it exactly."""
        root = self.out / "checkpoints"
        path = root / f"step_{steps:012d}"
        path.mkdir(parents=True, exist_ok=True)
        self.model.save(path / "model.zip")
        if self.vecnorm is not None:
            self.vecnorm.save(str(path / "vecnormalize.pkl"))
        if hasattr(self.model, "save_replay_buffer"):  # only the latest keeps the buffer
            for old in root.glob("step_*/replay_buffer.pkl"):
                old.unlink()
            self.model.save_replay_buffer(path / "replay_buffer.pkl")
        if exact:
            resume.save(path, self.model, self.model.get_env(), self.adr_cb)
        from s2r import __version__

        state = {"s2r_version": __version__, "num_timesteps": int(self.model.num_timesteps),
                 "config": {**asdict(self.cfg), "resume": None},
                 "adr": self.adr_cb.state_dict() if self.adr_cb is not None else {},
                 "schedule_episodes": self.schedule_cb.episodes if self.schedule_cb else 0,
                 "schedule_scales": dict(self.schedule_cb.current) if self.schedule_cb else {},
                 "evaluations": self.evaluations, "best_key": self.best_key, "best": self.best,
                 "last_eval_step": self.last_eval_step, "exact": exact,
                 "num_envs": int(self.model.get_env().num_envs)}
        (path / "state.json").write_text(json.dumps(state, indent=1))
        self.last_checkpoint_step = steps
        return path

    def periodic(self, steps: int) -> None:
        """Evaluate when ``steps`` crossed a multiple of ``eval_every`` (after any step)."""
        cfg = self.cfg
        if cfg.eval_every and steps // cfg.eval_every > max(self.last_eval_step, 0) // \
                cfg.eval_every:
            self.evaluate(steps)

    def before_rollout(self, steps: int) -> None:
        """Checkpoint when ``steps`` crossed a multiple of ``checkpoint_every`` (called
        before each rollout: a point a resumed run can continue from exactly)."""
        cfg = self.cfg
        if cfg.checkpoint_every and steps // cfg.checkpoint_every > \
                max(self.last_checkpoint_step, 0) // cfg.checkpoint_every:
            self.checkpoint(steps)


def _replace_dir(src: Path, dst: Path) -> None:
    old = dst.with_name(dst.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dst.exists():
        dst.rename(old)
    src.rename(dst)
    if old.exists():
        shutil.rmtree(old)


def _adr_names(env: Any) -> list[str]:
    from randomizers.adr import ADRRandomizer

    randomizers = env.get_wrapper_attr("randomizers")
    return [r.name for r in randomizers if isinstance(r, ADRRandomizer)]


def train(config: TrainConfig) -> TrainResult:
    """Train a policy with randomization; returns where the artifacts are and what it measured.

    See :class:`~s2r.train.config.TrainConfig` for the options and ``s2r/train/README.md``
    for what a run writes.
    """
    import torch
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.utils import configure_logger
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

    cfg = check_config(config)
    state: dict[str, Any] = {}
    ckpt: Path | None = None
    if cfg.resume is not None:
        ckpt = find_checkpoint(cfg.resume)
        state = json.loads((ckpt / "state.json").read_text())
        cfg = check_config(merge_resumed(cfg, state["config"], f"resume={cfg.resume}"))
        out = Path(cfg.out) if cfg.out else ckpt.parent.parent
        cfg.out = str(out)
    else:
        out = Path(cfg.out or f"runs/{Path(cfg.task).stem}-{cfg.algo}-s{cfg.seed}")
        cfg.out = str(out)
    start: Path | None = None  # init=: the checkpoint whose weights start a new run
    if cfg.init is not None and ckpt is None:
        start = find_checkpoint(cfg.init, "init")
        check_init(cfg, json.loads((start / "state.json").read_text())["config"],
                   where=f"init={cfg.init}")
    torch.set_num_threads(1)
    setup = resolve_randomization(cfg.randomization, cfg.params)
    out.mkdir(parents=True, exist_ok=True)
    run = Run(cfg, out, setup)  # builds the eval envs: config errors surface here, not in workers
    venv: Any = None
    try:
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
        n = cfg.envs or os.cpu_count() or 1
        factories = [EnvFactory(cfg.task, setup, seed=cfg.seed + i, max_steps=cfg.max_steps,
                                monitor=True, resumable=True) for i in range(n)]
        makers: list[Any] = list(factories)
        venv = SubprocVecEnv(makers) if cfg.subprocess else DummyVecEnv(makers)
        if cfg.normalize:
            stats = next((c / "vecnormalize.pkl" for c in (ckpt, start)
                          if c is not None and (c / "vecnormalize.pkl").is_file()), None)
            if stats is not None:
                venv = VecNormalize.load(str(stats), venv)
                venv.training = True
            else:
                venv = VecNormalize(venv, norm_obs=True, norm_reward=False)
            run.vecnorm = venv
        algo: Any = {"ppo": PPO, "sac": SAC}[cfg.algo]
        tb = str(out / "tb")
        exact = ckpt is not None and (ckpt / resume.FILE).is_file()
        if exact and ckpt is not None and cfg.algo == "sac" \
                and not (ckpt / "replay_buffer.pkl").is_file():
            warnings.warn(f"resume: {ckpt.name} has no replay buffer (only a run's latest "
                          "checkpoint keeps it): SAC starts on an empty buffer (a continuation, "
                          "not an exact replay)", stacklevel=2)
            exact = False
        if exact and state.get("num_envs") != n:
            warnings.warn(f"resume: the checkpoint ran {state.get('num_envs')} envs, this run "
                          f"{n}: the episodes restart (a continuation, not an exact replay)",
                          stacklevel=2)
            exact = False
        if ckpt is not None:  # exact: keep the saved last observation, the envs replay to it
            model = algo.load(ckpt / "model.zip", env=venv, device="cpu", tensorboard_log=tb,
                              force_reset=not exact)
            if (ckpt / "replay_buffer.pkl").is_file():
                model.load_replay_buffer(ckpt / "replay_buffer.pkl")
                if model.replay_buffer.n_envs != n:
                    raise ConfigError(f"the replay buffer holds {model.replay_buffer.n_envs} "
                                      f"envs, this run has {n}: resume with "
                                      f"envs={model.replay_buffer.n_envs}",
                                      where=f"resume={cfg.resume}")
        else:
            hyper = dict(cfg.hyper)
            policy_kwargs = {"net_arch": [int(x) for x in cfg.net],
                             **dict(hyper.pop("policy_kwargs", None) or {})}
            kwargs = {"policy_kwargs": policy_kwargs, **hyper}
            try:
                model = algo("MlpPolicy", venv, seed=cfg.seed, device="cpu", verbose=0,
                             tensorboard_log=tb, **kwargs)
            except (TypeError, ValueError, AssertionError) as err:  # SB3 asserts on some
                raise ConfigError(f"hyper: {err}", where="<config>") from None
            if start is not None:
                model.set_parameters(str(start / "model.zip"), device="cpu")
                if cfg.init_log_std is not None:  # explore again around the learned policy
                    with torch.no_grad():
                        model.policy.log_std.fill_(cfg.init_log_std)
        run.model = model
        run.evaluations = list(state.get("evaluations", []))
        run.best = state.get("best")
        run.best_key = tuple(state["best_key"]) if state.get("best_key") else None  # type: ignore[assignment]
        run.last_eval_step = int(state.get("last_eval_step", -1))
        run.last_checkpoint_step = int(state.get("num_timesteps", -1))
        model.set_logger(configure_logger(0, tb, "run", reset_num_timesteps=ckpt is None))
        run.logger = model.logger
        callbacks: list[Any] = []
        if run.random_env is not None:
            from randomizers.callbacks import ADRCallback
            from randomizers.schedules import load_curriculum

            if _adr_names(run.random_env):
                run.adr_cb = ADRCallback()
                if state.get("adr"):
                    from randomizers.adr import ADRRandomizer

                    run.adr_cb.adrs = {k: ADRRandomizer.from_state_dict(s)
                                       for k, s in state["adr"].items()}
                callbacks.append(run.adr_cb)
            curriculum = load_curriculum(setup.path,  # type: ignore[arg-type]
                                         run.random_env.get_wrapper_attr("randomizers"))
            if curriculum.names:
                from s2r.train.callbacks import ResumedSchedule

                run.schedule_cb = ResumedSchedule(curriculum, state.get("schedule_scales") or {})
                run.schedule_cb.episodes = int(state.get("schedule_episodes", 0))
                callbacks.append(run.schedule_cb)
            for name, (lo, hi) in randomization_ranges(run.random_env).items():
                run.logger.record(f"randomization/{name}/low", lo)
                run.logger.record(f"randomization/{name}/high", hi)
        from s2r.train.callbacks import BeforeRolloutCallback, PeriodicCallback, ProgressCallback

        if cfg.eval_every:
            callbacks.append(PeriodicCallback(cfg.eval_every, run.periodic))
        if cfg.checkpoint_every:
            callbacks.append(BeforeRolloutCallback(run.before_rollout))
        if cfg.progress:
            run.progress = ProgressCallback(cfg.steps, f"{cfg.algo} {Path(cfg.task).stem}")
            callbacks.append(run.progress)
        if exact:  # last: nothing above may draw from the generators it restores
            resume.restore(ckpt, model, venv, run.adr_cb)  # type: ignore[arg-type]
        start_steps = int(model.num_timesteps)
        remaining = max(cfg.steps - start_steps, 0)
        t0 = time.perf_counter()
        if remaining:
            try:
                model.learn(remaining, callback=CallbackList(callbacks),
                            reset_num_timesteps=ckpt is None, tb_log_name="run")
            except KeyboardInterrupt:  # keep what was learned: resume=out continues from here
                run.checkpoint(int(model.num_timesteps), exact=False)  # mid-rollout
                raise
        seconds = time.perf_counter() - t0
        steps = int(model.num_timesteps)
        if run.last_eval_step != steps:
            run.evaluate(steps)
            run.logger.dump(steps)
        if run.last_checkpoint_step != steps:
            run.checkpoint(steps)
        run.export(out / "last_policy")
        return TrainResult(out, out / "policy", out / "last_policy", steps, steps - start_steps,
                           seconds, run.evaluations, run.best)
    finally:
        if venv is not None:
            venv.close()
        run.close()
