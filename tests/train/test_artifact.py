"""The policy artifact: SB3 export equals predict, round trip, refusals, corrupt files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from s2r.artifact import (
    FORMAT_VERSION,
    ArtifactPolicy,
    Layer,
    from_sb3,
    load_artifact,
    save_artifact,
)
from s2r.errors import PolicyError
from s2r.tasks import CartpoleBalance, FurutaSwingup, PendulumSwingup

torch.set_num_threads(1)


def _model(algo, vecnorm: bool):
    venv = DummyVecEnv([lambda: FurutaSwingup(max_steps=20)])
    norm = VecNormalize(venv, norm_obs=True, norm_reward=False) if vecnorm else None
    env = norm or venv
    if algo == "ppo":
        model = PPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0)
    else:
        model = SAC("MlpPolicy", env, learning_starts=0, train_freq=8, gradient_steps=2,
                    batch_size=16, buffer_size=200, seed=0)
    model.learn(64)  # moves the weights and the normalisation statistics off their init
    return model, norm, venv


@pytest.mark.parametrize("algo", ["ppo", "sac"])
@pytest.mark.parametrize("vecnorm", [False, True])
def test_exported_artifact_equals_sb3_predict(tmp_path, algo, vecnorm):
    model, norm, venv = _model(algo, vecnorm)
    task = venv.envs[0]
    policy = from_sb3(model, tmp_path / "policy", task=task, vecnormalize=norm)
    if vecnorm:
        assert np.any(np.abs(norm.obs_rms.mean) > 1e-3)  # statistics really are in use
    rng = np.random.default_rng(0)
    obs = rng.normal(0.0, 2.0, (200, 6)).astype(np.float32)
    seen = norm.normalize_obs(obs) if vecnorm else obs
    expected, _ = model.predict(seen, deterministic=True)
    batch = policy(obs)
    one_by_one = np.stack([policy(o) for o in obs])
    assert np.max(np.abs(batch - expected)) < 1e-5
    assert np.max(np.abs(one_by_one - expected)) < 1e-5
    assert np.std(expected) > 1e-3  # not a constant policy that any export would match
    spec = json.loads((tmp_path / "policy" / "spec.json").read_text())
    assert spec["format_version"] == FORMAT_VERSION
    assert (spec["normalization"] is not None) == vecnorm
    assert spec["network"]["output"] == ("clip" if algo == "ppo" else "squash")
    venv.close()


def test_artifact_refuses_a_task_or_robot_it_does_not_fit(tmp_path):
    furuta = FurutaSwingup()
    net = [Layer(np.zeros((4, 6)), np.zeros(4), "tanh"), Layer(np.zeros((1, 4)), np.zeros(1))]
    save_artifact(tmp_path / "p", net, task=furuta)
    assert isinstance(load_artifact(tmp_path / "p", task=furuta), ArtifactPolicy)
    pendulum = PendulumSwingup()
    with pytest.raises(PolicyError, match="task: trained for 'furuta_swingup', not "
                                          "'pendulum_swingup'.*robot: trained on 'furuta'"):
        load_artifact(tmp_path / "p", task=pendulum)
    with pytest.raises(PolicyError, match="task: trained for 'furuta_swingup'"):
        load_artifact(tmp_path / "p", task="cartpole_balance")
    from s2r.sim import SimRobot

    fast = FurutaSwingup(SimRobot("furuta", overrides=["control_rate=200"]))
    with pytest.raises(PolicyError, match="control rate: trained at 100 Hz, the robot runs at "
                                          "200 Hz"):
        load_artifact(tmp_path / "p", task=fast)
    # another observation layout: same task name, different joint names in the spec
    spec_file = tmp_path / "p" / "spec.json"
    spec = json.loads(spec_file.read_text())
    spec["observation"]["layout"][4]["name"] = "qd.elbow"
    spec["action"]["size"] = 2
    spec_file.write_text(json.dumps(spec))
    with pytest.raises(PolicyError, match=r"observation layout: .*qd\.elbow.*; action size: "
                                          "policy gives 2, the robot takes 1"):
        load_artifact(tmp_path / "p", task=furuta)
    for env in (furuta, pendulum, fast.robot):
        env.close()


def test_missing_and_corrupt_files_are_one_line_errors(tmp_path):
    env = CartpoleBalance()
    net = [Layer(np.ones((1, 5)), np.zeros(1))]
    with pytest.raises(PolicyError, match="no such policy artifact"):
        load_artifact(tmp_path / "nope")
    save_artifact(tmp_path / "p", net, task=env)
    (tmp_path / "p" / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(PolicyError, match="corrupt weights.npz"):
        load_artifact(tmp_path / "p")
    (tmp_path / "p" / "weights.npz").unlink()
    with pytest.raises(PolicyError, match="missing weights.npz"):
        load_artifact(tmp_path / "p")
    # a pickled object array is refused, never unpickled
    np.savez(tmp_path / "p" / "weights.npz", w0=np.array([object()], dtype=object),
             b0=np.zeros(1))
    with pytest.raises(PolicyError, match="corrupt weights.npz"):
        load_artifact(tmp_path / "p")
    save_artifact(tmp_path / "p", net, task=env)
    np.savez(tmp_path / "p" / "weights.npz", w0=np.ones((1, 4)), b0=np.zeros(1))
    with pytest.raises(PolicyError, match=r"layer 0: weights \(1, 4\)"):
        load_artifact(tmp_path / "p")
    (tmp_path / "p" / "spec.json").write_text("{not json")
    with pytest.raises(PolicyError, match="corrupt spec.json"):
        load_artifact(tmp_path / "p")
    (tmp_path / "p" / "spec.json").write_text(json.dumps({"format": "s2r-policy-artifact",
                                                          "format_version": 99}))
    with pytest.raises(PolicyError, match="format version 99 is not supported"):
        load_artifact(tmp_path / "p")
    env.close()


def test_normalisation_and_scaling_apply_inside_the_callable(tmp_path):
    env = PendulumSwingup()
    net = [Layer(np.eye(3)[:1] * 10.0, np.zeros(1))]  # 10 * first normalised observation
    save_artifact(tmp_path / "p", net, task=env,
                  normalization={"mean": [1.0, 0.0, 0.0], "var": [4.0, 1.0, 1.0], "clip": 5.0,
                                 "epsilon": 0.0})
    policy = load_artifact(tmp_path / "p", task=env)
    assert policy(np.array([1.1, 0.0, 0.0])) == pytest.approx([0.5])  # (1.1-1)/2*10
    assert policy(np.array([100.0, 0.0, 0.0])) == pytest.approx([1.0])  # clipped to the range
    with pytest.raises(PolicyError, match=r"policy expects 3 observations, got shape \(4,\)"):
        policy(np.zeros(4))
    spec = policy.spec
    assert spec["params"]["link.pole.mass"] == env.robot.get("link.pole.mass")
    assert [e["name"] for e in spec["observation"]["layout"]] == [
        "cos(q.hinge)", "sin(q.hinge)", "qd.hinge"]
    assert spec["action"]["actuators"][0]["unit"] == "N*m"
    env.close()


def test_artifact_runs_in_the_shared_episode_runner(tmp_path):
    from s2r.runner import run_task

    env = PendulumSwingup(max_steps=20)
    rng = np.random.default_rng(1)
    net = [Layer(rng.normal(size=(8, 3)), rng.normal(size=8), "tanh"),
           Layer(rng.normal(size=(1, 8)), np.zeros(1))]
    save_artifact(tmp_path / "p", net, task=env)
    policy = load_artifact(tmp_path / "p", task=env)
    results = run_task(env, policy, episodes=2, seed=0, rate=None, close=False)
    assert [r.steps for r in results] == [20, 20]
    # the same policy by hand gives the same return: the runner really used it
    obs, _ = env.reset(seed=0)
    total = 0.0
    for _ in range(20):
        obs, reward, *_ = env.step(policy(obs))
        total += reward
    assert results[0].ret == pytest.approx(total)
    env.close()


def test_rollout_and_deploy_take_an_artifact_directory(tmp_path, capsys):
    """`s2r rollout policy=DIR` runs an artifact as it is; one for another robot is refused
    before anything runs."""
    from s2r.cli import main
    from s2r.logs import read_log

    env = PendulumSwingup(max_steps=10)
    rng = np.random.default_rng(2)
    save_artifact(tmp_path / "p", [Layer(rng.normal(size=(4, 3)), np.zeros(4), "tanh"),
                                   Layer(rng.normal(size=(1, 4)), np.zeros(1))], task=env)
    env.close()
    out = tmp_path / "run.s2r.csv"
    assert main(["rollout", "task=pendulum_swingup", f"policy={tmp_path / 'p'}", "episodes=1",
                 f"out={out}"]) == 0
    assert read_log(out).meta.policy == str(tmp_path / "p")
    capsys.readouterr()
    assert main(["rollout", "task=furuta_swingup", f"policy={tmp_path / 'p'}",
                 "episodes=1"]) == 2
    err = capsys.readouterr().err
    assert "policy does not fit" in err and "furuta" in err and err.count("\n") == 1


def test_deploy_runs_an_artifact_on_the_emulated_robot(tmp_path, capsys):
    """`s2r deploy policy=DIR` over the serial protocol, the artifact as it is; one for
    another task is refused before the port is opened."""
    from hardware.emulator import Emulator, EmulatorConfig
    from s2r.cli import main
    from s2r.logs import read_log
    from s2r.tasks import FurutaSwingup

    env = FurutaSwingup(max_steps=10)
    rng = np.random.default_rng(3)
    save_artifact(tmp_path / "p", [Layer(rng.normal(size=(4, 6)), np.zeros(4), "tanh"),
                                   Layer(0.1 * rng.normal(size=(1, 4)), np.zeros(1))], task=env)
    env.close()
    out = tmp_path / "deploy.s2r.csv"
    with Emulator(EmulatorConfig(robot="furuta", mode="lockstep")) as emu:
        assert main(["deploy", f"port={emu.port}", f"policy={tmp_path / 'p'}",
                     "task=furuta_swingup", "max_steps=10", "paced=false", f"out={out}"]) == 0
        assert emu.stats["commands_applied"] >= 10
    log = read_log(out)
    assert log.meta.policy == str(tmp_path / "p") and len(log.episodes[0]) == 10
    capsys.readouterr()
    assert main(["deploy", "port=/dev/null", f"policy={tmp_path / 'p'}",
                 "task=pendulum_swingup", f"out={tmp_path / 'x.s2r.csv'}"]) == 2
    assert "policy does not fit" in capsys.readouterr().err
    assert not (tmp_path / "x.s2r.csv").exists()


def test_a_training_run_directory_loads_its_best_policy(tmp_path):
    """`policy=RUN` (an `s2r train` out directory) means RUN/policy, as `init=RUN` does."""
    from s2r.policy import load_policy

    env = PendulumSwingup(max_steps=10)
    rng = np.random.default_rng(3)
    save_artifact(tmp_path / "run" / "policy",
                  [Layer(rng.normal(size=(4, 3)), np.zeros(4), "tanh"),
                   Layer(rng.normal(size=(1, 4)), np.zeros(1))], task=env)
    env.close()
    obs = rng.normal(size=3).astype(np.float32)
    direct = load_policy(tmp_path / "run" / "policy", task="pendulum_swingup")
    via_run = load_policy(tmp_path / "run", task="pendulum_swingup")
    assert np.array_equal(via_run(obs), direct(obs))
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy(tmp_path, task="pendulum_swingup")  # no policy/ inside
