"""The device end of a pseudo terminal: a raw, non-blocking master; the slave path is the port.

The emulator keeps its own slave descriptor open so that reading the master
never fails with EIO while no host has the port open (between sessions).

>>> import serial
>>> with PtyPort() as pty:
...     host = serial.serial_for_url(pty.path, timeout=1)
...     _ = host.write(b"ping")
...     pty.read() if pty.wait_readable(1.0) else b""
...     host.close()
b'ping'
"""

from __future__ import annotations

import os
import select
import tty
from pathlib import Path
from types import TracebackType


class PtyPort:
    """Open a pty; ``path`` is the slave (``/dev/pts/N``), written to ``port_file`` if given."""

    def __init__(self, port_file: str | None = None) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.port_file = port_file
        if port_file:
            tmp = Path(f"{port_file}.tmp")
            tmp.write_text(self.path + "\n")
            os.replace(tmp, port_file)  # atomic: a script never reads half a path

    @property
    def closed(self) -> bool:
        return self.master < 0

    def wait_readable(self, timeout: float) -> bool:
        """Block until the host has sent something or ``timeout`` s passed."""
        return bool(select.select([self.master], [], [], timeout)[0])

    def read(self) -> bytes:
        """Whatever the host sent (b"" if nothing)."""
        try:
            return os.read(self.master, 65536)
        except BlockingIOError:
            return b""

    def write(self, data: bytes) -> int:
        """Write what the pty accepts now; return the number of bytes written."""
        try:
            return os.write(self.master, data)
        except BlockingIOError:
            return 0

    def close(self) -> None:
        """Close both ends (the host sees a hang-up) and remove our port file (idempotent)."""
        for fd in (self.master, self.slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self.slave = -1
        if self.port_file:
            path = Path(self.port_file)
            try:
                if path.read_text().strip() == self.path:
                    path.unlink()
            except OSError:
                pass

    def __enter__(self) -> PtyPort:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
