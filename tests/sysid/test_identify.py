"""identify(): recovery of known parameters, uncertainty, identifiability, output files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from sysid_logs import TRUTH, position_segments

from hardware.emulator.truth import load_truth
from randomizers.registry import load_randomization
from s2r.errors import ConfigError, LogFormatError, ParameterError
from s2r.sim import SimRobot
from s2r.sysid import identify
from s2r.sysid.data import read_recordings
from s2r.sysid.evaluate import Evaluator


@pytest.fixture(scope="module")
def lsq(furuta_log, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    stages = []
    result = identify("furuta", [furuta_log], list(TRUTH), workers=1, out=out,
                      progress=lambda stage, n, cost: stages.append(stage))
    return result, out, stages


def test_lsq_recovers_the_truth_from_nominal(lsq):
    result, _, stages = lsq
    for name, value in TRUTH.items():
        e = result.params[name]
        assert e.nominal != pytest.approx(value, rel=0.05)  # the start is far off
        assert e.value == pytest.approx(value, rel=1e-4)
        assert e.ci95[0] <= e.value <= e.ci95[1] and e.std >= 0 and e.at_bound is None
    assert {"effect", "fit", "analyse"} <= set(stages)
    assert result.trace[-1] < result.trace[0]


def test_held_out_error_drops_from_nominal_to_fitted(lsq):
    summary = lsq[0].summary
    assert summary["data"] == "held-out"
    for ch in ("q.arm", "q.pendulum"):
        s = summary["channels"][ch]
        assert s["nrmse_nominal"] > 0.05 and s["nrmse_fitted"] < 1e-4
        assert s["fit_percent_fitted"] > s["fit_percent_nominal"]


def test_output_files_load_where_they_are_meant_to(lsq):
    result, out, _ = lsq
    doc = yaml.safe_load((out / "result.yaml").read_text())
    entry = doc["params"]["motor.arm.resistance"]
    assert set(entry) >= {"value", "std", "ci95", "nominal", "at_bound"}
    assert entry["nominal"] == 8.4 and entry["value"] == pytest.approx(9.5, rel=1e-4)
    params = yaml.safe_load((out / "params.yaml").read_text())
    with SimRobot("furuta", params=params) as sim:
        assert sim.get("link.pendulum.mass") == pytest.approx(0.028, rel=1e-4)
        # the emulator takes it as a truth (`s2r emulate truth=<out>/params.yaml`)
        truth = load_truth("furuta", out / "params.yaml", sim.params)
        assert truth.params == pytest.approx(params)
        randomizers = load_randomization(out / "randomization.yaml")
        rng = np.random.default_rng(0)
        for r in randomizers:
            values = r.sample_for(sim, rng)["values"]
            for name, v in values.items():
                lo, hi = result.params[name].ci95
                assert lo - 1e-12 <= v <= hi + 1e-12
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["channels"]) == {"q.arm", "q.pendulum"}


def test_cma_moves_toward_the_truth(furuta_log):
    result = identify("furuta", [furuta_log], list(TRUTH), method="cma", workers=1,
                      max_evaluations=400)
    for name in TRUTH:
        e = result.params[name]
        assert abs(e.value - TRUTH[name]) < 0.3 * abs(e.nominal - TRUTH[name])
    s = result.summary["channels"]["q.pendulum"]
    assert s["nrmse_fitted"] < 0.5 * s["nrmse_nominal"]


def test_a_parameter_without_effect_is_an_error_naming_it(recorder):
    path = recorder("small.s2r.csv", 2.0, amplitude=1.0)
    with SimRobot("furuta") as sim:
        u = read_recordings(path, sim.spec)[0].u
    assert np.abs(u).max() < 2.0  # a voltage limit a little under 5 V never clips them
    with pytest.raises(ParameterError, match="^motor.arm.voltage_limit: has no effect"):
        identify("furuta", [path], ["link.pendulum.mass", "motor.arm.voltage_limit"],
                 workers=1)


def test_inseparable_motor_constants_are_reported_as_their_physical_combinations(recorder,
                                                                                 tmp_path):
    """From voltages and positions, km and Rm act as km/Rm (torque per volt) and, with the
    joint's damping b, as b + km^2/Rm (its viscous damping): those two are reported, by
    meaning and unit, not km, Rm and b on their own."""
    truth = {"motor.arm.resistance": 9.5, "motor.arm.torque_constant": 0.045}
    path = recorder("motor.s2r.csv", 4.0, params=truth)
    result = identify("furuta", [path], ["motor.arm.resistance", "motor.arm.torque_constant",
                                         "joint.arm.damping"], workers=1, holdout=0.0,
                      out=tmp_path / "o")
    combos = {c.name: c for c in result.combinations}
    assert len(combos) == 2  # 3 parameters, one direction unseen
    ratio = combos["motor.arm.torque_constant / motor.arm.resistance"]
    assert (ratio.kind, ratio.meaning, ratio.unit) == ("physical", "torque per volt", "N*m/V")
    assert ratio.value == pytest.approx(0.045 / 9.5, rel=1e-4)
    assert ratio.coefficients == pytest.approx({"motor.arm.resistance": -1.0,
                                                "motor.arm.torque_constant": 1.0})
    damping = combos["joint.arm.damping + motor.arm.torque_constant^2 / motor.arm.resistance"]
    assert damping.unit == "N*m*s/rad" and "back-EMF" in damping.meaning
    assert damping.value == pytest.approx(0.0005 + 0.045 ** 2 / 9.5, rel=1e-4)
    assert 0 < damping.std < 1e-3 * damping.value and 0 < ratio.std < 1e-3 * ratio.value
    for name in ("motor.arm.resistance", "motor.arm.torque_constant", "joint.arm.damping"):
        assert result.params[name].std is None and result.params[name].ci95 is None
    assert any("not identifiable one by one" in w for w in result.warnings)
    doc = yaml.safe_load((tmp_path / "o" / "result.yaml").read_text())
    entry = next(c for c in doc["identified"] if c["meaning"] == "torque per volt")
    assert entry["unit"] == "N*m/V" and entry["value"] == pytest.approx(0.045 / 9.5, rel=1e-4)
    assert "torque per volt" in (tmp_path / "o" / "report.html").read_text()
    # fixing the damping at its true value makes both constants identifiable
    fixed = identify("furuta", [path], ["motor.arm.*"], workers=1, holdout=0.0,
                     fixed={"joint.arm.damping": 0.0005, "motor.arm.deadzone": 0.0,
                            "motor.arm.voltage_limit": 5.0})
    assert fixed.combinations == []
    assert fixed.params["motor.arm.torque_constant"].value == pytest.approx(0.045, rel=1e-3)


def test_parameter_at_a_bound_is_warned_about(recorder):
    path = recorder("bound.s2r.csv", 3.0, params={"joint.arm.damping": 0.0})
    result = identify("furuta", [path], ["joint.arm.damping", "link.pendulum.mass"],
                      workers=1, holdout=0.0)
    assert result.params["joint.arm.damping"].at_bound == "low"
    assert any(w.startswith("joint.arm.damping: at its lower bound") for w in result.warnings)


def test_worker_processes_give_the_same_residuals(furuta_log):
    with SimRobot("furuta") as sim:
        spec = sim.spec
        segs, cols = position_segments(sim, furuta_log)
        values = [TRUTH, {"link.pendulum.mass": 0.02}]
        scales = np.ones(len(cols))
        with Evaluator(sim, segs, cols, spec.joint_names, [], scales, workers=1) as one:
            a = one.many(values)
        with Evaluator(sim, segs, cols, spec.joint_names, [], scales, workers=2) as two:
            b = two.many(values)
    assert np.abs(a[0]).max() < 1e-9 < np.abs(a[1]).max()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)


def test_bad_inputs_are_one_line_errors(furuta_log, recorder, tmp_path):
    with pytest.raises(ParameterError, match="link.nope.mass"):
        identify("furuta", [furuta_log], ["link.nope.mass"], workers=1)
    with pytest.raises(ParameterError, match="matches no parameter"):
        identify("furuta", [furuta_log], ["nothing.*"], workers=1)
    other = recorder("pend.s2r.csv", 0.5, robot="pendulum", params={})
    with pytest.raises(LogFormatError, match="pend.s2r.csv.*the robot furuta has"):
        identify("furuta", [other], ["link.pendulum.mass"], workers=1)
    with pytest.raises(LogFormatError, match="directory holds no"):
        identify("furuta", [tmp_path / "empty"] if (tmp_path / "empty").mkdir() is None
                 else [], ["link.pendulum.mass"], workers=1)
    with pytest.raises(ConfigError, match="unknown signal"):
        identify("furuta", [furuta_log], ["link.pendulum.mass"], signals=["x"], workers=1)
    with pytest.raises(ConfigError, match="method: must be lsq or cma"):
        identify("furuta", [furuta_log], ["link.pendulum.mass"], method="bfgs", workers=1)


def test_holdout_as_a_list_of_logs(furuta_log, recorder):
    held = recorder("held.s2r.csv", 2.0, seed=5)
    result = identify("furuta", [furuta_log, held], ["link.pendulum.mass"], holdout=[held],
                      workers=1)
    assert result.summary["data"] == "held-out"
    with pytest.raises(ConfigError, match="every log is held out"):
        identify("furuta", [held], ["link.pendulum.mass"], holdout=[held], workers=1)


def test_an_action_delay_finer_than_a_physics_step_is_identified(recorder):
    """The delay acts between physics steps (2 ms here), smoothly: least squares finds a
    7 ms delay with its uncertainty, and CMA-ES gets near it too."""
    path = recorder("delay.s2r.csv", 2.0, params={"delay.action": 0.007})
    params = ["delay.action", "link.pendulum.mass"]
    lsq = identify("furuta", [path], params, workers=1, holdout=0.0)
    assert lsq.params["delay.action"].value == pytest.approx(0.007, abs=1e-5)
    assert lsq.params["delay.action"].std is not None
    assert not any(w.startswith("delay.action: small steps") for w in lsq.warnings)
    cma = identify("furuta", [path], params, method="cma", workers=1, holdout=0.0,
                   max_evaluations=200, fixed={})
    assert abs(cma.params["delay.action"].value - 0.007) <= 0.002
    assert cma.params["link.pendulum.mass"].value == pytest.approx(0.024, rel=0.02)


def test_a_torque_actuated_robot_from_a_user_yaml(recorder, tmp_path):
    """The pendulum (torque actuator) loaded from a YAML path, as a user's robot would be."""
    from s2r.config import configs_dir

    yaml_path = configs_dir() / "robots" / "pendulum.yaml"
    truth = {"link.pole.mass": 1.2, "joint.hinge.damping": 0.05}
    path = recorder("pend.s2r.csv", 4.0, robot="pendulum", params=truth, amplitude=1.5)
    result = identify(str(yaml_path), [path], list(truth), workers=1, out=tmp_path / "o")
    for name, value in truth.items():
        assert result.params[name].value == pytest.approx(value, rel=1e-3)
    assert yaml.safe_load((tmp_path / "o" / "params.yaml").read_text()).keys() == truth.keys()


def test_tying_moves_a_parameter_with_its_leader(recorder, tmp_path):
    """Both joints' damping doubled: tied to the arm's, the pendulum's follows it."""
    truth = {"joint.arm.damping": 0.001, "joint.pendulum.damping": 0.0001}
    path = recorder("tie.s2r.csv", 3.0, params=truth)
    result = identify("furuta", [path], ["joint.arm.damping", "link.pendulum.mass"],
                      tie={"joint.pendulum.damping": "joint.arm.damping"}, workers=1,
                      holdout=0.0, out=tmp_path / "o")
    assert result.combinations == [] and result.params["joint.arm.damping"].std > 0
    assert result.params["joint.arm.damping"].value == pytest.approx(0.001, rel=1e-4)
    assert result.tied["joint.pendulum.damping"]["value"] == pytest.approx(0.0001, rel=1e-4)
    params = yaml.safe_load((tmp_path / "o" / "params.yaml").read_text())
    assert params["joint.pendulum.damping"] == pytest.approx(0.0001, rel=1e-4)
    entries = yaml.safe_load((tmp_path / "o" / "randomization.yaml").read_text())["randomizers"]
    tied = next(e for e in entries if e["params"] == "joint.pendulum.damping")
    assert tied["distribution"] == pytest.approx(0.0001, rel=1e-4)
    with pytest.raises(ConfigError, match="tie: motor.arm.torque_constant: ties to "
                       "joint.arm.coulomb, which is not a free parameter"):
        identify("furuta", [path], ["motor.arm.resistance"], workers=1,
                 tie={"motor.arm.torque_constant": "joint.arm.coulomb"})


def test_evaluating_leaves_the_robot_as_it_was(furuta_log):
    with SimRobot("furuta", params={"link.pendulum.com_z": -0.07}) as sim:
        before = sim.get_params()
        result = identify(sim, [furuta_log], ["link.pendulum.mass"], workers=1, holdout=0.0)
        assert sim.get_params() == before and sim.client >= 0  # not closed: the caller's
    assert result.params["link.pendulum.mass"].nominal == 0.024


def test_a_value_set_never_inherits_values_from_the_set_before_it(furuta_log):
    """Regression: sets naming different parameters were evaluated on a robot still holding
    the previous set's values (and worker results depended on which set ran where)."""
    with SimRobot("furuta") as sim:
        spec = sim.spec
        segs, cols = position_segments(sim, furuta_log)
        with Evaluator(sim, segs, cols, spec.joint_names, [], np.ones(2), workers=1) as ev:
            alone = ev({"link.pendulum.mass": 0.03})
            after = ev.many([TRUTH, {"link.pendulum.mass": 0.03}])[1]
    np.testing.assert_array_equal(alone, after)


def test_report_html_is_self_contained_and_holds_the_tables(lsq):
    from s2r.htmlpage import format_cell

    result, out, _ = lsq
    html = (out / "report.html").read_text()
    assert 'src="http' not in html and "<script" not in html and "<link" not in html
    # overlays, correlation heat map and optimizer trace, embedded
    assert html.count('src="data:image/png;base64,') == 3
    for name, e in result.params.items():
        assert name in html
        for v in (e.value, e.std, e.ci95[0], e.ci95[1], e.nominal):
            assert f"<td>{format_cell(v, 5)}</td>" in html
    for s in result.summary["channels"].values():
        assert f"<td>{format_cell(s['nrmse_fitted'])}</td>" in html
    overlay = result.overlay
    assert overlay["data"] == "held-out" and overlay["channels"] == ["q.arm", "q.pendulum"]
    seg = overlay["segments"][0]
    # the fitted simulation reproduces the (noise-free) held-out data, the nominal does not
    assert np.abs(seg["fitted"] - seg["measured"]).max() < 1e-6
    assert max(np.abs(s["nominal"] - s["measured"]).max() for s in overlay["segments"]) > 1e-4
