"""One robot description and spec for sim and hardware, without PyBullet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from s2r.config import builtin_names
from s2r.description import load_robot_description, spec_from_description, spec_of
from s2r.errors import RobotError
from s2r.sim import SimRobot

ROOT = Path(__file__).resolve().parents[2]


def test_hardware_and_log_readers_do_not_start_pybullet():
    code = ("import sys, hardware.serial_robot, hardware.robot_spec, s2r.logs, s2r.sim, "
            "s2r.sim.description, s2r.description\n"
            "spec = hardware.serial_robot.spec_of('furuta')\n"
            "assert spec.joint_names == ['arm', 'pendulum'], spec\n"
            "assert 'pybullet' not in sys.modules, 'pybullet was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", builtin_names("robots"))
def test_sim_robot_spec_is_the_description_spec(name):
    desc = load_robot_description(name)
    with SimRobot(desc) as robot:
        assert robot.spec == spec_from_description(desc) == spec_of(name)
        # the URDF-read joint kinds agree with what PyBullet loaded
        assert {j.name: j.kind for j in robot.spec.joints} == robot._loaded.joint_kinds()


def test_hardware_uses_the_same_spec_builder():
    import hardware.robot_spec
    import hardware.serial_robot

    assert hardware.serial_robot.spec_from_description is spec_from_description
    assert hardware.robot_spec.spec_of is spec_of


def test_an_unreadable_urdf_is_a_robot_error(tmp_path):
    desc = load_robot_description("pendulum")
    desc.urdf_path = str(tmp_path / "missing.urdf")
    with pytest.raises(RobotError, match="cannot parse URDF"):
        spec_from_description(desc)
