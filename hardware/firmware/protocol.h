/* s2r serial protocol, version 1: framing and message packing (see ../PROTOCOL.md).
 *
 * Portable C99, no AVR headers: the same file is built for the ATmega328P and,
 * by `make host-test`, for the host, where test_protocol.c checks it byte for
 * byte against the vectors produced by the Python codec.
 *
 *   uint8_t wire[PROTO_MAX_WIRE];
 *   size_t n = proto_frame_encode(PROTO_ENABLE, seq, NULL, 0, wire);  // 6 bytes
 *
 *   proto_rx_t rx; proto_rx_init(&rx);
 *   if (proto_rx_feed(&rx, byte) == PROTO_RX_FRAME) handle(rx.type, rx.seq, rx.payload, rx.payload_len);
 */
#ifndef S2R_PROTOCOL_H
#define S2R_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_MAX_FRAME 256                      /* raw: type, seq, payload, crc */
#define PROTO_MAX_PAYLOAD (PROTO_MAX_FRAME - 4)
#define PROTO_MAX_ENCODED (PROTO_MAX_FRAME + 2)  /* COBS of MAX_FRAME, no delimiter */
#define PROTO_MAX_WIRE (PROTO_MAX_ENCODED + 1)
#define PROTO_MAX_TEXT 64

enum proto_type {
    PROTO_HELLO = 0x01, PROTO_COMMAND = 0x02, PROTO_STATE_REQUEST = 0x03, PROTO_RESET = 0x04,
    PROTO_ENABLE = 0x05, PROTO_DISABLE = 0x06, PROTO_ESTOP = 0x07, PROTO_SET_WATCHDOG = 0x08,
    PROTO_DEVICE_INFO = 0x81, PROTO_STATE = 0x82, PROTO_ACK = 0x83, PROTO_NACK = 0x84,
    PROTO_ERROR = 0x85
};

enum proto_flag {
    PROTO_F_ENABLED = 0x0001, PROTO_F_WATCHDOG_TRIPPED = 0x0002, PROTO_F_ESTOP = 0x0004,
    PROTO_F_LIMIT_HIT = 0x0008, PROTO_F_FAULT = 0x0010, PROTO_F_SATURATED = 0x0020,
    PROTO_F_RX_ERROR = 0x0040, PROTO_F_CMD_VALID = 0x0080
};

enum proto_code {
    PROTO_E_UNKNOWN_TYPE = 1, PROTO_E_BAD_LENGTH = 2, PROTO_E_BAD_VALUE = 3,
    PROTO_E_UNSUPPORTED = 4, PROTO_E_NO_HANDSHAKE = 5, PROTO_E_ESTOP_ACTIVE = 6,
    PROTO_E_FAULT_ACTIVE = 7, PROTO_E_LIMIT_ACTIVE = 8
};

enum proto_unit {
    PROTO_UNIT_NONE = 0, PROTO_UNIT_VOLT = 1, PROTO_UNIT_AMPERE = 2, PROTO_UNIT_NEWTON = 3,
    PROTO_UNIT_NEWTON_METRE = 4, PROTO_UNIT_DUTY = 5
};

enum proto_kind { PROTO_REVOLUTE = 0, PROTO_PRISMATIC = 1 };

enum proto_reset_mode { PROTO_RESET_HOME = 0, PROTO_RESET_STATE = 1 };

/* ---- checksum and byte stuffing ---- */

/* CRC-16/CCITT-FALSE: poly 0x1021, start with crc = 0xFFFF. crc("123456789") = 0x29B1. */
uint16_t proto_crc16(const uint8_t *data, size_t len, uint16_t crc);

/* COBS-encode len bytes into out (room for len + len/254 + 1), no delimiter; returns size. */
size_t proto_cobs_encode(const uint8_t *in, size_t len, uint8_t *out);

/* COBS-decode; out may equal in. Returns the decoded size, or -1 if invalid. */
int proto_cobs_decode(const uint8_t *in, size_t len, uint8_t *out);

/* Build one frame on the wire (delimiter included) into out[PROTO_MAX_WIRE].
 * Returns its size, or 0 if len > PROTO_MAX_PAYLOAD. */
size_t proto_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                          uint8_t *out);

/* ---- streaming receiver ---- */

enum proto_rx_result {
    PROTO_RX_NONE = 0,     /* byte consumed, nothing complete */
    PROTO_RX_FRAME,        /* a valid frame: see type, seq, payload, payload_len */
    PROTO_RX_CRC,          /* a frame was dropped: CRC mismatch */
    PROTO_RX_FRAMING,      /* ... invalid COBS or shorter than 4 bytes */
    PROTO_RX_OVERSIZE      /* ... longer than PROTO_MAX_FRAME */
};

typedef struct {
    uint8_t buf[PROTO_MAX_ENCODED];
    uint16_t len;
    uint8_t skipping;             /* inside an oversize frame, waiting for 0x00 */
    uint8_t type, seq;            /* of the last valid frame */
    const uint8_t *payload;       /* points into buf, valid until the next feed */
    uint16_t payload_len;
    uint16_t frames, crc_errors, framing_errors, oversize;  /* wrap around */
} proto_rx_t;

void proto_rx_init(proto_rx_t *rx);
int proto_rx_feed(proto_rx_t *rx, uint8_t byte);

/* ---- little-endian fields ---- */

uint8_t *proto_put_u16(uint8_t *p, uint16_t v);
uint8_t *proto_put_u32(uint8_t *p, uint32_t v);
uint8_t *proto_put_f32(uint8_t *p, float v);
uint16_t proto_get_u16(const uint8_t *p);
uint32_t proto_get_u32(const uint8_t *p);
float proto_get_f32(const uint8_t *p);

/* ---- message payloads (device side); each returns the payload size ---- */

typedef struct {
    uint32_t t_us;
    uint8_t cmd_seq;
    uint16_t flags;
    uint8_t n, m;
    const float *pos, *vel, *sensors;
} proto_state_t;

typedef struct {
    const char *name;
    uint8_t kind;                 /* enum proto_kind */
    float pos_lo, pos_hi, vel_limit, act_lo, act_hi;
    uint8_t unit;                 /* enum proto_unit; NONE = passive joint */
    uint32_t counts_per_rev;
} proto_joint_info_t;

typedef struct {
    const char *name;
    uint8_t unit;
} proto_sensor_info_t;

typedef struct {
    const char *firmware, *robot;
    uint16_t rate_hint_hz, watchdog_ms;
    uint8_t n_joints, n_sensors;
    const proto_joint_info_t *joints;
    const proto_sensor_info_t *sensors;
} proto_device_info_t;

size_t proto_pack_state(uint8_t *buf, const proto_state_t *s);   /* 9 + 8n + 4m bytes */
/* Returns 0 if the payload would exceed cap. */
size_t proto_pack_device_info(uint8_t *buf, size_t cap, const proto_device_info_t *info);
size_t proto_pack_ack(uint8_t *buf, uint8_t request);
size_t proto_pack_nack(uint8_t *buf, uint8_t request, uint16_t code, const char *text);
size_t proto_pack_error(uint8_t *buf, uint16_t code, const char *text);

#endif
