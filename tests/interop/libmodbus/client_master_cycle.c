/*
 * The anchor of the master benchmark: libmodbus's client doing one poll cycle after another,
 * each cycle reading COUNT holding registers from every slave in turn (a blocking client can only
 * ask one slave at a time), one connection per slave.
 *
 *   client_master_cycle CYCLES WARMUP COUNT PORT...
 *
 * Prints "p50_ns p99_ns mean_ns" of the cycles after the warm-up, on CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <modbus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s CYCLES WARMUP COUNT PORT...\n", argv[0]);
        return 2;
    }
    int cycles = atoi(argv[1]), warmup = atoi(argv[2]), count = atoi(argv[3]), slaves = argc - 4;
    modbus_t **ctx = calloc((size_t)slaves, sizeof *ctx);
    int64_t *samples = calloc((size_t)cycles, sizeof *samples);
    uint16_t registers[MODBUS_MAX_READ_REGISTERS];
    for (int s = 0; s < slaves; s++) {
        ctx[s] = modbus_new_tcp("127.0.0.1", atoi(argv[4 + s]));
        if (ctx[s] == NULL || modbus_set_slave(ctx[s], 1) == -1 || modbus_connect(ctx[s]) == -1) {
            fprintf(stderr, "connect to %s: %s\n", argv[4 + s], modbus_strerror(errno));
            return 1;
        }
    }
    for (int c = -warmup; c < cycles; c++) {
        int64_t start = now_ns();
        for (int s = 0; s < slaves; s++) {
            if (modbus_read_registers(ctx[s], 0, count, registers) != count) {
                fprintf(stderr, "read from %s: %s\n", argv[4 + s], modbus_strerror(errno));
                return 1;
            }
        }
        if (c >= 0) {
            samples[c] = now_ns() - start;
        }
    }
    qsort(samples, (size_t)cycles, sizeof *samples, compare);
    int64_t sum = 0;
    for (int c = 0; c < cycles; c++) {
        sum += samples[c];
    }
    printf("%lld %lld %lld\n", (long long)samples[(cycles - 1) / 2], (long long)samples[(cycles * 99 + 99) / 100 - 1], (long long)(sum / cycles));
    for (int s = 0; s < slaves; s++) {
        modbus_close(ctx[s]);
        modbus_free(ctx[s]);
    }
    return 0;
}
