// Checks the argument checks of syncfs, readahead and fadvise64, each called by number: a
// closed descriptor is EBADF, unknown fadvise advice is EINVAL, fadvise64 on a pipe is ESPIPE
// and readahead on a pipe is EINVAL.
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

int main(void) {
    int fd = syscall(SYS_openat, AT_FDCWD, "data.txt", O_RDWR | O_CREAT | O_TRUNC, 0640);
    int p[2];
    syscall(SYS_pipe2, p, 0);
    SHOW("syncfs closed", syscall(SYS_syncfs, 99));
    SHOW("readahead closed", syscall(SYS_readahead, 99, 0L, 4096L));
    SHOW("readahead pipe", syscall(SYS_readahead, p[0], 0L, 4096L));
    SHOW("fadvise64 unknown advice", syscall(SYS_fadvise64, fd, 0L, 0L, 99));
    SHOW("fadvise64 closed", syscall(SYS_fadvise64, 99, 0L, 0L, POSIX_FADV_NORMAL));
    SHOW("fadvise64 pipe", syscall(SYS_fadvise64, p[0], 0L, 0L, POSIX_FADV_NORMAL));
    return 0;
}
