"""Gymnasium's seeding contract holds for RandomizedEnv on every built-in task and shipped config.

Before: ``reset(seed=s)`` reached only the task, so the randomization (and
its step-level noise) differed between two resets with the same seed and
``check_env`` failed on every combination.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from randomizers.registry import load_randomization
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import TASKS, PendulumSwingup

CONFIGS = sorted(Path(__file__).resolve().parents[2].glob("configs/randomization/*.yaml"))
ROBOTS = {cls.default_robot for _, cls in TASKS.values()}


def pairs() -> list[tuple[str, str]]:
    """(config, task): a config named after a robot (``furuta_full``) goes with that robot's
    tasks, any other config with every task."""
    out = []
    for path in CONFIGS:
        robot = path.stem.split("_")[0]
        out += [(path.stem, task) for task, (_, cls) in TASKS.items()
                if robot not in ROBOTS or cls.default_robot == robot]
    return out


def test_every_shipped_config_is_checked():
    assert {config for config, _ in pairs()} == {p.stem for p in CONFIGS}
    assert {task for _, task in pairs()} == set(TASKS)


@pytest.mark.parametrize(("config", "task"), pairs())
def test_check_env_passes(config, task):
    env = RandomizedEnv(TASKS[task][1](), load_randomization(config), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # infinite Box bounds, "env is wrapped": advice only
        check_env(env, skip_render_check=True)
    env.close()


def test_reset_seed_seeds_the_task_as_a_bare_reset_would():
    bare, wrapped = PendulumSwingup(), RandomizedEnv(PendulumSwingup(), [], seed=99)
    for seed in (4, 5):
        assert np.array_equal(bare.reset(seed=seed)[0], wrapped.reset(seed=seed)[0])
    bare.close()
    wrapped.close()


def test_same_constructor_seed_same_initial_states():
    a, b = (RandomizedEnv(PendulumSwingup(), [], seed=3) for _ in range(2))
    for _ in range(3):
        assert np.array_equal(a.reset()[0], b.reset()[0])
    c = RandomizedEnv(PendulumSwingup(), [], seed=4)
    assert not np.array_equal(a.reset()[0], c.reset()[0])
    for env in (a, b, c):
        env.close()
