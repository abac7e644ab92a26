// Checks pipes shared between parent and child processes: a pipe made before fork carries the
// child's lines to the parent; once the child is reaped the parent still sees EAGAIN (not end of
// file) on a non-blocking read while it holds its own write end, and end of file only after
// closing it; 1000 request/reply round trips over two pipes; 64 MiB written by a child in
// 64 KiB chunks, counted, checksummed and compared chunk by chunk by the parent; a write to a pipe whose read end
// is closed in every process fails with EPIPE when SIGPIPE is ignored and kills the child with
// SIGPIPE when it is not, and the parent itself gets EPIPE once the reading child has exited;
// a three-process pipeline built with fork only (generator -> transformer -> summer, about
// 6 MiB between stages, odd read sizes) reports its sums back through a third pipe, each stage
// ending with status 0 after seeing end of file.
// conformance-timeout: 60
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/fork.h"

static const char *signame(int sig) {
    switch (sig) {
    case SIGPIPE: return "SIGPIPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    default: return "other";
    }
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "none";
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

static int reap(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) printf("waitpid failed: %s\n", errname(errno));
    return st;
}

static void show(const char *label, int st) {
    if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", label, signame(WTERMSIG(st)));
    else printf("%s: status 0x%x\n", label, st);
}

/* Writes all of buf (pipes may take less than asked); 0 on success, else errno. */
static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads exactly len bytes unless end of file comes first; returns the bytes read. */
static size_t read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got;
}

static void lines_to_parent(void) {
    int p[2];
    pipe(p);
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        char line[64];
        for (int i = 1; i <= 5; i++) {
            int n = snprintf(line, sizeof line, "line %d from the child\n", i);
            write_all(p[1], line, (size_t)n);
        }
        _exit(0);
    }
    /* The parent keeps its write end open for now. */
    show("writer child", reap(pid));
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    char buf[512];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    int e = errno;
    buf[got] = 0;
    printf("read %zu bytes:\n%s", got, buf);
    printf("child gone, parent's write end open: read %s (%s)\n", n == 0 ? "end of file" : "failed", errname(n == 0 ? 0 : e));
    close(p[1]);
    errno = 0;
    n = read(p[0], buf, sizeof buf);
    printf("after closing the parent's write end: read returns %d (%s)\n", (int)n, errname(errno));
    close(p[0]);
}

static void ping_pong(void) {
    int down[2], up[2];
    pipe(down);
    pipe(up);
    pid_t pid = xfork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        uint32_t v;
        int served = 0;
        while (read_full(down[0], &v, sizeof v) == sizeof v) {
            uint32_t reply = v * 2 + 1;
            if (write_all(up[1], &reply, sizeof reply) != 0) _exit(2);
            served++;
        }
        _exit(served == 1000 ? 0 : 1);
    }
    close(down[0]);
    close(up[1]);
    int good = 0;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t reply = 0;
        if (write_all(down[1], &i, sizeof i) != 0) break;
        if (read_full(up[0], &reply, sizeof reply) != sizeof reply) break;
        if (reply == i * 2 + 1) good++;
        sum += reply;
    }
    close(down[1]);
    char c;
    ssize_t tail = read(up[0], &c, 1);
    close(up[0]);
    printf("ping-pong: %d of 1000 replies right, sum %llu, then end of file: %s\n", good, (unsigned long long)sum,
           tail == 0 ? "yes" : "no");
    show("ping-pong child", reap(pid));
}

#define CHUNK (64 * 1024)
#define CHUNKS 1024 /* 64 MiB */

static void fill_chunk(unsigned char *buf, uint32_t index) {
    uint32_t x = index * 2654435761u + 12345u;
    for (size_t i = 0; i < CHUNK; i += 4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        memcpy(buf + i, &x, 4);
    }
}

static void bulk(void) {
    static unsigned char buf[CHUNK];
    int p[2];
    pipe(p);
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        for (uint32_t c = 0; c < CHUNKS; c++) {
            fill_chunk(buf, c);
            if (write_all(p[1], buf, CHUNK) != 0) _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    /* Whole chunks are reassembled from whatever sizes read returns, hashed as 64-bit words
       (FNV-1a style) and compared with the generator's chunk. */
    static unsigned char expect[CHUNK];
    uint64_t hash = 1469598103934665603ull, total = 0;
    uint32_t chunks = 0, same = 0;
    size_t got;
    while ((got = read_full(p[0], buf, CHUNK)) > 0) {
        total += got;
        if (got != CHUNK) break;
        for (size_t i = 0; i < CHUNK; i += 8) {
            uint64_t w;
            memcpy(&w, buf + i, 8);
            hash ^= w;
            hash *= 1099511628211ull;
        }
        fill_chunk(expect, chunks);
        if (memcmp(buf, expect, CHUNK) == 0) same++;
        chunks++;
    }
    close(p[0]);
    show("bulk writer", reap(pid));
    printf("bulk: %llu bytes in %u whole 64 KiB chunks, %u as generated, hash %016llx\n", (unsigned long long)total,
           chunks, same, (unsigned long long)hash);
}

/* The child writes only after the parent has closed its read end too (told through `go`). */
static void broken_pipe(int ignore) {
    int p[2], go[2];
    pipe(p);
    pipe(go);
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        close(go[1]);
        signal(SIGPIPE, ignore ? SIG_IGN : SIG_DFL);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(3);
        errno = 0;
        ssize_t n = write(p[1], "x", 1);
        if (n == -1 && errno == EPIPE) _exit(32);
        _exit(4);
    }
    close(p[0]);
    close(p[1]);
    close(go[0]);
    write(go[1], "g", 1);
    close(go[1]);
    show(ignore ? "write with no reader, SIGPIPE ignored (32 = EPIPE)" : "write with no reader, SIGPIPE default",
         reap(pid));
}

/* The reader is the child; once it has exited the parent's write fails. */
static void reader_exited(void) {
    int p[2];
    pipe(p);
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[1]);
        char buf[8];
        ssize_t n = read_full(p[0], buf, 3);
        _exit(n == 3 && memcmp(buf, "abc", 3) == 0 ? 0 : 1);
    }
    close(p[0]);
    errno = 0;
    ssize_t n = write(p[1], "abc", 3);
    printf("parent writes to the live reader: %d (%s)\n", (int)n, errname(errno));
    show("reader child", reap(pid));
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    errno = 0;
    n = write(p[1], "def", 3);
    printf("parent writes after the reader exited: %d (%s)\n", (int)n, errname(errno));
    signal(SIGPIPE, old);
    close(p[1]);
}

#define NUMBERS (1536 * 1024) /* 6 MiB of uint32 per stage */

static void pipeline(void) {
    int a[2], b[2], c[2];
    pipe(a);
    pipe(b);
    pipe(c);
    pid_t stage[3];

    stage[0] = xfork();
    if (stage[0] == 0) { /* generator: 0, 1, 2, ... in 4000-number blocks */
        close(a[0]);
        close(b[0]);
        close(b[1]);
        close(c[0]);
        close(c[1]);
        static uint32_t block[4000];
        for (uint32_t base = 0; base < NUMBERS; base += 4000) {
            uint32_t count = NUMBERS - base < 4000 ? NUMBERS - base : 4000;
            for (uint32_t i = 0; i < count; i++) block[i] = base + i;
            if (write_all(a[1], block, count * 4) != 0) _exit(1);
        }
        _exit(0);
    }

    stage[1] = xfork();
    if (stage[1] == 0) { /* transformer: x -> x * x + 7, reading 999 numbers at a time */
        close(a[1]);
        close(b[0]);
        close(c[0]);
        close(c[1]);
        static uint32_t block[999];
        size_t n;
        uint32_t seen = 0;
        while ((n = read_full(a[0], block, sizeof block)) > 0) {
            if (n % 4) _exit(2);
            for (size_t i = 0; i < n / 4; i++) block[i] = block[i] * block[i] + 7;
            if (write_all(b[1], block, n) != 0) _exit(1);
            seen += (uint32_t)(n / 4);
        }
        _exit(seen == NUMBERS ? 0 : 3);
    }

    stage[2] = xfork();
    if (stage[2] == 0) { /* summer: odd-sized reads, whole numbers reassembled */
        close(a[0]);
        close(a[1]);
        close(b[1]);
        close(c[0]);
        static unsigned char buf[7777 + 4];
        size_t carry = 0;
        uint64_t result[3] = {0, 0, 0}; /* count, sum, xor-rotate */
        ssize_t n;
        for (;;) {
            n = read(b[0], buf + carry, 7777);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            size_t have = carry + (size_t)n, whole = have / 4 * 4;
            for (size_t i = 0; i < whole; i += 4) {
                uint32_t v;
                memcpy(&v, buf + i, 4);
                result[0]++;
                result[1] += v;
                result[2] = ((result[2] << 7) | (result[2] >> 57)) ^ v;
            }
            carry = have - whole;
            memmove(buf, buf + whole, carry);
        }
        if (write_all(c[1], result, sizeof result) != 0) _exit(1);
        _exit(carry == 0 && n == 0 ? 0 : 2);
    }

    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    close(c[1]);
    uint64_t result[3] = {0, 0, 0};
    size_t got = read_full(c[0], result, sizeof result);
    char extra;
    ssize_t tail = read(c[0], &extra, 1);
    close(c[0]);
    int st[3];
    for (int i = 0; i < 3; i++) st[i] = reap(stage[i]);

    uint64_t expect[3] = {0, 0, 0};
    for (uint32_t x = 0; x < NUMBERS; x++) {
        uint32_t v = x * x + 7;
        expect[0]++;
        expect[1] += v;
        expect[2] = ((expect[2] << 7) | (expect[2] >> 57)) ^ v;
    }
    printf("pipeline result: %zu bytes then %s\n", got, tail == 0 ? "end of file" : "more");
    printf("pipeline: count %llu sum %llu mix %016llx, matches: %s\n", (unsigned long long)result[0],
           (unsigned long long)result[1], (unsigned long long)result[2],
           memcmp(result, expect, sizeof expect) == 0 ? "yes" : "no");
    show("generator", st[0]);
    show("transformer", st[1]);
    show("summer", st[2]);
}

int main(void) {
    lines_to_parent();
    ping_pong();
    bulk();
    broken_pipe(1);
    broken_pipe(0);
    reader_exited();
    pipeline();
    int st;
    errno = 0;
    pid_t r = wait(&st);
    printf("no children left: %d %s\n", (int)r, errno == ECHILD ? "ECHILD" : "other");
    return 0;
}
