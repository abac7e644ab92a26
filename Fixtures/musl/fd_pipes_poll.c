// Checks pipes, eventfds and readiness, each call by number: pipe and pipe2 (O_CLOEXEC,
// O_NONBLOCK) pass bytes in order, fstat says S_IFIFO, an empty non-blocking pipe gives
// EAGAIN and a pipe without writers gives end of file; eventfd2 adds writes up, EFD_SEMAPHORE
// counts down by one, EFD_NONBLOCK gives EAGAIN at zero; poll, ppoll, select and pselect6 (all
// with a zero or short timeout) report stdin with pending bytes readable, stdout writable,
// a regular file readable and writable, a pipe's ends by content, POLLHUP without writers,
// POLLNVAL for a closed descriptor and EBADF from select; select cuts a huge nfds down to
// the descriptor table's capacity.
// conformance-stdin: waiting line\n
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EPIPE: return "EPIPE";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static void events(const char *label, short revents) {
    printf("  %s:%s%s%s%s%s\n", label, revents & POLLIN ? " POLLIN" : "", revents & POLLOUT ? " POLLOUT" : "",
           revents & POLLHUP ? " POLLHUP" : "", revents & POLLERR ? " POLLERR" : "",
           revents & POLLNVAL ? " POLLNVAL" : "");
}

/* The kernel's fd_set for select and pselect6 by number. */
typedef struct { unsigned long bits[16]; } kfd_set;
static void kset(kfd_set *s, int fd) { s->bits[fd / 64] |= 1UL << (fd % 64); }
static int kisset(const kfd_set *s, int fd) { return (s->bits[fd / 64] >> (fd % 64)) & 1; }

int main(void) {
    int p[2], q[2];
    SHOW("pipe", syscall(SYS_pipe, p));
    printf("  ends: %d %d\n", p[0], p[1]);
    struct stat st;
    SHOW("fstat pipe", syscall(SYS_fstat, p[0], &st));
    printf("  S_ISFIFO: %d\n", S_ISFIFO(st.st_mode));
    SHOW("write pipe", syscall(SYS_write, p[1], "abcdef", 6));
    char buffer[32] = {0};
    SHOW("read 4", syscall(SYS_read, p[0], buffer, 4));
    SHOW("read rest", syscall(SYS_read, p[0], buffer + 4, sizeof buffer - 5));
    printf("  got [%s]\n", buffer);

    SHOW("pipe2 O_NONBLOCK|O_CLOEXEC", syscall(SYS_pipe2, q, O_NONBLOCK | O_CLOEXEC));
    printf("  FD_CLOEXEC: %ld %ld\n", (long)syscall(SYS_fcntl, q[0], F_GETFD), (long)syscall(SYS_fcntl, q[1], F_GETFD));
    printf("  O_NONBLOCK: %d\n", (syscall(SYS_fcntl, q[0], F_GETFL) & O_NONBLOCK) != 0);
    SHOW("read empty", syscall(SYS_read, q[0], buffer, 1));
    SHOW("pipe2 bad flags", syscall(SYS_pipe2, q, 0x12345678));

    int file = syscall(SYS_openat, AT_FDCWD, "file.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct pollfd fds[6] = {
        {0, POLLIN, 0}, {1, POLLOUT, 0}, {file, POLLIN | POLLOUT, 0},
        {p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {77, POLLIN, 0},
    };
    SHOW("poll stdin stdout file pipe closed", syscall(SYS_poll, fds, 6, 1000));
    const char *labels[6] = {"stdin", "stdout", "file", "pipe read end", "pipe write end", "fd 77"};
    // Whether stdin's writer has closed its end yet (POLLHUP) depends on the runner's timing.
    fds[0].revents &= ~POLLHUP;
    for (int i = 0; i < 6; i++) events(labels[i], fds[i].revents);

    syscall(SYS_write, p[1], "x", 1);
    struct timespec zero = {0, 0};
    struct pollfd one = {p[0], POLLIN, 0};
    SHOW("ppoll pipe with data", syscall(SYS_ppoll, &one, 1, &zero, NULL, 8));
    events("pipe read end", one.revents);
    syscall(SYS_read, p[0], buffer, 1);
    one.revents = 0;
    struct timespec short_wait = {0, 20 * 1000 * 1000};
    SHOW("ppoll empty pipe, 20 ms", syscall(SYS_ppoll, &one, 1, &short_wait, NULL, 8));
    sigset_t mask;
    sigemptyset(&mask);
    SHOW("ppoll with a mask, no timeout wanted", syscall(SYS_ppoll, &one, 1, &zero, &mask, 8));
    SHOW("poll nothing", syscall(SYS_poll, NULL, 0, 0));

    kfd_set readable = {{0}}, writable = {{0}};
    kset(&readable, 0); kset(&readable, p[0]); kset(&readable, file);
    kset(&writable, 1); kset(&writable, p[1]);
    struct timeval tv = {1, 0};
    SHOW("select", syscall(SYS_select, 16, &readable, &writable, NULL, &tv));
    printf("  readable stdin %d pipe %d file %d; writable stdout %d pipe %d\n", kisset(&readable, 0),
           kisset(&readable, p[0]), kisset(&readable, file), kisset(&writable, 1), kisset(&writable, p[1]));
    // A closed descriptor below 64: Linux ignores bits at or beyond its descriptor table's
    // capacity (64 slots, or more when the parent's table was larger), so a higher number
    // would make the native answer depend on whoever started the program.
    kfd_set bad = {{0}};
    kset(&bad, 40);
    struct timeval tv0 = {0, 0};
    SHOW("select closed fd", syscall(SYS_select, 41, &bad, NULL, NULL, &tv0));
    SHOW("select negative nfds", syscall(SYS_select, -1, NULL, NULL, NULL, &tv0));
    // nfds far beyond the table is cut down to its capacity, not refused (the set is sized
    // for a table of up to 4096 descriptors, larger than any parent's here).
    unsigned long wide[64] = {0};
    wide[0] = 1UL << 1;
    SHOW("select nfds beyond the table", syscall(SYS_select, 1 << 20, NULL, wide, NULL, &tv0));
    printf("  writable stdout %d\n", (int)(wide[0] >> 1 & 1));

    syscall(SYS_write, p[1], "yz", 2);
    memset(&readable, 0, sizeof readable);
    kset(&readable, p[0]); kset(&readable, q[0]);
    struct timespec ts0 = {0, 0};
    SHOW("pselect6", syscall(SYS_pselect6, 16, &readable, NULL, NULL, &ts0, NULL));
    printf("  readable pipe %d empty pipe %d\n", kisset(&readable, p[0]), kisset(&readable, q[0]));

    syscall(SYS_close, p[1]);
    one.fd = p[0];
    one.revents = 0;
    SHOW("poll without writers", syscall(SYS_poll, &one, 1, 0));
    events("pipe read end", one.revents);
    SHOW("read the rest", syscall(SYS_read, p[0], buffer, sizeof buffer));
    SHOW("read at end of file", syscall(SYS_read, p[0], buffer, sizeof buffer));
    syscall(SYS_close, q[0]);
    SHOW("write without readers (SIGPIPE ignored)", (signal(SIGPIPE, SIG_IGN), syscall(SYS_write, q[1], "x", 1)));

    int e = syscall(SYS_eventfd2, 3, 0);
    printf("eventfd2: %d\n", e);
    uint64_t value = 4;
    SHOW("write 4", syscall(SYS_write, e, &value, 8));
    SHOW("write short", syscall(SYS_write, e, &value, 4));
    value = 0;
    SHOW("read", syscall(SYS_read, e, &value, 8));
    printf("  value %llu\n", (unsigned long long)value);
    int s = syscall(SYS_eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    printf("eventfd2 semaphore: %d, FD_CLOEXEC %ld\n", s, (long)syscall(SYS_fcntl, s, F_GETFD));
    struct pollfd ev = {s, POLLIN | POLLOUT, 0};
    SHOW("poll eventfd", syscall(SYS_poll, &ev, 1, 0));
    events("eventfd", ev.revents);
    for (int i = 0; i < 3; i++) {
        value = 0;
        SHOW("read semaphore", syscall(SYS_read, s, &value, 8));
        printf("  value %llu\n", (unsigned long long)value);
    }
    SHOW("read short buffer", syscall(SYS_read, s, &value, 4));
    SHOW("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x40000000));
    SHOW("fstat eventfd", syscall(SYS_fstat, e, &st));
    printf("  S_IFMT zero: %d\n", (st.st_mode & S_IFMT) == 0);

    char line[64] = {0};
    SHOW("read stdin", syscall(SYS_read, 0, line, sizeof line - 1));
    printf("  [%s]\n", strtok(line, "\n"));
    return 0;
}
