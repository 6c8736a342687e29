"""Test vectors of the s2r serial protocol, shared by the Python and C test suites.

``PYTHONPATH=. python hardware/firmware/tools/vectors.py tests/hardware/vectors.json``
regenerates the committed vectors from the Python codec (do it only when the
protocol changes on purpose; tests/hardware/test_codec.py fails until then).
``vectors2c.py`` turns them into a C header for ``firmware/test_protocol.c``,
which hard-codes again the field values of the ``msg:*`` vectors it checks.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from hardware import messages as m
from hardware.codec import FrameDecoder, cobs_encode, crc16_ccitt, encode_frame

#: What the reference firmware (firmware/device.c) must answer to HELLO.
FURUTA_INFO = m.DeviceInfo(
    firmware="s2r-fw 0.1.0", robot="furuta", rate_hint_hz=500, watchdog_ms=100,
    joints=(
        m.JointInfo("arm", m.JointKind.REVOLUTE, (-2.5, 2.5), 40.0, (-5.0, 5.0), m.Unit.VOLT, 2048),
        m.JointInfo("pendulum", m.JointKind.REVOLUTE, (-math.inf, math.inf), 80.0, (0.0, 0.0),
                    m.Unit.NONE, 2048),
    ),
    sensors=(m.SensorInfo("current.arm", m.Unit.AMPERE),),
)

#: The worked example of PROTOCOL.md §7.
EXAMPLE_STATE = m.State(123456, 7, m.StatusFlags.ENABLED | m.StatusFlags.CMD_VALID,
                        (0.5, -3.0), (1.25, 0.0), (0.125,))

MESSAGES: list[tuple[str, m.Message, int]] = [
    ("msg:hello", m.Hello(1, "s2r"), 1),
    ("msg:device_info_furuta", FURUTA_INFO, 1),
    ("msg:command", m.Command((1.5,)), 7),
    ("msg:command_2", m.Command((-5.0, 0.25)), 255),
    ("msg:state_request", m.StateRequest(), 8),
    ("msg:state_example", EXAMPLE_STATE, 7),
    ("msg:reset_home", m.Reset(), 9),
    ("msg:reset_state", m.Reset(m.ResetMode.STATE, (0.5, 3.0), (0.0, -1.0)), 10),
    ("msg:enable", m.Enable(), 11),
    ("msg:disable", m.Disable(), 12),
    ("msg:estop", m.EStop(), 13),
    ("msg:set_watchdog", m.SetWatchdog(250), 14),
    ("msg:ack", m.Ack(m.MsgType.ENABLE), 11),
    ("msg:nack", m.Nack(m.MsgType.ENABLE, m.ErrorCode.ESTOP_ACTIVE, "e-stop input asserted"), 11),
    ("msg:error", m.ErrorMsg(m.ErrorCode.UNKNOWN_TYPE, "unknown type 0x42"), 15),
]

RAW_FRAMES: list[tuple[str, int, int, bytes]] = [
    ("frame:empty", 0x03, 0, b""),
    ("frame:zeros", 0x02, 0, bytes(8)),
    ("frame:ff", 0xFF, 0xFF, b"\xff" * 8),
    ("frame:payload_250", 0x02, 1, bytes(range(1, 251))),  # raw 254 bytes, no zero
    ("frame:payload_251", 0x02, 2, bytes(range(1, 252))),  # raw 255: two COBS blocks
    ("frame:payload_252_max", 0x02, 3, bytes(range(1, 253))),
    ("frame:payload_252_zeros", 0x02, 4, bytes(252)),
]

COBS = [b"", b"\x00", b"\x00\x00", b"\x11\x22\x00\x33", b"\x11\x00\x00\x00",
        b"\x01" * 253, b"\x01" * 254, b"\x01" * 255, b"\x01" * 508 + b"\x00" + b"\x02" * 3]

CRC = [b"123456789", b"", b"\x00", b"\xff\xff", bytes(range(256))]


def _stream() -> dict[str, Any]:
    """Garbage, a frame with a flipped bit, an oversize frame, then good frames."""
    good1 = encode_frame(0x82, 1, b"\x01\x02\x00\x03")
    bad = bytearray(encode_frame(0x82, 2, b"\x10\x20"))
    bad[3] ^= 0x04
    good2 = encode_frame(0x83, 3, b"\x05")
    data = (b"\x13\x37garbage\x00" + good1 + bytes(bad) + b"\x00\x00" + b"\x41" * 300 + b"\x00"
            + good2 + b"\x02\x01" + b"\x00" + good1[:-1])  # short frame, then a partial frame
    dec = FrameDecoder()
    frames = dec.feed(data)
    return {"name": "stream:mixed", "input": data.hex(),
            "frames": [{"type": f.msg_type, "seq": f.seq, "payload": f.payload.hex()}
                       for f in frames],
            "crc_errors": dec.crc_errors, "framing_errors": dec.framing_errors,
            "oversize": dec.oversize}


def _delimited_stream() -> dict[str, Any]:
    """Senders put 0x00 before every frame: line noise costs no valid frame, idle 0x00s
    (empty frames) are not errors."""
    good1 = encode_frame(0x82, 5, b"\x07")
    good2 = encode_frame(0x83, 6, b"\x03")
    data = b"\x13\x37" + b"\x00" + good1 + b"\x00\x00\x00" + b"\x5a" + b"\x00" + good2
    dec = FrameDecoder()
    frames = dec.feed(data)
    return {"name": "stream:delimited", "input": data.hex(),
            "frames": [{"type": f.msg_type, "seq": f.seq, "payload": f.payload.hex()}
                       for f in frames],
            "crc_errors": dec.crc_errors, "framing_errors": dec.framing_errors,
            "oversize": dec.oversize}


def build_vectors() -> dict[str, Any]:
    """All vectors as one JSON-ready dict, computed from the Python codec."""
    frames = [(name, msg.TYPE, seq, msg.encode()) for name, msg, seq in MESSAGES] + RAW_FRAMES
    return {
        "crc": [{"data": d.hex(), "crc": crc16_ccitt(d)} for d in CRC],
        "cobs": [{"raw": d.hex(), "encoded": cobs_encode(d).hex()} for d in COBS],
        "frames": [{"name": name, "type": int(t), "seq": seq, "payload": p.hex(),
                    "frame": encode_frame(t, seq, p).hex()} for name, t, seq, p in frames],
        "streams": [_stream(), _delimited_stream()],
    }


def to_json(vectors: dict[str, Any]) -> str:
    """JSON text with one vector per line (stable, diff-friendly)."""
    parts = [f' "{key}": [\n' + ",\n".join("  " + json.dumps(v) for v in rows) + "\n ]"
             for key, rows in vectors.items()]
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, help="write freshly computed vectors to this JSON file")
    args = ap.parse_args(argv)
    args.json.write_text(to_json(build_vectors()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
