"""The plain-language summary of a gap report, and what to identify or randomize next.

Computed from the metrics with a fixed rule table (s2r/report/README.md lists it); every
suggested name is one of the robot's parameters (``s2r params ROBOT``):

- ``dynamics``: a channel whose short-segment replay NRMSE (the worst over the policies)
  is above ``threshold`` points at
  its joint's dynamics: an actuated joint's damping and friction, its motor's constants
  and ``delay.action``; a passive joint's damping and friction and its child link's mass,
  inertia and centre of mass;
- ``velocity``: a velocity channel replayed much worse (twice the NRMSE) than the position
  of the same joint points at the velocity estimate: ``sensor.J.velocity_cutoff``,
  ``sensor.J.velocity_noise``;
- ``behaviour``: sim and real rows differ in distribution (MMD p < 0.05) while every
  channel replays within ``threshold``, for a policy whose return differs by more than
  :data:`RETURN_TOLERANCE` of its sim return: the dynamics match, what the policy sees
  does not: ``delay.observation`` and the position noise of each joint;
- ``timing``: a paced real run whose period error p99 or round trip p99 exceeds 10 % of
  the control period: ``delay.action`` and ``delay.observation`` (randomize up to the
  measured round trip).
"""

from __future__ import annotations

from typing import Any

THRESHOLD = 0.05  # replay NRMSE (fraction of the channel's range) taken as matching
#: a return gap within this fraction of the sim return is no practical gap
RETURN_TOLERANCE = 0.05
ACTUATED = ("joint.{j}.damping", "joint.{j}.coulomb", "joint.{j}.coulomb_smooth",
            "motor.{j}.*", "delay.action")
PASSIVE = ("joint.{j}.damping", "joint.{j}.coulomb", "link.{link}.mass",
           "link.{link}.inertia_*", "link.{link}.com_*")


def child_links(sim: Any) -> dict[str, str]:
    """``{joint: child link}`` of a SimRobot (PyBullet numbers a joint's child link like it)."""
    loaded = getattr(sim, "_loaded", None)
    if loaded is None:
        return {}
    by_index = {i: name for name, i in loaded.links.items()}
    return {j: by_index[i] for j, i in loaded.joints.items() if i in by_index}


def _expand(patterns: tuple[str, ...], names: list[str], **fill: str) -> list[str]:
    from fnmatch import fnmatchcase

    out: list[str] = []
    for p in patterns:
        pat = p.format(**fill)
        out += [n for n in names if fnmatchcase(n, pat) and n not in out]
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def advise(metrics: dict[str, Any], names: list[str], actuated: list[str],
           links: dict[str, str], threshold: float = THRESHOLD
           ) -> tuple[list[str], list[dict[str, Any]]]:
    """(summary lines, suggestions ``{parameter, rule, reason}``) of a report's metrics.

    ``names`` are the robot's parameter names, ``actuated`` its joints with an actuator,
    ``links`` its joints' child links.
    """
    lines: list[str] = []
    suggestions: list[dict[str, Any]] = []

    def suggest(params: list[str], rule: str, reason: str) -> None:
        new = [p for p in params if p not in {s["parameter"] for s in suggestions}]
        suggestions.extend({"parameter": p, "rule": rule, "reason": reason} for p in new)
        if new:
            lines.append(f"Next: identify or randomize {', '.join(new)} ({reason}).")

    policies = metrics["policies"]
    for p in policies:
        r = p["return"]
        gap, ci = r["gap"]["difference"], r["gap"]["difference_ci"]
        sig = "" if ci is None else (" (significant: the 95 % interval excludes 0)"
                                     if ci[0] > 0 or ci[1] < 0 else " (within noise)")
        if _small_gap(p):
            sig = (f" ({100 * gap / abs(r['sim']['mean']):+.1f} % of the sim return: within "
                   f"{100 * RETURN_TOLERANCE:.0f} %, no practical gap)")
        lines.append(f"{p['name']}: return {r['sim']['mean']:.3g} in sim, {r['real']['mean']:.3g}"
                     f" on the real robot, gap {gap:+.3g}{sig}.")
    # replay errors per channel: the worst policy's (each policy's sim side may be another
    # model, so a mean over policies would let a good one hide a bad one)
    seg_error: dict[str, float] = {}
    by: dict[str, str] = {}
    for p in policies:
        for ch, m in p["replay"]["segments"].items():
            if m["nrmse"] is not None and m["nrmse"] > seg_error.get(ch, -1.0):
                seg_error[ch], by[ch] = m["nrmse"], p["name"]
    if seg_error:
        worst = max(seg_error, key=lambda c: seg_error[c])
        seconds = policies[0]["replay"]["segment_s"]
        lead = "Sim and real differ most in" if seg_error[worst] > threshold else \
            "Sim and real agree; the largest replay error is in"
        whose = f" ({by[worst]})" if len(policies) > 1 else ""
        lines.insert(0, f"{lead} {worst}{whose}: replaying the real commands over {seconds:g} "
                        f"s segments misses it by {_pct(seg_error[worst])} of its range "
                        "(NRMSE).")
        for ch in sorted(seg_error, key=lambda c: -seg_error[c]):
            if seg_error[ch] <= threshold:
                break
            kind, _, joint = ch.partition(".")
            pos = seg_error.get(f"q.{joint}")
            if kind == "qd" and pos is not None and seg_error[ch] > 2 * max(pos, threshold):
                suggest(_expand(("sensor.{j}.velocity_cutoff", "sensor.{j}.velocity_noise"),
                                names, j=joint), "velocity",
                        f"{ch} replays {seg_error[ch] / max(pos, 1e-12):.1f} times worse than "
                        f"q.{joint}: the velocity estimate differs")
                continue
            table = ACTUATED if joint in actuated else PASSIVE
            suggest(_expand(table, names, j=joint, link=links.get(joint, joint)), "dynamics",
                    f"{ch} replay NRMSE {_pct(seg_error[ch])} > {_pct(threshold)}")
        if max(seg_error.values()) <= threshold:
            lines.append(f"Every channel replays within {_pct(threshold)} of its range: the "
                         "model reproduces the real dynamics.")
            shifted = [p["name"] for p in policies if p["distance"]["mmd"] is not None
                       and p["distance"]["mmd"]["p_value"] < 0.05 and not _small_gap(p)]
            if shifted:
                joints = sorted({c.partition(".")[2] for c in seg_error})
                suggest(_expand(("delay.observation", *(f"sensor.{j}.position_noise"
                                                        for j in joints)), names),
                        "behaviour", f"the states visited differ (MMD p < 0.05 for "
                        f"{', '.join(shifted)}) although the dynamics replay well")
    for p in policies:
        t = p["timing"]
        if not t or not t["paced"] or not t["control_rate"]:
            continue
        period = 1.0 / t["control_rate"]
        err = (t["period_error_s"] or {}).get("p99")
        rtt = t["rtt_s"].get("p99")
        late = [f"{what} p99 {v * 1e3:.2f} ms" for what, v in (("period error", err),
                                                              ("round trip", rtt))
                if v is not None and v > 0.1 * period]
        if late:
            suggest(_expand(("delay.action", "delay.observation"), names), "timing",
                    f"{p['name']}: {', '.join(late)} > 10 % of the {period * 1e3:g} ms period")
    ranking = metrics.get("ranking")
    if ranking:
        rr = ranking["return"]
        lines.append(f"Ranking of {ranking['policies']} policies by return: Spearman "
                     f"{_fmt(rr['spearman'])}, Pearson {_fmt(rr['pearson'])}, MMRV "
                     f"{rr['mmrv']:.3g}" + (" (sim orders them as real does)."
                                            if rr["mmrv"] == 0 else
                                            " (sim orders some pairs the wrong way)."))
    return lines, suggestions


def _small_gap(policy: dict[str, Any]) -> bool:
    """The policy's real return is within :data:`RETURN_TOLERANCE` of its sim return."""
    r = policy["return"]
    sim = r["sim"]["mean"]
    return bool(sim) and abs(r["gap"]["difference"]) <= RETURN_TOLERANCE * abs(sim)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
