"""Cost of one policy call: the numpy artifact vs torch vs SB3 ``predict``, side by side.

A PPO ``MlpPolicy`` with the default 64x64 tanh network on the Furuta task (6
observations, 1 action), observation normalisation included, exported with
``s2r.artifact.from_sb3``. The same random observations go through:

- ``numpy``: the loaded artifact (``load_artifact``), one observation per call;
- ``torch``: the same network in torch (normalise in numpy, ``no_grad``, actor MLP
  and action net, one thread), one observation per call;
- ``sb3``: ``VecNormalize.normalize_obs`` + ``model.predict(deterministic=True)``.

The calls alternate in rounds (so load hits all three alike); it prints the median
microseconds per call of each over the rounds and the median ratios to numpy, by
CPU time of this process (``--clock wall`` for wall time). Run:
``python benchmarks/policy_call.py [--rounds 15 --calls 2000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from s2r.artifact import from_sb3, load_artifact
from s2r.tasks import FurutaSwingup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(1)
    venv = VecNormalize(DummyVecEnv([lambda: FurutaSwingup(max_steps=50)]), norm_reward=False)
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(128)
    venv.training = False
    path = tempfile.mkdtemp() + "/policy"
    from_sb3(model, path, task=venv.envs[0] if hasattr(venv, "envs") else
             venv.venv.envs[0], vecnormalize=venv)
    policy = load_artifact(path)
    net = torch.nn.Sequential(model.policy.mlp_extractor.policy_net, model.policy.action_net)
    obs = np.random.default_rng(0).normal(size=(args.calls, 6)).astype(np.float32)

    def run_numpy() -> None:
        for o in obs:
            policy(o)

    def run_torch() -> None:
        with torch.no_grad():
            for o in obs:
                x = torch.as_tensor(venv.normalize_obs(o), dtype=torch.float32)
                net(x.reshape(1, -1)).numpy()

    def run_sb3() -> None:
        for o in obs:
            model.predict(venv.normalize_obs(o), deterministic=True)

    fns = {"numpy": run_numpy, "torch": run_torch, "sb3": run_sb3}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(args.rounds):
        order = list(fns) if r % 2 == 0 else list(reversed(fns))
        for name in order:
            t0 = clock()
            fns[name]()
            times[name].append((clock() - t0) / args.calls * 1e6)
    ref = np.array(times["numpy"])
    print(f"policy call, PPO MlpPolicy 64x64 tanh, furuta (6 obs -> 1 action), "
          f"{args.rounds} rounds x {args.calls} calls, {args.clock} time")
    print(f"{'':8s} {'us/call':>9s} {'x numpy':>8s}")
    for name, values in times.items():
        ratio = float(np.median(np.array(values) / ref))
        print(f"{name:8s} {np.median(values):9.1f} {ratio:8.1f}")
    check = np.abs(policy(obs) - model.predict(venv.normalize_obs(obs), deterministic=True)[0])
    print(f"max |numpy - sb3| over {len(obs)} observations: {check.max():.2e}")


if __name__ == "__main__":
    main()
