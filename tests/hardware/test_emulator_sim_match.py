"""One model: the emulator's Plant and a SimRobot with the same truth values measure the same."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from hardware.emulator import Plant
from s2r.errors import RobotError
from s2r.sim import SimRobot

QUIET = {"action_jitter": 0.0, "position_noise": 0.0, "velocity_noise": 0.0,
         "sensor_noise": 0.0}


@pytest.mark.parametrize("robot", ["furuta", "pendulum", "cartpole"])
def test_the_same_truth_gives_the_same_measurement_in_simrobot_and_plant(robot: str) -> None:
    plant = Plant(robot, "bench", rng=np.random.default_rng(0), **QUIET)
    try:
        values = {k: v for k, v in plant.truth.items() if k != "world.control_period"}
        effects_on = [k for k, v in plant.effect_truth.items()
                      if v and not k.endswith(".stribeck_velocity")]
        assert "delay.action" in effects_on and any(".resolution" in k for k in effects_on)
        with SimRobot(robot, params=values) as sim:
            sim.reset()
            rng = np.random.default_rng(1)
            for _ in range(60):
                u = rng.uniform(sim.spec.action_low, sim.spec.action_high)
                sim.act(u)
                obs = sim.observe()
                plant.command(tuple(u.tolist()), enabled=True)
                plant.advance_to(sim.time)  # ticks of a period (4 or 5 on the cart-pole)
                q, qd, sensors = plant.measurement()
                assert (obs.q.tolist(), obs.qd.tolist(), obs.sensors.tolist()) == (
                    list(q), list(qd), list(sensors))
    finally:
        plant.close()


def test_the_plants_simrobot_is_not_pickled_without_its_channels() -> None:
    """Its enable channel and coasting belong to the Plant: a bare copy would drive wrongly."""
    plant = Plant("pendulum", "nominal", rng=np.random.default_rng(0))
    try:
        with pytest.raises(RobotError, match="carried channels"):
            pickle.dumps(plant.sim)
    finally:
        plant.close()
