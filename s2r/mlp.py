"""A numpy forward pass for the MLPs a policy file holds (no torch at control time).

A policy file stores a chain of ``Linear`` layers and activations; :class:`NumpyMLP`
evaluates that chain with numpy matrix products, so calling a policy on a robot
starts no torch threads and costs a few microseconds for small networks. The
arrays keep the dtype of the stored weights (float32 or float64), so the
result matches the torch module's to rounding.

>>> import numpy as np
>>> mlp = NumpyMLP([("Linear", np.eye(2), np.ones(2)), ("ReLU",)])
>>> mlp(np.array([-3.0, 1.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from s2r.errors import PolicyError


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # split by sign so exp never overflows
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def _elu(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _leaky(slope: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.where(x >= 0, x, x * slope)


#: activation name -> (default parameter or None, builder taking that parameter)
ACTIVATIONS: dict[str, tuple[float | None, Callable[[Any], Callable[[np.ndarray], np.ndarray]]]]
ACTIVATIONS = {
    "Tanh": (None, lambda _: np.tanh),
    "ReLU": (None, lambda _: lambda x: np.maximum(x, 0)),
    "ELU": (1.0, _elu),
    "Sigmoid": (None, lambda _: _sigmoid),
    "Identity": (None, lambda _: lambda x: x),
    "LeakyReLU": (0.01, _leaky),
    "SiLU": (None, lambda _: lambda x: x * _sigmoid(x)),
}


class NumpyMLP:
    """Evaluate ``[("Linear", W, b), (activation[, parameter]), ...]`` on a 1-D input.

    ``W`` has shape ``(out, in)`` like ``torch.nn.Linear.weight``; ``b`` may be
    ``None`` (a layer without bias). Activation parameters are ELU's ``alpha``
    and LeakyReLU's ``negative_slope``.
    """

    def __init__(self, layers: Sequence[tuple[Any, ...]]) -> None:
        self._ops: list[Callable[[np.ndarray], np.ndarray]] = []
        self.in_size: int | None = None
        self.out_size: int | None = None
        for layer in layers:
            name = layer[0]
            if name == "Linear":
                weight, bias = layer[1], layer[2]
                self.in_size = weight.shape[1] if self.in_size is None else self.in_size
                self.out_size = weight.shape[0]
                self._ops.append(self._linear(weight.T.copy(), bias))
            else:
                default, build = ACTIVATIONS[name]
                self._ops.append(build(layer[1] if len(layer) > 1 else default))
        if self.in_size is None:
            raise PolicyError("an MLP needs at least one Linear layer")
        self.dtype = next(layer[1].dtype for layer in layers if layer[0] == "Linear")

    @staticmethod
    def _linear(weight_t: np.ndarray, bias: np.ndarray | None
                ) -> Callable[[np.ndarray], np.ndarray]:
        if bias is None:
            return lambda x: x @ weight_t
        return lambda x: x @ weight_t + bias

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype).reshape(-1)
        if x.shape[0] != self.in_size:
            raise PolicyError(f"policy takes {self.in_size} observations, got {x.shape[0]}")
        for op in self._ops:
            x = op(x)
        return x
