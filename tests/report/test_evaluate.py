"""``s2r eval`` / :func:`s2r.evaluate.evaluate`: sim episodes logged like a deployment."""

from __future__ import annotations

import json

import pytest

from s2r.cli import main
from s2r.errors import ConfigError, S2RError
from s2r.evaluate import evaluate
from s2r.logs import read_log
from s2r.rollout import rollout


def test_eval_writes_the_log_and_summary_of_the_deploy_runner(tmp_path):
    res = evaluate("scripted:sine", "pendulum_swingup", episodes=3, max_steps=25, seed=4,
                   out=tmp_path)
    log = read_log(tmp_path / "eval.s2r.csv")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert log.meta.source == "sim" and log.meta.policy == "scripted:sine"
    assert log.meta.extra["task"] == "pendulum_swingup" and log.meta.params
    assert [ep.meta["seed"] for ep in log.episodes] == [4, 5, 6]
    assert [ep.end["ret"] for ep in log.episodes] == pytest.approx(
        [e["return"] for e in summary["episodes"]])
    assert summary["mean_return"] == pytest.approx(res.mean_return)
    assert summary["success_rate"] == res.success_rate == 0.0
    assert {"reward", "t_host", "rtt"} <= set(log.frame.columns)
    # the same episodes as s2r rollout: one runner, one safety layer
    ref = rollout("pendulum_swingup", "scripted:sine", episodes=3, max_steps=25, seed=4)
    assert [r.ret for r in res.episodes] == [r.ret for r in ref.episodes]


@pytest.mark.parametrize("text", ["joint.hinge.damping: 0.05\nlink.pole.mass: 1.5\n",
                                  "params:\n  joint.hinge.damping: 0.05\n  link.pole.mass: 1.5\n"])
def test_params_file_sets_the_sim_robot_in_either_format(tmp_path, text):
    params = tmp_path / "params.yaml"
    params.write_text(text)
    res = evaluate("scripted:sine", "pendulum_swingup", params=params, episodes=1,
                   max_steps=25, out=tmp_path / "out")
    meta = read_log(res.log).meta
    assert meta.params["joint.hinge.damping"] == 0.05 and meta.params["link.pole.mass"] == 1.5
    assert res.summary["params_source"] == str(params)
    nominal = evaluate("scripted:sine", "pendulum_swingup", episodes=1, max_steps=25,
                       out=tmp_path / "nominal")
    assert res.mean_return != nominal.mean_return


def test_randomization_is_seeded_and_changes_the_episodes(tmp_path):
    runs = [evaluate("scripted:sine", "furuta_swingup", randomization="furuta_full",
                     episodes=2, max_steps=30, seed=s, out=tmp_path / f"r{i}")
            for i, s in enumerate((0, 0, 1))]
    plain = evaluate("scripted:sine", "furuta_swingup", episodes=2, max_steps=30,
                     out=tmp_path / "plain")
    returns = [[r.ret for r in run.episodes] for run in runs]
    assert returns[0] == returns[1] and returns[0] != returns[2]
    assert returns[0] != [r.ret for r in plain.episodes]
    assert runs[0].summary["randomization"].endswith("furuta_full.yaml")


def test_bad_input_is_one_clear_error_and_nothing_is_overwritten(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("joint.hinge.damping: lots\n")
    with pytest.raises(ConfigError, match="joint.hinge.damping: expected a number") as err:
        evaluate("scripted:zero", "pendulum_swingup", params=bad, out=tmp_path / "o")
    assert str(bad) in str(err.value)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("joint.nope.damping: 1.0\n")
    with pytest.raises(S2RError, match="joint.nope.damping") as err:
        evaluate("scripted:zero", "pendulum_swingup", params=unknown, out=tmp_path / "o2")
    assert str(unknown) in str(err.value)
    evaluate("scripted:zero", "pendulum_swingup", episodes=1, max_steps=5, out=tmp_path / "d")
    before = (tmp_path / "d" / "eval.s2r.csv").read_bytes()
    with pytest.raises(ConfigError, match="already exists"):
        evaluate("scripted:zero", "pendulum_swingup", episodes=1, max_steps=5,
                 out=tmp_path / "d")
    assert (tmp_path / "d" / "eval.s2r.csv").read_bytes() == before


def test_eval_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["eval", "task=pendulum_swingup", "policy=scripted:zero", "episodes=2",
                 "max_steps=10", f"out={out}"]) == 0
    assert "mean return" in capsys.readouterr().out
    assert len(read_log(out / "eval.s2r.csv").episodes) == 2
    assert main(["eval", "task=pendulum_swingup", f"out={out}"]) == 2  # exists
    assert main(["eval", "task=pendulum_swingup", "randomization=nope",
                 f"out={tmp_path / 'x'}"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "unknown randomization 'nope'" in err
    assert main(["eval", "episodes=0", f"out={tmp_path / 'y'}"]) == 2
