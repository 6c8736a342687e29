"""Fault injection of the emulated device, seen from the host side of a real pty."""

from __future__ import annotations

import time
from collections.abc import Iterator

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

    def exchange(self, n: int, settle: float = 0.2) -> list:
        for _ in range(n):
            self.send(StateRequest())
        return self.collect(settle)


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
    assert host.exchange(20) == []
    assert host.decoder.errors >= 20  # each reply lost as a CRC or framing error
    assert emu.stats["corrupted"] == emu.stats["frames_out"] == 20


def test_drop_rate_drops_about_that_share_of_replies(start) -> None:  # noqa: ANN001
    emu, host = start(drop_rate=0.5, seed=1)
    got = host.exchange(200, settle=0.4)
    assert 60 < len(got) < 140 and host.decoder.errors == 0
    assert emu.stats["dropped"] == 200 - len(got) and emu.stats["frames_in"] == 200
    assert all(isinstance(State.decode(f.payload), State) for f in got)


def test_garbage_between_frames_leaves_the_replies_intact(start) -> None:  # noqa: ANN001
    emu, host = start(garbage_rate=1.0)
    got = host.exchange(20)
    assert [f.seq for f in got] == list(range(1, 21))
    assert host.decoder.errors == 20 and emu.stats["garbage"] == 20


def test_silent_after_stops_answering(start) -> None:  # noqa: ANN001
    emu, host = start(silent_after=0.3)
    assert len(host.exchange(5, settle=0.1)) == 5
    time.sleep(0.3)
    assert len(host.exchange(5, settle=0.2)) == 5  # nothing new
    assert emu.stats["ignored_bytes"] > 0 and emu.running


def test_hang_up_after_closes_the_port(start) -> None:  # noqa: ANN001
    emu, host = start(hang_up_after=0.3)
    host.send(Hello())
    assert len(host.collect(0.1)) == 1
    time.sleep(0.35)
    assert not emu.running
    with pytest.raises(serial.SerialException):
        host.send(StateRequest())
        host.collect(0.1)


def test_faults_are_seeded(start) -> None:  # noqa: ANN001
    seqs = []
    for seed in (3, 3, 4):
        _, host = start(drop_rate=0.3, seed=seed)
        seqs.append([f.seq for f in host.exchange(40)])
    assert seqs[0] == seqs[1] != seqs[2]
