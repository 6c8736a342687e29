"""The shipped randomization configs load, bind to their tasks, run, and are documented."""

from __future__ import annotations

import re

import numpy as np
import pytest

from randomizers.registry import load_randomization
from randomizers.wrapper import RandomizedEnv
from s2r.config import configs_dir
from s2r.tasks import CartpoleBalance, CartpoleSwingup, FurutaSwingup, PendulumSwingup

CONFIGS = {
    "furuta_full": [FurutaSwingup],
    "cartpole_full": [CartpoleBalance, CartpoleSwingup],
    "sensing_only": [FurutaSwingup, CartpoleBalance, PendulumSwingup],
}


def test_every_shipped_config_is_tested():
    shipped = {p.stem for p in (configs_dir() / "randomization").glob("*.yaml")}
    assert set(CONFIGS) <= shipped


@pytest.mark.parametrize("name, task", [(n, t) for n, ts in CONFIGS.items() for t in ts])
def test_config_loads_binds_and_runs(name, task):
    randomizers = load_randomization(name)
    env = RandomizedEnv(task(), randomizers, seed=0)
    for _ in range(2):
        obs, info = env.reset()
        assert set(info["randomization"]) == {r.name for r in randomizers} | {"_episode_seed",
                                                                             "_initial_state"}
        for _ in range(50):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            assert np.all(np.isfinite(obs)) and np.isfinite(reward)
            if terminated or truncated:
                break
    env.close()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_entry_is_commented(name):
    lines = (configs_dir() / "randomization" / f"{name}.yaml").read_text().splitlines()
    assert lines[0].startswith("#")
    for i, line in enumerate(lines):
        if re.match(r"\s*- type:", line):
            previous = next(p for p in reversed(lines[:i]) if p.strip())
            assert previous.strip().startswith("#"), f"{name}.yaml line {i + 1}: no comment"


def test_furuta_full_covers_physics_actuation_and_sensing():
    kinds = {r.type for r in load_randomization("furuta_full")}
    assert {"mass", "joint_damping", "actuator"} <= kinds
    assert {"action_delay", "action_noise", "deadzone", "saturation"} <= kinds
    assert {"quantization", "observation_noise", "observation_bias", "observation_drift",
            "observation_dropout", "observation_delay"} <= kinds


def _reach(env, r):
    """name -> (low, high) a randomizer of furuta_full can give a robot parameter."""
    from randomizers.distributions import reachable
    from randomizers.physics import ParameterRandomizer
    from randomizers.sensing import ObservationNoise, Quantization
    from randomizers.timing import ActionDelay, ObservationDelay

    robot = env.ctx.robot
    if isinstance(r, ParameterRandomizer):
        return {n: reachable(r.term.operation, robot.params[n].nominal, r.term.distribution)
                for n in r.names}
    if isinstance(r, (ActionDelay, ObservationDelay)):
        return {r.parameter: (r.low, r.high)}
    if isinstance(r, Quantization):
        return {n: (v, v) for n, v in zip(r.names, r.resolution)}
    if isinstance(r, ObservationNoise):
        return {n: (a, a) for n, a in zip(r.names, r.amplitude)}
    if r.type == "deadzone":
        return dict.fromkeys(r.names, r.distribution.support())
    return {}


def test_furuta_full_reaches_the_emulator_bench_truth():
    """Every parameter the bench truth sets (that a randomizer can sample) is reachable."""
    import yaml

    truth = yaml.safe_load((configs_dir() / "hardware" / "truth" / "furuta_bench.yaml")
                           .read_text())["params"]
    env = RandomizedEnv(FurutaSwingup(), load_randomization("furuta_full"), seed=0)
    reach: dict[str, tuple[float, float]] = {}
    for r in env.randomizers:
        reach.update(_reach(env, r))
    for name, value in truth.items():
        assert name in reach, f"furuta_full samples no {name}"
        lo, hi = reach[name]
        assert lo - 1e-12 <= value <= hi + 1e-12, f"{name} = {value} outside [{lo}, {hi}]"
    env.close()
