"""s2r: domain randomization and sim-to-real transfer on PyBullet.

The core: robots with named physical parameters (:mod:`s2r.params`,
:mod:`s2r.sim`), one robot interface for sim and hardware (:mod:`s2r.robot`),
Gymnasium tasks (:mod:`s2r.tasks`), the one log format (:mod:`s2r.logs`),
configs (:mod:`s2r.config`) and the ``s2r`` command line (:mod:`s2r.cli`).
Training (``from s2r.train import train, TrainConfig``) writes policy artifacts
that :func:`load_policy` (or :func:`load_artifact`) loads as numpy callables
(:mod:`s2r.artifact`); ``load_policy`` also takes policy files and ``scripted:<name>``.

>>> import s2r
>>> s2r.load_artifact.__module__, s2r.load_policy.__module__
('s2r.artifact', 's2r.policy')
"""

__version__ = "0.1.0"

from s2r.artifact import from_sb3, load_artifact  # noqa: E402  (numpy only)
from s2r.policy import load_policy  # noqa: E402  (numpy only)

__all__ = ["__version__", "from_sb3", "load_artifact", "load_policy"]
