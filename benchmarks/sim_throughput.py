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

and prints steps/s of each (medians over the repetitions) and the ratios env/bare
(1.0 = the task layer costs nothing), floor/bare (the best any torque-driven env
could reach), env/hand (>= 1.0: s2r is as fast as writing the env by hand) and
env/expl (the fast path's gain over the explicit sub-step path,
``SimRobot(substeps="explicit")``), each the median of the per-repetition ratios
(``hand`` is timed right after ``env``), so that load changing between
repetitions cancels.

Rates are per CPU second of this process (``time.process_time``), so other load
on the machine changes them less; ``--wall`` times with the wall clock instead.
``--save FILE`` writes the medians as JSON.

Before/after: ``--baseline-tree DIR`` (a checkout of an earlier commit, e.g.
``git worktree add /tmp/base <commit>``) adds the column ``env/base``. A second
process runs this script's env loop on DIR's ``s2r``, and each repetition times
one window here and one there, back to back (order alternating); the column is
the median of the per-pair ratios, so both sides see the same load.
Run: ``.venv/bin/python benchmarks/sim_throughput.py [--steps N] [--repeats N]
[--baseline-tree DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pybullet as pb

from s2r.sim import SimRobot
from s2r.tasks import TASKS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_env import ReferenceEnv  # noqa: E402

HAND = ("furuta_swingup", "cartpole_balance", "pendulum_swingup")
clock = time.process_time  # CPU time of this process (``--wall``: time.perf_counter)


def bench_env(env, steps: int) -> float:
    env.reset(seed=0)
    action = np.full(env.action_space.shape, 0.1, dtype=np.float32)
    t0 = clock()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return steps / (clock() - t0)


def bench_robot(robot, steps: int) -> float:
    robot.reset()
    command = robot.spec.action_high * 0.1
    t0 = clock()
    for _ in range(steps):
        robot.act(command)
        robot.observe()
    return steps / (clock() - t0)


def explicit_physics(robot) -> None:
    """One physics step per ``stepSimulation`` (the env's fast path may have set more)."""
    robot._stepper.configure(1)
    robot._stepper.substeps = 1


def bench_floor(robot, steps: int, substeps: int) -> float:
    explicit_physics(robot)
    client, body, ids = robot.client, robot.body, robot._act_joint_ids
    forces = [0.0] * len(ids)
    t0 = clock()
    for _ in range(steps * substeps):
        pb.setJointMotorControlArray(body, ids, pb.TORQUE_CONTROL, forces=forces,
                                     physicsClientId=client)
        pb.stepSimulation(physicsClientId=client)
    return steps / (clock() - t0)


def bench_bare(robot, steps: int, substeps: int) -> float:
    explicit_physics(robot)
    client = robot.client
    t0 = clock()
    for _ in range(steps * substeps):
        pb.stepSimulation(physicsClientId=client)
    return steps / (clock() - t0)


def paired(rates: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median over the repetitions of ``top / bottom`` within each (nan without ``bottom``)."""
    if not rates[bottom]:
        return float("nan")
    return statistics.median(t / b for t, b in zip(rates[top], rates[bottom], strict=True))


class Baseline:
    """This script in ``--serve`` mode in a child process, importing s2r from ``tree``."""

    def __init__(self, tree: str, wall: bool) -> None:
        env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
        flags = ["--serve", "--wall"] if wall else ["--serve"]
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), *flags],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)

    def env_rate(self, task: str, steps: int) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{task} {steps}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the baseline process failed on {task} (exit {self.proc.wait()})")
        return float(line)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def serve() -> None:
    """Answer ``<task> <steps>`` lines on stdin with that task's env steps/s (one env each)."""
    envs = {}
    for line in sys.stdin:
        name, steps = line.split()
        if name not in envs:
            envs[name] = TASKS[name][1]()
        print(bench_env(envs[name], int(steps)), flush=True)


def main() -> None:
    global clock
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--wall", action="store_true", help="time with the wall clock")
    parser.add_argument("--save", metavar="FILE", help="write the median rates as JSON")
    parser.add_argument("--baseline-tree", metavar="DIR",
                        help="a checkout of an earlier commit: adds env/base")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wall:
        clock = time.perf_counter
    if args.serve:
        return serve()
    base = Baseline(args.baseline_tree, args.wall) if args.baseline_tree else None
    print(f"{'task':18s} {'substeps':>8s} {'env/s':>8s} {'robot/s':>8s} {'floor/s':>8s} "
          f"{'bare/s':>8s} {'hand/s':>8s} {'expl/s':>8s} {'env/bare':>9s} {'floor/bare':>10s} "
          f"{'env/hand':>9s} {'env/expl':>9s}" + (f" {'env/base':>9s}" if base else ""))
    saved: dict[str, dict[str, float]] = {}
    for name in args.tasks:
        cls = TASKS[name][1]
        env = cls()
        robot = env.robot
        substeps = round(robot.get("world.control_period") / robot.get("world.timestep"))
        hand = ReferenceEnv(name) if name in HAND else None
        slow = cls(SimRobot(robot.description, substeps="explicit"))
        rates: dict[str, list[float]] = {"env": [], "robot": [], "floor": [], "bare": [],
                                         "hand": [], "explicit": [], "env/base": []}
        if base:
            base.env_rate(name, args.steps // 10)  # builds the baseline's env
        for k in range(args.repeats):  # interleaved, so drift hits all alike
            before = base.env_rate(name, args.steps) if base and k % 2 else None
            rates["env"].append(bench_env(env, args.steps))
            if base:  # a window there right before or right after this one
                old = before if before is not None else base.env_rate(name, args.steps)
                rates["env/base"].append(rates["env"][-1] / old)
            if hand is not None:  # right after the env's window
                rates["hand"].append(bench_env(hand, args.steps))
            rates["explicit"].append(bench_env(slow, args.steps))
            rates["robot"].append(bench_robot(robot, args.steps))
            rates["floor"].append(bench_floor(robot, args.steps, substeps))
            rates["bare"].append(bench_bare(robot, args.steps, substeps))
        e, r, f, b = (statistics.median(rates[k]) for k in ("env", "robot", "floor", "bare"))
        h = statistics.median(rates["hand"]) if rates["hand"] else float("nan")
        x = statistics.median(rates["explicit"])
        saved[name] = {"env": e, "robot": r, "floor": f, "bare": b, "hand": h, "explicit": x}
        ratio = statistics.median(rates["env/base"]) if base else float("nan")
        ratios = [paired(rates, top, bottom) for top, bottom in
                  (("env", "bare"), ("floor", "bare"), ("env", "hand"), ("env", "explicit"))]
        print(f"{name:18s} {substeps:8d} {e:8.0f} {r:8.0f} {f:8.0f} {b:8.0f} {h:8.0f} {x:8.0f} "
              + "".join(f" {v:{w}.2f}" for v, w in zip(ratios, (9, 10, 9, 9), strict=True))
              + (f" {ratio:9.2f}" if base else ""), flush=True)
        env.close()
        slow.robot.close()
        slow.close()
        if hand is not None:
            hand.close()
    if base:
        base.close()
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(saved, f, indent=1)


if __name__ == "__main__":
    main()
