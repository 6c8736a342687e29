"""`s2r demo` runs the loop on the emulator through the library calls: every log readable,
the gap opens and closes, and its words are figures with their scale."""

from __future__ import annotations

import re

from hardware.emulator import Emulator, EmulatorConfig
from s2r.cli import main
from s2r.commands.emulate import _truth_line, truth_differences
from s2r.logs import read_log


def test_demo_runs_end_to_end(tmp_path, capsys, monkeypatch):
    import s2r.cli

    def no_main(argv=None):  # the demo calls library functions, never the CLI
        raise AssertionError(f"demo called main({argv})")

    monkeypatch.setattr(s2r.cli, "main", no_main)
    assert main(["demo", f"out={tmp_path}", "duration=2", "episodes=1"]) == 0
    out = capsys.readouterr().out
    for name in ("record", "deploy", "sim"):
        log = read_log(tmp_path / f"{name}.s2r.csv")
        assert len(log.frame) > 0
    assert read_log(tmp_path / "record.s2r.csv").meta.source == "emulator"
    assert read_log(tmp_path / "sim.s2r.csv").meta.policy == "scripted:sine"
    gaps = {label: [float(x) for x in re.findall(r"(\d+\.\d+) % of \d+\.\d+ rad", line)]
            for label, line in ((ln.split()[0], ln) for ln in out.splitlines()
                                if ln.strip().startswith(("nominal model", "true parameters")))}
    assert len(gaps["nominal"]) == len(gaps["true"]) == 2  # both joints, with their range
    assert sum(gaps["true"]) < 0.2 * sum(gaps["nominal"])  # the truth closes most of the gap
    text = " ".join(out.split())
    for banned in ("next issue", "100 % of the gap", "the rest is noise"):
        assert banned not in text


def test_demo_and_emulate_count_the_same_differing_parameters(capsys):
    with Emulator(EmulatorConfig(robot="furuta", truth="bench", mode="lockstep")) as emu:
        n = len(truth_differences(emu))
        assert f"({n} parameters differ from nominal)" in _truth_line(emu)
        # a heavier pendulum changes its inertias too; float noise is not a difference
        assert "link.pendulum.inertia_xx" in truth_differences(emu)
        assert "link.arm.inertia_zz" not in truth_differences(emu)
