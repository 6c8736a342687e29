"""The wheel holds everything s2r needs at run time, configs included.

A wheel is built offline from a copy of the source tree, installed with
``pip install --no-deps --target`` into a directory, and used from a working directory
outside the checkout, the way a user who installed s2r would use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, a dependency of pytest there
    import tomli as tomllib

from s2r.config import builtin_names, configs_dir

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".ruff_cache", ".mypy_cache", "*.s2r.csv")


def source_packages() -> set[str]:
    top = ("s2r", "randomizers", "hardware")
    return {".".join(init.parent.relative_to(ROOT).parts)
            for name in top for init in (ROOT / name).rglob("__init__.py")}


def test_every_package_of_the_source_tree_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed == source_packages() | {"s2r._configs"}
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"s2r._configs": "configs"}


def test_build_tools_are_in_the_dev_extra():
    dev = " ".join(PYPROJECT["project"]["optional-dependencies"]["dev"])
    assert "setuptools" in dev and "wheel" in dev


def test_configs_dir_in_a_checkout_and_its_override(monkeypatch, tmp_path):
    assert configs_dir() == ROOT / "configs"
    monkeypatch.setenv("S2R_CONFIGS", str(tmp_path))
    (tmp_path / "robots").mkdir()
    (tmp_path / "robots" / "mine.yaml").write_text("name: mine\n")
    assert configs_dir() == tmp_path and builtin_names("robots") == ["mine"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the directory it was installed into)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist, target = tmp / "src", tmp / "dist", tmp / "site"
    shutil.copytree(ROOT, src, ignore=SKIP)  # the build writes build/ and *.egg-info
    for junk in ("hardware/firmware/build/s2r-fw.hex", "hardware/firmware/tools/__pycache__/"
                 "vectors.cpython-311.pyc"):  # what a local firmware build leaves behind
        (src / junk).parent.mkdir(parents=True, exist_ok=True)
        (src / junk).write_bytes(b"\0")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", ".", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(dist)], cwd=src, check=True, timeout=300, capture_output=True)
    (wheel,) = dist.glob("s2r-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target),
                    str(wheel)], check=True, timeout=300, capture_output=True)
    return wheel, target


def run_installed(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "S2R_CONFIGS")}
    env["PYTHONPATH"] = str(target)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_wheel_holds_every_module_config_and_data_file(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"s2r/_configs/{p.relative_to(ROOT / 'configs').as_posix()}"
                for p in (ROOT / "configs").rglob("*") if p.is_file()}
    for pkg in ("s2r", "randomizers", "hardware"):
        expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / pkg).rglob("*")
                     if p.is_file() and p.suffix in (".py", ".md", ".png", ".c", ".h", ".json")
                     and "__pycache__" not in p.parts}
    assert expected - names == set()
    assert [n for n in names if "firmware/build/" in n or "__pycache__" in n] == []


def test_installed_wheel_runs_outside_the_checkout(installed, tmp_path):
    _, target = installed
    proc = run_installed(target, tmp_path, "-m", "s2r", "params", "furuta")
    assert proc.returncode == 0, proc.stderr
    assert "furuta:" in proc.stdout and "link.pendulum.mass" in proc.stdout
    code = ("import s2r, s2r.config as c\n"
            "from s2r.sim import SimRobot\n"
            "from randomizers.registry import load_randomization\n"
            "from hardware.emulator import load_emulator_config\n"
            "with SimRobot('furuta') as r: r.act([1.0])\n"
            "load_randomization('furuta_full'); load_emulator_config()\n"
            "from s2r.report.schema import schema; assert schema()['$defs']\n"
            "print(s2r.__file__); print(c.configs_dir())\n")
    proc = run_installed(target, tmp_path, "-c", code)
    assert proc.returncode == 0, proc.stderr
    module, configs = proc.stdout.split()
    assert Path(module).is_relative_to(target)  # the installed copy, not the checkout
    assert Path(configs) == target / "s2r" / "_configs"
