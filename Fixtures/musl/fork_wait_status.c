// Checks fork and the wait family on every way a child can end: exit(0), exit(3), _exit(255),
// _exit(0x1234) (only the low 8 bits arrive), a value returned from a function then passed to
// exit, return from main in the child, and deaths by SIGKILL and SIGTERM sent by the parent
// while the child blocks in pause(), abort() (SIGABRT), a null dereference (SIGSEGV), an integer
// division by zero (SIGFPE), ud2 (SIGILL) and kill(getpid(), SIGUSR1) with the default action;
// each reported by WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG (never WCOREDUMP: it depends on
// the host's core settings). Also: waitpid(WNOHANG) on a running child returns 0 and
// waitid(WNOHANG) leaves si_pid 0; wait() with no children and waitpid on a reaped pid or on
// the process itself give ECHILD; waitid(P_PID, WEXITED) fills si_signo, si_code (CLD_EXITED, or
// "killed-or-dumped" for signal deaths), si_pid and si_status; waitid(WNOWAIT) leaves the child
// to be reaped again by waitpid; waitid(P_ALL), waitpid(-1) and wait4 find the right children;
// getppid() in the child equals the parent's getpid(), the child's getpid() differs from the
// parent's and equals what fork returned. Only comparisons are printed, never pids.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/fork.h"

static const char *signame(int sig) {
    switch (sig) {
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGCHLD: return "SIGCHLD";
    default: return "other";
    }
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "none";
    case ECHILD: return "ECHILD";
    case EINVAL: return "EINVAL";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

/* Flushes stdio first: a child must not inherit (and later flush) buffered output. */
static void show(const char *label, int st) {
    if (WIFEXITED(st))
        printf("%-28s WIFEXITED=1 WEXITSTATUS=%d WIFSIGNALED=0\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%-28s WIFEXITED=0 WIFSIGNALED=1 WTERMSIG=%s\n", label, signame(WTERMSIG(st)));
    else
        printf("%-28s neither exited nor signaled (0x%x)\n", label, st);
}

/* Blocks in waitpid for a child that ends by itself; reports a failing waitpid. */
static int reap(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) printf("waitpid returned %s (%s)\n", r < 0 ? "-1" : "another pid", errname(errno));
    return st;
}

/* Waits at most 5 s for a byte on fd (the child's "about to block" message). */
static int await_byte(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) != 1) return 0;
    char c;
    return read(fd, &c, 1) == 1;
}

static int returns_17(void) {
    volatile int x = 10;
    return x + 7;
}

typedef void (*child_fn)(void);

static void do_exit0(void) { exit(0); }
static void do_exit3(void) { exit(3); }
static void do__exit255(void) { _exit(255); }
static void do__exit_wide(void) { _exit(0x1234); }
static void do_return_then_exit(void) { exit(returns_17()); }
static void do_abort(void) { abort(); }
static void do_segv(void) {
    int *volatile p = NULL;
    *(volatile int *)p = 1;
    _exit(100);
}
static void do_fpe(void) {
    volatile int a = 1, b = 0;
    volatile int c = a / b;
    (void)c;
    _exit(100);
}
static void do_ill(void) {
    __asm__ volatile("ud2");
    _exit(100);
}
static void do_kill_self_usr1(void) {
    kill(getpid(), SIGUSR1);
    _exit(100);
}

/* Runs fn in a child and returns its wait status. */
static int run_child(child_fn fn) {
    pid_t pid = xfork();
    if (pid == 0) {
        fn();
        _exit(101);
    }
    return reap(pid);
}

/* A child that says it is about to block in pause(), killed there by the parent with sig. */
static int killed_in_pause(int sig) {
    int ready[2];
    if (pipe(ready) != 0) return -1;
    pid_t pid = xfork();
    if (pid == 0) {
        close(ready[0]);
        write(ready[1], "r", 1);
        for (;;) pause();
    }
    close(ready[1]);
    int got = await_byte(ready[0]);
    close(ready[0]);
    int k = kill(pid, sig);
    int st = reap(pid);
    if (!got || k != 0) printf("(ready=%d kill=%d)\n", got, k);
    return st;
}

/* A child that blocks reading a pipe until the parent closes its write end. */
static pid_t blocked_child(int *release_fd) {
    int p[2];
    if (pipe(p) != 0) return -1;
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[1]);
        char c;
        ssize_t n = read(p[0], &c, 1);
        _exit(n == 0 ? 0 : 1);
    }
    close(p[0]);
    *release_fd = p[1];
    return pid;
}

static void show_siginfo(const char *label, const siginfo_t *si, pid_t pid) {
    const char *code = si->si_code == CLD_EXITED ? "CLD_EXITED"
                       : (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED) ? "killed-or-dumped"
                                                                                    : "other";
    int status = si->si_status;
    printf("%-28s si_signo=%s si_code=%s si_pid=%s si_status=%d%s%s\n", label, signame(si->si_signo), code,
           si->si_pid == pid ? "child" : "wrong", status,
           si->si_code == CLD_EXITED ? "" : " ", si->si_code == CLD_EXITED ? "" : signame(status));
}

int main(void) {
    /* No core files in the working directory whatever the caller's limit was. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    pid_t me = getpid();

    /* Return from main in the child, first, while main's frame is the caller's. */
    pid_t pid = xfork();
    if (pid == 0) return 23;
    show("return 23 from main", reap(pid));

    printf("-- exits\n");
    show("exit(0)", run_child(do_exit0));
    show("exit(3)", run_child(do_exit3));
    show("_exit(255)", run_child(do__exit255));
    show("_exit(0x1234)", run_child(do__exit_wide));
    show("exit(returns_17())", run_child(do_return_then_exit));

    printf("-- signal deaths\n");
    show("SIGKILL in pause()", killed_in_pause(SIGKILL));
    show("SIGTERM in pause()", killed_in_pause(SIGTERM));
    show("abort()", run_child(do_abort));
    show("null dereference", run_child(do_segv));
    show("division by zero", run_child(do_fpe));
    show("ud2", run_child(do_ill));
    show("kill(getpid(), SIGUSR1)", run_child(do_kill_self_usr1));

    printf("-- identity\n");
    int idp[2];
    pipe(idp);
    pid = xfork();
    if (pid == 0) {
        close(idp[0]);
        pid_t facts[2] = {getpid(), getppid()};
        write(idp[1], facts, sizeof facts);
        _exit(0);
    }
    close(idp[1]);
    pid_t facts[2] = {0, 0};
    ssize_t n = read(idp[0], facts, sizeof facts);
    close(idp[0]);
    reap(pid);
    printf("child read its facts: %s\n", n == (ssize_t)sizeof facts ? "yes" : "no");
    printf("child getpid() == fork's return: %s\n", facts[0] == pid ? "yes" : "no");
    printf("child getpid() != parent getpid(): %s\n", facts[0] != me ? "yes" : "no");
    printf("child getppid() == parent getpid(): %s\n", facts[1] == me ? "yes" : "no");
    printf("parent getpid() unchanged by fork: %s\n", getpid() == me ? "yes" : "no");
    printf("fork returned a positive pid: %s\n", pid > 0 ? "yes" : "no");

    printf("-- WNOHANG\n");
    int release = -1;
    pid = blocked_child(&release);
    int st = -1;
    errno = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    printf("waitpid(child, WNOHANG) on a running child: %d (%s)\n", (int)r, errname(errno));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_pid = 12345;
    errno = 0;
    int wr = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
    printf("waitid(P_PID, WEXITED|WNOHANG) on a running child: %d si_pid=%s (%s)\n", wr,
           si.si_pid == 0 ? "0" : "nonzero", errname(errno));
    close(release);
    show("released child", reap(pid));

    printf("-- ECHILD\n");
    errno = 0;
    r = wait(&st);
    printf("wait() with no children: %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(pid, &st, 0);
    printf("waitpid(reaped child): %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(me, &st, 0);
    printf("waitpid(own pid): %d %s\n", (int)r, errname(errno));
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    printf("waitpid(-1, WNOHANG) with no children: %d %s\n", (int)r, errname(errno));
    memset(&si, 0, sizeof si);
    errno = 0;
    wr = waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid(P_ALL) with no children: %d %s\n", wr, errname(errno));
    errno = 0;
    wr = waitid(P_PID, pid, &si, 0);
    printf("waitid with no state flags: %d %s\n", wr, errname(errno));

    printf("-- waitid\n");
    child_fn cases[] = {do_exit3, do__exit255, do_abort, do_segv, do_kill_self_usr1};
    const char *labels[] = {"waitid exit(3)", "waitid _exit(255)", "waitid abort()", "waitid SIGSEGV",
                            "waitid SIGUSR1"};
    for (int i = 0; i < 5; i++) {
        pid = xfork();
        if (pid == 0) {
            cases[i]();
            _exit(101);
        }
        memset(&si, 0, sizeof si);
        do wr = waitid(P_PID, pid, &si, WEXITED); while (wr < 0 && errno == EINTR);
        if (wr != 0) printf("waitid failed: %s\n", errname(errno));
        show_siginfo(labels[i], &si, pid);
    }

    printf("-- WNOWAIT\n");
    pid = xfork();
    if (pid == 0) _exit(42);
    memset(&si, 0, sizeof si);
    do wr = waitid(P_PID, pid, &si, WEXITED | WNOWAIT); while (wr < 0 && errno == EINTR);
    show_siginfo("waitid WNOWAIT", &si, pid);
    memset(&si, 0, sizeof si);
    wr = waitid(P_PID, pid, &si, WEXITED | WNOWAIT | WNOHANG);
    printf("waitid WNOWAIT again: %d\n", wr);
    show_siginfo("  same child", &si, pid);
    st = 0;
    r = waitpid(pid, &st, WNOHANG);
    printf("waitpid(WNOHANG) after WNOWAIT reaps it: %s\n", r == pid ? "yes" : "no");
    show("  status", st);
    errno = 0;
    r = waitpid(pid, &st, WNOHANG);
    printf("then waitpid again: %d %s\n", (int)r, errname(errno));

    printf("-- several children\n");
    pid_t kids[4];
    int seen[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) _exit(60 + i);
    }
    for (int k = 0; k < 4; k++) {
        st = 0;
        if (k == 0) {
            memset(&si, 0, sizeof si);
            do wr = waitid(P_ALL, 0, &si, WEXITED); while (wr < 0 && errno == EINTR);
            r = wr == 0 ? si.si_pid : -1;
            st = si.si_status << 8;
        } else if (k == 1) {
            struct rusage ru;
            do r = wait4(-1, &st, 0, &ru); while (r < 0 && errno == EINTR);
        } else if (k == 2) {
            do r = wait(&st); while (r < 0 && errno == EINTR);
        } else {
            do r = waitpid(-1, &st, 0); while (r < 0 && errno == EINTR);
        }
        for (int i = 0; i < 4; i++)
            if (r == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 60 + i) seen[i]++;
    }
    printf("waitid(P_ALL), wait4(-1), wait, waitpid(-1) found each child once with its status: %s\n",
           seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1 ? "yes" : "no");
    errno = 0;
    r = wait(&st);
    printf("then wait(): %d %s\n", (int)r, errname(errno));
    return 0;
}
