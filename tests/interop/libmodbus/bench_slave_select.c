/*
 * A libmodbus TCP slave serving many connections at once with select(), as libmodbus's own
 * examples do: the anchor the slave-throughput benchmark measures our slave against.
 *
 *   bench_slave_select PORT
 *
 * Listens on 127.0.0.1:PORT with 100 holding registers, prints "listening" once it does, and
 * serves until killed.
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_slave_select PORT\n");
        return 2;
    }
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
    modbus_mapping_t *map = modbus_mapping_new(0, 0, 100, 0);
    int server = ctx == NULL || map == NULL ? -1 : modbus_tcp_listen(ctx, 64);
    if (server < 0) {
        fprintf(stderr, "listen failed: %s\n", modbus_strerror(errno));
        return 1;
    }
    printf("listening\n");
    fflush(stdout);

    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    fd_set watched;
    FD_ZERO(&watched);
    FD_SET(server, &watched);
    int highest = server;
    for (;;) {
        fd_set ready = watched;
        if (select(highest + 1, &ready, NULL, NULL, NULL) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("select");
            return 1;
        }
        for (int fd = 0; fd <= highest; fd++) {
            if (!FD_ISSET(fd, &ready)) {
                continue;
            }
            if (fd == server) {
                int client = modbus_tcp_accept(ctx, &server);
                if (client >= 0 && client < FD_SETSIZE) {
                    FD_SET(client, &watched);
                    highest = client > highest ? client : highest;
                }
                continue;
            }
            modbus_set_socket(ctx, fd);
            int length = modbus_receive(ctx, query);
            if (length > 0) {
                modbus_reply(ctx, query, length, map);
            } else if (length == -1) {
                close(fd);
                FD_CLR(fd, &watched);
            }
        }
    }
}
