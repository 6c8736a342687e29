"""The subcommands of ``s2r``; importing this package registers them."""

from s2r.commands import (  # noqa: F401
    core,
    demo,
    emulate,
    evaluate,
    hardware,
    import_cmd,
    report,
    rollout,
    sysid,
    train,
)
