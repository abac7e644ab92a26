// Checks vfork and clone without CLONE_VM, keeping to what vfork defines (the child only
// calls async-signal-safe functions and _exit; it modifies no memory of its parent, which
// POSIX leaves undefined): the parent is suspended until the child exits (a child that sleeps
// and then writes to a pipe has written when vfork returns; whether it is a zombie yet is a
// race on Linux, which releases the parent before the child's exit is reported), the child's
// getpid() differs from the parent's and its getppid() is the parent (reported through a
// pipe), the parent sees each child's _exit status, ten vfork children in a row, and a vfork
// child killed by SIGKILL releases the parent too. syscall(SYS_clone, SIGCHLD, 0, ...) behaves
// as fork (the child gets 0, has its own copy of memory, exits with its status);
// CLONE_VFORK without CLONE_VM suspends the parent until the child exits while memory stays
// separate; waitpid with __WCLONE/__WALL flags is accepted.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "none";
    case ECHILD: return "ECHILD";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static void show(const char *label, int st) {
    if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", label, WTERMSIG(st) == SIGKILL ? "SIGKILL" : "other");
    else printf("%s: status 0x%x\n", label, st);
}

static int reap(pid_t pid, int flags) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, flags); while (r < 0 && errno == EINTR);
    if (r != pid) printf("waitpid failed: %s\n", errname(errno));
    return st;
}

static int global_value = 5;

/* Reads one pid_t-sized report from a pipe without blocking (0 when none). */
static long take_report(int fd) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    long value = 0;
    if (poll(&pfd, 1, 0) == 1 && read(fd, &value, sizeof value) != (ssize_t)sizeof value) value = 0;
    return value;
}

int main(void) {
    pid_t me = getpid();
    int report[2];
    pipe(report);

    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        long facts[2] = {syscall(SYS_getpid), syscall(SYS_getppid)};
        syscall(SYS_write, report[1], facts, sizeof facts);
        _exit(5);
    }
    long child_pid = take_report(report[0]);
    long child_ppid = take_report(report[0]);
    int st = reap(pid, 0);
    show("vfork child", st);
    printf("child's report there when vfork returned: %s\n", yesno(child_pid != 0));
    printf("child getpid() == vfork's return: %s; differs from parent: %s; getppid() == parent: %s\n",
           yesno(child_pid == pid), yesno(child_pid != me), yesno(child_ppid == me));

    /* The child sleeps before it writes: the parent cannot run before it has exited. */
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        struct timespec ts = {0, 50 * 1000000L};
        syscall(SYS_nanosleep, &ts, NULL);
        long one = 1;
        syscall(SYS_write, report[1], &one, sizeof one);
        _exit(6);
    }
    long written = take_report(report[0]);
    st = reap(pid, 0);
    printf("parent resumed after the sleeping child wrote: %s\n", yesno(written == 1));
    show("sleeping vfork child", st);

    int statuses_ok = 0;
    for (int i = 0; i < 10; i++) {
        fflush(stdout);
        pid = vfork();
        if (pid == 0) _exit(i + 10);
        st = reap(pid, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == i + 10) statuses_ok++;
    }
    printf("ten vfork children: statuses matched %d\n", statuses_ok);

    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
        _exit(1);
    }
    show("vfork child killing itself", reap(pid, 0));

    /* clone(SIGCHLD) without CLONE_VM: a fork. Raw syscalls only in the child (the C library
       does not know about this process). */
    fflush(stdout);
    long r = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
    if (r == 0) {
        int ok = syscall(SYS_getppid) == me && syscall(SYS_getpid) != me && global_value == 5;
        global_value = 99;
        syscall(SYS_exit_group, ok ? 7 : 8);
    }
    st = reap((pid_t)r, 0);
    show("clone(SIGCHLD) child (7: saw the parent and its memory)", st);
    printf("parent's global after the clone child changed its copy: %d\n", global_value);

    /* CLONE_VFORK without CLONE_VM: suspended until the child exits, memory not shared. */
    int p[2];
    pipe(p);
    fflush(stdout);
    r = syscall(SYS_clone, (long)(CLONE_VFORK | SIGCHLD), 0L, 0L, 0L, 0L);
    if (r == 0) {
        struct timespec ts = {0, 50 * 1000000L};
        syscall(SYS_nanosleep, &ts, NULL);
        global_value = 123;
        syscall(SYS_write, p[1], "v", 1);
        syscall(SYS_exit_group, 3);
    }
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int readable = poll(&pfd, 1, 0) == 1;
    st = reap((pid_t)r, __WALL);
    close(p[0]);
    close(p[1]);
    printf("CLONE_VFORK: child's byte already there when clone returned: %s; global still %d\n", yesno(readable),
           global_value);
    show("CLONE_VFORK child (reaped with __WALL)", st);

    errno = 0;
    pid_t w = waitpid(-1, &st, __WALL);
    printf("no children left: %d %s\n", (int)w, errname(errno));
    return 0;
}
