"""Stable-Baselines3 callbacks: feed ADR with episode results, advance curricula, log both.

Both callbacks reach the randomizers of the training envs through
``VecEnv.env_method("call_randomizers", ...)`` (a method of
:class:`~randomizers.wrapper.RandomizedEnv`), so they work with ``DummyVecEnv``
and with ``SubprocVecEnv`` alike: the state lives in the callback (one central
ADR, as in the paper) and is pushed to every env when it changes. Each env
must be wrapped in a :class:`~randomizers.wrapper.RandomizedEnv` (under any
other wrappers, e.g. ``Monitor``).

Limits: in a ``SubprocVecEnv`` a worker raising inside ``env_method`` (a
misconfigured env) dies and SB3 reports ``EOFError``; an episode that starts
while a boundary moves in another env is sampled at the old boundary and its
result is dropped as ``stale`` by :meth:`ADRRandomizer.update`.

>>> from stable_baselines3 import PPO
>>> from stable_baselines3.common.env_util import make_vec_env
>>> from randomizers.adr import ADRRandomizer
>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks import PendulumSwingup
>>> def make() -> RandomizedEnv:
...     adr = ADRRandomizer("link.pole.mass", thresholds=[-1e9, -1e8], queue_length=1)
...     return RandomizedEnv(PendulumSwingup(max_steps=8), [adr], seed=0)
>>> venv = make_vec_env(make, n_envs=2, seed=0)
>>> cb = ADRCallback()
>>> model = PPO("MlpPolicy", venv, n_steps=16, batch_size=16, n_epochs=1, seed=0)
>>> model = model.learn(32, callback=cb)
>>> cb.adrs["adr"].counters["expand"] > 0      # every return >= -1e8: the range grew
True
>>> venv.close()
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from randomizers.adr import ADRRandomizer
from randomizers.base import RandomizationError
from randomizers.schedules import Curriculum


def _base_venv(venv: VecEnv) -> VecEnv:
    """The innermost VecEnv (whose ``reset_infos`` hold the reset records)."""
    while isinstance(venv, VecEnvWrapper):
        venv = venv.venv
    return venv


def _call(venv: VecEnv, method: str, *args: Any, indices: Any = None,
          **kwargs: Any) -> list[dict[str, Any]]:
    try:
        return venv.env_method("call_randomizers", method, *args, indices=indices, **kwargs)
    except AttributeError:
        raise RandomizationError("the training envs are not wrapped in RandomizedEnv (no "
                                 "'call_randomizers')") from None


class ADRCallback(BaseCallback):
    """Feed every finished episode's performance to the ADR randomizers of the envs.

    The performance is ``info[adr.metric]`` at the episode's end if the ADR has a
    ``metric``, else the ``Monitor`` return ``info["episode"]["r"]``, else the sum of
    the rewards the callback saw (after any ``VecNormalize``). Logs entropy,
    bounds and counters under ``adr/`` at the end of every rollout.

    Args:
        names: ADR randomizers to drive (default: every one of type ``adr``).
    """

    def __init__(self, names: list[str] | None = None, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.names = names
        self.adrs: dict[str, ADRRandomizer] = {}

    def _on_training_start(self) -> None:
        venv = self.training_env
        if not self.adrs:  # first call of learn(): the central ADRs start from env 0's
            states = _call(venv, "state_dict", indices=[0])[0]
            self.adrs = {n: ADRRandomizer.from_state_dict(s) for n, s in states.items()
                         if isinstance(s, dict) and s.get("kind") == "adr"
                         and (self.names is None or n in self.names)}
            missing = sorted(set(self.names or ()) - set(self.adrs))
            if not self.adrs or missing:
                raise RandomizationError(f"ADRCallback: no ADR randomizer {missing or ''} in "
                                         "the training envs")
        for name, adr in self.adrs.items():  # one central state for every env
            _call(venv, "load_state_dict", adr.state_dict(), names=[name])
        # records of the running episodes: from the last resets (SubprocVecEnv only
        # reports those of the envs that were reset: else keep what we tracked)
        base, n = _base_venv(venv), venv.num_envs
        old = getattr(self, "_records", [])
        self._records = [dict(base.reset_infos[i].get("randomization") or
                              (old[i] if i < len(old) else {})) for i in range(n)]
        if len(getattr(self, "_returns", ())) != n:
            self._returns = np.zeros(n)

    def _performance(self, adr: ADRRandomizer, info: dict[str, Any], i: int) -> float:
        if adr.metric is not None:
            if adr.metric not in info:
                raise RandomizationError(f"ADRCallback: {adr.name}: metric '{adr.metric}' is not "
                                         "in the info of a finished episode")
            return float(info[adr.metric])
        if "episode" in info:
            return float(info["episode"]["r"])
        return float(self._returns[i])

    def _on_step(self) -> bool:
        dones, infos = self.locals["dones"], self.locals["infos"]
        self._returns += np.asarray(self.locals["rewards"], dtype=float)
        changed: set[str] = set()
        base = _base_venv(self.training_env)
        for i in np.flatnonzero(dones).tolist():
            for name, adr in self.adrs.items():
                record = self._records[i].get(name)
                if record is None:
                    continue
                decision = adr.update(record, self._performance(adr, infos[i], i))
                if decision in ("expand", "shrink"):
                    changed.add(name)
            self._returns[i] = 0.0
            self._records[i] = dict(base.reset_infos[i].get("randomization") or {})
        for name in changed:
            _call(self.training_env, "load_state_dict", self.adrs[name].state_dict(),
                  names=[name])
        return True

    def _on_rollout_end(self) -> None:
        for name, adr in self.adrs.items():
            prefix = "adr/" if name == "adr" else f"adr/{name}/"
            self.logger.record(f"{prefix}entropy", adr.entropy())
            for param, (lo, hi) in adr.bounds().items():
                self.logger.record(f"{prefix}{param}/low", lo)
                self.logger.record(f"{prefix}{param}/high", hi)
            for key, count in adr.counters.items():
                self.logger.record(f"{prefix}{key}", count)

    def state_dict(self) -> dict[str, dict[str, Any]]:
        """The central ADR states by name (to save; load them into the envs' ADRs to resume)."""
        return {name: adr.state_dict() for name, adr in self.adrs.items()}


class ScheduleCallback(BaseCallback):
    """Advance a :class:`~randomizers.schedules.Curriculum` with ``num_timesteps`` and the
    number of finished episodes, set the scales in every env, and log them.

    Args:
        curriculum: the schedules (see :func:`~randomizers.schedules.load_curriculum`).
        resolution: push a new scale to the envs when it moved by at least this much
            (or reached its final value); 0 pushes every change.
    """

    def __init__(self, curriculum: Curriculum, resolution: float = 0.01,
                 verbose: int = 0) -> None:
        super().__init__(verbose)
        self.curriculum = curriculum
        self.resolution = resolution
        self.episodes = 0
        self.current: dict[str, float] = {}
        self._final = curriculum.scales(math.inf, math.inf)

    def _on_training_start(self) -> None:
        attributes = _call(self.training_env, "__dir__", indices=[0])[0]
        for name in self.curriculum.names:
            if name not in attributes or "scale" not in attributes[name]:
                raise RandomizationError(f"ScheduleCallback: no randomizer '{name}' with a "
                                         "'scale' in the training envs")
        self.current = {}
        self._push(force=True)

    def _push(self, force: bool = False) -> None:
        for name, f in self.curriculum.scales(self.num_timesteps, self.episodes).items():
            last = self.current.get(name)
            if force or last is None or abs(f - last) >= self.resolution or (
                    f != last and f == self._final[name]):
                _call(self.training_env, "__setattr__", "scale", f, names=[name])
                self.current[name] = f

    def _on_step(self) -> bool:
        self.episodes += int(np.sum(self.locals["dones"]))
        self._push()
        return True

    def _on_rollout_end(self) -> None:
        for name, f in self.current.items():
            self.logger.record(f"schedule/{name}", f)
