"""Policy artifacts: what ``s2r train`` writes and ``s2r deploy`` / ``s2r eval`` load.

A policy maps a task observation (the task's ``observation`` vector) to a
normalised action in [-1, 1]. Two kinds exist:

- a **policy file** (``.pt``) saved with :func:`save_policy`: an MLP
  (``torch.nn.Sequential`` of ``Linear`` and activation layers) stored as its
  layer list and weights, loaded with ``torch.load(weights_only=True)`` (no
  pickled code runs), and carrying its task name and observation/action
  sizes, so loading it for the wrong task is a clear error;
- a **scripted controller** named ``scripted:<name>`` (``zero``, ``sine``,
  ``random``), useful for tests and excitation.

>>> import torch, tempfile, os
>>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
>>> path = os.path.join(tempfile.mkdtemp(), "p.pt")
>>> save_policy(net, path, task="pendulum_swingup", obs_dim=3, act_dim=1)
>>> policy = load_policy(path, task="pendulum_swingup")
>>> policy(np.zeros(3, dtype=np.float32)).shape
(1,)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from s2r.errors import PolicyError

FORMAT = "s2r-policy"
ACTIVATIONS = ("Tanh", "ReLU", "ELU", "Sigmoid", "Identity", "LeakyReLU", "SiLU")


@dataclass
class Policy:
    """A callable policy with its metadata; ``policy(obs) -> action`` in [-1, 1]."""

    fn: Callable[[np.ndarray], np.ndarray]
    name: str
    task: str | None = None
    obs_dim: int | None = None
    act_dim: int | None = None

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        action = np.asarray(self.fn(np.asarray(obs, dtype=np.float32)), dtype=np.float64)
        return np.clip(action.reshape(-1), -1.0, 1.0)


def _layers(module: Any) -> list[list[Any]]:
    import torch

    layers: list[list[Any]] = []
    for layer in (module if isinstance(module, torch.nn.Sequential) else [module]):
        name = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            layers.append(["Linear", layer.in_features, layer.out_features])
        elif name in ACTIVATIONS:
            layers.append([name])
        else:
            raise PolicyError(f"cannot save layer {name}: a policy is a Sequential of Linear "
                              f"and {', '.join(ACTIVATIONS)} layers")
    return layers


def _build(layers: list[list[Any]]) -> Any:
    import torch

    modules = [torch.nn.Linear(int(spec[1]), int(spec[2])) if spec[0] == "Linear"
               else getattr(torch.nn, spec[0])() for spec in layers]
    return torch.nn.Sequential(*modules)


def save_policy(module: Any, path: str | os.PathLike[str], *, task: str, obs_dim: int,
                act_dim: int, extra: dict[str, Any] | None = None) -> None:
    """Save an MLP (obs -> normalised action) as a self-describing policy file."""
    import torch

    layers = _layers(module)
    meta = {"format": FORMAT, "version": 1, "task": task, "obs_dim": obs_dim,
            "act_dim": act_dim, "layers": layers, **(extra or {})}
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    torch.save({"meta": meta, "state_dict": state}, str(path))


def _load_torch(path: str, task: str | None, obs_dim: int | None) -> Policy:
    import torch

    if not os.path.isfile(path):
        raise PolicyError("no such policy file", where=path)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of junk files
            warnings.simplefilter("ignore")
            blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # junk bytes, pickles with code, truncated files
        kind = ("it holds code, which is never run" if "weights_only" in str(err).lower()
                else f"it is not a torch file ({type(err).__name__})")
        raise PolicyError(f"not an s2r policy file: {kind}", where=path) from None
    meta = blob.get("meta") if isinstance(blob, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PolicyError("not an s2r policy file (save it with s2r.policy.save_policy)",
                          where=path)
    if task is not None and meta["task"] != task:
        raise PolicyError(f"policy was trained for task '{meta['task']}', not '{task}'",
                          where=path)
    if obs_dim is not None and meta["obs_dim"] != obs_dim:
        raise PolicyError(f"policy expects {meta['obs_dim']} observations, the task gives "
                          f"{obs_dim}", where=path)
    try:
        module = _build(meta["layers"])
        module.load_state_dict(blob["state_dict"])
    except Exception as err:
        raise PolicyError(f"corrupt policy weights: {str(err).splitlines()[0][:160]}",
                          where=path) from None
    module.eval()

    def run(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = module(torch.as_tensor(obs, dtype=torch.float32).reshape(1, -1))
        return out.reshape(-1).numpy()

    return Policy(run, os.path.basename(path), meta["task"], meta["obs_dim"], meta["act_dim"])


def load_policy(spec: str | os.PathLike[str], *, task: str | None = None,
                obs_dim: int | None = None, act_dim: int = 1, rate: float = 50.0,
                seed: int = 0) -> Policy:
    """Load ``scripted:<name>`` or a TorchScript policy file, checked against the task."""
    text = str(spec)
    if text.startswith("scripted:"):
        return scripted_policy(text.split(":", 1)[1], act_dim, rate, seed)
    return _load_torch(text, task, obs_dim)


def scripted_policy(name: str, act_dim: int = 1, rate: float = 50.0, seed: int = 0) -> Policy:
    """``zero``, ``random`` (uniform, seeded) or ``sine`` (0.5 Hz, full range)."""
    if name == "zero":
        return Policy(lambda obs: np.zeros(act_dim), "scripted:zero", act_dim=act_dim)
    if name == "random":
        rng = np.random.default_rng(seed)
        return Policy(lambda obs: rng.uniform(-1.0, 1.0, act_dim), "scripted:random",
                      act_dim=act_dim)
    if name == "sine":
        tick = [0]

        def sine(obs: np.ndarray) -> np.ndarray:
            tick[0] += 1
            return np.full(act_dim, np.sin(2 * np.pi * 0.5 * tick[0] / rate))

        return Policy(sine, "scripted:sine", act_dim=act_dim)
    raise PolicyError(f"unknown scripted policy '{name}' (known: zero, random, sine)",
                      where="policy")
