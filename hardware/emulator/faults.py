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


class Faults:
    """Corrupt, drop, or prefix with garbage the frames a device sends (rates 0 = off).

    - ``corrupt_rate``: flip one random bit of the frame (its delimiter excluded),
      so the host sees a CRC or framing error and loses that reply;
    - ``drop_rate``: the reply is not sent at all;
    - ``garbage_rate``: 1-16 random non-zero bytes and a 0x00 go out before the
      reply, which itself arrives intact (the host must resynchronise).
    """

    def __init__(self, rng: np.random.Generator, corrupt_rate: float = 0.0,
                 drop_rate: float = 0.0, garbage_rate: float = 0.0) -> None:
        self.rng = rng
        self.corrupt_rate, self.drop_rate, self.garbage_rate = corrupt_rate, drop_rate, garbage_rate
        self.counts: Counter[str] = Counter()

    def _hit(self, rate: float) -> bool:
        return rate > 0.0 and bool(self.rng.random() < rate)

    def outgoing(self, wire: bytes) -> bytes | None:
        """The bytes to send for the frame ``wire`` (None: dropped)."""
        if self._hit(self.drop_rate):
            self.counts["dropped"] += 1
            return None
        if self._hit(self.corrupt_rate) and len(wire) > 1:
            data = bytearray(wire)
            data[int(self.rng.integers(len(data) - 1))] ^= 1 << int(self.rng.integers(8))
            wire = bytes(data)
            self.counts["corrupted"] += 1
        if self._hit(self.garbage_rate):
            junk = self.rng.integers(1, 256, size=int(self.rng.integers(1, 17)), dtype=np.uint8)
            wire = junk.tobytes() + b"\x00" + wire
            self.counts["garbage"] += 1
        return wire
