"""The figures of a gap report (matplotlib, Agg): trajectories, returns, residuals, timing."""

from __future__ import annotations

from typing import Any

import numpy as np

from s2r.report.inputs import Pair
from s2r.report.replay import Replay
from s2r.report.timing import periods, timing

SIM, REAL = "#1f77b4", "#d62728"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def trajectories(pair: Pair) -> Any:
    """Sim and real joint positions overlaid, one panel per joint, every episode."""
    plt = _plt()
    joints = pair.sim.logs[0].meta.joints
    units = pair.sim.logs[0].meta.units
    fig, axes = plt.subplots(len(joints), 1, figsize=(9, 2.4 * len(joints)), sharex=True,
                             squeeze=False)
    for ax, j in zip(axes[:, 0], joints):
        for side, color in ((pair.sim, SIM), (pair.real, REAL)):
            for k, ep in enumerate(side.episodes):
                ax.plot(ep.t - ep.t[0], ep.frame[f"q.{j}"], color=color, lw=1.2, alpha=0.8,
                        label=f"{side.role}" if k == 0 else None)
        ax.set_ylabel(f"q.{j} [{units.get(f'q.{j}', '-')}]")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right")
    axes[-1, 0].set_xlabel("time since the episode's start [s]")
    fig.suptitle(f"{pair.name}: joint positions, sim (blue) and real (red)")
    return fig


def returns(pairs: list[Pair]) -> Any:
    """Episode returns of every policy, sim and real side by side, means marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(5, 1.8 * len(pairs) + 2), 3.6))
    rng = np.random.default_rng(0)
    for i, pair in enumerate(pairs):
        for dx, side, color in ((-0.17, pair.sim, SIM), (0.17, pair.real, REAL)):
            x = i + dx + rng.uniform(-0.05, 0.05, len(side.returns))
            ax.scatter(x, side.returns, color=color, s=28, alpha=0.8,
                       label=side.role if i == 0 else None)
            ax.hlines(side.returns.mean(), i + dx - 0.12, i + dx + 0.12, color=color, lw=2.5)
    ax.set_xticks(range(len(pairs)), [p.name for p in pairs])
    ax.set_ylabel("episode return")
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    ax.set_title("Return per episode (bars: means)")
    return fig


def residuals(name: str, rep: Replay) -> Any:
    """Replay residual (simulated - measured) over time per channel, the first real
    episode's segments; each segment restarts from the log, so residuals restart at 0."""
    plt = _plt()
    idx = [i for i, e in enumerate(rep.episode) if e == rep.episode[0]]
    fig, axes = plt.subplots(len(rep.columns), 1, figsize=(9, 1.9 * len(rep.columns)),
                             sharex=True, squeeze=False)
    colors = plt.get_cmap("tab10")
    for c, (ax, col) in enumerate(zip(axes[:, 0], rep.columns)):
        for i in idx:
            ax.plot(rep.t[i], rep.predicted[i][:, c] - rep.target[i][:, c], color=colors(c),
                    lw=1.4)
        ax.axhline(0.0, color="#555", lw=0.8)
        ax.set_ylabel(col)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("t [s]")
    fig.suptitle(f"{name}: replay residual (sim - real) per segment, first real episode")
    return fig


def timing_histogram(pairs: list[Pair]) -> Any | None:
    """Histogram of the real control periods (ms), per policy; None without t_host."""
    plt = _plt()
    data = [(p.name, periods(p.real) * 1e3) for p in pairs]
    data = [(n, d) for n, d in data if len(d)]
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.4))
    colors = plt.get_cmap("tab10")
    for k, (name, d) in enumerate(data):
        ax.hist(d, bins=40, alpha=0.6, color=colors(k), label=name)
    rate = pairs[0].real.logs[0].meta.control_rate
    paced = any((timing(p.real) or {}).get("paced") for p in pairs)
    if rate and paced:  # an unpaced run has no period to meet
        ax.axvline(1e3 / rate, color="black", ls="--", lw=1, label="control period")
    ax.set_xlabel("period between two commands [ms]")
    ax.set_ylabel("count")
    ax.legend()
    ax.set_title("Control timing on the real side" + ("" if paced else " (unpaced run)"))
    return fig
