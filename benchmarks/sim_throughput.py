"""Env steps/s of each s2r task vs. bare ``pybullet.stepSimulation`` on the same model.

For each task the script measures, side by side in one run (interleaved
repetitions, median of them):

- ``env``: ``task.step(action)`` with a fixed action (robot + task layers);
- ``explicit``: the same env on a ``SimRobot(substeps="explicit")``, which
  steps every physics sub-step from Python (the path before PyBullet's
  ``numSubSteps`` fast path, and the one any effect or hook still takes);
- ``robot``: ``SimRobot.act`` + ``observe`` alone (no task layer);
- ``floor``: per sub-step only what any torque-driven PyBullet env must do:
  re-issue the joint torques (PyBullet clears them after every step) and step;
- ``bare``: the same number of ``stepSimulation`` calls per control step on the
  same model in the same client, nothing else (the physics alone);
- ``hand``: a hand-written Gymnasium env on the same model and sub-steps
  (``benchmarks/reference_env.py``; a test checks it gives the trajectory of the
  task on explicit sub-steps, which the fast path matches within integration error),
  for the tasks it covers;

and prints steps/s of each and the ratios env/bare (1.0 = the task layer costs
nothing), floor/bare (the best any torque-driven env could reach), env/hand
(>= 1.0: s2r is as fast as writing the env by hand) and env/expl (the fast
path's gain).
Run: ``.venv/bin/python benchmarks/sim_throughput.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import pybullet as pb

from s2r.sim import SimRobot
from s2r.tasks import TASKS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ReferenceEnv  # noqa: E402

HAND = ("furuta_swingup", "cartpole_balance", "pendulum_swingup")


def bench_env(env, steps: int) -> float:
    env.reset(seed=0)
    action = np.full(env.action_space.shape, 0.1, dtype=np.float32)
    t0 = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - t0)


def bench_robot(robot, steps: int) -> float:
    robot.reset()
    command = robot.spec.action_high * 0.1
    t0 = time.perf_counter()
    for _ in range(steps):
        robot.act(command)
        robot.observe()
    return steps / (time.perf_counter() - t0)


def explicit_physics(robot) -> None:
    """One physics step per ``stepSimulation`` (the env's fast path may have set more)."""
    robot._stepper.configure(1)
    robot._stepper.substeps = 1


def bench_floor(robot, steps: int, substeps: int) -> float:
    explicit_physics(robot)
    client, body, ids = robot.client, robot.body, robot._act_joint_ids
    forces = [0.0] * len(ids)
    t0 = time.perf_counter()
    for _ in range(steps * substeps):
        pb.setJointMotorControlArray(body, ids, pb.TORQUE_CONTROL, forces=forces,
                                     physicsClientId=client)
        pb.stepSimulation(physicsClientId=client)
    return steps / (time.perf_counter() - t0)


def bench_bare(robot, steps: int, substeps: int) -> float:
    explicit_physics(robot)
    client = robot.client
    t0 = time.perf_counter()
    for _ in range(steps * substeps):
        pb.stepSimulation(physicsClientId=client)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'task':18s} {'substeps':>8s} {'env/s':>8s} {'robot/s':>8s} {'floor/s':>8s} "
          f"{'bare/s':>8s} {'hand/s':>8s} {'expl/s':>8s} {'env/bare':>9s} {'floor/bare':>10s} "
          f"{'env/hand':>9s} {'env/expl':>9s}")
    for name, (_, cls) in TASKS.items():
        env = cls()
        robot = env.robot
        substeps = round(robot.get("world.control_period") / robot.get("world.timestep"))
        hand = ReferenceEnv(name) if name in HAND else None
        slow = cls(SimRobot(robot.description, substeps="explicit"))
        rates: dict[str, list[float]] = {"env": [], "robot": [], "floor": [], "bare": [],
                                         "hand": [], "explicit": []}
        for _ in range(args.repeats):  # interleaved, so drift hits all alike
            rates["env"].append(bench_env(env, args.steps))
            rates["explicit"].append(bench_env(slow, args.steps))
            rates["robot"].append(bench_robot(robot, args.steps))
            rates["floor"].append(bench_floor(robot, args.steps, substeps))
            rates["bare"].append(bench_bare(robot, args.steps, substeps))
            if hand is not None:
                rates["hand"].append(bench_env(hand, args.steps))
        e, r, f, b = (statistics.median(rates[k]) for k in ("env", "robot", "floor", "bare"))
        h = statistics.median(rates["hand"]) if rates["hand"] else float("nan")
        x = statistics.median(rates["explicit"])
        print(f"{name:18s} {substeps:8d} {e:8.0f} {r:8.0f} {f:8.0f} {b:8.0f} {h:8.0f} {x:8.0f} "
              f"{e / b:9.2f} {f / b:10.2f} {e / h:9.2f} {e / x:9.2f}", flush=True)
        env.close()
        slow.robot.close()
        slow.close()
        if hand is not None:
            hand.close()


if __name__ == "__main__":
    main()
