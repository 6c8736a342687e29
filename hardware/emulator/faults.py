"""Fault injection on the emulated device's replies, for testing the host side.

Every draw comes from the Generator passed in, so a seed reproduces the same
faults for the same traffic.

>>> import numpy as np
>>> faults = Faults(np.random.default_rng(0), corrupt_rate=1.0)
>>> wire = bytes.fromhex("05032a74cd00")
>>> bad = faults.outgoing(wire)
>>> bad != wire, len(bad) == len(wire), bad[-1], faults.counts["corrupted"]
(True, True, 0, 1)
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def rebaud(data: bytes, ratio: float) -> bytes:
    """What a UART receives of ``data`` sent 8N1 at ``ratio`` times its own baud rate.

    The sender's bits go out back to back; the receiver waits for a low line (start
    bit), samples 8 data bits and the stop bit in the middle of its own bit times, and
    delivers a byte whose stop bit is low (a framing error) as 0x00, as Linux does.

    >>> rebaud(bytes.fromhex("55a3"), 1.0).hex()  # same rate: unchanged
    '55a3'
    >>> rebaud(bytes(range(1, 40)), 1_000_000 / 115200).hex()  # 1 Mbaud read at 115200
    '00260008ed'
    """
    bits = [b for byte in data for b in (0, *((byte >> i) & 1 for i in range(8)), 1)]

    def line(t: float) -> int:
        i = int(t)
        return bits[i] if 0 <= i < len(bits) else 1  # idle high

    out, t = bytearray(), 0.0
    while True:
        i = int(t) if t == int(t) else int(t) + 1  # next sender bit boundary at or after t
        while i < len(bits) and bits[i]:
            i += 1
        if i >= len(bits):
            return bytes(out)
        start = max(float(i), t)
        byte = sum(line(start + (k + 1.5) * ratio) << k for k in range(8))
        out.append(byte if line(start + 9.5 * ratio) else 0)
        t = start + 10 * ratio - 0.5 * ratio  # look for the next start from mid stop bit


class Faults:
    """Corrupt, drop, or prefix with garbage the frames a device sends (rates 0 = off).

    - ``corrupt_rate``: flip one random bit of the frame (its delimiter excluded),
      so the host sees a CRC or framing error and loses that reply;
    - ``drop_rate``: the reply is not sent at all;
    - ``garbage_rate``: 1-16 random non-zero bytes and a 0x00 go out before the
      reply, which itself arrives intact (the host must resynchronise).

    Scripted faults hit exact frames, counted by ``index``: the valid frames the device
    received since it started, from 0. ``lose`` holds the indices of host frames lost
    on the line (the device never sees them), ``corrupt`` those whose reply gets one bit
    flipped. Tests add to them while the emulator runs.
    """

    def __init__(self, rng: np.random.Generator, corrupt_rate: float = 0.0,
                 drop_rate: float = 0.0, garbage_rate: float = 0.0) -> None:
        self.rng = rng
        self.corrupt_rate, self.drop_rate, self.garbage_rate = corrupt_rate, drop_rate, garbage_rate
        self.lose: set[int] = set()
        self.corrupt: set[int] = set()
        self.counts: Counter[str] = Counter()

    def incoming(self, index: int) -> bool:
        """False when the host frame ``index`` is lost on the line (scripted)."""
        if index in self.lose:
            self.counts["lost"] += 1
            return False
        return True

    def _hit(self, rate: float) -> bool:
        return rate > 0.0 and bool(self.rng.random() < rate)

    def outgoing(self, wire: bytes, index: int = -1) -> bytes | None:
        """The bytes to send for the frame ``wire`` replying to frame ``index`` (None: dropped)."""
        if self._hit(self.drop_rate):
            self.counts["dropped"] += 1
            return None
        if index in self.corrupt and len(wire) > 2:
            data = bytearray(wire)
            data[1] ^= 0x01 if data[1] != 0x01 else 0x02  # a data byte, kept non-zero
            wire = bytes(data)
            self.counts["corrupted"] += 1
        elif self._hit(self.corrupt_rate) and len(wire) > 1:
            data = bytearray(wire)
            data[int(self.rng.integers(len(data) - 1))] ^= 1 << int(self.rng.integers(8))
            wire = bytes(data)
            self.counts["corrupted"] += 1
        if self._hit(self.garbage_rate):
            junk = self.rng.integers(1, 256, size=int(self.rng.integers(1, 17)), dtype=np.uint8)
            wire = junk.tobytes() + b"\x00" + wire
            self.counts["garbage"] += 1
        return wire
