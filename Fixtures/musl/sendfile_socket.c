// sendfile(2) from a file into a TCP socket on 127.0.0.1, the way servers send files: 4 MiB into
// a blocking socket whose reader (a forked child) starts late, so the send buffer fills and the
// call must wait for room instead of failing (once with an offset pointer, advanced by the
// bytes sent and the file position untouched, once from the file position); into a
// non-blocking socket with a full buffer (EAGAIN, or a partial count); and into a socket whose
// peer has closed (EPIPE after the reset, with SIGPIPE ignored, then delivered to a handler). The reader checks
// the byte count and a checksum of everything it got.
// conformance-libcs: musl glibc
// conformance-timeout: 30
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/check.h"

#define SIZE (4 << 20)

static unsigned checksum(const unsigned char *bytes, size_t count, unsigned sum) {
    for (size_t i = 0; i < count; i++) sum = sum * 31 + bytes[i];
    return sum;
}

static void connected_pair(int listener, int *client, int *server) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    check(getsockname(listener, (struct sockaddr *)&address, &length) == 0, "getsockname");
    *client = socket(AF_INET, SOCK_STREAM, 0);
    check(*client >= 0, "socket");
    check(connect(*client, (struct sockaddr *)&address, sizeof address) == 0, "connect");
    *server = accept(listener, NULL, NULL);
    check(*server >= 0, "accept");
}

/* A child that waits 100 ms, reads `reader` to its end and prints the count and checksum. */
static pid_t late_reader(int reader, int other) {
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        close(other);
        struct timespec pause = {0, 100000000};
        nanosleep(&pause, NULL);
        static unsigned char buffer[65536];
        size_t total = 0;
        unsigned sum = 0;
        for (;;) {
            ssize_t n = read(reader, buffer, sizeof buffer);
            check(n >= 0, "reader read");
            if (n == 0) break;
            sum = checksum(buffer, n, sum);
            total += n;
        }
        printf("reader: %zu bytes, checksum %u\n", total, sum);
        _exit(0);
    }
    close(reader);
    return pid;
}

static void reap(pid_t pid) {
    int status = 0;
    check(waitpid(pid, &status, 0) == pid, "waitpid");
    printf("reader exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static volatile sig_atomic_t pipes;
static void on_pipe(int signal) { (void)signal; pipes++; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    static unsigned char data[SIZE];
    for (int i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 7 + i / 4099);
    int file = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(file >= 0, "open data.bin");
    check(write(file, data, SIZE) == SIZE, "write data.bin");
    printf("file checksum %u\n", checksum(data, SIZE, 0));

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    check(listener >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(listener, (struct sockaddr *)&address, sizeof address) == 0, "bind");
    check(listen(listener, 4) == 0, "listen");

    // Blocking, with an offset pointer: the file position stays where it was (the end).
    int client, server;
    connected_pair(listener, &client, &server);
    pid_t reader = late_reader(server, client);
    off_t offset = 0;
    errno = 0;
    ssize_t sent = sendfile(client, file, &offset, SIZE);
    printf("blocking sendfile with an offset: %zd (errno %s), offset %ld, file position %ld\n", sent,
           errno ? strerror(errno) : "0", (long)offset, (long)lseek(file, 0, SEEK_CUR));
    close(client);
    reap(reader);

    // Blocking, from the file position (moved back to 1 MiB): it advances by the bytes sent.
    connected_pair(listener, &client, &server);
    reader = late_reader(server, client);
    check(lseek(file, 1 << 20, SEEK_SET) == 1 << 20, "lseek");
    errno = 0;
    sent = sendfile(client, file, NULL, SIZE);
    printf("blocking sendfile from the position: %zd (errno %s), position %ld\n", sent, errno ? strerror(errno) : "0",
           (long)lseek(file, 0, SEEK_CUR));
    close(client);
    reap(reader);
    printf("expected for the last 3 MiB: checksum %u\n", checksum(data + (1 << 20), SIZE - (1 << 20), 0));

    // Non-blocking, nobody reading: the buffer fills; then EAGAIN.
    connected_pair(listener, &client, &server);
    check(fcntl(client, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
    size_t total = 0;
    int eagain = 0;
    offset = 0;
    for (int i = 0; i < 1000 && total < SIZE; i++) {
        sent = sendfile(client, file, &offset, SIZE - total);
        if (sent < 0) {
            eagain = errno == EAGAIN;
            break;
        }
        total += sent;
    }
    printf("non-blocking sendfile: stopped by EAGAIN %d, some sent %d, offset matches %d\n", eagain, total > 0,
           offset == (off_t)total);
    close(client);
    close(server);

    // The peer closed: EPIPE, first with SIGPIPE ignored, then with a handler.
    for (int round = 0; round < 2; round++) {
        signal(SIGPIPE, round == 0 ? SIG_IGN : on_pipe);
        connected_pair(listener, &client, &server);
        close(server);
        // The first send reaches the closed peer, whose reset makes a later one fail:
        // ECONNRESET first (Linux reports the reset once), then EPIPE.
        int error = 0;
        for (int i = 0; i < 100 && error != EPIPE; i++) {
            offset = 0;
            error = sendfile(client, file, &offset, 4096) < 0 ? errno : 0;
            if (error != EPIPE && error != ECONNRESET && error != 0) break;
            struct timespec pause = {0, 10000000};
            nanosleep(&pause, NULL);
        }
        printf("sendfile to a closed peer (%s): %s, SIGPIPE delivered %d\n", round == 0 ? "SIGPIPE ignored" : "handler",
               error == EPIPE ? "EPIPE" : error == ECONNRESET ? "ECONNRESET" : strerror(error), (int)pipes);
        close(client);
    }
    close(listener);
    close(file);
    check(unlink("data.bin") == 0, "unlink");
    return 0;
}
