"""Framing of the s2r serial protocol: COBS + CRC-16/CCITT-FALSE (see PROTOCOL.md §2).

A frame is ``COBS(type | seq | payload | crc16_le) + b"\\x00"``.

>>> wire = encode_frame(0x03, 42, b"")
>>> wire.hex()
'05032a74cd00'
>>> dec = FrameDecoder()
>>> dec.feed(b"garbage\\x00" + wire[:3]), dec.feed(wire[3:])
([], [Frame(msg_type=3, seq=42, payload=b'')])
"""

from __future__ import annotations

import binascii
from typing import NamedTuple

from s2r.errors import ProtocolError

#: Longest raw frame (type, seq, payload, crc); the payload is at most 252 bytes.
MAX_FRAME = 256
MAX_PAYLOAD = MAX_FRAME - 4
#: Longest COBS-encoded frame, delimiter excluded.
MAX_ENCODED = MAX_FRAME + (MAX_FRAME + 253) // 254

_ZERO = b"\x00"
_CODE = [bytes([i]) for i in range(256)]


class FrameError(ProtocolError):
    """A frame is not valid COBS, too short or too long."""


class OversizeError(FrameError):
    """A frame is longer than MAX_FRAME."""


class CRCError(ProtocolError):
    """A frame's CRC does not match its content."""


class Frame(NamedTuple):
    """One valid frame: message type, sequence number and payload."""

    msg_type: int
    seq: int
    payload: bytes


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout).

    ``binascii.crc_hqx`` is this CRC, table-driven in C.

    >>> hex(crc16_ccitt(b"123456789"))
    '0x29b1'
    """
    return binascii.crc_hqx(data, crc)


def cobs_encode(data: bytes) -> bytes:
    """COBS-encode ``data`` (no delimiter added); the result contains no 0x00.

    >>> cobs_encode(b"\\x11\\x00\\x22").hex()
    '02110222'
    """
    out = bytearray()
    for piece in data.split(_ZERO):
        while len(piece) >= 254:
            out += b"\xff"
            out += piece[:254]
            piece = piece[254:]
        out += _CODE[len(piece) + 1]
        out += piece
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Invert :func:`cobs_encode`; raises :class:`FrameError` on invalid input.

    >>> cobs_decode(bytes.fromhex("02110222"))
    b'\\x11\\x00"'
    """
    if not data or _ZERO in data:
        raise FrameError("COBS data is empty or contains 0x00")
    out = bytearray()
    i, n = 0, len(data)
    while True:
        code = data[i]
        j = i + code
        if j > n:
            raise FrameError(f"COBS code {code} at offset {i} runs past the end ({n} bytes)")
        out += data[i + 1 : j]
        if j == n:
            return bytes(out)
        if code != 0xFF:
            out += _ZERO
        i = j


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """Build the wire bytes of one frame, delimiter included.

    >>> encode_frame(0x05, 1, b"").hex()
    '050501dbf200'
    """
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    raw = bytes((msg_type, seq)) + payload
    crc = binascii.crc_hqx(raw, 0xFFFF)
    return cobs_encode(raw + bytes((crc & 0xFF, crc >> 8))) + _ZERO


def decode_frame(encoded: bytes) -> Frame:
    """Decode one COBS frame without its delimiter; raises on any defect.

    >>> decode_frame(encode_frame(0x02, 9, b"ab")[:-1])
    Frame(msg_type=2, seq=9, payload=b'ab')
    """
    if len(encoded) > MAX_ENCODED:
        raise OversizeError(f"encoded frame of {len(encoded)} bytes exceeds {MAX_ENCODED}")
    raw = cobs_decode(encoded)
    if len(raw) < 4:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than 4")
    if len(raw) > MAX_FRAME:
        raise OversizeError(f"frame of {len(raw)} bytes exceeds {MAX_FRAME}")
    crc = binascii.crc_hqx(raw[:-2], 0xFFFF)
    got = raw[-2] | raw[-1] << 8
    if crc != got:
        raise CRCError(f"CRC 0x{got:04x} != computed 0x{crc:04x}")
    return Frame(raw[0], raw[1], raw[2:-2])


class FrameDecoder:
    """Streaming decoder: feed any bytes, get back the valid frames; never raises.

    Counters: ``frames`` (valid), ``crc_errors``, ``framing_errors``,
    ``oversize`` (frames longer than MAX_FRAME, dropped).

    >>> dec = FrameDecoder()
    >>> bad = bytearray(encode_frame(1, 2, b"x")); bad[2] ^= 0x10
    >>> dec.feed(bytes(bad) + encode_frame(1, 3, b"y"))
    [Frame(msg_type=1, seq=3, payload=b'y')]
    >>> dec.crc_errors, dec.frames
    (1, 1)
    """

    def __init__(self) -> None:
        self._buf = b""
        self._skipping = False  # inside an oversize frame: drop up to the next 0x00
        self.frames = 0
        self.crc_errors = 0
        self.framing_errors = 0
        self.oversize = 0

    @property
    def errors(self) -> int:
        """Total dropped frames."""
        return self.crc_errors + self.framing_errors + self.oversize

    def reset(self) -> None:
        """Forget any partial frame (counters are kept)."""
        self._buf = b""
        self._skipping = False

    def feed(self, data: bytes) -> list[Frame]:
        """Consume ``data``; return the frames completed by it, in order."""
        if _ZERO not in data:
            if not self._skipping:
                self._buf += data
                if len(self._buf) > MAX_ENCODED:
                    self._drop_oversize()
            return []
        parts = (self._buf + data).split(_ZERO) if self._buf else bytes(data).split(_ZERO)
        rest = parts.pop()
        out: list[Frame] = []
        if self._skipping:
            parts[0] = b""  # tail of the oversize frame
            self._skipping = False
        for part in parts:
            if part:
                frame = self._decode(part)
                if frame is not None:
                    out.append(frame)
        self._buf = rest
        if len(rest) > MAX_ENCODED:
            self._drop_oversize()
        return out

    def _drop_oversize(self) -> None:
        self.oversize += 1
        self._buf = b""
        self._skipping = True

    def _decode(self, part: bytes) -> Frame | None:
        try:
            frame = decode_frame(part)
        except CRCError:
            self.crc_errors += 1
            return None
        except OversizeError:
            self.oversize += 1
            return None
        except FrameError:
            self.framing_errors += 1
            return None
        self.frames += 1
        return frame
