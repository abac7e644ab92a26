// Checks SIGCHLD and signals between parent and child: a SA_RESTART|SA_SIGINFO SIGCHLD handler
// runs at least once (at most once per child: SIGCHLD does not queue) while the parent, with
// SIGCHLD blocked, reaps five children between sigsuspend calls, and a blocking read is
// restarted across it; sigtimedwait takes SIGCHLD with si_code CLD_EXITED, si_pid of a child and
// its si_status; a SA_NOCLDSTOP handler still sees exits (CLD_EXITED, status) and SIGKILL deaths
// (CLD_KILLED); with SIGCHLD set to SIG_IGN, and with SA_NOCLDWAIT (its handler still runs),
// children are reaped automatically: wait() blocks until they are gone, then fails with ECHILD,
// and kill(pid, 0) is ESRCH. kill(child, SIGUSR1) reaches a handler the child installed while
// it waits in sigsuspend (si_code SI_USER, si_pid the parent, si_uid the parent's uid, reported
// through the exit status); kill(pid, 0) is 0 for a live child and for an unreaped zombie and
// ESRCH once reaped. Across fork, handlers, SIG_IGN and the signal mask are inherited while
// pending signals are not.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/fork.h"

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "none";
    case ECHILD: return "ECHILD";
    case ESRCH: return "ESRCH";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

static const char *codename(int code) {
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case SI_USER: return "SI_USER";
    default: return "other";
    }
}

static int exit_status(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static sigset_t chld_set;

static void block_chld(void) { sigprocmask(SIG_BLOCK, &chld_set, NULL); }
static void unblock_chld(void) { sigprocmask(SIG_UNBLOCK, &chld_set, NULL); }

/* Takes any SIGCHLD left pending (with SIGCHLD blocked) so that sections do not see each other's. */
static void drain_chld(void) {
    block_chld();
    struct timespec zero = {0, 0};
    while (sigtimedwait(&chld_set, NULL, &zero) == SIGCHLD) {}
}

static volatile sig_atomic_t chld_count;
static volatile sig_atomic_t last_code, last_status, last_pid_valid;
static volatile pid_t last_pid;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if (sig != SIGCHLD) return;
    chld_count++;
    last_code = si->si_code;
    last_status = si->si_status;
    last_pid = si->si_pid;
    last_pid_valid = 1;
}

static void install_chld(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static void default_chld(void) {
    drain_chld();
    signal(SIGCHLD, SIG_DFL);
    unblock_chld();
}

static void handler_and_sigsuspend(void) {
    printf("-- SIGCHLD handler, sigsuspend\n");
    drain_chld();
    install_chld(SA_RESTART);
    chld_count = 0;
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) _exit(20 + i);
    }
    int statuses[5], reaped = 0;
    while (reaped < 5) {
        int st;
        pid_t r;
        while (reaped < 5 && (r = waitpid(-1, &st, WNOHANG)) > 0)
            for (int i = 0; i < 5; i++)
                if (r == kids[i]) statuses[reaped++] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (reaped < 5) {
            sigsuspend(&wait_mask); /* SIGCHLD stays pending until here if it came earlier */
        }
    }
    unblock_chld(); /* a SIGCHLD still pending runs the handler now */
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (statuses[j] < statuses[i]) {
                int t = statuses[i];
                statuses[i] = statuses[j];
                statuses[j] = t;
            }
    printf("reaped statuses: %d %d %d %d %d\n", statuses[0], statuses[1], statuses[2], statuses[3], statuses[4]);
    printf("handler ran at least once and at most five times: %s\n", yesno(chld_count >= 1 && chld_count <= 5));

    /* A read blocked while a child exits is restarted (SA_RESTART), then gets the other child's data. */
    int p[2];
    pipe(p);
    pid_t quick = xfork();
    if (quick == 0) {
        sleep_ms(20);
        _exit(0);
    }
    pid_t writer = xfork();
    if (writer == 0) {
        close(p[0]);
        sleep_ms(150);
        write(p[1], "data", 4);
        _exit(0);
    }
    close(p[1]);
    chld_count = 0;
    char buf[8] = {0};
    ssize_t n;
    errno = 0;
    n = read(p[0], buf, sizeof buf - 1);
    int e = errno;
    close(p[0]);
    int s1 = exit_status(quick), s2 = exit_status(writer);
    printf("read across SIGCHLD: %d \"%s\" (%s); children exited %d %d\n", (int)n, buf, errname(n < 0 ? e : 0), s1, s2);
    default_chld();
}

static void sigtimedwait_children(void) {
    printf("-- sigtimedwait for SIGCHLD\n");
    drain_chld();
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) _exit(30 + i);
    }
    int reaped = 0, sum = 0, waits = 0, first_ok = -1;
    while (reaped < 5) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        struct timespec limit = {5, 0};
        int sig = sigtimedwait(&chld_set, &si, &limit);
        if (sig != SIGCHLD) {
            printf("sigtimedwait: %d %s\n", sig, errname(errno));
            break;
        }
        if (waits++ == 0) {
            int match = 0;
            for (int i = 0; i < 5; i++)
                if (si.si_pid == kids[i] && si.si_status == 30 + i) match = 1;
            first_ok = si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && match;
        }
        int st;
        pid_t r;
        while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
            reaped++;
            sum += WEXITSTATUS(st);
        }
    }
    printf("first siginfo: SIGCHLD, CLD_EXITED, a child's pid with that child's status: %s\n", yesno(first_ok == 1));
    printf("reaped %d, statuses sum %d (expected 160), at most 5 signals taken: %s\n", reaped, sum, yesno(waits <= 5));
    drain_chld();
}

static void nocldstop(void) {
    printf("-- SA_NOCLDSTOP\n");
    drain_chld();
    install_chld(SA_NOCLDSTOP | SA_RESTART);
    sigset_t wait_mask;
    sigprocmask(SIG_BLOCK, NULL, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    for (int round = 0; round < 2; round++) {
        chld_count = 0;
        last_pid_valid = 0;
        pid_t pid = xfork();
        if (pid == 0) {
            if (round == 1) kill(getpid(), SIGKILL);
            _exit(44);
        }
        /* The child ends by itself; the handler runs in sigsuspend (or there, if already pending). */
        while (chld_count == 0) sigsuspend(&wait_mask);
        int st = exit_status(pid);
        printf("%s: handler si_code %s si_status %d, pid is the child %s; waitpid status %d\n",
               round == 0 ? "exit(44)" : "SIGKILL", codename(last_code), (int)last_status,
               yesno(last_pid_valid && last_pid == pid), st);
    }
    default_chld();
}

static void ignored_and_nocldwait(void) {
    printf("-- SIG_IGN and SA_NOCLDWAIT\n");
    for (int variant = 0; variant < 2; variant++) {
        drain_chld();
        if (variant == 0) signal(SIGCHLD, SIG_IGN);
        else install_chld(SA_NOCLDWAIT | SA_RESTART);
        unblock_chld();
        chld_count = 0;
        pid_t kids[3];
        for (int i = 0; i < 3; i++) {
            kids[i] = xfork();
            if (kids[i] == 0) {
                sleep_ms(20 * (i + 1));
                _exit(i);
            }
        }
        int st;
        errno = 0;
        pid_t r = wait(&st);
        int e = errno;
        int gone = 0;
        for (int i = 0; i < 3; i++) {
            errno = 0;
            if (kill(kids[i], 0) == -1 && errno == ESRCH) gone++;
        }
        errno = 0;
        pid_t r2 = waitpid(kids[0], &st, WNOHANG);
        int e2 = errno;
        printf("%s: wait() = %d %s after the children ended; kill(pid, 0) ESRCH for %d of 3; waitpid(pid) = %d %s\n",
               variant == 0 ? "SIG_IGN" : "SA_NOCLDWAIT", (int)r, errname(e), gone, (int)r2, errname(e2));
        if (variant == 1) printf("SA_NOCLDWAIT handler ran: %s\n", yesno(chld_count >= 1));
        default_chld();
    }
}

static volatile sig_atomic_t usr_got, usr_code, usr_pid_ok, usr_uid_ok;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    usr_got = sig == SIGUSR1;
    usr_code = si->si_code;
    usr_pid_ok = si->si_pid == getppid();
    usr_uid_ok = si->si_uid == getuid();
}

static void kill_child(void) {
    printf("-- kill to a child\n");
    int ready[2];
    pipe(ready);
    pid_t pid = xfork();
    if (pid == 0) {
        close(ready[0]);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_usr1;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        sigset_t usr1, old;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, &old);
        write(ready[1], "r", 1); /* SIGUSR1 stays pending until sigsuspend if it comes early */
        sigdelset(&old, SIGUSR1);
        errno = 0;
        int r = sigsuspend(&old);
        int eintr = r == -1 && errno == EINTR;
        _exit(usr_got | (usr_code == SI_USER) << 1 | usr_pid_ok << 2 | usr_uid_ok << 3 | eintr << 4);
    }
    close(ready[1]);
    struct pollfd pfd = {.fd = ready[0], .events = POLLIN};
    char c = 0;
    int is_ready = poll(&pfd, 1, 5000) == 1 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    errno = 0;
    int k0 = kill(pid, 0);
    int k0e = errno;
    int k1 = kill(pid, SIGUSR1);
    int st = exit_status(pid);
    printf("child ready %s; kill(child, 0) = %d %s; kill(child, SIGUSR1) = %d\n", yesno(is_ready), k0, errname(k0e), k1);
    printf("child's report (31 = handler ran, SI_USER, si_pid parent, si_uid ours, sigsuspend EINTR): %d\n", st);

    pid = xfork();
    if (pid == 0) _exit(0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int w;
    do w = waitid(P_PID, pid, &si, WEXITED | WNOWAIT); while (w < 0 && errno == EINTR);
    errno = 0;
    int kz = kill(pid, 0);
    int kze = errno;
    exit_status(pid);
    errno = 0;
    int kr = kill(pid, 0);
    int kre = errno;
    printf("zombie: kill(pid, 0) = %d %s; after reaping: %d %s\n", kz, errname(kze), kr, errname(kre));
}

static volatile sig_atomic_t usr2_ran;
static void on_usr2(int sig) { usr2_ran = sig == SIGUSR2; }

static void inheritance(void) {
    printf("-- inheritance across fork\n");
    signal(SIGUSR2, on_usr2);
    signal(SIGTERM, SIG_IGN);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    raise(SIGUSR1); /* pending in the parent */
    pid_t pid = xfork();
    if (pid == 0) {
        usr2_ran = 0;
        raise(SIGUSR2);
        raise(SIGTERM); /* ignored: the child survives */
        sigset_t mask, pending;
        sigprocmask(SIG_BLOCK, NULL, &mask);
        sigpending(&pending);
        _exit(usr2_ran | sigismember(&mask, SIGUSR1) << 1 | !sigismember(&pending, SIGUSR1) << 2);
    }
    int st = exit_status(pid);
    printf("child (7 = handler inherited, SIG_IGN inherited, mask inherited, pending not): %d\n", st);
    sigset_t pending;
    sigpending(&pending);
    printf("parent still has SIGUSR1 pending: %s\n", yesno(sigismember(&pending, SIGUSR1)));
    struct timespec zero = {0, 0};
    printf("taken by sigtimedwait: %s\n", yesno(sigtimedwait(&usr1, NULL, &zero) == SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

int main(void) {
    sigemptyset(&chld_set);
    sigaddset(&chld_set, SIGCHLD);
    handler_and_sigsuspend();
    sigtimedwait_children();
    nocldstop();
    ignored_and_nocldwait();
    kill_child();
    inheritance();
    int st;
    errno = 0;
    pid_t r = wait(&st);
    printf("no children left: %d %s\n", (int)r, errname(errno));
    return 0;
}
