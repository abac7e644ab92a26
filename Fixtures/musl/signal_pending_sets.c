// Checks Linux's two pending sets: a signal sent to the process (kill) and the same signal
// sent to the thread (tkill) while it is blocked are pending separately, so its handler runs
// twice once unblocked; sending it twice to the thread alone still runs the handler once.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t count;
static void handler(int signal) { (void)signal; count++; }

int main(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigaction(SIGUSR1, &action, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);

    sigprocmask(SIG_BLOCK, &block, NULL);
    syscall(SYS_tkill, tid, SIGUSR1);
    syscall(SYS_tkill, tid, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("tkill twice while blocked: handler ran %d times\n", count);

    count = 0;
    sigprocmask(SIG_BLOCK, &block, NULL);
    syscall(SYS_tkill, tid, SIGUSR1);
    syscall(SYS_kill, pid, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("tkill and kill while blocked: handler ran %d times\n", count);
    return 0;
}
