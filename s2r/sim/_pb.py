"""The ``pybullet`` module, imported without the build-time banner it prints on stderr.

Every module of :mod:`s2r.sim` that calls PyBullet imports it from here (``from
s2r.sim._pb import pb``), so worker processes that rebuild a pickled robot (sysid,
training) keep the user's terminal clean too.
"""

from __future__ import annotations

from s2r.quiet import import_pybullet_quietly

import_pybullet_quietly()

import pybullet as pb  # noqa: E402

__all__ = ["pb"]
