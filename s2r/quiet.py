"""Importing PyBullet without its build-time banner."""

from __future__ import annotations

import os
import sys


def import_pybullet_quietly() -> None:
    """PyBullet prints its build time on import; keep stderr clean (the CLI, and worker
    processes that rebuild a pickled SimRobot).

    fd 2 is pointed at /dev/null only for the import and always restored.
    """
    if "pybullet" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import pybullet  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(devnull)
    finally:
        os.close(saved)
