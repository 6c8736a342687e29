"""``<out>/report.html``: one self-contained page on a system identification.

It holds, in order: the held-out table (NRMSE and fit % per channel, nominal vs
fitted), overlays of measured, nominal and fitted signals per channel (on held-out
data, simulated as the fit did: short segments from the logged state, or whole
episodes for single shooting), the parameter table with its intervals, the identified
combinations, the DROPO distribution if one was fitted, the warnings, the correlation
matrix as a heat map and the optimizer's trace (best cost per iteration). Figures are
embedded PNG images: the file opens anywhere, with no other file and no network.

>>> from s2r.sysid.result import Estimate, SysidResult
>>> r = SysidResult("furuta", "lsq", {"link.pendulum.mass": Estimate(
...     0.028, 1e-5, (0.02798, 0.02802), 0.024, None, "kg")}, {}, [], [],
...     {"data": "held-out", "channels": {}}, trace=[1.0, 0.1])
>>> html = render(r)
>>> "link.pendulum.mass" in html and "data:image/png;base64," in html
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from s2r.htmlpage import HtmlPage


def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (9.0, 3.0)) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False)


def _held_out(page: HtmlPage, summary: dict[str, Any]) -> None:
    page.heading(f"Validation ({summary.get('data', '?')})")
    rows = [[ch, s["nrmse_nominal"], s["nrmse_fitted"], s["fit_percent_nominal"],
             s["fit_percent_fitted"]] for ch, s in summary.get("channels", {}).items()]
    page.table(["channel", "NRMSE nominal", "NRMSE fitted", "fit % nominal", "fit % fitted"],
               rows)


def _overlays(page: HtmlPage, overlay: dict[str, Any] | None) -> None:
    if not overlay or not overlay.get("segments"):
        return
    cols = overlay["channels"]
    fig, axes = _figure(len(cols), 1, (9.0, 2.4 * len(cols)))
    for i, ch in enumerate(cols):
        ax = axes[i][0]
        for k, seg in enumerate(overlay["segments"]):
            t = np.asarray(seg["t"])
            first = k == 0
            ax.plot(t, np.asarray(seg["measured"])[:, i], color="k", lw=1.2,
                    label="measured" if first else None)
            ax.plot(t, np.asarray(seg["nominal"])[:, i], color="tab:red", lw=0.9, ls="--",
                    label="nominal" if first else None)
            ax.plot(t, np.asarray(seg["fitted"])[:, i], color="tab:blue", lw=0.9,
                    label="fitted" if first else None)
        ax.set_ylabel(ch)
        ax.grid(alpha=0.3)
    axes[0][0].legend(loc="upper right", fontsize=8)
    axes[-1][0].set_xlabel("time (s)")
    page.heading("Measured vs nominal vs fitted")
    page.figure(fig, f"{overlay['data']} data of {overlay['source']}, {overlay['shooting']}")


def _parameters(page: HtmlPage, doc: dict[str, Any]) -> None:
    page.heading("Parameters")
    rows = []
    for name, e in doc["params"].items():
        ci = e["ci95"]
        rows.append([name, e["value"], e["std"], None if ci is None else ci[0],
                     None if ci is None else ci[1], e["nominal"], e["at_bound"], e["unit"]])
    page.table(["parameter", "value", "std", "ci95 low", "ci95 high", "nominal", "at bound",
                "unit"], rows, digits=5)
    held = [[n, v, "fixed"] for n, v in doc["fixed"].items()] + \
        [[n, t["value"], f"tied to {t['to']}"] for n, t in doc["tied"].items()]
    if held:
        page.table(["parameter", "value", "how"], held, digits=5)
    if doc["identified"]:
        page.heading("Identified combinations", 3)
        page.paragraph("The data fix these combinations, not the parameters in them one by "
                       "one.")
        page.table(["combination", "meaning", "value", "std", "unit"],
                   [[c["combination"], c.get("meaning") or c["kind"], c["value"], c["std"],
                     c.get("unit") or ""] for c in doc["identified"]], digits=5)


def _dropo(page: HtmlPage, dist: dict[str, Any], params: dict[str, Any]) -> None:
    if dist["kind"] != "dropo":
        return
    page.heading("Randomization fitted to the data (DROPO)")
    page.paragraph(f"A normal distribution per parameter (truncated to its bounds) that makes "
                   f"the logs most likely under the randomized simulator: {dist['samples']} "
                   f"draws per candidate, noise {dist['noise']:g} channel std, "
                   f"{dist['evaluations']} simulations, log-likelihood "
                   f"{dist['log_likelihood']:.6g}.")
    page.table(["parameter", "mean", "std", "point fit", "std of the point fit", "unit"],
               [[n, dist["mean"][n], dist["std"][n], params[n]["value"], params[n]["std"],
                 params[n]["unit"]] for n in dist["mean"]], digits=5)


def _correlation(page: HtmlPage, corr: dict[str, dict[str, float | None]] | None) -> None:
    if not corr or len(corr) < 2:
        return
    names = list(corr)
    m = np.array([[np.nan if corr[a][b] is None else corr[a][b] for b in names] for a in names])
    n = len(names)
    fig, axes = _figure(1, 1, (2.0 + 0.6 * n, 1.5 + 0.5 * n))
    ax = axes[0][0]
    im = ax.imshow(np.ma.masked_invalid(m), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n), names, fontsize=7)
    for i in range(n):
        for j in range(n):
            if np.isfinite(m[i, j]):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, shrink=0.8)
    page.heading("Correlation of the estimates")
    page.figure(fig, "blank: a parameter identified only in a combination")


def _trace(page: HtmlPage, trace: list[float], evaluations: int) -> None:
    if not trace:
        return
    fig, axes = _figure(1, 1, (7.0, 2.8))
    ax = axes[0][0]
    x = np.linspace(0, evaluations, len(trace)) if evaluations else np.arange(len(trace))
    ax.semilogy(x, np.maximum(np.asarray(trace, dtype=float), 1e-300), marker=".")
    ax.set_xlabel("residual evaluations")
    ax.set_ylabel("best cost")
    ax.grid(alpha=0.3, which="both")
    page.heading("Optimizer trace")
    page.figure(fig, "best cost (0.5 * sum of squared normalised residuals) per iteration")


def build(result: Any) -> HtmlPage:
    """The report page of a :class:`~s2r.sysid.result.SysidResult`."""
    doc = result.to_dict()
    summary = result.summary
    page = HtmlPage(f"System identification of {result.robot}")
    page.paragraph(f"method {result.method}, {result.evaluations} evaluations, final cost "
                   f"{result.cost:.6g}, {summary.get('segments', '?')} segments of "
                   f"{summary.get('segment') or 'whole episodes'} s, signals "
                   f"{', '.join(summary.get('signals', []))}", css="summary")
    _held_out(page, summary)
    _overlays(page, getattr(result, "overlay", None))
    _parameters(page, doc)
    _dropo(page, doc["distribution"], doc["params"])
    if result.warnings:
        page.heading("Warnings")
        page.bullets(result.warnings, css="warning")
    _correlation(page, summary.get("correlation"))
    _trace(page, result.trace, result.evaluations)
    return page


def render(result: Any) -> str:
    """The report of ``result`` as HTML text."""
    return build(result).render()


def write_report(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write the report of ``result`` to ``path`` (whole or not at all)."""
    return build(result).write(path)
