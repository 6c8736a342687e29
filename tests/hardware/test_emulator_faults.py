"""Fault injection of the emulated device, seen from the host side of a real pty.

No test assumes a quiet CPU: the host collects replies until a condition holds (with a
generous timeout), and the times after which the device goes silent or hangs up are long
enough for the exchanges before them on a loaded machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import serial

from hardware.codec import FrameDecoder
from hardware.emulator import Emulator, EmulatorConfig
from hardware.messages import Hello, State, StateRequest, to_wire


class Host:
    """Raw host end: sends requests, collects whatever frames come back."""

    def __init__(self, port: str) -> None:
        self.serial = serial.serial_for_url(port, baudrate=1_000_000, timeout=0.02)
        self.decoder = FrameDecoder()
        self.frames: list = []
        self.seq = 0

    def send(self, msg: object) -> None:
        self.seq = (self.seq + 1) % 256
        self.serial.write(to_wire(msg, self.seq))  # type: ignore[arg-type]

    def collect(self, seconds: float) -> list:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.frames += self.decoder.feed(self.serial.read(4096))
        return self.frames

    def collect_until(self, done: Callable[[], bool], timeout: float = 30.0) -> list:
        """Collect replies until ``done()``; fail after ``timeout`` s."""
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                pytest.fail(f"no {done.__name__} within {timeout} s")
            self.frames += self.decoder.feed(self.serial.read(4096))
        return self.frames

    def exchange(self, emu: Emulator, n: int) -> list:
        """Send ``n`` requests; collect until each was answered or dropped by the device."""
        for _ in range(n):
            self.send(StateRequest())
        def answered() -> bool:
            st = emu.stats
            return (st["frames_in"] == n and st["frames_out"] + st["dropped"] == n
                    and len(self.frames) == st["frames_out"] - st["corrupted"]
                    and self.decoder.errors >= st["corrupted"])

        return self.collect_until(answered)


@pytest.fixture
def start() -> Iterator:
    opened: list[tuple[Emulator, Host]] = []

    def run(**kw: object) -> tuple[Emulator, Host]:
        emu = Emulator(EmulatorConfig(**{"robot": "pendulum", "mode": "lockstep", **kw}))
        emu.start()
        host = Host(emu.port)
        opened.append((emu, host))
        return emu, host

    yield run
    for emu, host in opened:
        host.serial.close()
        emu.close()


def test_corrupt_rate_one_corrupts_every_reply(start) -> None:  # noqa: ANN001
    emu, host = start(corrupt_rate=1.0)
    assert host.exchange(emu, 20) == []
    assert host.decoder.errors >= 20  # each reply lost as a CRC or framing error
    assert emu.stats["corrupted"] == emu.stats["frames_out"] == 20


def test_drop_rate_drops_about_that_share_of_replies(start) -> None:  # noqa: ANN001
    emu, host = start(drop_rate=0.5, seed=1)
    got = host.exchange(emu, 200)
    assert 60 < len(got) < 140 and host.decoder.errors == 0
    assert emu.stats["dropped"] == 200 - len(got) and emu.stats["frames_in"] == 200
    assert all(isinstance(State.decode(f.payload), State) for f in got)


def test_garbage_between_frames_leaves_the_replies_intact(start) -> None:  # noqa: ANN001
    emu, host = start(garbage_rate=1.0)
    got = host.exchange(emu, 20)
    assert [f.seq for f in got] == list(range(1, 21))
    assert host.decoder.errors == 20 and emu.stats["garbage"] == 20


def test_silent_after_stops_answering(start) -> None:  # noqa: ANN001
    emu, host = start(silent_after=1.0)
    assert len(host.exchange(emu, 5)) == 5
    time.sleep(1.0)  # at least 1 s since the start: silent from now on
    for _ in range(5):
        host.send(StateRequest())
    host.collect_until(lambda: emu.stats["ignored_bytes"] > 0)  # read, and not answered
    assert len(host.collect(0.1)) == 5 and emu.stats["frames_out"] == 5  # nothing new
    assert emu.running


def test_hang_up_after_closes_the_port(start) -> None:  # noqa: ANN001
    emu, host = start(hang_up_after=1.0)
    host.send(Hello())
    assert len(host.collect_until(lambda: len(host.frames) == 1)) == 1
    end = time.monotonic() + 30.0
    while emu.running:
        if time.monotonic() > end:
            pytest.fail("the device did not hang up within 30 s")
        time.sleep(0.01)
    with pytest.raises(serial.SerialException):
        host.send(StateRequest())
        host.collect(0.1)


def test_faults_are_seeded(start) -> None:  # noqa: ANN001
    seqs = []
    for seed in (3, 3, 4):
        emu, host = start(drop_rate=0.3, seed=seed)
        seqs.append([f.seq for f in host.exchange(emu, 40)])
    assert seqs[0] == seqs[1] != seqs[2]
