"""Make randomizers/images/randomized_views.png: a grid of randomized camera views.

Each cell is a new episode of a pixel task under every visual randomizer, with
the robot put in a random pose, rendered at 96x96 by PyBullet's CPU renderer.

    .venv/bin/python -m randomizers.visual.grid [--out PATH] [--seed N] [--size PX]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from randomizers.registry import build_randomizers
from randomizers.visual.procedural import write_png
from randomizers.wrapper import RandomizedEnv
from s2r.tasks.camera import PixelTask

RANDOMIZATION: list[dict[str, Any]] = [
    {"type": "link_color", "saturation": [0.4, 1.0], "value": [0.5, 1.0]},
    {"type": "texture", "probability": 0.4},
    {"type": "light", "color": [0.7, 1.0], "ambient": [0.4, 0.8], "diffuse": [0.2, 0.6]},
    {"type": "camera_pose", "yaw": [-15, 15], "pitch": [-8, 8], "distance": [0.85, 1.1]},
    {"type": "camera_fov", "fov": [0.9, 1.1]},
    {"type": "background", "probability": 0.75},
    {"type": "image_noise", "std": [0, 4]},
]


def views(task: str, n: int, size: int, seed: int) -> list[np.ndarray]:
    """``n`` randomized images of ``task`` in random joint positions."""
    pixels = PixelTask(task, size=size)
    env = RandomizedEnv(pixels, build_randomizers(RANDOMIZATION), seed=seed)
    rng = np.random.default_rng(seed)
    nq = pixels.robot.spec.n_joints
    out = []
    for _ in range(n):
        q = rng.uniform(-np.pi, np.pi, nq)
        q[0] = rng.uniform(-0.6, 0.6) if task.startswith("cartpole") else rng.uniform(-1.5, 1.5)
        image, _ = env.reset(options={"state": (q, np.zeros(nq))})
        out.append(image)
    env.close()
    return out


def grid(images: list[np.ndarray], cols: int, gap: int = 2) -> np.ndarray:
    """Images (all the same size) in rows of ``cols``, on white, ``gap`` pixels apart."""
    h, w, _ = images[0].shape
    rows = -(-len(images) // cols)
    canvas = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap, 3), 255, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[gap + r * (h + gap):gap + r * (h + gap) + h,
               gap + c * (w + gap):gap + c * (w + gap) + w] = image
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parents[1] / "images" /
                                             "randomized_views.png"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    images = (views("furuta_swingup", 8, args.size, args.seed)
              + views("cartpole_swingup", 8, args.size, args.seed + 1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_png(args.out, grid(images, 4))
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
