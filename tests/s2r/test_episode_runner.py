"""The one episode runner and the safety layer in simulation: rate limit, guards, logs,
poor timing and stop signals."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from randomizers.registry import load_randomization
from randomizers.wrapper import RandomizedEnv
from s2r.errors import TimingError
from s2r.logs import LogWriter, read_log
from s2r.policy import load_policy
from s2r.rollout import log_meta, rollout
from s2r.runner import (
    EXTRA_COLUMNS,
    TASK_COLUMNS,
    StopSignal,
    episodes_line,
    run_signal,
    run_task,
    stop_on_signals,
    success_rate,
    timing_warning,
)
from s2r.sim import SimRobot
from s2r.tasks import FurutaSwingup, PendulumSwingup


def bang_bang(obs: np.ndarray) -> np.ndarray:
    """The largest possible steps: full range, alternating every tick."""
    bang_bang.k = getattr(bang_bang, "k", 0) + 1  # type: ignore[attr-defined]
    return np.array([1.0 if bang_bang.k % 2 else -1.0])  # type: ignore[attr-defined]


def applied_commands(env, policy, steps: int) -> np.ndarray:
    obs, _ = env.reset(seed=0)
    out = []
    for _ in range(steps):
        obs, _, terminated, truncated, info = env.step(policy(obs))
        out.append(np.array(info["applied_action"], dtype=float))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(np.full(1, np.nan))  # episode boundary: the rate limit restarts at 0
    return np.array(out)


def max_step(u: np.ndarray) -> float:
    """Largest change between consecutive commands, from 0 at each episode start."""
    steps = []
    for part in np.split(u[:, 0], np.flatnonzero(np.isnan(u[:, 0]))):
        part = part[~np.isnan(part)]
        steps.extend(np.abs(np.diff(np.concatenate([[0.0], part]))))
    return float(max(steps))


@pytest.mark.parametrize("policy", ["bang_bang", "scripted:random", "scripted:sine"])
def test_sim_policies_never_step_the_command_more_than_max_action_delta(policy):
    env = FurutaSwingup(max_steps=100)
    delta = env.robot.spec.safety.max_action_delta
    assert delta == 2.0  # furuta.yaml: 2 V per control step, as on the hardware
    pol = bang_bang if policy == "bang_bang" else load_policy(policy, act_dim=1, rate=100.0)
    u = applied_commands(env, pol, 300)
    env.close()
    assert max_step(u) <= delta + 1e-9
    assert np.nanmax(np.abs(u)) <= 5.0


def test_randomized_training_envs_apply_the_rate_limit_too():
    env = RandomizedEnv(FurutaSwingup(max_steps=100), load_randomization("furuta_full"), seed=0)
    u = applied_commands(env, bang_bang, 200)
    env.close()
    assert max_step(u) <= 2.0 + 1e-9


def test_a_joint_guard_ends_a_sim_episode_as_a_safety_stop(tmp_path):
    class Spinning(PendulumSwingup):
        def initial_state(self, rng):
            return np.zeros(1), np.array([25.0])  # beyond the 20 rad/s guard of pendulum.yaml

    env = Spinning(max_steps=50)
    out = tmp_path / "run.s2r.csv"
    with LogWriter(out, log_meta(env.robot.spec), TASK_COLUMNS) as writer:
        (res,) = run_task(env, load_policy("scripted:zero"), rate=None, writer=writer)
    assert res.steps == 1 and res.reason.startswith("safety_stop: joint hinge velocity")
    assert read_log(out).episode(0).end["reason"] == res.reason


def test_sim_rollout_logs_the_columns_of_a_deployment(tmp_path):
    out = tmp_path / "sim.s2r.csv"
    result = rollout("furuta_swingup", "scripted:sine", episodes=2, max_steps=30, out=out)
    log = read_log(out)
    assert [len(ep) for ep in log.episodes] == [r.steps for r in result.episodes]
    assert len(log.episodes) == 2 and log.meta.source == "sim"
    assert {"reward", "t_host", "rtt"} <= set(log.frame.columns)
    assert (log.frame["rtt"] == 0).all()
    for ep, r in zip(log.episodes, result.episodes, strict=True):
        assert ep.end["ret"] == pytest.approx(ep.frame["reward"].sum()) == pytest.approx(r.ret)
        assert ep.end["timing"]["ticks"] == len(ep) and ep.end["timing"]["overruns"] == 0
        assert np.abs(np.diff(ep.u[:, 0])).max() <= 2.0 + 1e-9


def test_every_episode_carries_the_task_success_verdict_in_its_result_and_log(tmp_path):
    env = PendulumSwingup(max_steps=20)
    verdicts = []
    for seed in (0, 1):
        env.reset(seed=seed)
        for _ in range(20):
            *_, terminated, truncated, info = env.step(np.zeros(1))
        verdicts.append(bool(info["success"]))
    env.close()
    out = tmp_path / "sim.s2r.csv"
    result = rollout("pendulum_swingup", "scripted:zero", episodes=2, max_steps=20, out=out)
    assert [r.success for r in result.episodes] == verdicts
    assert [ep.end["success"] for ep in read_log(out).episodes] == verdicts
    assert success_rate(result.episodes) == sum(verdicts) / 2
    assert episodes_line(result.episodes).endswith(f"success {sum(verdicts)}/2")


class SlowRobot:
    """A robot whose act() takes 5 ms: a 1 kHz rate cannot be held on any machine."""

    def __init__(self) -> None:
        self.robot = SimRobot("pendulum")
        self.spec = self.robot.spec

    def reset(self, q=None, qd=None):
        return self.robot.reset(q, qd)

    def act(self, action):
        time.sleep(0.005)
        return self.robot.act(action)

    def observe(self):
        return self.robot.observe()

    def close(self):
        self.robot.close()


def test_poor_timing_warns_and_with_a_threshold_fails_keeping_the_log(tmp_path):
    robot = SlowRobot()
    res = run_signal(robot, lambda t, obs: np.zeros(1), steps=10, rate=1000.0)
    assert res.reason == "completed" and timing_warning(res.timing) is not None

    out = tmp_path / "rec.s2r.csv"
    robot = SlowRobot()
    with LogWriter(out, log_meta(robot.spec), EXTRA_COLUMNS) as writer, \
            pytest.raises(TimingError, match="control periods overran"):
        run_signal(robot, lambda t, obs: np.zeros(1), steps=10, rate=1000.0, writer=writer,
                   max_overrun_fraction=0.05)
    assert robot.robot.client == -1  # closed all the same
    ep = read_log(out).episode(0)
    assert len(ep) == 10 and ep.end["reason"].startswith("timing: ")
    assert ep.end["timing"]["overrun_fraction"] > 0.05


def test_sigterm_during_a_sim_run_ends_the_log_and_closes(tmp_path):
    env = PendulumSwingup(max_steps=100)
    calls = []

    def policy(obs):
        calls.append(1)
        if len(calls) == 10:
            os.kill(os.getpid(), signal.SIGTERM)
        return np.zeros(1)

    out = tmp_path / "run.s2r.csv"
    with stop_on_signals(), LogWriter(out, log_meta(env.robot.spec), TASK_COLUMNS) as writer, \
            pytest.raises(StopSignal) as err:
        run_task(env, policy, rate=None, writer=writer)
    assert err.value.exit_code == 128 + signal.SIGTERM
    assert env.robot.client == -1
    ep = read_log(out).episode(0)
    assert ep.end["reason"] == "interrupted: SIGTERM" and 9 <= len(ep) <= 10
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored


def test_a_signal_during_the_close_waits_until_the_robot_is_closed(tmp_path):
    """SIGTERM right while the runner disables the robot must not cut the DISABLE short."""
    robot = SimRobot("pendulum")
    closed = []

    def close() -> None:
        if not closed:  # once: a finalizer may call close() again after the test
            os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the close
        SimRobot.close(robot)
        closed.append(True)

    robot.close = close  # type: ignore[method-assign]
    out = tmp_path / "rec.s2r.csv"
    with pytest.raises(StopSignal), stop_on_signals(), \
            LogWriter(out, log_meta(robot.spec), EXTRA_COLUMNS) as writer:
        run_signal(robot, lambda t, obs: np.zeros(1), steps=5, rate=None, writer=writer)
    assert closed == [True] and robot.client == -1
    del robot.close
    assert read_log(out).episode(0).end["reason"] == "completed"
