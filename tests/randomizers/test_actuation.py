"""Actuation randomizers: delay, noise, deadzone, backlash and saturation, by their effect."""

from __future__ import annotations

import numpy as np
import pytest

from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.sim import SimRobot
from s2r.tasks import FurutaSwingup, PendulumSwingup


def wrap(env, *entries, seed=0):
    return RandomizedEnv(env, build_randomizers(list(entries)), seed=seed)


def pendulum_response(env, actions, seed=0):
    """q after each step, from rest hanging down (where a zero command keeps it exactly still)."""
    _, info = env.reset(seed=seed, options={"state": (np.zeros(1), np.zeros(1))})
    qs = []
    for a in actions:
        _, _, _, _, info = env.step(np.array([a]))
        qs.append(info["q"][0])
    return np.array(qs), info


ACTIONS = np.random.default_rng(5).uniform(-1, 1, 40)


@pytest.fixture(scope="module")
def reference():
    """The undelayed response on explicit sub-steps, the path a robot with a delay takes
    (the fast path it takes without effects agrees within integration error only)."""
    env = PendulumSwingup(SimRobot("pendulum", substeps="explicit"))
    q, _ = pendulum_response(env, ACTIONS)
    env.close()
    return q


@pytest.mark.parametrize("k", [1, 2])
def test_a_delay_of_whole_control_steps_shifts_the_response_by_exactly_k_steps(reference, k):
    env = wrap(PendulumSwingup(), {"type": "action_delay", "seconds": 0.02 * k})
    q, info = pendulum_response(env, ACTIONS)
    np.testing.assert_array_equal(q[:k], 0.0)
    np.testing.assert_allclose(q[k:], reference[:-k], atol=1e-9)
    assert info["applied_action"][0] == pytest.approx(2.0 * ACTIONS[-1])  # the controller's
    env.close()


def test_random_delay_is_drawn_per_episode_as_the_robot_parameter():
    env = wrap(PendulumSwingup(), {"type": "action_delay", "seconds": [0.0, 0.04]}, seed=1)
    seen = []
    for episode in range(6):
        env.reset(seed=episode)
        d = env.last_record["action_delay"]["values"]["delay.action"]
        assert 0.0 <= d <= 0.04 and env.ctx.robot.get("delay.action") == d
        seen.append(d)
    assert len(set(seen)) == 6
    env.close()


def test_delay_on_a_simrobot_acts_at_substep_resolution(reference):
    env = wrap(PendulumSwingup(), {"type": "action_delay", "seconds": 0.04})
    q, _ = pendulum_response(env, ACTIONS)
    assert env.last_record["action_delay"] == {"values": {"delay.action": 0.04}}
    assert env.ctx.robot.get("delay.action") == pytest.approx(0.04)
    # a delay runs the robot's explicit sub-steps: compare with the undelayed explicit path
    # (the fast path it takes without effects agrees within integration error only)
    with SimRobot("pendulum", substeps="explicit") as explicit:
        plain = PendulumSwingup(explicit)
        reference, _ = pendulum_response(plain, ACTIONS)
        plain.close()
    np.testing.assert_allclose(q[2:], reference[:-2], atol=1e-9)  # 0.04 s = 2 control steps
    env.close()
    robot = SimRobot("pendulum")  # not owned by the task: it outlives the env
    half = wrap(PendulumSwingup(robot), {"type": "action_delay", "seconds": 0.01})  # 1/2 step
    q, _ = pendulum_response(half, ACTIONS)
    assert 0 < abs(q[0]) < abs(reference[0])  # the command acts for the second half only
    half.close()
    assert robot.get("delay.action") == 0.0  # closing the env restores the nominal delay
    robot.close()


def test_delay_on_another_env_is_the_same_command_delay_at_control_steps(envs):
    env = wrap(envs["echo"](n=1), {"type": "action_delay", "seconds": 0.06})  # 50 Hz: 3 steps
    env.reset(seed=0)
    out = [env.step(np.array([float(i + 1)]))[0][0] for i in range(6)]
    assert out == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0, 3.0], abs=1e-12)
    env.reset(seed=0)  # the queue starts empty again
    assert env.step(np.array([9.0]))[0][0] == 0.0
    half = wrap(envs["echo"](n=1), {"type": "action_delay", "seconds": 0.01})  # half a step
    half.reset(seed=0)
    out = [half.step(np.array([2.0]))[0][0] for _ in range(3)]
    assert out == pytest.approx([1.0, 2.0, 2.0])  # s2r.effects.CommandDelay's average


def echo_samples(env, action, steps=4000):
    env.reset(seed=0)
    return np.array([env.step(action)[0] for _ in range(steps)])


def test_gaussian_action_noise_has_the_configured_statistics(envs):
    env = wrap(envs["echo"](n=3), {"type": "action_noise", "amplitude": 0.5})
    x = echo_samples(env, np.zeros(3)).ravel()  # 12000 samples
    # standard error of the mean 0.5/sqrt(12000) = 0.0046; of the std 0.5/sqrt(24000) = 0.0032
    assert abs(x.mean()) < 4 * 0.0046
    assert x.std() == pytest.approx(0.5, abs=4 * 0.0032)


def test_uniform_and_multiplicative_action_noise(envs):
    env = wrap(envs["echo"](n=3), {"type": "action_noise", "kind": "uniform", "amplitude": 0.3,
                                   "multiplicative": True})
    x = echo_samples(env, np.full(3, 2.0)).ravel()  # 2 * (1 + U(-0.3, 0.3))
    assert x.min() >= 2 * 0.7 and x.max() <= 2 * 1.3
    assert x.mean() == pytest.approx(2.0, abs=4 * 2 * 0.3 / np.sqrt(3 * 12000))
    assert x.std() == pytest.approx(2 * 0.3 / np.sqrt(3), rel=0.03)


def test_action_noise_acts_in_physical_units_and_applied_action_is_the_controllers():
    clean = PendulumSwingup()
    q_clean, _ = pendulum_response(clean, ACTIONS)
    clean.close()
    env = wrap(PendulumSwingup(), {"type": "action_noise", "amplitude": 0.2, "indices": [0]})
    q, info = pendulum_response(env, ACTIONS)
    assert np.max(np.abs(q - q_clean)) > 1e-3
    assert info["applied_action"][0] == pytest.approx(2.0 * ACTIONS[-1])
    env.close()


def test_deadzone_shifts_commands_with_a_width_per_episode_on_any_env(envs):
    env = wrap(envs["echo"](n=3), {"type": "deadzone", "distribution": [0.1, 0.5]}, seed=2)
    widths = []
    for _ in range(3):
        env.reset()
        values = env.last_record["deadzone"]["values"]
        width = np.array([values[f"motor.{i}.deadzone"] for i in range(3)])
        widths.append(width)
        for u in np.linspace(-1, 1, 41):
            out = env.step(np.full(3, u))[0]
            # s2r.effects.deadzone: 0 inside, shifted towards 0 outside (continuous)
            np.testing.assert_allclose(out, np.where(np.abs(u) <= width, 0.0,
                                                     u - np.sign(u) * width), atol=1e-6)
    assert len({tuple(w) for w in widths}) == 3 and len(set(widths[0])) == 3


def test_deadzone_on_a_robot_that_has_it_is_the_motor_parameter():
    env = wrap(FurutaSwingup(), {"type": "deadzone", "distribution": [0.15, 0.25]}, seed=0)
    env.reset(seed=0)
    dz = env.last_record["deadzone"]["values"]["motor.arm.deadzone"]
    assert 0.15 <= dz <= 0.25 and env.ctx.robot.get("motor.arm.deadzone") == dz
    assert env.unwrapped.robot._command_filter is None  # the robot applies it, not a filter
    env.close()


def test_deadzone_on_a_robot_without_the_parameter_is_applied_to_its_commands():
    seen = []
    env = wrap(PendulumSwingup(), {"type": "deadzone", "distribution": 0.5})
    env.reset(seed=0)
    robot = env.unwrapped.robot
    send = robot._stepper.send
    robot._stepper.send = lambda command, *args, **kw: seen.append(command) or send(
        command, *args, **kw)
    env.step(np.array([0.1]))  # 0.2 N*m: inside the deadzone
    env.step(np.array([0.5]))  # 1.0 N*m: shifted to 0.5
    assert seen == [[0.0], [0.5]]
    assert env.last_record["deadzone"] == {"values": {"motor.hinge.deadzone": 0.5}}
    env.close()


def test_backlash_output_moves_only_after_the_input_crossed_the_gap(envs):
    env = wrap(envs["echo"](n=1), {"type": "backlash", "distribution": 0.4})
    env.reset(seed=0)
    inputs = [0.1, 0.2, 0.5, 1.0, 0.9, 0.7, 0.6, 0.5, 0.0, 0.2, 0.3]
    out = [env.step(np.array([u]))[0][0] for u in inputs]
    expected = [0.0, 0.0, 0.3, 0.8, 0.8, 0.8, 0.8, 0.7, 0.2, 0.2, 0.2]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    env.reset(seed=0)  # the gear starts again from 0
    assert env.step(np.array([0.1]))[0][0] == 0.0


def test_saturation_clips_to_a_fraction_of_the_range(envs):
    env = wrap(envs["echo"](n=2, limit=5.0), {"type": "saturation", "distribution": 0.6})
    env.reset(seed=0)
    out = [env.step(np.array([u, -u]))[0] for u in (1.0, 3.5, 5.0)]
    np.testing.assert_allclose(out, [[1.0, -1.0], [3.0, -3.0], [3.0, -3.0]])


def test_saturation_on_the_furuta_motor_halves_the_arm_acceleration():
    def arm_velocity(entries):
        env = wrap(FurutaSwingup(), *entries)
        env.reset(seed=0, options={"state": (np.zeros(2), np.zeros(2))})
        _, _, _, _, info = env.step(np.array([1.0]))  # 5 V asked, 2 V after the rate limit
        env.close()
        return info["qd"][0]

    # saturation at 0.2 x 5 V = 1 V halves the 2 V the safety layer lets through
    ratio = arm_velocity([{"type": "saturation", "distribution": 0.2}]) / arm_velocity([])
    assert ratio == pytest.approx(0.5, rel=0.02)


@pytest.mark.parametrize("entry", [
    {"type": "action_noise", "amplitude": 0.5},
    {"type": "action_noise", "amplitude": 0.5, "multiplicative": True},
    {"type": "deadzone", "distribution": 1.0},
    {"type": "backlash", "distribution": 1.0},
    {"type": "saturation", "distribution": 0.05},
    {"type": "action_delay", "seconds": 0.04},
])
def test_transforms_act_on_the_selected_indices_only_and_never_in_place(envs, entry):
    env = wrap(envs["echo"](n=3), {**entry, "indices": [0, 2]})
    env.reset(seed=0)
    for k in range(1, 4):
        action = np.array([0.4, 0.6, -0.3]) * k
        out = env.step(action)[0]
        np.testing.assert_array_equal(action, np.array([0.4, 0.6, -0.3]) * k)  # the caller's
        assert out[1] == action[1] and (out[0] != action[0] or out[2] != action[2])


def test_rate_limit_on_another_env_is_the_effects_rate_limiter(envs):
    env = wrap(envs["echo"](n=2), {"type": "rate_limit", "distribution": 10.0,
                                   "indices": [1]})  # 50 Hz: 0.2 per step
    for _ in range(2):  # every episode starts from 0
        env.reset(seed=0)
        out = [env.step(np.array([1.0, 1.0]))[0].tolist() for _ in range(6)]
        np.testing.assert_allclose(out, [[1.0, 0.2], [1.0, 0.4], [1.0, 0.6], [1.0, 0.8],
                                         [1.0, 1.0], [1.0, 1.0]])
    assert env.last_record["rate_limit"] == {"values": {"motor.1.rate_limit": 10.0}}
    env.close()


def test_smooth_friction_needs_a_target_that_names_it(envs):
    from randomizers.pybullet_target import PyBulletTarget  # noqa: F401  (a target exists)

    with pytest.raises(Exception, match=r"needs a physics target"):
        RandomizedEnv(envs["echo"](n=1), build_randomizers([{"type": "smooth_friction",
                                                             "distribution": [0.0, 0.01]}]))
