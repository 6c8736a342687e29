"""The policy artifact: what ``s2r train`` writes and deploy, rollout and evaluation run.

An artifact is ONE directory:

- ``weights.npz``: the MLP's weight matrices and biases as plain arrays (read with
  ``allow_pickle=False``: loading never runs pickled code);
- ``spec.json``: everything needed to run the policy and to check it fits: task, robot,
  observation layout and units, action meaning, scaling and limits, control rate, the
  observation normalisation (mean, variance, clip), the network layout, the
  randomization and the parameter values it was trained around, the training config
  and seed, the s2r version and the artifact's format version.

:func:`load_artifact` returns a plain callable ``obs -> action`` that needs only numpy
(normalisation applied inside); :func:`from_sb3` exports a Stable-Baselines3 PPO or SAC
``MlpPolicy`` (with its ``VecNormalize`` statistics) to an artifact.

>>> import os, tempfile
>>> import numpy as np
>>> from s2r.tasks import PendulumSwingup
>>> env = PendulumSwingup()
>>> net = [Layer(np.zeros((8, 3)), np.zeros(8), "tanh"), Layer(np.ones((1, 8)), np.ones(1))]
>>> path = os.path.join(tempfile.mkdtemp(), "policy")
>>> _ = save_artifact(path, net, task=env)
>>> policy = load_artifact(path, task=env)
>>> policy(np.zeros(3, dtype=np.float32))
array([1.])
>>> env.close()
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from s2r.errors import PolicyError

FORMAT = "s2r-policy-artifact"
FORMAT_VERSION = 1
SPEC_FILE = "spec.json"
WEIGHTS_FILE = "weights.npz"
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda x: x,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
}
#: torch.nn module name -> activation name
TORCH_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "ELU": "elu", "Sigmoid": "sigmoid",
                     "LeakyReLU": "leaky_relu", "SiLU": "silu", "Identity": "identity"}


@dataclass
class Layer:
    """One dense layer: ``activation(weight @ x + bias)``; ``weight`` is (out, in)."""

    weight: np.ndarray
    bias: np.ndarray
    activation: str = "identity"


# ------------------------------------------------------------------- describing
def _task_name(task: Any) -> str:
    from s2r.tasks import TASKS

    if isinstance(task, str):
        return task
    cls = type(task.unwrapped if hasattr(task, "unwrapped") else task)
    for name, (_, known) in TASKS.items():
        if known is cls:
            return name
    return cls.__name__


def describe_task(task: Any) -> dict[str, Any]:
    """The spec fields a task instance determines: task, robot, observation, action, rate."""
    env = task.unwrapped
    spec = env.robot.spec
    layout_fn = getattr(env, "observation_layout", None)
    layout = (layout_fn() if callable(layout_fn)
              else [(f"obs[{i}]", "-") for i in range(int(env.observation_space.shape[0]))])
    return {
        "task": _task_name(env),
        "success_criterion": getattr(env, "success_criterion", "") or None,
        "robot": {"name": spec.name, "joints": [
            {"name": j.name, "kind": j.kind, "units": list(j.units)} for j in spec.joints],
            "sensors": list(spec.sensors)},
        "control_rate": float(spec.control_rate),
        "observation": {"size": len(layout),
                        "layout": [{"name": n, "unit": u} for n, u in layout]},
        "action": {
            "size": spec.n_actions,
            "meaning": "normalised command per actuator: -1..1 maps linearly onto low..high",
            "low": [-1.0] * spec.n_actions, "high": [1.0] * spec.n_actions,
            "actuators": [{"name": a.name, "joint": a.joint, "kind": a.kind, "unit": a.unit,
                           "low": a.low, "high": a.high} for a in spec.actuators]},
    }


# ------------------------------------------------------------------ saving
def save_artifact(path: str | os.PathLike[str], layers: Sequence[Layer], *, task: Any,
                  normalization: Mapping[str, Any] | None = None,
                  randomization: Mapping[str, Any] | None = None,
                  params: Mapping[str, float] | None = None,
                  training: Mapping[str, Any] | None = None,
                  output: str = "clip") -> Path:
    """Write an artifact directory (created; files replaced) and return its path.

    Args:
        layers: the network, input to output.
        task: the task instance it runs on (task, robot, layout, rate are read from it).
        normalization: ``{"mean", "var", "clip", "epsilon"}`` of the observations.
        randomization: what it was trained with (JSON-able).
        params: the parameter values it was trained around (default: the robot's now).
        training: the training config, seed and algorithm (JSON-able).
        output: ``clip`` (the last layer's output clipped to the action range) or
            ``squash`` (already tanh-squashed into [-1, 1], mapped onto the range).
    """
    from s2r import __version__

    if output not in ("clip", "squash"):
        raise PolicyError(f"output must be 'clip' or 'squash', got '{output}'")
    env = task.unwrapped
    spec: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                            "s2r_version": __version__, **describe_task(env)}
    sizes = [(int(np.shape(layer.weight)[1]), int(np.shape(layer.weight)[0])) for layer in layers]
    if not layers or sizes[0][0] != spec["observation"]["size"] or \
            sizes[-1][1] != spec["action"]["size"]:
        raise PolicyError(f"network {sizes} does not map {spec['observation']['size']} "
                          f"observations to {spec['action']['size']} actions")
    for layer in layers:
        if layer.activation not in ACTIVATIONS:
            raise PolicyError(f"unknown activation '{layer.activation}' (known: "
                              f"{', '.join(ACTIVATIONS)})")
    spec["network"] = {"layers": [{"in": i, "out": o, "activation": layer.activation}
                                  for (i, o), layer in zip(sizes, layers)], "output": output}
    if normalization is not None:
        spec["normalization"] = {
            "mean": np.asarray(normalization["mean"], dtype=float).tolist(),
            "var": np.asarray(normalization["var"], dtype=float).tolist(),
            "clip": float(normalization.get("clip", np.inf)),
            "epsilon": float(normalization.get("epsilon", 1e-8))}
    else:
        spec["normalization"] = None
    if params is None:
        getter = getattr(env.robot, "get_params", None)
        params = getter() if callable(getter) else {}
    spec["params"] = {k: float(v) for k, v in params.items()}
    spec["randomization"] = dict(randomization) if randomization is not None else None
    spec["training"] = dict(training) if training is not None else None
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(layers):
        arrays[f"w{i}"] = np.asarray(layer.weight, dtype=np.float64)
        arrays[f"b{i}"] = np.asarray(layer.bias, dtype=np.float64)
    np.savez(out / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]
    (out / SPEC_FILE).write_text(json.dumps(spec, indent=2, default=_json_default) + "\n")
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# ------------------------------------------------------------------ loading
class ArtifactPolicy:
    """A loaded artifact: ``policy(obs) -> action`` (numpy only), plus its ``spec``.

    ``obs`` is one observation vector (or a batch, one per row); the action is in the
    task's normalised range [-1, 1] (float64).
    """

    def __init__(self, spec: dict[str, Any], layers: list[Layer], name: str) -> None:
        self.spec = spec
        self.name = name
        self.task: str = spec["task"]
        self.obs_dim: int = int(spec["observation"]["size"])
        self.act_dim: int = int(spec["action"]["size"])
        self._layers = [(np.ascontiguousarray(layer.weight), np.ascontiguousarray(layer.bias),
                         None if layer.activation == "identity" else ACTIVATIONS[layer.activation])
                        for layer in layers]
        self._low = np.asarray(spec["action"]["low"], dtype=np.float64)
        self._high = np.asarray(spec["action"]["high"], dtype=np.float64)
        self._squash = spec["network"]["output"] == "squash"
        norm = spec.get("normalization")
        self._norm = None
        if norm is not None:
            mean = np.asarray(norm["mean"], dtype=np.float64)
            inv_std = 1.0 / np.sqrt(np.asarray(norm["var"], dtype=np.float64) + norm["epsilon"])
            self._norm = (mean, inv_std, float(norm["clip"]))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        # hot path (one call per control step): few numpy calls, no np.clip (slow wrapper)
        x = obs if isinstance(obs, np.ndarray) else np.asarray(obs, dtype=np.float64)
        if x.shape[-1] != self.obs_dim:
            raise PolicyError(f"policy expects {self.obs_dim} observations, got shape "
                              f"{x.shape}", where=self.name)
        if self._norm is not None:
            mean, inv_std, clip = self._norm
            x = np.minimum(np.maximum((x - mean) * inv_std, -clip), clip)
        else:
            x = x.astype(np.float64)
        if x.ndim == 1:
            for w, b, act in self._layers:
                x = w.dot(x) + b
                if act is not None:
                    x = act(x)
        else:
            for w, b, act in self._layers:
                x = x.dot(w.T) + b
                if act is not None:
                    x = act(x)
        if self._squash:
            return self._low + 0.5 * (x + 1.0) * (self._high - self._low)
        return np.minimum(np.maximum(x, self._low), self._high)

    def __repr__(self) -> str:
        return f"ArtifactPolicy({self.name!r}, task={self.task!r})"


def read_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``spec.json`` of an artifact directory, checked for format and version."""
    root = Path(path)
    if not root.is_dir():
        raise PolicyError("no such policy artifact (a directory with spec.json and "
                          "weights.npz)", where=str(path))
    file = root / SPEC_FILE
    if not file.is_file():
        raise PolicyError(f"missing {SPEC_FILE}: not a policy artifact", where=str(path))
    try:
        spec = json.loads(file.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise PolicyError(f"corrupt {SPEC_FILE}: {err}", where=str(file)) from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise PolicyError(f"{SPEC_FILE} is not an s2r policy artifact spec (format "
                          f"'{FORMAT}')", where=str(file))
    if spec.get("format_version") != FORMAT_VERSION:
        raise PolicyError(f"artifact format version {spec.get('format_version')} is not "
                          f"supported (this s2r reads {FORMAT_VERSION})", where=str(file))
    for key in ("task", "robot", "control_rate", "observation", "action", "network"):
        if key not in spec:
            raise PolicyError(f"corrupt {SPEC_FILE}: no '{key}'", where=str(file))
    return spec


def _read_layers(root: Path, spec: dict[str, Any]) -> list[Layer]:
    file = root / WEIGHTS_FILE
    if not file.is_file():
        raise PolicyError(f"missing {WEIGHTS_FILE}", where=str(root))
    layers = []
    try:
        with np.load(file, allow_pickle=False) as data:
            for i, entry in enumerate(spec["network"]["layers"]):
                w, b = data[f"w{i}"], data[f"b{i}"]
                if w.shape != (entry["out"], entry["in"]) or b.shape != (entry["out"],):
                    raise PolicyError(f"layer {i}: weights {w.shape} / bias {b.shape} do not "
                                      f"match the spec ({entry['out']}x{entry['in']})",
                                      where=str(file))
                if entry["activation"] not in ACTIVATIONS:
                    raise PolicyError(f"layer {i}: unknown activation '{entry['activation']}'",
                                      where=str(root / SPEC_FILE))
                layers.append(Layer(w.astype(np.float64), b.astype(np.float64),
                                    entry["activation"]))
    except PolicyError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as err:
        first = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise PolicyError(f"corrupt {WEIGHTS_FILE}: {first}", where=str(file)) from None
    return layers


def check_fits(spec: Mapping[str, Any], task: Any = None, robot: Any = None,
               where: str | None = None) -> None:
    """Refuse (PolicyError naming what differs) an artifact that does not fit.

    ``task``: a task name or a task instance (then its robot, observation layout, control
    rate and action size are checked too); ``robot``: a :class:`~s2r.robot.RobotSpec`.
    """
    problems: list[str] = []
    if task is not None:
        mine: dict[str, Any] = ({"task": task} if isinstance(task, str)
                                else describe_task(task))
        if spec["task"] != mine["task"]:
            problems.append(f"task: trained for '{spec['task']}', not '{mine['task']}'")
        if not isinstance(task, str):
            if spec["robot"]["name"] != mine["robot"]["name"]:
                problems.append(f"robot: trained on '{spec['robot']['name']}', not "
                                f"'{mine['robot']['name']}'")
            theirs = [(e["name"], e["unit"]) for e in spec["observation"]["layout"]]
            ours = [(e["name"], e["unit"]) for e in mine["observation"]["layout"]]
            if theirs != ours:
                problems.append(f"observation layout: policy expects {theirs}, the task gives "
                                f"{ours}")
            robot = robot or task.unwrapped.robot.spec
    if robot is not None:
        if spec["robot"]["name"] != robot.name and not any(p.startswith("robot") for p in
                                                           problems):
            problems.append(f"robot: trained on '{spec['robot']['name']}', not '{robot.name}'")
        if not np.isclose(float(spec["control_rate"]), float(robot.control_rate)):
            problems.append(f"control rate: trained at {spec['control_rate']:g} Hz, the robot "
                            f"runs at {robot.control_rate:g} Hz")
        if int(spec["action"]["size"]) != robot.n_actions:
            problems.append(f"action size: policy gives {spec['action']['size']}, the robot "
                            f"takes {robot.n_actions}")
    if problems:
        raise PolicyError("policy does not fit: " + "; ".join(problems), where=where)


def load_artifact(path: str | os.PathLike[str], *, task: Any = None,
                  robot: Any = None) -> ArtifactPolicy:
    """Load an artifact directory as a numpy callable, checked against ``task``/``robot``.

    Raises :class:`~s2r.errors.PolicyError` for missing or corrupt files and for an
    artifact that does not fit (see :func:`check_fits`).
    """
    root = Path(path)
    spec = read_spec(root)
    check_fits(spec, task, robot, where=str(root))
    layers = _read_layers(root, spec)
    if layers[0].weight.shape[1] != spec["observation"]["size"] or \
            layers[-1].weight.shape[0] != spec["action"]["size"]:
        raise PolicyError("corrupt artifact: network sizes do not match the spec",
                          where=str(root))
    return ArtifactPolicy(spec, layers, str(root))


def is_artifact(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory holding ``spec.json`` (an artifact to load)."""
    return (Path(path) / SPEC_FILE).is_file()


# ------------------------------------------------------------------ SB3 export
def _torch_layers(module: Any, final: str = "identity") -> list[Layer]:
    """Linear layers (with the activation that follows each) of a torch Sequential."""
    import torch

    mods = list(module) if isinstance(module, torch.nn.Sequential) else [module]
    layers: list[Layer] = []
    for mod in mods:
        name = type(mod).__name__
        if isinstance(mod, torch.nn.Linear):
            layers.append(Layer(mod.weight.detach().cpu().double().numpy().copy(),
                                mod.bias.detach().cpu().double().numpy().copy()
                                if mod.bias is not None else np.zeros(mod.out_features)))
        elif name in TORCH_ACTIVATIONS and layers:
            if layers[-1].activation != "identity":
                raise PolicyError(f"two activations in a row ({name}) are not supported")
            layers[-1].activation = TORCH_ACTIVATIONS[name]
        elif name != "Flatten":
            raise PolicyError(f"cannot export layer {name}: an MLP of Linear and "
                              f"{', '.join(TORCH_ACTIVATIONS)} layers is needed")
    if layers and final != "identity":
        layers[-1].activation = final
    return layers


def sb3_layers(model: Any) -> tuple[list[Layer], str]:
    """The deterministic actor of an SB3 PPO/A2C or SAC/TD3 MlpPolicy as numpy layers.

    PPO/A2C: features -> ``mlp_extractor.policy_net`` -> ``action_net`` (the Gaussian's
    mean, clipped to the action range). SAC: ``actor.latent_pi`` -> ``actor.mu`` squashed
    by tanh. TD3/DDPG: ``actor.mu`` (ends in tanh).
    """
    policy = model.policy
    extractor = getattr(policy, "features_extractor", None)
    if extractor is not None and type(extractor).__name__ != "FlattenExtractor":
        raise PolicyError(f"cannot export features extractor {type(extractor).__name__}: "
                          "only MlpPolicy (FlattenExtractor) is supported")
    if hasattr(policy, "mlp_extractor") and hasattr(policy, "action_net"):  # PPO, A2C
        layers = _torch_layers(policy.mlp_extractor.policy_net) + _torch_layers(policy.action_net)
        return layers, "clip"
    actor = getattr(policy, "actor", None)
    if actor is not None and hasattr(actor, "latent_pi"):  # SAC
        return _torch_layers(actor.latent_pi) + _torch_layers(actor.mu, final="tanh"), "squash"
    if actor is not None and hasattr(actor, "mu"):  # TD3, DDPG
        return _torch_layers(actor.mu), "squash"
    raise PolicyError(f"cannot export {type(model).__name__}: need an SB3 PPO, A2C, SAC or "
                      "TD3 model with MlpPolicy")


def vecnormalize_stats(vecnormalize: Any) -> dict[str, Any] | None:
    """The observation normalisation of an SB3 ``VecNormalize`` (None if it has none)."""
    if vecnormalize is None or not getattr(vecnormalize, "norm_obs", False):
        return None
    rms = vecnormalize.obs_rms
    if isinstance(rms, dict):
        raise PolicyError("VecNormalize over dict observations is not supported")
    return {"mean": np.asarray(rms.mean, dtype=float), "var": np.asarray(rms.var, dtype=float),
            "clip": float(vecnormalize.clip_obs), "epsilon": float(vecnormalize.epsilon)}


def from_sb3(model: Any, path: str | os.PathLike[str], *, task: Any,
             vecnormalize: Any = None, **meta: Any) -> ArtifactPolicy:
    """Export an SB3 model (PPO/A2C/SAC/TD3 ``MlpPolicy``) as an artifact and load it back.

    The artifact's action equals ``model.predict(obs, deterministic=True)`` on the
    normalised observation. ``meta`` goes to :func:`save_artifact` (``randomization``,
    ``params``, ``training``).

    >>> import tempfile
    >>> from stable_baselines3 import PPO
    >>> from s2r.tasks import PendulumSwingup
    >>> env = PendulumSwingup(max_steps=8)
    >>> model = PPO("MlpPolicy", env, n_steps=8, batch_size=8, n_epochs=1, device="cpu")
    >>> policy = from_sb3(model, tempfile.mkdtemp() + "/policy", task=env)
    >>> obs, _ = env.reset(seed=0)
    >>> bool(np.allclose(policy(obs), model.predict(obs, deterministic=True)[0], atol=1e-5))
    True
    >>> env.close()
    """
    layers, output = sb3_layers(model)
    low = np.asarray(model.action_space.low, dtype=float)
    high = np.asarray(model.action_space.high, dtype=float)
    if not (np.allclose(low, -1.0) and np.allclose(high, 1.0)):
        raise PolicyError(f"the model's action space is [{low}, {high}]: s2r tasks act in "
                          "[-1, 1]")
    save_artifact(path, layers, task=task, normalization=vecnormalize_stats(vecnormalize),
                  output=output, **meta)
    return load_artifact(path, task=task)
