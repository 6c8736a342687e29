"""`s2r demo --quick` runs the whole loop on the emulator as a user runs it: record, identify,
train two policies, deploy both over the serial link, evaluate both in sim, report; every
artefact is in the run directory and the table's figures are the logs' figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import yaml

from hardware.emulator import Emulator, EmulatorConfig
from s2r.cli import main
from s2r.commands.emulate import _truth_line, truth_differences
from s2r.compare import nrmse, replay_commands
from s2r.demo import SYSID_PARAMS, DemoConfig
from s2r.logs import read_log
from s2r.sim import SimRobot

# A truth other than the bench's: heavier arm friction, a longer delay, a larger deadzone.
OTHER_TRUTH = {
    "link.pendulum.mass": 0.028, "joint.arm.damping": 0.001, "joint.arm.coulomb": 0.003,
    "motor.arm.deadzone": 0.35, "motor.arm.torque_constant": 0.045, "delay.action": 0.006,
}


def _mean_return(log_path) -> float:
    return float(np.mean([ep.end["ret"] for ep in read_log(log_path).episodes]))


def _replay_error(log_path, params: dict[str, float]) -> float:
    episode = read_log(log_path).episodes[0]
    with SimRobot("furuta") as robot:
        robot.set_params(params)
        q, _ = replay_commands(robot, episode.q[0], episode.qd[0], episode.u)
    return float(np.nanmean(nrmse(q, episode.q)))


@pytest.mark.slow
def test_quick_demo_runs_the_whole_loop_against_a_truth_file(tmp_path):
    truth = tmp_path / "truth.yaml"
    truth.write_text(yaml.safe_dump({"robot": "furuta", "params": OTHER_TRUTH}))
    proc = subprocess.run([sys.executable, "-m", "s2r", "demo", "--quick", f"out={tmp_path}",
                           f"truth={truth}"], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "200"},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.returncode == 0, proc.stderr[-3000:]
    run, = [p for p in tmp_path.iterdir() if p.name.startswith("run-")]
    assert f"every artefact of this run: {run}" in proc.stdout, proc.stdout[-2000:]
    rec = run / "record" / "excitation.s2r.csv"
    assert read_log(rec).meta.source == "emulator"
    # the emulator ran the truth file, not the bench: its parameters replay the recording
    with Emulator(EmulatorConfig(robot="furuta", truth="bench", mode="lockstep")) as emu:
        bench = dict(emu.truth)
    assert _replay_error(rec, OTHER_TRUTH) < 0.5 * _replay_error(rec, bench)
    for name in ("result.yaml", "params.yaml", "randomization.yaml", "summary.json"):
        assert (run / "sysid" / name).is_file()
    table = json.loads((run / "demo.json").read_text())
    assert [p["name"] for p in table["policies"]] == ["nominal", "identified"]
    for p in table["policies"]:
        spec = json.loads((run / f"train-{p['name']}" / "policy" / "spec.json").read_text())
        assert spec["task"] == "furuta_swingup"
        real = run / f"real-{p['name']}" / "deploy.s2r.csv"
        sim = run / f"sim-{p['name']}" / "eval.s2r.csv"
        assert read_log(real).meta.source == "emulator" and read_log(sim).meta.source == "sim"
        assert p["real_return"] == pytest.approx(_mean_return(real))
        assert p["sim_return"] == pytest.approx(_mean_return(sim))
        assert p["ratio"] == pytest.approx(p["real_return"] / p["sim_return"])
        assert f"{p['sim_return']:.1f}" in proc.stdout and f"{p['real_return']:.1f}" in proc.stdout
    # the identified policy starts from the nominal one; both learn 10 s episodes
    configs = {n: json.loads((run / f"train-{n}" / "config.json").read_text())
               for n in ("nominal", "identified")}
    assert configs["identified"]["init"] == str(run / "train-nominal")
    assert configs["nominal"]["init"] is None
    # the identified policy is picked on sysid's randomization, not on its centre alone
    assert (configs["identified"]["select"], configs["nominal"]["select"]) == (
        "randomized", "nominal")
    assert {c["max_steps"] for c in configs.values()} == {1000}
    identified = json.loads((run / "train-identified" / "policy" / "spec.json").read_text())
    assert "sysid" in json.dumps(identified["randomization"])
    fitted = yaml.safe_load((run / "sysid" / "params.yaml").read_text())
    result = yaml.safe_load((run / "sysid" / "result.yaml").read_text())
    assert result["distribution"]["margin"] == DemoConfig().margin > 0
    assert set(result["params"]) == set(SYSID_PARAMS)
    with SimRobot("furuta") as robot:
        high = {name: robot.params[name].high for name in SYSID_PARAMS}
    for entry in yaml.safe_load((run / "sysid" / "randomization.yaml").read_text())[
            "randomizers"]:  # the margin: no range narrower than +-margin around the fit
        name, dist = entry["params"], entry["distribution"]
        if isinstance(dist, list) and dist[1] < high[name]:
            assert dist[1] - fitted[name] >= DemoConfig().margin * abs(fitted[name]) * (
                1 - 1e-9), entry
    assert identified["params"]["motor.arm.deadzone"] == pytest.approx(
        fitted["motor.arm.deadzone"])
    for name in ("report.html", "report.md", "metrics.json"):
        assert (run / "report" / name).stat().st_size > 0


@pytest.mark.parametrize("truth, message", [
    ("nowhere.yaml", "truth=nowhere.yaml: no such truth file"),
    ({"link.pendulum.mass": 5.0}, "params.link.pendulum.mass: 5.0 kg is outside the bounds"),
    ({"link.pendulum.mas": 0.03}, "params.link.pendulum.mas: unknown parameter"),
])
def test_a_bad_truth_is_refused_before_anything_starts(tmp_path, capsys, truth, message):
    out = tmp_path / "out"
    if isinstance(truth, dict):
        path = tmp_path / "truth.yaml"
        path.write_text(yaml.safe_dump({"params": truth}))
        truth = str(path)
    assert main(["demo", "--quick", f"out={out}", f"truth={truth}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_demo_and_emulate_count_the_same_differing_parameters(capsys):
    with Emulator(EmulatorConfig(robot="furuta", truth="bench", mode="lockstep")) as emu:
        n = len(truth_differences(emu))
        assert f"({n} parameters differ from nominal)" in _truth_line(emu)
        # a heavier pendulum changes its inertias too; float noise is not a difference
        assert "link.pendulum.inertia_xx" in truth_differences(emu)
        assert "link.arm.inertia_zz" not in truth_differences(emu)
