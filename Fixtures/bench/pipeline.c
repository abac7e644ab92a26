// Processes: a 3-stage pipeline's throughput. The program forks a producer and a filter and
// is the consumer itself: producer | filter | consumer over two pipes. The producer write()s
// `total` bytes (argv[1], default 64 MiB) in `chunk`-byte writes (argv[2], default 64 KiB);
// the filter read()s up to `chunk` bytes at a time, XORs every byte with a key and write()s
// them on; the consumer read()s up to `chunk` bytes at a time and checks the first and last
// byte of every read. Both children say they are ready on a third pipe before the clock starts
// (so process creation is not timed); the consumer then sends the producer the go and times
// from it to the end of the stream. Reports MiB/s, the seconds and the mean bytes per read.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define KEY 0x5a

// The stream's byte at `offset`; depends only on offset mod 256, so a chunk that is a multiple
// of 256 bytes can be written again and again.
static unsigned char pattern(size_t offset) { return (unsigned char)(offset * 31 + 7); }

static int fail(const char *what) { perror(what); return 1; }

// Writes all `length` bytes of `buf` to `fd` (a pipe write may be short only if interrupted).
static int write_all(int fd, const unsigned char *buf, size_t length) {
    while (length > 0) {
        ssize_t wrote = write(fd, buf, length);
        if (wrote <= 0) return fail("write");
        buf += wrote;
        length -= (size_t)wrote;
    }
    return 0;
}

// The first stage: says it is ready, waits for the go, writes `total` bytes of the pattern.
static int produce(int out, int ready, int go, size_t total, size_t chunk) {
    unsigned char *buf = malloc(chunk), byte = 1;
    if (!buf) return 2;
    for (size_t i = 0; i < chunk; i++) buf[i] = pattern(i);
    if (write(ready, &byte, 1) != 1) return fail("producer ready");
    if (read(go, &byte, 1) != 1) return fail("producer go");
    for (size_t sent = 0; sent < total;) {
        size_t length = total - sent < chunk ? total - sent : chunk;
        if (write_all(out, buf, length)) return 1;
        sent += length;
    }
    return 0;
}

// The middle stage: says it is ready, then passes every byte on XORed with KEY until end of file.
static int filter(int in, int out, int ready, size_t chunk) {
    unsigned char *buf = malloc(chunk), byte = 1;
    if (!buf) return 2;
    if (write(ready, &byte, 1) != 1) return fail("filter ready");
    for (;;) {
        ssize_t got = read(in, buf, chunk);
        if (got < 0) return fail("filter read");
        if (got == 0) return 0;
        for (ssize_t i = 0; i < got; i++) buf[i] ^= KEY;
        if (write_all(out, buf, (size_t)got)) return 1;
    }
}

int main(int argc, char **argv) {
    size_t total = argc > 1 ? strtoull(argv[1], 0, 0) : (64u << 20);
    size_t chunk = argc > 2 ? strtoull(argv[2], 0, 0) : (64u << 10);
    if (chunk == 0 || chunk % 256 != 0) return 2;
    int first[2], second[2], ready[2], go[2];
    if (pipe(first) || pipe(second) || pipe(ready) || pipe(go)) return fail("pipe");
    fflush(stdout);
    pid_t producer = fork();
    if (producer < 0) return fail("fork producer");
    if (producer == 0) {
        close(first[0]); close(second[0]); close(second[1]); close(ready[0]); close(go[1]);
        _exit(produce(first[1], ready[1], go[0], total, chunk));
    }
    pid_t middle = fork();
    if (middle < 0) return fail("fork filter");
    if (middle == 0) {
        close(first[1]); close(second[0]); close(ready[0]); close(go[0]); close(go[1]);
        _exit(filter(first[0], second[1], ready[1], chunk));
    }
    close(first[0]); close(first[1]); close(second[1]); close(ready[1]); close(go[0]);
    unsigned char *buf = malloc(chunk), byte = 1;
    if (!buf) return 2;
    for (int stages = 0; stages < 2; stages++) if (read(ready[0], &byte, 1) != 1) return fail("read ready");
    size_t received = 0, reads = 0;
    uint64_t t0 = bench_now_ns();
    if (write(go[1], &byte, 1) != 1) return fail("write go");
    while (received < total) {
        ssize_t got = read(second[0], buf, chunk);
        if (got < 0) return fail("read");
        if (got == 0) { fprintf(stderr, "end of stream after %zu of %zu bytes\n", received, total); return 1; }
        size_t last = received + (size_t)got - 1;
        if (buf[0] != (pattern(received) ^ KEY) || buf[got - 1] != (pattern(last) ^ KEY)) {
            fprintf(stderr, "wrong byte in the read at offset %zu\n", received);
            return 1;
        }
        received += (size_t)got;
        reads++;
    }
    uint64_t t1 = bench_now_ns();
    if (read(second[0], buf, 1) != 0) { fprintf(stderr, "bytes past the end of the stream\n"); return 1; }
    for (int i = 0; i < 2; i++) {
        pid_t child = i == 0 ? producer : middle;
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s failed (status %#x)\n", i == 0 ? "producer" : "filter", status);
            return 1;
        }
    }
    double seconds = (t1 - t0) / 1e9;
    bench_report("mib_per_s", (double)total / (1 << 20) / seconds);
    bench_report("seconds", seconds);
    bench_report("bytes_per_read", (double)received / reads);
    return 0;
}
