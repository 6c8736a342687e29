"""benchmarks/sysid_recovery.py --quick: records from the emulator, fits, prints the table.

A smoke run (bench truth, 6 s, small budgets): the table and the summary are produced
and every error is a finite number. No figure of merit is asserted here; the
measurement is the full run (s2r/sysid/README.md).
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
bench = importlib.import_module("sysid_recovery")


def test_quick_run_prints_the_table_with_finite_errors(capsys, tmp_path):
    summary = bench.main(["--quick", "--workers", "1", "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert "## truth bench" in text and "## summary over 1 truths" in text
    assert "identified" in text and "baseline err" in text
    assert summary["quantities"] >= 1
    for key in ("median_error", "max_error", "median_baseline_error", "median_nrmse_ratio"):
        assert math.isfinite(summary[key]), key
    assert 0.0 <= summary["coverage"] <= 1.0
    assert (tmp_path / "bench" / "report.html").is_file()


def test_random_truths_stay_in_the_documented_ranges():
    from s2r.sim import SimRobot

    with SimRobot("furuta") as sim:
        nominal = sim.get_params()
    rng = np.random.default_rng(0)
    for _ in range(20):
        truth = bench.random_truth(rng, nominal)
        p = truth["params"]
        for name in bench.SCALED:
            assert 0.7 <= p[name] / nominal[name] <= 1.3, name
        assert 0.0 <= p["delay.action"] <= 0.010
        assert 0.0 <= truth["effects"]["action_jitter"] <= min(0.001, p["delay.action"])
        assert p["sensor.arm.resolution"] > 0  # the bench's encoders
