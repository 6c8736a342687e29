"""What the learner costs: env steps/s during ``s2r train`` vs the environments alone.

For one task and randomization it measures, alternating in rounds so load hits both
alike:

- ``env alone``: the same vector env the run uses (``envs`` worker processes, the
  randomization, ``Monitor``) stepped with random actions, no learner;
- ``training``: :func:`s2r.train.train` with the same envs for ``--steps`` steps
  (no evaluation or checkpoint inside the timed part: ``eval_every=0``,
  ``checkpoint_every=0``), steps/s of its learning phase.

Prints the medians of both and the median ratio. Run:
``python benchmarks/train_throughput.py --task furuta_swingup --randomization furuta_full``
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def env_alone(task: str, randomization: str, envs: int, steps: int) -> float:
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from s2r.train.envs import EnvFactory, resolve_randomization

    setup = resolve_randomization(randomization, None)
    venv = SubprocVecEnv([EnvFactory(task, setup, seed=i, monitor=True) for i in range(envs)])
    try:
        venv.reset()
        rng = np.random.default_rng(0)
        n = venv.action_space.shape[0]  # type: ignore[index]
        t0 = time.perf_counter()
        for _ in range(steps // envs):
            venv.step(rng.uniform(-1, 1, (envs, n)))
        return steps / (time.perf_counter() - t0)
    finally:
        venv.close()


def training(task: str, randomization: str, envs: int, steps: int, algo: str) -> float:
    from s2r.train import TrainConfig, train

    result = train(TrainConfig(task=task, randomization=randomization, algo=algo, steps=steps,
                               envs=envs, eval_every=0, checkpoint_every=0, eval_episodes=1,
                               progress=False, out=tempfile.mkdtemp()))
    return result.steps_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="furuta_swingup")
    parser.add_argument("--randomization", default="furuta_full")
    parser.add_argument("--algo", default="ppo")
    parser.add_argument("--envs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=16384)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    alone, trained = [], []
    for r in range(args.rounds):
        pair = [lambda: alone.append(env_alone(args.task, args.randomization, args.envs,
                                               args.steps)),
                lambda: trained.append(training(args.task, args.randomization, args.envs,
                                                args.steps, args.algo))]
        for fn in (pair if r % 2 == 0 else pair[::-1]):
            fn()
    ratio = float(np.median(np.array(trained) / np.array(alone)))
    print(f"{args.task}, randomization {args.randomization}, {args.algo}, {args.envs} worker "
          f"processes, {args.steps} steps x {args.rounds} rounds, wall time")
    print(f"env alone  {np.median(alone):8.0f} steps/s")
    print(f"training   {np.median(trained):8.0f} steps/s   (x {ratio:.2f} of the env alone)")


if __name__ == "__main__":
    main()
