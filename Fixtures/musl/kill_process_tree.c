// Checks kill between any two processes of a process tree, not only parent to child: the
// parent signals its grandchild (kill(pid, 0) and SIGUSR1, which the grandchild takes with
// sigtimedwait: si_code SI_USER, si_pid the grandparent); a child signals its parent through
// getppid() (kill(ppid, 0) is 0, the parent's SA_SIGINFO handler sees si_pid the child); a child
// signals its sibling; kill(-pgid) reaches both members of another process group (one of them
// joined it with setpgid) and kill(-pgid, 0) is 0, then ESRCH once they are gone; kill(0, sig)
// from a child reaches its parent and itself (the same group); getpgid and getsid work on a
// grandchild. Every wait is bounded (5 s) so that a lost signal fails instead of hanging.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/fork.h"

static pid_t top;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static const char *err(int r) {
    if (r == 0) return "0";
    switch (errno) {
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

/* Exit status of `pid` (waited for up to 5 s): the code, 128 + signal, or -1 on a timeout. */
static int reap(pid_t pid) {
    int st = 0;
    for (int i = 0; i < 5000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0 && errno != EINTR) return -2;
        sleep_ms(1);
    }
    kill(pid, SIGKILL);
    return -1;
}

static void write_pid(int fd, pid_t pid) {
    while (write(fd, &pid, sizeof pid) < 0 && errno == EINTR) {}
}

static pid_t read_pid(int fd) {
    pid_t pid = 0;
    ssize_t n;
    do n = read(fd, &pid, sizeof pid); while (n < 0 && errno == EINTR);
    return n == sizeof pid ? pid : -1;
}

/* In a child with SIGUSR1 blocked: takes SIGUSR1 within 5 s; the exit status says whether it
   came (1), with SI_USER (2) and from `sender` (4). */
static int take_usr1(pid_t sender) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    struct timespec limit = {5, 0};
    siginfo_t info;
    int sig;
    do sig = sigtimedwait(&set, &info, &limit); while (sig < 0 && errno == EINTR);
    if (sig != SIGUSR1) return 0;
    return 1 | (info.si_code == SI_USER ? 2 : 0) | (info.si_pid == sender ? 4 : 0);
}

static void block_usr1(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
}

static volatile sig_atomic_t usr_count[2];
static volatile pid_t usr_sender[2];

static void on_usr(int sig, siginfo_t *info, void *context) {
    (void)context;
    int index = sig == SIGUSR1 ? 0 : 1;
    usr_sender[index] = info->si_pid;
    usr_count[index]++;
}

static int await_usr(int index, int count) {
    for (int i = 0; i < 5000 && usr_count[index] < count; i++) sleep_ms(1);
    return usr_count[index] >= count;
}

static void grandchild(void) {
    int up[2];
    pipe(up);
    block_usr1();
    pid_t child = xfork();
    if (child == 0) {
        pid_t grand = xfork();
        if (grand == 0) _exit(take_usr1(top));
        write_pid(up[1], grand);
        _exit(reap(grand));
    }
    pid_t grand = read_pid(up[0]);
    printf("grandchild\n");
    printf("  getpgid(grandchild) == getpgrp(): %s\n", getpgid(grand) == getpgrp() ? "yes" : "no");
    printf("  getsid(grandchild) == getsid(0): %s\n", getsid(grand) == getsid(0) ? "yes" : "no");
    int r = kill(grand, 0);
    printf("  kill(grandchild, 0): %s\n", err(r));
    r = kill(grand, SIGUSR1);
    printf("  kill(grandchild, SIGUSR1): %s\n", err(r));
    int status = reap(child);
    printf("  the grandchild took it: %s, SI_USER: %s, from its grandparent: %s\n", status & 1 ? "yes" : "no",
           status & 2 ? "yes" : "no", status & 4 ? "yes" : "no");
    close(up[0]);
    close(up[1]);
}

static void parent_from_child(void) {
    usr_count[1] = 0;
    pid_t child = xfork();
    if (child == 0) {
        int ok = kill(getppid(), 0) == 0;
        ok |= (kill(getppid(), SIGUSR2) == 0) << 1;
        _exit(ok);
    }
    printf("the parent, from a child (getppid)\n");
    int status = reap(child);
    printf("  kill(ppid, 0): %s, kill(ppid, SIGUSR2): %s\n", status & 1 ? "0" : "failed", status & 2 ? "0" : "failed");
    printf("  the parent's handler ran: %s, si_pid the child: %s\n", await_usr(1, 1) ? "yes" : "no",
           usr_sender[1] == child ? "yes" : "no");
}

static void sibling(void) {
    int go[2];
    pipe(go);
    block_usr1();
    pid_t first = xfork();
    if (first == 0) {
        close(go[1]);
        pid_t sender = read_pid(go[0]);
        _exit(take_usr1(sender));
    }
    pid_t second = xfork();
    if (second == 0) {
        close(go[0]);
        close(go[1]);
        _exit(kill(first, SIGUSR1) == 0 ? 0 : 1);
    }
    close(go[0]);
    write_pid(go[1], second);
    printf("a sibling\n");
    printf("  the sender's kill: %s\n", reap(second) == 0 ? "0" : "failed");
    close(go[1]);
    int status = reap(first);
    printf("  the sibling took it: %s, SI_USER: %s, from its sibling: %s\n", status & 1 ? "yes" : "no",
           status & 2 ? "yes" : "no", status & 4 ? "yes" : "no");
}

static void other_group(void) {
    int ready[2];
    pipe(ready);
    block_usr1();
    pid_t leader = xfork();
    if (leader == 0) {
        setpgid(0, 0);
        write_pid(ready[1], getpid());
        _exit(take_usr1(top));
    }
    setpgid(leader, leader);
    pid_t member = xfork();
    if (member == 0) {
        setpgid(0, leader);
        write_pid(ready[1], getpid());
        _exit(take_usr1(top));
    }
    setpgid(member, leader);
    read_pid(ready[0]);
    read_pid(ready[0]);
    printf("another process group\n");
    printf("  getpgid(member) == leader: %s\n", getpgid(member) == leader ? "yes" : "no");
    int r = kill(-leader, 0);
    printf("  kill(-pgid, 0): %s\n", err(r));
    r = kill(-leader, SIGUSR1);
    printf("  kill(-pgid, SIGUSR1): %s\n", err(r));
    int a = reap(leader), b = reap(member);
    printf("  the leader took it: %s, the member took it: %s, from the parent: %s\n", a & 1 ? "yes" : "no",
           b & 1 ? "yes" : "no", (a & b & 4) ? "yes" : "no");
    r = kill(-leader, 0);
    printf("  kill(-pgid, 0) once they are gone: %s\n", err(r));
    close(ready[0]);
    close(ready[1]);
}

static volatile sig_atomic_t own_usr1;
static void on_own_usr1(int sig) { (void)sig; own_usr1++; }

static void own_group(void) {
    usr_count[0] = 0;
    pid_t child = xfork();
    if (child == 0) {
        signal(SIGUSR1, on_own_usr1);
        sigset_t set;
        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);
        int ok = kill(0, SIGUSR1) == 0;
        for (int i = 0; i < 5000 && !own_usr1; i++) sleep_ms(1);
        _exit(ok | (own_usr1 ? 2 : 0));
    }
    printf("kill(0) from a child in the parent's group\n");
    int status = reap(child);
    printf("  kill: %s, the child's own handler ran: %s\n", status & 1 ? "0" : "failed", status & 2 ? "yes" : "no");
    printf("  the parent's handler ran: %s, si_pid the child: %s\n", await_usr(0, 1) ? "yes" : "no",
           usr_sender[0] == child ? "yes" : "no");
}

int main(void) {
    alarm(60);
    top = getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    grandchild();
    parent_from_child();
    sibling();
    other_group();
    /* The parent takes SIGUSR1 by its handler again. */
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    own_group();
    return 0;
}
