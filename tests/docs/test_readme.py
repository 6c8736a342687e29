"""Every fenced block of README.md runs, through the runner of its language.

- ``python``: executed in a temporary directory. Files it reads that another README block
  writes (``my_pendulum.yaml``, ``run.s2r.csv``) are made first by running that block.
- ``yaml``: loaded by what it configures (a randomization config drives the Furuta task, a
  robot config builds a SimRobot); its first line names the file (``# my_set.yaml``).
- ``bash``: run with ``bash -e`` in a temporary directory, the venv's ``s2r`` first on the
  PATH, against the real emulator where the block starts one. ``make`` lines run as
  ``make -n`` (a dry run: the targets exist and the Makefile parses; running them would
  reinstall the venv). Documented substitutions (SHORTEN) shorten long recordings, keep
  the port file private to the test and give the device watchdog slack on a loaded machine.
- ``toml``: parsed, and its entry-point group is the one the randomizer registry reads.
- ``console``: ``$ command`` lines run; the output must be the lines shown.
- ``text``: an illustration of output, not run.

Any other fence (or none) has no runner and fails :func:`test_every_block_has_a_runner`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, a dependency of pytest there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin: its `s2r`
EXCLUDED = {"text"}

#: (README text, what the test runs instead): shorter recordings, a private port file, and
#: a device watchdog of 1 s instead of 100 ms, so that a host stalled by a loaded machine
#: does not trip it.
SHORTEN = [("duration=10", "duration=2"), ("/tmp/port", "{tmp}/port"),
           ("s2r emulate robot=furuta", "s2r emulate robot=furuta watchdog_ms=1000")]


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int  # of the opening fence

    @property
    def writes(self) -> set[str]:
        """Files this block creates: a ``# name.ext`` first line (yaml) or ``out=`` args
        (a file or a directory)."""
        names = set(re.findall(r"\bout=(\S+)", self.code)) if self.lang == "bash" else set()
        first = self.code.splitlines()[0] if self.code else ""
        m = re.match(r"#\s*(\S+\.ya?ml)\b", first)
        if self.lang == "yaml" and m:
            names.add(m.group(1))
        return names


def parse_blocks(text: str) -> list[Block]:
    """The fenced blocks of a markdown text (fences at the start of a line)."""
    out = []
    for m in re.finditer(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", text, flags=re.S | re.M):
        out.append(Block(m.group(1).strip(), m.group(2), text.count("\n", 0, m.start()) + 1))
    return out


BLOCKS = parse_blocks(README.read_text())


def env_for_shell() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}".rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    return env


def make_prerequisites(code: str, tmp: Path) -> None:
    """Run the README blocks that write the files ``code`` mentions, into ``tmp``."""
    for block in BLOCKS:
        for name in sorted(block.writes):
            if name in code and not (tmp / name).exists() and block.code != code:
                RUNNERS[block.lang](block, tmp)


# ------------------------------------------------------------------------- runners


def run_python(block: Block, tmp: Path) -> None:
    make_prerequisites(block.code, tmp)
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        exec(compile(block.code, f"README.md:{block.line}", "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)


def run_yaml(block: Block, tmp: Path) -> None:
    from omegaconf import OmegaConf

    (name,) = [n for n in block.writes if n.endswith((".yaml", ".yml"))] or ["block.yaml"]
    path = tmp / name
    path.write_text(block.code)
    cfg = OmegaConf.load(path)
    if "randomizers" in cfg:
        check_randomization(path)
    elif "urdf" in cfg and "actuators" in cfg:
        check_robot(path, cfg)
    else:
        pytest.fail(f"README.md:{block.line}: a yaml block this test cannot load: "
                    "teach run_yaml what it configures")


def check_randomization(path: Path) -> None:
    import gymnasium as gym

    import s2r.tasks  # noqa: F401
    from randomizers.registry import load_randomization
    from randomizers.schedules import load_curriculum
    from randomizers.wrapper import RandomizedEnv

    env = RandomizedEnv(gym.make("s2r/FurutaSwingup-v0"), load_randomization(path), seed=0)
    try:
        load_curriculum(path)
        _, info = env.reset(seed=0)
        assert info["randomization"], "nothing was sampled"
        for _ in range(5):
            env.step(env.action_space.sample())
    finally:
        env.close()


def check_robot(path: Path, cfg) -> None:
    from s2r.sim import SimRobot

    shutil.copy(ROOT / "tests" / "s2r" / "data" / str(cfg.urdf), path.parent / str(cfg.urdf))
    with SimRobot(str(path)) as robot:
        for name, bounds in (cfg.get("parameters") or {}).items():
            param = robot.params[name]
            assert (param.low, param.high) == (bounds.get("low", param.low),
                                               bounds.get("high", param.high))
        robot.reset(q=[0.5])
        robot.act([1.0])
        assert robot.observe().q[0] != 0.5  # it moved


def run_bash(block: Block, tmp: Path) -> None:
    script = block.code
    for old, new in SHORTEN:
        script = script.replace(old, new.format(tmp=tmp))
    script = re.sub(r"^make ", f"make -n -C {ROOT} ", script, flags=re.M)
    # a failing line ends the block: its background jobs (an emulator) end with it, else
    # they would hold the output pipe open and hide the error behind a timeout
    script = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
    proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=tmp, env=env_for_shell(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=240)
    finally:
        try:  # whatever the block left running (an emulator) ends with it
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, f"README.md:{block.line} failed:\n{out}"
    for name in block.writes:  # a file, or a directory with something in it
        path = tmp / name
        written = path.is_file() or (path.is_dir() and any(path.iterdir()))
        assert written, f"README.md:{block.line}: {name} was not written"


def test_a_failing_block_reports_its_error_while_a_background_job_runs(tmp_path):
    block = Block("bash", "sleep 1000 &\necho the-real-error; false\n", 7)
    with pytest.raises(AssertionError, match="README.md:7 failed:\\s+the-real-error"):
        run_bash(block, tmp_path)


def run_toml(block: Block, tmp: Path) -> None:
    from randomizers.registry import ENTRY_POINT_GROUP

    doc = tomllib.loads(block.code)
    groups = doc.get("project", {}).get("entry-points", {})
    assert ENTRY_POINT_GROUP in groups, f"README.md:{block.line}: not {ENTRY_POINT_GROUP}"


def run_console(block: Block, tmp: Path) -> None:
    lines = block.code.rstrip("\n").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("$ ")] + [len(lines)]
    assert starts[0] == 0, f"README.md:{block.line}: a console block starts with '$ '"
    for a, b in zip(starts, starts[1:]):
        proc = subprocess.run(["bash", "-c", lines[a][2:]], cwd=tmp, env=env_for_shell(),
                              capture_output=True, text=True, timeout=120)
        shown = "\n".join(lines[a + 1:b])
        assert (proc.stdout + proc.stderr).strip() == shown.strip(), lines[a]


RUNNERS = {"python": run_python, "yaml": run_yaml, "bash": run_bash, "toml": run_toml,
           "console": run_console}


# --------------------------------------------------------------------------- tests


def block_id(block: Block) -> str:
    return f"{block.lang or 'none'}-line{block.line}"


def test_every_block_has_a_runner():
    missing = [f"README.md:{b.line} ```{b.lang}" for b in BLOCKS
               if b.lang not in RUNNERS and b.lang not in EXCLUDED]
    assert not missing, f"fenced blocks without a runner in {__file__}: {missing}"


def test_parser_sees_every_fence_and_flags_unknown_languages():
    text = "x\n```python\nprint(1)\n```\n\n```\nbare\n```\n```rust\nfn main() {}\n```\n"
    blocks = parse_blocks(text)
    assert [(b.lang, b.line) for b in blocks] == [("python", 2), ("", 6), ("rust", 9)]
    assert [b.lang in RUNNERS or b.lang in EXCLUDED for b in blocks] == [True, False, False]
    assert len(BLOCKS) == README.read_text().count("\n```") // 2


@pytest.mark.parametrize("block", [pytest.param(b, id=block_id(b))
                                   for b in BLOCKS if b.lang in RUNNERS])
def test_readme_block_runs(block, tmp_path):
    RUNNERS[block.lang](block, tmp_path)


def test_every_substitution_applies_to_a_shell_block():
    shell = "".join(b.code for b in BLOCKS if b.lang == "bash")
    assert [old for old, _ in SHORTEN if old not in shell] == []


def test_shell_runner_fails_on_a_failing_command(tmp_path):
    with pytest.raises(AssertionError, match="failed"):
        run_bash(Block("bash", "s2r params no_such_robot\n", 1), tmp_path)


def test_console_runner_compares_the_output(tmp_path):
    run_console(Block("console", "$ echo hi\nhi\n", 1), tmp_path)
    with pytest.raises(AssertionError):
        run_console(Block("console", "$ echo hi\nhello\n", 1), tmp_path)


def test_randomization_example_is_the_furuta_set(tmp_path):
    (block,) = [b for b in BLOCKS if "my_set.yaml" in b.writes]
    run_yaml(block, tmp_path)
    from randomizers.registry import load_randomization

    kinds = [r.type for r in load_randomization(tmp_path / "my_set.yaml")]
    assert kinds[:3] == ["mass", "actuator", "joint_friction"]

