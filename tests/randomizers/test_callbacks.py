"""SB3 callbacks: a short PPO whose episode returns really drive ADR, and curricula."""

from __future__ import annotations

import csv

import gymnasium as gym
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

from randomizers.adr import ADRRandomizer
from randomizers.base import RandomizationError
from randomizers.callbacks import ADRCallback, ScheduleCallback
from randomizers.physics import MassRandomizer
from randomizers.schedules import Curriculum
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import PendulumSwingup

EPISODE = 10  # steps per episode: short episodes fill the ADR queues quickly


def adr_env(thresholds, initial=None, metric=None, seed=0):
    def make():
        adr = ADRRandomizer(["link.pole.mass", "world.gravity"], thresholds=thresholds,
                            initial=initial, step=0.05, queue_length=2, boundary_prob=1.0,
                            metric=metric)
        return RandomizedEnv(PendulumSwingup(max_steps=EPISODE), [adr], seed=seed)
    return make


def ppo(venv, tmp_path=None):
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")
    if tmp_path is not None:
        model.set_logger(configure(str(tmp_path), ["csv"]))
    return model


def env_adrs(venv):
    return [e.get_wrapper_attr("randomizers")[0] for e in venv.envs]


def test_good_policy_grows_bounds_and_logs(tmp_path):
    # Pendulum returns over 10 steps are in about [-100, 0]: all above t_high = -1000
    venv = make_vec_env(adr_env([-2000.0, -1000.0]), n_envs=2, seed=0)
    cb = ADRCallback()
    model = ppo(venv, tmp_path).learn(160, callback=cb)
    adr = cb.adrs["adr"]
    first = adr.counters["expand"]
    model.learn(160, callback=cb, reset_num_timesteps=False)  # the same central ADR goes on
    assert cb.adrs["adr"] is adr and adr.counters["expand"] > first
    assert adr.counters["expand"] >= 4 and adr.counters["shrink"] == 0
    grown = sum((hi - lo) for lo, hi in adr.bounds().values())
    assert grown == pytest.approx(0.05 * adr.counters["expand"])
    for local in env_adrs(venv):                     # the central state reached every env
        assert local.bounds() == adr.bounds()
    rows = list(csv.DictReader(open(tmp_path / "progress.csv")))
    assert "adr/entropy" in rows[-1] and "adr/link.pole.mass/high" in rows[-1]
    assert float(rows[-1]["adr/expand"]) > 0
    venv.close()


def test_bad_policy_shrinks_shared_bounds_without_monitor():
    # no Monitor: the callback sums the (normalised, still negative) rewards itself;
    # t_low = 1 is above any of those returns: every full queue shrinks its boundary
    shared = ADRRandomizer(["link.pole.mass", "world.gravity"], thresholds=[1.0, 2.0],
                           initial=[0.7, 1.3], step=0.05, queue_length=2, boundary_prob=1.0)
    venv = VecNormalize(DummyVecEnv([
        lambda: RandomizedEnv(PendulumSwingup(max_steps=EPISODE), [shared], seed=1)] * 2))
    cb = ADRCallback(names=["adr"])
    ppo(venv).learn(320, callback=cb)
    adr = cb.adrs["adr"]
    assert adr.counters["shrink"] >= 4 and adr.counters["expand"] == 0
    width = sum(hi - lo for lo, hi in adr.bounds().values())
    assert width == pytest.approx(2 * 0.6 - 0.05 * adr.counters["shrink"])
    assert shared.bounds() == adr.bounds()           # one instance in both envs: in step too
    assert cb.state_dict()["adr"]["counters"]["shrink"] == adr.counters["shrink"]
    venv.close()


class Success(gym.Wrapper):
    """Reports info["success"] at the episode's end: success iff the pole is light."""

    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        if term or trunc:
            info["success"] = float(self.env.get_wrapper_attr("ctx").robot.get(
                "link.pole.mass") < 1.1)
        return obs, r, term, trunc, info


def test_user_metric_from_info():
    venv = make_vec_env(adr_env([0.2, 0.8], metric="success"), n_envs=1, seed=0,
                        wrapper_class=Success)
    cb = ADRCallback()
    ppo(venv).learn(640, callback=cb)
    lo, hi = cb.adrs["adr"].bounds()["link.pole.mass"]
    assert hi == pytest.approx(1.1, abs=0.051) and lo < 1.0
    venv.close()
    venv = make_vec_env(adr_env([0.2, 0.8], metric="succes"), n_envs=1, seed=0,
                        wrapper_class=Success)
    with pytest.raises(RandomizationError, match="metric 'succes' is not in the info"):
        ppo(venv).learn(64, callback=ADRCallback())
    venv.close()


def test_subproc_vec_env():
    venv = make_vec_env(adr_env([-2000.0, -1000.0]), n_envs=2, seed=0,
                        vec_env_cls=SubprocVecEnv)
    cb = ADRCallback()
    ppo(venv).learn(320, callback=cb)
    assert cb.adrs["adr"].counters["expand"] >= 4
    remote = venv.env_method("call_randomizers", "bounds")
    assert all(r["adr"] == cb.adrs["adr"].bounds() for r in remote)
    venv.close()


def test_schedule_callback_sets_scale_from_num_timesteps(tmp_path):
    def make():
        return RandomizedEnv(PendulumSwingup(max_steps=EPISODE),
                             [MassRandomizer(distribution=[0.5, 1.5])], seed=0)
    venv = make_vec_env(make, n_envs=2, seed=0)
    cur = Curriculum.from_config([{"randomizer": "mass", "type": "linear", "until": 256}])
    cb = ScheduleCallback(cur, resolution=0.0)
    model = ppo(venv, tmp_path)
    model.learn(128, callback=cb)
    for e in venv.envs:
        assert e.get_wrapper_attr("randomizers")[0].scale == pytest.approx(128 / 256)
    # the records of the last resets are inside the scheduled range
    for info in venv.reset_infos:
        assert 0.75 - 1e-9 <= info["randomization"]["mass"]["values"]["link.pole.mass"] \
            <= 1.25 + 1e-9
    model.learn(256, callback=cb, reset_num_timesteps=False)
    assert all(e.get_wrapper_attr("randomizers")[0].scale == 1.0 for e in venv.envs)
    assert cb.episodes == 384 // EPISODE
    rows = list(csv.DictReader(open(tmp_path / "progress.csv")))
    assert float(rows[-1]["schedule/mass"]) == 1.0
    venv.close()


def test_errors_name_the_problem():
    venv = make_vec_env(lambda: PendulumSwingup(max_steps=EPISODE), n_envs=1)
    with pytest.raises(RandomizationError, match="not wrapped in RandomizedEnv"):
        ppo(venv).learn(32, callback=ADRCallback())
    venv.close()
    venv = make_vec_env(lambda: RandomizedEnv(PendulumSwingup(max_steps=EPISODE), [
        MassRandomizer(distribution=[0.5, 1.5])]), n_envs=1)
    with pytest.raises(RandomizationError, match="no ADR randomizer"):
        ppo(venv).learn(32, callback=ADRCallback())
    cur = Curriculum.from_config([{"randomizer": "friction", "type": "linear", "until": 5}])
    with pytest.raises(RandomizationError, match="no randomizer 'friction'"):
        ppo(venv).learn(32, callback=ScheduleCallback(cur))
    venv.close()


def test_call_randomizers_reaches_by_name():
    mass = MassRandomizer(distribution=[0.5, 1.5])
    adr = ADRRandomizer("world.gravity", thresholds=[0, 1])
    env = RandomizedEnv(PendulumSwingup(max_steps=EPISODE), [mass, adr])
    assert list(env.call_randomizers("state_dict")) == ["adr"]      # only those that have it
    env.call_randomizers("__setattr__", "scale", 0.5, names=["mass"])
    assert mass.scale == 0.5
    with pytest.raises(RandomizationError, match="no randomizer 'mass' with a method 'entropy'"):
        env.call_randomizers("entropy", names=["mass", "adr"])
    env.close()
