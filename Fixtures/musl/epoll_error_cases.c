// Checks epoll's errors and its descriptor, each call by number: epoll_create with a size of 0 or
// less and epoll_create1 with unknown flags are EINVAL; EPOLL_CLOEXEC sets FD_CLOEXEC; an epoll
// descriptor is O_RDWR, fstat shows an anonymous inode (mode 0600), read, write and readv give
// EINVAL even with a bad buffer or nothing to move, pread and preadv ESPIPE; epoll_ctl gives EFAULT
// for a bad event pointer before anything else (but EPOLL_CTL_DEL reads none), EBADF for a closed
// descriptor on either side, EPERM for a regular file or a directory, EINVAL for an epoll
// descriptor added to itself or to a dup of itself, a non-epoll epfd, an unknown op, EPOLLEXCLUSIVE
// with EPOLL_CTL_MOD, on an item added with it, with other events than in, out, error and hang-up,
// or on an epoll target, EEXIST for a second add (a dup is another item), ENOENT for a modify or
// delete of what was never added, ELOOP for a cycle of nested instances; epoll_wait gives EINVAL
// for maxevents 0, negative or too large and for a non-epoll descriptor, EBADF for a closed one,
// EFAULT for an events pointer outside user memory (one error per call: Linux 6.15 changed the order of these checks), and looks at a
// NULL events pointer only when something is ready; zero and short timeouts return 0 when nothing
// is ready, after the time asked for; epoll_pwait with a wrong sigsetsize and epoll_pwait2 with a
// malformed timespec are EINVAL (in that order before the other checks), a NULL mask ignores the
// size; struct epoll_event is 12 bytes.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case ESPIPE: return "ESPIPE";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static struct epoll_event event_for(unsigned events, unsigned long long data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return event;
}

static long ctl(int ep, int op, int fd, unsigned events) {
    struct epoll_event event = event_for(events, (unsigned long long)fd);
    return syscall(SYS_epoll_ctl, ep, op, fd, &event);
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    printf("sizeof(struct epoll_event): %d\n", (int)sizeof(struct epoll_event));
    SHOW("epoll_create 0", syscall(SYS_epoll_create, 0));
    SHOW("epoll_create -1", syscall(SYS_epoll_create, -1));
    SHOW("epoll_create1 unknown flag", syscall(SYS_epoll_create1, 1));
    int ep = (int)syscall(SYS_epoll_create, 1);
    int ep2 = (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
    printf("epoll_create: %d, epoll_create1(EPOLL_CLOEXEC): %d\n", ep >= 0, ep2 >= 0);
    printf("  FD_CLOEXEC: %ld %ld\n", (long)syscall(SYS_fcntl, ep, F_GETFD), (long)syscall(SYS_fcntl, ep2, F_GETFD));
    printf("  F_GETFL O_ACCMODE: %ld\n", (long)syscall(SYS_fcntl, ep, F_GETFL) & O_ACCMODE);
    struct stat st;
    SHOW("fstat", syscall(SYS_fstat, ep, &st));
    printf("  S_IFMT zero: %d, permissions %o\n", (st.st_mode & S_IFMT) == 0, (unsigned)(st.st_mode & 07777));
    char buffer[16];
    SHOW("read", syscall(SYS_read, ep, buffer, sizeof buffer));
    SHOW("read into NULL", syscall(SYS_read, ep, NULL, sizeof buffer));
    SHOW("write", syscall(SYS_write, ep, "x", 1));
    SHOW("pread64", syscall(SYS_pread64, ep, buffer, sizeof buffer, 0));
    struct iovec empty = {buffer, 0};
    SHOW("readv of nothing", syscall(SYS_readv, ep, &empty, 1));
    SHOW("preadv of nothing", syscall(SYS_preadv, ep, &empty, 1, 0, 0));

    int p[2];
    syscall(SYS_pipe2, p, O_NONBLOCK);
    int file = (int)syscall(SYS_openat, AT_FDCWD, "file.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int directory = (int)syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
    struct epoll_event event = event_for(EPOLLIN, 1);
    printf("-- epoll_ctl\n");
    SHOW("add, bad event pointer", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], (void *)16));
    SHOW("add, bad event pointer and closed epfd", syscall(SYS_epoll_ctl, 77, EPOLL_CTL_ADD, p[0], (void *)16));
    SHOW("delete, bad event pointer (not read)", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], (void *)16));
    SHOW("closed epfd", syscall(SYS_epoll_ctl, 77, EPOLL_CTL_ADD, p[0], &event));
    SHOW("closed fd", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, 77, &event));
    SHOW("regular file", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, file, &event));
    SHOW("directory", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, directory, &event));
    SHOW("regular file, delete", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, file, NULL));
    SHOW("regular file into a pipe", syscall(SYS_epoll_ctl, p[0], EPOLL_CTL_ADD, file, &event));
    SHOW("pipe as epfd", syscall(SYS_epoll_ctl, p[1], EPOLL_CTL_ADD, p[0], &event));
    SHOW("itself", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ep, &event));
    int ep_dup = (int)syscall(SYS_dup, ep);
    SHOW("a dup of itself", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, ep_dup, &event));
    SHOW("unknown op", syscall(SYS_epoll_ctl, ep, 0, p[0], &event));
    SHOW("unknown op, closed fd", syscall(SYS_epoll_ctl, ep, 4, 77, &event));
    SHOW("modify, never added", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN));
    SHOW("delete, never added", ctl(ep, EPOLL_CTL_DEL, p[0], 0));
    SHOW("add", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN));
    SHOW("add again", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLOUT));
    int p_dup = (int)syscall(SYS_dup, p[0]);
    SHOW("add a dup", ctl(ep, EPOLL_CTL_ADD, p_dup, EPOLLIN));
    SHOW("modify", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET));
    SHOW("delete", ctl(ep, EPOLL_CTL_DEL, p[0], 0));
    SHOW("delete the dup", ctl(ep, EPOLL_CTL_DEL, p_dup, 0));
    SHOW("add EPOLLEXCLUSIVE", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE));
    SHOW("modify with EPOLLEXCLUSIVE", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE));
    SHOW("modify an EPOLLEXCLUSIVE item", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN));
    SHOW("delete it", ctl(ep, EPOLL_CTL_DEL, p[0], 0));
    SHOW("EPOLLEXCLUSIVE with EPOLLRDHUP", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE));
    SHOW("EPOLLEXCLUSIVE with EPOLLET", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET | EPOLLEXCLUSIVE));
    SHOW("delete it", ctl(ep, EPOLL_CTL_DEL, p[0], 0));
    SHOW("EPOLLEXCLUSIVE on an epoll", ctl(ep, EPOLL_CTL_ADD, ep2, EPOLLIN | EPOLLEXCLUSIVE));
    SHOW("nest ep2 in ep", ctl(ep, EPOLL_CTL_ADD, ep2, EPOLLIN));
    SHOW("nest ep in ep2 (a cycle)", ctl(ep2, EPOLL_CTL_ADD, ep, EPOLLIN));
    int ep3 = (int)syscall(SYS_epoll_create1, 0);
    SHOW("nest ep3 in ep2", ctl(ep2, EPOLL_CTL_ADD, ep3, EPOLLIN));
    SHOW("nest ep in ep3 (a longer cycle)", ctl(ep3, EPOLL_CTL_ADD, ep, EPOLLIN));
    SHOW("nest ep3 in ep too", ctl(ep, EPOLL_CTL_ADD, ep3, EPOLLIN));

    printf("-- epoll_wait\n");
    struct epoll_event events[4];
    SHOW("maxevents 0", syscall(SYS_epoll_wait, ep3, events, 0, 0));
    SHOW("maxevents -1", syscall(SYS_epoll_wait, ep3, events, -1, 0));
    SHOW("maxevents INT_MAX", syscall(SYS_epoll_wait, ep3, events, 0x7fffffff, 0));
    SHOW("closed epfd", syscall(SYS_epoll_wait, 77, events, 4, 0));
    SHOW("pipe as epfd", syscall(SYS_epoll_wait, p[0], events, 4, 0));
    SHOW("NULL events, nothing ready", syscall(SYS_epoll_wait, ep3, NULL, 1, 0));
    SHOW("add the pipe to ep3", ctl(ep3, EPOLL_CTL_ADD, p[0], EPOLLIN));
    syscall(SYS_write, p[1], "x", 1);
    SHOW("NULL events, something ready", syscall(SYS_epoll_wait, ep3, NULL, 1, 0));
    SHOW("then", syscall(SYS_epoll_wait, ep3, events, 4, 0));
    char byte;
    syscall(SYS_read, p[0], &byte, 1);
    SHOW("timeout 0, nothing ready", syscall(SYS_epoll_wait, ep3, events, 4, 0));
    long long start = now_ns();
    long result = syscall(SYS_epoll_wait, ep3, events, 4, 30);
    printf("timeout 30 ms: %ld, waited at least 30 ms: %d\n", result, now_ns() - start >= 30000000LL);

    printf("-- epoll_pwait and epoll_pwait2\n");
    uint64_t mask = 0;
    SHOW("epoll_pwait sigsetsize 4", syscall(SYS_epoll_pwait, ep3, events, 4, 0, &mask, 4));
    SHOW("epoll_pwait NULL mask, sigsetsize 4", syscall(SYS_epoll_pwait, ep3, events, 4, 0, NULL, 4));
    SHOW("epoll_pwait maxevents 0", syscall(SYS_epoll_pwait, ep3, events, 0, 0, &mask, 8));
    struct timespec bad = {0, 1000000000L}, negative = {-1, 0}, zero = {0, 0}, short_wait = {0, 20000000L};
    SHOW("epoll_pwait2 tv_nsec 1e9", syscall(SYS_epoll_pwait2, ep3, events, 4, &bad, NULL, 8));
    SHOW("epoll_pwait2 negative tv_sec", syscall(SYS_epoll_pwait2, ep3, events, 4, &negative, NULL, 8));
    SHOW("epoll_pwait2 bad timespec pointer", syscall(SYS_epoll_pwait2, ep3, events, 4, (void *)16, NULL, 8));
    SHOW("epoll_pwait2 zero timeout", syscall(SYS_epoll_pwait2, ep3, events, 4, &zero, NULL, 8));
    start = now_ns();
    result = syscall(SYS_epoll_pwait2, ep3, events, 4, &short_wait, &mask, 8);
    printf("epoll_pwait2 20 ms: %ld, waited at least 20 ms: %d\n", result, now_ns() - start >= 20000000LL);
    syscall(SYS_write, p[1], "y", 1);
    SHOW("epoll_pwait2 NULL timeout, something ready", syscall(SYS_epoll_pwait2, ep3, events, 4, NULL, NULL, 8));
    SHOW("epoll_pwait -1 timeout, something ready", syscall(SYS_epoll_pwait, ep3, events, 4, -1, NULL, 8));
    return 0;
}
