"""Sensing randomizers: statistics and timing of what the policy sees.

Tolerances are about 4 standard errors of the estimate for the sample size
used, so a correct implementation fails about once in 15 000 runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.sim import SimRobot
from s2r.tasks import PendulumSwingup


def wrap(env, *entries, seed=0):
    return RandomizedEnv(env, build_randomizers(list(entries)), seed=seed)


def episode(env, steps, seed=None):
    obs, _ = env.reset(seed=seed)
    rows = [obs]
    for _ in range(steps):
        rows.append(env.step(env.action_space.sample() * 0)[0])
    return np.array(rows)


def test_gaussian_noise_statistics(envs):
    env = wrap(envs["signal"](n=1000), {"type": "observation_noise", "amplitude": 0.2})
    x = episode(env, 10).ravel()  # 11000 samples
    assert abs(x.mean()) < 4 * 0.2 / np.sqrt(x.size)
    assert x.std() == pytest.approx(0.2, abs=4 * 0.2 / np.sqrt(2 * x.size))


def test_uniform_noise_statistics_and_per_element_amplitude(envs):
    env = wrap(envs["signal"](n=4), {"type": "observation_noise", "kind": "uniform",
                                     "amplitude": [0.1, 0.2], "indices": [1, 3]})
    x = episode(env, 3000)
    np.testing.assert_array_equal(x[:, [0, 2]], 0.0)  # untouched
    for col, a in ((1, 0.1), (3, 0.2)):
        assert np.abs(x[:, col]).max() <= a
        assert x[:, col].std() == pytest.approx(a / np.sqrt(3), rel=0.04)  # SE ~1 %


def test_bias_is_constant_within_an_episode_and_differs_across_episodes(envs):
    env = wrap(envs["signal"](n=5), {"type": "observation_bias", "distribution": [-1, 1]},
               seed=4)
    biases = []
    for _ in range(3):
        x = episode(env, 20)
        bias = np.array(env.last_record["observation_bias"]["bias"])
        np.testing.assert_array_equal(x, np.broadcast_to(bias, x.shape))
        assert np.all(np.abs(bias) <= 1) and len(set(bias)) == 5
        biases.append(bias)
    assert not np.array_equal(biases[0], biases[1])
    assert not np.array_equal(biases[1], biases[2])


def test_drift_variance_grows_linearly_with_time_and_restarts_each_episode(envs):
    std, n = 0.1, 2000
    env = wrap(envs["signal"](n=n), {"type": "observation_drift", "std": std})
    for _ in range(2):  # the second episode starts from zero drift again
        x = episode(env, 99)
        for t in (1, 10, 100):  # measurements taken: t (the reset one included)
            # variance of a sample variance over n values: 2 sigma^4 / n, i.e. 3.2 % per SE
            assert x[t - 1].var() == pytest.approx(t * std**2, rel=4 * np.sqrt(2 / n))
    assert x[99].var() > 50 * x[0].var()


def test_drift_rate_biases_the_walk_and_reversion_bounds_it(envs):
    env = wrap(envs["signal"](n=2000), {"type": "observation_drift", "std": 0.1,
                                        "rate": 0.01, "reversion": 0.1})
    x = episode(env, 199)
    r = 0.1
    # stationary: mean rate / r, variance std^2 / (1 - (1 - r)^2)
    assert x[-1].mean() == pytest.approx(0.01 / r, abs=4 * 0.23 / np.sqrt(2000))
    assert x[-1].var() == pytest.approx(0.01 / (1 - (1 - r) ** 2), rel=4 * np.sqrt(2 / 2000))


@pytest.mark.parametrize("together", [False, True])
def test_dropout_holds_the_previous_value_at_rate_p(envs, together):
    p, n, steps = 0.2, 200 if not together else 1, 2000
    env = wrap(envs["signal"](n=n, kind="random"),
               {"type": "observation_dropout", "probability": p, "together": together})
    x = episode(env, steps, seed=0)
    clean = episode(envs["signal"](n=n, kind="random"), steps, seed=0)
    held = x[1:] == x[:-1]  # random values never repeat by themselves
    fresh = x[1:] == clean[1:]
    assert np.all(held | fresh)  # every value is either the new one or the previous output
    trials = held.size
    assert held.mean() == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / trials))
    np.testing.assert_array_equal(x[0], clean[0])  # the first measurement always arrives


def test_quantization_gives_multiples_of_the_resolution(envs):
    env = wrap(envs["signal"](n=100, kind="random"), {"type": "quantization",
                                                      "resolution": 0.25})
    x = episode(env, 10, seed=1)
    raw = episode(envs["signal"](n=100, kind="random"), 10, seed=1)
    np.testing.assert_array_equal(x / 0.25, np.round(x / 0.25))
    assert np.abs(x - raw).max() <= 0.125 + 1e-12


def explicit_pendulum():
    """The pendulum on explicit sub-steps: the path a robot with sensing effects takes."""
    return PendulumSwingup(SimRobot("pendulum", substeps="explicit"))


def test_encoder_counts_quantize_positions_and_velocities_are_their_differences():
    clean = explicit_pendulum()
    env = wrap(PendulumSwingup(), {"type": "quantization", "counts_per_rev": 512,
                                   "channel": "q"})
    step, period = 2 * np.pi / 512, env.ctx.control_period
    for e in (clean, env):
        e.reset(seed=0, options={"state": (np.array([1.0]), np.zeros(1))})
    assert env.ctx.robot.get("sensor.hinge.resolution") == step  # the robot quantizes
    previous = round(1.0 / step) * step
    for _ in range(20):
        a = np.array([0.5])
        _, _, _, _, info_c = clean.step(a)
        obs, _, _, _, info = env.step(a)
        counts = info["q"][0] / step
        assert counts == pytest.approx(round(counts), abs=1e-9)
        assert abs(info["q"][0] - info_c["q"][0]) <= step / 2 + 1e-12
        # s2r.effects: a quantized joint's velocity is the difference over a control period
        assert info["qd"][0] == pytest.approx((info["q"][0] - previous) / period, abs=1e-9)
        previous = info["q"][0]
    clean.close()
    env.close()


def test_noise_on_one_channel_of_a_task_leaves_the_others_exact():
    clean = explicit_pendulum()
    env = wrap(PendulumSwingup(), {"type": "observation_noise", "amplitude": 0.5,
                                   "channel": "qd"})
    o_c, _ = clean.reset(seed=3)
    o, _ = env.reset(seed=3)
    for _ in range(10):
        np.testing.assert_array_equal(o[:2], o_c[:2])  # cos q, sin q: exact
        assert o[2] != o_c[2]  # qd: noisy
        o_c = clean.step(np.array([0.3]))[0]
        o = env.step(np.array([0.3]))[0]
    clean.close()
    env.close()


def test_observation_delay_interpolates_the_value_from_d_seconds_ago(envs):
    env = wrap(envs["signal"](n=3, kind="ramp"),
               {"type": "observation_delay", "seconds": [0.02, 0.08]}, seed=2)
    seen = set()
    for _ in range(6):
        x = episode(env, 12)[:, 0]
        d = env.last_record["observation_delay"]["values"]["delay.observation"]
        seen.add(d)
        t = np.arange(13)  # the ramp's value at step k is k; 50 Hz
        np.testing.assert_allclose(x, np.maximum(t - d / 0.02, 0), atol=1e-9)
    assert len(seen) == 6


def test_observation_delay_on_selected_indices_only(envs):
    env = wrap(envs["signal"](n=3, kind="ramp"),
               {"type": "observation_delay", "seconds": 0.04, "indices": [1]})
    x = episode(env, 5)
    np.testing.assert_array_equal(x[:, 0], np.arange(6))
    np.testing.assert_array_equal(x[:, 1], [0, 0, 0, 1, 2, 3])
