/* Run the firmware in simavr with its UART on a pty, for end-to-end tests.
 *
 *   simavr_harness build/s2r-fw.elf      prints "PTY /dev/pts/N", then runs forever
 *
 * Commands on stdin, one per line (answers on stdout):
 *   arm N / pend N    move that encoder by N quadrature counts (sign = direction),
 *                     one edge every 20 us of simulated time
 *   estop 0|1         e-stop input: 1 = switch open (pressed)
 *   fault 0|1         driver nFAULT: 1 = fault (pin low)
 *   pwm               prints "PWM ocr1a=<n> com1a1=<0|1> dir=<0|1> sleep=<0|1>"
 *
 * Build: make -C hardware/firmware sim (needs libsimavr-dev, libsimavrparts1). */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avr_ioport.h"
#include "parts/uart_pty.h"
#include "sim_avr.h"
#include "sim_elf.h"

#define REG_PORTB 0x25
#define REG_TCCR1A 0x80
#define REG_OCR1AL 0x88
#define REG_OCR1AH 0x89

static avr_t *avr;
static avr_irq_t *pin_d[8], *pin_b[8];

struct encoder {
    int shift;         /* PD bit of line A; B is the next bit */
    long pending;      /* counts still to emit */
    int state;         /* 0..3 position in the Gray sequence */
    avr_cycle_count_t next;
};

/* Lines idle high (pull-ups): both encoders start at Gray position 2, A = B = 1. */
static struct encoder enc[2] = {{2, 0, 2, 0}, {4, 0, 2, 0}};
static const int GRAY_A[4] = {0, 1, 1, 0}, GRAY_B[4] = {0, 0, 1, 1};  /* A leads B */

/* Input levels, applied again once the firmware has set its pull-ups. */
static int estop_level = 0, fault_level = 1;

static void apply_inputs(void)
{
    avr_ioport_external_t ext;
    ext.name = 'B';
    ext.mask = 0x18;
    ext.value = (unsigned long)(estop_level << 4 | fault_level << 3);
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL('B'), &ext);
    /* toggle so that the level reaches PINB even if simavr thinks it is unchanged */
    avr_raise_irq(pin_b[4], !estop_level);
    avr_raise_irq(pin_b[4], estop_level);
    avr_raise_irq(pin_b[3], !fault_level);
    avr_raise_irq(pin_b[3], fault_level);
}

static void encoder_step(struct encoder *e)
{
    int dir = e->pending > 0 ? 1 : -1;
    e->state = (e->state + dir + 4) & 3;
    e->pending -= dir;
    avr_raise_irq(pin_d[e->shift], GRAY_A[e->state]);
    avr_raise_irq(pin_d[e->shift + 1], GRAY_B[e->state]);
    e->next = avr->cycle + 320;  /* 20 us at 16 MHz */
}

static void command(char *line)
{
    long n = 0;
    if (sscanf(line, "arm %ld", &n) == 1) {
        enc[0].pending += n;
    } else if (sscanf(line, "pend %ld", &n) == 1) {
        enc[1].pending += n;
    } else if (sscanf(line, "estop %ld", &n) == 1) {
        estop_level = n ? 1 : 0;
        apply_inputs();
    } else if (sscanf(line, "fault %ld", &n) == 1) {
        fault_level = n ? 0 : 1;
        apply_inputs();
    } else if (strncmp(line, "pwm", 3) == 0) {
        printf("PWM ocr1a=%d com1a1=%d dir=%d sleep=%d\n",
               avr->data[REG_OCR1AL] | avr->data[REG_OCR1AH] << 8,
               (avr->data[REG_TCCR1A] >> 7) & 1, avr->data[REG_PORTB] & 1,
               (avr->data[REG_PORTB] >> 2) & 1);
    } else {
        printf("ERR unknown command: %s", line);
    }
    fflush(stdout);
}

static void poll_stdin(void)
{
    static char line[128];
    static size_t len;
    struct pollfd p = {0, POLLIN, 0};
    char c;
    while (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP))) {
        if (read(0, &c, 1) != 1)
            exit(0);  /* stdin closed: the test is over */
        if (len < sizeof line - 1)
            line[len++] = c;
        if (c == '\n') {
            line[len] = 0;
            command(line);
            len = 0;
        }
    }
}

int main(int argc, char **argv)
{
    elf_firmware_t fw;
    uart_pty_t uart;
    unsigned long loops = 0;
    int i, settled = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s firmware.elf\n", argv[0]);
        return 2;
    }
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0)
        return 2;
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr)
        return 2;
    avr_init(avr);
    fw.frequency = 16000000;
    avr_load_firmware(avr, &fw);
    avr->log = 0;
    for (i = 0; i < 8; i++) {
        pin_d[i] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), i);
        pin_b[i] = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), i);
    }
    apply_inputs();
    uart_pty_init(avr, &uart);
    uart_pty_connect(&uart, '0');
    printf("PTY %s\n", uart.pty.slavename);
    fflush(stdout);
    for (;;) {
        int state = avr_run(avr);
        if (!settled && avr->cycle > 16000 * 2) {  /* 2 ms: io_init() has run */
            apply_inputs();
            settled = 1;
        }
        if (state == cpu_Done || state == cpu_Crashed) {
            printf("CPU stopped: %d\n", state);
            return 1;
        }
        for (i = 0; i < 2; i++)
            if (enc[i].pending && avr->cycle >= enc[i].next)
                encoder_step(&enc[i]);
        if (++loops % 4096 == 0)
            poll_stdin();
    }
}
