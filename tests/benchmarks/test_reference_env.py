"""The hand-written reference envs of benchmarks/ simulate exactly what s2r's tasks do.

A speed comparison is only fair if both sides compute the same thing: the reference env
copies the model from a SimRobot and must then give the task's trajectory and rewards.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from s2r.sim import SimRobot
from s2r.tasks import CartpoleBalance, FurutaSwingup, PendulumSwingup

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "reference_env.py"


def _reference_module():
    spec = importlib.util.spec_from_file_location("reference_env", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("task,cls", [("furuta_swingup", FurutaSwingup),
                                      ("cartpole_balance", CartpoleBalance),
                                      ("pendulum_swingup", PendulumSwingup)])
def test_reference_env_reproduces_the_task(task, cls):
    ref = _reference_module().ReferenceEnv(task)
    # the reference steps every physics sub-step, as SimRobot's explicit path does (its
    # numSubSteps fast path agrees within integration error: tests/s2r/test_sim_effects.py)
    env = cls(SimRobot(cls.default_robot, substeps="explicit"))
    try:
        rng = np.random.default_rng(3)
        state = (rng.uniform(-0.05, 0.05, 2 if task != "pendulum_swingup" else 1),) * 2
        obs_a, _ = env.reset(options={"state": state})
        obs_b, _ = ref.reset(options={"state": state})
        np.testing.assert_array_equal(obs_a, obs_b)
        # a slow sine: within every built-in robot's command rate limit
        for k in range(60):
            action = np.array([0.3 * np.sin(0.2 * k)], dtype=np.float32)
            obs_a, r_a, term_a, _, _ = env.step(action)
            obs_b, r_b, term_b, _, _ = ref.step(action)
            np.testing.assert_allclose(obs_a, obs_b, rtol=0, atol=1e-6)
            assert r_a == pytest.approx(r_b, abs=1e-9)
            assert term_a == term_b
            if term_a:
                break
    finally:
        env.close()
        env.robot.close()
        ref.close()
