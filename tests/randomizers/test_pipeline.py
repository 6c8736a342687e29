"""Per-step transforms on Python floats (randomizers.pipeline): in the robot's step or around it.

The same transforms run inside a SimRobot's step (``fast=True``) or in a proxy
around it (``fast=False``); every comparison of the two is of raw bytes.
"""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.base import Layout, RandomizationContext, Randomizer
from randomizers.pipeline import BLOCK_ROWS, Pipeline, StepDraws
from randomizers.registry import build_randomizers, load_randomization
from randomizers.robot_proxy import RandomizedRobot
from randomizers.sensing import Quantization
from randomizers.wrapper import RandomizedEnv
from s2r.effects import quantize
from s2r.sim import SimRobot
from s2r.tasks import CartpoleSwingup, FurutaSwingup

STEPS = 2 * BLOCK_ROWS + 20  # long enough to refill every block of draws twice


def rollout(env, episodes=3, steps=STEPS, seed=0):
    """Bytes of everything an episode shows: observations, rewards, q, qd, commands."""
    actions = np.sin(np.arange(steps) * 0.37 + seed)[:, None] * 1.2  # beyond +-1 too
    out = []
    for e in range(episodes):
        obs, info = env.reset(seed=e)
        out += [obs.tobytes(), info["q"].tobytes(), info["qd"].tobytes()]
        for a in actions:
            obs, reward, _, _, info = env.step(a)
            out += [obs.tobytes(), np.float64(reward).tobytes(), info["q"].tobytes(),
                    info["qd"].tobytes(), info["applied_action"].tobytes()]
    return out


def same_bits(task, entries, seed=3, **kw):
    runs = []
    for fast in (True, False):
        env = RandomizedEnv(task(), build_randomizers(entries), seed=seed, fast=fast)
        runs.append(rollout(env, **kw))
        env.close()
    return runs[0] == runs[1]


ACT = [{"type": "action_delay", "name": "queue", "seconds": [0.0, 0.02], "indices": [0]},
       {"type": "action_noise", "amplitude": 0.3},
       {"type": "action_noise", "name": "gain_noise", "amplitude": 0.05, "kind": "uniform",
        "multiplicative": True},
       {"type": "backlash", "distribution": [0.0, 0.4]},
       {"type": "deadzone", "distribution": [0.0, 0.3]},
       {"type": "saturation", "distribution": [0.6, 1.0]},
       {"type": "rate_limit", "distribution": [50.0, 400.0]}]
SENSE = [{"type": "observation_noise", "amplitude": [0.01, 0.02], "channel": "q"},
         {"type": "observation_noise", "name": "uniform_noise", "kind": "uniform",
          "amplitude": 0.05, "channel": "all"},
         {"type": "observation_bias", "distribution": [-0.02, 0.02], "channel": "qd"},
         {"type": "observation_drift", "std": 0.01, "rate": [-0.001, 0.001], "reversion": 0.05,
          "channel": "all", "indices": [0, 3]},
         {"type": "quantization", "counts_per_rev": 1024, "channel": "q"},
         {"type": "observation_dropout", "probability": 0.2},
         {"type": "observation_dropout", "name": "packets", "probability": 0.1,
          "together": True, "channel": "qd"},
         {"type": "observation_delay", "seconds": [0.0, 0.02], "channel": "all",
          "indices": [4, 1]}]


BOUNDED = [e for e in ACT if e["type"] != "action_noise"]  # the robot need not clip again


@pytest.mark.parametrize("entries", [ACT, BOUNDED, SENSE, ACT + SENSE],
                         ids=["actuation", "bounded", "sensing", "both"])
def test_in_robot_and_proxy_paths_give_the_same_bits(entries):
    assert same_bits(FurutaSwingup, entries)


def test_bounded_command_transforms_skip_the_second_clip_and_others_keep_it():
    for entries, clip in ((BOUNDED, False), (ACT, True)):
        env = RandomizedEnv(FurutaSwingup(), build_randomizers(entries), seed=0)
        env.reset(seed=0)
        assert env.unwrapped.robot._reclip is clip
        env.close()


@pytest.mark.parametrize("name", ["cartpole_full", "furuta_full", "sensing_only"])
def test_shipped_configs_give_the_same_bits(name):
    task = FurutaSwingup if name.startswith("furuta") else CartpoleSwingup
    runs = []
    for fast in (True, False):
        env = RandomizedEnv(task(), load_randomization(name), seed=7, fast=fast)
        runs.append(rollout(env, episodes=2))
        env.close()
    assert runs[0] == runs[1]


def test_interval_firings_and_curricula_give_the_same_bits():
    entries = [{"type": "observation_bias", "distribution": [-0.1, 0.1], "channel": "q",
                "mode": "interval", "interval": {"steps": 7}},
               {"type": "observation_delay", "name": "late", "seconds": [0.0, 0.03],
                "indices": [0, 2], "mode": "interval", "interval": {"seconds": [0.05, 0.2]}},
               {"type": "backlash", "distribution": [0.0, 0.5], "mode": "interval",
                "interval": {"steps": 11}},
               {"type": "observation_noise", "amplitude": 0.1, "indices": [1, 3]},
               {"type": "deadzone", "distribution": [0.1, 0.2], "mode": "startup"}]
    runs = []
    for fast in (True, False):
        env = RandomizedEnv(FurutaSwingup(), build_randomizers(entries), seed=1, fast=fast)
        env.call_randomizers("__setattr__", "scale", 0.5, names=["observation_noise"])
        runs.append(rollout(env, episodes=2, steps=120))
        env.close()
    assert runs[0] == runs[1]


class Halver(Randomizer):
    """A randomizer with NumPy hooks only (a third party's): called on arrays in the chain."""

    transforms_observation = True
    transforms_action = True

    def observation(self, values, ctx, rng):
        return values * 0.5 + rng.random(len(values)) * 1e-3

    def action(self, action, ctx, rng):
        return action * 0.5


def test_a_randomizer_with_numpy_hooks_runs_in_place_in_the_chain():
    entries = [{"type": "observation_bias", "distribution": [-0.1, 0.1]},
               {"type": "action_noise", "amplitude": 0.2}]
    runs = []
    for fast in (True, False):
        randomizers = build_randomizers(entries)
        randomizers.insert(1, Halver(name="halver"))
        env = RandomizedEnv(FurutaSwingup(), randomizers, seed=2, fast=fast)
        runs.append(rollout(env, episodes=2, steps=60))
        env.close()
    assert runs[0] == runs[1]


class PlainRobot:
    """A robot without ``set_filters``: the proxy runs the pipelines itself."""

    def __init__(self) -> None:
        self.sim = SimRobot("furuta")
        self.spec = self.sim.spec

    def reset(self, q=None, qd=None):
        return self.sim.reset(q, qd)

    def act(self, action):
        return self.sim.act(action)

    def observe(self):
        return self.sim.observe()

    def close(self):
        self.sim.close()


def test_the_proxy_runs_the_pipelines_on_robots_without_filters():
    runs = []
    for fast in (True, False):
        env = RandomizedEnv(FurutaSwingup(PlainRobot()), build_randomizers(ACT + SENSE), seed=4,
                            fast=fast)
        assert isinstance(env.unwrapped.robot, RandomizedRobot)
        runs.append(rollout(env, episodes=2, steps=80))
        env.close()
        env.unwrapped.robot.close()
    assert runs[0] == runs[1]


def test_on_a_simrobot_the_transforms_run_in_its_step_and_come_out_on_close():
    env = RandomizedEnv(FurutaSwingup(), build_randomizers(SENSE), seed=0)
    env.reset(seed=0)
    sim = env.unwrapped.robot
    assert isinstance(sim, SimRobot) and sim._measurement_filter is not None
    env.close()
    assert env.unwrapped.robot is sim and sim._measurement_filter is None


def test_simrobot_filters_see_floats_keep_the_state_and_clip_the_result():
    sim = SimRobot("pendulum")
    seen = []

    def command(u):
        seen.append(list(u))
        return [u[0] * 10.0]  # beyond the +-2 N*m limit: clipped again

    def measurement(q, qd, sensors):
        seen.append((q, qd, sensors))
        return (q[0] + 1.0,), (0.0,), ()

    sim.reset(q=[0.5])
    sim.set_filters(command, measurement)
    applied = sim.act([0.5])
    assert applied.tolist() == [0.5] and seen[0] == [0.5]  # act returns the controller's
    assert sim._command == [2.0]
    obs = sim.observe()
    q, qd, sensors = seen[1]
    assert isinstance(q[0], float) and obs.q[0] == q[0] + 1.0 and obs.qd[0] == 0.0
    assert sim._q == q  # the robot's own state is untouched
    sim.set_filters()
    assert sim.observe().q[0] == q[0]
    sim.close()


def test_pipelines_never_change_their_inputs_and_skip_inactive_transforms():
    ctx = RandomizationContext(None, None, None, 0.01, Layout(slice(0, 2), slice(2, 3),
                                                             slice(3, 3), 3), 1)
    rs = build_randomizers([{"type": "observation_bias", "distribution": 0.5, "indices": [1]},
                            {"type": "quantization", "resolution": 0.25}])
    for r in rs:
        r.bind(ctx)
        r.apply(ctx, r.sample(ctx, np.random.default_rng(0)))
    pipe = Pipeline(rs, "observation", ctx, np.random.default_rng(0))
    q, qd, s = [1.1, 2.0], [3.3], []
    assert pipe.measurement((2, 1))(q, qd, s) == ([1.0, 2.5], [3.25], [])
    assert q == [1.1, 2.0] and qd == [3.3]
    rs[0].apply(ctx, {"bias": [0.0]})
    assert len(Pipeline(rs, "observation", ctx, np.random.default_rng(0)).hooks) == 2
    delay = build_randomizers([{"type": "observation_delay", "seconds": 0.0}])[0]
    delay.bind(ctx)
    delay.apply(ctx, {"values": {"delay.observation": 0.0}})
    assert Pipeline([delay], "observation", ctx, np.random.default_rng(0)).empty


def test_quantization_is_the_effects_quantize_around_every_rounding_edge(envs):
    env = RandomizedEnv(envs["echo"](n=1), [Quantization(resolution=0.003)])
    env.reset(seed=0)
    values = np.concatenate([np.arange(-400, 401) * 0.0015, np.nextafter(0.0015, [0, 1]),
                             [0.0, -1e-300, 1e30, -1e30]])
    out = [env.step(np.array([v]))[0][0] for v in values]
    assert out == [quantize(float(v), 0.003) for v in values]


def test_step_draws_restart_with_each_new_generator_and_agree_as_lists():
    draws = StepDraws(3, "uniform", [1.0, 2.0, 3.0])
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    rows = [draws.row(a) for _ in range(BLOCK_ROWS + 5)]  # across a refill
    again = [draws.row(b) for _ in range(BLOCK_ROWS + 5)]  # a new generator: restart
    assert rows == again and all(isinstance(x, float) for x in rows[0])
    assert np.all(np.abs(np.array(rows)) <= [1.0, 2.0, 3.0])
    block = np.random.default_rng(5).random((draws.rows, 3)) * 2.0 - 1.0
    assert rows[:draws.rows] == (block * [1.0, 2.0, 3.0]).tolist()


def test_a_measurement_pipeline_touching_q_only_passes_the_other_channels_through():
    ctx = RandomizationContext(None, None, None, 0.01, Layout(slice(0, 2), slice(2, 4),
                                                             slice(4, 5), 5), 1)
    for channel, top in (("q", True), ("qd", False)):
        bias = build_randomizers([{"type": "observation_bias", "distribution": 1.0,
                                   "channel": channel}])[0]
        bias.bind(ctx)
        bias.apply(ctx, {"bias": [1.0, 1.0]})
        q, qd, s = [0.0, 0.0], [0.0, 0.0], [0.0]
        out = Pipeline([bias], "observation", ctx, np.random.default_rng(0)).measurement(
            (2, 2))(q, qd, s)
        assert list(map(list, out)) == ([[1.0, 1.0], [0.0, 0.0], [0.0]] if top else
                                        [[0.0, 0.0], [1.0, 1.0], [0.0]])
        assert (out[1] is qd) is top and q == [0.0, 0.0] and qd == [0.0, 0.0]
