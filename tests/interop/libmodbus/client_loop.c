/*
 * A libmodbus client loop against a Modbus slave: FC03 x 10 registers from address 0, as fast as
 * the slave answers, for a number of seconds, on one or more connections at once (one thread and
 * one modbus_t each). It first writes FIRST + i into holding register i (FC16), so it runs
 * against any slave with ten holding registers; then every answer is checked against that.
 *
 *   client_loop tcp HOST PORT SECONDS CONNECTIONS FIRST
 *   client_loop rtu TTY BAUD PARITY(N|E|O) UNIT SECONDS FIRST
 *
 * Prints one line: "requests N errors E seconds S rate R req/s", and exits 0 when every request
 * was answered with the expected values, 1 otherwise. The Bench target's slave-throughput case
 * runs this same loop against every slave it compares.
 */
#include <errno.h>
#include <modbus.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECTIONS_MAX 256
#define REGISTERS 10

struct worker {
    modbus_t *ctx;
    double seconds;
    int first;
    long requests;
    long errors;
    char error[160];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *argument)
{
    struct worker *w = argument;
    uint16_t values[REGISTERS];
    double end = now_seconds() + w->seconds;
    while (now_seconds() < end) {
        /* Check the clock every 64 requests only: the loop measures the slave, not clock_gettime. */
        for (int batch = 0; batch < 64; batch++) {
            w->requests++;
            if (modbus_read_registers(w->ctx, 0, REGISTERS, values) != REGISTERS) {
                w->errors++;
                snprintf(w->error, sizeof w->error, "read failed: %s", modbus_strerror(errno));
                continue;
            }
            for (int i = 0; i < REGISTERS; i++) {
                if (values[i] != (uint16_t)(w->first + i)) {
                    w->errors++;
                    snprintf(w->error, sizeof w->error, "register %d is %u, not %d", i, values[i], w->first + i);
                    break;
                }
            }
        }
    }
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: client_loop tcp HOST PORT SECONDS CONNECTIONS FIRST\n"
                    "       client_loop rtu TTY BAUD PARITY UNIT SECONDS FIRST\n");
    return 2;
}

static modbus_t *open_context(int argc, char **argv, double *seconds, int *connections, int *first)
{
    modbus_t *ctx = NULL;
    if (argc == 7 && strcmp(argv[1], "tcp") == 0) {
        ctx = modbus_new_tcp(argv[2], atoi(argv[3]));
        *seconds = atof(argv[4]);
        *connections = atoi(argv[5]);
        *first = atoi(argv[6]);
    } else if (argc == 8 && strcmp(argv[1], "rtu") == 0) {
        ctx = modbus_new_rtu(argv[2], atoi(argv[3]), argv[4][0], 8, 1);
        if (ctx != NULL) {
            modbus_set_slave(ctx, atoi(argv[5]));
        }
        *seconds = atof(argv[6]);
        *connections = 1;
        *first = atoi(argv[7]);
    }
    return ctx;
}

int main(int argc, char **argv)
{
    static struct worker workers[CONNECTIONS_MAX];
    pthread_t threads[CONNECTIONS_MAX];
    double seconds = 0;
    int connections = 0, first = 0;
    int tcp = argc > 1 && strcmp(argv[1], "tcp") == 0;

    for (int i = 0; i < CONNECTIONS_MAX; i++) {
        workers[i].ctx = NULL;
    }
    workers[0].ctx = open_context(argc, argv, &seconds, &connections, &first);
    if (workers[0].ctx == NULL || seconds <= 0 || connections < 1 || connections > CONNECTIONS_MAX) {
        return usage();
    }
    for (int i = 0; i < connections; i++) {
        if (i > 0) {
            workers[i].ctx = open_context(argc, argv, &seconds, &connections, &first);
        }
        workers[i].seconds = seconds;
        workers[i].first = first;
        modbus_set_response_timeout(workers[i].ctx, 2, 0);
        if (modbus_connect(workers[i].ctx) != 0) {
            fprintf(stderr, "connection %d: connect failed: %s\n", i, modbus_strerror(errno));
            return 1;
        }
    }

    uint16_t pattern[REGISTERS];
    for (int i = 0; i < REGISTERS; i++) {
        pattern[i] = (uint16_t)(first + i);
    }
    if (modbus_write_registers(workers[0].ctx, 0, REGISTERS, pattern) != REGISTERS) {
        fprintf(stderr, "writing the pattern failed: %s\n", modbus_strerror(errno));
        return 1;
    }

    double start = now_seconds();
    for (int i = 0; i < connections; i++) {
        pthread_create(&threads[i], NULL, run, &workers[i]);
    }
    long requests = 0, errors = 0;
    for (int i = 0; i < connections; i++) {
        pthread_join(threads[i], NULL);
        requests += workers[i].requests;
        errors += workers[i].errors;
        if (workers[i].errors > 0) {
            fprintf(stderr, "connection %d: %ld errors, last: %s\n", i, workers[i].errors, workers[i].error);
        }
        modbus_close(workers[i].ctx);
        modbus_free(workers[i].ctx);
    }
    double elapsed = now_seconds() - start;
    printf("requests %ld errors %ld seconds %.3f rate %.0f req/s (%s, %d connection%s)\n",
           requests, errors, elapsed, requests / elapsed, tcp ? "tcp" : "rtu", connections, connections == 1 ? "" : "s");
    return errors == 0 && requests > 0 ? 0 : 1;
}
