/* The device side of the protocol for the furuta pendulum: request handling, safety
 * state machine (enable, e-stop, watchdog, limits) and the DEVICE_INFO description.
 *
 * Portable C99 (no AVR headers) so that `make host-test` exercises it on the host.
 * The platform (main.c on the AVR, test_protocol.c on the host) fills the inputs,
 * calls device_handle() for each valid frame and device_tick() at a fixed rate,
 * and applies `output` to the actuators (it is 0 whenever ENABLED is clear).
 *
 *   device_t dev; device_init(&dev);
 *   n = device_handle(&dev, type, seq, payload, len, micros(), wire);  // send wire[0..n)
 */
#ifndef S2R_DEVICE_H
#define S2R_DEVICE_H

#include <stdint.h>

#include "protocol.h"

#define FIRMWARE_VERSION "s2r-fw 0.1.0"
#define DEV_N_JOINTS 2        /* 0 arm (driven), 1 pendulum (passive) */
#define DEV_N_ACTIONS 1       /* arm motor voltage */
#define DEV_N_SENSORS 1       /* arm motor current */
#define ENCODER_CPR 2048      /* 512 lines x 4 (quadrature) */
#define DEFAULT_WATCHDOG_MS 100
#define MAX_WATCHDOG_MS 60000u
#define RATE_HINT_HZ 500
#define DEV_MAX_REPLY 128     /* largest reply payload (DEVICE_INFO is 106 bytes) */

typedef struct {
    /* inputs, kept current by the platform */
    float pos[DEV_N_JOINTS];      /* rad */
    float vel[DEV_N_JOINTS];      /* rad/s */
    float sensors[DEV_N_SENSORS];
    uint8_t estop_input;          /* e-stop switch open (or wire broken) */
    uint8_t fault_input;          /* motor driver reports a fault */
    /* output: the action to apply now, 0 unless ENABLED */
    float output[DEV_N_ACTIONS];
    /* state */
    uint16_t flags;               /* enum proto_flag */
    uint8_t cmd_seq;
    uint8_t handshaken;
    uint8_t rx_error;
    uint16_t watchdog_ms;
    uint32_t last_cmd_us;
} device_t;

extern const proto_device_info_t DEVICE_INFO;

void device_init(device_t *d);

/* Handle one valid frame received at now_us; writes the reply frame (wire bytes,
 * delimiter included) into out[PROTO_MAX_WIRE] and returns its size. */
size_t device_handle(device_t *d, uint8_t type, uint8_t seq, const uint8_t *payload,
                     size_t len, uint32_t now_us, uint8_t *out);

/* Safety checks (e-stop and fault inputs, watchdog, limits); call at a fixed rate. */
void device_tick(device_t *d, uint32_t now_us);

/* The receiver dropped a frame: reported once as RX_ERROR in the next STATE. */
void device_rx_error(device_t *d);

/* Provided by the platform: RESET HOME, declare the current pose to be zero. */
void platform_home(device_t *d);

#endif
