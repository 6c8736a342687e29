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


def test_the_summary_separates_weakly_determined_quantities():
    firm = bench.Quantity("motor.arm.resistance", 9.1, 8.4, 9.0, (8.9, 9.1))  # +-1.1 %
    weak = bench.Quantity("joint.pendulum.coulomb", 5e-5, 0.0, 4e-5, (1e-5, 9e-5))  # +-100 %
    delay = bench.Quantity("delay.action", 0.0, 0.0, 0.0004, (0.0, 0.0008))  # +-0.4 ms of 10
    assert firm.determined and not weak.determined and delay.determined
    out = bench.Outcome("t", [firm, weak, delay], 1.0, 2.0, 1.0, 10, 10, {"q.arm": 0.1})
    s = bench.summarise([out])
    assert s["determined"] == 2 and s["quantities"] == 3
    # the firm resistance is 1.1 % off, its interval reaching the truth; the delay exact
    assert s["determined_within_5pct"] == 1.0 and s["determined_coverage"] == 1.0
    assert s["within_5pct"] == 2 / 3  # the weak Coulomb friction is 20 % off
