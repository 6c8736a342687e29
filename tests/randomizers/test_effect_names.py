"""Effect randomizers sample the robot's effect parameters by name (s2r.effects vocabulary).

A target that names the effects (here one backed by an ``s2r.effects.EffectModel``, the
names a SimRobot gets) receives the sampled values and nothing is applied twice; a
target without them gets the same s2r.effects functions applied to its vectors.
"""

from __future__ import annotations

import math

import numpy as np

from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.effects import EffectModel
from s2r.params import ParameterTable
from s2r.tasks import FurutaSwingup

ENTRIES = [
    {"type": "quantization", "counts_per_rev": 2048, "channel": "q"},
    {"type": "observation_noise", "amplitude": 0.0005, "channel": "q"},
    {"type": "observation_noise", "name": "velocity_noise", "amplitude": 0.05, "channel": "qd"},
    {"type": "observation_noise", "name": "current_noise", "amplitude": 0.01,
     "channel": "sensors"},
    {"type": "action_delay", "seconds": [0.002, 0.004]},
    {"type": "observation_delay", "seconds": 0.001},
    {"type": "rate_limit", "distribution": [100.0, 200.0]},
    {"type": "smooth_friction", "distribution": [0.0, 0.001]},
]


class EffectTarget:
    """A parameter target over an EffectModel: the effect names of a robot's spec."""

    def __init__(self, spec):
        self.model = EffectModel(spec, sample_period=0.002)
        self.params = ParameterTable(self.model.parameters.values())

    def get(self, name):
        return self.model.get_params()[name]

    def get_params(self):
        return self.model.get_params()

    def set_params(self, values):
        self.model.set_params(values)


def test_effect_randomizers_set_the_names_of_a_target_that_has_them():
    task = FurutaSwingup()
    target = EffectTarget(task.robot.spec)
    env = RandomizedEnv(task, build_randomizers(ENTRIES), seed=0, target=target)
    _, info = env.reset(seed=0)
    rec = info["randomization"]
    sampled = {n: v for r in ENTRIES for n, v in rec[r.get("name", r["type"])]["values"].items()}
    assert sorted(sampled) == sorted([
        "sensor.arm.resolution", "sensor.pendulum.resolution", "sensor.arm.position_noise",
        "sensor.pendulum.position_noise", "sensor.arm.velocity_noise",
        "sensor.pendulum.velocity_noise", "sensor.current_arm.noise", "delay.action",
        "delay.observation", "motor.arm.rate_limit", "joint.arm.coulomb_smooth",
        "joint.pendulum.coulomb_smooth"])
    assert sampled == {n: target.get(n) for n in sampled}  # every value is in the model
    assert sampled["sensor.arm.resolution"] == 2 * math.pi / 2048
    assert 0.002 <= sampled["delay.action"] <= 0.004
    assert 100.0 <= sampled["motor.arm.rate_limit"] <= 200.0
    robot = env.unwrapped.robot  # the target applies them: no transform runs here
    assert robot._command_filter is None and robot._measurement_filter is None
    obs, *_ = env.step(np.zeros(1))
    assert np.all(np.isfinite(obs))
    env.close()
    assert target.get("delay.action") == 0.0  # closing gives the nominal delay back


def test_without_the_names_the_same_effects_act_on_the_vectors():
    env = RandomizedEnv(FurutaSwingup(), build_randomizers(ENTRIES[:1]), seed=0)
    _, info = env.reset(seed=0)
    # the robot quantizes (if it names sensor.*.resolution) or the randomizer does, alike
    assert info["randomization"]["quantization"] == {"values": {
        "sensor.arm.resolution": 2 * math.pi / 2048,
        "sensor.pendulum.resolution": 2 * math.pi / 2048}}
    robot = env.unwrapped.robot
    q = robot.observe().q / (2 * math.pi / 2048)
    np.testing.assert_array_equal(q, np.round(q))
    env.close()
