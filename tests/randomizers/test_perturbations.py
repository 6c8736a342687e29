"""Pushes: a force held for its whole duration gives the impulse F*T; kicks change velocity.

The sled (data/sled.yaml) is a free 2 kg mass on a frictionless rail along x,
so momentum is exactly the sum of the impulses along x.
"""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.base import RandomizationError
from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv

MASS = 2.0


def sled_env(envs, seed=0, **push):
    entry = {"type": "push", "link": "sled", **push}
    return RandomizedEnv(envs["sled"](), build_randomizers([entry]), seed=seed)


def velocity_after(env, seconds, options=None):
    env.reset(options=options)
    qd = []
    for _ in range(round(seconds / env.ctx.control_period)):
        qd.append(env.step(np.zeros(1))[4]["qd"][0])
    return np.array(qd)


def test_force_push_gives_impulse_f_times_duration(envs):
    env = sled_env(envs, every=0.3, duration=0.1, magnitude=8.0, direction=[1, 0, 0],
                   horizon=0.5)
    v = velocity_after(env, 0.6)
    assert env.last_record["push"]["pushes"] == [[0.3, 0.1, 8.0, 0.0, 0.0]]
    one_substep = 8.0 * 0.002 / MASS
    assert v[-1] == pytest.approx(8.0 * 0.1 / MASS, abs=1e-9)  # 0.4 m/s = 50 sub-steps' worth
    assert v[-1] > 40 * one_substep
    t = np.arange(1, len(v) + 1) * 0.02
    assert np.all(v[t <= 0.3 + 1e-9] == 0.0) and np.all(v[t >= 0.4 - 1e-9] == v[-1])
    env.close()


def test_push_not_aligned_with_substeps_still_gives_exactly_f_times_t(envs):
    env = sled_env(envs, every=0.3013, duration=0.0931, magnitude=5.0, direction=[-1, 0, 0],
                   horizon=0.5)
    v = velocity_after(env, 0.5)
    assert v[-1] == pytest.approx(-5.0 * 0.0931 / MASS, abs=1e-9)
    env.close()


def test_velocity_kick_changes_the_link_velocity_by_dv(envs):
    env = sled_env(envs, kind="velocity", every=0.2, magnitude=0.7, direction=[1, 0, 1],
                   horizon=0.3)
    v = velocity_after(env, 0.4)
    # only the x part of the kick is possible on the rail: dq = pinv(J) dv
    assert v[-1] == pytest.approx(0.7 / np.sqrt(2), abs=1e-12)
    assert v[8] == 0.0 and v[10] == v[-1]  # at 0.2 s, once
    env.close()


def test_random_schedule_is_recorded_and_every_push_is_applied_in_full(envs):
    env = sled_env(envs, seed=3, every=[0.2, 0.5], duration=[0.02, 0.1], magnitude=[2, 10],
                   direction="horizontal")
    v = velocity_after(env, 2.5)  # horizon: the task's 100 steps = 2 s
    pushes = np.array(env.last_record["push"]["pushes"])
    starts = pushes[:, 0]
    assert len(pushes) >= 4 and starts[0] >= 0.2 and starts[-1] < 2.0
    assert np.all(np.diff(starts) >= 0.2) and np.all(np.diff(starts) <= 0.5)
    assert np.all((pushes[:, 1] >= 0.02) & (pushes[:, 1] <= 0.1))
    np.testing.assert_array_equal(pushes[:, 4], 0.0)  # horizontal
    magnitude = np.linalg.norm(pushes[:, 2:], axis=1)
    assert np.all((magnitude >= 2) & (magnitude <= 10))
    # momentum along the rail is the sum of every push's x impulse
    assert v[-1] == pytest.approx(np.sum(pushes[:, 2] * pushes[:, 1]) / MASS, abs=1e-9)
    replay = velocity_after(env, 2.5, options={"randomization": env.last_record})
    np.testing.assert_array_equal(replay, v)
    other = velocity_after(env, 2.5)  # a new episode, a new schedule
    assert not np.array_equal(other, v)
    env.close()


def test_push_needs_a_simrobot_and_a_known_link(envs):
    with pytest.raises(RandomizationError, match="SimRobot"):
        RandomizedEnv(envs["echo"](), build_randomizers([{"type": "push", "link": "x",
                                                          "horizon": 1.0}]))
    with pytest.raises(RandomizationError, match="no link named 'wheel'.*sled"):
        RandomizedEnv(envs["sled"](), build_randomizers([{"type": "push", "link": "wheel"}]))


def test_the_substep_hook_is_installed_only_around_pushes(envs):
    env = sled_env(envs, every=0.3, duration=0.1, magnitude=8.0, direction=[1, 0, 0],
                   horizon=0.5)
    robot = env.ctx.robot
    env.reset(seed=0)
    hooked = []
    for _ in range(30):  # steps of 0.02 s; one push over [0.3, 0.4]
        hooked.append(bool(robot._substep_hooks))
        env.step(np.zeros(1))
    steps = [k for k, h in enumerate(hooked) if h]
    # steps 15..19 cover the push; the look-ahead (one control period + one sub-step, at
    # their bounds 0.04 s + 0.004 s) may hook up to two steps earlier
    assert set(range(15, 20)) <= set(steps) <= set(range(12, 21))
    env.close()
