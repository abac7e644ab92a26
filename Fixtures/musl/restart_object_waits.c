// Checks that a signal interrupting a blocked read or write of a pipe, an eventfd or a timerfd
// restarts the call when its handler has SA_RESTART and ends it with EINTR otherwise, as Linux's
// pipe, eventfd and timerfd waits do (-ERESTARTSYS). Each call blocks in the main thread; an
// interval timer's SIGALRM arrives after 40 ms, and a helper thread makes the call ready after
// 160 ms (writes the pipe or the eventfd, drains the full pipe); the timerfd expires after 160 ms.
// A restarted call returns what the ready object gives; the handler ran once either way.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int signal) { (void)signal; alarms++; }

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

static void arm_alarm(int restart) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    action.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &action, 0);
    alarms = 0;
    struct itimerval timer = {{0, 0}, {0, 40000}};
    setitimer(ITIMER_REAL, &timer, 0);
}

enum { PIPE_READ, PIPE_WRITE, EVENTFD_READ, TIMERFD_READ };
static int fds[2], counter, drain_fd;

/* The helper thread: makes the main thread's call ready after 160 ms. */
static void *helper(void *arg) {
    int kind = (int)(intptr_t)arg;
    sleep_ms(160);
    if (kind == PIPE_READ) {
        write(fds[1], "ready", 5);
    } else if (kind == PIPE_WRITE) {
        char sink[4096];
        read(drain_fd, sink, sizeof sink);
    } else if (kind == EVENTFD_READ) {
        uint64_t one = 7;
        write(counter, &one, sizeof one);
    }
    return 0;
}

static void run(int kind, const char *name, int restart) {
    pthread_t thread;
    long result = 0;
    int timer = -1;
    if (kind == PIPE_READ || kind == PIPE_WRITE) pipe(fds);
    if (kind == PIPE_WRITE) {
        /* Fill the pipe: nonblocking writes until it refuses, then block on a small write. */
        drain_fd = fds[0];
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        char block[4096];
        memset(block, 'x', sizeof block);
        while (write(fds[1], block, sizeof block) > 0) {}
        fcntl(fds[1], F_SETFL, 0);
    }
    if (kind == EVENTFD_READ) counter = eventfd(0, 0);
    if (kind == TIMERFD_READ) {
        timer = timerfd_create(CLOCK_MONOTONIC, 0);
        struct itimerspec at = {{0, 0}, {0, 160000000L}};
        timerfd_settime(timer, 0, &at, 0);
    }
    pthread_create(&thread, 0, helper, (void *)(intptr_t)kind);
    arm_alarm(restart);
    errno = 0;
    char buffer[16] = {0};
    uint64_t value = 0;
    switch (kind) {
    case PIPE_READ: result = read(fds[0], buffer, sizeof buffer - 1); break;
    case PIPE_WRITE: result = write(fds[1], "small", 5); break;
    case EVENTFD_READ: result = read(counter, &value, sizeof value); break;
    case TIMERFD_READ: result = read(timer, &value, sizeof value); break;
    }
    int error = errno;
    pthread_join(thread, 0);
    printf("%s, handler %s SA_RESTART: ", name, restart ? "with" : "without");
    if (result < 0)
        printf("-1 %s", error == EINTR ? "EINTR" : strerror(error));
    else if (kind == PIPE_READ)
        printf("%ld bytes \"%s\"", result, buffer);
    else if (kind == PIPE_WRITE)
        printf("%ld bytes written", result);
    else
        printf("%ld bytes, value %llu", result, (unsigned long long)value);
    printf("; handler ran %d time(s)\n", (int)alarms);
    if (kind == PIPE_READ || kind == PIPE_WRITE) { close(fds[0]); close(fds[1]); }
    if (kind == EVENTFD_READ) close(counter);
    if (timer >= 0) close(timer);
}

int main(void) {
    static const char *names[] = {"pipe read", "pipe write into a full pipe", "eventfd read", "timerfd read"};
    for (int kind = PIPE_READ; kind <= TIMERFD_READ; kind++) {
        run(kind, names[kind], 1);
        run(kind, names[kind], 0);
    }
    return 0;
}
