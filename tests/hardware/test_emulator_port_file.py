"""The emulator's port file appears whole (temp file + rename) and goes away on close.

Scripts wait for it (``while [ ! -s port ]; do sleep 0.1; done``) and then read it, so it
must never be visible half written.
"""

from __future__ import annotations

import os

from hardware.emulator import ptyport
from hardware.emulator.ptyport import PtyPort


def test_port_file_is_written_by_an_atomic_rename(tmp_path, monkeypatch):
    port_file = tmp_path / "port"
    seen = []
    real_replace = os.replace

    def replace(src, dst):  # the moment the final name appears
        seen.append((os.path.exists(dst), open(src).read()))
        real_replace(src, dst)

    monkeypatch.setattr(ptyport.os, "replace", replace)
    with PtyPort(str(port_file)) as pty:
        assert seen == [(False, pty.path + "\n")]  # complete before it had its name
        assert port_file.read_text() == pty.path + "\n"
        assert [p.name for p in tmp_path.iterdir()] == ["port"]  # no temp file left
    assert not port_file.exists()


def test_close_leaves_a_port_file_of_another_emulator(tmp_path):
    port_file = tmp_path / "port"
    first = PtyPort(str(port_file))
    with PtyPort(str(port_file)) as second:
        first.close()  # the file names the second one now: not ours to remove
        assert port_file.read_text().strip() == second.path
    assert not port_file.exists()
