"""Errors in task and robot YAML files name the file; ``s2r params`` takes parameter values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from s2r.cli import main
from s2r.errors import ConfigError
from s2r.tasks.config import make_task

DATA = Path(__file__).parent / "data"


def robot_yaml(tmp_path: Path, edit=lambda t: t) -> Path:
    (tmp_path / "my_pendulum.urdf").write_text((DATA / "my_pendulum.urdf").read_text())
    path = tmp_path / "robot.yaml"
    path.write_text(edit((DATA / "my_pendulum.yaml").read_text()))
    return path


def task_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, message", [
    ("task: pendulum_swingup\nmax_steps: many\n", "max_steps: Value 'many'"),
    ("task: pendulum_swingup\nmax_steps: [1]\n", "max_steps: Value '[1]'"),
    ("task: pendulum_swingup\nmax_steps: -2\n", "max_steps: must be > 0, got -2"),
    ("task: pendulum_swingup\nparams: {link.pole.mass: heavy}\n", "params.link.pole.mass: Value"),
    ("task: pendulum_swingup\nparams: {link.pole.mass: .nan}\n",
     "params.link.pole.mass: must be finite, got nan"),
    ("task: pendulum_swingup\nparams: {link.nope.mass: 1.0}\n",
     "params.link.nope.mass: unknown parameter (did you mean link.pole.mass"),
    ("task: pendulum_swingup\nparams: {link.pole.mass: 1000.0}\n",
     "params.link.pole.mass: 1000.0 kg is outside the bounds"),
    ("task: swingup\n", "task: unknown task 'swingup'"),
])
def test_task_yaml_errors_name_the_task_file(tmp_path, text, message):
    path = task_yaml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        make_task(path).close()
    assert str(info.value).startswith(f"{path}: {message}")


def test_a_broken_robot_yaml_behind_a_task_is_named(tmp_path, capsys):
    robot = robot_yaml(tmp_path, lambda t: t.replace("control_rate: 100.0", "control_rate: fast"))
    path = task_yaml(tmp_path, f"task: pendulum_swingup\nrobot: {robot}\n")
    assert main(["rollout", f"task={path}", "episodes=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"s2r rollout: error: {robot}: control_rate: Value 'fast'")
    assert err.count("\n") == 1


def test_nan_in_a_robot_yaml_names_file_and_key(tmp_path, capsys):
    robot = robot_yaml(tmp_path, lambda t: t.replace("damping: 0.002", "damping: .nan"))
    assert main(["params", str(robot)]) == 2
    assert capsys.readouterr().err == \
        f"s2r params: error: {robot}: joints[0].damping: must be finite, got nan\n"


def _row(out: str, name: str) -> list[str]:
    line = re.search(rf"^ {re.escape(name)} .*$", out, re.MULTILINE)
    assert line, out
    return line.group(0).split()


def test_params_sets_parameter_values_and_shows_them(capsys):
    assert main(["params", "furuta", "link.pendulum.mass=0.03", "control_rate=100"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ name +value +nominal +low +high", out, re.MULTILINE)
    assert _row(out, "link.pendulum.mass")[1:4] == ["0.03", "*", "0.024"]
    assert _row(out, "world.control_period")[1:3] == ["0.01", "0.01"]  # the YAML override
    assert "* set on the command line" in out
    # without values there is no value column
    assert main(["params", "furuta"]) == 0
    assert re.search(r"^ name +nominal +low", capsys.readouterr().out, re.MULTILINE)


@pytest.mark.parametrize("override, message", [
    ("link.pendulm.mass=0.03", "<overrides>: link.pendulm.mass: unknown parameter (did you "
     "mean link.pendulum.mass"),
    ("link.pendulum.mass=heavy", "<overrides>: link.pendulum.mass: a parameter value must be "
     "a finite number, got 'heavy'"),
    ("link.pendulum.mass=nan", "a parameter value must be a finite number, got 'nan'"),
    ("link.pendulum.mass=30", "<overrides>: link.pendulum.mass: 30.0 kg is outside the bounds"),
    ("contrl_rate=5", "unknown key 'contrl_rate' in RobotConfig (did you mean 'control_rate'?)"),
])
def test_params_bad_overrides_say_what_to_do(override, message, capsys):
    assert main(["params", "furuta", override]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    if "unknown parameter" in message:
        assert "`s2r params furuta` lists the parameter names" in err


def test_a_robot_path_in_a_task_is_relative_to_the_task_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    robot_yaml(folder)
    path = task_yaml(folder, "task: pendulum_swingup\nrobot: robot.yaml\nmax_steps: 5\n")
    monkeypatch.chdir(tmp_path)  # not the task's folder
    env = make_task(path)
    try:
        assert env.robot.description.name == "my_pendulum"
    finally:
        env.close()


@pytest.mark.parametrize("robot, message", [
    ("missing.yaml", "robot: no robot YAML 'missing.yaml' beside the task file or in the "
     "working directory"),
    ("furutaa", "robot: unknown robot 'furutaa' (built-in: cartpole, furuta, pendulum)"),
])
def test_a_bad_robot_in_a_task_names_the_task_file(tmp_path, robot, message):
    path = task_yaml(tmp_path, f"task: pendulum_swingup\nrobot: {robot}\n")
    with pytest.raises(ConfigError) as info:
        make_task(path)
    assert str(info.value) == f"{path}: {message}"
    with pytest.raises(ConfigError) as info:
        make_task("pendulum_swingup", [f"robot={robot}"])
    assert str(info.value).startswith("<overrides>: robot: ")
