"""Per-step cost of the stepping paths, with the trajectories they must keep bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.sim import SimRobot


def _rollout(robot: SimRobot, steps: int = 60) -> np.ndarray:
    rng = np.random.default_rng(0)
    robot.reset(q=0.2 * np.ones(robot.spec.n_joints), qd=0.3 * np.ones(robot.spec.n_joints))
    rows = []
    for _ in range(steps):
        robot.act(rng.uniform(robot.spec.action_low, robot.spec.action_high))
        o = robot.observe()
        rows.append([o.t, *o.q, *o.qd])
    return np.array(rows)


@pytest.mark.parametrize("name", ["furuta", "cartpole"])
def test_explicit_substeps_read_the_state_once_and_keep_the_trajectory(name):
    """Without effects or hooks the explicit path reads the joints once per control period;
    a hook (which may look at the state) brings back a read per sub-step, with the same
    trajectory bit for bit (PyBullet's state does not depend on reads)."""
    with SimRobot(name, substeps="explicit") as plain, \
            SimRobot(name, substeps="explicit") as hooked:
        hooked.add_substep_hook(lambda robot: None)
        reads = []
        original = plain._stepper.read_state
        plain._stepper.read_state = lambda: (reads.append(1), original())[1]  # type: ignore
        a = _rollout(plain)
        b = _rollout(hooked)
        k = round(plain.get("world.control_period") / plain.get("world.timestep"))
        assert k > 1
    assert len(reads) == 60 + 1  # one per act, one per reset
    np.testing.assert_array_equal(a, b)
