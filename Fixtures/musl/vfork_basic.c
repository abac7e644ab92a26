// Checks vfork and clone without CLONE_VM (no exec: the children only _exit): a vfork child
// shares memory with its parent (a volatile variable it sets is seen by the parent, ten
// children in a row count up one shared counter) and the parent is suspended until the child
// exits (a child that sleeps first has still set its flag when vfork returns in the parent);
// the child's getpid() differs from the parent's and its getppid() is the parent; the parent
// sees each child's _exit status, and a vfork child killed by SIGKILL releases the parent too.
// syscall(SYS_clone, SIGCHLD, 0, ...) behaves as fork (the child gets 0, has its own copy of
// memory, exits with its status); CLONE_VFORK without CLONE_VM suspends the parent until the
// child exits while memory stays separate; a clone child with exit signal 0 is invisible to a
// plain waitpid (ECHILD) and is reaped with __WCLONE or __WALL.
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

static volatile int shared_flag;
static volatile int shared_counter;
static volatile pid_t seen_pid, seen_ppid;
static int global_value = 5;

int main(void) {
    pid_t me = getpid();

    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        seen_pid = getpid();
        seen_ppid = getppid();
        shared_flag = 42;
        _exit(5);
    }
    int flag_at_return = shared_flag;
    int st = reap(pid, 0);
    show("vfork child", st);
    printf("flag set by the child: %d\n", flag_at_return);
    printf("child getpid() == vfork's return: %s; differs from parent: %s; getppid() == parent: %s\n",
           yesno(seen_pid == pid), yesno(seen_pid != me), yesno(seen_ppid == me));

    /* The child sleeps before setting the flag: the parent cannot run before it has exited. */
    shared_flag = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        struct timespec ts = {0, 50 * 1000000L};
        syscall(SYS_nanosleep, &ts, NULL);
        shared_flag = 1;
        _exit(6);
    }
    flag_at_return = shared_flag;
    st = reap(pid, 0);
    printf("parent resumed after the sleeping child set its flag: %s\n", yesno(flag_at_return == 1));
    show("sleeping vfork child", st);

    volatile int statuses_ok = 0; /* volatile: kept in memory across vfork */
    for (volatile int i = 0; i < 10; i++) {
        fflush(stdout);
        pid = vfork();
        if (pid == 0) {
            shared_counter = shared_counter + 1;
            _exit(i + 10);
        }
        st = reap(pid, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == i + 10) statuses_ok++;
    }
    printf("ten vfork children: shared counter %d, statuses matched %d\n", shared_counter, statuses_ok);

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
    st = reap((pid_t)r, 0);
    close(p[0]);
    close(p[1]);
    printf("CLONE_VFORK: child's byte already there when clone returned: %s; global still %d\n", yesno(readable),
           global_value);
    show("CLONE_VFORK child", st);

    /* Exit signal 0: only __WCLONE or __WALL wait for it. */
    for (int variant = 0; variant < 2; variant++) {
        int go[2];
        pipe(go);
        fflush(stdout);
        r = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
        if (r == 0) {
            char c;
            syscall(SYS_read, go[0], &c, 1);
            syscall(SYS_exit_group, 20 + variant);
        }
        errno = 0;
        pid_t w = waitpid((pid_t)r, &st, WNOHANG);
        int e = errno;
        syscall(SYS_write, go[1], "g", 1);
        close(go[0]);
        close(go[1]);
        st = reap((pid_t)r, variant == 0 ? __WCLONE : __WALL);
        printf("exit signal 0: waitpid without __WCLONE: %d %s; ", (int)w, errname(e));
        show(variant == 0 ? "with __WCLONE" : "with __WALL", st);
    }

    errno = 0;
    pid_t w = waitpid(-1, &st, __WALL);
    printf("no children left: %d %s\n", (int)w, errname(errno));
    return 0;
}
