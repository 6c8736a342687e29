"""The one name -> PyBullet mapping, shared by SimRobot and PyBulletTarget."""

from __future__ import annotations

import pybullet as pb
import pytest

from randomizers.pybullet_target import PyBulletTarget
from s2r.errors import ParameterError, RobotError
from s2r.sim import SimRobot
from s2r.sim.pybullet_params import CONTACT, PyBulletParams, read_link_values


@pytest.fixture()
def hinge():
    """A 1 kg box on a y-axis hinge (mass 0 base), no gravity."""
    c = pb.connect(pb.DIRECT)
    box = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=[0.1, 0.1, 0.1], physicsClientId=c)
    body = pb.createMultiBody(0.0, -1, linkMasses=[1.0], linkCollisionShapeIndices=[box],
                              linkVisualShapeIndices=[-1], linkPositions=[[0, 0, 0]],
                              linkOrientations=[[0, 0, 0, 1]],
                              linkInertialFramePositions=[[0, 0, 0]],
                              linkInertialFrameOrientations=[[0, 0, 0, 1]],
                              linkParentIndices=[0], linkJointTypes=[pb.JOINT_REVOLUTE],
                              linkJointAxis=[[0, 1, 0]], physicsClientId=c)
    pb.setJointMotorControl2(body, 0, pb.VELOCITY_CONTROL, force=0.0, physicsClientId=c)
    pb.setGravity(0, 0, 0, physicsClientId=c)
    for link in (-1, 0):  # PyBullet's default body damping is not physical
        pb.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0, physicsClientId=c)
    values = read_link_values(c, body, 0, "box", contact=CONTACT)
    values.update({"joint.hinge.damping": 0.0, "joint.hinge.coulomb": 0.0,
                   "joint.hinge.armature": 0.0, "world.gravity": 0.0,
                   "world.timestep": 1 / 240})
    yield c, body, values
    pb.disconnect(c)


def spin(c: int, body: int, torque: float, steps: int = 24) -> float:
    pb.resetJointState(body, 0, 0.0, 0.0, physicsClientId=c)
    for _ in range(steps):
        pb.setJointMotorControlArray(body, [0], pb.TORQUE_CONTROL, forces=[torque],
                                     physicsClientId=c)
        pb.stepSimulation(physicsClientId=c)
    return pb.getJointState(body, 0, physicsClientId=c)[1]


def test_mass_keeps_gyration_and_armature_adds_on_the_joint_axis(hinge):
    c, body, values = hinge
    p = PyBulletParams(c, {"box": (body, 0)}, {"hinge": (body, 0)}, values,
                       armature_axes={"hinge": ("box", 1)})
    iyy = values["link.box.inertia_yy"]
    p.apply({"link.box.mass": 3.0, "joint.hinge.armature": 0.01})
    info = pb.getDynamicsInfo(body, 0, physicsClientId=c)
    assert info[0] == 3.0
    assert info[2][1] == pytest.approx(3.0 * iyy + 0.01, rel=1e-12)
    assert info[2][0] == pytest.approx(3.0 * values["link.box.inertia_xx"], rel=1e-12)
    assert p.values["link.box.inertia_yy"] == pytest.approx(3.0 * iyy, rel=1e-12)  # no armature
    qd = spin(c, body, 0.5)  # qd = tau * t / (I + J), t = 0.1 s
    assert qd == pytest.approx(0.5 * 0.1 / (3.0 * iyy + 0.01), rel=1e-9)


def test_extra_damping_is_added_to_the_joint_damping(hinge):
    c, body, values = hinge
    plain = PyBulletParams(c, {"box": (body, 0)}, {"hinge": (body, 0)}, values)
    plain.apply({"joint.hinge.damping": 0.75})
    reference = spin(c, body, 0.5)
    plain.apply({"joint.hinge.damping": 0.0})
    assert spin(c, body, 0.5) > reference * 1.01  # the damping brakes
    extra = PyBulletParams(c, {"box": (body, 0)}, {"hinge": (body, 0)}, values,
                           extra_damping=lambda joint: 0.25)
    extra.apply({"joint.hinge.damping": 0.5})
    assert spin(c, body, 0.5) == reference


def test_coulomb_motor_is_issued_again_when_the_timestep_changes(hinge):
    c, body, values = hinge
    p = PyBulletParams(c, {"box": (body, 0)}, {"hinge": (body, 0)}, values)
    p.apply({"joint.hinge.coulomb": 0.3})
    assert abs(spin(c, body, 0.25)) < 1e-9  # below the friction: sticks
    p.apply({"world.timestep": 1 / 1000})
    assert abs(spin(c, body, 0.25, steps=100)) < 1e-9  # still sticks at the new dt
    assert spin(c, body, 0.35) > 0  # above it: turns


def test_gravity_keeps_its_direction(hinge):
    c, body, values = hinge
    p = PyBulletParams(c, {}, {}, {"world.gravity": 5.0}, gravity_direction=(0.6, 0.0, -0.8))
    p.apply({"world.gravity": 10.0})
    engine = pb.getPhysicsEngineParameters(physicsClientId=c)
    assert [engine[f"gravityAcceleration{a}"] for a in "XYZ"] == pytest.approx([6.0, 0.0, -8.0])


def test_a_name_without_a_mapping_is_refused(hinge):
    c, body, values = hinge
    p = PyBulletParams(c, {}, {}, {})
    with pytest.raises(ParameterError, match="no PyBullet mapping"):
        p.apply({"sensor.hinge.noise": 0.1})
    p.apply({"delay.action": 0.1, "world.control_period": 0.02})  # act in the robot's step


def test_sim_robot_and_pybullet_target_make_the_same_pybullet_change():
    """A target on a SimRobot's own client changes PyBullet exactly as the robot does."""
    with SimRobot("pendulum") as a, SimRobot("pendulum") as b:
        target = PyBulletTarget(b.client, b.body, world=False)
        a.set_params({"link.pole.mass": 2.5})
        target.set_params({"link.pole.mass": 2.5})
        link = a.link_index("pole")
        assert pb.getDynamicsInfo(a.body, link, physicsClientId=a.client)[:3] == \
            pb.getDynamicsInfo(b.body, link, physicsClientId=b.client)[:3]


def test_pybullet_target_turns_pybullet_errors_into_robot_errors():
    c = pb.connect(pb.DIRECT)
    box = pb.createMultiBody(1.0, pb.createCollisionShape(pb.GEOM_BOX, halfExtents=[0.1] * 3,
                                                          physicsClientId=c), physicsClientId=c)
    target = PyBulletTarget(c, {"cube": box})
    with pytest.raises(RobotError, match="PyBulletTarget: PyBullet cannot read the bodies"):
        PyBulletTarget(c, {"cube": box + 7})
    pb.disconnect(c)
    with pytest.raises(RobotError, match="PyBullet failed on client"):
        target.set_params({"link.cube.mass": 2.0})
