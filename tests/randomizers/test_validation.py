"""Bad randomization configs fail before any simulation runs, with a message that names
the entry (and the file); valid ones never compound across resets."""

from __future__ import annotations

import numpy as np
import pybullet
import pytest

from randomizers.base import RandomizationError
from randomizers.registry import build_randomizers, load_randomization
from randomizers.wrapper import RandomizedEnv
from s2r.errors import ConfigError
from s2r.tasks import CartpoleBalance, FurutaSwingup, PendulumSwingup


@pytest.fixture
def forbid_physics(monkeypatch):
    """Call it to make any later physics step fail the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("stepSimulation ran before validation finished")

    return lambda: monkeypatch.setattr(pybullet, "stepSimulation", refuse)


@pytest.mark.parametrize("entry, message", [
    ({"type": "mas", "distribution": [0.9, 1.1]}, r"unknown randomizer type 'mas'.*'mass'"),
    ({"distribution": [0.9, 1.1]}, "missing 'type'"),
    ({"type": "mass", "distribution": [1.2, 0.8]}, r"inverted range low=1.2 > high=0.8"),
    ({"type": "mass", "distributon": [0.9, 1.1]}, r"unknown option 'distributon'"),
    ({"type": "action_noise", "amplitude": 0.1, "sigma": 2}, r"unknown option 'sigma'"),
    ({"type": "action_noise", "amplitude": -0.1}, r"must be finite and >= 0"),
    ({"type": "action_noise", "kind": "pink", "amplitude": 0.1}, r"kind 'pink' unknown"),
    ({"type": "deadzone", "distribution": [-0.1, 0.1]}, r"could reach \[-0.1, 0.1\], below 0"),
    ({"type": "saturation", "distribution": [0.5, 1.5]}, r"fraction could reach.*\[0, 1.0\]"),
    ({"type": "action_delay", "steps": 2, "seconds": 0.1}, r"give seconds \(e.g."),
    ({"type": "action_delay", "seconds": 0.01, "resolution": "step"},
     r"option 'resolution' was removed .*give seconds"),
    ({"type": "action_delay", "seconds": 0.01, "fill": 1.0}, r"option 'fill' was removed"),
    ({"type": "action_delay", "steps": [3, 1]}, r"0 <= low <= high"),
    ({"type": "action_delay", "steps": 1.5}, r"integers"),
    ({"type": "observation_noise", "amplitude": 0.1, "channel": "qdd"}, r"channel 'qdd'"),
    ({"type": "observation_drift", "std": 0.1, "mode": "startup"}, r"keeps state"),
    ({"type": "observation_dropout", "probability": [0.5, 1.5]}, r"outside \[0, 1\]"),
    ({"type": "quantization"}, "exactly one of resolution or counts_per_rev"),
    ({"type": "push", "link": "cart", "duration": [0.2, 0.1]}, r"duration: need"),
    ({"type": "push", "link": "cart", "direction": "sideways"}, r"direction 'sideways'"),
])
def test_bad_entries_fail_at_build_time_naming_the_entry(entry, message, forbid_physics):
    forbid_physics()
    entries = [{"type": "gravity", "distribution": [0.9, 1.1]}, entry]
    with pytest.raises(RandomizationError, match=message) as err:
        build_randomizers(entries)
    assert "randomizers[1]" in str(err.value)


@pytest.mark.parametrize("task, entry, message", [
    (PendulumSwingup, {"type": "parameters", "params": "link.pole.mas",
                       "distribution": [0.9, 1.1]}, "no parameter matches 'link.pole.mas'"),
    (PendulumSwingup, {"type": "mass", "distribution": {"normal": [1.0, 0.3]}},
     r"link.pole.mass could reach \[-inf, inf\] kg, outside its bounds"),
    (PendulumSwingup, {"type": "mass", "distribution": [-0.5, 1.5]},
     r"could reach \[-0.5, 1.5\] kg"),
    (PendulumSwingup, {"type": "joint_damping", "operation": "add",
                       "distribution": [-1.0, 0.0]}, "joint.hinge.damping could reach"),
    (PendulumSwingup, {"type": "motor_strength", "distribution": [0.9, 1.1]},
     "no parameter matches 'motor.\\*.saturation'|motor.hinge.saturation could reach"),
    (PendulumSwingup, {"type": "observation_noise", "amplitude": 0.1, "channel": "sensors"},
     "channel 'sensors' selects nothing"),
    (PendulumSwingup, {"type": "observation_noise", "amplitude": [0.1, 0.2],
                       "channel": "q"}, "amplitude has 2 values for 1 element"),
    (PendulumSwingup, {"type": "observation_bias", "distribution": [0, 1], "indices": [3],
                       "channel": "qd"}, r"indices: \[3\] out of range"),
    (PendulumSwingup, {"type": "action_noise", "amplitude": 0.1, "indices": [1]},
     r"indices \[1\] out of range for 1 actuator"),
    (FurutaSwingup, {"type": "action_delay", "seconds": [0.0, 0.2]},
     r"delay.action could reach \[0, 0.2\] s, outside its bounds \[0, 0.05\] s"),
    (FurutaSwingup, {"type": "deadzone", "distribution": [0.0, 2.0]},
     r"motor.arm.deadzone could reach \[0, 2\] V, outside its bounds \[0, 1\]"),
    (FurutaSwingup, {"type": "observation_noise", "amplitude": 0.1, "indices": [0, 0]},
     r"indices select element 0 twice"),
    (CartpoleBalance, {"type": "push", "link": "wheel"}, "no link named 'wheel'"),
])
def test_bad_entries_fail_when_bound_before_any_step(task, entry, message, forbid_physics):
    env = task()  # building a SimRobot probes its physics; from here on nothing may step
    forbid_physics()
    with pytest.raises(RandomizationError, match=message) as err:
        RandomizedEnv(env, build_randomizers([entry]))
    assert entry["type"] in str(err.value)
    env.close()


def test_a_file_error_names_the_file_and_the_entry(tmp_path, forbid_physics):
    path = tmp_path / "bad.yaml"
    path.write_text("randomizers:\n  - {type: mass, distribution: [0.9, 1.1]}\n"
                    "  - {type: friction, distribution: [1.5, 0.5]}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: randomizers\[1\].*inverted range"):
        load_randomization(path)
    path.write_text("randomizers:\n  - {type: joint_damping, params: joint.elbow.damping, "
                    "distribution: [0.5, 2]}\n")
    rs = load_randomization(path)
    env = PendulumSwingup()
    forbid_physics()
    with pytest.raises(ConfigError, match=r"bad.yaml: randomizers\[0\].*joint.elbow.damping"):
        RandomizedEnv(env, rs)
    env.close()


def test_nothing_compounds_across_resets():
    env = RandomizedEnv(CartpoleBalance(), build_randomizers([
        {"type": "mass", "distribution": [0.9, 1.1]},
        {"type": "joint_damping", "params": "joint.cart.damping", "operation": "abs",
         "distribution": [0.0, 1.0]},
        {"type": "gravity", "distribution": [0.9, 1.1]}]), seed=0)
    robot = env.ctx.robot
    nominal = robot.params.nominal()
    masses = []
    for _ in range(50):
        env.reset()
        for name in ("link.cart.mass", "link.pole.mass", "world.gravity"):
            assert 0.9 * nominal[name] <= robot.get(name) <= 1.1 * nominal[name]
        for name in robot.params.match("link.pole.inertia_*"):
            ratio = robot.get(name) / nominal[name]
            assert ratio == pytest.approx(robot.get("link.pole.mass") / nominal["link.pole.mass"])
        masses.append(robot.get("link.pole.mass"))
        env.step(np.zeros(1))
    assert np.std(masses) > 0.03 * nominal["link.pole.mass"]  # it does vary
    env.close()


@pytest.mark.parametrize("kind", ["observation_delay", "action_delay"])
def test_a_replayed_record_of_the_old_form_or_a_negative_delay_is_refused(envs, kind):
    env = RandomizedEnv(envs["echo"](n=2), build_randomizers([{"type": kind,
                                                                "seconds": [0, 0.04]}]))
    with pytest.raises(RandomizationError, match=r"the record names \['steps'\], this config "
                                                 r"samples \['delay\.\w+'\]"):
        env.reset(options={"randomization": {kind: {"steps": 5}}})
    name = "delay.action" if kind == "action_delay" else "delay.observation"
    with pytest.raises(RandomizationError, match=r"= -0.1 is not a delay"):
        env.reset(options={"randomization": {kind: {"values": {name: -0.1}}}})


def test_the_deprecated_steps_option_loads_as_seconds_with_a_warning(envs):
    with pytest.warns(DeprecationWarning, match=r"'steps' is deprecated: give 'seconds"):
        rs = build_randomizers([{"type": "action_delay", "steps": 2}])
    env = RandomizedEnv(envs["echo"](n=1), rs)  # 50 Hz: 2 steps = 0.04 s
    _, info = env.reset(seed=0)
    assert info["randomization"]["action_delay"] == {"values": {"delay.action": 0.04}}


@pytest.mark.parametrize("entries, name", [
    ([{"type": "mass", "distribution": [0.9, 1.1]},
      {"type": "parameters", "params": ["link.pendulum.mass"], "distribution": [0.8, 1.2]}],
     "link.pendulum.mass"),
    ([{"type": "deadzone", "distribution": [0.0, 0.3]},
      {"type": "deadzone", "name": "deadzone2", "distribution": [0.1, 0.2]}],
     "motor.arm.deadzone"),
])
def test_two_randomizers_sampling_one_name_are_refused_naming_both(entries, name,
                                                                   forbid_physics):
    env = FurutaSwingup()
    forbid_physics()
    with pytest.raises(RandomizationError, match=rf"samples {name}, which .* samples too") as e:
        RandomizedEnv(env, build_randomizers(entries))
    names = [entry.get("name", entry["type"]) for entry in entries]
    assert names[0] in str(e.value) and names[1] in str(e.value)
    env.close()
