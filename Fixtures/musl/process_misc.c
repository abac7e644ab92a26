// Checks process-group, scheduling, locking and signal-state syscalls, each called by number:
// setpgid(0, 0) makes the process a group leader, then getpgrp == getpgid(0) == getpid and
// setsid is EPERM (already a group leader), getsid(0) succeeds and ESRCH for an unknown pid;
// getpriority/setpriority (raising the nice value is read back); sched_getparam (priority 0),
// sched_getscheduler (SCHED_OTHER), sched_get_priority_max/min for SCHED_OTHER and SCHED_FIFO;
// personality query (PER_LINUX); mlock/munlock/mlockall/munlockall (error cases:
// process_error_cases);
// sigaltstack (query, install, read back, EINVAL for bad flags); rt_sigpending shows signals
// sent by kill, tkill and tgkill while blocked, and the handlers run once unblocked; kill(pid, 0)
// succeeds, ESRCH for an unknown pid, EINVAL for a bad signal.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static volatile sig_atomic_t usr1, usr2, alrm;
static void handler(int signal) {
    if (signal == SIGUSR1) usr1++;
    else if (signal == SIGUSR2) usr2++;
    else alrm++;
}

int main(void) {
    long pid = syscall(SYS_getpid);
    SHOW("setpgid(0, 0)", syscall(SYS_setpgid, 0, 0));
    printf("getpgrp == pid: %d, getpgid(0) == pid: %d, getpgid(pid) == pid: %d\n", syscall(SYS_getpgrp) == pid,
           syscall(SYS_getpgid, 0) == pid, syscall(SYS_getpgid, pid) == pid);
    SHOW("setsid as group leader", syscall(SYS_setsid));
    // The session id itself is 0 natively when the session leader lives outside the PID
    // namespace (containers, CI runners), so only success is compared.
    printf("getsid(0) succeeds: %d\n", syscall(SYS_getsid, 0) >= 0);
    SHOW("getsid unknown pid", syscall(SYS_getsid, 999999));
    SHOW("getpgid unknown pid", syscall(SYS_getpgid, 999999));

    long before = syscall(SYS_getpriority, PRIO_PROCESS, 0);
    printf("getpriority (20 - nice) in 1..40: %d\n", before >= 1 && before <= 40);
    SHOW("setpriority nice 5", syscall(SYS_setpriority, PRIO_PROCESS, 0, 5));
    SHOW("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("setpriority nice 7 by pid", syscall(SYS_setpriority, PRIO_PROCESS, pid, 7));
    SHOW("getpriority by pid", syscall(SYS_getpriority, PRIO_PROCESS, pid));
    SHOW("getpriority bad which", syscall(SYS_getpriority, 99, 0));

    struct sched_param param = {.sched_priority = 42};
    SHOW("sched_getparam", syscall(SYS_sched_getparam, 0, &param));
    printf("  priority %d\n", param.sched_priority);
    SHOW("sched_getscheduler (SCHED_OTHER = 0)", syscall(SYS_sched_getscheduler, 0));
    SHOW("sched_get_priority_max OTHER", syscall(SYS_sched_get_priority_max, SCHED_OTHER));
    SHOW("sched_get_priority_min OTHER", syscall(SYS_sched_get_priority_min, SCHED_OTHER));
    SHOW("sched_get_priority_max FIFO", syscall(SYS_sched_get_priority_max, SCHED_FIFO));
    SHOW("sched_get_priority_min RR", syscall(SYS_sched_get_priority_min, SCHED_RR));
    SHOW("sched_get_priority_max bad policy", syscall(SYS_sched_get_priority_max, 77));
    SHOW("sched_getparam unknown pid", syscall(SYS_sched_getparam, 999999, &param));

    SHOW("personality query (PER_LINUX = 0)", syscall(SYS_personality, 0xffffffffUL) & 0xff);

    char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("mlock", syscall(SYS_mlock, page, 4096L));
    SHOW("munlock", syscall(SYS_munlock, page, 4096L));
    SHOW("mlock unaligned start (rounded down)", syscall(SYS_mlock, page + 100, 100L));
    SHOW("munlock unaligned", syscall(SYS_munlock, page + 100, 100L));
    SHOW("mlockall MCL_CURRENT", syscall(SYS_mlockall, MCL_CURRENT));
    SHOW("munlockall", syscall(SYS_munlockall));

    stack_t old = {0}, stack = {0};
    SHOW("sigaltstack query", syscall(SYS_sigaltstack, NULL, &old));
    printf("  SS_DISABLE: %d\n", (old.ss_flags & SS_DISABLE) != 0);
    stack.ss_sp = malloc(65536);
    stack.ss_size = 65536;
    SHOW("sigaltstack install", syscall(SYS_sigaltstack, &stack, NULL));
    SHOW("sigaltstack read back", syscall(SYS_sigaltstack, NULL, &old));
    printf("  same stack %d, size %zu, flags %d\n", old.ss_sp == stack.ss_sp, old.ss_size, old.ss_flags);
    stack.ss_flags = 0x1234;
    SHOW("sigaltstack bad flags", syscall(SYS_sigaltstack, &stack, NULL));
    stack.ss_flags = 0;
    stack.ss_size = 512;
    SHOW("sigaltstack too small", syscall(SYS_sigaltstack, &stack, NULL));

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigaction(SIGUSR1, &action, NULL);
    sigaction(SIGUSR2, &action, NULL);
    sigaction(SIGALRM, &action, NULL);
    sigset_t block, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    uint64_t bits = 0;
    SHOW("rt_sigpending, nothing pending", syscall(SYS_rt_sigpending, &bits, 8));
    printf("  set: 0x%llx\n", (unsigned long long)bits);
    SHOW("tkill SIGUSR1", syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1));
    SHOW("tgkill SIGUSR2", syscall(SYS_tgkill, pid, syscall(SYS_gettid), SIGUSR2));
    SHOW("rt_sigpending", syscall(SYS_rt_sigpending, &bits, 8));
    printf("  set: 0x%llx, handlers run so far %d %d\n", (unsigned long long)bits, usr1, usr2);
    SHOW("rt_sigpending bad size", syscall(SYS_rt_sigpending, &bits, 64));
    SHOW("kill(pid, 0)", syscall(SYS_kill, pid, 0));
    SHOW("kill unknown pid", syscall(SYS_kill, 999999, 0));
    SHOW("kill bad signal", syscall(SYS_kill, pid, 999));
    SHOW("kill(pid, SIGALRM) while blocked", syscall(SYS_kill, pid, SIGALRM));
    SHOW("tkill unknown tid", syscall(SYS_tkill, 999999, SIGUSR1));
    SHOW("tgkill wrong group", syscall(SYS_tgkill, 999999, syscall(SYS_gettid), SIGUSR1));
    SHOW("tgkill bad signal", syscall(SYS_tgkill, pid, syscall(SYS_gettid), 999));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("after unblocking: SIGUSR1 %d, SIGUSR2 %d, SIGALRM %d\n", usr1, usr2, alrm);
    sigpending(&pending);
    printf("still pending: %d\n", sigismember(&pending, SIGUSR1) || sigismember(&pending, SIGUSR2)
           || sigismember(&pending, SIGALRM));
    return 0;
}
