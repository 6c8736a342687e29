/* Device state machine of the s2r protocol for the furuta pendulum (see device.h). */
#include "device.h"

#include <math.h>
#include <string.h>

static const proto_joint_info_t JOINTS[DEV_N_JOINTS] = {
    /* name, kind, position lo/hi (rad), velocity limit (rad/s), action lo/hi, unit, counts/rev */
    {"arm", PROTO_REVOLUTE, -2.5f, 2.5f, 40.0f, -5.0f, 5.0f, PROTO_UNIT_VOLT, ENCODER_CPR},
    {"pendulum", PROTO_REVOLUTE, -INFINITY, INFINITY, 80.0f, 0.0f, 0.0f, PROTO_UNIT_NONE,
     ENCODER_CPR},
};

static const proto_sensor_info_t SENSORS[DEV_N_SENSORS] = {{"current.arm", PROTO_UNIT_AMPERE}};

const proto_device_info_t DEVICE_INFO = {
    FIRMWARE_VERSION, "furuta", RATE_HINT_HZ, DEFAULT_WATCHDOG_MS,
    DEV_N_JOINTS, DEV_N_SENSORS, JOINTS, SENSORS,
};

/* Joint driven by each action, in joint order. */
static const uint8_t ACTION_JOINT[DEV_N_ACTIONS] = {0};

#define LATCHED (PROTO_F_WATCHDOG_TRIPPED | PROTO_F_ESTOP | PROTO_F_LIMIT_HIT | PROTO_F_FAULT)

static uint8_t reply[DEV_MAX_REPLY];

void device_init(device_t *d)
{
    memset(d, 0, sizeof *d);
    d->watchdog_ms = DEFAULT_WATCHDOG_MS;
}

static void disable(device_t *d)
{
    uint8_t i;
    d->flags &= (uint16_t)~PROTO_F_ENABLED;
    for (i = 0; i < DEV_N_ACTIONS; i++)
        d->output[i] = 0.0f;
}

static uint8_t outside_limits(const device_t *d)
{
    uint8_t i;
    for (i = 0; i < DEV_N_JOINTS; i++) {
        const proto_joint_info_t *j = &JOINTS[i];
        if (!(d->pos[i] >= j->pos_lo && d->pos[i] <= j->pos_hi) ||
            !(fabsf(d->vel[i]) <= j->vel_limit))
            return 1;  /* NaN counts as outside */
    }
    return 0;
}

static size_t send(uint8_t type, uint8_t seq, size_t len, uint8_t *out)
{
    return proto_frame_encode(type, seq, reply, len, out);
}

static size_t ack(uint8_t request, uint8_t seq, uint8_t *out)
{
    return send(PROTO_ACK, seq, proto_pack_ack(reply, request), out);
}

static size_t nack(uint8_t request, uint8_t seq, uint16_t code, const char *text, uint8_t *out)
{
    return send(PROTO_NACK, seq, proto_pack_nack(reply, request, code, text), out);
}

static size_t error(uint8_t seq, uint16_t code, const char *text, uint8_t *out)
{
    return send(PROTO_ERROR, seq, proto_pack_error(reply, code, text), out);
}

static size_t state(device_t *d, uint8_t seq, uint32_t now_us, uint8_t *out)
{
    proto_state_t s;
    s.t_us = now_us;
    s.cmd_seq = d->cmd_seq;
    s.flags = (uint16_t)(d->flags | (d->rx_error ? PROTO_F_RX_ERROR : 0));
    s.n = DEV_N_JOINTS;
    s.m = DEV_N_SENSORS;
    s.pos = d->pos;
    s.vel = d->vel;
    s.sensors = d->sensors;
    d->rx_error = 0;
    return send(PROTO_STATE, seq, proto_pack_state(reply, &s), out);
}

static size_t command(device_t *d, uint8_t seq, const uint8_t *p, size_t len, uint32_t now_us,
                      uint8_t *out)
{
    float u[DEV_N_ACTIONS];
    uint8_t i, saturated = 0;
    if (len != 4 * DEV_N_ACTIONS)
        return error(seq, PROTO_E_BAD_LENGTH, "COMMAND needs 4 bytes per action", out);
    for (i = 0; i < DEV_N_ACTIONS; i++) {
        u[i] = proto_get_f32(p + 4 * i);
        if (!isfinite(u[i])) {
            for (i = 0; i < DEV_N_ACTIONS; i++)
                d->output[i] = 0.0f;
            return error(seq, PROTO_E_BAD_VALUE, "COMMAND value not finite", out);
        }
    }
    if ((d->flags & PROTO_F_CMD_VALID) && seq == d->cmd_seq)
        return state(d, seq, now_us, out);  /* a resend of the command in effect: not again */
    if (d->flags & PROTO_F_ENABLED) {
        for (i = 0; i < DEV_N_ACTIONS; i++) {
            const proto_joint_info_t *j = &JOINTS[ACTION_JOINT[i]];
            if (u[i] < j->act_lo || u[i] > j->act_hi) {
                u[i] = u[i] < j->act_lo ? j->act_lo : j->act_hi;
                saturated = 1;
            }
            d->output[i] = u[i];
        }
        d->flags = (uint16_t)((d->flags & ~PROTO_F_SATURATED) | PROTO_F_CMD_VALID |
                              (saturated ? PROTO_F_SATURATED : 0));
        d->cmd_seq = seq;
        d->last_cmd_us = now_us;
    }
    return state(d, seq, now_us, out);
}

static size_t enable(device_t *d, uint8_t seq, uint32_t now_us, uint8_t *out)
{
    if (!d->handshaken)
        return nack(PROTO_ENABLE, seq, PROTO_E_NO_HANDSHAKE, "send HELLO first", out);
    if (d->estop_input)
        return nack(PROTO_ENABLE, seq, PROTO_E_ESTOP_ACTIVE, "e-stop input asserted", out);
    if (d->fault_input)
        return nack(PROTO_ENABLE, seq, PROTO_E_FAULT_ACTIVE, "motor driver fault", out);
    if (outside_limits(d))
        return nack(PROTO_ENABLE, seq, PROTO_E_LIMIT_ACTIVE, "a joint is outside its limits",
                    out);
    disable(d);  /* zero output */
    d->flags = (uint16_t)((d->flags & ~LATCHED) | PROTO_F_ENABLED);
    d->last_cmd_us = now_us;
    return ack(PROTO_ENABLE, seq, out);
}

static size_t reset(device_t *d, uint8_t seq, const uint8_t *p, size_t len, uint8_t *out)
{
    uint8_t i;
    if (len == 0)
        return error(seq, PROTO_E_BAD_LENGTH, "RESET needs a mode byte", out);
    if (p[0] > PROTO_RESET_STATE)
        return error(seq, PROTO_E_BAD_VALUE, "RESET mode must be 0 or 1", out);
    if (p[0] == PROTO_RESET_STATE) {
        if (len != 1 + 8 * DEV_N_JOINTS)
            return error(seq, PROTO_E_BAD_LENGTH, "RESET STATE needs 1+8n bytes", out);
        for (i = 0; i < 2 * DEV_N_JOINTS; i++)
            if (!isfinite(proto_get_f32(p + 1 + 4 * i)))
                return error(seq, PROTO_E_BAD_VALUE, "RESET state not finite", out);
        return nack(PROTO_RESET, seq, PROTO_E_UNSUPPORTED, "hardware cannot set a state", out);
    }
    if (len != 1)
        return error(seq, PROTO_E_BAD_LENGTH, "RESET HOME needs 1 byte", out);
    disable(d);
    platform_home(d);
    d->flags &= (uint16_t)~(PROTO_F_WATCHDOG_TRIPPED | PROTO_F_LIMIT_HIT | PROTO_F_SATURATED |
                            PROTO_F_CMD_VALID);
    if (!d->estop_input)
        d->flags &= (uint16_t)~PROTO_F_ESTOP;
    if (!d->fault_input)
        d->flags &= (uint16_t)~PROTO_F_FAULT;
    return ack(PROTO_RESET, seq, out);
}

static const char HEX[] = "0123456789abcdef";

size_t device_handle(device_t *d, uint8_t type, uint8_t seq, const uint8_t *payload,
                     size_t len, uint32_t now_us, uint8_t *out)
{
    uint16_t ms;
    size_t n;
    if (type == PROTO_COMMAND)
        return command(d, seq, payload, len, now_us, out);
    if (type == PROTO_HELLO) {
        if (len < 2)
            return error(seq, PROTO_E_BAD_LENGTH, "HELLO needs a protocol version", out);
        disable(d);
        d->flags &= (uint16_t)~PROTO_F_CMD_VALID;
        d->handshaken = 1;
        proto_device_info_t info = DEVICE_INFO;
        info.watchdog_ms = d->watchdog_ms;
        n = proto_pack_device_info(reply, sizeof reply, &info);
        return send(PROTO_DEVICE_INFO, seq, n, out);
    }
    if (type == PROTO_RESET)
        return reset(d, seq, payload, len, out);
    if (type == PROTO_SET_WATCHDOG) {
        if (len != 2)
            return error(seq, PROTO_E_BAD_LENGTH, "SET_WATCHDOG needs 2 bytes", out);
        ms = proto_get_u16(payload);
        if (ms == 0 || ms > MAX_WATCHDOG_MS)
            return nack(type, seq, PROTO_E_BAD_VALUE, "watchdog must be 1..60000 ms", out);
        d->watchdog_ms = ms;
        return ack(type, seq, out);
    }
    if (type == PROTO_STATE_REQUEST || type == PROTO_ENABLE || type == PROTO_DISABLE ||
        type == PROTO_ESTOP) {
        if (len != 0)
            return error(seq, PROTO_E_BAD_LENGTH, "payload must be empty", out);
        if (type == PROTO_STATE_REQUEST)
            return state(d, seq, now_us, out);
        if (type == PROTO_ENABLE)
            return enable(d, seq, now_us, out);
        disable(d);
        if (type == PROTO_ESTOP)
            d->flags |= PROTO_F_ESTOP;
        return ack(type, seq, out);
    }
    {
        char text[] = "unknown type 0x??";
        text[15] = HEX[type >> 4];
        text[16] = HEX[type & 15];
        return error(seq, PROTO_E_UNKNOWN_TYPE, text, out);
    }
}

void device_tick(device_t *d, uint32_t now_us)
{
    if (d->estop_input) {
        d->flags |= PROTO_F_ESTOP;
        disable(d);
    }
    if (d->fault_input) {
        d->flags |= PROTO_F_FAULT;
        disable(d);
    }
    if (!(d->flags & PROTO_F_ENABLED))
        return;
    if ((uint32_t)(now_us - d->last_cmd_us) > (uint32_t)d->watchdog_ms * 1000u) {
        d->flags |= PROTO_F_WATCHDOG_TRIPPED;
        disable(d);
    } else if (outside_limits(d)) {
        d->flags |= PROTO_F_LIMIT_HIT;
        disable(d);
    }
}

void device_rx_error(device_t *d)
{
    d->rx_error = 1;
}
