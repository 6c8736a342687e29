/* s2r reference firmware for the furuta pendulum on an ATmega328P (avr-libc, no Arduino core).
 *
 * UART 1 Mbaud with interrupt-driven ring buffers; Timer2 as a 4 us clock; Timer1 as
 * 20 kHz PWM for the H-bridge; pin-change interrupts decode both quadrature encoders;
 * the AVR watchdog resets the chip if the main loop hangs. device.c does the protocol
 * and the safety state machine; this file only moves data between it and the pins. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include <math.h>
#include <util/atomic.h>

#include "board.h"
#include "device.h"
#include "protocol.h"

#define RX_SIZE 128u  /* powers of two */
#define TX_SIZE 128u
#define RAD_PER_COUNT (6.28318531f / ENCODER_CPR)
#define BYTES_PER_POLL 32

/* ---- reset cause: keep the watchdog from looping after a watchdog reset ---- */
void early_wdt_off(void) __attribute__((naked, used, section(".init3")));
void early_wdt_off(void)
{
    MCUSR = 0;
    wdt_disable();
}

/* ---- UART ---- */
static volatile uint8_t rx_buf[RX_SIZE], tx_buf[TX_SIZE];
static volatile uint8_t rx_head, rx_tail, tx_head, tx_tail, rx_lost;

ISR(USART_RX_vect)
{
    uint8_t status = UCSR0A, byte = UDR0, next = (uint8_t)((rx_head + 1) & (RX_SIZE - 1));
    if (status & ((1 << FE0) | (1 << DOR0)) || next == rx_tail) {
        rx_lost = 1;  /* the frame it belongs to will fail its CRC */
        if (next == rx_tail)
            return;
    }
    rx_buf[rx_head] = byte;
    rx_head = next;
}

ISR(USART_UDRE_vect)
{
    if (tx_head == tx_tail) {
        UCSR0B &= (uint8_t)~(1 << UDRIE0);
        return;
    }
    UDR0 = tx_buf[tx_tail];
    tx_tail = (uint8_t)((tx_tail + 1) & (TX_SIZE - 1));
}

static void uart_init(void)
{
    UCSR0A = 1 << U2X0;
    UBRR0 = (uint16_t)(F_CPU / (8UL * BAUD_RATE) - 1);
    UCSR0B = (1 << RXEN0) | (1 << TXEN0) | (1 << RXCIE0);
    UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);  /* 8N1 */
}

static int16_t uart_getc(void)
{
    uint8_t byte;
    if (rx_head == rx_tail)
        return -1;
    byte = rx_buf[rx_tail];
    rx_tail = (uint8_t)((rx_tail + 1) & (RX_SIZE - 1));
    return byte;
}

static void uart_write(const uint8_t *p, size_t n)
{
    while (n--) {
        uint8_t next = (uint8_t)((tx_head + 1) & (TX_SIZE - 1));
        while (next == tx_tail)
            wdt_reset();  /* full: ~1.3 ms to drain at 1 Mbaud */
        tx_buf[tx_head] = *p++;
        tx_head = next;
        UCSR0B |= 1 << UDRIE0;
    }
}

/* ---- clock: Timer2, prescaler 64 -> 4 us per count, overflow every 1.024 ms ---- */
static volatile uint32_t t2_overflows;

ISR(TIMER2_OVF_vect)
{
    t2_overflows++;
}

static uint32_t micros(void)
{
    uint32_t ovf;
    uint8_t count;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        ovf = t2_overflows;
        count = TCNT2;
        if ((TIFR2 & (1 << TOV2)) && count < 255)
            ovf++;  /* overflow pending, not yet counted */
    }
    return ((ovf << 8) + count) * 4u;  /* wraps at 2^32 us like the protocol's t_us */
}

/* ---- encoders: one pin-change interrupt for all four lines ---- */
static volatile int32_t enc_arm, enc_pend;
static uint8_t enc_prev;
static float last_pos[DEV_N_JOINTS];  /* at the previous 1 kHz sample */
/* index (previous AB << 2) | AB, with AB = B << 1 | A: +1 A leads B, -1 B leads A */
static const int8_t QDEC[16] = {0, 1, -1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 0, -1, 1, 0};

ISR(PCINT2_vect)
{
    uint8_t now = ENC_PORT_PIN;
    uint8_t a = (now >> ENC_ARM_SHIFT) & 3, pa = (enc_prev >> ENC_ARM_SHIFT) & 3;
    uint8_t p = (now >> ENC_PEND_SHIFT) & 3, pp = (enc_prev >> ENC_PEND_SHIFT) & 3;
    enc_arm += QDEC[(pa << 2) | a];
    enc_pend += QDEC[(pp << 2) | p];
    enc_prev = now;
}

void platform_home(device_t *d)
{
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        enc_arm = 0;
        enc_pend = 0;
    }
    d->pos[0] = d->pos[1] = d->vel[0] = d->vel[1] = 0.0f;
    last_pos[0] = last_pos[1] = 0.0f;
}

static void read_positions(device_t *d)
{
    int32_t arm, pend;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
        arm = enc_arm;
        pend = enc_pend;
    }
    d->pos[0] = (float)(ARM_ENC_SIGN * arm) * RAD_PER_COUNT;
    d->pos[1] = (float)(PEND_ENC_SIGN * pend) * RAD_PER_COUNT;
}

/* ---- motor ---- */
static void motor_apply(const device_t *d)
{
    uint16_t counts = 0;
    float duty = 0.0f;
    if (d->flags & PROTO_F_ENABLED) {
        duty = MOTOR_SIGN * d->output[0] / SUPPLY_VOLTS;
        if (duty > 1.0f)
            duty = 1.0f;
        if (duty < -1.0f)
            duty = -1.0f;
        counts = (uint16_t)(fabsf(duty) * (PWM_TOP + 1) + 0.5f);
        MOTOR_PORT |= 1 << MOTOR_SLEEP_BIT;
    } else {
        MOTOR_PORT &= (uint8_t)~(1 << MOTOR_SLEEP_BIT);  /* coast */
    }
    if (duty < 0.0f)
        MOTOR_PORT |= 1 << MOTOR_DIR_BIT;
    else
        MOTOR_PORT &= (uint8_t)~(1 << MOTOR_DIR_BIT);
    if (counts == 0) {
        TCCR1A &= (uint8_t)~(1 << COM1A1);  /* pin low, no 1-cycle spikes */
    } else {
        OCR1A = counts - 1;                 /* duty = (OCR1A + 1) / (TOP + 1) */
        TCCR1A |= 1 << COM1A1;
    }
}

static void io_init(void)
{
    MOTOR_PORT &= (uint8_t)~((1 << MOTOR_PWM_BIT) | (1 << MOTOR_DIR_BIT) | (1 << MOTOR_SLEEP_BIT));
    MOTOR_DDR |= (1 << MOTOR_PWM_BIT) | (1 << MOTOR_DIR_BIT) | (1 << MOTOR_SLEEP_BIT) |
                 (1 << LED_BIT);
    PORTB |= (1 << FAULT_BIT) | (1 << ESTOP_BIT);           /* pull-ups */
    PORTD |= 0x3C;                                          /* encoder pull-ups, PD2..PD5 */
    TCCR1A = 1 << WGM11;                                    /* fast PWM, TOP = ICR1 */
    TCCR1B = (1 << WGM13) | (1 << WGM12) | (1 << CS10);
    ICR1 = PWM_TOP;
    TCCR2A = 0;
    TCCR2B = 1 << CS22;                                     /* clk/64 */
    TIMSK2 = 1 << TOIE2;
    enc_prev = ENC_PORT_PIN;
    PCMSK2 = ENC_PCMSK;
    PCICR = 1 << PCIE2;
    ADMUX = (1 << REFS0) | CURRENT_ADC_CHANNEL;             /* AVcc reference */
    ADCSRA = (1 << ADEN) | (1 << ADSC) | (1 << ADATE) | 7;  /* free running, 125 kHz */
}

/* ---- 1 kHz sampling: velocities, current, inputs ---- */
static void sample(device_t *d, uint32_t now_us, uint32_t *last_us)
{
    float dt = (float)(now_us - *last_us) * 1e-6f;
    uint8_t i;
    read_positions(d);
    for (i = 0; i < DEV_N_JOINTS; i++) {
        float raw = (d->pos[i] - last_pos[i]) / dt;
        d->vel[i] = VEL_LPF_ALPHA * d->vel[i] + (1.0f - VEL_LPF_ALPHA) * raw;
        last_pos[i] = d->pos[i];
    }
    {
        float amps = (float)ADC * (ADC_VREF / 1023.0f) / CURRENT_V_PER_A;
        if (MOTOR_PORT & (1 << MOTOR_DIR_BIT))
            amps = -amps;  /* IPROPI is unsigned: sign from the drive direction */
        d->sensors[0] = CUR_LPF_ALPHA * d->sensors[0] + (1.0f - CUR_LPF_ALPHA) * amps;
    }
    d->estop_input = (ESTOP_PIN & (1 << ESTOP_BIT)) != 0;
    d->fault_input = (FAULT_PIN & (1 << FAULT_BIT)) == 0;
    *last_us = now_us;
}

static const uint8_t DELIMITER = 0;
static device_t dev;
static proto_rx_t rx;
static uint8_t wire[PROTO_MAX_WIRE];

int main(void)
{
    uint32_t next_tick, last_sample, ticks = 0;
    io_init();
    uart_init();
    device_init(&dev);
    proto_rx_init(&rx);
    sei();
    wdt_enable(WDTO_60MS);
    last_sample = micros();
    next_tick = last_sample + TICK_US;
    for (;;) {
        uint8_t budget = BYTES_PER_POLL;
        int16_t c;
        wdt_reset();
        while (budget-- && (c = uart_getc()) >= 0) {
            int r = proto_rx_feed(&rx, (uint8_t)c);
            if (r == PROTO_RX_FRAME) {
                uint32_t now = micros();
                size_t n;
                read_positions(&dev);
                n = device_handle(&dev, rx.type, rx.seq, rx.payload, rx.payload_len, now, wire);
                motor_apply(&dev);
                uart_write(&DELIMITER, 1);  /* 0x00 before every frame: cuts off line noise */
                uart_write(wire, n);
            } else if (r != PROTO_RX_NONE) {
                device_rx_error(&dev);
            }
        }
        if (rx_lost) {
            rx_lost = 0;
            device_rx_error(&dev);
        }
        if ((int32_t)(micros() - next_tick) >= 0) {
            uint32_t now = micros();
            next_tick += TICK_US;
            if ((int32_t)(now - next_tick) > (int32_t)(10 * TICK_US))
                next_tick = now + TICK_US;  /* fell far behind: do not burst */
            sample(&dev, now, &last_sample);
            device_tick(&dev, now);
            motor_apply(&dev);
            ticks++;
            if (dev.flags & PROTO_F_ENABLED)
                PORTB |= 1 << LED_BIT;
            else if (dev.flags & (PROTO_F_WATCHDOG_TRIPPED | PROTO_F_ESTOP | PROTO_F_LIMIT_HIT |
                                  PROTO_F_FAULT))
                PORTB = (uint8_t)((PORTB & ~(1 << LED_BIT)) | (((ticks >> 7) & 1) << LED_BIT));
            else
                PORTB &= (uint8_t)~(1 << LED_BIT);
        }
    }
}
