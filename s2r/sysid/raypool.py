"""Ray actors as the evaluator's worker pool (``ray_address=``).

:class:`RayPool` has the two methods :class:`~s2r.sysid.evaluate.Evaluator` uses of a
``ProcessPoolExecutor`` (``submit(fn, *args) -> Future`` and ``shutdown``), so residuals
are computed by the same task function on the same segment chunks: each actor runs the
pool's initializer once (its own copy of the robot and the segments) and then the
submitted tasks, spread round-robin. ``ray_address``: ``local`` starts Ray on this
machine (stopped again on shutdown); ``auto`` or ``ray://host:port`` joins a running
cluster. A Ray already initialised in this process is used as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from s2r.errors import S2RError
from s2r.ray_env import runtime_env

EXTRA = "pip install 's2r[ray]'"


class _Actor:
    """Runs the initializer once, then tasks, in one Ray worker process."""

    def __init__(self, initializer: Callable[..., None], *initargs: Any) -> None:
        initializer(*initargs)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise S2RError(f"ray_address: Ray is not installed: {EXTRA}") from None
    return ray


class RayPool:
    """``workers`` Ray actors, each initialised with ``initializer(*initargs)``."""

    def __init__(self, workers: int, ray_address: str, initializer: Callable[..., None],
                 initargs: tuple[Any, ...]) -> None:
        ray = self._ray = _ray()
        self._started = not ray.is_initialized()
        if self._started:
            kw: dict[str, Any] = {"log_to_driver": False, "runtime_env": runtime_env()}
            if ray_address == "local":
                ray.init(num_cpus=workers, include_dashboard=False, **kw)
            else:
                ray.init(address=ray_address, **kw)
        actor = ray.remote(num_cpus=1, max_restarts=0)(_Actor)
        refs = [ray.put(a) for a in initargs]  # stored once, shared by the actors
        self._actors = [actor.remote(initializer, *refs) for _ in range(workers)]
        self._next = 0

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on the next actor; a ``concurrent.futures.Future``."""
        a = self._actors[self._next % len(self._actors)]
        self._next += 1
        future: Future[Any] = a.run.remote(fn, *args).future()
        return future

    def shutdown(self, cancel_futures: bool = True) -> None:
        """Stop the actors (and Ray, if this pool started it)."""
        for a in self._actors:
            self._ray.kill(a)
        self._actors = []
        if self._started:
            self._ray.shutdown()
            self._started = False
