"""What an encoder and a firmware make of the true joint state.

Per joint ``j``, one sample every ``dt`` seconds:

1. position: ``q_m = round((q + n_q) / r) * r`` with ``r = sensor.j.resolution``
   (0: exact) and ``n_q ~ N(0, sensor.j.position_noise^2)``;
2. raw velocity: for a quantized joint the finite difference
   ``(q_m - q_m[k - w]) / (w * dt)`` over ``w = round(window / dt)`` samples
   (one control period, as a firmware without a tachometer computes it); for an
   exact joint the true velocity;
3. low-pass: ``v = a * v + (1 - a) * raw`` with ``a = exp(-2 pi f dt)``,
   ``f = sensor.j.velocity_cutoff`` in Hz (0: no filter, ``a = 0``);
4. reported velocity ``v + n_v``, ``n_v ~ N(0, sensor.j.velocity_noise^2)``.

Extra sensors get ``s + n_s``, ``n_s ~ N(0, sensor.<s>.noise^2)``.

>>> import numpy as np
>>> enc = SensorModel(1, 0, dt=0.01, window=0.01)
>>> enc.resolution[0] = 0.1
>>> enc.reset((0.0,), (0.0,))
>>> enc.sample((0.0,), (0.0,), (), np.random.default_rng(0))
((0.0,), (0.0,), ())
>>> enc.sample((0.26,), (1.0,), (), np.random.default_rng(0))
((0.30000000000000004,), (30.000000000000004,), ())
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

Values = tuple[float, ...]


def quantize(x: float, resolution: float) -> float:
    """``x`` rounded to a multiple of ``resolution`` (half to even); exact if 0."""
    return round(x / resolution) * resolution if resolution > 0.0 else x


def lowpass_coefficient(cutoff: float, dt: float) -> float:
    """Per-sample weight ``a = exp(-2 pi f dt)`` of the old value; 0 (no filter) for f = 0.

    >>> round(lowpass_coefficient(math.log(2) / (2 * math.pi * 0.002), 0.002), 12)
    0.5
    """
    return math.exp(-2.0 * math.pi * cutoff * dt) if cutoff > 0.0 else 0.0


class SensorModel:
    """Quantization, noise and velocity estimation of ``n`` joints and ``m`` extra sensors.

    The parameter lists (``resolution``, ``velocity_cutoff``, ``position_noise``,
    ``velocity_noise``, ``sensor_noise``) are public and may be changed between
    samples; :meth:`reset` restarts the estimator.
    """

    def __init__(self, n: int, m: int, dt: float, window: float) -> None:
        self.dt = float(dt)
        self.window = max(1, round(window / dt))
        self.resolution = [0.0] * n
        self.velocity_cutoff = [0.0] * n
        self.position_noise = [0.0] * n
        self.velocity_noise = [0.0] * n
        self.sensor_noise = [0.0] * m
        self._past: deque[Values] = deque(maxlen=self.window + 1)
        self._vel: list[float] = [0.0] * n

    def reset(self, q: Sequence[float], qd: Sequence[float]) -> None:
        """Restart as if the estimator had been running at velocity ``qd`` up to state ``q``.

        The next :meth:`sample` must be the one of state ``(q, qd)`` itself.
        """
        res, w, dt = self.resolution, self.window, self.dt
        self._past.clear()
        for k in range(w, 0, -1):
            self._past.append(tuple(quantize(x - v * dt * k, r) for x, v, r in zip(q, qd, res)))
        self._vel = [float(v) for v in qd]

    def _noise(self, stds: list[float], rng: np.random.Generator) -> list[float] | None:
        if not any(stds):
            return None
        return [s * z for s, z in zip(stds, rng.standard_normal(len(stds)).tolist())]

    def sample(self, q: Sequence[float], qd: Sequence[float], sensors: Sequence[float],
               rng: np.random.Generator) -> tuple[Values, Values, Values]:
        """One measurement of the true (q, qd, sensors): (positions, velocities, sensors)."""
        res = self.resolution
        noise = self._noise(self.position_noise, rng)
        if noise is not None:
            q = [x + e for x, e in zip(q, noise)]
        qm = tuple(quantize(x, r) for x, r in zip(q, res))
        past = self._past
        past.append(qm)
        old, span = past[0], (len(past) - 1) * self.dt
        vel = self._vel
        for i, r in enumerate(res):
            raw = (qm[i] - old[i]) / span if r > 0.0 else float(qd[i])
            a = lowpass_coefficient(self.velocity_cutoff[i], self.dt)
            vel[i] = a * vel[i] + (1.0 - a) * raw if a else raw
        noise = self._noise(self.velocity_noise, rng)
        qdm = tuple(vel) if noise is None else tuple(v + e for v, e in zip(vel, noise))
        noise = self._noise(self.sensor_noise, rng) if sensors else None
        s = tuple(map(float, sensors)) if noise is None else tuple(
            x + e for x, e in zip(sensors, noise))
        return qm, qdm, s

    def snapshot(self) -> dict[str, Any]:
        """The estimator's state as plain data (the parameters are not included)."""
        return {"past": [list(p) for p in self._past], "velocity": list(self._vel)}

    def restore(self, state: dict[str, Any]) -> None:
        self._past = deque((tuple(map(float, p)) for p in state["past"]),
                           maxlen=self.window + 1)
        self._vel = [float(v) for v in state["velocity"]]
