"""The emulator's firmware state machine against PROTOCOL.md, without I/O (fast)."""

from __future__ import annotations

import math
import struct

import pytest

from hardware.codec import Frame, FrameDecoder
from hardware.emulator.describe import device_info_for
from hardware.emulator.firmware import Firmware
from hardware.messages import (
    Ack,
    DeviceInfo,
    ErrorCode,
    ErrorMsg,
    JointInfo,
    MsgType,
    Nack,
    SensorInfo,
    State,
    StatusFlags,
    Unit,
    check_device_info,
    expected_from_spec,
    parse,
    to_wire,
)
from s2r.sim import SimRobot

F = StatusFlags
ARM = JointInfo("arm", position_limits=(-2.3, 2.3), velocity_limit=30.0,
                action_limits=(-5.0, 5.0), action_unit=Unit.VOLT, counts_per_rev=2048)
INFO = DeviceInfo("s2r-emu test", "furuta", (ARM, JointInfo("pendulum", velocity_limit=60.0)),
                  (SensorInfo("current.arm", Unit.AMPERE),), 100, 100)


class Dev:
    """A firmware plus a seq counter and the replies it gave, each checked to encode."""

    def __init__(self, *, can_set_state: bool = True) -> None:
        self.homed = 0
        self.states: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
        self.fw = Firmware(INFO, home=self._home,
                           set_state=self._set if can_set_state else None)
        self.seq = 0
        self.now_us = 0

    def _home(self) -> None:
        self.homed += 1

    def _set(self, q: tuple[float, ...], qd: tuple[float, ...]) -> None:
        self.states.append((q, qd))

    def send(self, msg_type: int, payload: bytes = b"", dt_us: int = 1000):  # noqa: ANN201
        self.seq = (self.seq + 1) % 256
        self.now_us += dt_us
        reply = self.fw.handle(Frame(msg_type, self.seq, payload), self.now_us)
        wire = to_wire(reply, self.seq)  # every reply is a valid frame
        assert parse(FrameDecoder().feed(wire)[0]).encode() == reply.encode()
        return reply

    def command(self, *u: float, dt_us: int = 10_000) -> State:
        reply = self.send(MsgType.COMMAND, struct.pack(f"<{len(u)}f", *u), dt_us)
        assert isinstance(reply, State)
        return reply

    def ready(self) -> None:
        assert isinstance(self.send(MsgType.HELLO, b"\x01\x00"), DeviceInfo)
        assert self.send(MsgType.ENABLE) == Ack(MsgType.ENABLE)


def nack(reply: object, code: ErrorCode) -> bool:
    return isinstance(reply, Nack) and reply.code == code


def error(reply: object, code: ErrorCode) -> bool:
    return isinstance(reply, ErrorMsg) and reply.code == code


def test_device_info_from_spec_passes_the_host_check() -> None:
    with SimRobot("furuta") as robot:
        info = device_info_for(robot.spec, counts_per_rev=2048, watchdog_ms=50)
        check_device_info(info, "furuta", expected_from_spec(robot.spec),
                          expected_sensors=robot.spec.sensors)
    # device backstops sit outside the host's guards (+-2.3 rad, 30 rad/s), like the firmware's
    assert info.joints[0].position_limits == pytest.approx((-2.5, 2.5))
    assert info.joints[0].velocity_limit == pytest.approx(40.0)
    assert info.joints[1].position_limits == (-math.inf, math.inf)
    assert [j.counts_per_rev for j in info.joints] == [2048, 2048]
    assert info.sensors == (SensorInfo("current.arm", Unit.AMPERE),)
    assert (info.rate_hint_hz, info.watchdog_ms) == (100, 50)
    assert info.firmware.startswith("s2r-emu")
    with SimRobot("cartpole") as robot:  # prismatic joints are not rotary encoders
        assert [j.counts_per_rev for j in device_info_for(robot.spec, counts_per_rev=2048)
                .joints] == [0, 2048]


def test_handshake_then_enable() -> None:
    dev = Dev()
    assert nack(dev.send(MsgType.ENABLE), ErrorCode.NO_HANDSHAKE)
    assert error(dev.send(MsgType.HELLO, b"\x01"), ErrorCode.BAD_LENGTH)
    info = dev.send(MsgType.HELLO, b"\x07\x00any client")  # any version gets DEVICE_INFO
    assert isinstance(info, DeviceInfo) and info.robot == "furuta"
    assert dev.send(MsgType.ENABLE) == Ack(MsgType.ENABLE)
    assert dev.fw.enabled and dev.fw.output == (0.0,)


def test_command_applies_clips_and_echoes_seq_only_when_enabled() -> None:
    dev = Dev()
    dev.send(MsgType.HELLO, b"\x01\x00")
    state = dev.command(1.0)  # not enabled: nothing applied
    assert dev.fw.output == (0.0,) and F.CMD_VALID not in state.flags and state.cmd_seq == 0
    dev.send(MsgType.ENABLE)
    state = dev.command(9.0)
    assert dev.fw.output == (5.0,) and state.cmd_seq == dev.seq
    assert state.flags & (F.ENABLED | F.CMD_VALID | F.SATURATED) == F.ENABLED | F.CMD_VALID | \
        F.SATURATED
    state = dev.command(-1.5)
    assert dev.fw.output == (-1.5,) and F.SATURATED not in state.flags
    assert dev.fw.counters["saturated"] == 1 and dev.fw.counters["commands_applied"] == 2


def test_bad_commands_are_errors_and_nan_zeroes_the_output() -> None:
    dev = Dev()
    dev.ready()
    dev.command(2.0)
    assert error(dev.send(MsgType.COMMAND, b"\x00\x00"), ErrorCode.BAD_LENGTH)
    assert dev.fw.output == (2.0,)
    assert error(dev.send(MsgType.COMMAND, struct.pack("<f", math.nan)), ErrorCode.BAD_VALUE)
    assert dev.fw.output == (0.0,)
    for payload in (b"x", b"\x00\x00\x00\x00\x00"):
        for t in (MsgType.STATE_REQUEST, MsgType.ENABLE, MsgType.DISABLE, MsgType.ESTOP):
            assert error(dev.send(t, payload), ErrorCode.BAD_LENGTH)
    for t in (0x00, 0x09, 0x42, MsgType.STATE, MsgType.ACK):
        reply = dev.send(t)
        assert error(reply, ErrorCode.UNKNOWN_TYPE) and f"0x{t:02x}" in reply.text


def test_estop_latches_until_enable_or_reset() -> None:
    dev = Dev()
    dev.ready()
    dev.command(3.0)
    assert dev.send(MsgType.ESTOP) == Ack(MsgType.ESTOP)
    state = dev.command(3.0)
    applied = state.cmd_seq
    assert dev.fw.output == (0.0,) and F.ESTOP in state.flags and F.ENABLED not in state.flags
    assert dev.command(3.0).cmd_seq == applied  # refused: nothing applied
    assert dev.send(MsgType.ENABLE) == Ack(MsgType.ENABLE)
    assert F.ESTOP not in dev.command(1.0).flags and dev.fw.output == (1.0,)
    dev.send(MsgType.ESTOP)
    assert dev.send(MsgType.RESET, b"\x00") == Ack(MsgType.RESET) and dev.homed == 1
    assert F.ESTOP not in dev.fw.flags and F.CMD_VALID not in dev.fw.flags
    assert not dev.fw.enabled  # RESET disables; ENABLE is needed again


def test_estop_and_fault_inputs_refuse_enable_while_present() -> None:
    dev = Dev()
    dev.ready()
    dev.fw.estop_input = True
    dev.fw.tick(dev.now_us)
    assert F.ESTOP in dev.fw.flags and not dev.fw.enabled
    assert nack(dev.send(MsgType.ENABLE), ErrorCode.ESTOP_ACTIVE)
    dev.send(MsgType.RESET, b"\x00")
    assert F.ESTOP in dev.fw.flags  # its cause is still present
    dev.fw.estop_input = False
    dev.fw.fault_input = True
    dev.fw.tick(dev.now_us)
    assert nack(dev.send(MsgType.ENABLE), ErrorCode.FAULT_ACTIVE) and F.FAULT in dev.fw.flags
    dev.fw.fault_input = False
    assert dev.send(MsgType.ENABLE) == Ack(MsgType.ENABLE)
    assert not dev.fw.flags & (F.ESTOP | F.FAULT)


def test_watchdog_trips_without_command_and_is_cleared_by_enable_or_reset() -> None:
    dev = Dev()
    dev.ready()  # armed from ENABLE
    dev.fw.tick(dev.now_us + 100_000)
    assert dev.fw.enabled  # exactly the timeout: not yet
    dev.fw.tick(dev.now_us + 100_001)
    assert F.WATCHDOG_TRIPPED in dev.fw.flags and not dev.fw.enabled
    assert dev.fw.counters["watchdog_trips"] == 1
    dev.send(MsgType.ENABLE)
    assert F.WATCHDOG_TRIPPED not in dev.fw.flags
    dev.command(1.0, dt_us=0)
    for _ in range(20):  # commands every 10 ms keep it fed; STATE_REQUEST does not
        dev.command(1.0)
        dev.fw.tick(dev.now_us + 9_000)
    assert dev.fw.enabled
    dev.send(MsgType.STATE_REQUEST, dt_us=60_000)
    dev.send(MsgType.STATE_REQUEST, dt_us=60_000)
    dev.fw.tick(dev.now_us)
    assert F.WATCHDOG_TRIPPED in dev.fw.flags and dev.fw.output == (0.0,)
    dev.send(MsgType.RESET, b"\x00")
    assert F.WATCHDOG_TRIPPED not in dev.fw.flags


def test_watchdog_is_off_while_disabled_and_settable() -> None:
    dev = Dev()
    dev.send(MsgType.HELLO, b"\x01\x00")
    dev.fw.tick(10**9)
    assert not dev.fw.flags
    assert nack(dev.send(MsgType.SET_WATCHDOG, b"\x00\x00"), ErrorCode.BAD_VALUE)
    assert nack(dev.send(MsgType.SET_WATCHDOG, struct.pack("<H", 60001)), ErrorCode.BAD_VALUE)
    assert error(dev.send(MsgType.SET_WATCHDOG, b"\x05"), ErrorCode.BAD_LENGTH)
    assert dev.send(MsgType.SET_WATCHDOG, struct.pack("<H", 20)) == Ack(MsgType.SET_WATCHDOG)
    assert dev.send(MsgType.HELLO, b"\x01\x00").watchdog_ms == 20
    dev.send(MsgType.ENABLE)
    dev.fw.tick(dev.now_us + 20_001)
    assert F.WATCHDOG_TRIPPED in dev.fw.flags


def test_limits_latch_and_refuse_enable() -> None:
    dev = Dev()
    dev.ready()
    dev.fw.measure((2.4, 0.0), (0.0, 0.0), (0.0,))
    dev.fw.tick(dev.now_us)
    assert F.LIMIT_HIT in dev.fw.flags and not dev.fw.enabled
    assert nack(dev.send(MsgType.ENABLE), ErrorCode.LIMIT_ACTIVE)
    dev.fw.measure((0.0, 100.0), (0.0, 61.0), (0.0,))  # pendulum too fast
    assert nack(dev.send(MsgType.ENABLE), ErrorCode.LIMIT_ACTIVE)
    dev.fw.measure((0.0, 100.0), (0.0, 59.0), (0.0,))  # no position limit on the pendulum
    assert dev.send(MsgType.ENABLE) == Ack(MsgType.ENABLE) and F.LIMIT_HIT not in dev.fw.flags


def test_reset_home_state_and_bad_resets() -> None:
    dev = Dev()
    # a RESET that does not decode gets ERROR, like any undecodable request
    assert error(dev.send(MsgType.RESET), ErrorCode.BAD_LENGTH)
    assert error(dev.send(MsgType.RESET, b"\x02"), ErrorCode.BAD_VALUE)
    assert error(dev.send(MsgType.RESET, b"\x00\x00"), ErrorCode.BAD_LENGTH)
    assert error(dev.send(MsgType.RESET, b"\x01" + bytes(8)), ErrorCode.BAD_LENGTH)
    nan = struct.pack("<4f", 0.0, math.nan, 0.0, 0.0)
    assert error(dev.send(MsgType.RESET, b"\x01" + nan), ErrorCode.BAD_VALUE)
    assert dev.states == [] and dev.homed == 0
    good = struct.pack("<4f", 0.5, 3.0, 0.0, -1.0)
    assert dev.send(MsgType.RESET, b"\x01" + good) == Ack(MsgType.RESET)
    assert dev.states == [((0.5, 3.0), (0.0, -1.0))]
    hw = Dev(can_set_state=False)
    assert nack(hw.send(MsgType.RESET, b"\x01" + good), ErrorCode.UNSUPPORTED)


def test_rx_error_is_reported_once_and_bad_measurements_are_a_fault() -> None:
    dev = Dev()
    dev.fw.rx_error()
    assert F.RX_ERROR in dev.send(MsgType.STATE_REQUEST).flags
    assert F.RX_ERROR not in dev.send(MsgType.STATE_REQUEST).flags
    dev.ready()
    dev.fw.measure((0.0, math.inf), (0.0, 0.0), (math.nan,))
    state = dev.send(MsgType.STATE_REQUEST)
    assert F.FAULT in state.flags and not dev.fw.enabled and state.positions == (0.0, 0.0)


@pytest.mark.parametrize("now_us", [2**32 - 5, 2**32 + 7])
def test_state_time_wraps_at_32_bits(now_us: int) -> None:
    assert Dev().fw.state(now_us).t_us == now_us % 2**32


def test_a_command_resent_under_the_seq_in_effect_is_answered_not_applied() -> None:
    dev = Dev()
    dev.ready()
    first = dev.command(1.5)
    fed = dev.fw.last_feed_us
    resent = dev.fw.handle(Frame(MsgType.COMMAND, dev.seq, struct.pack("<f", 4.0)),
                           dev.now_us + 5000)
    assert isinstance(resent, State) and resent.cmd_seq == first.cmd_seq == dev.seq
    assert dev.fw.output == (1.5,) and dev.fw.last_feed_us == fed  # not applied, not fed
    assert dev.fw.counters["commands_resent"] == 1 and dev.fw.counters["commands_applied"] == 1
    assert dev.command(2.0).cmd_seq == dev.seq and dev.fw.output == (2.0,)  # a new seq applies
