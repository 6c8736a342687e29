"""The subcommands of ``s2r``; importing this package registers them."""

from s2r.commands import core, demo, emulate, hardware, rollout, train  # noqa: F401
