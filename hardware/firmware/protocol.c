/* s2r serial protocol: CRC, COBS, frames, streaming receiver, payload packing.
 * Portable C99; see protocol.h and ../PROTOCOL.md. */
#include "protocol.h"

#include <string.h>

typedef char proto_float_is_32_bits[sizeof(float) == 4 ? 1 : -1];

uint16_t proto_crc16(const uint8_t *data, size_t len, uint16_t crc)
{
    /* Byte-wise CRC-CCITT without a table (no 512-byte table in the AVR's 2 KiB RAM). */
    while (len--) {
        uint16_t x = (uint16_t)((crc >> 8) ^ *data++);
        x ^= x >> 4;
        crc = (uint16_t)((crc << 8) ^ (x << 12) ^ (x << 5) ^ x);
    }
    return crc;
}

/* Streaming COBS writer (Cheshire & Baker): out[code_at] receives each block's code. */
typedef struct {
    uint8_t *out;
    size_t w, code_at;
    uint8_t code;
} cobs_writer_t;

static void cw_init(cobs_writer_t *c, uint8_t *out)
{
    c->out = out;
    c->code_at = 0;
    c->w = 1;
    c->code = 1;
}

static void cw_put(cobs_writer_t *c, uint8_t b)
{
    if (b == 0) {
        c->out[c->code_at] = c->code;
        c->code_at = c->w++;
        c->code = 1;
        return;
    }
    c->out[c->w++] = b;
    if (++c->code == 0xFF) {
        c->out[c->code_at] = 0xFF;
        c->code_at = c->w++;
        c->code = 1;
    }
}

static size_t cw_finish(cobs_writer_t *c)
{
    c->out[c->code_at] = c->code;
    return c->w;
}

size_t proto_cobs_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    cobs_writer_t c;
    cw_init(&c, out);
    while (len--)
        cw_put(&c, *in++);
    return cw_finish(&c);
}

int proto_cobs_decode(const uint8_t *in, size_t len, uint8_t *out)
{
    /* In place is safe: the write index never passes the read index. */
    size_t i = 0, w = 0;
    if (len == 0)
        return -1;
    for (;;) {
        uint8_t code = in[i];
        size_t k, j = i + code;
        if (code == 0 || j > len)
            return -1;
        for (k = i + 1; k < j; k++) {
            if (in[k] == 0)
                return -1;
            out[w++] = in[k];
        }
        if (j == len)
            return (int)w;
        if (code != 0xFF)
            out[w++] = 0;
        i = j;
    }
}

size_t proto_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len,
                          uint8_t *out)
{
    cobs_writer_t c;
    uint8_t head[2];
    uint16_t crc;
    size_t n;
    if (len > PROTO_MAX_PAYLOAD)
        return 0;
    head[0] = type;
    head[1] = seq;
    crc = proto_crc16(head, 2, 0xFFFF);
    crc = proto_crc16(payload, len, crc);
    cw_init(&c, out);
    cw_put(&c, type);
    cw_put(&c, seq);
    while (len--)
        cw_put(&c, *payload++);
    cw_put(&c, (uint8_t)(crc & 0xFF));
    cw_put(&c, (uint8_t)(crc >> 8));
    n = cw_finish(&c);
    out[n] = 0;
    return n + 1;
}

void proto_rx_init(proto_rx_t *rx)
{
    memset(rx, 0, sizeof *rx);
}

int proto_rx_feed(proto_rx_t *rx, uint8_t byte)
{
    int n;
    if (byte != 0) {
        if (rx->skipping)
            return PROTO_RX_NONE;
        if (rx->len == PROTO_MAX_ENCODED) {
            rx->len = 0;
            rx->skipping = 1;
            rx->oversize++;
            return PROTO_RX_OVERSIZE;
        }
        rx->buf[rx->len++] = byte;
        return PROTO_RX_NONE;
    }
    if (rx->skipping || rx->len == 0) {  /* end of an oversize frame, or idle 0x00 */
        rx->skipping = 0;
        return PROTO_RX_NONE;
    }
    n = proto_cobs_decode(rx->buf, rx->len, rx->buf);
    rx->len = 0;
    if (n < 4) {
        rx->framing_errors++;
        return PROTO_RX_FRAMING;
    }
    if (n > PROTO_MAX_FRAME) {
        rx->oversize++;
        return PROTO_RX_OVERSIZE;
    }
    if (proto_crc16(rx->buf, (size_t)n - 2, 0xFFFF) != proto_get_u16(rx->buf + n - 2)) {
        rx->crc_errors++;
        return PROTO_RX_CRC;
    }
    rx->type = rx->buf[0];
    rx->seq = rx->buf[1];
    rx->payload = rx->buf + 2;
    rx->payload_len = (uint16_t)(n - 4);
    rx->frames++;
    return PROTO_RX_FRAME;
}

uint8_t *proto_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

uint8_t *proto_put_u32(uint8_t *p, uint32_t v)
{
    p = proto_put_u16(p, (uint16_t)v);
    return proto_put_u16(p, (uint16_t)(v >> 16));
}

uint8_t *proto_put_f32(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return proto_put_u32(p, u);
}

uint16_t proto_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

uint32_t proto_get_u32(const uint8_t *p)
{
    return proto_get_u16(p) | (uint32_t)proto_get_u16(p + 2) << 16;
}

float proto_get_f32(const uint8_t *p)
{
    uint32_t u = proto_get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

size_t proto_pack_state(uint8_t *buf, const proto_state_t *s)
{
    uint8_t *p = proto_put_u32(buf, s->t_us);
    uint8_t i;
    *p++ = s->cmd_seq;
    p = proto_put_u16(p, s->flags);
    *p++ = s->n;
    *p++ = s->m;
    for (i = 0; i < s->n; i++)
        p = proto_put_f32(p, s->pos[i]);
    for (i = 0; i < s->n; i++)
        p = proto_put_f32(p, s->vel[i]);
    for (i = 0; i < s->m; i++)
        p = proto_put_f32(p, s->sensors[i]);
    return (size_t)(p - buf);
}

/* Append str8; returns NULL when it does not fit before end. */
static uint8_t *put_str8(uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);
    if (n > 255 || p + 1 + n > end)
        return NULL;
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

size_t proto_pack_device_info(uint8_t *buf, size_t cap, const proto_device_info_t *info)
{
    const uint8_t *end = buf + cap;
    uint8_t *p = buf;
    uint8_t i;
    if (cap < 2)
        return 0;
    p = proto_put_u16(p, PROTO_VERSION);
    if (!(p = put_str8(p, end, info->firmware)) || !(p = put_str8(p, end, info->robot)) ||
        p + 6 > end)
        return 0;
    p = proto_put_u16(p, info->rate_hint_hz);
    p = proto_put_u16(p, info->watchdog_ms);
    *p++ = info->n_joints;
    *p++ = info->n_sensors;
    for (i = 0; i < info->n_joints; i++) {
        const proto_joint_info_t *j = &info->joints[i];
        if (!(p = put_str8(p, end, j->name)) || p + 26 > end)
            return 0;
        *p++ = j->kind;
        p = proto_put_f32(p, j->pos_lo);
        p = proto_put_f32(p, j->pos_hi);
        p = proto_put_f32(p, j->vel_limit);
        p = proto_put_f32(p, j->act_lo);
        p = proto_put_f32(p, j->act_hi);
        *p++ = j->unit;
        p = proto_put_u32(p, j->counts_per_rev);
    }
    for (i = 0; i < info->n_sensors; i++) {
        if (!(p = put_str8(p, end, info->sensors[i].name)) || p + 1 > end)
            return 0;
        *p++ = info->sensors[i].unit;
    }
    return (size_t)(p - buf);
}

size_t proto_pack_ack(uint8_t *buf, uint8_t request)
{
    buf[0] = request;
    return 1;
}

/* Text cut to PROTO_MAX_TEXT bytes (device texts are ASCII). */
static size_t put_text(uint8_t *p, const char *text)
{
    size_t n = strlen(text);
    if (n > PROTO_MAX_TEXT)
        n = PROTO_MAX_TEXT;
    memcpy(p, text, n);
    return n;
}

size_t proto_pack_nack(uint8_t *buf, uint8_t request, uint16_t code, const char *text)
{
    buf[0] = request;
    proto_put_u16(buf + 1, code);
    return 3 + put_text(buf + 3, text);
}

size_t proto_pack_error(uint8_t *buf, uint16_t code, const char *text)
{
    proto_put_u16(buf, code);
    return 2 + put_text(buf + 2, text);
}
