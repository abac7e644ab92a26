// Network: loopback TCP throughput. A forked child connects to a listener on 127.0.0.1
// (port 0, found with getsockname), waits for a one-byte go, then write()s `total` bytes
// (argv[1], default 1 GiB) in `chunk`-byte writes (argv[2], default 1 MiB) and closes. The
// parent read()s them in chunks of the same size, checks the first byte of every read against
// the stream's pattern, and times from the go to the last byte. Reports MiB/s, the seconds and
// the mean bytes per read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static unsigned char pattern(size_t offset) { return (unsigned char)(offset * 31 + 7); }

static int fail(const char *what) { perror(what); return 1; }

// The child: connect, wait for the go, stream `total` bytes, close.
static int stream(struct sockaddr_in address, size_t total, size_t chunk) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("child socket");
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return fail("connect");
    unsigned char *buf = malloc(chunk), go;
    if (!buf) return 2;
    for (size_t i = 0; i < chunk; i++) buf[i] = pattern(i);
    if (read(fd, &go, 1) != 1) return fail("read go");
    for (size_t sent = 0; sent < total;) {
        size_t length = total - sent < chunk ? total - sent : chunk;
        ssize_t wrote = write(fd, buf, length);
        if (wrote <= 0) return fail("write");
        // A blocking stream write moves every byte; a short one would break the pattern.
        if ((size_t)wrote != length) { fprintf(stderr, "short write %zd of %zu\n", wrote, length); return 1; }
        sent += length;
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    size_t total = argc > 1 ? strtoull(argv[1], 0, 0) : (1ull << 30);
    size_t chunk = argc > 2 ? strtoull(argv[2], 0, 0) : (1u << 20);
    if (chunk == 0) return 2;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) return fail("socket");
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) return fail("bind");
    if (listen(listener, 1) != 0) return fail("listen");
    if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) return fail("getsockname");

    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return fail("fork");
    if (child == 0) { close(listener); _exit(stream(address, total, chunk)); }

    int fd = accept(listener, 0, 0);
    if (fd < 0) return fail("accept");
    close(listener);
    unsigned char *buf = malloc(chunk), go = 1;
    if (!buf) return 2;
    size_t received = 0, reads = 0;
    uint64_t t0 = bench_now_ns();
    if (write(fd, &go, 1) != 1) return fail("write go");
    while (received < total) {
        ssize_t got = read(fd, buf, chunk);
        if (got < 0) return fail("read");
        if (got == 0) { fprintf(stderr, "end of stream after %zu of %zu bytes\n", received, total); return 1; }
        if (buf[0] != pattern(received % chunk)) { fprintf(stderr, "wrong byte at offset %zu\n", received); return 1; }
        received += (size_t)got;
        reads++;
    }
    uint64_t t1 = bench_now_ns();
    unsigned char extra;
    if (read(fd, &extra, 1) != 0) { fprintf(stderr, "bytes past the end of the stream\n"); return 1; }
    close(fd);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed (status %#x)\n", status);
        return 1;
    }
    double seconds = (t1 - t0) / 1e9;
    bench_report("mib_per_s", (double)total / (1 << 20) / seconds);
    bench_report("seconds", seconds);
    bench_report("bytes_per_read", (double)received / reads);
    return 0;
}
