"""The ``s2r`` command line: thin, parses arguments, calls the library, prints.

Every command takes ``key=value`` overrides (omegaconf dotlist) and optionally
``--config FILE``. Errors a user can cause print one line and exit non-zero (the
error's ``exit_code``: 2 config, 3 device, 4 safety stop, 5 timing). Ctrl-C exits 130;
SIGTERM and SIGHUP during record, deploy, rollout and demo stop the run the same safe
way (actuators disabled, log ended) and exit 128 + the signal number (143, 129).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from s2r.errors import S2RError

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Command, Callable[[argparse.ArgumentParser], None]]] = {}


def command(name: str, help: str,
            args: Callable[[argparse.ArgumentParser], None] = lambda p: None
            ) -> Callable[[Command], Command]:
    """Register a subcommand (later issues add theirs the same way)."""

    def register(fn: Command) -> Command:
        COMMANDS[name] = (help, fn, args)
        return fn

    return register


def _overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides (omegaconf dotlist)")
    p.add_argument("--config", "-c", help="a YAML config file")


def build_parser() -> argparse.ArgumentParser:
    from s2r import __version__

    parser = argparse.ArgumentParser(
        prog="s2r", description="Domain randomization and sim-to-real transfer on PyBullet.")
    parser.add_argument("--version", action="version", version=f"s2r {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (help_text, _, add_args) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
    return parser


def _mute_exit_noise() -> None:
    """PyBullet prints its build time to stderr while the process exits; drop it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except (OSError, ValueError):
        pass


def _import_pybullet_quietly() -> None:
    """PyBullet prints its build time to stderr on import; keep the CLI's stderr clean."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    try:
        os.dup2(devnull, 2)
        import pybullet  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``s2r`` console script."""
    _import_pybullet_quietly()
    try:
        return _main(argv)
    finally:
        if "pybullet" in sys.modules:
            _mute_exit_noise()


def _main(argv: Sequence[str] | None) -> int:
    from s2r import commands  # noqa: F401  (registers the commands)

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command][1](args) or 0
    except S2RError as err:
        print(f"s2r {args.command}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:  # Ctrl-C: 130; SIGTERM/SIGHUP (StopSignal): 128 + signum
        name = getattr(err, "name", "")
        print(f"s2r {args.command}: interrupted{' by ' + name if name else ''}", file=sys.stderr)
        return int(getattr(err, "exit_code", 130))
    except BrokenPipeError:
        return 0
