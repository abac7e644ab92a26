// Checks epoll over eventfds, nested instances, stdio and closed descriptors, each call by number:
// an eventfd (284) counter is writable below its maximum and readable above zero; edge-triggered,
// every write is a new input edge (even a write of 0) and every read a new output edge; an
// EFD_SEMAPHORE eventfd2 stays readable until counted down; an epoll instance inside another is
// reported EPOLLIN while one of its items is ready (level-triggered, it drops out once that item
// is not; edge-triggered, every wake-up of the inner instance is an edge), and poll and select see
// it readable; stdin with pending bytes is readable and stdout writable; two descriptors of one
// pipe end are two items woken newest first; closing one keeps its item (reported with its data,
// no longer deletable by number), closing the last removes both; a write end whose reader goes
// reports EPOLLERR.
// conformance-stdin: waiting line\n
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
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

/// epoll_wait with a zero timeout; prints each event's data and bits, without EPOLLHUP when `hide_hup`.
static void harvest_masked(const char *label, int ep, int hide_hup) {
    struct epoll_event events[8];
    memset(events, 0, sizeof events);
    errno = 0;
    int count = (int)syscall(SYS_epoll_wait, ep, events, 8, 0);
    int error = errno;
    printf("%s: %d", label, count);
    if (count < 0) printf(" %s", name(error));
    for (int i = 0; i < count; i++) {
        unsigned e = events[i].events;
        if (hide_hup) e &= ~EPOLLHUP;
        printf(" {%llu:%s%s%s%s%s%s}", (unsigned long long)events[i].data.u64, e & EPOLLIN ? " IN" : "",
               e & EPOLLRDNORM ? " RDNORM" : "", e & EPOLLOUT ? " OUT" : "", e & EPOLLWRNORM ? " WRNORM" : "",
               e & EPOLLERR ? " ERR" : "", e & EPOLLHUP ? " HUP" : "");
    }
    printf("\n");
}

static void harvest(const char *label, int ep) { harvest_masked(label, ep, 0); }

static void add(int fd, uint64_t value) { syscall(SYS_write, fd, &value, 8); }

static uint64_t take(int fd) {
    uint64_t value = 0;
    syscall(SYS_read, fd, &value, 8);
    return value;
}

int main(void) {
    int ep = (int)syscall(SYS_epoll_create1, 0);

    printf("-- eventfd\n");
    int e = (int)syscall(SYS_eventfd, 0);
    printf("eventfd: %d, O_ACCMODE %ld, O_NONBLOCK %d\n", e >= 0, (long)syscall(SYS_fcntl, e, F_GETFL) & O_ACCMODE,
           (syscall(SYS_fcntl, e, F_GETFL) & O_NONBLOCK) != 0);
    show_ctl("add for in and out", ctl(ep, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLOUT, 1));
    harvest("zero", ep);
    add(e, 5);
    harvest("five", ep);
    printf("read %llu\n", (unsigned long long)take(e));
    harvest("zero again", ep);
    show_ctl("modify to in, edge-triggered", ctl(ep, EPOLL_CTL_MOD, e, EPOLLIN | EPOLLET, 2));
    harvest("zero", ep);
    add(e, 1);
    harvest("after adding 1", ep);
    harvest("again", ep);
    add(e, 0);
    harvest("after adding 0", ep);
    printf("read %llu\n", (unsigned long long)take(e));
    harvest("after the read", ep);
    show_ctl("modify to out, edge-triggered", ctl(ep, EPOLL_CTL_MOD, e, EPOLLOUT | EPOLLET, 3));
    harvest("after the modify", ep);
    harvest("again", ep);
    add(e, 2);
    harvest("after adding 2", ep);
    printf("read %llu\n", (unsigned long long)take(e));
    harvest("after the read", ep);
    show_ctl("delete", ctl(ep, EPOLL_CTL_DEL, e, 0, 0));
    int s = (int)syscall(SYS_eventfd2, 2, EFD_SEMAPHORE | EFD_NONBLOCK);
    show_ctl("add a semaphore of 2", ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 4));
    harvest("two", ep);
    printf("read %llu\n", (unsigned long long)take(s));
    harvest("one", ep);
    printf("read %llu\n", (unsigned long long)take(s));
    harvest("none", ep);
    syscall(SYS_close, s);
    harvest("closed", ep);

    printf("-- nested\n");
    int outer = (int)syscall(SYS_epoll_create1, 0);
    int inner = (int)syscall(SYS_epoll_create, 1);
    int p[2];
    syscall(SYS_pipe2, p, O_NONBLOCK);
    show_ctl("pipe into inner", ctl(inner, EPOLL_CTL_ADD, p[0], EPOLLIN, 100));
    show_ctl("inner into outer", ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 200));
    harvest("outer, nothing", outer);
    struct pollfd one = {inner, POLLIN | POLLOUT, 0};
    long polled = (long)syscall(SYS_poll, &one, 1, 0);
    printf("poll inner: %ld revents %#x\n", polled, (unsigned)one.revents);
    syscall(SYS_write, p[1], "x", 1);
    harvest("outer, after a write", outer);
    one.revents = 0;
    polled = (long)syscall(SYS_poll, &one, 1, 0);
    printf("poll inner: %ld revents %#x\n", polled, (unsigned)one.revents);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(inner, &readable);
    struct timeval zero = {0, 0};
    long selected = (long)syscall(SYS_select, inner + 1, &readable, NULL, NULL, &zero);
    printf("select inner: %ld readable %d\n", selected, FD_ISSET(inner, &readable) != 0);
    harvest("inner", inner);
    harvest("outer, still", outer);
    char buffer[8];
    syscall(SYS_read, p[0], buffer, sizeof buffer);
    harvest("outer, drained", outer);
    harvest("inner, drained", inner);
    show_ctl("outer edge-triggered", ctl(outer, EPOLL_CTL_MOD, inner, EPOLLIN | EPOLLET, 201));
    syscall(SYS_write, p[1], "y", 1);
    harvest("outer, after a write", outer);
    harvest("outer, again", outer);
    syscall(SYS_write, p[1], "z", 1);
    harvest("outer, after another write", outer);
    show_ctl("outer in a third", ctl(ep, EPOLL_CTL_ADD, outer, EPOLLIN, 300));
    harvest("third", ep);
    syscall(SYS_write, p[1], "w", 1);
    harvest("third, after a write", ep);
    syscall(SYS_close, inner);
    harvest("outer, inner closed", outer);
    harvest("third, inner closed", ep);
    syscall(SYS_close, outer);
    harvest("third, outer closed", ep);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);

    printf("-- stdio\n");
    show_ctl("stdin for in", ctl(ep, EPOLL_CTL_ADD, 0, EPOLLIN, 10));
    show_ctl("stdout for out", ctl(ep, EPOLL_CTL_ADD, 1, EPOLLOUT, 11));
    // Whether stdin's writer has closed its end yet (EPOLLHUP) depends on the runner's timing.
    harvest_masked("stdio", ep, 1);
    harvest_masked("again", ep, 1);
    char line[64] = {0};
    syscall(SYS_read, 0, line, sizeof line - 1);
    printf("read stdin [%s]\n", strtok(line, "\n"));
    show_ctl("delete stdin", ctl(ep, EPOLL_CTL_DEL, 0, 0, 0));
    show_ctl("delete stdout", ctl(ep, EPOLL_CTL_DEL, 1, 0, 0));

    printf("-- closing\n");
    syscall(SYS_pipe2, p, O_NONBLOCK);
    int copy = (int)syscall(SYS_dup, p[0]);
    show_ctl("add read end", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 20));
    show_ctl("add its dup", ctl(ep, EPOLL_CTL_ADD, copy, EPOLLIN, 21));
    syscall(SYS_write, p[1], "a", 1);
    harvest("after a write", ep);
    int closed = p[0];
    syscall(SYS_close, p[0]);
    harvest("read end closed, dup open", ep);
    show_ctl("delete the closed descriptor", ctl(ep, EPOLL_CTL_DEL, closed, 0, 0));
    int other = (int)syscall(SYS_dup, p[1]);
    printf("the write end's dup takes the number: %d\n", other == closed);
    show_ctl("delete that number", ctl(ep, EPOLL_CTL_DEL, other, 0, 0));
    show_ctl("add it (the write end)", ctl(ep, EPOLL_CTL_ADD, other, EPOLLIN, 22));
    harvest("both", ep);
    syscall(SYS_close, copy);
    harvest("last read descriptor closed", ep);
    show_ctl("delete the dup", ctl(ep, EPOLL_CTL_DEL, copy, 0, 0));
    syscall(SYS_close, other);
    syscall(SYS_close, p[1]);
    harvest("all closed", ep);
    return 0;
}
