/* Host test of protocol.c and device.c against the Python codec's vectors.
 * Built and run by `make host-test`; prints "host-test: N checks passed". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "protocol.h"

struct crc_vec { const uint8_t *data; size_t len; uint16_t crc; };
struct cobs_vec { const uint8_t *raw; size_t raw_len; const uint8_t *enc; size_t enc_len; };
struct frame_vec {
    const char *name; uint8_t type, seq; const uint8_t *payload; size_t plen;
    const uint8_t *frame; size_t flen;
};
struct stream_frame { uint8_t type, seq; const uint8_t *payload; size_t plen; };
struct stream_vec {
    const char *name; const uint8_t *input; size_t len; const struct stream_frame *frames;
    size_t n_frames; unsigned crc_errors, framing_errors, oversize;
};

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int checks, failures;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)

static const struct frame_vec *vec(const char *name)
{
    size_t i;
    for (i = 0; i < COUNT(FRAME_VECS); i++)
        if (strcmp(FRAME_VECS[i].name, name) == 0)
            return &FRAME_VECS[i];
    printf("FAIL: no vector %s\n", name);
    failures++;
    return &FRAME_VECS[0];
}

static int same(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Feed bytes; return the number of valid frames, the last one in *last. */
static int feed(proto_rx_t *rx, const uint8_t *p, size_t n, struct stream_frame *last)
{
    int frames = 0;
    while (n--) {
        if (proto_rx_feed(rx, *p++) == PROTO_RX_FRAME) {
            frames++;
            last->type = rx->type;
            last->seq = rx->seq;
            last->payload = rx->payload;
            last->plen = rx->payload_len;
        }
    }
    return frames;
}

static void test_codec(void)
{
    uint8_t out[1024], buf[1024];
    size_t i, j;
    for (i = 0; i < COUNT(CRC_VECS); i++)
        CHECK(proto_crc16(CRC_VECS[i].data, CRC_VECS[i].len, 0xFFFF) == CRC_VECS[i].crc,
              "crc vector %u", (unsigned)i);
    for (i = 0; i < COUNT(COBS_VECS); i++) {
        const struct cobs_vec *v = &COBS_VECS[i];
        size_t n = proto_cobs_encode(v->raw, v->raw_len, out);
        int m;
        CHECK(same(out, n, v->enc, v->enc_len), "cobs encode vector %u", (unsigned)i);
        memcpy(buf, v->enc, v->enc_len);
        m = proto_cobs_decode(buf, v->enc_len, buf);  /* in place */
        CHECK(m >= 0 && same(buf, (size_t)m, v->raw, v->raw_len), "cobs decode vector %u",
              (unsigned)i);
    }
    for (i = 0; i < COUNT(FRAME_VECS); i++) {
        const struct frame_vec *v = &FRAME_VECS[i];
        size_t n = proto_frame_encode(v->type, v->seq, v->payload, v->plen, out);
        proto_rx_t rx;
        struct stream_frame f;
        CHECK(same(out, n, v->frame, v->flen), "frame encode %s", v->name);
        proto_rx_init(&rx);
        CHECK(feed(&rx, v->frame, v->flen, &f) == 1 && f.type == v->type && f.seq == v->seq &&
              same(f.payload, f.plen, v->payload, v->plen), "frame decode %s", v->name);
        /* every single-bit flip: no frame other than the original gets through */
        for (j = 0; j + 1 < v->flen; j++) {
            unsigned bit;
            for (bit = 0; bit < 8; bit++) {
                int k;
                memcpy(buf, v->frame, v->flen);
                buf[j] ^= (uint8_t)(1u << bit);
                proto_rx_init(&rx);
                k = feed(&rx, buf, v->flen, &f);
                CHECK(k == 0 || (k == 1 && same(f.payload, f.plen, v->payload, v->plen)),
                      "bit flip %s byte %u bit %u", v->name, (unsigned)j, bit);
            }
        }
    }
    CHECK(proto_frame_encode(2, 0, buf, PROTO_MAX_PAYLOAD + 1, out) == 0, "oversize payload");
    for (i = 0; i < COUNT(STREAM_VECS); i++) {
        const struct stream_vec *s = &STREAM_VECS[i];
        proto_rx_t rx;
        size_t got = 0;
        proto_rx_init(&rx);
        for (j = 0; j < s->len; j++) {
            if (proto_rx_feed(&rx, s->input[j]) == PROTO_RX_FRAME) {
                const struct stream_frame *e = &s->frames[got < s->n_frames ? got : 0];
                CHECK(got < s->n_frames && rx.type == e->type && rx.seq == e->seq &&
                      same(rx.payload, rx.payload_len, e->payload, e->plen),
                      "%s frame %u", s->name, (unsigned)got);
                got++;
            }
        }
        CHECK(got == s->n_frames && rx.crc_errors == s->crc_errors &&
              rx.framing_errors == s->framing_errors && rx.oversize == s->oversize,
              "%s: %u frames, crc %u framing %u oversize %u", s->name, (unsigned)got,
              rx.crc_errors, rx.framing_errors, rx.oversize);
    }
}

static void test_messages(void)
{
    /* Field values of the msg:* vectors, as in hardware/firmware/tools/vectors.py. */
    static const float pos[] = {0.5f, -3.0f}, vel[] = {1.25f, 0.0f}, cur[] = {0.125f};
    const struct frame_vec *v;
    uint8_t buf[PROTO_MAX_PAYLOAD];
    size_t n;
    proto_state_t s;
    s.t_us = 123456; s.cmd_seq = 7; s.flags = PROTO_F_ENABLED | PROTO_F_CMD_VALID;
    s.n = 2; s.m = 1; s.pos = pos; s.vel = vel; s.sensors = cur;
    v = vec("msg:state_example");
    n = proto_pack_state(buf, &s);
    CHECK(same(buf, n, v->payload, v->plen), "pack STATE");
    v = vec("msg:device_info_furuta");
    n = proto_pack_device_info(buf, sizeof buf, &DEVICE_INFO);
    CHECK(same(buf, n, v->payload, v->plen), "firmware DEVICE_INFO = Python FURUTA_INFO");
    CHECK(proto_pack_device_info(buf, v->plen - 1, &DEVICE_INFO) == 0, "DEVICE_INFO cap");
    v = vec("msg:ack");
    n = proto_pack_ack(buf, PROTO_ENABLE);
    CHECK(same(buf, n, v->payload, v->plen), "pack ACK");
    v = vec("msg:nack");
    n = proto_pack_nack(buf, PROTO_ENABLE, PROTO_E_ESTOP_ACTIVE, "e-stop input asserted");
    CHECK(same(buf, n, v->payload, v->plen), "pack NACK");
    v = vec("msg:error");
    n = proto_pack_error(buf, PROTO_E_UNKNOWN_TYPE, "unknown type 0x42");
    CHECK(same(buf, n, v->payload, v->plen), "pack ERROR");
    v = vec("msg:command");
    CHECK(v->plen == 4 && proto_get_f32(v->payload) == 1.5f, "unpack COMMAND");
    v = vec("msg:command_2");
    CHECK(proto_get_f32(v->payload) == -5.0f && proto_get_f32(v->payload + 4) == 0.25f,
          "unpack COMMAND 2");
    v = vec("msg:hello");
    CHECK(proto_get_u16(v->payload) == PROTO_VERSION, "unpack HELLO");
    v = vec("msg:set_watchdog");
    CHECK(proto_get_u16(v->payload) == 250, "unpack SET_WATCHDOG");
    v = vec("msg:reset_state");
    CHECK(v->payload[0] == PROTO_RESET_STATE && proto_get_f32(v->payload + 1 + 4) == 3.0f &&
          proto_get_f32(v->payload + 1 + 12) == -1.0f, "unpack RESET STATE");
}

/* ---- device state machine ---- */
static int homed;
void platform_home(device_t *d)
{
    (void)d;
    homed++;
}

static device_t dev;
static uint8_t out[PROTO_MAX_WIRE];
static struct stream_frame reply;

/* Send a request, decode the reply with the receiver. */
static int request(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len, uint32_t now)
{
    static proto_rx_t rx;
    size_t n = device_handle(&dev, type, seq, payload, len, now, out);
    proto_rx_init(&rx);
    return feed(&rx, out, n, &reply) == 1 && reply.seq == seq;
}

static uint16_t state_flags(void) { return proto_get_u16(reply.payload + 5); }

static void test_device(void)
{
    uint8_t p[1 + 8 * DEV_N_JOINTS];
    const struct frame_vec *v;
    device_init(&dev);
    CHECK(request(PROTO_ENABLE, 3, NULL, 0, 0) && reply.type == PROTO_NACK &&
          proto_get_u16(reply.payload + 1) == PROTO_E_NO_HANDSHAKE, "ENABLE before HELLO");
    v = vec("msg:hello");
    CHECK(request(v->type, v->seq, v->payload, v->plen, 0), "HELLO reply");
    v = vec("msg:device_info_furuta");
    CHECK(same(out, v->flen, v->frame, v->flen), "DEVICE_INFO frame byte for byte");
    v = vec("msg:ack");
    CHECK(request(PROTO_ENABLE, 11, NULL, 0, 1000) && same(out, v->flen, v->frame, v->flen),
          "ENABLE -> ACK frame byte for byte");
    proto_put_f32(p, 1.5f);
    CHECK(request(PROTO_COMMAND, 7, p, 4, 2000) && reply.type == PROTO_STATE &&
          reply.plen == 29 && reply.payload[4] == 7 && proto_get_u32(reply.payload) == 2000 &&
          state_flags() == (PROTO_F_ENABLED | PROTO_F_CMD_VALID) && dev.output[0] == 1.5f,
          "COMMAND applied");
    proto_put_f32(p, 2.5f);
    CHECK(request(PROTO_COMMAND, 7, p, 4, 2500) && reply.type == PROTO_STATE &&
          reply.payload[4] == 7 && dev.output[0] == 1.5f && dev.last_cmd_us == 2000,
          "COMMAND resent with the seq in effect: answered, not applied again");
    proto_put_f32(p, 9.0f);
    CHECK(request(PROTO_COMMAND, 8, p, 4, 3000) && dev.output[0] == 5.0f &&
          (state_flags() & PROTO_F_SATURATED), "COMMAND clipped to +5 V");
    CHECK(request(PROTO_COMMAND, 9, p, 3, 3000) && reply.type == PROTO_ERROR &&
          proto_get_u16(reply.payload) == PROTO_E_BAD_LENGTH, "COMMAND bad length");
    proto_put_f32(p, NAN);
    CHECK(request(PROTO_COMMAND, 10, p, 4, 3000) && reply.type == PROTO_ERROR &&
          proto_get_u16(reply.payload) == PROTO_E_BAD_VALUE && dev.output[0] == 0.0f,
          "COMMAND NaN -> ERROR, output 0");
    device_tick(&dev, 3000 + 100000);
    CHECK(dev.flags & PROTO_F_ENABLED, "watchdog holds at exactly the timeout");
    device_tick(&dev, 3000 + 100001);
    CHECK(!(dev.flags & PROTO_F_ENABLED) && (dev.flags & PROTO_F_WATCHDOG_TRIPPED) &&
          dev.output[0] == 0.0f, "watchdog trips");
    proto_put_f32(p, 1.0f);
    CHECK(request(PROTO_COMMAND, 11, p, 4, 200000) && reply.payload[4] == 8 &&
          (state_flags() & PROTO_F_WATCHDOG_TRIPPED) && dev.output[0] == 0.0f,
          "COMMAND ignored while tripped, cmd_seq unchanged");
    CHECK(request(PROTO_ENABLE, 12, NULL, 0, 200000) && reply.type == PROTO_ACK &&
          !(dev.flags & PROTO_F_WATCHDOG_TRIPPED), "ENABLE clears the trip");
    proto_put_u16(p, 0);
    CHECK(request(PROTO_SET_WATCHDOG, 13, p, 2, 200000) && reply.type == PROTO_NACK,
          "SET_WATCHDOG 0 refused");
    proto_put_u16(p, 20);
    CHECK(request(PROTO_SET_WATCHDOG, 14, p, 2, 200000) && reply.type == PROTO_ACK &&
          dev.watchdog_ms == 20, "SET_WATCHDOG 20");
    device_tick(&dev, 200000 + 20001);
    CHECK(dev.flags & PROTO_F_WATCHDOG_TRIPPED, "new watchdog timeout applies");
    CHECK(request(PROTO_ENABLE, 15, NULL, 0, 300000) && reply.type == PROTO_ACK, "re-enable");
    dev.pos[0] = 2.6f;
    device_tick(&dev, 300001);
    CHECK((dev.flags & PROTO_F_LIMIT_HIT) && !(dev.flags & PROTO_F_ENABLED), "limit trips");
    CHECK(request(PROTO_ENABLE, 16, NULL, 0, 300002) && reply.type == PROTO_NACK &&
          proto_get_u16(reply.payload + 1) == PROTO_E_LIMIT_ACTIVE, "ENABLE outside limits");
    dev.pos[0] = 0.0f;
    dev.estop_input = 1;
    v = vec("msg:nack");
    CHECK(request(PROTO_ENABLE, 11, NULL, 0, 300003) && same(out, v->flen, v->frame, v->flen),
          "ENABLE with e-stop input -> NACK frame byte for byte");
    dev.estop_input = 0;
    CHECK(request(PROTO_ENABLE, 17, NULL, 0, 300004) && reply.type == PROTO_ACK, "enable");
    CHECK(request(PROTO_ESTOP, 18, NULL, 0, 300005) && reply.type == PROTO_ACK &&
          (dev.flags & PROTO_F_ESTOP) && !(dev.flags & PROTO_F_ENABLED), "ESTOP latches");
    device_tick(&dev, 300006);
    CHECK(request(PROTO_STATE_REQUEST, 19, NULL, 0, 300007) && (state_flags() & PROTO_F_ESTOP),
          "ESTOP reported");
    p[0] = PROTO_RESET_HOME;
    CHECK(request(PROTO_RESET, 20, p, 1, 300008) && reply.type == PROTO_ACK && homed == 1 &&
          !(dev.flags & (PROTO_F_ESTOP | PROTO_F_LIMIT_HIT | PROTO_F_CMD_VALID)),
          "RESET HOME clears latches");
    memset(p, 0, sizeof p);
    p[0] = PROTO_RESET_STATE;
    CHECK(request(PROTO_RESET, 21, p, 17, 300009) && reply.type == PROTO_NACK &&
          proto_get_u16(reply.payload + 1) == PROTO_E_UNSUPPORTED, "RESET STATE unsupported");
    CHECK(request(PROTO_RESET, 21, p, 0, 300009) && reply.type == PROTO_ERROR &&
          proto_get_u16(reply.payload) == PROTO_E_BAD_LENGTH, "RESET empty -> ERROR BAD_LENGTH");
    proto_put_f32(p + 5, NAN);
    CHECK(request(PROTO_RESET, 21, p, 17, 300009) && reply.type == PROTO_ERROR &&
          proto_get_u16(reply.payload) == PROTO_E_BAD_VALUE, "RESET STATE NaN -> ERROR");
    p[0] = 2;
    CHECK(request(PROTO_RESET, 21, p, 1, 300009) && reply.type == PROTO_ERROR &&
          proto_get_u16(reply.payload) == PROTO_E_BAD_VALUE, "RESET mode 2 -> ERROR BAD_VALUE");
    memset(p, 0, sizeof p);
    dev.fault_input = 1;
    device_tick(&dev, 300010);
    CHECK((dev.flags & PROTO_F_FAULT) && request(PROTO_ENABLE, 22, NULL, 0, 300011) &&
          proto_get_u16(reply.payload + 1) == PROTO_E_FAULT_ACTIVE, "fault refuses ENABLE");
    dev.fault_input = 0;
    device_rx_error(&dev);
    CHECK(request(PROTO_STATE_REQUEST, 23, NULL, 0, 1) && (state_flags() & PROTO_F_RX_ERROR),
          "RX_ERROR reported");
    CHECK(request(PROTO_STATE_REQUEST, 24, NULL, 0, 2) && !(state_flags() & PROTO_F_RX_ERROR),
          "RX_ERROR reported once");
    v = vec("msg:error");
    CHECK(request(0x42, 15, NULL, 0, 3) && same(out, v->flen, v->frame, v->flen),
          "unknown type -> ERROR frame byte for byte");
    CHECK(request(PROTO_DISABLE, 25, p, 1, 4) && reply.type == PROTO_ERROR,
          "DISABLE with payload -> ERROR");
}

int main(void)
{
    test_codec();
    test_messages();
    test_device();
    if (failures) {
        printf("host-test: %d of %d checks FAILED\n", failures, checks);
        return 1;
    }
    printf("host-test: %d checks passed\n", checks);
    return 0;
}
