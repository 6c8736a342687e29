"""Snapshots of a training environment mid-episode, for resuming a run exactly.

A PyBullet env with randomizers installed cannot be pickled, but it can be *rebuilt*:
:class:`EpisodeRecorder` (the outermost wrapper of a training env) remembers how the
current episode started and every action since. :meth:`EpisodeRecorder.snapshot` packs
that with the random generators as they are now; :meth:`EpisodeRecorder.restore`, on a
freshly built env, redoes the episode's reset (the randomization record on a
``RandomizedEnv``, else the task's generator as it was before the reset), replays the
actions (deterministic physics: the same states, rewards, ``Monitor`` sums) and then puts
the generators back, so the env continues exactly where the snapshot was taken.

>>> import numpy as np
>>> from s2r.tasks import PendulumSwingup
>>> env = EpisodeRecorder(PendulumSwingup(max_steps=50))
>>> _ = env.reset(seed=3)
>>> for _ in range(5):
...     obs, *_ = env.step(np.array([0.7], dtype=np.float32))
>>> copy = EpisodeRecorder(PendulumSwingup(max_steps=50))
>>> bool(np.array_equal(copy.restore(env.snapshot()), obs))
True
>>> a = np.array([-0.2], dtype=np.float32)
>>> bool(np.array_equal(env.step(a)[0], copy.step(a)[0]))
True
>>> env.close(); copy.close()
"""

from __future__ import annotations

import pickle
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from s2r.errors import S2RError


def _randomized(env: gym.Env[Any, Any]) -> Any:
    """The ``RandomizedEnv`` among the wrappers of ``env`` (None if there is none)."""
    from randomizers.wrapper import RandomizedEnv

    current: Any = env
    while current is not None:
        if isinstance(current, RandomizedEnv):
            return current
        current = getattr(current, "env", None)
    return None


def _robot_rng(task: Any) -> Any:
    return getattr(getattr(task, "robot", None), "rng", None)


class EpisodeRecorder(gym.Wrapper[Any, Any, Any, Any]):
    """Record each episode's start and actions; :meth:`snapshot` / :meth:`restore`."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self._start: dict[str, Any] | None = None
        self._actions: list[np.ndarray] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        task = self.env.unwrapped
        start: dict[str, Any] = {"seed": seed, "options": options}
        if _randomized(self.env) is None:  # how to redo this reset: the generators before it
            start["task_rng"] = pickle.dumps(task.np_random)
            start["robot_rng"] = pickle.dumps(_robot_rng(task))
        obs, info = self.env.reset(seed=seed, options=options)
        if "randomization" in info:  # a RandomizedEnv: its record replays the episode
            start["record"] = info["randomization"]
        self._start, self._actions = start, []
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        self._actions.append(np.array(action, copy=True))
        return self.env.step(action)

    def snapshot(self) -> bytes:
        """The current episode (its start and actions) and the generators as they are now."""
        if self._start is None:
            raise S2RError("snapshot of an env that was never reset")
        task = self.env.unwrapped
        now: dict[str, Any] = {"task_rng": task.np_random}
        rand = _randomized(self.env)
        if rand is not None:
            now["randomizer_rngs"] = rand._rngs
            now["episode_rng"] = rand._episode_rng
        return pickle.dumps({"start": self._start, "actions": self._actions, "now": now})

    def restore(self, blob: bytes) -> Any:
        """Rebuild the snapshot's state on this (freshly built) env; returns the last
        observation (what the episode's last step, or its reset, returned)."""
        data = pickle.loads(blob)
        start, now = data["start"], data["now"]
        task: Any = self.env.unwrapped
        rand = _randomized(self.env)
        if (rand is None) != ("record" not in start):
            raise S2RError("snapshot of another kind of env (with/without randomization)")
        if rand is not None:
            options = dict(start["options"] or {})
            options["randomization"] = start["record"]
            obs, _ = self.env.reset(options=options)  # the record holds the seed's draws
        else:
            task.np_random = pickle.loads(start["task_rng"])
            robot_rng = pickle.loads(start["robot_rng"])
            if robot_rng is not None:
                task.robot.rng = robot_rng
            obs, _ = self.env.reset(seed=start["seed"], options=start["options"])
        for action in data["actions"]:
            obs = self.env.step(action)[0]
        self._start, self._actions = start, list(data["actions"])
        task.np_random = now["task_rng"]
        if rand is not None:
            rand._rngs = now["randomizer_rngs"]
            rand._episode_rng = now["episode_rng"]
            rand._started, rand._env_seed = True, None
        return obs
