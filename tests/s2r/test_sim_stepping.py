"""Per-step cost of the stepping paths, with the trajectories they must keep bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.sim import SimRobot


def _rollout(robot: SimRobot, steps: int = 60) -> np.ndarray:
    rng = np.random.default_rng(0)
    robot.reset(q=0.2 * np.ones(robot.spec.n_joints), qd=0.3 * np.ones(robot.spec.n_joints))
    rows = []
    for _ in range(steps):
        robot.act(rng.uniform(robot.spec.action_low, robot.spec.action_high))
        o = robot.observe()
        rows.append([o.t, *o.q, *o.qd])
    return np.array(rows)


@pytest.mark.parametrize("name", ["furuta", "cartpole"])
def test_explicit_substeps_read_the_state_once_and_keep_the_trajectory(name):
    """Without effects or hooks the explicit path reads the joints once per control period;
    a hook (which may look at the state) brings back a read per sub-step, with the same
    trajectory bit for bit (PyBullet's state does not depend on reads)."""
    with SimRobot(name, substeps="explicit") as plain, \
            SimRobot(name, substeps="explicit") as hooked:
        hooked.add_substep_hook(lambda robot: None)
        reads = []
        original = plain._stepper.read_state
        plain._stepper.read_state = lambda: (reads.append(1), original())[1]  # type: ignore
        a = _rollout(plain)
        b = _rollout(hooked)
        k = round(plain.get("world.control_period") / plain.get("world.timestep"))
        assert k > 1
    assert len(reads) == 60 + 1  # one per act, one per reset
    np.testing.assert_array_equal(a, b)


def test_act_floats_is_act_bit_for_bit():
    """The tasks' float path gives the applied command and the motion of act, signed zeros,
    NaN and out-of-range values included."""
    values = [5.0, -0.0, float("nan"), 0.7, -9.0, 0.0, 1e-300, float("inf"), -1.3]
    with SimRobot("pendulum") as a, SimRobot("pendulum") as b:
        a.reset(q=[0.3])
        b.reset(q=[0.3])
        for u in values:
            x, y = a.act(np.array([u])), b.act_floats([u])
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
            np.testing.assert_array_equal(a.observe().q, b.observe().q)
            np.testing.assert_array_equal(a.observe().qd, b.observe().qd)


def test_filter_floats_is_filter_with_the_same_counters():
    from s2r.robot import ActuatorSpec, RobotSpec, SafetyLimits
    from s2r.safety import SafetyGuard

    spec = RobotSpec("toy", (), (ActuatorSpec("m", "j", "torque", -2.0, 2.0),
                                 ActuatorSpec("n", "k", "torque", 0.0, 1.0)), 50.0,
                     safety=SafetyLimits({}, {}, 0.5))
    a, b = SafetyGuard(spec), SafetyGuard(spec)
    for pair in ([9.0, -0.0], [float("nan"), 0.3], [-5.0, float("inf")], [0.1, 0.2]):
        x, y = a.filter(np.array(pair)), b.filter_floats(list(pair))
        assert type(y) is list and x.tobytes() == np.array(y).tobytes()
    assert (a.clipped, a.rate_limited, a.nonfinite) == (b.clipped, b.rate_limited, b.nonfinite)
    assert (a.clipped, a.rate_limited, a.nonfinite) == (2, 3, 2)


# ------------------------------------------------------- joint mobility (damping stiffness)
@pytest.mark.parametrize("name", ["cartpole", "pendulum"])
def test_mobility_probe_matches_pybullets_mass_matrix(name):
    """Forward dynamics from rest gives diag(M^-1), also after masses changed on the copy."""
    import pybullet as pb

    from s2r.sim.damping import MobilityProbe, probe

    with SimRobot(name) as robot:
        link = next(n for n in robot.params if n.endswith(".mass"))
        for scale in (1.0, 1.7):
            robot.set(link, robot.params[link].nominal * scale)
            robot._probe.measure(robot._com)  # the copy, with the current masses
            _, _, client, body = robot._probe._copy
            movable = robot._loaded.movable
            q = [0.3, -0.7][:len(movable)]
            got = probe(client, body, movable, q, MobilityProbe.STEP)
            # a fresh copy for the mass matrix (PyBullet caches its model per body)
            client, body = robot._loaded.shadow(robot._com)
            m = np.array(pb.calculateMassMatrix(body, q, physicsClientId=client))
            np.testing.assert_allclose(got, np.diag(np.linalg.inv(m)), rtol=1e-6)


def test_new_masses_reuse_the_copy_and_the_stiffness_follows_them():
    """A reset with other masses copies them onto the loaded copy (no URDF load), and the
    stiffness decision is made once, when the next step needs it."""
    with SimRobot("pendulum") as robot:
        robot.act([0.0])
        nominal = robot.params["link.pole.mass"].nominal
        damping = robot.params["joint.hinge.damping"]
        robot.set("joint.hinge.damping", damping.high)  # 1.2 % per period at nominal mass
        assert robot._stepper.stiff
        generation = robot._loaded.shadow_generation
        calls = []
        original = robot._stiff
        robot._stepper.stiffness = lambda: (calls.append(1), original())[1]
        robot.set_params({"link.pole.mass": 3.0 * nominal, "joint.hinge.damping": damping.high})
        assert calls == []  # not found yet
        robot.reset()
        robot.act([0.0])  # a heavier pole: mild again, the fast path
        assert calls == [1] and not robot._stepper.stiff and robot._stepper.substeps > 1
        assert robot._loaded.shadow_generation == generation


def test_the_furuta_mobility_is_measured_without_a_mass_matrix():
    """PyBullet has no mass matrix for the furuta's pendulum inertia; the probe measures it."""
    with SimRobot("furuta") as robot:
        assert robot._stepper.stiff
        assert robot._mobility is not None and (robot._mobility > 0).all()


@pytest.mark.parametrize("name", ["cartpole", "furuta"])
def test_urdf_template_writes_what_elementtree_writes(tmp_path, name):
    """The COM template gives the file the plain ElementTree rewrite gave, byte for byte."""
    import xml.etree.ElementTree as ET

    from s2r.description import load_robot_description
    from s2r.sim.urdf import UrdfModel

    path = load_robot_description(name).urdf_path
    model, reference = UrdfModel(path), UrdfModel(path)
    link = list(model._links)[-1]
    for com in ({}, {link: (0.01, 0.0, -0.2)}, {}, {link: (0.02, -0.0, 0.3)}):
        written = open(model.write(tmp_path, com), encoding="utf-8").read()
        for name_, xyz in com.items():
            inertial = reference._inertial(name_)
            origin = inertial.find("origin")
            if origin is None:
                origin = ET.SubElement(inertial, "origin")
            origin.set("xyz", " ".join(repr(float(v)) for v in xyz))
        reference.tree.write(tmp_path / "ref.urdf", encoding="unicode", xml_declaration=False)
        assert written == (tmp_path / "ref.urdf").read_text(encoding="utf-8")
