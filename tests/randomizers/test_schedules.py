"""Curricula: the range sampled at counter k is the schedule's fraction of the configured one."""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.adr import ADRRandomizer
from randomizers.base import RandomizationError
from randomizers.physics import FrictionRandomizer, MassRandomizer
from randomizers.registry import load_randomization
from randomizers.schedules import (
    Curriculum,
    LinearSchedule,
    Widenable,
    load_curriculum,
    make_schedule,
)
from randomizers.wrapper import RandomizedEnv
from s2r.sim import SimRobot
from s2r.tasks import PendulumSwingup


def sampled_range(randomizer, target, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    xs = [randomizer.sample_for(target, rng)["values"]["link.pole.mass"] for _ in range(n)]
    return min(xs), max(xs)


@pytest.fixture(scope="module")
def robot():
    r = SimRobot("pendulum")                       # link.pole.mass nominal 1 kg
    yield r
    r.close()


def test_linear_values():
    s = LinearSchedule(until=300, start=0.1, end=0.7, begin=100)
    assert [s.value(t) for t in (0, 100, 200, 300, 10**9)] == pytest.approx(
        [0.1, 0.1, 0.4, 0.7, 0.7])


def test_step_values_and_isaacgym_constant():
    s = make_schedule({"type": "step", "boundaries": [100, 200], "values": [0.2, 0.6, 1.0]})
    assert [s.value(t) for t in (0, 99, 100, 199, 200, 10**9)] == [0.2, 0.2, 0.6, 0.6, 1, 1]
    constant = make_schedule({"type": "step", "boundaries": [50], "values": [0, 1]})
    assert (constant.value(49), constant.value(50)) == (0.0, 1.0)


@pytest.mark.parametrize("kind, k, fraction", [
    ("linear", 0, 0.0), ("linear", 250, 0.25), ("linear", 500, 0.5), ("linear", 1000, 1.0),
    ("linear", 5000, 1.0), ("step", 0, 0.2), ("step", 400, 0.5), ("step", 2000, 1.0),
])
def test_sampled_range_at_step_k_matches_schedule(robot, kind, k, fraction):
    mass = MassRandomizer(distribution=[0.5, 1.5])   # centre 1, half-width 0.5
    spec = ({"type": "linear", "until": 1000} if kind == "linear" else
            {"type": "step", "boundaries": [300, 1500], "values": [0.2, 0.5, 1.0]})
    cur = Curriculum.from_config([{"randomizer": "mass", **spec}], [mass])
    assert cur.apply([mass], steps=k) == {"mass": pytest.approx(fraction)}
    lo, hi = sampled_range(mass, robot)
    half = 0.5 * fraction
    assert 1 - half - 1e-12 <= lo and hi <= 1 + half + 1e-12   # never outside the schedule
    assert hi - lo >= 0.97 * 2 * half                         # and fills it


def test_episode_counter_and_apply_in_randomized_env():
    mass = MassRandomizer(distribution=[0.5, 1.5])
    friction = FrictionRandomizer(params="joint.*.damping", distribution=[0.0, 2.0],
                                  name="damping")
    cur = Curriculum.from_config([
        {"randomizer": "mass", "type": "linear", "until": 100},
        {"randomizer": "damping", "type": "step", "boundaries": [3], "values": [0, 1],
         "unit": "episodes"}], [mass, friction])
    env = RandomizedEnv(PendulumSwingup(max_steps=5), [mass, friction], seed=0)
    assert cur.apply(env.randomizers, steps=40, episodes=2) == {"mass": 0.4, "damping": 0.0}
    for _ in range(20):
        values = env.reset()[1]["randomization"]
        assert 0.8 - 1e-12 <= values["mass"]["values"]["link.pole.mass"] <= 1.2 + 1e-12
        assert values["damping"]["values"]["joint.hinge.damping"] == pytest.approx(0.01)
    cur.apply(env.randomizers, steps=40, episodes=3)
    spread = {env.reset()[1]["randomization"]["damping"]["values"]["joint.hinge.damping"]
              for _ in range(5)}
    assert len(spread) == 5
    env.close()


def test_widenable_protocol():
    assert isinstance(MassRandomizer(distribution=[0.5, 1.5]), Widenable)
    adr = ADRRandomizer("link.*.mass", thresholds=[0, 1])
    assert not isinstance(adr, Widenable)
    with pytest.raises(RandomizationError, match="not Widenable"):
        Curriculum.from_config([{"randomizer": "adr", "type": "linear", "until": 5}], [adr])


@pytest.mark.parametrize("entry, match", [
    ({"type": "linear", "until": 10, "start": 1.5}, r"in \[0, 1\]"),
    ({"type": "linear", "until": 10, "end": -0.1}, r"in \[0, 1\]"),
    ({"type": "linear", "until": 10, "begin": 10}, "must be > begin"),
    ({"type": "linear"}, "until"),
    ({"type": "linear", "until": 10, "stop": 3}, "options"),
    ({"type": "step", "boundaries": [10, 10], "values": [0, 0.5, 1]}, "strictly increasing"),
    ({"type": "step", "boundaries": [20, 10], "values": [0, 0.5, 1]}, "strictly increasing"),
    ({"type": "step", "boundaries": [10], "values": [0, 0.5, 1]}, "len"),
    ({"type": "step", "boundaries": [10], "values": [0, 2]}, r"in \[0, 1\]"),
    ({"type": "step", "boundaries": [-1], "values": [0, 1]}, ">= 0"),
    ({"type": "step", "boundaries": [], "values": [1]}, "empty"),
    ({"type": "cosine", "until": 10}, "unknown 'cosine'"),
    ({"type": "linear", "until": 10, "unit": "epochs"}, "unit"),
    ({"type": "linear", "until": 10, "randomizer": "nope"}, "no randomizer named 'nope'"),
])
def test_validation(entry, match):
    entry = {"randomizer": "mass", **entry}
    with pytest.raises(RandomizationError, match=match):
        Curriculum.from_config([entry], [MassRandomizer(distribution=[0.5, 1.5])])


def test_duplicate_and_missing_name():
    with pytest.raises(RandomizationError, match="two schedules"):
        Curriculum.from_config([{"randomizer": "mass", "type": "linear", "until": 1}] * 2)
    with pytest.raises(RandomizationError, match="missing 'randomizer"):
        Curriculum.from_config([{"type": "linear", "until": 1}])


def test_yaml_next_to_randomizers(tmp_path):
    path = tmp_path / "curriculum.yaml"
    path.write_text(
        "randomizers:\n"
        "  - {type: mass, distribution: [0.5, 1.5]}\n"
        "  - {type: joint_damping, distribution: [0.0, 2.0]}\n"
        "schedules:\n"
        "  - {randomizer: mass, type: linear, until: 1e5}\n"      # YAML reads 1e5 as a string
        "  - {randomizer: joint_damping, type: step, boundaries: [10, 20], values: [0, .5, 1],"
        " unit: episodes}\n")
    randomizers = load_randomization(path)
    cur = load_curriculum(path, randomizers)
    assert cur.scales(steps=25_000, episodes=15) == {"mass": 0.25, "joint_damping": 0.5}
    bad = tmp_path / "bad.yaml"
    bad.write_text("randomizers: []\nschedules:\n  - {randomizer: mass, type: step, "
                   "boundaries: [5, 1], values: [0, 1, 1]}\n")
    with pytest.raises(RandomizationError, match=r"bad.yaml: schedules\[0\]"):
        load_curriculum(bad)
    assert load_curriculum(tmp_path / "curriculum.yaml").names == ["mass", "joint_damping"]
