"""Cost of randomization: env steps/s bare vs wrapped in ``RandomizedEnv``, side by side.

For cart-pole (``s2r/CartpoleSwingup-v0``) and Furuta (``s2r/FurutaSwingup-v0``)
the script runs episodes of the task's default length (500 steps, never cut
short, so every env does the same work even when a randomized episode would
terminate earlier) with the same fixed random actions on three instances of
the task: ``bare``; ``wrapped`` in a ``RandomizedEnv`` that samples at every
reset; and ``same``, bare but given, before each of its episodes, the
physics parameters the wrapped env samples for the same episode (known in
advance from a twin reset with the same seeds; set outside the timing). They
alternate episode by episode, the order alternating too, so that drift and
other load hit all alike. It prints the median steps/s of each over the
repetitions and the medians of the per-repetition ratios, by CPU time of
this process (``--clock wall`` for wall time):

- ``ratio`` = wrapped / bare (nominal physics): everything randomization costs,
  including PyBullet's own cost of simulating the sampled model (Coulomb
  friction with sticking costs it ~2 us per step);
- ``vs same`` = wrapped / same: what the randomization machinery costs
  (sampling and applying at every reset, per-step transforms), without the
  different cost of the sampled model.

Settings (the randomizers of each are printed):

- ``episode``: the full physics + actuation + sensing set resampled at every
  reset: the entries of ``configs/randomization/<robot>_full.yaml`` whose
  values are drawn per episode (masses, COM, damping, Coulomb friction,
  armature, motor constants, gravity; action delay fixed per episode,
  deadzone, backlash gap, saturation; per-episode bias, quantization,
  observation delay), i.e. without per-step randomness (action and
  observation noise, drift, dropout) and without pushes. Target: ``vs same``
  >= 0.95 (the ``ratio`` column adds PyBullet's cost of the sampled physics).
- ``step``: step-level sensing noise and delay: Gaussian observation noise
  drawn at every step, observation delay and action delay (0 to 20 ms, drawn
  per episode, the robot's ``delay.*`` parameters, which ``same`` gets too).
  Target: ``vs same`` >= 0.90: simulating a delayed robot is the robot's cost
  (SimRobot's sub-step delay line, in ``ratio``), as dry friction is in
  ``episode``; ``vs same`` is what the randomizers add.
- ``everything`` (for information, no target): the whole ``<robot>_full.yaml``,
  including per-step action/observation noise, drift, dropout and pushes.

``--breakdown`` also measures every randomizer of the sets alone and prints its
ratio vs same and cost per step in microseconds.

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
#: setting -> (target, the column it applies to)
TARGETS: dict[str, tuple[float, str] | None] = {
    "episode": (0.95, "same"), "step": (0.90, "same"), "everything": None}
STEP_LEVEL = [{"type": "observation_noise", "channel": "all", "amplitude": 0.01},
              {"type": "observation_delay", "channel": "all", "seconds": [0.0, 0.02]},
              {"type": "action_delay", "seconds": [0.0, 0.02]}]
#: randomizers with randomness drawn at every step (or pushes): not in ``episode``
PER_STEP = ("action_noise", "observation_noise", "observation_drift", "observation_dropout",
            "push")


def per_episode(r: Randomizer) -> bool:
    """Whether all of a randomizer's values are drawn at a reset (none during the episode)."""
    return r.type not in PER_STEP and r.mode != "interval" and not r.uses_substeps


def randomizer_set(robot: str, setting: str) -> tuple[list[Randomizer], str]:
    """The randomizers of a setting and a one-line description of them."""
    if setting == "step":
        return build_randomizers(STEP_LEVEL), ", ".join(e["type"] for e in STEP_LEVEL)
    randomizers = load_randomization(f"{robot}_full")
    if setting == "episode":
        randomizers = [r for r in randomizers if per_episode(r)]
    return randomizers, f"{robot}_full.yaml: " + ", ".join(r.name for r in randomizers)


def episode(env: Any, actions: np.ndarray, seed: int, clock: Any) -> float:
    """Seconds (of ``clock``) for one reset and ``len(actions)`` steps (no early stop)."""
    t0 = clock()
    env.reset(seed=seed)
    for a in actions:
        env.step(a)
    return float(clock() - t0)


def physics_schedule(robot: str, setting: str, only: str | None, resets: int
                     ) -> list[dict[str, float]]:
    """The physics parameters the wrapped env will have after ``reset(seed=i)`` for each
    ``i < resets``: a twin with the same randomizers is reset with the same seeds (a seeded
    reset restarts the randomization stream, whatever the steps in between)."""
    cls = TASKS[ROBOTS[robot]][1]
    randomizers = randomizer_set(robot, setting)[0]
    if only is not None:
        randomizers = [r for r in randomizers if r.name == only]
    twin = RandomizedEnv(cls(), randomizers, seed=0)
    schedule = []
    for i in range(resets):
        twin.reset(seed=i)
        schedule.append(twin.unwrapped.robot.get_params())
    twin.close()
    return schedule


def set_physics(env: Any, values: dict[str, float]) -> None:
    """Give ``env``'s robot these parameter values (changed ones only, so an unchanged
    centre of mass does not reload the URDF)."""
    robot = env.unwrapped.robot
    robot.set_params({k: v for k, v in values.items() if robot.get(k) != v})


def measure(robot: str, setting: str, repeats: int, episodes: int,
            clock: Any = time.process_time, only: str | None = None) -> dict[str, Any]:
    """Bare, wrapped and same steps/s; ``only``: keep just the randomizer of that name."""
    cls = TASKS[ROBOTS[robot]][1]
    randomizers, source = randomizer_set(robot, setting)
    if only is not None:
        randomizers, source = [r for r in randomizers if r.name == only], only
    envs = {"bare": cls(), "wrapped": RandomizedEnv(cls(), randomizers, seed=0), "same": cls()}
    length = envs["bare"].max_steps
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (episodes, length, *envs["bare"].action_space.shape)
                          ).astype(np.float32)
    # "same" runs each episode with the physics the wrapped env samples for that episode
    schedule = physics_schedule(robot, setting, only, 1 + repeats * episodes)
    for key, env in envs.items():  # warm-up
        if key == "same":
            set_physics(env, schedule[0])
        episode(env, actions[0], 0, clock)
    rates: dict[str, list[float]] = {key: [] for key in envs}
    ratios: dict[str, list[float]] = {"bare": [], "same": []}
    extra: dict[str, list[float]] = {"bare": [], "same": []}  # us per step, per repetition
    for r in range(repeats):
        seconds = dict.fromkeys(envs, 0.0)
        for ep in range(episodes):  # interleaved episode by episode, alternating order
            for key in list(envs)[:: 1 if (r + ep) % 2 == 0 else -1]:
                if key == "same":  # the physics the wrapped env has in this episode
                    set_physics(envs["same"], schedule[1 + r * episodes + ep])
                seed = 1 + r * episodes + ep  # the seed of this episode in the schedule
                seconds[key] += episode(envs[key], actions[ep], seed, clock)
        for key in rates:
            rates[key].append(episodes * length / seconds[key])
        for key in ratios:
            ratios[key].append(rates["wrapped"][-1] / rates[key][-1])
            extra[key].append(1e6 * (1 / rates["wrapped"][-1] - 1 / rates[key][-1]))
    for env in envs.values():
        env.close()
    med = {key: statistics.median(v) for key, v in rates.items()}
    return {"robot": robot, "setting": setting, "source": source, "bare": med["bare"],
            "wrapped": med["wrapped"], "ratio": statistics.median(ratios["bare"]),
            "min": min(ratios["bare"]), "max": max(ratios["bare"]),
            "same": statistics.median(ratios["same"]),
            "us": statistics.median(extra["bare"]), "us_same": statistics.median(extra["same"])}


def verdict(res: dict[str, Any]) -> str:
    target = TARGETS[res["setting"]]
    if target is None:
        return f"{'(info)':>19s}"
    value, column = target
    ok = "ok" if res["ratio" if column == "ratio" else "same"] >= value else "MISSED"
    return f"{column:>5s} >={value:.2f} {ok:>6s}"


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
    print(f"{'robot':9s} {'setting':10s} {'bare/s':>7s} {'wrapped/s':>9s} {'us/step':>7s} "
          f"{'ratio':>6s} {'[min, max]':>14s} {'vs same':>7s} {'us/step':>7s} "
          f"{'target (column)':>19s}")
    for res in results:
        print(f"{res['robot']:9s} {res['setting']:10s} {res['bare']:7.0f} {res['wrapped']:9.0f} "
              f"{res['us']:7.2f} {res['ratio']:6.3f} [{res['min']:.3f}, {res['max']:.3f}] "
              f"{res['same']:7.3f} {res['us_same']:7.2f} {verdict(res)}")
    print("\nratio = wrapped/bare (nominal physics); vs same = wrapped/bare with the physics "
          "parameters\nthe wrapped env sampled (the randomization machinery alone, without "
          "PyBullet's cost\nof the sampled model, e.g. dry friction); us/step = extra CPU per "
          "step vs bare / vs same.\nTargets: episode on 'vs same' >= 0.95, step on 'vs same' "
          ">= 0.90; everything is for information.")
    print()
    for res in results:
        print(f"{res['robot']} {res['setting']}: {res['source']}")
    if args.breakdown:
        print("\neach randomizer alone: ratio vs same and cost per step vs same (us)")
        for setting in [s for s in args.settings if s != "episode"]:
            for robot in args.robots:
                for r in randomizer_set(robot, setting)[0]:
                    res = measure(robot, setting, args.repeats, args.episodes, clock, r.name)
                    print(f"  {robot:9s} {setting:10s} {r.name:20s} {res['same']:.3f} "
                          f"{res['us_same']:6.2f}")


if __name__ == "__main__":
    main()
