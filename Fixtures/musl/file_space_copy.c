// Checks reserving and copying file space in the working directory: fallocate growing a file
// (mode 0), FALLOC_FL_KEEP_SIZE leaving the size, FALLOC_FL_PUNCH_HOLE|KEEP_SIZE reading back
// zeros, PUNCH_HOLE without KEEP_SIZE (EOPNOTSUPP), FALLOC_FL_ZERO_RANGE, the range errors
// (EINVAL for len <= 0 or offset < 0, EFBIG past the largest offset), EBADF on a read-only
// descriptor, ESPIPE on a pipe's write end and EBADF on its read end, posix_fallocate; then
// copy_file_range with NULL offsets (file positions move), with given offsets (written back,
// positions stay), at the end of the input (0), and its errors: flags != 0 and overlapping
// ranges of one file (EINVAL), an O_APPEND or read-only output (EBADF), a pipe (EINVAL), a
// closed descriptor (EBADF).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10  /* musl's fcntl.h has only KEEP_SIZE and PUNCH_HOLE */
#endif

static const char *errname(long r) {
    if (r >= 0) return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    case EFBIG: return "EFBIG";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENODEV: return "ENODEV";
    case EISDIR: return "EISDIR";
    case EXDEV: return "EXDEV";
    default: return "other";
    }
}

static long size_of(int fd) {
    struct stat info;
    return fstat(fd, &info) == 0 ? (long)info.st_size : -1;
}

static long position(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

/// Whether `count` bytes at `offset` all equal `value`.
static int all_bytes(int fd, off_t offset, int count, int value) {
    char buffer[256];
    if (count > (int)sizeof buffer || pread(fd, buffer, count, offset) != count) return 0;
    for (int i = 0; i < count; i++)
        if (buffer[i] != value) return 0;
    return 1;
}

static void fallocate_checks(void) {
    int fd = open("space.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    long r = fallocate(fd, 0, 0, 8192);
    printf("fallocate 8192: %s, size %ld, zeros %d\n", errname(r), size_of(fd), all_bytes(fd, 100, 200, 0));
    r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192);
    printf("KEEP_SIZE past the end: %s, size %ld\n", errname(r), size_of(fd));
    r = fallocate(fd, 0, 4096, 8192);
    printf("overlapping the end: %s, size %ld\n", errname(r), size_of(fd));

    char data[256];
    memset(data, 'x', sizeof data);
    for (int i = 0; i < 48; i++) pwrite(fd, data, sizeof data, i * 256);
    r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096);
    printf("PUNCH_HOLE|KEEP_SIZE: %s, size %ld, hole zeros %d, before it %d, after it %d\n", errname(r), size_of(fd),
           all_bytes(fd, 4096, 256, 0) && all_bytes(fd, 8192 - 256, 256, 0), all_bytes(fd, 4096 - 256, 256, 'x'),
           all_bytes(fd, 8192, 256, 'x'));
    r = fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096);
    printf("PUNCH_HOLE alone: %s\n", errname(r));
    r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096);
    printf("PUNCH_HOLE|ZERO_RANGE: %s\n", errname(r));
    r = fallocate(fd, FALLOC_FL_ZERO_RANGE, 100, 50);
    printf("ZERO_RANGE 100+50: %s, zeros %d, byte 99 '%c', byte 150 '%c'\n", errname(r), all_bytes(fd, 100, 50, 0),
           all_bytes(fd, 99, 1, 'x') ? 'x' : '?', all_bytes(fd, 150, 1, 'x') ? 'x' : '?');
    r = fallocate(fd, FALLOC_FL_ZERO_RANGE, 12000, 1000);
    printf("ZERO_RANGE past the end: %s, size %ld\n", errname(r), size_of(fd));

    r = fallocate(fd, 0, 0, 0);
    printf("len 0: %s\n", errname(r));
    r = fallocate(fd, 0, 0, -1);
    printf("len -1: %s\n", errname(r));
    r = fallocate(fd, 0, -1, 10);
    printf("offset -1: %s\n", errname(r));
    r = fallocate(fd, 0, INT64_MAX - 10, 100);
    printf("offset + len past the largest: %s\n", errname(r));
    r = fallocate(fd, 0x100, 0, 10);
    printf("unknown mode bit: %s\n", errname(r));
    r = fallocate(99, 0, 0, 10);
    printf("closed descriptor: %s\n", errname(r));
    close(fd);

    int readonly = open("space.bin", O_RDONLY);
    r = fallocate(readonly, 0, 0, 100);
    printf("read-only descriptor: %s\n", errname(r));
    close(readonly);

    int ends[2];
    pipe(ends);
    r = fallocate(ends[1], 0, 0, 100);
    printf("pipe write end: %s\n", errname(r));
    r = fallocate(ends[0], 0, 0, 100);
    printf("pipe read end: %s\n", errname(r));
    r = fallocate(ends[1], 0, 0, 0);
    printf("pipe with len 0: %s\n", errname(r));
    close(ends[0]);
    close(ends[1]);

    int fresh = open("posix.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int result = posix_fallocate(fresh, 0, 10000);
    printf("posix_fallocate 10000: %d, size %ld\n", result, size_of(fresh));
    result = posix_fallocate(fresh, 5000, 100);
    printf("posix_fallocate inside: %d, size %ld\n", result, size_of(fresh));
    result = posix_fallocate(fresh, 0, -5);
    printf("posix_fallocate len -5: %s\n", result == EINVAL ? "EINVAL" : result == 0 ? "0" : "other");
    close(fresh);
}

static void copy_checks(void) {
    int source = open("source.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 100; i++) dprintf(source, "line %02d of the source file\n", i);  // 27 bytes each
    lseek(source, 0, SEEK_SET);
    int target = open("target.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);

    long r = copy_file_range(source, NULL, target, NULL, 54, 0);
    printf("NULL offsets: %ld, positions %ld %ld\n", r, position(source), position(target));
    r = copy_file_range(source, NULL, target, NULL, 27, 0);
    printf("again: %ld, positions %ld %ld\n", r, position(source), position(target));

    off_t in = 27 * 10, out = 1000;
    r = copy_file_range(source, &in, target, &out, 27 * 3, 0);
    printf("given offsets: %ld, offsets now %lld %lld, positions %ld %ld, size %ld\n", r, (long long)in,
           (long long)out, position(source), position(target), size_of(target));
    char line[28] = "";
    pread(target, line, 27, 1000 + 27);
    printf("copied line: %.26s\n", line);

    in = 2690;
    r = copy_file_range(source, &in, target, NULL, 100, 0);
    printf("near the end: %ld, offset now %lld, target position %ld\n", r, (long long)in, position(target));
    in = 5000;
    r = copy_file_range(source, &in, target, NULL, 100, 0);
    printf("past the end: %ld %s, offset %lld\n", r, errname(r), (long long)in);

    r = copy_file_range(source, NULL, target, NULL, 10, 1);
    printf("flags 1: %s\n", errname(r));
    in = 0;
    out = 10;
    r = copy_file_range(source, &in, source, &out, 100, 0);
    printf("same file overlapping: %s\n", errname(r));
    in = 0;
    out = 200;
    r = copy_file_range(source, &in, source, &out, 100, 0);
    printf("same file apart: %ld, offsets %lld %lld\n", r, (long long)in, (long long)out);

    int appending = open("target.txt", O_WRONLY | O_APPEND);
    r = copy_file_range(source, NULL, appending, NULL, 10, 0);
    printf("O_APPEND output: %s\n", errname(r));
    close(appending);
    int readonly = open("target.txt", O_RDONLY);
    in = 0;
    r = copy_file_range(source, &in, readonly, NULL, 10, 0);
    printf("read-only output: %s\n", errname(r));
    int writeonly = open("target.txt", O_WRONLY);
    in = 0;
    r = copy_file_range(writeonly, &in, target, NULL, 10, 0);
    printf("write-only input: %s\n", errname(r));
    close(writeonly);
    close(readonly);

    int ends[2];
    pipe(ends);
    write(ends[1], "piped", 5);
    r = copy_file_range(ends[0], NULL, target, NULL, 5, 0);
    printf("pipe input: %s\n", errname(r));
    in = 0;
    r = copy_file_range(source, &in, ends[1], NULL, 5, 0);
    printf("pipe output: %s\n", errname(r));
    close(ends[0]);
    close(ends[1]);
    r = copy_file_range(99, NULL, target, NULL, 5, 0);
    printf("closed input: %s\n", errname(r));
    r = copy_file_range(source, NULL, 99, NULL, 5, 0);
    printf("closed output: %s\n", errname(r));
    int directory = open(".", O_RDONLY | O_DIRECTORY);
    r = copy_file_range(directory, NULL, target, NULL, 5, 0);
    printf("directory input: %s\n", errname(r));
    close(directory);
    r = copy_file_range(source, NULL, target, NULL, 0, 0);
    printf("len 0: %ld\n", r);
    close(source);
    close(target);
}

int main(void) {
    fallocate_checks();
    copy_checks();
    return 0;
}
