"""Messages: round trips, decode errors, vectors, and the handshake check."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware import messages as m
from hardware.codec import MAX_PAYLOAD, Frame, FrameDecoder
from s2r.errors import ProtocolError
from s2r.robot import ActuatorSpec, JointSpec, RobotSpec

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((Path(__file__).parent / "vectors.json").read_text())

f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
f32s = st.lists(f32, max_size=12).map(tuple)
u8, u16, u32 = st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1)
text = st.text(max_size=20)
name = st.text(min_size=1, max_size=12)


def load_vectors_tool() -> ModuleType:
    path = ROOT / "hardware" / "firmware" / "tools" / "vectors.py"
    spec = importlib.util.spec_from_file_location("s2r_fw_vectors", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@st.composite
def states(draw: st.DrawFn) -> m.State:
    n = draw(st.integers(0, 8))
    q = tuple(draw(st.lists(f32, min_size=n, max_size=n)))
    qd = tuple(draw(st.lists(f32, min_size=n, max_size=n)))
    return m.State(draw(u32), draw(u8), m.StatusFlags(draw(st.integers(0, 0xFF))), q, qd,
                   draw(st.lists(f32, max_size=4).map(tuple)))


@st.composite
def resets(draw: st.DrawFn) -> m.Reset:
    if draw(st.booleans()):
        return m.Reset()
    n = draw(st.integers(0, 8))
    pair = st.lists(f32, min_size=n, max_size=n).map(tuple)
    return m.Reset(m.ResetMode.STATE, draw(pair), draw(pair))


limits = st.tuples(f32, f32).map(sorted).map(tuple)
joints = st.builds(m.JointInfo, name, st.sampled_from(m.JointKind), limits,
                   st.floats(0.125, 1e6, width=32), limits, st.sampled_from(m.Unit), u32)
infos = st.builds(m.DeviceInfo, text, text, st.lists(joints, max_size=4).map(tuple),
                  st.lists(st.builds(m.SensorInfo, name, st.sampled_from(m.Unit)),
                           max_size=3).map(tuple), u16, u16)

messages = st.one_of(
    st.builds(m.Hello, u16, text), infos, st.builds(m.Command, f32s),
    st.just(m.StateRequest()), states(), resets(), st.just(m.Enable()), st.just(m.Disable()),
    st.just(m.EStop()), st.builds(m.SetWatchdog, u16), st.builds(m.Ack, u8),
    st.builds(m.Nack, u8, u16, text), st.builds(m.ErrorMsg, u16, text),
)


@settings(deadline=None)  # no flaky deadlines on a loaded machine
@given(messages, u8)
def test_every_message_round_trips_through_the_wire(msg: m.Message, seq: int) -> None:
    if len(msg.encode()) > MAX_PAYLOAD:  # e.g. DEVICE_INFO with long UTF-8 names
        with pytest.raises(m.MessageError, match="more than a frame holds"):
            m.to_wire(msg, seq)
        return
    frames = FrameDecoder().feed(m.to_wire(msg, seq))
    assert [f.seq for f in frames] == [seq]
    assert m.parse(frames[0]) == msg


def test_every_message_type_has_a_class() -> None:
    assert set(m.MESSAGES) == set(m.MsgType)
    assert all(cls.TYPE == t for t, cls in m.MESSAGES.items())


@settings(deadline=None)
@given(st.sampled_from(sorted(m.MESSAGES)), st.binary(max_size=300))
def test_decoding_garbage_raises_only_protocol_errors(msg_type: int, payload: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        m.parse(Frame(msg_type, 0, payload))


@settings(deadline=None)
@given(infos)
def test_truncated_device_info_is_a_clear_error(info: m.DeviceInfo) -> None:
    payload = info.encode()
    for cut in range(len(payload)):
        with pytest.raises(m.MessageError, match="DEVICE_INFO"):
            m.DeviceInfo.decode(payload[:cut])
    with pytest.raises(m.MessageError, match="trailing"):
        m.DeviceInfo.decode(payload + b"\x00")


def test_decode_errors_name_type_and_problem() -> None:
    state = m.State(1, 2, m.StatusFlags.ENABLED, (1.0, 2.0), (0.0, 0.0), (0.5,))
    payload = state.encode()
    with pytest.raises(m.MessageError, match=r"STATE payload is 13 bytes, expected 29 \(9\+8\*n"):
        m.State.decode(payload[:13])
    with pytest.raises(m.MessageError, match="STATE is for 2 joints"):
        m.State.decode(payload, n=3)
    with pytest.raises(m.MessageError, match="COMMAND payload is 4 bytes, expected 8"):
        m.Command.decode(m.Command((1.0,)).encode(), n_actions=2)
    with pytest.raises(m.MessageError, match="COMMAND contains a non-finite"):
        m.Command.decode(m.Command((math.nan,)).encode())
    with pytest.raises(m.MessageError, match="RESET mode must be 0"):
        m.Reset.decode(b"\x07")
    with pytest.raises(m.MessageError, match="ENABLE payload is 1 bytes, expected 0"):
        m.Enable.decode(b"\x01")
    with pytest.raises(m.MessageError, match="unknown message type 0x42"):
        m.parse(Frame(0x42, 0, b""))
    with pytest.raises(m.HandshakeError, match="protocol version 2"):
        m.DeviceInfo.decode(b"\x02\x00" + m.DeviceInfo("x", "y", ()).encode()[2:])


def test_long_texts_are_cut_at_a_character_boundary() -> None:
    nack = m.Nack.decode(m.Nack(5, 6, "é" * 40).encode())
    assert nack.text == "é" * 32


def test_reserved_status_bits_are_kept() -> None:
    state = m.State.decode(m.State(0, 0, m.StatusFlags(0x8001), (), ()).encode())
    assert int(state.flags) == 0x8001 and m.StatusFlags.ENABLED in state.flags


def test_unwrap_us() -> None:
    t, out = None, []
    for raw in (2**32 - 3, 2**32 - 1, 2, 1000):
        t = m.unwrap_us(raw, t)
        out.append(t)
    assert out == [2**32 - 3, 2**32 - 1, 2**32 + 2, 2**32 + 1000]


@pytest.mark.parametrize("vec", [v for v in VECTORS["frames"] if v["name"].startswith("msg:")],
                         ids=lambda v: v["name"])
def test_message_vectors(vec: dict) -> None:
    tool = load_vectors_tool()
    msg = {n: msg for n, msg, _ in tool.MESSAGES}[vec["name"]]
    (frame,) = FrameDecoder().feed(bytes.fromhex(vec["frame"]))
    assert m.parse(frame) == msg and frame.msg_type == msg.TYPE


# ------------------------------------------------------------------ handshake
@pytest.fixture
def furuta_info() -> m.DeviceInfo:
    return load_vectors_tool().FURUTA_INFO  # type: ignore[no-any-return]


def furuta_spec() -> RobotSpec:
    """The furuta's RobotSpec from configs/robots/furuta.yaml, without starting PyBullet."""
    from s2r.sim.description import load_robot_description

    desc = load_robot_description("furuta")
    return RobotSpec(
        desc.name,
        tuple(JointSpec(j.name, "revolute", tuple(j.position_limits) if j.position_limits
                        else None, j.velocity_limit) for j in desc.joints),
        tuple(ActuatorSpec(a.joint, a.joint, a.type, a.low, a.high) for a in desc.actuators),
        desc.control_rate, tuple(desc.sensors))


def test_firmware_description_matches_the_furuta_config(furuta_info: m.DeviceInfo) -> None:
    spec = furuta_spec()
    m.check_device_info(furuta_info, spec.name, m.expected_from_spec(spec),
                        expected_sensors=spec.sensors)
    assert furuta_info.n_actions == spec.n_actions
    for joint, dev in zip(spec.joints, furuta_info.joints):  # device trips outside host guards
        if joint.position_limits:
            lo, hi = joint.position_limits
            assert dev.position_limits[0] <= lo and hi <= dev.position_limits[1]
        if joint.velocity_limit:
            assert joint.velocity_limit <= dev.velocity_limit
    assert spec.control_rate <= furuta_info.rate_hint_hz


def test_check_device_info_accepts_full_joint_infos(furuta_info: m.DeviceInfo) -> None:
    m.check_device_info(furuta_info, "furuta", furuta_info.joints)


@pytest.mark.parametrize(("change", "message"), [
    (lambda i: replace(i, robot="cartpole"), "robot name: expected 'furuta', got 'cartpole'"),
    (lambda i: replace(i, protocol_version=9), "protocol version: expected 1, got 9"),
    (lambda i: replace(i, joints=i.joints[:1]), "joint count: expected 2, got 1"),
    (lambda i: replace(i, joints=(replace(i.joints[0], name="base"), i.joints[1])),
     "joint 0 name: expected 'arm', got 'base'"),
    (lambda i: replace(i, joints=(replace(i.joints[0], action_unit=m.Unit.NEWTON_METRE),
                                  i.joints[1])),
     "joint 0 \\('arm'\\) action_unit: expected VOLT, got NEWTON_METRE"),
    (lambda i: replace(i, joints=(replace(i.joints[0], action_limits=(-12.0, 12.0)),
                                  i.joints[1])),
     "joint 0 \\('arm'\\) action_limits: expected \\(-5.0, 5.0\\), got \\(-12.0, 12.0\\)"),
    (lambda i: replace(i, sensors=()), "sensors: expected \\('current.arm',\\), got \\(\\)"),
])
def test_check_device_info_refuses_mismatch(furuta_info: m.DeviceInfo,
                                            change: Callable[[m.DeviceInfo], m.DeviceInfo],
                                            message: str) -> None:
    spec = furuta_spec()
    with pytest.raises(m.HandshakeError, match=message):
        m.check_device_info(change(furuta_info), "furuta", m.expected_from_spec(spec),
                            expected_sensors=spec.sensors)


def test_expected_from_spec_requires_actuators_in_joint_order() -> None:
    spec = furuta_spec()
    swapped = replace(spec, joints=spec.joints[::-1])
    assert [e.name for e in m.expected_from_spec(swapped)] == ["pendulum", "arm"]
    two = replace(spec, actuators=spec.actuators * 2)
    with pytest.raises(m.HandshakeError, match="joint order"):
        m.expected_from_spec(two)
