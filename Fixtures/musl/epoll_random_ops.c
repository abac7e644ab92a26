// Checks epoll against Linux with a fixed pseudo-random sequence of calls, each by number:
// epoll_ctl add, modify and delete with assorted events and flags (edge-triggered, one-shot,
// exclusive) between epoll instances, pipe ends, eventfds and their dups, often nesting instances
// (cycles and too deep nesting are ELOOP, too many wake-up paths EINVAL); epoll_wait with small
// maxevents; writes and reads that make and consume readiness; closes, dups and new descriptors;
// poll over the same descriptors. Every result, errno and reported event is printed, so the whole
// state machine (ready lists, their order, wake-ups, removal at the last close) is compared.
// conformance-args: 5 2000
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t state;
static uint64_t next_random(void) {  // splitmix64: the same sequence everywhere
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static int below(int limit) { return (int)(next_random() % (uint64_t)limit); }

#define KNOWN 24
static int known[KNOWN], known_count;       // descriptors made so far (some closed since)
static int instances[8], instance_count;   // epoll instances among them

static void remember(int fd) {
    if (fd < 0) return;
    if (known_count < KNOWN) known[known_count++] = fd; else known[below(KNOWN)] = fd;
}

/// A descriptor: mostly one made so far, sometimes any small number.
static int any_fd(void) {
    if (!known_count || below(10) == 0) return 3 + below(27);
    return known[below(known_count)];
}

/// Mostly an epoll instance.
static int epoll_fd(void) {
    if (instance_count && below(10) < 8) return instances[below(instance_count)];
    return any_fd();
}

static void make_something(void) {
    int kind = below(4);
    if (kind == 0) {
        int p[2];
        if (syscall(SYS_pipe2, p, O_NONBLOCK) == 0) { remember(p[0]); remember(p[1]); }
        printf("pipe\n");
    } else if (kind == 1) {
        int e = (int)syscall(SYS_eventfd2, below(3), EFD_NONBLOCK);
        remember(e);
        printf("eventfd %d\n", e);
    } else {
        int e = (int)syscall(SYS_epoll_create1, 0);
        remember(e);
        if (e >= 0) {
            if (instance_count < 8) instances[instance_count++] = e; else instances[below(8)] = e;
        }
        printf("epoll %d\n", e);
    }
}

static const unsigned event_sets[] = {
    EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLOUT | EPOLLET, EPOLLIN | EPOLLOUT | EPOLLET,
    EPOLLRDHUP, 0, EPOLLIN | EPOLLEXCLUSIVE, EPOLLIN | EPOLLOUT, EPOLLOUT | EPOLLONESHOT | EPOLLET,
    EPOLLIN | EPOLLOUT | EPOLLONESHOT,
};

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    signal(SIGPIPE, SIG_IGN);
    syscall(SYS_close_range, 3, ~0U, 0);  // descriptor numbers from 3 on, whoever started the program
    state = strtoull(argv[1], NULL, 0);
    int steps = atoi(argv[2]);
    for (int i = 0; i < 6; i++) make_something();
    for (int step = 0; step < steps; step++) {
        int what = below(100);
        long result;
        errno = 0;
        if (what < 30) {
            int op = below(10) < 6 ? EPOLL_CTL_ADD : 2 + below(2);
            int ep = epoll_fd(), fd = below(3) ? any_fd() : epoll_fd();
            struct epoll_event event;
            event.events = event_sets[below(12)];
            event.data.u64 = (uint64_t)step;
            result = syscall(SYS_epoll_ctl, ep, op, fd, &event);
            printf("%d ctl %d %d %d %x: %ld %d\n", step, ep, op, fd, event.events, result, result < 0 ? errno : 0);
        } else if (what < 55) {
            int ep = epoll_fd(), maximum = 1 + below(4);
            struct epoll_event events[4];
            result = syscall(SYS_epoll_wait, ep, events, maximum, 0);
            printf("%d wait %d %d: %ld %d", step, ep, maximum, result, result < 0 ? errno : 0);
            for (int j = 0; j < result; j++) printf(" {%llu %x}", (unsigned long long)events[j].data.u64, events[j].events);
            printf("\n");
        } else if (what < 68) {
            int fd = any_fd(), length = 1 + below(10);
            char bytes[16];
            memset(bytes, 'x', sizeof bytes);
            result = syscall(SYS_write, fd, bytes, (fd & 1) ? length : 8);
            if (result < 0 && errno == EINVAL) {  // an eventfd wants exactly 8 bytes: a small value
                uint64_t value = (uint64_t)below(3);
                result = syscall(SYS_write, fd, &value, 8);
            }
            printf("%d write %d: %ld %d\n", step, fd, result, result < 0 ? errno : 0);
        } else if (what < 80) {
            int fd = any_fd();
            char bytes[16];
            result = syscall(SYS_read, fd, bytes, below(2) ? 8 : 1 + below(10));
            printf("%d read %d: %ld %d\n", step, fd, result, result < 0 ? errno : 0);
        } else if (what < 86) {
            int fd = any_fd();
            result = syscall(SYS_close, fd);
            printf("%d close %d: %ld %d\n", step, fd, result, result < 0 ? errno : 0);
        } else if (what < 90) {
            int fd = any_fd();
            result = syscall(SYS_dup, fd);
            remember((int)result);
            printf("%d dup %d: %ld %d\n", step, fd, result, result < 0 ? errno : 0);
        } else if (what < 94) {
            make_something();
        } else {
            struct pollfd fds[3];
            for (int j = 0; j < 3; j++) {
                fds[j].fd = any_fd();
                fds[j].events = POLLIN | POLLOUT;
                fds[j].revents = 0;
            }
            result = syscall(SYS_poll, fds, 3, 0);
            printf("%d poll: %ld %x %x %x\n", step, result, fds[0].revents, fds[1].revents, fds[2].revents);
        }
    }
    return 0;
}
