"""``s2r emulate``: run the emulated device on a pseudo terminal until Ctrl-C or SIGTERM.

    s2r emulate robot=furuta truth=bench mode=realtime port_file=/tmp/port

prints the port path (``/dev/pts/N``) on its first line, serves it, and on
Ctrl-C/SIGTERM prints the counters and exits 0. See hardware/emulator/README.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

from s2r.cli import _overrides, command

if TYPE_CHECKING:
    from hardware.emulator import Emulator


@command("emulate", "run an emulated device (the robot's hidden truth) on a pseudo terminal",
         _overrides, settings="hardware.emulator.config:EmulatorConfig",
         defaults="configs/hardware/emulator.yaml")
def emulate(args: argparse.Namespace) -> int:
    from hardware.emulator import Emulator, load_emulator_config

    cfg = load_emulator_config(args.config, args.overrides)
    emu = Emulator(cfg)

    def stop(signum: int, frame: FrameType | None) -> None:
        emu.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        port = emu.open()
        print(port, flush=True)
        print(f"s2r emulate: {emu.spec.name} on {port}, mode {cfg.mode}, truth: "
              f"{_truth_line(emu)}", flush=True)
        print(f"s2r emulate: watchdog {cfg.watchdog_ms} ms, control rate "
              f"{emu.spec.control_rate:g} Hz; Ctrl-C or SIGTERM to stop", flush=True)
        emu.serve()
        stats = emu.stats
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emu.close()
    print("s2r emulate: stopped; counters:", flush=True)
    width = max(map(len, stats))
    for key, value in stats.items():
        print(f"  {key:<{width}}  {value}")
    sys.stdout.flush()
    return 0


def truth_differences(emu: Emulator) -> list[str]:
    """The parameters whose hidden true value differs from the robot's nominal model.

    ``s2r emulate`` and ``s2r demo`` both count these, by value: a heavier pendulum
    also changes its inertias, which count too.
    """
    from s2r.compare import differing_parameters
    from s2r.sim import SimRobot

    with SimRobot(emu.cfg.robot) as robot:
        nominal = robot.params.nominal()
    return differing_parameters(emu.truth, nominal)


def _truth_line(emu: Emulator) -> str:
    source = emu.plant.source
    n = len(truth_differences(emu))
    return f"{source} ({n} parameters differ from nominal)" if n else source
