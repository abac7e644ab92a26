// Checks epoll_pwait's and epoll_pwait2's temporary signal mask, each call by number: with SIGUSR1
// and SIGUSR2 blocked and SIGUSR1 pending, a wait whose mask unblocks SIGUSR1 and finds nothing
// ready ends at once with EINTR, the handler runs under the temporary mask (SIGUSR1 blocked as it
// is handled, SIGUSR2 not) and the old mask is back afterwards; with an item ready the events are
// returned and the signal stays pending; with a zero timeout 0 is returned and it stays pending
// too; a mask that keeps it blocked lets a short timeout expire; a NULL mask changes nothing;
// unblocking it at the end runs the handler once more.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static volatile sig_atomic_t handled;
static volatile sig_atomic_t usr1_blocked_in_handler, usr2_blocked_in_handler;

static void handler(int signal) {
    (void)signal;
    uint64_t mask = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, 8);
    usr1_blocked_in_handler = (mask >> (SIGUSR1 - 1)) & 1;
    usr2_blocked_in_handler = (mask >> (SIGUSR2 - 1)) & 1;
    handled++;
}

static void state(const char *label, long result, int error) {
    uint64_t blocked = 0, pending = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, 8);
    syscall(SYS_rt_sigpending, &pending, 8);
    printf("%s: %ld", label, result);
    if (result < 0) printf(" %s", error == EINTR ? "EINTR" : error == EINVAL ? "EINVAL" : "other");
    printf("; handled %d; blocked USR1 %d USR2 %d; pending USR1 %d\n", (int)handled,
           (int)(blocked >> (SIGUSR1 - 1) & 1), (int)(blocked >> (SIGUSR2 - 1) & 1), (int)(pending >> (SIGUSR1 - 1) & 1));
}

#define WAIT(label, expr) do { errno = 0; long r_ = (long)(expr); state(label, r_, errno); } while (0)

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigaction(SIGUSR1, &action, NULL);
    uint64_t old_mask = (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGUSR2 - 1));
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &old_mask, NULL, 8);
    syscall(SYS_kill, getpid(), SIGUSR1);

    int p[2];
    syscall(SYS_pipe2, p, O_NONBLOCK);
    int ep = (int)syscall(SYS_epoll_create1, 0);
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN;
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &event);
    struct epoll_event events[4];
    uint64_t unblock_all = 0, keep_usr1 = 1ULL << (SIGUSR1 - 1);
    WAIT("start", 0);

    WAIT("epoll_pwait unblocking, nothing ready", syscall(SYS_epoll_pwait, ep, events, 4, 5000, &unblock_all, 8));
    printf("  in the handler: USR1 blocked %d, USR2 blocked %d\n", (int)usr1_blocked_in_handler, (int)usr2_blocked_in_handler);

    syscall(SYS_kill, getpid(), SIGUSR1);
    syscall(SYS_write, p[1], "x", 1);
    WAIT("epoll_pwait unblocking, an item ready", syscall(SYS_epoll_pwait, ep, events, 4, 5000, &unblock_all, 8));
    char byte;
    syscall(SYS_read, p[0], &byte, 1);
    WAIT("epoll_pwait unblocking, zero timeout", syscall(SYS_epoll_pwait, ep, events, 4, 0, &unblock_all, 8));
    WAIT("epoll_pwait keeping it blocked, 20 ms", syscall(SYS_epoll_pwait, ep, events, 4, 20, &keep_usr1, 8));
    WAIT("epoll_pwait NULL mask, zero timeout", syscall(SYS_epoll_pwait, ep, events, 4, 0, NULL, 8));
    WAIT("epoll_pwait wrong sigsetsize", syscall(SYS_epoll_pwait, ep, events, 4, 0, &unblock_all, 16));
    struct timespec zero = {0, 0}, long_wait = {5, 0};
    WAIT("epoll_pwait2 unblocking, zero timeout", syscall(SYS_epoll_pwait2, ep, events, 4, &zero, &unblock_all, 8));
    WAIT("epoll_pwait2 unblocking, nothing ready", syscall(SYS_epoll_pwait2, ep, events, 4, &long_wait, &unblock_all, 8));
    printf("  in the handler: USR1 blocked %d, USR2 blocked %d\n", (int)usr1_blocked_in_handler, (int)usr2_blocked_in_handler);

    syscall(SYS_kill, getpid(), SIGUSR1);
    WAIT("pending again", 0);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &keep_usr1, NULL, 8);
    WAIT("unblocked", 0);
    return 0;
}
