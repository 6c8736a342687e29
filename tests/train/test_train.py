"""s2r train: end to end, resume, ADR, sysid directories, params, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from s2r.artifact import load_artifact
from s2r.cli import main
from s2r.errors import ConfigError, PolicyError
from s2r.tasks import CartpoleBalance, PendulumSwingup
from s2r.train import TrainConfig, evaluate, train
from s2r.train.config import check_config

TINY = {"n_steps": 64, "batch_size": 64, "n_epochs": 1}


def _cfg(tmp_path, **kw):
    base = dict(task="pendulum_swingup", steps=256, envs=2, subprocess=False, eval_every=128,
                checkpoint_every=128, eval_episodes=1, progress=False, max_steps=32,
                out=str(tmp_path / "run"), hyper=dict(TINY))
    base.update(kw)
    return TrainConfig(**base)


def _scalars(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags: set[str] = set()
    for sub in (run_dir / "tb").iterdir():
        ea = EventAccumulator(str(sub))
        ea.Reload()
        tags |= set(ea.Tags()["scalars"])
    return tags


@pytest.mark.slow
def test_cli_trains_over_worker_processes_and_writes_a_loadable_artifact(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "task=cartpole_balance", "randomization=cartpole_full", "steps=2048",
                 "envs=2", "seed=3", "eval_every=1024", "eval_episodes=2", f"out={out}",
                 "hyper.n_steps=256", "hyper.batch_size=128", "progress=false"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "policy artifact:" in printed and "steps/s" in printed
    env = CartpoleBalance()
    policy = load_artifact(out / "policy", task=env)
    spec = policy.spec
    assert spec["training"]["seed"] == 3 and spec["training"]["algo"] == "ppo"
    assert spec["randomization"]["source"] == "cartpole_full"
    assert spec["normalization"] is not None and spec["control_rate"] == 50.0
    assert load_artifact(out / "last_policy", task=env).spec["training"]["steps"] == 2048
    evals = json.loads((out / "evaluations.json").read_text())
    assert [e["steps"] for e in evals] == [1024, 2048]
    assert all(e["randomized"] is not None for e in evals)
    tags = _scalars(out)
    for tag in ("rollout/ep_rew_mean", "rollout/ep_len_mean", "rollout/success_rate",
                "eval/nominal/success_rate", "eval/randomized/mean_return",
                "randomization/mass/high"):
        assert tag in tags
    # the artifact runs as it is, and the evaluation it was kept for is reproducible
    best = max(evals, key=lambda e: (e["nominal"]["success_rate"], e["nominal"]["mean_return"]))
    again = evaluate(policy, env, episodes=2, seed=3 + 1_000_000)
    assert again.mean_return == pytest.approx(best["nominal"]["mean_return"])
    with pytest.raises(PolicyError, match="task: trained for 'cartpole_balance'"):
        load_artifact(out / "policy", task=PendulumSwingup())
    env.close()


@pytest.mark.slow
def test_a_trained_cartpole_policy_beats_a_random_one(tmp_path):
    result = train(TrainConfig(task="cartpole_balance", steps=16384, envs=2, seed=0,
                               eval_every=8192, eval_episodes=3, progress=False,
                               out=str(tmp_path / "run"), hyper={"n_steps": 512}))
    env = CartpoleBalance()
    trained = evaluate(load_artifact(result.policy, task=env), env, episodes=5, seed=7)
    rng = np.random.default_rng(0)
    randomly = evaluate(lambda obs: rng.uniform(-1, 1, 1), env, episodes=5, seed=7)
    assert trained.mean_return > 2 * randomly.mean_return
    env.close()


def test_resume_continues_the_step_count_and_the_run(tmp_path):
    first = train(_cfg(tmp_path))
    assert first.steps == 256
    ckpts = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert ckpts == ["step_000000000128", "step_000000000256"]
    second = train(TrainConfig(resume=str(tmp_path / "run"), steps=512, progress=False))
    assert second.steps == 512 and second.trained_steps == 256
    assert [e["steps"] for e in second.evaluations] == [128, 256, 384, 512]
    assert load_artifact(second.last_policy).spec["training"]["steps"] == 512
    state = json.loads((tmp_path / "run" / "checkpoints" / "step_000000000512" /
                        "state.json").read_text())
    assert state["num_timesteps"] == 512 and state["config"]["max_steps"] == 32
    with pytest.raises(ConfigError, match="resume: task is 'pendulum_swingup' in the run, not "
                                          "'cartpole_balance'"):
        train(TrainConfig(resume=str(tmp_path / "run"), task="cartpole_balance", steps=600))
    with pytest.raises(ConfigError, match="no checkpoint to resume"):
        train(TrainConfig(resume=str(tmp_path), steps=600))


def test_adr_state_is_logged_saved_in_checkpoints_and_restored(tmp_path):
    rand = tmp_path / "adr.yaml"
    rand.write_text(yaml.safe_dump({"randomizers": [{
        "type": "adr", "params": ["link.pole.mass"], "thresholds": [-1e9, -1e8],
        "step": 0.05, "queue_length": 1, "boundary_prob": 1.0}]}))
    first = train(_cfg(tmp_path, randomization=str(rand)))
    ckpt = tmp_path / "run" / "checkpoints" / "step_000000000256"
    saved = json.loads((ckpt / "state.json").read_text())["adr"]["adr"]
    assert saved["high"][0] > 1.0  # every return beats -1e8: the range grew
    spec = load_artifact(first.policy).spec
    assert spec["randomization"]["adr"]["adr"]["names"] == ["link.pole.mass"]
    assert "adr/entropy" in _scalars(tmp_path / "run")
    second = train(TrainConfig(resume=str(ckpt), steps=384, progress=False))
    resumed = json.loads((tmp_path / "run" / "checkpoints" / "step_000000000384" /
                          "state.json").read_text())["adr"]["adr"]
    assert resumed["high"][0] > saved["high"][0]  # grew on from where it was, not from 1
    assert second.steps == 384


def test_sysid_directory_and_params_file_set_the_values_trained_around(tmp_path):
    sysid = tmp_path / "sysid"
    sysid.mkdir()
    (sysid / "randomization.yaml").write_text(yaml.safe_dump(
        {"randomizers": [{"type": "joint_damping", "distribution": [0.9, 1.1]}]}))
    (sysid / "params.yaml").write_text(yaml.safe_dump({"link.pole.mass": 1.3}))
    result = train(_cfg(tmp_path, randomization=str(sysid), steps=128, checkpoint_every=0))
    spec = load_artifact(result.policy).spec
    assert spec["params"]["link.pole.mass"] == pytest.approx(1.3)
    assert spec["training"]["params_source"].endswith("params.yaml")
    assert spec["randomization"]["config"]["randomizers"][0]["type"] == "joint_damping"
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"link.pole.mass": 0.7}))
    result = train(_cfg(tmp_path, params=str(values), steps=128, out=str(tmp_path / "b")))
    spec = load_artifact(result.policy).spec
    assert spec["params"]["link.pole.mass"] == pytest.approx(0.7)
    assert spec["randomization"] is None and result.evaluations[0]["randomized"] is None


def test_sac_trains_and_exports(tmp_path):
    result = train(_cfg(tmp_path, algo="sac", steps=128, envs=1,
                        hyper={"learning_starts": 32, "batch_size": 16, "buffer_size": 500}))
    assert result.steps == 128
    assert load_artifact(result.policy).spec["network"]["output"] == "squash"
    assert (tmp_path / "run" / "checkpoints" / "step_000000000128" / "replay_buffer.pkl").is_file()


@pytest.mark.parametrize("args, message", [
    (["algo=dqn"], "algo: unknown 'dqn' (known: ppo, sac)"),
    (["steps=0"], "steps: must be > 0"),
    (["randomization=nope"], "unknown randomization 'nope'"),
    (["hyper.not_an_option=1"], "hyper:"),
    (["hyper.n_steps=1"], "hyper: `n_steps * n_envs` must be greater than 1"),
    (["stepz=10"], "unknown key 'stepz'"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, args, message):
    code = main(["train", "task=pendulum_swingup", "progress=false", "subprocess=false",
                 "envs=1", f"out={tmp_path / 'run'}", *args])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert message in err and len(err.splitlines()) == 1, err


def test_bad_inputs_of_sysid_dirs_and_params_name_what_is_wrong(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "task=pendulum_swingup", f"randomization={empty}"]) != 0
    assert "has no randomization.yaml" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("link.nope.mass: 1.0\n")
    assert main(["train", "task=pendulum_swingup", f"params={bad}", "subprocess=false",
                 f"out={tmp_path / 'run'}"]) != 0
    err = capsys.readouterr().err
    assert "link.nope.mass" in err and len(err.strip().splitlines()) == 1


def test_ctrl_c_keeps_a_checkpoint_to_resume_from(tmp_path, monkeypatch):
    from s2r.train import run as run_module

    def interrupt(self, steps):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module.Run, "periodic", interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tmp_path, checkpoint_every=0, eval_every=128))
    ckpts = sorted((tmp_path / "run" / "checkpoints").iterdir())
    assert [p.name for p in ckpts] == ["step_000000000128"]
    monkeypatch.undo()
    resumed = train(TrainConfig(resume=str(tmp_path / "run"), progress=False))
    assert resumed.steps == 256 and resumed.trained_steps == 128


def test_progress_bar_shows_steps_and_the_last_evaluation(tmp_path, capsys):
    train(_cfg(tmp_path, progress=True, steps=128, checkpoint_every=0, eval_every=64))
    out = capsys.readouterr().out
    assert "128/128" in out and "steps" in out and "eval: return" in out


def test_cli_tiny_run_over_two_worker_processes(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "task=pendulum_swingup", "randomization=sensing_only", "steps=256",
                 "envs=2", "max_steps=32", "eval_every=0", "checkpoint_every=0",
                 "eval_episodes=1", "hyper.n_steps=128", "hyper.batch_size=64",
                 "progress=false", f"out={out}"]) == 0
    policy = load_artifact(out / "policy", task=PendulumSwingup())
    assert policy.spec["training"]["config"]["subprocess"] is True
    assert policy.spec["training"]["steps"] == 256


def _weights(run_dir):
    files = sorted((run_dir / "checkpoints").glob("step_*/model.zip"))
    import zipfile

    import torch

    with zipfile.ZipFile(files[-1]) as z:
        with z.open("policy.pth") as f:
            return files[-1].parent.name, torch.load(f, weights_only=True)


RESUME = dict(steps=512, checkpoint_every=256, eval_every=128, randomization="cartpole_full",
              task="cartpole_balance", max_steps=40)


def _same_weights(run_a, run_b):
    name_a, a = _weights(run_a)
    name_b, b = _weights(run_b)
    assert name_a == name_b == "step_000000000512" and a.keys() == b.keys()
    for key in a:
        assert torch_equal(a[key], b[key]), key


ADR = {"randomizers": [{"type": "adr", "params": ["link.pole.mass"], "thresholds": [-1e9, -1e8],
                        "step": 0.05, "queue_length": 1, "boundary_prob": 0.5}]}


CURRICULUM = {"randomizers": [{"type": "mass", "distribution": [0.5, 1.5]}],
              "schedules": [{"randomizer": "mass", "type": "linear", "until": 1000}]}


@pytest.mark.parametrize("subprocess, randomization", [
    (False, None),
    pytest.param(True, None, marks=pytest.mark.slow),
    pytest.param(False, ADR, marks=pytest.mark.slow),
    pytest.param(False, CURRICULUM, marks=pytest.mark.slow),
])
def test_resuming_a_mid_run_checkpoint_replays_the_uninterrupted_run_exactly(
        tmp_path, subprocess, randomization):
    """PPO, 512 steps checkpointed at 256, and the same run resumed from that checkpoint
    into another directory: the same final weights, bit for bit, and the same evaluations.
    Randomized envs, episodes of 40 steps: the checkpoint falls mid-episode (2 envs x 128
    steps) and episodes end after it. The same with the envs in worker processes, with ADR
    (its bounds grow at every episode's end) and with a curriculum (its scale, pushed to
    the envs when it moved by 0.01, is between two pushes at the checkpoint)."""
    cfg = dict(RESUME)
    adr = randomization is ADR
    if randomization is not None:
        (tmp_path / "rand.yaml").write_text(yaml.safe_dump(randomization))
        cfg["randomization"] = str(tmp_path / "rand.yaml")
    whole = train(_cfg(tmp_path, out=str(tmp_path / "whole"), subprocess=subprocess, **cfg))
    ckpt = tmp_path / "whole" / "checkpoints" / "step_000000000256"
    assert json.loads((ckpt / "state.json").read_text())["exact"] is True
    resumed = train(TrainConfig(resume=str(ckpt), out=str(tmp_path / "resumed"), steps=512,
                                progress=False))
    assert resumed.trained_steps == 256 and resumed.steps == whole.steps == 512
    _same_weights(tmp_path / "whole", tmp_path / "resumed")
    assert resumed.evaluations == whole.evaluations
    if adr:
        final = [json.loads((tmp_path / run / "checkpoints" / "step_000000000512" /
                             "state.json").read_text())["adr"] for run in ("whole", "resumed")]
        assert final[0] == final[1] and final[0]["adr"]["high"][0] > 1.0
    wa = np.load(whole.last_policy / "weights.npz")
    wb = np.load(resumed.last_policy / "weights.npz")
    for key in wa.files:
        np.testing.assert_array_equal(wa[key], wb[key])


@pytest.mark.parametrize("algo, hyper", [
    ("ppo", TINY),
    ("sac", {"learning_starts": 64, "batch_size": 16, "buffer_size": 1000}),
])
def test_a_run_stopped_and_resumed_equals_one_run(tmp_path, algo, hyper):
    """256 steps, then resumed to 512 (SAC: the latest checkpoint keeps the replay buffer):
    the same weights as one run of 512; the learner's and the envs' random streams go on."""
    cfg = dict(RESUME, algo=algo, hyper=dict(hyper))
    train(_cfg(tmp_path, out=str(tmp_path / "whole"), **cfg))
    train(_cfg(tmp_path, out=str(tmp_path / "split"), **{**cfg, "steps": 256}))
    resumed = train(TrainConfig(resume=str(tmp_path / "split"), steps=512, progress=False))
    assert resumed.trained_steps == 256
    _same_weights(tmp_path / "whole", tmp_path / "split")


def test_resuming_without_what_makes_it_exact_warns_and_continues(tmp_path):
    """An older SAC checkpoint has no replay buffer, another number of envs cannot take the
    env snapshots: both say so and resume as a continuation (SAC's buffer is per env: a
    clear error)."""
    hyper = {"learning_starts": 64, "batch_size": 16, "buffer_size": 1000}
    train(_cfg(tmp_path, algo="sac", hyper=hyper, steps=256, checkpoint_every=128))
    old = tmp_path / "run" / "checkpoints" / "step_000000000128"
    with pytest.warns(UserWarning, match="has no replay buffer"):
        train(TrainConfig(resume=str(old), out=str(tmp_path / "b"), steps=192, progress=False))
    with pytest.raises(ConfigError, match="the replay buffer holds 2 envs, this run has 1: "
                                          "resume with envs=2"), pytest.warns(UserWarning):
        train(TrainConfig(resume=str(tmp_path / "run"), envs=1, steps=320, progress=False))
    train(_cfg(tmp_path, out=str(tmp_path / "ppo")))
    with pytest.warns(UserWarning, match="the checkpoint ran 2 envs, this run 1"):
        result = train(TrainConfig(resume=str(tmp_path / "ppo"), out=str(tmp_path / "c"),
                                   envs=1, steps=320, progress=False))
    assert result.steps == 320

def torch_equal(x, y) -> bool:
    import torch

    return bool(torch.equal(x, y))


def test_a_tasks_default_training_options_lie_under_the_users(tmp_path):
    """configs/train/pendulum_swingup.yaml: s2r train task=pendulum_swingup runs PPO with
    gSDE and without normalisation; the command line wins; another algo drops its hyper."""
    from s2r.train.config import load_train_config

    cfg = load_train_config(None, ["task=pendulum_swingup"])
    assert (cfg.algo, cfg.normalize, cfg.steps) == ("ppo", False, 200_000)
    assert cfg.hyper["use_sde"] is True and cfg.hyper["gamma"] == 0.98
    cfg = load_train_config(None, ["task=pendulum_swingup", "hyper.gamma=0.99", "steps=64"])
    assert cfg.hyper["gamma"] == 0.99 and cfg.hyper["n_steps"] == 1024 and cfg.steps == 64
    own = tmp_path / "mine.yaml"
    own.write_text("normalize: true\n")
    assert load_train_config(str(own), ["task=pendulum_swingup"]).normalize is True
    cfg = load_train_config(None, ["task=pendulum_swingup", "algo=sac"])
    assert cfg.algo == "sac" and cfg.hyper == {} and cfg.normalize is False
    assert load_train_config(None, ["task=cartpole_balance"]) == TrainConfig(
        task="cartpole_balance")  # no defaults file: the plain defaults
    out = tmp_path / "run"
    assert main(["train", "task=pendulum_swingup", "steps=64", "envs=1", "subprocess=false",
                 "hyper.n_steps=64", "hyper.batch_size=32", "eval_episodes=1", "max_steps=16",
                 "progress=false", f"out={out}"]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["normalize"] is False and saved["hyper"]["use_sde"] is True
    assert saved["hyper"]["n_steps"] == 64


def test_the_cli_resumes_a_run_without_naming_its_task(tmp_path, capsys):
    """`s2r train resume=DIR steps=N`, as the README shows it: the task comes from the run."""
    first = train(_cfg(tmp_path))
    assert first.steps == 256
    args = ["train", f"resume={tmp_path / 'run'}", "steps=384", "progress=false"]
    assert main(args) == 0
    assert "run total 384 steps" in capsys.readouterr().out
    assert main(["train", "resume=" + str(tmp_path / "nowhere"), "steps=384"]) == 2
    assert "no checkpoint to resume" in capsys.readouterr().err


def _artifact_arrays(artifact):
    """The network's arrays of an artifact (its observation statistics are in spec.json)."""
    with np.load(artifact / "weights.npz") as npz:
        return {k: npz[k] for k in npz.files}


def test_init_starts_a_new_run_from_another_runs_weights(tmp_path):
    """With a learning rate of 0 nothing moves the weights: the new run ends on the old
    run's network, on another task setting (episode length) and in its own directory."""
    first = train(_cfg(tmp_path))
    frozen = dict(TINY, learning_rate=0.0)
    second = train(_cfg(tmp_path, out=str(tmp_path / "tuned"), init=str(tmp_path / "run"),
                        max_steps=16, hyper=frozen))
    assert second.steps == 256 and second.out == tmp_path / "tuned"
    old, new = _artifact_arrays(first.last_policy), _artifact_arrays(second.last_policy)
    assert old.keys() == new.keys() and all(np.array_equal(old[k], new[k]) for k in old)
    scratch = _artifact_arrays(train(_cfg(tmp_path, out=str(tmp_path / "scratch"), seed=1,
                                  hyper=frozen)).last_policy)
    assert not all(np.array_equal(old[k], scratch[k]) for k in old)
    assert json.loads((tmp_path / "tuned" / "config.json").read_text())["init"] == \
        str(tmp_path / "run")


def test_init_from_a_run_that_does_not_fit_names_what_differs(tmp_path):
    train(_cfg(tmp_path))
    with pytest.raises(ConfigError, match="init: net is \\[64, 64\\] in that run, not \\[32\\]"):
        train(_cfg(tmp_path, out=str(tmp_path / "b"), init=str(tmp_path / "run"), net=[32]))
    with pytest.raises(ConfigError, match="no checkpoint to start from") as err:
        train(_cfg(tmp_path, out=str(tmp_path / "c"), init=str(tmp_path)))
    assert f"init={tmp_path}" in str(err.value)


def test_init_log_std_sets_the_exploration_a_fine_tuning_starts_from(tmp_path):
    train(_cfg(tmp_path))
    frozen = dict(TINY, learning_rate=0.0)  # nothing moves: the run ends where it started
    train(_cfg(tmp_path, out=str(tmp_path / "tuned"), init=str(tmp_path / "run"),
               init_log_std=-0.5, hyper=frozen))
    assert _weights(tmp_path / "tuned")[1]["log_std"].tolist() == [-0.5]
    assert _weights(tmp_path / "run")[1]["log_std"].tolist() != [-0.5]
    with pytest.raises(ConfigError, match="init_log_std: only for a PPO run started with init="):
        train(_cfg(tmp_path, out=str(tmp_path / "c"), init_log_std=-0.5))


def test_select_orders_evaluations_by_the_named_distribution_first():
    from s2r.train.evaluate import Evaluation, selection_key

    def ev(ret: float, success: float) -> Evaluation:
        return Evaluation(5, ret, 1.0, success, 100.0)

    sharp = (ev(900.0, 1.0), ev(500.0, 0.4))   # best on the centre, brittle around it
    robust = (ev(850.0, 1.0), ev(800.0, 0.8))
    assert selection_key("nominal", *sharp) > selection_key("nominal", *robust)
    assert selection_key("randomized", *robust) > selection_key("randomized", *sharp)
    # no randomized evaluation: the nominal one decides either way
    assert selection_key("randomized", ev(1.0, 1.0), None) == (1.0, 1.0)


def test_select_randomized_needs_a_randomization():
    with pytest.raises(ConfigError, match="select=randomized: needs a randomization"):
        check_config(TrainConfig(task="pendulum_swingup", select="randomized"))
    with pytest.raises(ConfigError, match="select: must be one of nominal, randomized"):
        check_config(TrainConfig(task="pendulum_swingup", select="best"))
