"""Host-side safety, kept under its old name: the code lives in :mod:`s2r.safety`.

Simulation and hardware share one safety layer (clipping, rate limit, joint guards), so
it belongs to the s2r core; ``hardware.safety`` re-exports it for existing imports.

>>> from hardware.safety import SafetyGuard
>>> import s2r.safety
>>> SafetyGuard is s2r.safety.SafetyGuard
True
"""

from __future__ import annotations

from s2r.safety import GuardedRobot, SafetyGuard

__all__ = ["GuardedRobot", "SafetyGuard"]
