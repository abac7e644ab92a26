// Checks epoll over pipes, each call by number: a level-triggered read end is reported at every
// epoll_wait while bytes remain; an edge-triggered one once per write (every write is a new edge,
// even to a pipe that is already readable, and a read is none); EPOLLONESHOT reports once until
// EPOLL_CTL_MOD arms it again; an edge-triggered write end gets an edge when a read empties a slot
// of a full pipe; a closed write end gives EPOLLHUP on the read end (never EPOLLRDHUP, which pipes
// do not report) and a closed read end EPOLLERR with EPOLLOUT on the write end; ready items come
// out in the order they became ready, and a harvest cut short by maxevents reports the rest first
// next time, then the level-triggered items it already reported.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    default: return "other";
    }
}

static int ctl(int ep, int op, int fd, unsigned events, unsigned long long data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return (int)syscall(SYS_epoll_ctl, ep, op, fd, &event);
}

static void show_ctl(const char *label, int result) {
    if (result < 0) printf("%s: %d %s\n", label, result, name(errno)); else printf("%s: %d\n", label, result);
}

/// epoll_wait with a zero timeout and up to `maximum` events; prints each event's data and bits.
static void harvest(const char *label, int ep, int maximum) {
    struct epoll_event events[8];
    memset(events, 0, sizeof events);
    errno = 0;
    int count = (int)syscall(SYS_epoll_wait, ep, events, maximum, 0);
    int error = errno;
    printf("%s: %d", label, count);
    if (count < 0) printf(" %s", name(error));
    for (int i = 0; i < count; i++) {
        unsigned e = events[i].events;
        printf(" {%llu:%s%s%s%s%s%s%s}", (unsigned long long)events[i].data.u64, e & EPOLLIN ? " IN" : "",
               e & EPOLLRDNORM ? " RDNORM" : "", e & EPOLLOUT ? " OUT" : "", e & EPOLLWRNORM ? " WRNORM" : "",
               e & EPOLLERR ? " ERR" : "", e & EPOLLHUP ? " HUP" : "", e & EPOLLRDHUP ? " RDHUP" : "");
    }
    printf("\n");
}

static void put(int fd, const char *bytes) { syscall(SYS_write, fd, bytes, strlen(bytes)); }

static long take(int fd, long count) {
    static char buffer[8192];
    return (long)syscall(SYS_read, fd, buffer, count);
}

static void drain(int fd) { while (take(fd, 8192) > 0) {} }

int main(void) {
    int p[2];
    syscall(SYS_pipe2, p, O_NONBLOCK);
    int ep = (int)syscall(SYS_epoll_create1, 0);

    printf("-- level-triggered read end\n");
    show_ctl("add read end", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 10));
    harvest("empty", ep, 8);
    put(p[1], "ab");
    harvest("after a write", ep, 8);
    harvest("again", ep, 8);
    take(p[0], 1);
    harvest("one byte left", ep, 8);
    take(p[0], 1);
    harvest("drained", ep, 8);

    printf("-- edge-triggered read end\n");
    show_ctl("modify to EPOLLET", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 11));
    harvest("empty", ep, 8);
    put(p[1], "a");
    harvest("after a write", ep, 8);
    harvest("again", ep, 8);
    put(p[1], "b");
    harvest("after a write to a readable pipe", ep, 8);
    take(p[0], 1);
    harvest("after a read, a byte left", ep, 8);
    drain(p[0]);
    harvest("drained", ep, 8);

    printf("-- one-shot read end\n");
    show_ctl("modify to EPOLLONESHOT", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 12));
    put(p[1], "c");
    harvest("after a write", ep, 8);
    harvest("again (disarmed)", ep, 8);
    put(p[1], "d");
    harvest("after another write (disarmed)", ep, 8);
    show_ctl("modify re-arms", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 13));
    harvest("re-armed", ep, 8);
    harvest("again", ep, 8);
    drain(p[0]);
    show_ctl("delete read end", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));
    show_ctl("delete again", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));

    printf("-- write end\n");
    show_ctl("add write end", ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 20));
    harvest("writable", ep, 8);
    show_ctl("modify to EPOLLET", ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT | EPOLLET, 21));
    harvest("after the modify", ep, 8);
    harvest("again", ep, 8);
    put(p[1], "x");
    harvest("after a write", ep, 8);
    drain(p[0]);
    harvest("after a read of a pipe that was not full", ep, 8);
    static char page[4096];
    int writes = 0;
    while (syscall(SYS_write, p[1], page, sizeof page) == (long)sizeof page) writes++;
    printf("filled: %d\n", writes > 0);
    harvest("full", ep, 8);
    take(p[0], 4096);
    harvest("after a read of a full pipe", ep, 8);
    take(p[0], 4096);
    harvest("after another read", ep, 8);
    drain(p[0]);
    show_ctl("delete write end", ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0));

    printf("-- hang-up and error\n");
    show_ctl("read end with EPOLLRDHUP", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLRDHUP, 30));
    put(p[1], "z");
    syscall(SYS_close, p[1]);
    harvest("write end closed, a byte left", ep, 8);
    take(p[0], 1);
    harvest("write end closed, drained", ep, 8);
    syscall(SYS_close, p[0]);
    harvest("read end closed too", ep, 8);
    int q[2], r[2];
    syscall(SYS_pipe2, q, O_NONBLOCK);
    syscall(SYS_pipe2, r, O_NONBLOCK);
    show_ctl("add write end for EPOLLOUT", ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT, 40));
    show_ctl("add write end for nothing", ctl(ep, EPOLL_CTL_ADD, r[1], 0, 41));
    harvest("both readers open", ep, 8);
    syscall(SYS_close, q[0]);
    syscall(SYS_close, r[0]);
    harvest("readers closed", ep, 8);
    syscall(SYS_close, q[1]);
    syscall(SYS_close, r[1]);

    printf("-- order\n");
    int a[2], b[2], c[2];
    syscall(SYS_pipe2, a, O_NONBLOCK);
    syscall(SYS_pipe2, b, O_NONBLOCK);
    syscall(SYS_pipe2, c, O_NONBLOCK);
    ctl(ep, EPOLL_CTL_ADD, a[0], EPOLLIN, 1);
    ctl(ep, EPOLL_CTL_ADD, b[0], EPOLLIN, 2);
    ctl(ep, EPOLL_CTL_ADD, c[0], EPOLLIN, 3);
    put(c[1], "c");
    put(a[1], "a");
    put(b[1], "b");
    harvest("written c, a, b", ep, 8);
    harvest("again", ep, 8);
    harvest("at most 2", ep, 2);
    harvest("the rest first", ep, 8);
    harvest("at most 1", ep, 1);
    drain(b[0]);
    harvest("b drained", ep, 8);
    put(b[1], "b");
    harvest("b written again", ep, 8);
    return 0;
}
