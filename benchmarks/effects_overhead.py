"""Cost of s2r.effects per physics sub-step (to compare with the simulator's own step cost).

Runs an :class:`~s2r.effects.EffectModel` of the Furuta pendulum (2 joints, 1
motor, 1 current sensor) the way a simulator would: one ``command`` per
control period (10 ms) and per 2 ms sub-step ``drive``, ``friction``,
``record`` and ``measure``, on a made-up trajectory, with every effect off
(nominal) and with the bench's effects on (3 ms action delay, 1 ms observation
delay, 2048-count encoders, 55 Hz velocity filter, position and current
noise, smooth friction, rate limit). Prints the median microseconds per
sub-step of ``--repeats`` runs (CPU time of this process; the made-up
trajectory's sin/cos are inside the timing).

    python benchmarks/effects_overhead.py [--steps 20000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from s2r.effects import EffectModel
from s2r.robot import ActuatorSpec, JointSpec, RobotSpec

SPEC = RobotSpec("furuta", (JointSpec("arm", "revolute"), JointSpec("pendulum", "revolute")),
                 (ActuatorSpec("arm", "arm", "dc_motor", -5.0, 5.0),), 100.0,
                 sensors=("current.arm",))
BENCH = {"delay.action": 0.003, "delay.observation": 0.001, "motor.arm.rate_limit": 500.0,
         "joint.arm.coulomb_smooth": 0.002, "joint.pendulum.coulomb_smooth": 5e-5,
         "sensor.arm.resolution": 2 * math.pi / 2048,
         "sensor.pendulum.resolution": 2 * math.pi / 2048,
         "sensor.arm.velocity_cutoff": 55.16, "sensor.pendulum.velocity_cutoff": 55.16,
         "sensor.arm.position_noise": 5e-4, "sensor.pendulum.position_noise": 5e-4,
         "sensor.current_arm.noise": 0.01}
DT, SUB = 0.002, 5


def run(values: dict[str, float], steps: int) -> float:
    """CPU microseconds per sub-step."""
    fx = EffectModel(SPEC, sample_period=DT)
    fx.set_params(values)
    rng = np.random.default_rng(0)
    fx.reset(0.0, [0.0, 0.0], [0.0, 0.0], [0.0], rng)
    t = 0.0
    start = time.process_time()
    for k in range(steps // SUB):
        fx.command(t, (math.sin(0.01 * k),))
        for _ in range(SUB):
            fx.drive(t, DT)
            t += DT
            q = [math.sin(t), math.cos(3 * t)]
            qd = [math.cos(t), -3 * math.sin(3 * t)]
            fx.friction(qd)
            fx.record(t, q, qd, [0.1])
            fx.measure(t, rng)
    return 1e6 * (time.process_time() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for label, values in (("nominal (all off)", {}), ("bench effects on", BENCH)):
        times = [run(values, args.steps) for _ in range(args.repeats)]
        print(f"{label:18s} {statistics.median(times):6.1f} us per sub-step "
              f"(median of {args.repeats}, {args.steps} sub-steps each)")


if __name__ == "__main__":
    main()
