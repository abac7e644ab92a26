// Checks futex for one thread and the raw exit syscall, each called by number: FUTEX_WAKE
// (private and shared) finds no waiter, FUTEX_WAIT with a value that does not match is EAGAIN,
// a matching FUTEX_WAIT with a 20 ms timeout is ETIMEDOUT after at least 20 ms, an unknown
// operation is ENOSYS; then exit(3) from the only thread ends the process with status 3
// without running atexit handlers or flushing stdio (stdout is flushed by hand first).
// conformance-exit: 3
// conformance-libcs: musl glibc
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From <linux/futex.h>, which musl-gcc cannot see. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static const char *name(int e) {
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static void never(void) { printf("atexit handler ran\n"); }

int main(void) {
    static int word = 7;
    SHOW("FUTEX_WAKE private", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    SHOW("FUTEX_WAKE shared", syscall(SYS_futex, &word, FUTEX_WAKE, 10, NULL, NULL, 0));
    SHOW("FUTEX_WAIT mismatched", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 8, NULL, NULL, 0));
    SHOW("FUTEX_WAIT shared mismatched", syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0));
    struct timespec before, after, timeout = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    SHOW("FUTEX_WAIT matching, 20 ms timeout", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 7, &timeout, NULL, 0));
    clock_gettime(CLOCK_MONOTONIC, &after);
    long long waited = (after.tv_sec - before.tv_sec) * 1000000000LL + (after.tv_nsec - before.tv_nsec);
    printf("  waited >= 20 ms: %d\n", waited >= 20000000);
    SHOW("futex unknown op", syscall(SYS_futex, &word, 99, 0, NULL, NULL, 0));
    atexit(never);
    printf("exiting with the exit syscall\n");
    fflush(stdout);
    printf("this stays in the buffer\n");
    syscall(SYS_exit, 3);
    return 0;
}
