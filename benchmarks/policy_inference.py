"""Cost of one policy call: the numpy forward pass vs torch, side by side.

For MLPs of the sizes Stable-Baselines3 uses (6 observations, two hidden
layers of 64 or 256 with Tanh, 1 action) the script times single-observation
calls of:

- ``numpy``: the loaded policy (``s2r.policy.load_policy``), i.e. the numpy
  forward pass plus the clip to [-1, 1] that every control step pays;
- ``torch 1``: the same network as a ``torch.nn.Sequential`` under
  ``torch.no_grad()``, with ``torch.set_num_threads(1)``;
- ``torch N``: the same with torch's default thread count N.

The three alternate in blocks of calls, repetition by repetition, so drift and
other load hit all alike; it prints the median microseconds per call of each
and the medians of the per-repetition ratios torch / numpy. No target: the
point is that a control loop calling the policy needs no torch threads.

Run: ``.venv/bin/python benchmarks/policy_inference.py [--reps 15] [--calls 2000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

from s2r.policy import load_policy, save_policy


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def measure(hidden: int, reps: int, calls: int, default_threads: int) -> dict[str, list[float]]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, 1))
    path = os.path.join(tempfile.mkdtemp(), "p.pt")
    save_policy(net, path, task="furuta_swingup", obs_dim=6, act_dim=1)
    policy = load_policy(path, task="furuta_swingup", obs_dim=6, act_dim=1)
    obs = np.linspace(-1.0, 1.0, 6).astype(np.float32)

    def with_torch() -> object:
        with torch.no_grad():
            return net(torch.as_tensor(obs).reshape(1, -1)).reshape(-1).numpy()

    def torch_threads(n: int) -> float:
        torch.set_num_threads(n)
        return per_call_us(with_torch, calls)

    runs: dict[str, Callable[[], float]] = {
        "numpy": lambda: per_call_us(lambda: policy(obs), calls),
        "torch 1": lambda: torch_threads(1),
        f"torch {default_threads}": lambda: torch_threads(default_threads)}
    for run in runs.values():  # warm up
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for rep in range(reps):
        order = list(runs) if rep % 2 == 0 else list(reversed(runs))
        for name in order:
            times[name].append(runs[name]())
    torch.set_num_threads(default_threads)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    print(f"policy call, us per call (median of {args.reps} reps x {args.calls} calls); "
          f"torch default threads = {default_threads}")
    for hidden in (64, 256):
        times = measure(hidden, args.reps, args.calls, default_threads)
        cols = "  ".join(f"{name} {statistics.median(t):7.1f}" for name, t in times.items())
        ratios = "  ".join(
            f"{name}/numpy {statistics.median(a / b for a, b in zip(t, times['numpy'])):5.2f}"
            for name, t in times.items() if name != "numpy")
        print(f"{f'6-{hidden}-{hidden}-1 tanh:':20s}{cols}   {ratios}")


if __name__ == "__main__":
    main()
