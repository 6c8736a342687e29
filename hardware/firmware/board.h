/* Pin map and electrical constants of the reference board: ATmega328P at 16 MHz
 * (Arduino Uno/Nano class), a PH/EN H-bridge (e.g. Pololu DRV8874 carrier in PH/EN
 * mode), two 512-line quadrature encoders. See README.md for the wiring table. */
#ifndef S2R_BOARD_H
#define S2R_BOARD_H

#include <avr/io.h>

#ifndef F_CPU
#define F_CPU 16000000UL
#endif
#ifndef BAUD_RATE
#define BAUD_RATE 1000000UL    /* U2X: UBRR = F_CPU / (8 * BAUD) - 1 = 1, exact at 16 MHz */
#endif

/* Encoders on PORTD, all four pins on one pin-change interrupt (PCINT2). */
#define ENC_PORT_PIN PIND
#define ENC_ARM_SHIFT 2        /* PD2 = arm A (D2), PD3 = arm B (D3) */
#define ENC_PEND_SHIFT 4       /* PD4 = pendulum A (D4), PD5 = pendulum B (D5) */
#define ENC_PCMSK ((1 << PCINT18) | (1 << PCINT19) | (1 << PCINT20) | (1 << PCINT21))
#define ARM_ENC_SIGN 1         /* flip to -1 if positive voltage turns the arm negative */
#define PEND_ENC_SIGN 1        /* counter-clockwise seen from the front is positive */

/* H-bridge: EN/PWM on OC1A = PB1 (D9), PH/DIR on PB0 (D8), nSLEEP on PB2 (D10). */
#define MOTOR_DDR DDRB
#define MOTOR_PORT PORTB
#define MOTOR_PWM_BIT PB1
#define MOTOR_DIR_BIT PB0
#define MOTOR_SLEEP_BIT PB2    /* low: driver asleep, outputs Hi-Z (coast); pull-down on board */
#define MOTOR_SIGN 1           /* flip to -1 to swap the motor leads in software */
#define PWM_TOP 799            /* 16 MHz / 800 = 20 kHz, inaudible; 800 duty steps */

/* Supply: duty = volts / SUPPLY_VOLTS. 12 V supply, commands limited to +-5 V, so the
 * duty never exceeds 5/12 = 42 %. Measure your supply and set this: it scales every
 * command the policy sends. */
#define SUPPLY_VOLTS 12.0f

/* Inputs with internal pull-ups on PORTB. */
#define FAULT_PIN PINB
#define FAULT_BIT PB3          /* D11: driver nFAULT, open drain, low = fault */
#define ESTOP_PIN PINB
#define ESTOP_BIT PB4          /* D12: normally-closed e-stop to GND; high = pressed or broken */
#define LED_BIT PB5            /* D13: on = enabled, blinking = latched stop */

/* Motor current: DRV8874 IPROPI on ADC0 (A0); 450 uA/A into 2.49 kOhm ~ 1.12 V/A. */
#define CURRENT_ADC_CHANNEL 0
#define CURRENT_V_PER_A 1.12f
#define ADC_VREF 5.0f

/* Sampling of encoders, velocity filter and safety checks. */
#define TICK_US 1000u          /* 1 kHz */
#define VEL_LPF_ALPHA 0.73f    /* first-order low-pass, exp(-2*pi*50 Hz*1 ms): 50 Hz cutoff */
#define CUR_LPF_ALPHA 0.73f

#endif
