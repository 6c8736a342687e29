"""System identification: fit a robot's named parameters to logs (``s2r sysid``).

Modules, one concept each:

- :mod:`s2r.sysid.data`: finding, reading and checking logs; the held-out split.
- :mod:`s2r.sysid.segments`: multiple shooting (segments started from the logged state
  and command history), single shooting as one segment per episode.
- :mod:`s2r.sysid.evaluate`: normalised residuals, in this process or over workers.
- :mod:`s2r.sysid.optimizers`: bounded least squares and CMA-ES behind one interface.
- :mod:`s2r.sysid.identifiability`: dead parameters, identified combinations,
  covariance, warnings.
- :mod:`s2r.sysid.forms`: physical combinations and symmetries (a DC motor's torque
  per volt and viscous damping).
- :mod:`s2r.sysid.dropo`: randomization distributions fitted to the data (DROPO).
- :mod:`s2r.sysid.ties`: parameters moved in proportion to a free one.
- :mod:`s2r.sysid.result`: :class:`SysidResult` and the files it writes.
- :mod:`s2r.sysid.report`: ``report.html``, the self-contained report page.
- :mod:`s2r.sysid.identify`: :func:`identify`, which runs the steps above.

Usage and the output files: s2r/sysid/README.md.
"""

from __future__ import annotations

from s2r.sysid.identify import identify
from s2r.sysid.result import Estimate, SysidResult

__all__ = ["Estimate", "SysidResult", "identify"]
