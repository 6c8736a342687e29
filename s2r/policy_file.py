"""Reading and checking policy files before anything is built from them.

:func:`read_policy_file` loads a file with ``torch.load(weights_only=True)``,
which never runs pickled code, and says what a refused file is: pickled code
(naming the global it wanted), or junk that is not a torch file at all.
:func:`check_policy` then checks, in this order, the metadata types, the task
name, the declared observation and action sizes against the task, the layer
chain against those sizes, and every stored tensor (shape, floating dtype,
finite values) against its layer. Only then are the weights copied into numpy
arrays, so a small file declaring huge layers, or a policy with the wrong
number of actions, is refused before memory is allocated or a port is opened.

>>> check_policy({"meta": {"format": "s2r-policy"}}, "p.pt")
Traceback (most recent call last):
...
s2r.errors.PolicyError: p.pt: policy metadata 'task' must be a non-empty string, got None
"""

from __future__ import annotations

import io
import math
import os
import pickletools
import re
import warnings
import zipfile
from numbers import Real
from typing import Any

import numpy as np

from s2r.errors import PolicyError
from s2r.mlp import ACTIVATIONS

FORMAT = "s2r-policy"
_FLOATS = ("float16", "bfloat16", "float32", "float64")
_TORCH_GLOBALS = ("torch.", "collections.OrderedDict", "_codecs.encode")


def _pickle_bytes(path: str) -> bytes:
    """The pickle stream of a file: ``data.pkl`` of a torch zip archive, or the file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("data.pkl")]
            return archive.read(names[0]) if names else b""
    with open(path, "rb") as f:
        return f.read()


def _pickled_globals(path: str) -> list[str]:
    """Globals (callables) a pickle references, read without running it."""
    found: list[str] = []
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(_pickle_bytes(path))):
            if isinstance(arg, str):
                strings.append(arg)
            if op.name in ("GLOBAL", "INST"):
                found.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # the stream ends or turns to junk: report what was seen before
        pass
    found = [g.replace("__builtin__.", "builtins.", 1) for g in found]  # protocol 2 naming
    return [g for g in found if not g.startswith(_TORCH_GLOBALS)]


def read_policy_file(path: str) -> Any:
    """``torch.load(path, weights_only=True)``, with a :class:`PolicyError` for any refusal."""
    import torch

    if not os.path.isfile(path):
        raise PolicyError("no such policy file", where=path)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of junk files
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        forbidden = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        code = _pickled_globals(path) or ([forbidden.group(1)] if forbidden else [])
        if code:
            raise PolicyError(f"not an s2r policy file: it holds pickled code ({code[0]}), "
                              "which is never run", where=path) from None
        lines = str(err).splitlines()
        detail = next((line.strip() for line in lines if "Unsupported operand" in line),
                      lines[0].split(". ")[0][:120] if lines else "")
        raise PolicyError(f"not an s2r policy file: it is not a torch weights file "
                          f"({type(err).__name__}{': ' + detail if detail else ''})",
                          where=path) from None


def _positive_int(meta: dict[str, Any], key: str, where: str) -> int:
    value = meta.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PolicyError(f"policy metadata '{key}' must be a positive integer, got {value!r}",
                          where=where)
    return value


def _check_meta(blob: Any, where: str) -> tuple[dict[str, Any], list[Any]]:
    meta = blob.get("meta") if isinstance(blob, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise PolicyError("not an s2r policy file (save it with s2r.policy.save_policy)",
                          where=where)
    if not isinstance(meta.get("task"), str) or not meta["task"]:
        raise PolicyError(f"policy metadata 'task' must be a non-empty string, got "
                          f"{meta.get('task')!r}", where=where)
    _positive_int(meta, "obs_dim", where)
    _positive_int(meta, "act_dim", where)
    layers = meta.get("layers")
    if not isinstance(layers, list | tuple) or not layers:
        raise PolicyError(f"policy metadata 'layers' must be a non-empty list, got "
                          f"{type(layers).__name__}", where=where)
    return meta, list(layers)


def _check_task(meta: dict[str, Any], where: str, task: str | None, obs_dim: int | None,
                act_dim: int | None) -> None:
    if task is not None and meta["task"] != task:
        raise PolicyError(f"policy was trained for task '{meta['task']}', not '{task}'",
                          where=where)
    if obs_dim is not None and meta["obs_dim"] != obs_dim:
        raise PolicyError(f"policy takes {meta['obs_dim']} observations, the task gives "
                          f"{obs_dim}", where=where)
    if act_dim is not None and meta["act_dim"] != act_dim:
        raise PolicyError(f"policy gives {meta['act_dim']} actions, the task takes "
                          f"{act_dim}", where=where)


def _check_chain(meta: dict[str, Any], layers: list[Any], where: str) -> list[tuple[Any, ...]]:
    """Validate the layer specs and the chain of sizes; normalised specs."""
    specs: list[tuple[Any, ...]] = []
    size = meta["obs_dim"]
    for i, spec in enumerate(layers):
        at = f"layer {i}"
        if not isinstance(spec, list | tuple) or not spec or not isinstance(spec[0], str):
            raise PolicyError(f"{at}: a layer is [name, ...], got {spec!r}"[:200], where=where)
        name = spec[0]
        if name == "Linear":
            sizes = spec[1:]
            if len(sizes) != 2 or not all(isinstance(n, int) and not isinstance(n, bool)
                                          and n > 0 for n in sizes):
                raise PolicyError(f"{at}: Linear needs [in, out] positive integers, got "
                                  f"{list(sizes)!r}"[:200], where=where)
            if sizes[0] != size:
                raise PolicyError(f"{at}: Linear takes {sizes[0]} inputs but gets {size} "
                                  f"({'the observation' if i == 0 else 'the previous layer'})",
                                  where=where)
            size = sizes[1]
            specs.append(("Linear", *sizes))
        elif name in ACTIVATIONS:
            default = ACTIVATIONS[name][0]
            params = spec[1:]
            if len(params) > (0 if default is None else 1) or not all(
                    isinstance(p, Real) and not isinstance(p, bool) and math.isfinite(p)
                    for p in params):
                raise PolicyError(f"{at}: bad parameters for {name}: {list(params)!r}"[:200],
                                  where=where)
            specs.append((name, *params))
        else:
            raise PolicyError(f"{at}: layer type {name!r} is not allowed (allowed: Linear, "
                              f"{', '.join(ACTIVATIONS)})"[:200], where=where)
    if not any(s[0] == "Linear" for s in specs):
        raise PolicyError("a policy needs at least one Linear layer", where=where)
    if size != meta["act_dim"]:
        raise PolicyError(f"the last Linear layer gives {size} outputs but the policy "
                          f"declares {meta['act_dim']} actions", where=where)
    return specs


def _tensor(state: dict[str, Any], key: str, shape: tuple[int, ...], where: str) -> Any:
    import torch

    if key not in state:
        raise PolicyError(f"weights '{key}' are missing", where=where)
    t = state[key]
    if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.is_quantized:
        raise PolicyError(f"weights '{key}': expected a dense tensor, got "
                          f"{type(t).__name__}", where=where)
    if tuple(t.shape) != shape:
        raise PolicyError(f"weights '{key}': shape {tuple(t.shape)} does not match the layer "
                          f"({shape})", where=where)
    if str(t.dtype).removeprefix("torch.") not in _FLOATS:
        raise PolicyError(f"weights '{key}': dtype {t.dtype} is not a float type", where=where)
    if not bool(torch.isfinite(t).all()):
        raise PolicyError(f"weights '{key}': holds NaN or infinite values", where=where)
    return t


def check_policy(blob: Any, where: str, *, task: str | None = None, obs_dim: int | None = None,
                 act_dim: int | None = None) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Check a loaded policy file; (metadata, layers with numpy weights) for NumpyMLP."""
    import torch

    meta, layers = _check_meta(blob, where)
    _check_task(meta, where, task, obs_dim, act_dim)
    specs = _check_chain(meta, layers, where)
    state = blob.get("state_dict")
    if not isinstance(state, dict):
        raise PolicyError("policy file has no 'state_dict' of weights", where=where)
    expected = set()
    tensors: list[tuple[Any, ...]] = []
    for i, spec in enumerate(specs):
        if spec[0] != "Linear":
            tensors.append(spec)
            continue
        weight = _tensor(state, f"{i}.weight", (spec[2], spec[1]), where)
        bias = (_tensor(state, f"{i}.bias", (spec[2],), where) if f"{i}.bias" in state
                else None)
        expected |= {f"{i}.weight", f"{i}.bias"}
        tensors.append(("Linear", weight, bias))
    unexpected = sorted(str(k) for k in state if k not in expected)
    if unexpected:
        raise PolicyError(f"weights {', '.join(unexpected)[:120]} belong to no layer",
                          where=where)
    wide = any(t[1].dtype == torch.float64 for t in tensors if t[0] == "Linear")
    dtype = np.float64 if wide else np.float32

    def numpy(t: Any) -> np.ndarray | None:
        return None if t is None else t.detach().to(torch.float64).numpy().astype(dtype)

    return meta, [("Linear", numpy(t[1]), numpy(t[2])) if t[0] == "Linear" else t
                  for t in tensors]
