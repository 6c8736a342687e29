"""`s2r demo` runs the loop on the emulator: every log readable, the gap opens and closes."""

from __future__ import annotations

import re

from s2r.cli import main
from s2r.logs import read_log


def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", f"out={tmp_path}", "duration=2", "episodes=1"]) == 0
    out = capsys.readouterr().out
    for name in ("record", "deploy", "sim"):
        log = read_log(tmp_path / f"{name}.s2r.csv")
        assert len(log.frame) > 0
    assert read_log(tmp_path / "record.s2r.csv").meta.source == "emulator"
    gaps = {label: [float(x) for x in re.findall(r"(\d+\.\d+) rad", line)]
            for label, line in ((ln.split()[0], ln) for ln in out.splitlines()
                                if ln.strip().startswith(("nominal model", "true parameters")))}
    assert sum(gaps["true"]) < 0.2 * sum(gaps["nominal"])  # the truth closes most of the gap
