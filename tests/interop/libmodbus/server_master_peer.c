/*
 * A libmodbus slave for the interop tests of Neokernel's master.
 *
 *   server_master_peer tcp PORT
 *   server_master_peer rtu TTY BAUD PARITY(N|E|O) UNIT
 *
 * 200 zero-based points per table with known contents: holding[i] = i, input[i] = 1000 + i,
 * coils[i] = discrete[i] = i odd. libmodbus answers exception 02 outside the map. Over TCP it
 * serves one connection after another (any unit id); over RTU only its UNIT (and broadcasts,
 * which it does not answer). Prints "ready" once it listens or has the line open.
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POINTS 200

static modbus_mapping_t *make_map(void)
{
    modbus_mapping_t *map = modbus_mapping_new(POINTS, POINTS, POINTS, POINTS);
    if (map == NULL) {
        fprintf(stderr, "modbus_mapping_new: %s\n", modbus_strerror(errno));
        exit(1);
    }
    for (int i = 0; i < POINTS; i++) {
        map->tab_registers[i] = (uint16_t)i;
        map->tab_input_registers[i] = (uint16_t)(1000 + i);
        map->tab_bits[i] = (uint8_t)(i % 2);
        map->tab_input_bits[i] = (uint8_t)(i % 2);
    }
    return map;
}

static void serve(modbus_t *ctx, modbus_mapping_t *map)
{
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        int length = modbus_receive(ctx, query);
        if (length > 0) {
            modbus_reply(ctx, query, length, map);
        } else if (length == -1 && errno != EMBBADCRC && errno != EMBBADDATA) {
            return; /* the connection closed, or the line failed */
        }
    }
}

static int serve_tcp(int port, modbus_mapping_t *map)
{
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    int listener = modbus_tcp_listen(ctx, 4);
    if (listener == -1) {
        fprintf(stderr, "listen on %d: %s\n", port, modbus_strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (modbus_tcp_accept(ctx, &listener) == -1) {
            fprintf(stderr, "accept: %s\n", modbus_strerror(errno));
            return 1;
        }
        serve(ctx, map);
        modbus_close(ctx);
    }
}

static int serve_rtu(const char *tty, int baud, char parity, int unit, modbus_mapping_t *map)
{
    modbus_t *ctx = modbus_new_rtu(tty, baud, parity, 8, 1);
    if (ctx == NULL || modbus_set_slave(ctx, unit) == -1 || modbus_connect(ctx) == -1) {
        fprintf(stderr, "open %s: %s\n", tty, modbus_strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        serve(ctx, map);
    }
}

int main(int argc, char **argv)
{
    modbus_mapping_t *map = make_map();
    if (argc == 3 && strcmp(argv[1], "tcp") == 0) {
        return serve_tcp(atoi(argv[2]), map);
    }
    if (argc == 6 && strcmp(argv[1], "rtu") == 0) {
        return serve_rtu(argv[2], atoi(argv[3]), argv[4][0], atoi(argv[5]), map);
    }
    fprintf(stderr, "usage: %s tcp PORT | rtu TTY BAUD PARITY UNIT\n", argv[0]);
    return 2;
}
