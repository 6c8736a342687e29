"""The runtime environment s2r's Ray workers start with (``s2r sweep``, ``s2r sysid
ray_address=``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def runtime_env() -> dict[str, Any]:
    """Workers import s2r as this process does (a source checkout on PYTHONPATH too), one
    thread each.

    >>> sorted(runtime_env()["env_vars"])
    ['OMP_NUM_THREADS', 'PYTHONPATH']
    """
    import s2r

    source = str(Path(s2r.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in (source, path) if p),
                         "OMP_NUM_THREADS": "1"}}
