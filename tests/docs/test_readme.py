"""The README's examples run: its randomization YAML loads and its Python blocks execute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_randomization_yaml_example_is_valid(tmp_path):
    from randomizers.registry import load_randomization
    from randomizers.schedules import load_curriculum

    yaml = next(b for b in blocks("yaml") if "randomizers:" in b)
    path = tmp_path / "my_set.yaml"
    path.write_text(yaml)
    randomizers = load_randomization(path)
    assert [r.type for r in randomizers][:3] == ["mass", "actuator", "joint_friction"]
    load_curriculum(path)


@pytest.mark.parametrize("marker", ["SimRobot(\"furuta\")", "gym.make(\"s2r/FurutaSwingup-v0\", "
                                    "params", "from randomizers.registry import load_randomization"
                                    "\nfrom randomizers.wrapper import RandomizedEnv\nfrom s2r"])
def test_python_examples_run(marker, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = next(b for b in blocks("python") if marker in b)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
