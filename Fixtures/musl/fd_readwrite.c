// Checks the file I/O syscalls on a file in the working directory, each called by number:
// write/read, pread64/pwrite64 (the offset stays put), readv/writev and preadv/pwritev
// (scattered into several buffers), lseek with SEEK_SET/SEEK_CUR/SEEK_END and past the end
// (a hole reads as zeros), ESPIPE on a pipe, EBADF on a closed descriptor, and sendfile from
// a file to a file and to stdout with and without an offset pointer.
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static long cur(int fd) { return syscall(SYS_lseek, fd, 0L, SEEK_CUR); }

int main(void) {
    int fd = syscall(SYS_openat, AT_FDCWD, "data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("openat data.bin: %d\n", fd);
    SHOW("write 10", syscall(SYS_write, fd, "0123456789", 10));
    SHOW("lseek SET 2", syscall(SYS_lseek, fd, 2L, SEEK_SET));
    char buffer[64];
    memset(buffer, 0, sizeof buffer);
    SHOW("read 4", syscall(SYS_read, fd, buffer, 4));
    printf("  got [%s], offset %ld\n", buffer, cur(fd));
    SHOW("lseek CUR -3", syscall(SYS_lseek, fd, -3L, SEEK_CUR));
    SHOW("lseek END -1", syscall(SYS_lseek, fd, -1L, SEEK_END));
    SHOW("lseek SET -1", syscall(SYS_lseek, fd, -1L, SEEK_SET));
    SHOW("lseek bad whence", syscall(SYS_lseek, fd, 0L, 12345));
    SHOW("read from 9 to the end", syscall(SYS_read, fd, buffer, sizeof buffer) + syscall(SYS_read, fd, buffer, sizeof buffer));

    SHOW("pwrite64 at 4", syscall(SYS_pwrite64, fd, "ABCD", 4, 4L));
    printf("  offset still %ld\n", cur(fd));
    memset(buffer, 0, sizeof buffer);
    SHOW("pread64 at 3", syscall(SYS_pread64, fd, buffer, 6, 3L));
    printf("  got [%s], offset still %ld\n", buffer, cur(fd));
    SHOW("pread64 past end", syscall(SYS_pread64, fd, buffer, 6, 100L));
    SHOW("pread64 negative", syscall(SYS_pread64, fd, buffer, 6, -1L));

    struct iovec out[3] = {{"one-", 4}, {"two-", 4}, {"three\n", 6}};
    SHOW("lseek END", syscall(SYS_lseek, fd, 0L, SEEK_END));
    SHOW("writev 3", syscall(SYS_writev, fd, out, 3));
    char a[5] = {0}, b[3] = {0}, c[20] = {0};
    struct iovec in[3] = {{a, 4}, {b, 2}, {c, sizeof c - 1}};
    SHOW("lseek SET 8", syscall(SYS_lseek, fd, 8L, SEEK_SET));
    SHOW("readv 3", syscall(SYS_readv, fd, in, 3));
    printf("  got [%s] [%s] [%s]\n", a, b, c);

    struct iovec patch[2] = {{"xy", 2}, {"Z", 1}};
    SHOW("pwritev at 0", syscall(SYS_pwritev, fd, patch, 2, 0L, 0L));
    memset(a, 0, sizeof a); memset(b, 0, sizeof b);
    struct iovec back[2] = {{a, 2}, {b, 2}};
    SHOW("preadv at 1", syscall(SYS_preadv, fd, back, 2, 1L, 0L));
    printf("  got [%s] [%s], offset still %ld\n", a, b, cur(fd));

    SHOW("lseek SET 40 (past end)", syscall(SYS_lseek, fd, 40L, SEEK_SET));
    SHOW("write after hole", syscall(SYS_write, fd, "!", 1));
    memset(buffer, 'q', sizeof buffer);
    SHOW("pread64 hole", syscall(SYS_pread64, fd, buffer, 8, 30L));
    int zeros = 0;
    for (int i = 0; i < 8; i++) zeros += buffer[i] == 0;
    printf("  zero bytes in hole: %d\n", zeros);
    SHOW("lseek END", syscall(SYS_lseek, fd, 0L, SEEK_END));

    int fds[2];
    syscall(SYS_pipe2, fds, 0);
    SHOW("lseek on pipe", syscall(SYS_lseek, fds[0], 0L, SEEK_CUR));
    SHOW("pread64 on pipe", syscall(SYS_pread64, fds[0], buffer, 1, 0L));
    close(fds[0]);
    close(fds[1]);
    SHOW("read closed fd", syscall(SYS_read, fds[0], buffer, 1));
    SHOW("write closed fd", syscall(SYS_write, fds[1], "x", 1));
    SHOW("write to read-only", syscall(SYS_write, syscall(SYS_openat, AT_FDCWD, "data.bin", O_RDONLY), "x", 1));

    int copy = syscall(SYS_openat, AT_FDCWD, "copy.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    long offset = 4;
    SHOW("sendfile with offset", syscall(SYS_sendfile, copy, fd, &offset, 10L));
    printf("  offset now %ld, file offset still %ld\n", offset, cur(fd));
    SHOW("lseek SET 0", syscall(SYS_lseek, fd, 0L, SEEK_SET));
    SHOW("sendfile from offset", syscall(SYS_sendfile, copy, fd, NULL, 5L));
    printf("  file offset now %ld\n", cur(fd));
    fflush(stdout);
    SHOW("sendfile to stdout", syscall(SYS_sendfile, 1, fd, NULL, 6L));
    printf("\n");
    SHOW("fsync copy", syscall(SYS_fsync, copy));
    SHOW("close copy", syscall(SYS_close, copy));
    SHOW("close again", syscall(SYS_close, copy));
    return 0;
}
