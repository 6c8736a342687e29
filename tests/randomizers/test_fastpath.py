"""The fast path (fused per-episode functions on Python floats) gives the generic path's bits.

Every comparison is of raw bytes, so even the sign of a zero must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.base import Layout, RandomizationContext, Randomizer
from randomizers.fastpath import BLOCK_ROWS, EXACT, Fused, StepDraws, fuse, rint
from randomizers.registry import build_randomizers, load_randomization
from randomizers.robot_proxy import RandomizedRobot
from randomizers.sensing import Quantization
from randomizers.wrapper import RandomizedEnv
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


ACT = [{"type": "action_delay", "name": "queue", "steps": [0, 2]},
       {"type": "action_noise", "amplitude": 0.3},
       {"type": "action_noise", "name": "gain_noise", "amplitude": 0.05, "kind": "uniform",
        "multiplicative": True},
       {"type": "backlash", "distribution": [0.0, 0.4]},
       {"type": "deadzone", "distribution": [0.0, 0.3]},
       {"type": "saturation", "distribution": [0.6, 1.0]}]
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
         {"type": "observation_delay", "steps": [0, 2], "channel": "all", "indices": [4, 1]}]


BOUNDED = [e for e in ACT if e["type"] != "action_noise"]  # the robot need not clip again


@pytest.mark.parametrize("entries", [ACT, BOUNDED, SENSE, ACT + SENSE],
                         ids=["actuation", "bounded", "sensing", "both"])
def test_fast_and_generic_paths_give_the_same_bits(entries):
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


def test_interval_firings_curricula_and_duplicate_indices_give_the_same_bits():
    entries = [{"type": "observation_bias", "distribution": [-0.1, 0.1], "channel": "q",
                "mode": "interval", "interval": {"steps": 7}},
               {"type": "observation_delay", "name": "late", "steps": [0, 3], "mode": "interval",
                "interval": {"seconds": [0.05, 0.2]}},  # generic fallback (k may change)
               {"type": "backlash", "distribution": [0.0, 0.5], "mode": "interval",
                "interval": {"steps": 11}},
               {"type": "observation_noise", "amplitude": 0.1, "indices": [1, 1]},  # generic
               {"type": "deadzone", "distribution": [0.1, 0.2], "mode": "startup"}]
    runs = []
    for fast in (True, False):
        env = RandomizedEnv(FurutaSwingup(), build_randomizers(entries), seed=1, fast=fast)
        env.call_randomizers("__setattr__", "scale", 0.5, names=["observation_noise"])
        runs.append(rollout(env, episodes=2, steps=120))
        env.close()
    assert runs[0] == runs[1]


class Halver(Randomizer):
    """A randomizer with no fast path: the generic hook runs inside the fused function."""

    transforms_observation = True
    transforms_action = True

    def observation(self, values, ctx, rng):
        return values * 0.5 + rng.random(len(values)) * 1e-3

    def action(self, action, ctx, rng):
        return action * 0.5


def test_a_randomizer_without_a_fast_path_runs_in_place_in_the_chain():
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
    """A robot without ``set_filters``: the proxy runs the fused functions itself."""

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


def test_the_proxy_runs_fused_functions_on_robots_without_filters():
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


def test_fused_functions_never_change_their_inputs_and_pass_unused_channels_through():
    fn = fuse([Fused(["x1 = x1 * $k"], {"k": 2.0}, uses=[1])], [2, 1, 0])
    q, qd, s = [1.0, 2.0], [3.0], []
    out = fn(q, qd, s)
    assert out == ((1.0, 4.0), qd, s) and out[1] is qd and q == [1.0, 2.0]


def test_rint_is_numpy_rint_bit_for_bit():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 3, 20000), rng.normal(0, 1e16, 2000),
                             np.arange(-40, 41) / 2, [0.0, -0.0, -0.4, 0.4, EXACT - 0.5,
                                                      -EXACT + 0.5, 2 * EXACT + 1.0,
                                                      np.inf, -np.inf, np.nan]])
    ours = np.array([rint(float(v)) for v in values])
    assert ours.tobytes() == np.rint(values).tobytes()


def test_quantization_fused_equals_generic_around_every_rounding_edge():
    q = Quantization(resolution=0.003, channel="all")
    ctx = RandomizationContext(None, None, None, 0.01, Layout(size=1), 1)  # type: ignore[arg-type]
    q.bind(ctx)
    fn = fuse([q.fuse_observation(ctx, np.random.default_rng(), ["x0"])], [1], single=True)
    values = np.concatenate([np.arange(-400, 401) * 0.0015, np.nextafter(0.0015, [0, 1]),
                             [0.0, -0.0, -1e-300, 1e30, -1e30, np.inf, -np.inf, np.nan]])
    fused = np.array([fn([float(v)])[0] for v in values])
    generic = np.array([q.observation(np.array([v]), ctx, None)[0] for v in values])
    assert fused.tobytes() == generic.tobytes()


def test_step_draws_restart_with_each_new_generator_and_agree_as_lists():
    draws = StepDraws(3, "uniform", [1.0, 2.0, 3.0])
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    rows = [draws.row(a).copy() for _ in range(BLOCK_ROWS + 5)]  # across a refill
    lists = [draws.row_list(b) for _ in range(BLOCK_ROWS + 5)]  # a new generator: restart
    assert np.array_equal(np.array(rows), np.array(lists))
    assert np.all(np.abs(np.array(rows)) <= [1.0, 2.0, 3.0])
