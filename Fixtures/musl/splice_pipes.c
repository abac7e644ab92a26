// Checks splice, tee, vmsplice and sendfile between pipes and files of the working directory:
// file -> pipe -> file at the file positions and at given offsets (written back, positions
// stay), a pipe filled to its capacity and SPLICE_F_NONBLOCK on it (EAGAIN), pipe -> pipe,
// tee copying without consuming, vmsplice into and out of a pipe, sendfile into a pipe, the
// end of a pipe without writers (0), and the errors: an offset with a pipe end (ESPIPE), file
// to file, one pipe to itself and an O_APPEND output (EINVAL), the wrong end or a closed
// descriptor (EBADF), unknown flags (EINVAL), len 0 (0 before any other check), and a pipe
// without readers (EPIPE with SIGPIPE ignored). Every loop is bounded.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *errname(long r) {
    if (r >= 0) return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    default: return "other";
    }
}

static long position(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

static long size_of(int fd) {
    struct stat info;
    return fstat(fd, &info) == 0 ? (long)info.st_size : -1;
}

/// Reads what a pipe holds now (at most `limit` bytes), without blocking.
static long drain(int fd, char *buffer, long limit) {
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    long total = 0;
    for (int i = 0; i < 64 && total < limit; i++) {
        long got = read(fd, buffer + total, limit - total);
        if (got <= 0) break;
        total += got;
    }
    fcntl(fd, F_SETFL, flags);
    return total;
}

/// Whether `count` bytes of `buffer` follow the source file's pattern from `offset` on.
static int follows_pattern(const char *buffer, long offset, long count) {
    for (long i = 0; i < count; i++)
        if (buffer[i] != (char)('a' + (offset + i) % 26)) return 0;
    return 1;
}

static char big[140000];

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    int source = open("source.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (long i = 0; i < 100000; i++) big[i] = (char)('a' + i % 26);
    write(source, big, 100000);
    lseek(source, 0, SEEK_SET);
    int target = open("target.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int p[2];
    pipe(p);

    long r = splice(source, NULL, p[1], NULL, 4096, 0);
    printf("file -> pipe: %ld %s, source position %ld\n", r, errname(r), position(source));
    r = splice(p[0], NULL, target, NULL, 10000, 0);
    printf("pipe -> file: %ld %s, target position %ld, size %ld\n", r, errname(r), position(target), size_of(target));
    r = pread(target, big, 4096, 0);
    printf("target holds the pattern: %d\n", r == 4096 && follows_pattern(big, 0, 4096));

    loff_t in = 98000;
    r = splice(source, &in, p[1], NULL, 5000, 0);
    printf("file -> pipe at 98000: %ld, offset now %lld, source position %ld\n", r, (long long)in, position(source));
    loff_t out = 20000;
    r = splice(p[0], NULL, target, &out, 5000, 0);
    printf("pipe -> file at 20000: %ld, offset now %lld, target position %ld, size %ld\n", r, (long long)out,
           position(target), size_of(target));
    r = pread(target, big, 2000, 20000);
    printf("the end of the source landed at 20000: %d\n", r == 2000 && follows_pattern(big, 98000, 2000));
    in = 100000;
    r = splice(source, &in, p[1], NULL, 5000, 0);
    printf("file -> pipe at the end: %ld, offset %lld\n", r, (long long)in);
    in = -1;
    r = splice(source, &in, p[1], NULL, 5000, 0);
    printf("negative offset: %s\n", errname(r));

    // Fill the pipe from the file: one splice moves at most what the pipe has room for.
    lseek(source, 0, SEEK_SET);
    long filled = 0;
    for (int i = 0; i < 8; i++) {
        r = splice(source, NULL, p[1], NULL, 200000, SPLICE_F_NONBLOCK);
        if (r <= 0) break;
        filled += r;
    }
    printf("pipe filled with %ld bytes, last: %s\n", filled, errname(r));
    r = splice(source, NULL, p[1], NULL, 10, SPLICE_F_NONBLOCK);
    printf("into the full pipe, SPLICE_F_NONBLOCK: %s\n", errname(r));
    int back = open("back.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    long emptied = 0;
    for (int i = 0; i < 8; i++) {
        r = splice(p[0], NULL, back, NULL, 200000, SPLICE_F_NONBLOCK);
        if (r <= 0) break;
        emptied += r;
    }
    printf("pipe emptied into a file: %ld bytes, last: %s, size %ld\n", emptied, errname(r), size_of(back));
    r = pread(back, big, emptied, 0);
    printf("round trip holds the pattern: %d\n", r == emptied && follows_pattern(big, 0, emptied));
    close(back);

    int q[2];
    pipe(q);
    write(p[1], "hello world", 11);
    r = splice(p[0], NULL, q[1], NULL, 5, 0);
    char text[64] = "";
    long got = drain(q[0], text, sizeof text - 1);
    printf("pipe -> pipe: %ld, moved \"%.*s\"", r, (int)got, text);
    got = drain(p[0], text, sizeof text - 1);
    printf(", left \"%.*s\"\n", (int)got, text);

    write(p[1], "tee data", 8);
    r = tee(p[0], q[1], 100, 0);
    got = drain(q[0], text, sizeof text - 1);
    printf("tee: %ld, copy \"%.*s\"", r, (int)got, text);
    r = tee(p[0], q[1], 3, 0);
    got = drain(q[0], text, sizeof text - 1);
    printf(", tee of 3: %ld \"%.*s\"", r, (int)got, text);
    got = drain(p[0], text, sizeof text - 1);
    printf(", source still \"%.*s\"\n", (int)got, text);

    struct iovec vectors[2] = {{"abc", 3}, {"defg", 4}};
    r = vmsplice(p[1], vectors, 2, 0);
    printf("vmsplice into a pipe: %ld", r);
    char first[2] = "", second[8] = "";
    struct iovec into[2] = {{first, 2}, {second, 8}};
    r = vmsplice(p[0], into, 2, 0);
    printf(", out of it: %ld \"%.2s\" \"%.*s\"\n", r, first, r > 2 ? (int)r - 2 : 0, second);

    in = 26;
    r = sendfile(p[1], source, &in, 10);
    got = drain(p[0], text, sizeof text - 1);
    printf("sendfile into a pipe: %ld, offset %lld, pipe holds \"%.*s\"\n", r, (long long)in, (int)got, text);

    r = splice(p[0], NULL, target, NULL, 10, SPLICE_F_NONBLOCK);
    printf("empty pipe, SPLICE_F_NONBLOCK: %s\n", errname(r));
    r = tee(p[0], q[1], 10, SPLICE_F_NONBLOCK);
    printf("tee of an empty pipe, SPLICE_F_NONBLOCK: %s\n", errname(r));
    in = 0;
    r = splice(p[0], &in, target, NULL, 10, 0);
    printf("offset with a pipe input: %s\n", errname(r));
    out = 0;
    r = splice(source, NULL, p[1], &out, 10, 0);
    printf("offset with a pipe output: %s\n", errname(r));
    r = splice(source, NULL, target, NULL, 10, 0);
    printf("file -> file: %s\n", errname(r));
    r = splice(p[0], NULL, p[1], NULL, 10, 0);
    printf("a pipe to itself: %s\n", errname(r));
    r = splice(p[1], NULL, q[1], NULL, 10, 0);
    printf("a write end as input: %s\n", errname(r));
    r = splice(source, NULL, p[0], NULL, 10, 0);
    printf("a read end as output: %s\n", errname(r));
    r = splice(source, NULL, p[1], NULL, 10, 0x10);
    printf("unknown flag: %s\n", errname(r));
    r = splice(99, NULL, 98, NULL, 0, 0);
    printf("len 0 with closed descriptors: %ld\n", r);
    r = splice(99, NULL, p[1], NULL, 10, 0);
    printf("closed input: %s\n", errname(r));
    int appending = open("target.bin", O_WRONLY | O_APPEND);
    write(p[1], "x", 1);
    r = splice(p[0], NULL, appending, NULL, 1, 0);
    printf("O_APPEND output: %s\n", errname(r));
    close(appending);
    drain(p[0], text, sizeof text);
    r = tee(source, q[1], 10, 0);
    printf("tee from a file: %s\n", errname(r));
    r = tee(p[0], p[1], 10, 0);
    printf("tee to the same pipe: %s\n", errname(r));
    r = tee(p[0], q[1], 10, 0x20);
    printf("tee with an unknown flag: %s\n", errname(r));
    r = tee(99, 98, 0, 0);
    printf("tee of len 0: %ld\n", r);

    close(q[0]);
    r = splice(source, NULL, q[1], NULL, 10, 0);
    printf("into a pipe without readers: %s\n", errname(r));
    write(p[1], "z", 1);
    r = tee(p[0], q[1], 1, 0);
    printf("tee into a pipe without readers: %s\n", errname(r));
    close(q[1]);
    drain(p[0], text, sizeof text);
    close(p[1]);
    r = splice(p[0], NULL, target, NULL, 10, 0);
    printf("a pipe without writers: %ld\n", r);
    r = tee(p[0], target, 10, 0);
    printf("tee to a file: %s\n", errname(r));
    close(p[0]);
    close(source);
    close(target);
    return 0;
}
