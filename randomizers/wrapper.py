"""RandomizedEnv: a Gymnasium wrapper that runs randomizers around any PyBullet env.

On an s2r task (:class:`~s2r.tasks.RobotTask`) the physics target is the task's
:class:`~s2r.sim.SimRobot`, and action/observation transforms act on physical
quantities: the command in volts/newtons on its way to the actuators, and the
measured joint positions, velocities and sensors on their way to the task
(which then computes its features from them). On any other Gymnasium env the
user passes ``target=`` (e.g. a :class:`~randomizers.pybullet_target.PyBulletTarget`)
and the transforms act on the env's action and observation vectors.

The command and measurement transforms of each episode run in order on Python
floats, skipping those that do nothing this episode (:mod:`randomizers.pipeline`);
on an s2r task on a SimRobot they run inside the robot's own step.

Everything sampled for an episode is in ``info["randomization"]``, and on an s2r
task so is the episode's initial joint state (``"_initial_state"``); passing the
record back as ``reset(options={"randomization": record})`` replays the episode
with exactly the same values, initial state and step-level noise streams (the
randomizers' and, on a SimRobot, the robot's own sensor noise), even an episode
of an unseeded reset.

Seeding follows Gymnasium's contract: ``reset(seed=s)`` restarts the
randomization stream from ``s`` and seeds the wrapped env with ``s``, so two
envs reset with the same seed run the same episodes whatever seed they were
built with; ``reset()`` without a seed continues both. The constructor's
``seed`` starts the stream and seeds the env at the first reset (with a seed
derived from it), so envs built with the same seed run the same episodes.
A seeded reset draws the ``startup`` randomizers again.

>>> from s2r.tasks import PendulumSwingup
>>> from randomizers.registry import build_randomizers
>>> env = RandomizedEnv(PendulumSwingup(), build_randomizers([
...     {"type": "mass", "distribution": {"uniform": [0.8, 1.2]}}]), seed=0)
>>> obs, info = env.reset(seed=0)
>>> sorted(info["randomization"]["mass"]["values"])
['link.pole.mass']
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from randomizers.base import Layout, RandomizationContext, RandomizationError, Randomizer
from randomizers.effect_names import refuse_shared_names
from randomizers.pipeline import Pipeline
from randomizers.registry import value_error_message
from randomizers.robot_proxy import RandomizedRobot
from randomizers.target import ParameterTarget
from s2r.tasks.base import RobotTask

EPISODE_SEED = "_episode_seed"
INITIAL_STATE = "_initial_state"
#: tag of the robot's noise stream among the episode seed's streams (interval
#: randomizers use their index)
ROBOT_STREAM = 2**32 - 1


class RandomizedEnv(gym.Wrapper[Any, Any, Any, Any]):
    """Apply ``randomizers`` to ``env``; every draw comes from a generator seeded by ``seed``.

    Args:
        env: an s2r task or any Gymnasium env backed by PyBullet.
        randomizers: built randomizers (see :func:`randomizers.registry.build_randomizers`).
        seed: seed of this env's randomization stream (``None``: fresh entropy).
        target: the physics parameters to act on, for envs that are not s2r tasks.
        control_period: seconds per ``step`` for envs that are not s2r tasks.
        fast: on an s2r task on a SimRobot, run the command and measurement
            transforms inside the robot's step (``False``: around it, in a proxy;
            the same results).
    """

    def __init__(self, env: gym.Env[Any, Any], randomizers: Sequence[Randomizer], *,
                 seed: int | None = None, target: ParameterTarget | None = None,
                 control_period: float | None = None, fast: bool = True) -> None:
        super().__init__(env)
        self.randomizers = list(randomizers)
        names = [r.name for r in self.randomizers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RandomizationError(f"two randomizers named '{dupes[0]}': give one a name:")
        task = env.unwrapped
        self._task = task if isinstance(task, RobotTask) else None
        robot = getattr(self._task, "robot", None)
        if self._task is not None:
            spec = robot.spec  # type: ignore[union-attr]
            nq, ns = spec.n_joints, len(spec.sensors)
            layout = Layout(slice(0, nq), slice(nq, 2 * nq), slice(2 * nq, 2 * nq + ns),
                            2 * nq + ns)
            period = 1.0 / spec.control_rate
            action_size = spec.n_actions
        else:
            size = int(np.prod(env.observation_space.shape or (0,)))
            layout = Layout(slice(0, 0), slice(0, 0), slice(0, 0), size)
            period = control_period if control_period is not None else 1.0 / float(
                env.metadata.get("render_fps") or 50)
            action_size = int(np.prod(env.action_space.shape or (0,)))
        from s2r.sim import SimRobot

        sim = robot if isinstance(robot, SimRobot) else None
        self.ctx = RandomizationContext(env, target if target is not None else sim, sim, period,
                                        layout, action_size)
        for r in self.randomizers:  # validation before any simulation runs
            try:
                r.bind(self.ctx)
            except RandomizationError as err:
                if err.where or not r.where:
                    raise
                raise RandomizationError(err.message, where=r.where) from None
            except ValueError as err:  # an option that is not a number, converted late
                if r.entry is None:
                    raise
                raise RandomizationError(value_error_message(r.type, r.entry, err),
                                         where=r.where) from None
        refuse_shared_names(self.randomizers)
        self._reseed(seed)
        self._step_rng = np.random.default_rng(0)
        self._countdown: dict[int, int] = {}
        self._actors = [r for r in self.randomizers if r.transforms_action]
        self._sensors = [r for r in self.randomizers if r.transforms_observation]
        self._steppers = [r for r in self.randomizers if r.uses_step]
        self._interval = [i for i, r in enumerate(self.randomizers) if r.mode == "interval"]
        # transforms the wrapper applies itself (envs that are not s2r tasks; else the proxy)
        self._env_actors = self._actors if self._task is None else []
        self._env_sensors = self._sensors if self._task is None else []
        self._plain = not (self._env_actors or self._env_sensors or self._steppers
                           or self._interval)
        self._proxy: RandomizedRobot | None = None
        self._act_pipe: Pipeline | None = None
        self._obs_pipe: Pipeline | None = None
        if self._task is not None and (self._actors or self._sensors):
            self._proxy = RandomizedRobot(self._task.robot, self._actors, self._sensors, self.ctx,
                                          lambda: self._step_rng, fast=fast)
            # on a SimRobot the transforms run in its own step: the task keeps talking to it
            self._task.robot = self._proxy.robot if self._proxy.in_robot else self._proxy
        if sim is not None:
            for r in self.randomizers:
                if r.uses_substeps:
                    sim.add_substep_hook(r.on_substep)
        self.last_record: dict[str, Any] = {}

    # ------------------------------------------------------------------ reset
    def _reseed(self, seed: int | None) -> None:
        """Start the randomization stream from ``seed`` (``None``: fresh entropy)."""
        self._seed_seq = np.random.SeedSequence(seed)
        self._rngs = [np.random.default_rng(s) for s in self._seed_seq.spawn(len(self.randomizers))]
        self._episode_rng = np.random.default_rng(self._seed_seq.spawn(1)[0])
        self._started = False  # startup randomizers draw again from the new stream
        # seeds the env (the task's initial states) at the next reset that gives no seed
        self._env_seed: int | None = int(self._seed_seq.spawn(1)[0].generate_state(1)[0])

    def _initial_state(self, seed: int | None, options: dict[str, Any],
                       replay: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray] | None:
        """The episode's initial joint state on an s2r task: given, replayed, or drawn by
        the task from its generator (seeded by ``seed`` as the task's own reset would)."""
        if self._task is None:
            return None
        if "state" in options:
            q, qd = options["state"]
        elif replay is not None and INITIAL_STATE in replay:
            q, qd = replay[INITIAL_STATE]["q"], replay[INITIAL_STATE]["qd"]
        else:
            if seed is not None:
                gym.Env.reset(self._task, seed=seed)
            q, qd = self._task.initial_state(self._task.np_random)
        return np.asarray(q, dtype=np.float64), np.asarray(qd, dtype=np.float64)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        """Sample (or replay ``options["randomization"]``) and reset the env.

        ``seed`` restarts the randomization stream and seeds the task (see the
        module docstring).
        """
        options = dict(options or {})
        replay = options.pop("randomization", None)
        if seed is not None:
            self._reseed(seed)
        else:
            seed = self._env_seed  # the first reset after the constructor's seed
        self._env_seed = None
        ctx = self.ctx
        ctx.step = 0
        record: dict[str, Any] = {}
        for i, r in enumerate(self.randomizers):
            due = r.mode != "startup" or not self._started
            if replay is not None:
                if r.name in replay:
                    r.apply(ctx, replay[r.name])
                    record[r.name] = replay[r.name]
                continue
            if due:
                record[r.name] = r.sample(ctx, self._rngs[i])
                r.apply(ctx, record[r.name])
            elif r.name in self.last_record:
                record[r.name] = self.last_record[r.name]
        self._started = True
        episode_seed = (int(replay[EPISODE_SEED]) if replay and EPISODE_SEED in replay
                        else int(self._episode_rng.integers(2**63)))
        record[EPISODE_SEED] = episode_seed
        self._step_rng = np.random.default_rng(episode_seed)
        if ctx.robot is not None:  # the robot's own sensor noise: a stream of the episode too
            ctx.robot.rng = np.random.default_rng([episode_seed, ROBOT_STREAM])
        # in-episode draws come from streams of the episode seed, so a replay repeats them
        self._interval_rngs = {i: np.random.default_rng([episode_seed, i]) for i in self._interval}
        self._countdown = {i: self.randomizers[i].interval.next_period(  # type: ignore[union-attr]
            ctx.control_period, self._interval_rngs[i]) for i in self._interval}
        self._compile()  # this episode's pipelines, with its values and stream
        state = self._initial_state(seed, options, replay)
        if state is not None:  # an s2r task: its generator is seeded above, not again
            options["state"] = state
            record[INITIAL_STATE] = {"q": state[0].tolist(), "qd": state[1].tolist()}
            seed = None
        obs, info = self.env.reset(seed=seed, options=options or None)
        if self._env_sensors:
            obs = self._transform_obs(obs)
        self.last_record = record
        info["randomization"] = record
        return obs, info

    # ------------------------------------------------------------------- step
    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        ctx = self.ctx
        if self._plain:  # nothing to do here per step (transforms, if any, run in the robot)
            result = self.env.step(action)
            ctx.step += 1
            return result
        if self._act_pipe is not None:
            action = np.array(self._act_pipe(np.asarray(action, dtype=np.float64).reshape(-1)
                                             .tolist())).reshape(np.shape(action))
        obs, reward, terminated, truncated, info = self.env.step(action)
        ctx.step += 1
        if self._env_sensors:
            obs = self._transform_obs(obs)
        if self._steppers:
            for r in self._steppers:
                r.on_step(ctx, self._step_rng)
        if self._countdown:
            self._fire_intervals(info)
        return obs, reward, terminated, truncated, info

    def _fire_intervals(self, info: dict[str, Any]) -> None:
        ctx = self.ctx
        for i, left in self._countdown.items():
            if left > 1:
                self._countdown[i] = left - 1
                continue
            r, rng = self.randomizers[i], self._interval_rngs[i]
            rec = r.sample(ctx, rng)
            r.apply(ctx, rec)
            info.setdefault("randomization_interval", {})[r.name] = rec
            if r.transforms_action or r.transforms_observation:
                self._compile()
            self._countdown[i] = r.interval.next_period(ctx.control_period,  # type: ignore[union-attr]
                                                        rng)

    def _compile(self) -> None:
        """Build this episode's pipelines (after every sampling)."""
        if self._proxy is not None:
            self._proxy.compile()
        if self._env_actors:
            pipe = Pipeline(self._env_actors, "action", self.ctx, self._step_rng)
            self._act_pipe = None if pipe.empty else pipe
        if self._env_sensors:
            pipe = Pipeline(self._env_sensors, "observation", self.ctx, self._step_rng)
            self._obs_pipe = None if pipe.empty else pipe

    def _transform_obs(self, obs: Any) -> Any:
        if self._obs_pipe is None:
            return obs
        values = self._obs_pipe(np.asarray(obs, dtype=np.float64).reshape(-1).tolist())
        return np.array(values).astype(np.asarray(obs).dtype).reshape(np.shape(obs))

    def call_randomizers(self, method: str, *args: Any, names: Sequence[str] | None = None,
                         **kwargs: Any) -> dict[str, Any]:
        """Call ``method(*args, **kwargs)`` on the randomizers named ``names`` (default: all
        that have it); results by name. ``VecEnv.env_method("call_randomizers", ...)``
        reaches randomizers in other processes (ADR and curriculum callbacks)."""
        out = {}
        for r in self.randomizers:
            fn = getattr(r, method, None)
            if (names is None or r.name in names) and callable(fn):
                out[r.name] = fn(*args, **kwargs)
        missing = sorted(set(names or ()) - set(out))
        if missing:
            raise RandomizationError(f"no randomizer '{missing[0]}' with a method '{method}'")
        return out

    def close(self) -> None:
        robot = self.ctx.robot
        for r in self.randomizers:
            if r.uses_substeps and robot is not None:
                robot.remove_substep_hook(r.on_substep)
            r.close(self.ctx)
        if self._proxy is not None and self._task is not None:
            self._proxy.detach()
            self._task.robot = self._proxy.robot
        super().close()
