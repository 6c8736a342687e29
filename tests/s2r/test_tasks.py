"""Gymnasium tasks: env checker, seeding, task/robot separation, a user's own robot."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from s2r.sim import SimRobot
from s2r.tasks import TASKS, PendulumSwingup
from s2r.tasks.config import make_task

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("gym_id", [v[0] for v in TASKS.values()])
def test_env_checker_passes(gym_id):
    env = gym.make(gym_id)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("gym_id", [v[0] for v in TASKS.values()])
def test_same_seed_same_episode(gym_id):
    def episode(seed):
        env = gym.make(gym_id)
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        rows = [obs]
        for _ in range(30):
            obs, reward, term, trunc, _ = env.step(env.action_space.sample())
            rows.append(np.append(obs, reward))
            if term or trunc:
                break
        env.close()
        return rows

    a, b, c = episode(3), episode(3), episode(4)
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_actions_are_normalised_and_the_applied_command_reported():
    env = make_task("furuta_swingup")
    env.reset(seed=0)
    assert env.to_command(np.array([1.0]))[0] == pytest.approx(5.0)
    assert env.to_command(np.array([-0.5]))[0] == pytest.approx(-2.5)
    # the applied command is after the safety layer: 2 V per step at most (furuta.yaml)
    applied = [env.step(np.array([a]))[4]["applied_action"][0] for a in (1.0, 1.0, 1.0, -0.5)]
    assert applied == pytest.approx([2.0, 4.0, 5.0, 3.0])
    env.close()


def test_pendulum_swingup_reward_is_best_upright():
    env = PendulumSwingup()
    env.reset(seed=0, options={"state": ([np.pi], [0.0])})
    _, r_up, *_ = env.step(np.zeros(1))
    env.reset(seed=0, options={"state": ([0.0], [0.0])})
    _, r_down, *_ = env.step(np.zeros(1))
    assert r_up > r_down
    env.close()


def test_cartpole_balance_terminates_when_the_pole_falls():
    env = make_task("cartpole_balance")
    env.reset(seed=0, options={"state": ([0.0, 0.3], [0.0, 0.0])})
    _, _, terminated, _, _ = env.step(np.zeros(1))
    assert terminated
    env.close()


def test_task_on_a_given_robot_instance_leaves_it_open():
    robot = SimRobot("pendulum", params={"link.pole.mass": 1.5})
    env = PendulumSwingup(robot)
    env.reset(seed=0)
    env.step(np.zeros(1))
    env.close()
    assert robot.get("link.pole.mass") == 1.5  # the task did not close or reset it
    robot.reset()
    robot.close()


def test_user_robot_yaml_works_with_the_tasks_api():
    env = PendulumSwingup(DATA / "my_pendulum.yaml", max_steps=50)
    check_env(env, skip_render_check=True)
    robot = env.robot
    assert robot.spec.name == "my_pendulum"
    assert "motor.shoulder.resistance" in robot.params
    assert robot.get("joint.shoulder.upper_limit") == 3.0
    obs, _ = env.reset(seed=0)
    total = 0.0
    for _ in range(50):
        obs, r, term, trunc, info = env.step(np.ones(1))
        total += r
    assert abs(info["q"][0]) > 0.1  # the motor really moves the user's rod
    env.close()


def test_task_config_with_robot_path_and_params(tmp_path):
    cfg = tmp_path / "task.yaml"
    cfg.write_text(f"task: pendulum_swingup\nrobot: {DATA / 'my_pendulum.yaml'}\n"
                   "max_steps: 7\nparams: {link.rod.mass: 0.5}\n")
    env = make_task(cfg)
    assert env.max_steps == 7 and env.robot.get("link.rod.mass") == 0.5
    env.close()
