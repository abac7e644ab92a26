// Checks errno cases of path syscalls that programs test for, each called by number:
// readlink and readlinkat of a regular file or a directory are EINVAL (not a link), while a
// missing path is ENOENT; access and faccessat with an unknown mode bit are EINVAL.
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

int main(void) {
    char target[64];
    syscall(SYS_close, syscall(SYS_openat, AT_FDCWD, "file", O_WRONLY | O_CREAT, 0644));
    syscall(SYS_mkdir, "dir", 0755);
    SHOW("readlink file", syscall(SYS_readlink, "file", target, sizeof target));
    SHOW("readlink dir", syscall(SYS_readlink, "dir", target, sizeof target));
    SHOW("readlinkat file", syscall(SYS_readlinkat, AT_FDCWD, "file", target, sizeof target));
    SHOW("readlink missing", syscall(SYS_readlink, "missing", target, sizeof target));
    SHOW("access unknown mode bit", syscall(SYS_access, "file", 0100));
    SHOW("faccessat unknown mode bit", syscall(SYS_faccessat, AT_FDCWD, "file", 0100));
    SHOW("access F_OK", syscall(SYS_access, "file", F_OK));
    return 0;
}
