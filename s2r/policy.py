"""Policy artifacts: what ``s2r train`` writes and ``s2r deploy`` / ``s2r eval`` load.

A policy maps a task observation (the task's ``observation`` vector) to a
normalised action in [-1, 1]. Two kinds exist:

- a **policy file** (``.pt``) saved with :func:`save_policy`: an MLP
  (``torch.nn.Sequential`` of ``Linear`` and activation layers) stored as its
  layer list and weights, carrying its task name and observation/action sizes.
  Loading reads it with ``torch.load(weights_only=True)`` (no pickled code runs),
  checks the metadata, the layer chain and every tensor (shape, dtype, finite
  values) against each other and against the task, and only then copies the
  weights into a numpy forward pass (:class:`~s2r.mlp.NumpyMLP`): a file that
  does not fit the task is refused before anything is allocated, and calling
  the policy needs no torch;
- a **scripted controller** named ``scripted:<name>`` (``zero``, ``sine``,
  ``random``), useful for tests and excitation.

>>> import torch, tempfile, os
>>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
>>> path = os.path.join(tempfile.mkdtemp(), "p.pt")
>>> save_policy(net, path, task="pendulum_swingup", obs_dim=3, act_dim=1)
>>> policy = load_policy(path, task="pendulum_swingup", obs_dim=3, act_dim=1)
>>> policy(np.zeros(3, dtype=np.float32)).shape
(1,)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from s2r.errors import PolicyError
from s2r.mlp import ACTIVATIONS, NumpyMLP
from s2r.policy_file import FORMAT, check_policy, read_policy_file

if TYPE_CHECKING:
    from s2r.robot import RobotSpec


@dataclass
class Policy:
    """A callable policy with its metadata; ``policy(obs) -> action`` in [-1, 1]."""

    fn: Callable[[np.ndarray], np.ndarray]
    name: str
    task: str | None = None
    obs_dim: int | None = None
    act_dim: int | None = None

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        # a policy file's forward pass casts to its weights' dtype (float32 or float64)
        action = np.asarray(self.fn(np.asarray(obs, dtype=np.float64)), dtype=np.float64)
        return np.clip(action.reshape(-1), -1.0, 1.0)


def _layers(module: Any) -> tuple[list[list[Any]], dict[str, Any]]:
    """The layer list and the weights (keyed ``<index>.weight``/``.bias``) of an MLP."""
    import torch

    layers: list[list[Any]] = []
    state: dict[str, Any] = {}
    for i, layer in enumerate(module if isinstance(module, torch.nn.Sequential) else [module]):
        name = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            layers.append(["Linear", layer.in_features, layer.out_features])
            state[f"{i}.weight"] = layer.weight.detach().cpu().clone()
            if layer.bias is not None:
                state[f"{i}.bias"] = layer.bias.detach().cpu().clone()
        elif name == "ELU":
            layers.append([name, float(layer.alpha)])
        elif name == "LeakyReLU":
            layers.append([name, float(layer.negative_slope)])
        elif name in ACTIVATIONS:
            layers.append([name])
        else:
            raise PolicyError(f"cannot save layer {name}: a policy is a Sequential of Linear "
                              f"and {', '.join(ACTIVATIONS)} layers")
    return layers, state


def save_policy(module: Any, path: str | os.PathLike[str], *, task: str, obs_dim: int,
                act_dim: int, extra: dict[str, Any] | None = None) -> None:
    """Save an MLP (obs -> normalised action) as a self-describing policy file.

    The file is checked as :func:`load_policy` will check it (sizes, finite
    weights) so that a bad network is refused here, not on the robot.
    """
    import torch

    layers, state = _layers(module)
    meta = {"format": FORMAT, "version": 1, "task": task, "obs_dim": obs_dim,
            "act_dim": act_dim, "layers": layers}
    clash = sorted(set(extra or {}) & set(meta))
    if clash:
        raise PolicyError(f"extra metadata may not replace {', '.join(clash)}", where=str(path))
    blob = {"meta": {**(extra or {}), **meta}, "state_dict": state}
    _build(blob, str(path), None, None, None)  # refuse what load_policy would refuse
    torch.save(blob, str(path))


def _build(blob: Any, where: str, task: str | None, obs_dim: int | None,
           act_dim: int | None) -> Policy:
    meta, layers = check_policy(blob, where, task=task, obs_dim=obs_dim, act_dim=act_dim)
    mlp = NumpyMLP(layers)
    return Policy(mlp, os.path.basename(where), meta["task"], meta["obs_dim"], meta["act_dim"])


def load_policy(spec: str | os.PathLike[str], *, task: str | None = None,
                obs_dim: int | None = None, act_dim: int | None = None, rate: float = 50.0,
                seed: int = 0, robot: RobotSpec | None = None) -> Any:
    """Load ``scripted:<name>``, a policy artifact directory (``s2r train``), a training run
    directory (its best policy, ``<run>/policy``) or a policy file, checked against the task.

    ``task``, ``obs_dim`` and ``act_dim`` are what the task needs, ``robot`` the spec of the
    robot it runs on (an artifact's robot, control rate and action size are checked against
    it); a policy that disagrees with any of them is a :class:`~s2r.errors.PolicyError`.
    A scripted policy gives ``act_dim`` actions (1 if not given).
    """
    from s2r.artifact import is_artifact, load_artifact

    text = str(spec)
    if text.startswith("scripted:"):
        return scripted_policy(text.split(":", 1)[1], act_dim or 1, rate, seed)
    if not is_artifact(text) and is_artifact(os.path.join(text, "policy")):
        text = os.path.join(text, "policy")  # a training run directory
    if is_artifact(text):
        policy = load_artifact(text, task=task, robot=robot)
        for what, mine, theirs in (("observations", obs_dim, policy.obs_dim),
                                   ("actions", act_dim, policy.act_dim)):
            if mine is not None and mine != theirs:
                raise PolicyError(f"policy has {theirs} {what}, the task has {mine}",
                                  where=text)
        return policy
    return _build(read_policy_file(text), text, task, obs_dim, act_dim)


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
