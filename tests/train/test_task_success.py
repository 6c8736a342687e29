"""Built-in tasks: what their rewards favour and their success criteria."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.robot import Observation
from s2r.tasks import TASKS, CartpoleBalance, FurutaSwingup, PendulumSwingup


def _furuta_return(task, theta, alpha, theta_dot, alpha_dot):
    zero = task.to_command(np.zeros(1))
    return sum(task.reward(Observation(0.0, np.array([th, al]), np.array([thd, ald])), zero)
               for th, al, thd, ald in zip(theta, alpha, theta_dot, alpha_dot))


def test_furuta_balancing_beats_spinning():
    task = FurutaSwingup()
    t = np.arange(500) / 100.0
    rng = np.random.default_rng(0)
    # spinning the pendulum through the top at 11.7 rad/s (what PPO found on the old reward)
    spin = _furuta_return(task, 0.3 * np.sin(t), 11.7 * t, 0.3 * np.cos(t), np.full(500, 11.7))
    # balanced: upright within a few degrees, small corrections, arm near its centre
    wobble = rng.normal(0.0, 0.03, 500)
    balanced = _furuta_return(task, 0.2 * np.sin(t), np.pi + wobble, 0.2 * np.cos(t),
                              rng.normal(0.0, 0.5, 500))
    hanging = _furuta_return(task, np.zeros(500), np.zeros(500), np.zeros(500), np.zeros(500))
    assert balanced > 3 * spin > 0
    assert spin > hanging  # passing the top still pays a little: a gradient for the swing-up
    # balanced far out on the arm is worse than balanced at its centre
    off_centre = _furuta_return(task, np.full(500, 1.8), np.pi + wobble, np.zeros(500),
                                np.zeros(500))
    assert off_centre < balanced
    task.close()


def test_furuta_spinning_in_simulation_is_not_a_success():
    task = FurutaSwingup(max_steps=200)
    task.reset(seed=0, options={"state": ([0.0, 0.0], [0.0, 14.0])})
    done, info, rewards = False, {}, []
    while not done:
        _, r, term, trunc, info = task.step(np.zeros(1))
        rewards.append(r)
        done = term or trunc
    assert info["success"] is False
    assert np.mean(rewards) < 0.5
    task.close()


@pytest.mark.parametrize("name", list(TASKS))
def test_every_builtin_task_reports_success_at_episode_end(name):
    task = TASKS[name][1](max_steps=6)
    assert task.success_criterion
    task.reset(seed=0)
    for i in range(6):
        *_, term, trunc, info = task.step(np.zeros(task.action_space.shape))
        assert ("success" in info) == (term or trunc)
        if term or trunc:
            break
    assert isinstance(info["success"], bool)
    task.close()


def test_pendulum_held_upright_succeeds_and_hanging_fails():
    task = PendulumSwingup(max_steps=10)
    # upright at rest stays upright for 10 steps with zero torque (unstable, but not that fast)
    task.reset(seed=0, options={"state": ([np.pi], [0.0])})
    for _ in range(10):
        *_, info = task.step(np.zeros(1))
    assert info["success"] is True
    task.reset(seed=0, options={"state": ([0.0], [0.0])})
    for _ in range(10):
        *_, info = task.step(np.zeros(1))
    assert info["success"] is False
    task.close()


def test_success_needs_the_full_episode_and_the_last_half():
    task = CartpoleBalance(max_steps=4)
    assert task.success([True] * 4, terminated=False)
    assert not task.success([True] * 4, terminated=True)
    assert not task.success([True] * 3, terminated=False)
    assert not task.success([True, True, True, False], terminated=False)
    assert task.success([False, False, True, True], terminated=False)
    task.close()


def _pump(task: PendulumSwingup) -> np.ndarray:
    """Energy pumping at full torque (towards the upright energy), a PD hold near the top."""
    q, qd = float(task.last_observation.q[0]), float(task.last_observation.qd[0])
    err = (q - np.pi + np.pi) % (2 * np.pi) - np.pi
    if abs(err) < 0.4:
        return np.clip([-(12 * err + 3 * qd) / 2.0], -1, 1)
    mgl = 9.81 * 0.5  # the 1 kg, 1 m rod; inertia about the hinge 1/3 kg m^2
    energy = qd * qd / 6 - mgl * np.cos(q)
    return np.array([np.sign(qd or 1.0) * (1.0 if energy < mgl else -1.0)])


def test_pendulum_swingup_is_solvable_within_its_default_episode():
    """The pumping controller reaches upright after 3.1-3.3 s (steps 156-166) and holds it:
    it succeeds in the default 500-step episode, and could not in a 250-step one."""
    for steps, expected in ((None, True), (250, False)):
        task = PendulumSwingup(max_steps=steps)
        for seed in range(2):
            task.reset(seed=seed)
            done = False
            while not done:
                *_, term, trunc, info = task.step(_pump(task))
                done = term or trunc
            assert info["success"] is expected, (steps, seed)
        task.close()
    assert PendulumSwingup.default_max_steps == 500
