"""Cost of randomization: env steps/s bare vs wrapped in ``RandomizedEnv``, side by side.

For cart-pole (``s2r/CartpoleSwingup-v0``) and Furuta (``s2r/FurutaSwingup-v0``)
the script runs episodes of the task's default length (500 steps, never cut
short, so both envs do the same work even when a randomized episode would
terminate earlier) with the same fixed random actions on two instances of
the task: bare, and wrapped in a ``RandomizedEnv``. The two alternate episode
by episode (the order alternating too) so that drift and other load hit both
alike; it prints the median steps/s of each over the repetitions and the
median of the per-repetition ratios wrapped/bare, by CPU time of this process
(``--clock wall`` for wall time). A third instance, bare but with the physics
parameters of one randomized episode, gives ``vs same``: the cost of the
randomization machinery alone, without the different cost of simulating the
sampled model (Coulomb friction with sticking costs PyBullet ~2 us per step). Settings:

- ``full``: ``configs/randomization/<robot>_full.yaml`` (physics, actuation,
  sensing, pushes; per-episode values drawn at every reset, plus the per-step
  noise, delays and transforms that config asks for); target >= 0.95;
- ``per-episode``: the same file without the randomizers that do per-step
  work (action/observation transforms, sub-step or step hooks): what
  resampling at every reset costs by itself; target >= 0.95;
- ``step``: step-level observation noise, observation delay and action delay
  (control-step queues); target >= 0.90.

``--breakdown`` also measures every randomizer of the sets alone and prints its
cost per step in microseconds.

Run: ``.venv/bin/python benchmarks/randomization_overhead.py [--breakdown]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from randomizers.base import Randomizer
from randomizers.registry import build_randomizers, load_randomization
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import TASKS

ROBOTS = {"cartpole": "cartpole_swingup", "furuta": "furuta_swingup"}
TARGETS = {"full": 0.95, "per-episode": 0.95, "step": 0.90}
STEP_LEVEL = [{"type": "observation_noise", "channel": "all", "amplitude": 0.01},
              {"type": "observation_delay", "channel": "all", "steps": [0, 2]},
              {"type": "action_delay", "steps": [0, 2]}]


def per_step(r: Randomizer) -> bool:
    """Whether a randomizer does work at every control step (or sub-step)."""
    return (r.transforms_action or r.transforms_observation or r.uses_substeps or r.uses_step
            or r.mode == "interval")


def randomizer_set(robot: str, setting: str) -> tuple[list[Randomizer], str]:
    """The randomizers of a setting and a one-line description of them."""
    if setting == "step":
        return build_randomizers(STEP_LEVEL), ", ".join(e["type"] for e in STEP_LEVEL)
    randomizers = load_randomization(f"{robot}_full")
    if setting == "per-episode":
        randomizers = [r for r in randomizers if not per_step(r)]
    return randomizers, f"{robot}_full.yaml: " + ", ".join(r.name for r in randomizers)


def episode(env: Any, actions: np.ndarray, seed: int, clock: Any) -> float:
    """Seconds (of ``clock``) for one reset and ``len(actions)`` steps (no early stop)."""
    t0 = clock()
    env.reset(seed=seed)
    for a in actions:
        env.step(a)
    return float(clock() - t0)


def measure(robot: str, setting: str, repeats: int, episodes: int,
            clock: Any = time.process_time, only: str | None = None) -> dict[str, Any]:
    """Bare vs wrapped steps/s; ``only``: keep just the randomizer of that name."""
    cls = TASKS[ROBOTS[robot]][1]
    randomizers, source = randomizer_set(robot, setting)
    if only is not None:
        randomizers, source = [r for r in randomizers if r.name == only], only
    envs = {"bare": cls(), "wrapped": RandomizedEnv(cls(), randomizers, seed=0), "same": cls()}
    length = envs["bare"].max_steps
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (episodes, length, *envs["bare"].action_space.shape)
                          ).astype(np.float32)
    for env in envs.values():  # warm-up
        episode(env, actions[0], 0, clock)
    # "same": bare, with the physics parameters of one randomized episode, fixed
    envs["same"].robot.set_params(envs["wrapped"].ctx.robot.get_params())
    rates: dict[str, list[float]] = {key: [] for key in envs}
    ratios: dict[str, list[float]] = {"bare": [], "same": []}
    for r in range(repeats):
        seconds = dict.fromkeys(envs, 0.0)
        for ep in range(episodes):  # interleaved episode by episode, alternating order
            for key in list(envs)[:: 1 if (r + ep) % 2 == 0 else -1]:
                seconds[key] += episode(envs[key], actions[ep], ep, clock)
        for key in rates:
            rates[key].append(episodes * length / seconds[key])
        for key in ratios:
            ratios[key].append(rates["wrapped"][-1] / rates[key][-1])
    for env in envs.values():
        env.close()
    med = {key: statistics.median(v) for key, v in rates.items()}
    return {"robot": robot, "setting": setting, "source": source, "bare": med["bare"],
            "wrapped": med["wrapped"], "ratio": statistics.median(ratios["bare"]),
            "min": min(ratios["bare"]), "max": max(ratios["bare"]),
            "same": statistics.median(ratios["same"]),
            "us": 1e6 * (1 / med["wrapped"] - 1 / med["bare"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--episodes", type=int, default=4, help="episodes per repetition")
    parser.add_argument("--robots", nargs="+", default=list(ROBOTS), choices=list(ROBOTS))
    parser.add_argument("--settings", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--breakdown", action="store_true",
                        help="also measure each randomizer of the sets alone")
    parser.add_argument("--clock", choices=["process", "wall"], default="process",
                        help="CPU time of this process (robust to other load) or wall time")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "process" else time.perf_counter
    results = [measure(robot, setting, args.repeats, args.episodes, clock)
               for setting in args.settings for robot in args.robots]
    print(f"steps/s by {args.clock} time; medians of {args.repeats} repetitions of "
          f"{args.episodes} episodes each\n")
    print(f"{'robot':9s} {'setting':11s} {'bare/s':>7s} {'wrapped/s':>9s} {'us/step':>7s} "
          f"{'ratio':>6s} {'[min, max]':>14s} {'target':>12s} {'vs same':>7s}")
    for res in results:
        target = TARGETS[res["setting"]]
        ok = "ok" if res["ratio"] >= target else "MISSED"
        print(f"{res['robot']:9s} {res['setting']:11s} {res['bare']:7.0f} {res['wrapped']:9.0f} "
              f"{res['us']:7.2f} {res['ratio']:6.3f} [{res['min']:.3f}, {res['max']:.3f}] "
              f">={target:.2f} {ok:>6s} {res['same']:7.3f}")
    print("\nratio = wrapped/bare (nominal physics); vs same = wrapped/bare with the physics "
          "parameters\nof one randomized episode (what the randomization machinery costs, "
          "without the\nPyBullet cost of the sampled model, e.g. dry friction)")
    print()
    for res in results:
        print(f"{res['robot']} {res['setting']}: {res['source']}")
    if args.breakdown:
        print("\neach randomizer alone: ratio and cost per step (us)")
        for setting in [s for s in args.settings if s != "per-episode"]:
            for robot in args.robots:
                for r in randomizer_set(robot, setting)[0]:
                    res = measure(robot, setting, args.repeats, args.episodes, clock, r.name)
                    print(f"  {robot:9s} {setting:5s} {r.name:20s} {res['ratio']:.3f} "
                          f"{res['us']:6.2f}")


if __name__ == "__main__":
    main()
