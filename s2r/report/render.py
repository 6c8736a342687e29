"""``report.html`` and ``report.md`` of a gap report, from one list of tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2r.htmlpage import HtmlPage, format_cell


@dataclass
class Table:
    """A titled table of the report."""

    title: str
    header: list[str]
    rows: list[list[Any]]


def _ci(ci: list[float] | None) -> str:
    return "–" if ci is None else f"[{ci[0]:.4g}, {ci[1]:.4g}]"


def _ms(x: float | None) -> float | None:
    return None if x is None else x * 1e3


def tables(metrics: dict[str, Any]) -> list[Table]:
    """Every table of the report, in page order."""
    pols = metrics["policies"]
    out = []
    rows = []
    for p in pols:
        r, g = p["return"], p["return"]["gap"]
        rows.append([p["name"], r["sim"]["mean"], _ci(r["sim"]["ci"]), r["real"]["mean"],
                     _ci(r["real"]["ci"]), g["difference"], _ci(g["difference_ci"]), g["ratio"],
                     _ci(g["ratio_ci"])])
    out.append(Table("Return (mean, 95 % bootstrap interval)",
                     ["policy", "sim", "sim CI", "real", "real CI", "real - sim", "CI",
                      "real / sim", "CI"], rows))
    rows = [[p["name"], s["sim"]["rate"], _ci(s["sim"]["ci"]), s["real"]["rate"],
             _ci(s["real"]["ci"]), s["gap"]["difference"], _ci(s["gap"]["difference_ci"])]
            for p in pols if (s := p["success"]) is not None]
    if rows:
        out.append(Table("Success rate", ["policy", "sim", "sim CI", "real", "real CI",
                                          "real - sim", "CI"], rows))
    rows = []
    for p in pols:
        rp = p["replay"]
        for ch, m in rp["segments"].items():
            e = rp["episodes"][ch]
            rows.append([p["name"], ch, m["nrmse"], m["fit_percent"], e["nrmse"],
                         e["fit_percent"], m["diverged_rows"] + e["diverged_rows"]])
    seg = pols[0]["replay"]["segment_s"]
    out.append(Table(f"Open-loop replay error (real commands in sim; {seg:g} s segments and "
                     "whole episodes)", ["policy", "channel", "NRMSE segments",
                                         "fit % segments", "NRMSE episodes", "fit % episodes",
                                         "diverged rows"], rows))
    rows = [[p["name"], ch, d["wasserstein"], d["dtw"]]
            for p in pols for ch, d in p["distance"]["channels"].items()]
    out.append(Table("Distribution distances per channel", ["policy", "channel",
                                                             "Wasserstein-1", "DTW"], rows))
    rows = [[p["name"], ", ".join(m["channels"]), m["mmd2"], m["p_value"], m["bandwidth"]]
            for p in pols if (m := p["distance"]["mmd"])]
    out.append(Table("Joint MMD (RBF kernel, permutation test)",
                     ["policy", "channels", "MMD²", "p-value", "bandwidth"], rows))
    rows = []
    for p in pols:
        t = p["timing"]
        if t is None:
            continue
        err = t["period_error_s"] or {}
        rows.append([p["name"], "yes" if t["paced"] else "no (unpaced)", t["control_rate"],
                     t["achieved_rate"], _ms(t["period_s"]["p50"]), _ms(err.get("p50")),
                     _ms(err.get("p99")), _ms(err.get("max")), _ms(t["rtt_s"]["p50"]),
                     _ms(t["rtt_s"]["p99"]), t["overruns"]])
    if rows:
        out.append(Table("Control timing on the real side (ms)",
                         ["policy", "paced", "target Hz", "achieved Hz", "period p50",
                          "error p50", "error p99", "error max", "rtt p50", "rtt p99",
                          "overruns"], rows))
    rk = metrics["ranking"]
    if rk:
        rows = [[what, c["pearson"], c["spearman"], c["mmrv"]]
                for what, c in (("return", rk["return"]), ("success rate", rk["success"]))
                if c is not None]
        out.append(Table(f"Ranking of {rk['policies']} policies: sim vs real",
                         ["score", "Pearson", "Spearman", "MMRV"], rows))
    if metrics["suggestions"]:
        out.append(Table("What to identify or randomize next",
                         ["parameter", "rule", "why"],
                         [[s["parameter"], s["rule"], s["reason"]]
                          for s in metrics["suggestions"]]))
    return out


def markdown(metrics: dict[str, Any], title: str) -> str:
    """The report as Markdown (the same tables; the plots are in report.html)."""
    lines = [f"# {title}", "", *(f"- {s}" for s in metrics["summary"]), ""]
    for t in tables(metrics):
        lines += [f"## {t.title}", "", "| " + " | ".join(t.header) + " |",
                  "|" + "---|" * len(t.header)]
        lines += ["| " + " | ".join(format_cell(c).replace("|", "\\|") for c in row) + " |"
                  for row in t.rows]
        lines.append("")
    lines.append("Plots: report.html. Metric definitions: s2r/report/README.md.")
    return "\n".join(lines) + "\n"


def html(metrics: dict[str, Any], title: str, figures: list[tuple[str, Any]], path: Path
         ) -> Path:
    """Write the self-contained HTML report (tables, then the figures) to ``path``."""
    page = HtmlPage(title)
    page.bullets(metrics["summary"], css="summary")
    for t in tables(metrics):
        page.heading(t.title)
        page.table(t.header, t.rows)
    page.heading("Plots")
    for caption, fig in figures:
        page.figure(fig, caption)
    return page.write(path)
