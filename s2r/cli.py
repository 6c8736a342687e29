"""The ``s2r`` command line: thin, parses arguments, calls the library, prints.

Every command takes ``key=value`` overrides (omegaconf dotlist) and optionally
``--config FILE``; ``s2r COMMAND --help`` lists every key with its default and
meaning. Errors a user can cause print one line and exit non-zero.

Exit codes: 0 success; 2 a bad config, argument or file (also a path that
cannot be read or written); 3 the device is unreachable or silent; 4 a safety
stop; 5 poor control timing beyond ``max_overrun_fraction``; 70 an internal error
(a bug: one line on stderr, the full traceback saved to a file whose path that
line names); 130 interrupted (Ctrl-C); SIGTERM and SIGHUP during record, deploy,
rollout and demo stop the run the same safe way (actuators disabled, log ended)
and exit 128 + the signal number (143, 129).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from s2r.errors import S2RError
from s2r.quiet import import_pybullet_quietly

INTERNAL_ERROR = 70  # EX_SOFTWARE of the BSD sysexits convention
INTERRUPTED = 130

Command = Callable[[argparse.Namespace], int]
Settings = type | str | None  # a config dataclass, or "module:Name" imported for --help only
COMMANDS: dict[str, tuple[str, Command, Callable[[argparse.ArgumentParser], None]]] = {}
SETTINGS: dict[str, tuple[Settings, str]] = {}


def command(name: str, help: str,
            args: Callable[[argparse.ArgumentParser], None] = lambda p: None,
            settings: Settings = None, defaults: str = "") -> Callable[[Command], Command]:
    """Register a subcommand (later issues add theirs the same way).

    ``settings`` is the command's config dataclass (or ``"module:Name"``): its
    fields, defaults and meanings are listed by ``s2r NAME --help``; ``defaults``
    names the YAML file the defaults come from, if any.
    """

    def register(fn: Command) -> Command:
        COMMANDS[name] = (help, fn, args)
        SETTINGS[name] = (settings, defaults)
        return fn

    return register


def _overrides(p: argparse.ArgumentParser) -> None:
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides (omegaconf dotlist), see the settings below")
    p.add_argument("--config", "-c", help="a YAML config file")


def settings_class(name: str) -> type | None:
    """The config dataclass of command ``name`` (imported on demand), or None.

    >>> from s2r import commands  # registers the commands
    >>> settings_class("rollout").__name__, settings_class("robots")
    ('RolloutConfig', None)
    """
    spec = SETTINGS.get(name, (None, ""))[0]
    if isinstance(spec, str):
        module, _, attr = spec.partition(":")
        spec = getattr(importlib.import_module(module), attr)
    return spec


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser whose help ends with the command's settings."""

    command_name = ""

    def format_help(self) -> str:
        text = super().format_help()
        schema = settings_class(self.command_name)
        if schema is None:
            return text
        from s2r.settings import describe_settings

        where = SETTINGS[self.command_name][1]
        origin = f"; defaults from {where}" if where else ""
        width = shutil.get_terminal_size().columns - 2  # as argparse wraps
        return f"{text}\nsettings (key=value{origin}):\n{describe_settings(schema, width)}\n"


def build_parser() -> argparse.ArgumentParser:
    from s2r import __version__

    parser = argparse.ArgumentParser(
        prog="s2r", description="Domain randomization and sim-to-real transfer on PyBullet.",
        epilog="exit codes: 0 ok, 2 bad config or input, 3 device unreachable, 4 safety stop, "
               f"{INTERNAL_ERROR} internal error (traceback saved to a file), "
               f"{INTERRUPTED} interrupted")
    parser.add_argument("--version", action="version", version=f"s2r {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                parser_class=_CommandParser)
    for name, (help_text, _, add_args) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.command_name = name
        add_args(p)
    return parser




def crash_dir() -> Path:
    """Where internal-error tracebacks go: ``$XDG_CACHE_HOME/s2r`` (``~/.cache/s2r``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "s2r"


def save_traceback(name: str, argv: Sequence[str], err: BaseException) -> Path:
    """Write the traceback of ``err`` to a new file and return its path.

    Falls back to the temporary directory when the cache is not writable.
    """
    from s2r import __version__

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"s2r {__version__} internal error in `s2r {' '.join(argv)}`\n"
            f"python {sys.version.split()[0]} on {sys.platform}\n\n"
            + "".join(traceback.format_exception(type(err), err, err.__traceback__)))
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=f"s2r-{name or 'cli'}-{stamp}-", suffix=".txt",
                                        dir=folder)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            return Path(path)
        except OSError:
            continue
    raise OSError("cannot write the traceback anywhere")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``s2r`` console script; returns the exit code.

    Never raises (but for ``--help`` and argument errors, which exit through argparse):
    every error is one line on stderr.

    >>> main(["rollout", "episodes=0"])  # stderr: s2r rollout: error: <overrides>: episodes: ...
    2
    """
    import_pybullet_quietly()
    args = list(sys.argv[1:] if argv is None else argv)
    name = ""
    try:
        from s2r import commands  # noqa: F401  (registers the commands)

        parser = build_parser()
        ns = parser.parse_args(args)
        if not ns.command:
            parser.print_help()
            return 2
        name = ns.command
        return COMMANDS[name][1](ns) or 0
    except S2RError as err:
        print(f"{_prefix(name)}: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:  # Ctrl-C: 130; SIGTERM/SIGHUP (StopSignal): 128 + signum
        signame = getattr(err, "name", "")
        print(f"{_prefix(name)}: interrupted{' by ' + signame if signame else ''}",
              file=sys.stderr)
        return int(getattr(err, "exit_code", INTERRUPTED))
    except BrokenPipeError:
        return 0
    except OSError as err:
        if err.filename is None:
            return _internal_error(name, args, err)
        # a path the user named cannot be read or written: theirs to fix, not a bug
        print(f"{_prefix(name)}: error: {err.filename}: {err.strerror or err}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line here, the details in a file
        return _internal_error(name, args, err)


def _internal_error(name: str, argv: Sequence[str], err: Exception) -> int:
    lines = str(err).strip().splitlines()
    what = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    try:
        where = f"traceback: {save_traceback(name, argv, err)}"
    except OSError as save_err:
        where = f"traceback not saved: {save_err}"
        traceback.print_exception(type(err), err, err.__traceback__)
    print(f"{_prefix(name)}: internal error: {what} ({where})",
          file=sys.stderr)
    return INTERNAL_ERROR


def _prefix(name: str) -> str:
    return f"s2r {name}" if name else "s2r"
