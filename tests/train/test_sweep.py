"""s2r sweep: the same train() per trial as Ray tasks on a local Ray, results table, errors."""

from __future__ import annotations

import json
import sys

import pytest

from s2r.cli import main
from s2r.errors import ConfigError, S2RError
from s2r.train import TrainConfig, train
from s2r.train.sweep import SweepConfig, sweep, trials

TINY = {"task": "pendulum_swingup", "steps": 128, "max_steps": 32, "eval_every": 64,
        "eval_episodes": 1, "checkpoint_every": 0,
        "hyper": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}}


@pytest.mark.slow
def test_a_sweep_runs_train_per_trial_and_tabulates_the_results(local_ray, tmp_path, capsys):
    out = tmp_path / "sweep"
    rows = sweep(SweepConfig(train=dict(TINY), grid={"seed": [0, 1],
                                                     "hyper": {"gamma": [0.9, 0.99]}},
                             out=str(out)))
    assert [r["trial"] for r in rows] == ["0-seed0-gamma0.9", "1-seed0-gamma0.99",
                                          "2-seed1-gamma0.9", "3-seed1-gamma0.99"]
    assert all("error" not in r and r["steps"] == 128 for r in rows)
    saved = json.loads((out / "sweep.json").read_text())
    assert [t["options"] for t in saved["trials"]] == [r["options"] for r in rows]
    spec = json.loads((out / "3-seed1-gamma0.99" / "policy" / "spec.json").read_text())
    config = spec["training"]["config"]
    assert config["seed"] == 1 and config["hyper"]["gamma"] == 0.99
    assert config["envs"] == 1 and config["subprocess"] is False  # one CPU per trial
    # the trial is the ordinary train(): run here, it gives the same evaluations
    here = train(TrainConfig(**{**trials(SweepConfig(train=dict(TINY), grid={
        "seed": [1], "hyper": {"gamma": [0.99]}}, out=str(tmp_path / "here")))[0].config}))
    assert here.evaluations == json.loads((out / "3-seed1-gamma0.99" /
                                           "evaluations.json").read_text())
    assert rows[3]["best"] in here.evaluations
    # the CLI prints the table; a trial that fails is a row with its error, exit code 2
    code = main(["sweep", "train.task=pendulum_swingup", "train.steps=64", "train.max_steps=16",
                 "train.eval_episodes=1", "train.hyper.batch_size=64",
                 "grid.hyper.n_steps=[64,1]", f"out={tmp_path / 'cli'}"])
    printed = capsys.readouterr().out
    assert code == 2
    assert "0-n_steps64" in printed and "1-n_steps1" in printed and "error:" in printed
    assert "sweep.json" in printed or str(tmp_path / "cli") in printed


@pytest.mark.parametrize("cfg, message", [
    (SweepConfig(train={"task": "pendulum_swingup"}, grid={"seed": 3}),
     "grid.seed: expected a list of values, got 3"),
    (SweepConfig(train={"task": "pendulum_swingup"}, grid={"sede": [1]}),
     "grid.sede: unknown option"),
    (SweepConfig(train={"task": "pendulum_swingup", "stepz": 3}), "train.stepz: unknown option"),
    (SweepConfig(train={"task": "pendulum_swingup"}, grid={"algo": ["ppo", "dqn"]}),
     "trial 1-algodqn: algo: unknown 'dqn'"),
])
def test_bad_sweeps_fail_before_anything_runs(cfg, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        sweep(cfg)


def test_without_ray_a_sweep_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(S2RError, match=r"pip install 's2r\[ray\]'"):
        sweep(SweepConfig(train={"task": "pendulum_swingup"}, grid={"seed": [0]}))
    assert main(["sweep", "train.task=pendulum_swingup", f"out={tmp_path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "s2r[ray]" in err and len(err.splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing ran
