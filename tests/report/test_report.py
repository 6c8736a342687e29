"""``s2r report`` / :func:`s2r.report.build_report` on real logs of an emulated robot."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from s2r.cli import main
from s2r.errors import ReportError
from s2r.report import build_report
from s2r.report.schema import SCHEMA_PATH
from s2r.rollout import rollout

FAST = {"resamples": 300, "permutations": 100}


@pytest.fixture(scope="module")
def bench_report(bench_pairs, tmp_path_factory):
    pairs = [(name, sim, real) for name, (sim, real) in bench_pairs.items()]
    return build_report(pairs, out=tmp_path_factory.mktemp("report"), **FAST)


def test_metrics_json_is_valid_against_the_published_schema(bench_report):
    metrics = json.loads(bench_report.json.read_text())
    jsonschema.validate(metrics, json.loads(SCHEMA_PATH.read_text()))
    assert metrics == bench_report.metrics
    assert [p["name"] for p in metrics["policies"]] == ["sine", "zero", "random"]
    assert bench_report.html.stat().st_size > 0 and bench_report.md.stat().st_size > 0


def test_scores_gaps_and_ranking_come_from_the_logs(bench_report, bench_pairs):
    from s2r.logs import read_log

    sine = bench_report.metrics["policies"][0]
    real = read_log(bench_pairs["sine"][1] / "deploy.s2r.csv")
    assert sine["return"]["real"]["values"] == [ep.end["ret"] for ep in real.episodes]
    r = sine["return"]
    assert r["gap"]["difference"] == pytest.approx(r["real"]["mean"] - r["sim"]["mean"])
    lo, hi = r["sim"]["ci"]
    assert lo <= r["sim"]["mean"] <= hi
    assert sine["success"]["real"]["values"] == [ep.end["success"] for ep in real.episodes]
    ranking = bench_report.metrics["ranking"]
    assert ranking["policies"] == 3 and -1 <= ranking["return"]["spearman"] <= 1
    assert ranking["return"]["mmrv"] >= 0
    timing = sine["timing"]
    assert timing["paced"] is False and timing["control_rate"] == 100.0
    assert timing["rtt_s"]["p50"] > 0 and timing["period_error_s"] is None


def test_replay_of_the_bench_finds_the_gap_and_names_the_parameters_that_differ(bench_report):
    sine = bench_report.metrics["policies"][0]
    assert sine["replay_params"].startswith("metadata of ")
    seg, whole = sine["replay"]["segments"], sine["replay"]["episodes"]
    assert set(seg) == {"q.arm", "q.pendulum", "qd.arm", "qd.pendulum"}
    assert max(m["nrmse"] for m in seg.values()) > 0.05  # the bench is not the model
    # short segments start from the log again: they drift less than whole episodes
    assert sum(m["nrmse"] for m in seg.values()) < sum(m["nrmse"] for m in whole.values())
    named = {s["parameter"] for s in bench_report.metrics["suggestions"]}
    # parameters the bench truth really changes (configs/hardware/truth/furuta_bench.yaml)
    assert {"joint.arm.damping", "motor.arm.resistance", "link.pendulum.mass"} <= named
    assert all(s["rule"] == "dynamics" or s["rule"] == "velocity"
               for s in bench_report.metrics["suggestions"])
    assert "differ most in" in bench_report.summary[0]
    assert any(line.startswith("Next: identify or randomize") for line in bench_report.summary)


def test_a_matching_model_replays_exactly_and_suggests_nothing(nominal_pair, tmp_path):
    sim, real = nominal_pair
    rep = build_report([("sine", sim, real)], out=tmp_path, **FAST)
    pol = rep.metrics["policies"][0]
    for m in pol["replay"]["segments"].values():
        assert m["fit_percent"] > 99.9 and m["nrmse"] < 1e-4
    assert rep.metrics["suggestions"] == [] and rep.metrics["ranking"] is None
    assert pol["return"]["gap"]["difference"] == pytest.approx(0.0, abs=1e-6)
    assert "agree" in rep.summary[0]
    assert any("replays within" in line for line in rep.summary)


def test_markdown_holds_the_summary_and_every_table(bench_report):
    md = bench_report.md.read_text()
    assert md.splitlines()[2] == f"- {bench_report.summary[0]}"
    for title in ("## Return", "## Success rate", "## Open-loop replay error",
                  "## Distribution distances", "## Joint MMD", "## Control timing",
                  "## Ranking of 3 policies", "## What to identify"):
        assert title in md


def test_bad_inputs_are_one_line_errors_naming_the_file(bench_pairs, tmp_path):
    sim, real = bench_pairs["sine"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReportError, match="holds no \\*.s2r.csv log") as err:
        build_report([("a", sim, empty)], out=tmp_path / "o", **FAST)
    assert str(empty) in str(err.value)
    with pytest.raises(ReportError, match="needs logs of s2r deploy.*this one is sim"):
        build_report([("a", sim, sim)], out=tmp_path / "o", **FAST)  # sim given as real
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    text = (real / "deploy.s2r.csv").read_text().splitlines()
    text[5] = text[5].replace(",", ",x", 1)
    (corrupt / "deploy.s2r.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(ReportError, match="deploy.s2r.csv:6"):
        build_report([("a", sim, corrupt)], out=tmp_path / "o", **FAST)
    other = tmp_path / "cartpole"
    other.mkdir()
    rollout("cartpole_balance", "scripted:zero", episodes=1, max_steps=10,
            out=other / "c.s2r.csv")
    with pytest.raises(ReportError, match="of cartpole .*compare logs of one robot") as err:
        build_report([("a", sim, real), ("b", other, real)], out=tmp_path / "o", **FAST)
    assert "c.s2r.csv" in str(err.value)
    task = tmp_path / "task"
    task.mkdir()
    shutil.copy(sim / "eval.s2r.csv", task / "a.s2r.csv")
    rollout("furuta_swingup", "scripted:zero", episodes=1, max_steps=10,
            out=task / "b.s2r.csv")
    log = (task / "b.s2r.csv").read_text().replace('"task": "furuta_swingup"',
                                                   '"task": "my_furuta_task.yaml"')
    (task / "b.s2r.csv").write_text(log)
    with pytest.raises(ReportError, match="task my_furuta_task.yaml") as err:
        build_report([("a", task, real)], out=tmp_path / "o", **FAST)
    assert "b.s2r.csv" in str(err.value)
    assert not (tmp_path / "o").exists()  # nothing written for bad input


def test_invalid_metrics_are_refused_before_anything_is_written(bench_pairs, tmp_path,
                                                                monkeypatch):
    import s2r.report.advice as advice

    real_advise = advice.advise

    def broken(*args, **kw):
        lines, suggestions = real_advise(*args, **kw)
        return lines, [{"parameter": "joint.arm.damping", "rule": "hunch", "reason": "?"}]

    monkeypatch.setattr(advice, "advise", broken)
    sim, real = bench_pairs["zero"]
    with pytest.raises(ReportError, match="metrics.json: invalid at suggestions/0/rule"):
        build_report([("zero", sim, real)], out=tmp_path / "o", **FAST)
    assert not (tmp_path / "o").exists()


def test_report_cli_single_pair_and_pairs_list(bench_pairs, tmp_path, capsys):
    (s1, r1), (s2, r2) = bench_pairs["sine"], bench_pairs["zero"]
    out = tmp_path / "one"
    assert main(["report", f"sim={s1}", f"real={r1}", f"out={out}", "resamples=200",
                 "permutations=50"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert [p["name"] for p in metrics["policies"]] == ["scripted:sine"]
    assert "report written to" in capsys.readouterr().out
    out2 = tmp_path / "two"
    assert main(["report", f"pairs=[{{name: a, sim: {s1}, real: {r1}}}, "
                 f"{{name: b, sim: {s2}, real: {r2}}}]", f"out={out2}", "resamples=200",
                 "permutations=50", "segment=0.1"]) == 0
    metrics = json.loads((out2 / "metrics.json").read_text())
    assert [p["name"] for p in metrics["policies"]] == ["a", "b"]
    assert metrics["settings"]["segment_s"] == 0.1
    assert main(["report", f"sim={s1}", f"out={tmp_path / 'x'}"]) == 2
    assert main(["report", f"sim={s1}", f"real={tmp_path / 'missing'}"]) == 2
    assert main(["report", f"sim={s1}", f"real={r1}", "segment=0"]) == 2
    err = capsys.readouterr().err
    assert "give sim= and real= together" in err and "no such directory" in err
    assert "segment: must be > 0" in err


def test_timing_of_a_paced_deploy_reports_the_period_error(tmp_path):
    from hardware.emulator import Emulator, EmulatorConfig
    from hardware.session import deploy
    from s2r.commands.hardware import DeployConfig
    from s2r.report.inputs import load_side
    from s2r.report.timing import periods, timing

    real = tmp_path / "paced"
    real.mkdir()
    cfg = EmulatorConfig(robot="furuta", mode="realtime", seed=0, watchdog_ms=60000)
    with Emulator(cfg) as emu:
        deploy(DeployConfig(port=emu.port, policy="scripted:zero", task="furuta_swingup",
                            episodes=1, max_steps=30, reply_timeout=2.0,
                            out=str(real / "deploy.s2r.csv")))
    side = load_side(real, "real")
    t = timing(side)
    dt = periods(side)
    assert t["paced"] is True and t["control_rate"] == 100.0 and len(dt) == 29
    err = t["period_error_s"]
    assert err["max"] == pytest.approx(max(abs(dt - 0.01)))  # from the logged send times
    assert err["p50"] <= err["p99"] <= err["max"] and t["achieved_rate"] > 0
    assert t["rtt_s"]["p50"] > 0


def test_a_second_sim_pair_on_the_command_line_is_an_error_not_silently_dropped(capsys):
    """`sim=a real=b sim=c real=d` once kept only the last pair without a word."""
    from s2r.cli import main

    assert main(["report", "sim=a", "real=b", "sim=c", "real=d"]) == 2
    err = capsys.readouterr().err
    assert "sim is given twice ('a', then 'c')" in err and err.count("\n") == 1
