"""Bad configs fail with one line naming the key and the file, exit non-zero, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from s2r.cli import main
from s2r.errors import ConfigError
from s2r.sim import load_robot_description

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "my_pendulum.yaml").read_text()


def robot_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "robot.yaml"
    path.write_text(text)
    (tmp_path / "my_pendulum.urdf").write_text((DATA / "my_pendulum.urdf").read_text())
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + "colour: red\n", "unknown key 'colour'"),
    (lambda t: t.replace("control_rate: 100.0", "control_rate: fast"), "control_rate"),
    (lambda t: t.replace("low: -12.0", "low: 20.0"), "inverted command range low=20.0"),
    (lambda t: t.replace("urdf: my_pendulum.urdf", "urdf: missing.urdf"),
     "urdf: file not found"),
    (lambda t: t.replace("timestep: 0.002", "timestep: 0.5"), "timestep"),
    (lambda t: t.replace("damping: 0.002", "damping: -1"), "joints[0].damping: must be >= 0"),
    (lambda t: t + "parameters:\n  link.rod.mass: {low: 2.0, high: 1.0}\n",
     "parameters.link.rod.mass: inverted range"),
    (lambda t: t.replace("joint: shoulder\n    type", "joint: elbow\n    type"),
     "'elbow' is not one of joints"),
    (lambda t: t.replace("  - name: shoulder", "  - name: shoulder\n    colour: 1"),
     "unknown key 'colour' in JointConfig (did you mean 'coulomb'?)"),
])
def test_bad_robot_yaml_names_key_and_file(tmp_path, edit, message):
    path = robot_yaml(tmp_path, edit(GOOD))
    with pytest.raises(ConfigError) as info:
        load_robot_description(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_out_of_bounds_parameter_override_is_refused(tmp_path):
    from s2r.sim import SimRobot

    path = robot_yaml(tmp_path, GOOD + "parameters:\n  link.rod.mass: {nominal: 9.0, high: 1.0}\n")
    with pytest.raises(ConfigError, match="parameters.link.rod.mass: nominal 9.0 is outside"):
        SimRobot(path)
    path = robot_yaml(tmp_path, GOOD + "parameters:\n  link.nope.mass: {high: 1.0}\n")
    with pytest.raises(ConfigError, match="link.nope.mass: this robot has no such parameter"):
        SimRobot(path)


def test_invalid_yaml_syntax(tmp_path):
    path = robot_yaml(tmp_path, "name: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_robot_description(path)


def test_cli_prints_one_line_and_exits_nonzero(tmp_path, capsys):
    path = robot_yaml(tmp_path, GOOD + "colour: red\n")
    assert main(["params", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown key 'colour'" in err and str(path) in err
    assert main(["rollout", "episodes=two"]) == 2
    assert "episodes" in capsys.readouterr().err
    assert main(["rollout", "nonsense"]) == 2
    assert "not of the form key=value" in capsys.readouterr().err


def test_console_script_has_no_traceback_for_user_errors():
    proc = subprocess.run([sys.executable, "-m", "s2r", "params", "no_such_robot"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("s2r params: error: robots: unknown robot 'no_such_robot' "
                                   "(built-in: cartpole, furuta, pendulum)")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "s2r", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0
    for name in ("robots", "params", "tasks", "rollout"):
        assert f"    {name} " in proc.stdout


def test_params_and_robots_commands(capsys):
    assert main(["params", "furuta"]) == 0
    out = capsys.readouterr().out
    assert "motor.arm.resistance" in out and "8.4" in out and "ohm" in out
    assert main(["robots"]) == 0
    assert "furuta" in capsys.readouterr().out


def test_rollout_writes_a_readable_log(tmp_path, capsys):
    from s2r.logs import read_log

    out = tmp_path / "r.s2r.csv"
    assert main(["rollout", "task=pendulum_swingup", "episodes=2", "max_steps=20",
                 f"out={out}"]) == 0
    log = read_log(out)
    assert len(log.episodes) == 2 and len(log.episodes[0].frame) == 20
    assert log.meta.units["u.hinge"] == "N*m"
    assert log.meta.params["link.pole.mass"] == 1.0


def test_unknown_key_with_several_close_names_gets_a_hint_not_a_crash():
    from dataclasses import dataclass

    from s2r.config import load_structured
    from s2r.errors import ConfigError

    @dataclass
    class Effects:
        action_jitter: float = 0.0
        action_jittor: float = 0.0

    with pytest.raises(ConfigError, match=r"unknown key 'action_jiter'.*did you mean "
                                          r"'action_jitter', 'action_jittor'\?\)"):
        load_structured(Effects, overrides=["action_jiter=0.1"])
