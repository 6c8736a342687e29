"""Framing: COBS, CRC, frames, the streaming decoder, the committed test vectors."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.codec import (
    MAX_ENCODED,
    MAX_FRAME,
    MAX_PAYLOAD,
    CRCError,
    Frame,
    FrameDecoder,
    FrameError,
    OversizeError,
    cobs_decode,
    cobs_encode,
    crc16_ccitt,
    decode_frame,
    encode_frame,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text())

u8 = st.integers(0, 255)
payloads = st.binary(max_size=MAX_PAYLOAD)
zero_heavy = st.lists(st.sampled_from([0, 0, 1, 0xFF, 0x42]), max_size=MAX_PAYLOAD).map(bytes)
any_payload = st.one_of(payloads, zero_heavy)


def load_vectors_tool() -> ModuleType:
    path = ROOT / "hardware" / "firmware" / "tools" / "vectors.py"
    spec = importlib.util.spec_from_file_location("s2r_fw_vectors", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def crc_reference(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE, the definition."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def cobs_reference_decode(enc: bytes) -> bytes | None:
    out, i = bytearray(), 0
    while i < len(enc):
        code = enc[i]
        if code == 0 or i + code > len(enc):
            return None
        out += enc[i + 1 : i + code]
        i += code
        if code != 0xFF and i < len(enc):
            out.append(0)
    return bytes(out) if enc else None


def reference_frames(stream: bytes) -> list[Frame]:
    """What a receiver following PROTOCOL.md §2 must output, by the simplest means."""
    out = []
    for seg in stream.split(b"\x00")[:-1]:
        raw = cobs_reference_decode(seg) if 0 < len(seg) <= MAX_ENCODED else None
        if raw is None or not 4 <= len(raw) <= MAX_FRAME:
            continue
        if crc_reference(raw[:-2]) == raw[-2] | raw[-1] << 8:
            out.append(Frame(raw[0], raw[1], raw[2:-2]))
    return out


# ------------------------------------------------------------------ CRC and COBS
def test_crc_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1


@settings(deadline=None)  # no flaky deadlines on a loaded machine
@given(st.binary(max_size=300))
def test_crc_matches_bitwise_definition(data: bytes) -> None:
    assert crc16_ccitt(data) == crc_reference(data)


@settings(deadline=None)
@given(st.one_of(st.binary(max_size=1200), zero_heavy))
def test_cobs_round_trip_and_bounds(data: bytes) -> None:
    enc = cobs_encode(data)
    assert b"\x00" not in enc
    assert len(enc) <= len(data) + 1 + len(data) // 254
    assert cobs_decode(enc) == data
    assert cobs_reference_decode(enc) == data


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\x05\x01", b"\x02\x01\x00"])
def test_cobs_decode_rejects_invalid(bad: bytes) -> None:
    with pytest.raises(FrameError):
        cobs_decode(bad)


# ------------------------------------------------------------------ frames
@settings(deadline=None)
@given(u8, u8, any_payload)
def test_frame_round_trip_and_overhead(msg_type: int, seq: int, payload: bytes) -> None:
    wire = encode_frame(msg_type, seq, payload)
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    overhead = len(wire) - len(payload)
    assert overhead == 6 if len(payload) <= 250 else overhead <= 7
    assert decode_frame(wire[:-1]) == Frame(msg_type, seq, payload)
    assert FrameDecoder().feed(wire) == [Frame(msg_type, seq, payload)]


def test_encode_refuses_oversize_payload() -> None:
    with pytest.raises(FrameError):
        encode_frame(2, 0, bytes(MAX_PAYLOAD + 1))


def _oversize_wire(n_payload: int) -> bytes:
    raw = bytes((2, 5)) + bytes([7]) * n_payload
    crc = crc16_ccitt(raw)
    return cobs_encode(raw + bytes((crc & 0xFF, crc >> 8))) + b"\x00"


@pytest.mark.parametrize("n", [MAX_PAYLOAD + 1, MAX_PAYLOAD + 2, 400, 1000])
def test_oversize_frames_are_dropped_and_counted(n: int) -> None:
    good = encode_frame(3, 1, b"ok")
    dec = FrameDecoder()
    assert dec.feed(_oversize_wire(n) + good) == [Frame(3, 1, b"ok")]
    assert (dec.oversize, dec.crc_errors, dec.framing_errors) == (1, 0, 0)
    with pytest.raises(OversizeError):
        decode_frame(_oversize_wire(n)[:-1])


def test_endless_garbage_is_bounded_and_counted_once() -> None:
    dec = FrameDecoder()
    for _ in range(100):
        assert dec.feed(b"\x55" * 100) == []
    assert len(dec._buf) <= MAX_ENCODED and dec.oversize == 1
    assert dec.feed(b"\x00" + encode_frame(1, 2, b"x")) == [Frame(1, 2, b"x")]


# ------------------------------------------------------------------ streaming decoder
@settings(deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=8))
def test_decoder_never_crashes_and_matches_reference(data: bytes, cuts: list[int]) -> None:
    dec = FrameDecoder()
    got: list[Frame] = []
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for a, b in zip(points, points[1:]):
        got += dec.feed(data[a:b])
    assert got == reference_frames(data)  # only frames with a correct CRC, all of them


@settings(deadline=None)
@given(st.binary(max_size=600), u8, u8, any_payload)
def test_resync_after_garbage(garbage: bytes, msg_type: int, seq: int, payload: bytes) -> None:
    dec = FrameDecoder()
    got = dec.feed(garbage + b"\x00" + encode_frame(msg_type, seq, payload))
    assert got[-1] == Frame(msg_type, seq, payload)


@settings(deadline=None)
@given(u8, u8, any_payload, st.lists(st.integers(1, 300), min_size=1, max_size=20))
def test_frame_split_across_chunks(msg_type: int, seq: int, payload: bytes,
                                   sizes: list[int]) -> None:
    wire = encode_frame(msg_type, seq, payload) * 2
    dec, got, i = FrameDecoder(), [], 0
    for size in sizes * (len(wire) // len(sizes) + 1):
        got += dec.feed(wire[i : i + size])
        i += size
    assert got == [Frame(msg_type, seq, payload)] * 2 and dec.errors == 0


def _code_positions(enc: bytes) -> set[int]:
    pos, i = set(), 0
    while i < len(enc):
        pos.add(i)
        i += enc[i]
    return pos


@settings(deadline=None)
@given(u8, u8, any_payload, st.data())
def test_single_bit_flip_in_data_is_detected(msg_type: int, seq: int, payload: bytes,
                                             data: st.DataObject) -> None:
    wire = bytearray(encode_frame(msg_type, seq, payload))
    data_pos = [i for i in range(len(wire) - 1) if i not in _code_positions(bytes(wire[:-1]))]
    i = data.draw(st.sampled_from(data_pos))
    bit = data.draw(st.integers(0, 7))
    wire[i] ^= 1 << bit
    dec = FrameDecoder()
    assert dec.feed(bytes(wire)) == []
    assert dec.crc_errors == 1 or wire[i] == 0  # a flip to 0x00 cuts the frame in two
    assert dec.feed(encode_frame(1, 1, b"next")) == [Frame(1, 1, b"next")]


@pytest.mark.parametrize("vec", VECTORS["frames"], ids=lambda v: v["name"])
def test_every_single_bit_flip_of_vectors_is_detected(vec: dict) -> None:
    """No flip lets a corrupted frame through. (Flipping the redundant final
    ``01`` after a 0xFF block into 0x00 still yields the original frame.)"""
    wire = bytes.fromhex(vec["frame"])
    original = Frame(vec["type"], vec["seq"], bytes.fromhex(vec["payload"]))
    for i in range(len(wire) - 1):
        for bit in range(8):
            bad = bytearray(wire)
            bad[i] ^= 1 << bit
            assert FrameDecoder().feed(bytes(bad)) in ([], [original]), (i, bit)


def test_crc_error_is_counted_not_raised() -> None:
    wire = bytearray(encode_frame(2, 3, b"abc"))
    wire[3] ^= 0x01
    with pytest.raises(CRCError):
        decode_frame(bytes(wire[:-1]))
    dec = FrameDecoder()
    assert dec.feed(bytes(wire)) == [] and dec.crc_errors == 1 and dec.frames == 0


# ------------------------------------------------------------------ committed vectors
def test_codec_reproduces_committed_vectors() -> None:
    assert load_vectors_tool().build_vectors() == VECTORS


def test_vectors_file_is_in_canonical_form() -> None:
    tool = load_vectors_tool()
    assert (Path(__file__).parent / "vectors.json").read_text() == tool.to_json(VECTORS)


@pytest.mark.parametrize("vec", VECTORS["frames"], ids=lambda v: v["name"])
def test_frame_vectors_decode(vec: dict) -> None:
    frames = FrameDecoder().feed(bytes.fromhex(vec["frame"]))
    assert frames == [Frame(vec["type"], vec["seq"], bytes.fromhex(vec["payload"]))]


def test_stream_vectors() -> None:
    for vec in VECTORS["streams"]:
        dec = FrameDecoder()
        frames = dec.feed(bytes.fromhex(vec["input"]))
        assert [(f.msg_type, f.seq, f.payload.hex()) for f in frames] == [
            (f["type"], f["seq"], f["payload"]) for f in vec["frames"]]
        assert (dec.crc_errors, dec.framing_errors, dec.oversize) == (
            vec["crc_errors"], vec["framing_errors"], vec["oversize"])


def test_protocol_md_worked_example() -> None:
    text = (ROOT / "hardware" / "PROTOCOL.md").read_text()
    block = text.split("<!-- worked-example")[1].split("<!-- /worked-example -->")[0]
    raw = bytes.fromhex(re.search(r"raw\s*:\s*([0-9a-f ]+)", block).group(1))  # type: ignore[union-attr]
    wire = bytes.fromhex(re.search(r"on wire:\s*([0-9a-f ]+)", block).group(1))  # type: ignore[union-attr]
    example = next(v for v in VECTORS["frames"] if v["name"] == "msg:state_example")
    assert wire.hex() == example["frame"]
    assert raw[2:-2].hex() == example["payload"] and raw[:2] == bytes((0x82, 7))
    assert cobs_encode(raw) + b"\x00" == wire
    assert len(wire) == 35 and len(raw) - 4 == 29


# ------------------------------------------------------------------ delimiter before every frame
def test_a_leading_delimiter_keeps_line_noise_off_the_next_frame() -> None:
    noise, wire = b"\x13\x37", encode_frame(0x83, 9, b"\x05")
    undelimited = FrameDecoder()
    assert undelimited.feed(noise + wire) == []  # the noise became part of the frame
    dec = FrameDecoder()
    assert dec.feed(noise + b"\x00" + wire) == [Frame(0x83, 9, b"\x05")]
    assert (dec.framing_errors, dec.crc_errors, dec.frames) == (1, 0, 1)  # only the noise lost


def test_empty_frames_are_idle_bytes_not_errors() -> None:
    dec = FrameDecoder()
    wire = encode_frame(0x83, 1, b"\x05")
    assert dec.feed(b"\x00" * 5 + wire + b"\x00\x00" + wire) == [Frame(0x83, 1, b"\x05")] * 2
    assert dec.errors == 0 and dec.frames == 2
