// Checks errno cases of process syscalls, each called by number: setpgid with a negative
// group is EINVAL, setpriority of a pid that does not exist is ESRCH, and mlockall without
// MCL_CURRENT/MCL_FUTURE or with unknown flags is EINVAL.
// conformance-libcs: musl glibc
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

int main(void) {
    SHOW("setpgid negative group", syscall(SYS_setpgid, 0, -1));
    SHOW("setpriority unknown pid", syscall(SYS_setpriority, PRIO_PROCESS, 999999, 5));
    SHOW("mlockall no flags", syscall(SYS_mlockall, 0));
    SHOW("mlockall unknown flags", syscall(SYS_mlockall, 0x100));
    return 0;
}
