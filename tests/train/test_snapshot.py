"""EpisodeRecorder: a training env rebuilt from a snapshot continues exactly."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.errors import S2RError
from s2r.train.envs import EnvFactory, resolve_randomization


def _run(env, actions):
    out = []
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        out.append((obs, reward, terminated, truncated, info.get("randomization_interval")))
        if terminated or truncated:
            obs, info = env.reset()
            out.append((obs, info["randomization"] if "randomization" in info else None))
    return out


@pytest.mark.parametrize("task, randomization", [("cartpole_balance", "cartpole_full"),
                                                 ("furuta_swingup", "furuta_full"),
                                                 ("pendulum_swingup", "none")])
def test_a_restored_env_continues_as_the_original(task, randomization):
    factory = EnvFactory(task, resolve_randomization(randomization, None), seed=5,
                         max_steps=40, monitor=True, resumable=True)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (200, 1)).astype(np.float32)
    env = factory()
    env.reset(seed=5)
    before = _run(env, actions[:97])  # a few episodes, then stop mid-episode
    assert sum(len(x) == 2 for x in before) >= 2 and len(before[-1]) == 5
    blob = env.snapshot()
    copy = factory()
    last = copy.restore(blob)
    np.testing.assert_array_equal(last, before[-1][0])  # the observation it had
    a, b = _run(env, actions[97:]), _run(copy, actions[97:])
    assert len(a) == len(b) > 103  # episodes ended and started again on both
    for x, y in zip(a, b):
        assert len(x) == len(y)
        for u, v in zip(x, y):
            if isinstance(u, np.ndarray):
                np.testing.assert_array_equal(u, v)
            else:
                assert u == v
    env.close()
    copy.close()


def test_snapshot_errors_name_the_problem():
    plain = EnvFactory("pendulum_swingup", resolve_randomization("none", None), resumable=True)
    rand = EnvFactory("pendulum_swingup", resolve_randomization("sensing_only", None),
                      resumable=True)
    env = plain()
    with pytest.raises(S2RError, match="never reset"):
        env.snapshot()
    env.reset(seed=0)
    other = rand()
    with pytest.raises(S2RError, match="another kind of env"):
        other.restore(env.snapshot())
    env.close()
    other.close()
