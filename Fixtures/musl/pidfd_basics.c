// Checks process descriptors: pidfd_open of a child gives a close-on-exec descriptor (read/write
// flags, O_NONBLOCK with PIDFD_NONBLOCK) that poll and epoll report not ready while the child
// runs and readable once it has exited (POLLIN, then POLLIN|POLLHUP after it was reaped);
// waitid(P_PIDFD) reaps it with the right siginfo (WNOWAIT first leaves it), blocks until a
// child that exits later is done, answers si_pid 0 under WNOHANG and EAGAIN without it on a
// PIDFD_NONBLOCK descriptor while the child runs, ECHILD once reaped and for a process that is
// no child (a sibling's pidfd inherited by fork, the caller's own pidfd). pidfd_open of a
// zombie works. pidfd_send_signal delivers SIGUSR1 (the child's handler sees SI_USER from its
// parent and reports by exit status) and SIGTERM (the child dies of it), signal 0 probes, a
// siginfo of the caller's own reaches its own handler with si_value, and a foreign one is EPERM
// for another process. Errors: EINVAL for unknown flags and pids <= 0, ESRCH for a pid that was
// reaped and for signalling a reaped child's pidfd, EBADF for descriptors that are no pidfds
// (a pipe, a closed number) in pidfd_send_signal and waitid, EINVAL for a bad signal, bad
// pidfd_send_signal flags or a siginfo naming another signal, EINVAL for waitid(P_PIDFD, -1)
// and for read(2) of a pidfd. Every wait is bounded; children report by exit status only.
// conformance-libcs: musl glibc
// conformance-timeout: 30
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK_FLAG O_NONBLOCK

static const char *errname(int e) {
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case EPERM: return "EPERM";
    case EINTR: return "EINTR";
    default: return "another error";
    }
}

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

static int pidfd_send(int fd, int sig, siginfo_t *info, unsigned flags) {
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

/* Prints "label: ok" or "label: -1 ERRNO" for a call returning 0 or -1. */
static void show(const char *label, long result) {
    if (result == -1) printf("%s: -1 %s\n", label, errname(errno));
    else printf("%s: %s\n", label, result == 0 ? "ok" : "positive");
}

/* waitid(P_PIDFD, fd, options), printed with the fields of its siginfo. */
static void show_waitid(const char *label, int fd, int options, pid_t expected) {
    siginfo_t info;
    memset(&info, 0x55, sizeof info);
    if (waitid(P_PIDFD, fd, &info, options) != 0) {
        printf("%s: -1 %s\n", label, errname(errno));
        return;
    }
    if (info.si_pid == 0) {
        printf("%s: 0, si_pid 0, si_signo %d\n", label, info.si_signo);
        return;
    }
    const char *code = info.si_code == CLD_EXITED ? "CLD_EXITED" : info.si_code == CLD_KILLED ? "CLD_KILLED" : "other";
    printf("%s: 0, si_signo %s, si_code %s, si_status %d, si_pid %s\n", label,
           info.si_signo == SIGCHLD ? "SIGCHLD" : "other", code, info.si_status,
           info.si_pid == expected ? "the child" : "another");
}

/* poll(fd, POLLIN, timeout) and what it reported. */
static void show_poll(const char *label, int fd, int timeout) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout);
    if (n < 0) {
        printf("%s: -1 %s\n", label, errname(errno));
        return;
    }
    printf("%s: %d%s%s%s\n", label, n, p.revents & POLLIN ? " POLLIN" : "", p.revents & POLLHUP ? " POLLHUP" : "",
           p.revents & ~(POLLIN | POLLHUP) ? " other" : "");
}

/* A child that waits for one byte on `gate` (or its end of file), then exits with `status`;
   it has started (and its signal dispositions are its own) when this returns. */
static pid_t gated_child(int gate[2], int status) {
    int started[2];
    if (pipe(gate) != 0 || pipe(started) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(gate[1]);
        close(started[0]);
        alarm(20);
        (void)!write(started[1], "s", 1);
        char byte;
        (void)!read(gate[0], &byte, 1);
        _exit(status);
    }
    close(gate[0]);
    close(started[1]);
    char byte;
    (void)!read(started[0], &byte, 1);
    close(started[0]);
    return pid;
}

static void errors(void) {
    printf("--- errors\n");
    show("pidfd_open flags 1", pidfd_open(getpid(), 1));
    show("pidfd_open flags O_CLOEXEC", pidfd_open(getpid(), O_CLOEXEC));
    show("pidfd_open pid 0", pidfd_open(0, 0));
    show("pidfd_open pid -1", pidfd_open(-1, 0));
    pid_t gone = fork();
    if (gone == 0) _exit(0);
    waitpid(gone, NULL, 0);
    show("pidfd_open of a reaped child", pidfd_open(gone, 0));

    int p[2];
    if (pipe(p) != 0) return;
    show("pidfd_send_signal on a pipe", pidfd_send(p[0], 0, NULL, 0));
    show("pidfd_send_signal on fd -1", pidfd_send(-1, 0, NULL, 0));
    show("pidfd_send_signal on a closed fd", pidfd_send(900, 0, NULL, 0));
    siginfo_t info;
    show("waitid P_PIDFD on a pipe", waitid(P_PIDFD, p[0], &info, WEXITED | WNOHANG));
    show("waitid P_PIDFD on fd -1", waitid(P_PIDFD, -1, &info, WEXITED | WNOHANG));
    show("waitid P_PIDFD on a closed fd", waitid(P_PIDFD, 900, &info, WEXITED | WNOHANG));
    close(p[0]);
    close(p[1]);

    int self = pidfd_open(getpid(), 0);
    printf("pidfd_open of itself: %s\n", self >= 0 ? "a descriptor" : errname(errno));
    show("pidfd_send_signal flags 8", pidfd_send(self, 0, NULL, 8));
    show("pidfd_send_signal flags 1|2", pidfd_send(self, 0, NULL, 3));
    show("pidfd_send_signal signal 65", pidfd_send(self, 65, NULL, 0));
    show("pidfd_send_signal signal -1", pidfd_send(self, -1, NULL, 0));
    show("pidfd_send_signal signal 0 to itself", pidfd_send(self, 0, NULL, 0));
    show("waitid P_PIDFD of itself", waitid(P_PIDFD, self, &info, WEXITED | WNOHANG));
    char byte;
    errno = 0;
    long got = (long)read(self, &byte, 1);
    printf("read of a pidfd: %ld %s\n", got, errname(errno));
    close(self);
}

static void lifecycle(void) {
    printf("--- lifecycle\n");
    int gate[2];
    pid_t child = gated_child(gate, 7);
    int fd = pidfd_open(child, 0);
    int nb = pidfd_open(child, PIDFD_NONBLOCK_FLAG);
    printf("pidfd_open: %s, nonblocking: %s\n", fd >= 0 ? "a descriptor" : errname(errno),
           nb >= 0 ? "a descriptor" : errname(errno));
    printf("F_GETFD: %s\n", fcntl(fd, F_GETFD) == FD_CLOEXEC ? "FD_CLOEXEC" : "other");
    int flags = fcntl(fd, F_GETFL), nbflags = fcntl(nb, F_GETFL);
    printf("F_GETFL: %s%s; nonblocking: %s%s\n", (flags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other",
           flags & O_NONBLOCK ? "|O_NONBLOCK" : "", (nbflags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "other",
           nbflags & O_NONBLOCK ? "|O_NONBLOCK" : "");

    show_poll("poll while running", fd, 0);
    show_waitid("waitid WNOHANG while running", fd, WEXITED | WNOHANG, child);
    show_waitid("waitid on the nonblocking pidfd while running", nb, WEXITED, child);
    show_waitid("waitid WNOHANG on the nonblocking pidfd while running", nb, WEXITED | WNOHANG, child);
    show("pidfd_send_signal signal 0", pidfd_send(fd, 0, NULL, 0));

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42};
    show("epoll_ctl ADD of the pidfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    struct epoll_event out[2];
    printf("epoll_wait while running: %d\n", epoll_wait(ep, out, 2, 0));

    (void)!write(gate[1], "x", 1);
    close(gate[1]);
    show_poll("poll after the exit (5 s at most)", fd, 5000);
    memset(out, 0, sizeof out);
    int n = epoll_wait(ep, out, 2, 5000);
    printf("epoll_wait after the exit: %d, events %s, data %u\n", n, out[0].events == EPOLLIN ? "EPOLLIN" : "other",
           out[0].data.u32);
    show_poll("poll of the nonblocking pidfd", nb, 0);
    show_waitid("waitid WNOWAIT", fd, WEXITED | WNOWAIT, child);
    show_waitid("waitid", nb, WEXITED, child);
    show_waitid("waitid again", fd, WEXITED, child);
    show_poll("poll after the reap", fd, 0);
    show("pidfd_send_signal after the reap", pidfd_send(fd, SIGTERM, NULL, 0));
    close(ep);
    close(fd);
    close(nb);
}

static void blocking_wait(void) {
    printf("--- blocking waitid\n");
    pid_t child = fork();
    if (child == 0) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        _exit(12);
    }
    int fd = pidfd_open(child, 0);
    show_waitid("waitid blocks until the exit", fd, WEXITED, child);
    close(fd);

    pid_t zombie = fork();
    if (zombie == 0) _exit(5);
    siginfo_t info;
    waitid(P_PID, zombie, &info, WEXITED | WNOWAIT);
    fd = pidfd_open(zombie, 0);
    printf("pidfd_open of a zombie: %s\n", fd >= 0 ? "a descriptor" : errname(errno));
    show_poll("poll of the zombie", fd, 0);
    show_waitid("waitid of the zombie", fd, WEXITED, zombie);
    close(fd);
}

static volatile sig_atomic_t usr_code, usr_from_parent, usr_value;

static void on_usr(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    usr_code = info->si_code;
    usr_from_parent = info->si_pid == getppid();
    usr_value = info->si_value.sival_int;
}

static void signals(void) {
    printf("--- signals\n");
    // SIGUSR1 to a child waiting in sigsuspend: its handler checks the sender.
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_t child = fork();
    if (child == 0) {
        alarm(20);
        sigset_t block, empty;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, NULL);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_usr;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        (void)!write(ready[1], "r", 1);
        sigemptyset(&empty);
        sigsuspend(&empty);
        _exit(usr_code == SI_USER && usr_from_parent ? 30 : 31);
    }
    close(ready[1]);
    char byte;
    (void)!read(ready[0], &byte, 1);
    close(ready[0]);
    int fd = pidfd_open(child, 0);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR2;
    info.si_code = SI_QUEUE;
    show("pidfd_send_signal with another signal's siginfo", pidfd_send(fd, SIGUSR1, &info, 0));
    info.si_signo = SIGUSR1;
    info.si_code = SI_USER;
    show("pidfd_send_signal with an SI_USER siginfo to a child", pidfd_send(fd, SIGUSR1, &info, 0));
    show("pidfd_send_signal SIGUSR1", pidfd_send(fd, SIGUSR1, NULL, 0));
    show_waitid("the child after SIGUSR1", fd, WEXITED, child);
    close(fd);

    // SIGTERM to a child that waits for it.
    int gate[2];
    child = gated_child(gate, 0);
    fd = pidfd_open(child, 0);
    show("pidfd_send_signal SIGTERM", pidfd_send(fd, SIGTERM, NULL, 0));
    show_waitid("the child after SIGTERM", fd, WEXITED, child);
    close(gate[1]);
    close(fd);

    // To itself, with and without a siginfo of its own.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    int self = pidfd_open(getpid(), 0);
    usr_code = 99;
    show("pidfd_send_signal SIGUSR2 to itself", pidfd_send(self, SIGUSR2, NULL, 0));
    printf("handler saw si_code %s\n", usr_code == SI_USER ? "SI_USER" : "other");
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR2;
    info.si_code = SI_QUEUE;
    info.si_value.sival_int = 1234;
    usr_code = 99;
    show("pidfd_send_signal SIGUSR2 with a siginfo to itself", pidfd_send(self, SIGUSR2, &info, 0));
    printf("handler saw si_code %s, si_value %d\n", usr_code == SI_QUEUE ? "SI_QUEUE" : "other", (int)usr_value);
    close(self);
}

static void inherited(void) {
    printf("--- inherited by fork\n");
    int gate[2];
    pid_t sibling = gated_child(gate, 0);
    int fd = pidfd_open(sibling, 0);
    pid_t other = fork();
    if (other == 0) {
        siginfo_t info;
        int waited = waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG) == -1 && errno == ECHILD;
        int probed = pidfd_send(fd, 0, NULL, 0) == 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int quiet = poll(&p, 1, 0) == 0;
        _exit(waited << 2 | probed << 1 | quiet);
    }
    int status = 0;
    waitpid(other, &status, 0);
    printf("the other child: waitid ECHILD %d, signal 0 ok %d, poll not ready %d\n", WEXITSTATUS(status) >> 2 & 1,
           WEXITSTATUS(status) >> 1 & 1, WEXITSTATUS(status) & 1);
    close(gate[1]);
    show_waitid("the sibling", fd, WEXITED, sibling);
    close(fd);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    lifecycle();
    blocking_wait();
    signals();
    inherited();
    return 0;
}
