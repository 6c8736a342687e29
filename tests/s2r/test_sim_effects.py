"""SimRobot's timing and sensing effects: the s2r.effects parameters acting in the simulation."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from s2r.cli import main
from s2r.sim import SimRobot


def trajectory(robot: SimRobot, steps: int = 25, u: float = 1.0) -> np.ndarray:
    rows = []
    for k in range(steps):
        robot.act([u * math.sin(0.3 * k) + 0.5 * u] * robot.spec.n_actions)
        o = robot.observe()
        rows.append(np.concatenate([[o.t], o.q, o.qd, o.sensors]))
    return np.array(rows)


def test_action_delay_acts_between_physics_steps():
    """3 ms with a 2 ms step: neither the 2 ms nor the 4 ms trajectory, but in between."""
    finals = {}
    with SimRobot("furuta") as robot:
        assert robot.get("world.timestep") == 0.002
        for ms in (2, 3, 4):
            robot.set("delay.action", ms / 1000)
            robot.reset()
            robot.act([5.0])
            finals[ms] = robot.observe().qd[0]  # arm speed after one 10 ms period
    assert finals[2] > finals[3] > finals[4] > 0.0
    # half of one sub-step more dead time costs about half of one sub-step's push
    assert finals[3] == pytest.approx((finals[2] + finals[4]) / 2, rel=0.05)


def test_observation_delay_interpolates_between_physics_steps():
    with SimRobot("pendulum") as robot:
        robot.reset(q=[1.0])
        truth = []
        for _ in range(10):
            robot.act([0.0])
            truth.append((robot.time, robot.get_state().q[0]))
        robot.set("delay.observation", 0.003)  # turns the effects on from here
        robot.act([0.0])
        t_now = robot.time
        obs = robot.observe()
        assert obs.t == pytest.approx(t_now - 0.003)
        robot.set("delay.observation", 0.0)


def test_encoder_resolution_quantizes_the_observed_position():
    with SimRobot("pendulum", params={"sensor.hinge.resolution": 0.01}) as robot:
        robot.reset(q=[1.0])
        for _ in range(10):
            robot.act([0.5])
            q = robot.observe().q[0]
            assert abs(q / 0.01 - round(q / 0.01)) < 1e-9
        assert robot.get_state().q[0] != robot.observe().q[0]  # the truth is not quantized


def test_noise_follows_the_seed():
    params = {"sensor.hinge.position_noise": 0.01, "sensor.hinge.velocity_noise": 0.1}
    runs = []
    for seed in (1, 1, 2):
        with SimRobot("pendulum", params=params, seed=seed) as robot:
            robot.reset(q=[0.5])
            runs.append(trajectory(robot))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    with SimRobot("pendulum", params=params) as robot:  # reset(seed=) does the same
        robot.reset(q=[0.5], seed=1)
        np.testing.assert_array_equal(trajectory(robot), runs[0])


def test_smooth_friction_slows_a_spinning_joint():
    speeds = []
    for force in (0.0, 0.05):
        with SimRobot("pendulum", params={"joint.hinge.coulomb_smooth": force}) as robot:
            robot.reset(q=[math.pi], qd=[8.0])  # over the top, fast
            for _ in range(10):
                robot.act([0.0])
            speeds.append(robot.get_state().qd[0])
    assert speeds[1] < speeds[0]


def test_deadzone_of_the_dc_motor_holds_small_voltages():
    with SimRobot("furuta", params={"motor.arm.deadzone": 0.5}) as robot:
        robot.reset()
        for _ in range(5):
            robot.act([0.4])
        assert robot.observe().qd[0] == 0.0
        robot.act([1.0])
        assert robot.observe().qd[0] > 0.0


def test_rate_limit_slews_the_command():
    with SimRobot("furuta", params={"motor.arm.rate_limit": 100.0}) as robot:
        robot.reset()
        robot.act([5.0])
        # the command grows from 0 by 100 V/s each 2 ms sub-step: 1 V at the end of 10 ms
        assert robot._command[0] == pytest.approx(0.8)  # applied over the last sub-step


EFFECTS = {"delay.action": 0.003, "delay.observation": 0.005, "sensor.arm.resolution": 0.003,
           "sensor.arm.velocity_cutoff": 20.0, "motor.arm.rate_limit": 200.0,
           "joint.pendulum.coulomb_smooth": 0.001, "sensor.pendulum.resolution": 0.002}


def test_state_snapshot_restores_every_effect_exactly():
    with SimRobot("furuta", params=EFFECTS) as robot:
        robot.reset(q=[0.1, 0.2])
        trajectory(robot, 12, u=4.0)
        state = robot.get_state()
        assert state.effects is not None
        first = trajectory(robot, 20, u=-3.0)
        robot.reset()
        robot.set_state(state)
        np.testing.assert_array_equal(trajectory(robot, 20, u=-3.0), first)
        copy = pickle.loads(pickle.dumps(robot))  # values and state travel with a pickle
        try:
            assert copy.get_params() == robot.get_params()
            copy.set_state(state)
            robot.set_state(state)
            np.testing.assert_array_equal(trajectory(copy, 20), trajectory(robot, 20))
        finally:
            copy.close()


def test_pickled_copy_continues_the_same_noise():
    with SimRobot("pendulum", params={"sensor.hinge.position_noise": 0.01}, seed=3) as robot:
        robot.reset(q=[0.5])
        trajectory(robot, 5)
        copy = pickle.loads(pickle.dumps(robot))
        try:
            np.testing.assert_array_equal(trajectory(copy), trajectory(robot))
        finally:
            copy.close()


def test_params_cli_lists_the_effect_parameters(capsys):
    assert main(["params", "furuta"]) == 0
    out = capsys.readouterr().out
    for name, unit in (("sensor.arm.resolution", "rad"), ("sensor.arm.velocity_cutoff", "Hz"),
                       ("motor.arm.rate_limit", "1/s"), ("joint.arm.coulomb_smooth", "N*m"),
                       ("sensor.current_arm.noise", "-")):
        line = next(row for row in out.splitlines() if row.split()[:1] == [name])
        assert unit in line.split()


# ------------------------------------------------------------ numSubSteps fast path
ROBOTS = ("cartpole", "pendulum", "furuta")


def _rollout(robot: SimRobot, seconds: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    rows = []
    robot.reset(q=0.2 * np.ones(robot.spec.n_joints), qd=0.3 * np.ones(robot.spec.n_joints))
    for _ in range(int(seconds * robot.spec.control_rate)):
        robot.act(rng.uniform(robot.spec.action_low, robot.spec.action_high))
        o = robot.observe()
        rows.append(np.concatenate([o.q, o.qd]))
    return np.array(rows)


@pytest.mark.parametrize("name", ROBOTS)
@pytest.mark.parametrize("params", [{}, {"coulomb": 0.3}], ids=["plain", "coulomb"])
def test_fast_path_agrees_with_explicit_substeps_within_integration_error(name, params):
    with SimRobot(name) as probe:
        values = {f"joint.{j}.coulomb": min(params["coulomb"] * p.high, p.high)
                  for j in probe.spec.joint_names
                  for p in [probe.params[f"joint.{j}.coulomb"]]} if params else {}
    with SimRobot(name, params=values) as fast, \
            SimRobot(name, params=values, substeps="explicit") as explicit, \
            SimRobot(name, params=values, substeps="explicit") as half:
        half.set("world.timestep", half.get("world.timestep") / 2)
        a, b, c = _rollout(fast), _rollout(explicit), _rollout(half)
        k = round(fast.get("world.control_period") / fast.get("world.timestep"))
        # the furuta's back-EMF on its light arm is stiff damping: it keeps explicit sub-steps
        assert fast._stepper.substeps == (1 if name == "furuta" else k)
        assert explicit._stepper.substeps == 1
        damped = any(fast._rotor_damping())
    assert np.abs(a - b).max() <= np.abs(b - c).max()
    if not damped:  # without joint damping the same arithmetic, up to (k dt) / k != dt
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_stiff_damping_takes_the_explicit_path():
    """Held over a whole period, stiff damping would be far off (s2r/sim/PHYSICS.md, 13)."""
    with SimRobot("pendulum") as robot:
        assert not robot._stepper.stiff
        robot.set("joint.hinge.damping", robot.params["joint.hinge.damping"].high)
        assert robot._stepper.stiff  # 0.2 N m s/rad on 0.33 kg m^2: 1.2 % per 20 ms period
        robot.reset()
        robot.act([1.0])
        assert robot._stepper.substeps == 1
        robot.set("joint.hinge.damping", robot.params["joint.hinge.damping"].nominal)
        robot.act([1.0])
        assert robot._stepper.substeps == 10


def test_any_effect_or_hook_takes_the_explicit_path():
    with SimRobot("cartpole") as robot:
        robot.reset()
        robot.act([1.0, 0.0][:robot.spec.n_actions])
        assert robot._stepper.substeps > 1
        robot.set("sensor.cart.resolution", 0.001)
        robot.act([1.0, 0.0][:robot.spec.n_actions])
        assert robot._stepper.substeps == 1
        robot.set("sensor.cart.resolution", 0.0)
        robot.act([1.0, 0.0][:robot.spec.n_actions])
        assert robot._stepper.substeps > 1
        hook_calls = []
        robot.add_substep_hook(lambda r: hook_calls.append(r.time))
        robot.act([1.0, 0.0][:robot.spec.n_actions])
        assert robot._stepper.substeps == 1 and len(hook_calls) > 1


def test_fast_path_follows_timestep_changes_with_coulomb_friction():
    """A new timestep changes k: fixedTimeStep, numSubSteps and force / k are issued again."""
    rows = []
    for substeps in ("auto", "explicit"):
        with SimRobot("cartpole", params={"joint.cart.coulomb": 1.0},
                      substeps=substeps) as robot:
            part = _rollout(robot, 0.2)
            robot.set("world.timestep", robot.get("world.timestep") / 2)
            rng = np.random.default_rng(1)
            for _ in range(10):
                robot.act(rng.uniform(robot.spec.action_low, robot.spec.action_high))
            assert robot._stepper.substeps == (10 if substeps == "auto" else 1)
            rows.append(np.concatenate([part[-1], robot.observe().q, robot.observe().qd]))
    np.testing.assert_allclose(rows[0], rows[1], rtol=0, atol=1e-9)
