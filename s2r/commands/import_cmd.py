"""``s2r import``: CSV files from other loggers into s2r logs, through a column map.

    s2r import csv=[run1.csv,run2.csv] map=<theirs>.yaml robot=furuta out=imported/

Each file becomes ``out/<name>.s2r.csv``. The map (s2r/log_import.py, :class:`ImportMap`)
gives the time column or a fixed rate and, per s2r signal, the source column with its
scale, sign, offset, unit, angle zero and wrapping; velocities that are not logged are
estimated (Savitzky-Golay or differences, recorded in the log's metadata).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class ImportConfig:
    """Options of ``s2r import`` (all settable as key=value)."""

    csv: list[str] = setting(factory=list, help="CSV files to import")
    map: str = setting("???", "column map YAML (see s2r/log_import.py ImportMap)")
    robot: str = setting("???", "built-in robot name or robot YAML the logs are for")
    out: str = setting("imported", "directory for the .s2r.csv logs")


@command("import", "convert CSV logs of other loggers into s2r logs with a column map",
         _overrides, settings=ImportConfig)
def import_logs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from s2r.config import load_structured
    from s2r.errors import ConfigError
    from s2r.log_import import import_mapped, load_import_map

    cfg = load_structured(ImportConfig, args.config, args.overrides)
    if not cfg.csv:
        raise ConfigError("csv: give at least one CSV file, e.g. csv=[run.csv]",
                          where="<overrides>")
    imap = load_import_map(cfg.map)
    out = Path(cfg.out)
    targets = [out / (Path(src).name.removesuffix(".csv") + ".s2r.csv") for src in cfg.csv]
    for src, dst in zip(cfg.csv, targets, strict=True):
        if not Path(src).is_file():
            raise ConfigError("no such CSV file", where=src)
        if dst.exists():
            raise ConfigError("file exists (remove it or choose another out=)", where=str(dst))
    out.mkdir(parents=True, exist_ok=True)
    for src, dst in zip(cfg.csv, targets, strict=True):
        log = import_mapped(src, dst, imap, cfg.robot)
        how = log.meta.extra["velocity_estimate"]
        est = f", velocities estimated: {how}" if how else ""
        print(f"{src} -> {dst}: {len(log.frame)} rows{est}")
    return 0
