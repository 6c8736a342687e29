"""Evaluate a policy callable on a task: mean return, success rate, episode length.

>>> import numpy as np
>>> from s2r.tasks import PendulumSwingup
>>> env = PendulumSwingup(max_steps=10)
>>> result = evaluate(lambda obs: np.zeros(1), env, episodes=2, seed=0)
>>> result.episodes, result.success_rate
(2, 0.0)
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np


@dataclass
class Evaluation:
    """Results of a batch of episodes."""

    episodes: int
    mean_return: float
    std_return: float
    success_rate: float
    mean_length: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def selection_key(select: str, nominal: Evaluation,
                  randomized: Evaluation | None) -> tuple[float, ...]:
    """What ranks a run's evaluations for ``out/policy`` (higher is better, later entries
    break ties): success rate and mean return, nominal first or (``select="randomized"``)
    the randomized distribution's first.

    >>> good_nominal = Evaluation(5, 900.0, 1.0, 1.0, 1000.0)
    >>> robust = Evaluation(5, 800.0, 1.0, 1.0, 1000.0)
    >>> a = selection_key("randomized", good_nominal, Evaluation(5, 600.0, 9.0, 0.6, 1000.0))
    >>> b = selection_key("randomized", robust, Evaluation(5, 780.0, 9.0, 1.0, 1000.0))
    >>> b > a
    True
    """
    nom = (nominal.success_rate, nominal.mean_return)
    rand = () if randomized is None else (randomized.success_rate, randomized.mean_return)
    return rand + nom if select == "randomized" else nom + rand


def evaluate(policy: Callable[[np.ndarray], np.ndarray], env: gym.Env[Any, Any],
             episodes: int, seed: int = 0) -> Evaluation:
    """Run ``episodes`` episodes (reset seeds ``seed``, ``seed + 1``, ...); success is the
    task's ``info["success"]`` at the end of each (False when the task has none)."""
    returns, lengths, successes = [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        info: dict[str, Any] = {}
        ret, steps, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs))
            ret += float(reward)
            steps += 1
            done = terminated or truncated
        returns.append(ret)
        lengths.append(steps)
        successes.append(bool(info.get("success", False)))
    return Evaluation(episodes, float(np.mean(returns)), float(np.std(returns)),
                      float(np.mean(successes)), float(np.mean(lengths)))
