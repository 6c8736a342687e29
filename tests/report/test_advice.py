"""The advice rule table, on metrics made to trigger each rule (and not the others)."""

from __future__ import annotations

import copy

from s2r.report.advice import advise

NAMES = ["joint.arm.damping", "joint.arm.coulomb", "motor.arm.resistance", "delay.action",
         "delay.observation", "joint.pendulum.damping", "link.pendulum.mass",
         "link.pendulum.com_z", "sensor.arm.velocity_cutoff", "sensor.arm.position_noise",
         "sensor.pendulum.position_noise", "world.gravity"]
ACTUATED, LINKS = ["arm"], {"arm": "arm", "pendulum": "pendulum"}


def channel(nrmse: float) -> dict:
    return {"nrmse": nrmse, "fit_percent": 100 * (1 - nrmse), "rows": 10, "diverged_rows": 0}


def metrics(seg: dict[str, float], p_value: float = 0.5, timing: dict | None = None,
            real: float = 1.0) -> dict:
    side = {"mean": 1.0, "ci": [0.5, 1.5], "values": [0.5, 1.5]}
    policy = {"name": "p", "return": {"sim": side, "real": {**side, "mean": real}, "gap": {
        "difference": real - 1.0, "difference_ci": [real - 1.5, real - 0.5], "ratio": real,
        "ratio_ci": None}},
        "replay": {"segment_s": 0.2, "segments": {c: channel(v) for c, v in seg.items()}},
        "distance": {"mmd": {"p_value": p_value}}, "timing": timing}
    return {"policies": [policy], "ranking": None}


def names(suggestions: list[dict]) -> list[str]:
    return [s["parameter"] for s in suggestions]


GOOD = {"q.arm": 0.01, "q.pendulum": 0.02, "qd.arm": 0.03, "qd.pendulum": 0.01}


def test_a_bad_passive_joint_points_at_its_link_and_friction():
    lines, sugg = advise(metrics({**GOOD, "q.pendulum": 0.3}), NAMES, ACTUATED, LINKS)
    assert names(sugg) == ["joint.pendulum.damping", "link.pendulum.mass",
                           "link.pendulum.com_z"]
    assert {s["rule"] for s in sugg} == {"dynamics"}
    assert lines[0].startswith("Sim and real differ most in q.pendulum") and "30.0 %" in lines[0]


def test_a_bad_actuated_joint_points_at_its_motor_and_the_action_delay():
    _, sugg = advise(metrics({**GOOD, "q.arm": 0.2}), NAMES, ACTUATED, LINKS)
    assert names(sugg) == ["joint.arm.damping", "joint.arm.coulomb", "motor.arm.resistance",
                           "delay.action"]


def test_a_velocity_much_worse_than_its_position_points_at_the_velocity_estimate():
    _, sugg = advise(metrics({**GOOD, "qd.arm": 0.4}), NAMES, ACTUATED, LINKS)
    assert names(sugg) == ["sensor.arm.velocity_cutoff"] and sugg[0]["rule"] == "velocity"


def test_matching_dynamics_but_different_behaviour_points_at_what_the_policy_sees():
    lines, sugg = advise(metrics(GOOD, p_value=0.01, real=0.6), NAMES, ACTUATED, LINKS)
    assert names(sugg) == ["delay.observation", "sensor.arm.position_noise",
                           "sensor.pendulum.position_noise"]
    assert lines[0].startswith("Sim and real agree")
    assert advise(metrics(GOOD, p_value=0.5, real=0.6), NAMES, ACTUATED, LINKS)[1] == []


def test_a_policy_that_transfers_gets_no_behaviour_advice_and_no_alarm():
    """States that differ a little (MMD finds that in thousands of rows) while the return
    is within 5 % are no reason to identify more: the policy transfers."""
    lines, sugg = advise(metrics(GOOD, p_value=0.001, real=0.98), NAMES, ACTUATED, LINKS)
    assert sugg == []
    assert "p: return 1 in sim, 0.98 on the real robot, gap -0.02 (-2.0 % of the sim " \
           "return: within 5 %, no practical gap)." in lines


def test_poor_paced_timing_points_at_the_delays_and_unpaced_timing_does_not():
    stats = {"p50": 0.001, "p90": 0.002, "p99": 0.004, "max": 0.005}
    timing = {"paced": True, "control_rate": 100.0, "period_error_s": stats,
              "rtt_s": {**stats, "p99": 0.0005}}
    _, sugg = advise(metrics(GOOD, timing=timing), NAMES, ACTUATED, LINKS)
    assert names(sugg) == ["delay.action", "delay.observation"]
    assert "period error p99 4.00 ms" in sugg[0]["reason"]
    unpaced = copy.deepcopy(timing)
    unpaced["paced"] = False
    assert advise(metrics(GOOD, timing=unpaced), NAMES, ACTUATED, LINKS)[1] == []


def test_one_policy_replaying_badly_is_not_hidden_by_another_that_replays_well():
    """Each policy's sim side may be another model (nominal vs identified): the worst
    policy's replay error counts, not the mean over policies."""
    bad = metrics({**GOOD, "q.arm": 0.07}, real=0.3)["policies"][0]
    good = metrics({**GOOD, "q.arm": 0.01})["policies"][0]
    bad["name"], good["name"] = "nominal", "identified"
    lines, sugg = advise({"policies": [bad, good], "ranking": None}, NAMES, ACTUATED, LINKS)
    assert lines[0].startswith("Sim and real differ most in q.arm (nominal)")
    assert "7.0 %" in lines[0]
    assert names(sugg)[:2] == ["joint.arm.damping", "joint.arm.coulomb"]
