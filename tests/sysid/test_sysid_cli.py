"""``s2r sysid`` end to end on a log recorded from the emulator (hidden truth: bench)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hardware.emulator import Emulator, EmulatorConfig
from s2r.cli import main
from s2r.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
#: the emulator's hidden truth for two parameters whose nominal value is 0
BENCH = {name: yaml.safe_load((REPO / "configs/hardware/truth/furuta_bench.yaml").read_text())
         ["params"][name] for name in ("motor.arm.deadzone", "joint.arm.coulomb")}


@pytest.mark.slow
def test_sysid_on_an_emulator_recording_moves_toward_the_truth(tmp_path, capsys):
    """Bench truth (encoder counts, velocity filter, delay with jitter, friction, deadzone)
    without its centre-of-mass shift, which a fit of these parameters cannot absorb."""
    bench = (REPO / "configs/hardware/truth/furuta_bench.yaml").read_text()
    truth = tmp_path / "truth.yaml"
    truth.write_text("\n".join(line for line in bench.splitlines() if "com_z" not in line))
    rec = tmp_path / "rec.s2r.csv"
    # lockstep has no deadline: generous timeouts, so a loaded machine does not trip them
    with Emulator(EmulatorConfig(robot="furuta", mode="lockstep", seed=0, truth=str(truth),
                                 lockstep_wall_timeout_ms=30000)) as emu:
        assert main(["record", "robot=furuta", f"port={emu.port}", "excitation=multisine",
                     "duration=12", "amplitude=3", "f0=0.3", "f1=4", f"out={rec}",
                     "paced=false", "reply_timeout=2.0"]) == 0
    out = tmp_path / "fit"
    assert main(["sysid", "robot=furuta", f"logs=[{rec}]", f"out={out}", "workers=2",
                 "params=[link.pendulum.mass,joint.arm.damping,joint.arm.coulomb,"
                 "motor.arm.resistance,motor.arm.torque_constant,motor.arm.deadzone]",
                 "holdout=0.25", "margin=0.3"]) == 0
    text = capsys.readouterr().out
    assert "held-out q.pendulum: NRMSE nominal" in text and str(out) in text
    doc = yaml.safe_load((out / "result.yaml").read_text())
    for name, value in BENCH.items():  # nominal: 0
        assert doc["params"][name]["value"] == pytest.approx(value, rel=0.25), name
    assert any(c["combination"] == "motor.arm.torque_constant / motor.arm.resistance"
               and c["meaning"] == "torque per volt" for c in doc["identified"])
    assert "torque per volt: motor.arm.torque_constant / motor.arm.resistance" in text
    ranges = {e["params"]: e["distribution"] for e in yaml.safe_load(
        (out / "randomization.yaml").read_text())["randomizers"]}
    for name, p in doc["params"].items():  # margin: every range at least +30 % above the fit
        if isinstance(ranges[name], list):
            assert ranges[name][1] >= 1.3 * p["value"] * (1 - 1e-9), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"] == "held-out"
    for ch in ("q.arm", "q.pendulum"):
        s = summary["channels"][ch]
        assert s["nrmse_fitted"] < 0.5 * s["nrmse_nominal"], ch


def test_sysid_cli_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert main(["sysid", "robot=furuta", "params=[link.pendulum.mass]"]) == 2
    assert "logs: give at least one log" in capsys.readouterr().err
    missing = tmp_path / "missing.s2r.csv"
    assert main(["sysid", "robot=furuta", f"logs=[{missing}]",
                 "params=[link.pendulum.mass]"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.s2r.csv: no such log file" in err[0]
    assert main(["sysid", "robot=furuta", f"logs=[{missing}]", "params=[x]",
                 "method=newton"]) == 2
    assert "method" in capsys.readouterr().err
    assert main(["sysid", "robot=furuta", f"logs=[{missing}]", "params=[x]",
                 "distribution=wide"]) == 2
    assert "distribution" in capsys.readouterr().err


def test_sysid_help_and_the_shipped_config(capsys):
    from s2r.commands.sysid import SysidConfig
    from s2r.config import load_structured

    with pytest.raises(SystemExit):
        main(["sysid", "--help"])
    text = capsys.readouterr().out
    for key in ("robot", "logs", "params", "holdout", "segment", "signals", "start_velocity",
                "distribution", "dropo", "free_start", "ray_address"):
        assert f"  {key} " in text
    cfg = load_structured(SysidConfig, REPO / "configs/sysid/furuta_motor.yaml")
    assert cfg.robot == "furuta" and cfg.segment == 0.15 and "motor.arm.deadzone" in cfg.params
    with pytest.raises(ConfigError, match="start_velocity: must be logged or central"):
        load_structured(SysidConfig, None, ["robot=furuta", "start_velocity=filtered"])
    with pytest.raises(ConfigError, match="free_start"):
        load_structured(SysidConfig, None, ["robot=furuta", "free_start=all"])
