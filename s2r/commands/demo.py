"""``s2r demo``: the whole sim-to-real loop on the emulated Furuta pendulum, in one command.

Emulate, record, identify, train (nominal and identified+randomized), deploy both over the
serial link, evaluate both in simulation, report the gap (the steps: :mod:`s2r.demo`).
``s2r demo --quick`` runs the same loop with tiny budgets; ``truth=FILE`` runs it against
another hidden truth.
"""

from __future__ import annotations

import argparse

from s2r.cli import _overrides, command


def _args(p: argparse.ArgumentParser) -> None:
    _overrides(p)
    p.add_argument("--quick", action="store_true",
                   help="tiny budgets: every step runs, in a few minutes")


@command("demo", "run the whole loop on an emulated robot: record, identify, train, deploy, "
         "evaluate, report", _args, settings="s2r.demo:DemoConfig")
def demo(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from s2r.config import load_structured
    from s2r.demo import DemoConfig, check, run_demo
    from s2r.runner import stop_on_signals

    overrides = list(args.overrides) + (["quick=true"] if args.quick else [])
    cfg = check(load_structured(DemoConfig, args.config, overrides))
    console = Console()
    console.rule("s2r demo: the sim-to-real loop on an emulated Furuta pendulum")
    with stop_on_signals():
        result = run_demo(cfg, say=lambda line: console.print(line, highlight=False))
    table = Table(title="sim vs emulated hardware (means over the same reset seeds)")
    for col in ("policy", "sim return", "hw return", "hw / sim", "success sim", "success hw"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for p in result.policies:
        table.add_row(p.name, f"{p.sim_return:.1f}", f"{p.real_return:.1f}", f"{p.ratio:.0%}",
                      _rate(p.sim_success), _rate(p.real_success))
    console.print(table)
    for p in result.policies:
        console.print(f"{p.name}: trained on {p.trained_on}", highlight=False)
    console.print(f"report: {result.report}")
    console.print(f"every artefact of this run: {result.run_dir}  "
                  f"({result.seconds / 60:.1f} min)", highlight=False)
    return 0


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
