// Checks signals: a SA_SIGINFO handler run by raise() on a proper frame (si_code SI_TKILL,
// x87/SSE state intact after it), a SIGSEGV from a fault delivered to a handler that
// siglongjmps out, a blocked signal delivered on unblock, SIG_IGN, and abort() ending the
// program with status 134 as on Linux.
// conformance-libcs: musl glibc
// conformance-exit: 134
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
static volatile int got;
static sigjmp_buf env;
static void usr1(int s, siginfo_t *info, void *uc) { got = s; printf("handler %d code %d\n", s, info->si_code); }
static void segv(int s, siginfo_t *info, void *uc) { printf("segv at %p\n", info->si_addr); siglongjmp(env, 1); }
int main(void) { setvbuf(stdout, 0, _IONBF, 0);
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = usr1; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    double d = 1.5; raise(SIGUSR1); printf("after raise got=%d d=%f\n", got, d * 2);
    sa.sa_sigaction = segv; sigaction(SIGSEGV, &sa, 0);
    if (sigsetjmp(env, 1) == 0) { *(volatile int *)16 = 1; printf("not reached\n"); }
    else printf("recovered from SIGSEGV\n");
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR1); sigprocmask(SIG_BLOCK, &set, 0);
    raise(SIGUSR1); printf("blocked, got=%d\n", got); got = 0; sigprocmask(SIG_UNBLOCK, &set, 0); printf("unblocked got=%d\n", got);
    signal(SIGTERM, SIG_IGN); raise(SIGTERM); printf("ignored TERM\n");
    abort();
}
