"""Cost of pixel observations per control step, measured side by side in one run.

For each task: a step of the state task, of its pixel version (one CPU render per
step) and of the pixel version under every visual randomizer (per-step parts:
background compositing, Gaussian noise). Resets are not timed: the per-episode
work (colours, textures, light, pose) happens there.

    .venv/bin/python benchmarks/visual_render.py [--size 64] [--steps 300]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import TASKS
from s2r.tasks.camera import PixelTask

ALL: list[dict[str, Any]] = [
    {"type": "link_color"}, {"type": "texture"}, {"type": "light"}, {"type": "camera_pose"},
    {"type": "camera_fov"}, {"type": "background"}, {"type": "image_noise"}]


def block(env: Any, steps: int, seed: int) -> float:
    """Seconds per step over ``steps`` steps of one episode (hold the action at zero); the
    seed picks the initial state and, on the randomized env, the episode's looks."""
    env.reset(seed=seed)
    action = np.zeros(env.action_space.shape, np.float32)
    start = time.perf_counter()
    for _ in range(steps):
        env.step(action)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for task in ("furuta_swingup", "cartpole_swingup", "pendulum_swingup"):
        envs = {"state": TASKS[task][1](max_steps=10**6),
                "pixels": PixelTask(task, size=args.size, max_steps=10**6),
                "randomized": RandomizedEnv(PixelTask(task, size=args.size, max_steps=10**6),
                                            build_randomizers(ALL), seed=0)}
        times: dict[str, list[float]] = {k: [] for k in envs}
        for rep in range(args.repeats):  # interleaved, so load changes hit all three
            for name, env in envs.items():
                times[name].append(block(env, args.steps, rep))
        t = {k: float(np.median(v)) for k, v in times.items()}
        render_us = (t["pixels"] - t["state"]) * 1e6
        extra_us = (t["randomized"] - t["pixels"]) * 1e6
        print(f"{task:17s} {args.size}x{args.size}: state step {t['state'] * 1e6:5.0f} us; "
              f"pixels x{t['pixels'] / t['state']:.1f} (render {render_us:.0f} us); "
              f"randomized x{t['randomized'] / t['state']:.1f} (+{extra_us:.0f} us)")
        for env in envs.values():
            env.close()


if __name__ == "__main__":
    main()
