"""s2r: domain randomization and sim-to-real transfer on PyBullet.

The core: robots with named physical parameters (:mod:`s2r.params`,
:mod:`s2r.sim`), one robot interface for sim and hardware (:mod:`s2r.robot`),
Gymnasium tasks (:mod:`s2r.tasks`), the one log format (:mod:`s2r.logs`),
configs (:mod:`s2r.config`) and the ``s2r`` command line (:mod:`s2r.cli`).
"""

__version__ = "0.1.0"
