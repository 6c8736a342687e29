"""System identification recovery: known emulator truths, recorded over the serial link, fitted.

For the furuta emulator's bench truth (configs/hardware/truth/furuta_bench.yaml) and
``--truths`` truths drawn at random, the script

1. starts the emulator (:class:`hardware.emulator.Emulator`, lockstep mode) with that
   truth, and records ``--duration`` s of multisine excitation through the serial link
   (:func:`hardware.session.record`), as ``s2r record`` would on a robot;
2. identifies :data:`FIT` with :func:`s2r.sysid.identify` (multiple shooting, least
   squares, 20 % of the recording held out, segment start states eliminated as nuisance
   variables: ``--free-start``, default ``q+qd``), from the nominal values;
3. runs a naive baseline on the same data and parameters: single shooting (every episode
   replayed from its start) minimised by Nelder-Mead (``scipy.optimize.minimize``) for at
   most ``--baseline-evaluations`` simulations;
4. compares each *identifiable quantity* with the truth: the parameters the fit
   identifies on their own, and the identified combinations (a DC motor's torque per volt
   ``km / Rm`` and its joint's total viscous damping ``b + km^2 / Rm``: from voltages
   and positions, ``km`` and ``Rm`` are not separable from the joint's damping).

Signals (``--signals``): joint positions and the motor current by default. From
positions alone, scaling every mass and inertia and every torque (per volt, damping,
friction) by one factor changes the motion only through the few fixed inertias (the
motor's armature, the arm's own mass), so the absolute scale is only weakly determined;
the current ``(u - km qd) / Rm`` fixes ``km`` and ``Rm``, hence the scale.

Random truths: pendulum mass and centre of mass, arm inertia, both joints' damping, motor
resistance and torque constant at nominal times U(0.7, 1.3); deadzone U(0.05, 0.3) V;
Coulomb friction U(0.5, 4) mN*m (arm) and U(0.01, 0.1) mN*m (pendulum); action delay
U(0, 10) ms with a jitter of U(0, min(1 ms, delay)) per command. The sensors are the
bench's (2048-count encoders with position noise, filtered velocities, current noise).

Error: ``|identified - truth| / |truth|``; for ``delay.action``, whose truth may be 0,
``|identified - truth| / 10 ms`` (the range it is drawn from). A quantity whose 95 %
interval is wider than +-5 % of its value is *weakly determined* by the data (identify
warns about it by name); the summary gives the figures over all quantities and over the
determined ones. Interval coverage: the
fraction of quantities whose 95 % interval (parameters: ``ci95``; combinations:
``value +- 1.96 std``) contains the truth. Held-out NRMSE ratio: fitted / nominal,
per channel.

Run: ``.venv/bin/python benchmarks/sysid_recovery.py [--truths 10] [--duration 60]
[--workers 2] [--quick]``; ``--quick``: the bench truth only, a 6 s recording, small
evaluation budgets (a smoke run, not a measurement).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

#: the parameters identified (names of `s2r params furuta`)
FIT = ["link.pendulum.mass", "link.pendulum.com_z", "link.arm.inertia_zz",
       "joint.arm.damping", "joint.arm.coulomb", "joint.pendulum.damping",
       "joint.pendulum.coulomb", "motor.arm.resistance", "motor.arm.torque_constant",
       "motor.arm.deadzone", "delay.action"]
#: drawn as nominal * U(0.7, 1.3)
SCALED = ["link.pendulum.mass", "link.pendulum.com_z", "link.arm.inertia_zz",
          "joint.arm.damping", "joint.pendulum.damping", "motor.arm.resistance",
          "motor.arm.torque_constant"]
DELAY_RANGE = 0.010
#: a quantity whose 95 % interval is wider than +- this fraction counts as weakly determined
WEAK = 0.05
#: the channels compared: joint positions and the motor current (see the module doc)
SIGNALS = ("q", "current.arm")
#: segment start states eliminated as nuisance variables (see s2r.sysid.starts)
FREE_START = "q+qd"
REPO = Path(__file__).resolve().parents[1]


def bench_truth() -> dict[str, Any]:
    """The furuta's bench truth document (params and effects)."""
    return yaml.safe_load((REPO / "configs/hardware/truth/furuta_bench.yaml").read_text())


def random_truth(rng: np.random.Generator, nominal: Mapping[str, float]) -> dict[str, Any]:
    """A truth document drawn as the module doc says, with the bench's sensors."""
    bench = bench_truth()
    params = {k: v for k, v in bench["params"].items() if k.startswith("sensor.")}
    for name in SCALED:
        params[name] = float(nominal[name] * rng.uniform(0.7, 1.3))
    params["motor.arm.deadzone"] = float(rng.uniform(0.05, 0.3))
    params["joint.arm.coulomb"] = float(rng.uniform(0.0005, 0.004))
    params["joint.pendulum.coulomb"] = float(rng.uniform(1e-5, 1e-4))
    delay = float(rng.uniform(0.0, DELAY_RANGE))
    params["delay.action"] = delay
    return {"robot": "furuta", "params": params,
            "effects": {"action_jitter": float(rng.uniform(0.0, min(0.001, delay)))}}


def record_truth(truth: Mapping[str, Any], path: Path, duration: float, seed: int) -> Path:
    """Record ``duration`` s of multisine excitation from the emulator holding ``truth``."""
    from hardware.emulator import Emulator, EmulatorConfig
    from hardware.session import record
    from s2r.commands.hardware import RecordConfig

    truth_file = path.with_suffix(".truth.yaml")
    truth_file.write_text(yaml.safe_dump(dict(truth), sort_keys=False))
    # lockstep: no wall-clock deadline matters, so the timeouts are generous (a loaded
    # machine may take far longer than a control period to answer)
    with Emulator(EmulatorConfig(robot="furuta", mode="lockstep", seed=seed,
                                 truth=str(truth_file),
                                 lockstep_wall_timeout_ms=30000)) as emu:
        record(RecordConfig(port=emu.port, paced=False, robot="furuta", duration=duration,
                            excitation="multisine", amplitude=3.0, f0=0.3, f1=4.0, seed=seed,
                            out=str(path), reply_timeout=2.0))
    return path


@dataclass
class Quantity:
    """One identifiable quantity: truth, nominal, estimate, 95 % interval, baseline."""

    name: str
    truth: float
    nominal: float
    value: float
    ci95: tuple[float, float] | None
    baseline: float = math.nan

    def error(self, value: float | None = None) -> float:
        v = self.value if value is None else value
        if self.name == "delay.action":
            return abs(v - self.truth) / DELAY_RANGE
        return abs(v - self.truth) / abs(self.truth) if self.truth else math.inf

    @property
    def covered(self) -> bool | None:
        return None if self.ci95 is None else self.ci95[0] <= self.truth <= self.ci95[1]

    @property
    def determined(self) -> bool:
        """Whether the data determine it to 5 %: a 95 % interval within +-5 % of the value
        (of 10 ms for the delay, as its error)."""
        scale = DELAY_RANGE if self.name == "delay.action" else abs(self.value)
        if self.ci95 is None or not scale:
            return False
        return (self.ci95[1] - self.ci95[0]) / 2.0 <= WEAK * scale


@dataclass
class Outcome:
    """The comparison of one truth."""

    label: str
    quantities: list[Quantity]
    record_s: float
    identify_s: float
    baseline_s: float
    evaluations: int
    baseline_evaluations: int
    nrmse_ratio: dict[str, float]
    unmatched: list[str] = field(default_factory=list)


def _values(params: Mapping[str, float], truth: Mapping[str, Any]) -> dict[str, float]:
    return {**params, **{k: float(v) for k, v in truth["params"].items() if k in params}}


def quantities(result: Any, truth_values: Mapping[str, float],
               nominal_values: Mapping[str, float], spec: Any) -> tuple[list[Quantity],
                                                                        list[str]]:
    """The identifiable quantities of ``result`` with their truths (and the names of
    identified combinations that are not physical forms, which have no truth to compare)."""
    from s2r.sysid.forms import motor_forms

    out, unmatched = [], []
    for name, e in result.params.items():
        if e.std is not None:
            out.append(Quantity(name, truth_values[name], e.nominal, e.value, e.ci95))
    forms = {f.name: f for f in motor_forms(spec.actuators, truth_values)}
    nominal_forms = {f.name: f for f in motor_forms(spec.actuators, nominal_values)}
    for c in result.combinations:
        if c.name not in forms:
            unmatched.append(c.name)
            continue
        ci = (c.value - 1.96 * c.std, c.value + 1.96 * c.std)
        out.append(Quantity(c.name, forms[c.name]({}), nominal_forms[c.name]({}), c.value, ci))
    return out, unmatched


def baseline(robot: Any, log: Path, names: Sequence[str], evaluations: int,
             signals: Sequence[str] = SIGNALS) -> tuple[dict[str, float], int]:
    """Single shooting minimised by Nelder-Mead from the nominal values (log scale for the
    positive parameters, within the bounds): the fitted values and the simulations run."""
    from scipy.optimize import minimize

    from s2r.param_vector import ParameterVector
    from s2r.sysid.data import load_data
    from s2r.sysid.evaluate import Evaluator
    from s2r.sysid.segments import channels, cut, measured

    spec = robot.spec
    vec = ParameterVector(robot.params, free=list(names))
    fit, _ = load_data([log], spec, 0.2)
    sensors = list(spec.sensors)
    cols = channels(signals, spec.joint_names, sensors)
    history = 2.0 * robot.params["delay.action"].high + 2.0 / spec.control_rate
    segs = [s for r in fit for s in cut(r, measured(r, cols, spec.joint_names, sensors), None,
                                        spec.control_rate, history)]
    scales = np.concatenate([s.target for s in segs]).std(axis=0)
    low, high = vec.bounds()
    x0 = np.clip(vec.to_vector(robot.get_params()), low, high)
    count = [0]
    with Evaluator(robot, segs, cols, spec.joint_names, sensors, scales, 1) as ev:
        def cost(x: np.ndarray) -> float:
            count[0] += 1
            r = ev(vec.from_vector(np.clip(x, low, high)))
            return 0.5 * float(r @ r)

        res = minimize(cost, x0, method="Nelder-Mead", bounds=list(zip(low, high, strict=True)),
                       options={"maxfev": evaluations, "xatol": 1e-6, "fatol": 1e-9})
    return vec.from_vector(np.clip(res.x, low, high)), count[0]


def run_truth(label: str, truth: Mapping[str, Any], workdir: Path, duration: float, seed: int,
              workers: int, max_evaluations: int | None, baseline_evaluations: int,
              signals: Sequence[str] = SIGNALS, free_start: str = FREE_START) -> Outcome:
    """Record, identify and run the baseline for one truth."""
    from s2r.sim import SimRobot
    from s2r.sysid import identify
    from s2r.sysid.forms import motor_forms

    log = workdir / f"{label}.s2r.csv"
    log.unlink(missing_ok=True)  # a log is never appended to
    t0 = time.perf_counter()
    record_truth(truth, log, duration, seed)
    t1 = time.perf_counter()
    result = identify("furuta", [log], FIT, method="lsq", holdout=0.2, segment=0.15,
                      workers=workers, out=workdir / label, max_evaluations=max_evaluations,
                      start_velocity="central", signals=list(signals), free_start=free_start)
    t2 = time.perf_counter()
    with SimRobot("furuta") as sim:
        nominal = sim.get_params()
        spec = sim.spec
        found, used = baseline(sim, log, FIT, baseline_evaluations, signals)
    t3 = time.perf_counter()
    truth_values = _values(nominal, truth)
    qs, unmatched = quantities(result, truth_values, nominal, spec)
    base_values = {**nominal, **found}
    base_forms = {f.name: f for f in motor_forms(spec.actuators, base_values)}
    for q in qs:
        q.baseline = base_forms[q.name]({}) if q.name in base_forms else base_values[q.name]
    ratio = {ch: s["nrmse_fitted"] / s["nrmse_nominal"]
             for ch, s in result.summary["channels"].items()}
    return Outcome(label, qs, t1 - t0, t2 - t1, t3 - t2, result.evaluations, used, ratio,
                   unmatched)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%" if math.isfinite(x) else "inf"


def print_truth(o: Outcome) -> None:
    print(f"\n## truth {o.label}: record {o.record_s:.1f} s, identify {o.identify_s:.1f} s "
          f"({o.evaluations} evaluations), baseline {o.baseline_s:.1f} s "
          f"({o.baseline_evaluations} evaluations)")
    print(f"{'quantity':<72} {'truth':>11} {'nominal':>11} {'identified':>11} "
          f"{'95% interval':>25} {'error':>8} {'in':>3} {'baseline err':>12}")
    for q in o.quantities:
        ci = "-" if q.ci95 is None else f"[{q.ci95[0]:.5g}, {q.ci95[1]:.5g}]"
        inside = {True: "yes", False: "NO", None: "-"}[q.covered]
        print(f"{q.name:<72} {q.truth:>11.5g} {q.nominal:>11.5g} {q.value:>11.5g} {ci:>25} "
              f"{_pct(q.error()):>8} {inside:>3} {_pct(q.error(q.baseline)):>12}")
    for name in o.unmatched:
        print(f"(identified only as {name}: no truth to compare)")
    print("held-out NRMSE fitted / nominal: " + ", ".join(f"{ch} {r:.3f}"
                                                          for ch, r in o.nrmse_ratio.items()))


def summarise(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Aggregate figures over all truths."""
    qs = [q for o in outcomes for q in o.quantities]
    errors = [q.error() for q in qs]
    base = [q.error(q.baseline) for q in qs]
    covered = [q.covered for q in qs if q.covered is not None]
    ratios = [r for o in outcomes for r in o.nrmse_ratio.values()]
    firm = [q for q in qs if q.determined]
    return {
        "determined": len(firm),
        "determined_within_5pct": float(np.mean([q.error() <= 0.05 for q in firm]))
        if firm else math.nan,
        "determined_coverage": float(np.mean([bool(q.covered) for q in firm]))
        if firm else math.nan,
        "truths": len(outcomes), "quantities": len(qs),
        "within_5pct": float(np.mean([e <= 0.05 for e in errors])),
        "within_2pct": float(np.mean([e <= 0.02 for e in errors])),
        "median_error": float(statistics.median(errors)), "max_error": float(max(errors)),
        "coverage": float(np.mean(covered)) if covered else math.nan,
        "median_identify_s": statistics.median(o.identify_s for o in outcomes),
        "max_identify_s": max(o.identify_s for o in outcomes),
        "median_baseline_error": float(statistics.median(base)),
        "error_ratio_baseline": float(statistics.median(base) / statistics.median(errors))
        if statistics.median(errors) > 0 else math.inf,
        "time_ratio_baseline": sum(o.baseline_s for o in outcomes)
        / sum(o.identify_s for o in outcomes),
        "median_nrmse_ratio": float(statistics.median(ratios)),
        "max_nrmse_ratio": float(max(ratios)),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--truths", type=int, default=10, help="random truths besides the bench")
    p.add_argument("--duration", type=float, default=60.0, help="s recorded per truth")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--baseline-evaluations", type=int, default=300)
    p.add_argument("--max-evaluations", type=int, default=None,
                   help="identification budget; default: the optimizer's")
    p.add_argument("--signals", default=",".join(SIGNALS),
                   help="compared channels, comma separated (q: positions only)")
    p.add_argument("--free-start", default=FREE_START, choices=("none", "qd", "q+qd"),
                   help="segment start states eliminated as nuisance variables")
    p.add_argument("--quick", action="store_true", help="bench truth, 6 s, small budgets")
    p.add_argument("--out", default=None, help="keep logs and fits here (default: temporary)")
    a = p.parse_args(argv)
    if a.quick:
        a.truths, a.duration, a.baseline_evaluations = 0, 6.0, 30
        a.max_evaluations = a.max_evaluations or 60
    from s2r.sim import SimRobot

    with SimRobot("furuta") as sim:
        nominal = sim.get_params()
    rng = np.random.default_rng(a.seed)
    truths = [("bench", bench_truth())] + [(f"random{i}", random_truth(rng, nominal))
                                           for i in range(a.truths)]
    print(f"sysid recovery: {len(truths)} truths, {a.duration:g} s each, signals "
          f"{a.signals}, free_start {a.free_start}, {a.workers} workers, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(a.out or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for i, (label, truth) in enumerate(truths):
            o = run_truth(label, truth, workdir, a.duration, a.seed + i, a.workers,
                          a.max_evaluations, a.baseline_evaluations, a.signals.split(","),
                          a.free_start)
            print_truth(o)
            outcomes.append(o)
    s = summarise(outcomes)
    print(f"\n## summary over {s['truths']} truths ({s['quantities']} quantities); load "
          f"average now {os.getloadavg()[0]:.2f}")
    print(f"within 5 %: {_pct(s['within_5pct'])}, within 2 %: {_pct(s['within_2pct'])}, "
          f"median error {_pct(s['median_error'])}, max {_pct(s['max_error'])}")
    print(f"95 % intervals containing the truth: {_pct(s['coverage'])}")
    print(f"determined to 5 % by the data (95 % interval within +-5 %): {s['determined']} of "
          f"{s['quantities']}; of these within 5 %: {_pct(s['determined_within_5pct'])}, "
          f"intervals containing the truth: {_pct(s['determined_coverage'])}")
    print(f"identify wall time: median {s['median_identify_s']:.1f} s, max "
          f"{s['max_identify_s']:.1f} s per truth")
    print(f"baseline (single shooting, Nelder-Mead): median error "
          f"{_pct(s['median_baseline_error'])}, {s['error_ratio_baseline']:.1f}x the "
          f"identified one, {s['time_ratio_baseline']:.2f}x its time")
    print(f"held-out NRMSE fitted / nominal: median {s['median_nrmse_ratio']:.3f}, max "
          f"{s['max_nrmse_ratio']:.3f}")
    return s


if __name__ == "__main__":
    main()
