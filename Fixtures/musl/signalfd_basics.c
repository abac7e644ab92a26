// Checks signalfd and signalfd4 as event loops use them, with SIGUSR1, SIGUSR2 and SIGCHLD
// blocked: raise, kill and sigqueue (with a value) to the process itself each come out of a read
// as one signalfd_siginfo (signo, code, the queued int and pointer, the sender's pid and uid); a
// 256-byte read takes two pending signals at once, the thread's own before the process's; a
// non-blocking descriptor with nothing pending is EAGAIN; a read shorter than the record, a bad
// sizemask, unknown flags and a descriptor that is not a signalfd are EINVAL, a closed one
// EBADF; SIGKILL and SIGSTOP are dropped from the mask; signalfd on an existing descriptor
// replaces its mask (a signal outside it stays pending); poll and epoll report POLLIN only
// while a signal of the mask is pending (an edge-triggered epoll_wait blocked in another thread
// is woken by it); /proc/self/fd and fdinfo name it and show its mask; a forked child reads
// its own pending signals from the inherited descriptor, and its exit comes out of the parent's
// blocking read as SIGCHLD with CLD_EXITED and the exit code before waitpid reaps it; a read
// blocked in the main thread takes a signal another thread directs at it with pthread_kill or
// tgkill; a handled signal outside the mask ends a blocked read with EINTR, or, with
// SA_RESTART, lets it go on to the next signal of the mask.
// conformance-libcs: musl glibc
// conformance-ldflags: -pthread
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/check.h"

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    case EFAULT: return "EFAULT";
    default: return strerror(e);
    }
}

/// Prints the fields of one record that do not vary between runs.
static void show(const char *what, const struct signalfd_siginfo *info) {
    printf("%s: signo %u errno %d code %d int %d ptr %llu pid-is-self %d uid-is-self %d\n", what,
           info->ssi_signo, info->ssi_errno, info->ssi_code, info->ssi_int, (unsigned long long)info->ssi_ptr,
           info->ssi_pid == (uint32_t)getpid(), info->ssi_uid == (uint32_t)getuid());
}

/// Reads one record from `fd` and prints it.
static void read_one(int fd, const char *what) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) {
        printf("%s: read %s\n", what, errname(errno));
        return;
    }
    printf("%s: read %zd bytes\n", what, n);
    show(what, &info);
}

static void result(const char *what, long r) {
    printf("%s: %s\n", what, r < 0 ? errname(errno) : "ok");
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static pthread_t main_thread;
static pid_t main_tid;
static volatile sig_atomic_t alarm_handled, winch_handled, read_done;

static void on_alarm(int signal) {
    (void)signal;
    alarm_handled++;
}

static void on_winch(int signal) {
    (void)signal;
    winch_handled++;
}

static void *send_usr1(void *arg) {
    (void)arg;
    sleep_ms(50);
    check(pthread_kill(main_thread, SIGUSR1) == 0, "pthread_kill");
    return NULL;
}

static void *send_tgkill(void *arg) {
    (void)arg;
    sleep_ms(50);
    check(syscall(SYS_tgkill, getpid(), main_tid, SIGUSR2) == 0, "tgkill");
    return NULL;
}

static void *send_kill(void *arg) {
    (void)arg;
    sleep_ms(50);
    check(kill(getpid(), SIGUSR1) == 0, "kill from a thread");
    return NULL;
}

/// Sends SIGALRM to the main thread until its read has ended (the first may come before it blocks).
static void *send_alarms(void *arg) {
    (void)arg;
    while (!read_done) {
        sleep_ms(20);
        if (!read_done) pthread_kill(main_thread, SIGALRM);
    }
    return NULL;
}

static void *send_winch_then_usr2(void *arg) {
    (void)arg;
    sleep_ms(50);
    check(pthread_kill(main_thread, SIGWINCH) == 0, "pthread_kill SIGWINCH");
    sleep_ms(50);
    check(pthread_kill(main_thread, SIGUSR2) == 0, "pthread_kill SIGUSR2");
    return NULL;
}

static void run_thread(void *(*body)(void *), pthread_t *thread) {
    check(pthread_create(thread, NULL, body, NULL) == 0, "pthread_create");
}

int main(void) {
    main_thread = pthread_self();
    main_tid = (pid_t)syscall(SYS_gettid);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGCHLD);
    check(sigprocmask(SIG_BLOCK, &mask, NULL) == 0, "sigprocmask");

    int fd = signalfd(-1, &mask, SFD_CLOEXEC);
    check(fd >= 0, "signalfd");
    printf("close-on-exec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    printf("access mode O_RDWR: %d, O_NONBLOCK: %d\n", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);

    // One signal each way, read one at a time.
    check(raise(SIGUSR1) == 0, "raise");
    read_one(fd, "raise SIGUSR1");
    check(kill(getpid(), SIGUSR2) == 0, "kill");
    read_one(fd, "kill SIGUSR2");
    union sigval value = {.sival_int = 42};
    check(sigqueue(getpid(), SIGUSR1, value) == 0, "sigqueue");
    read_one(fd, "sigqueue SIGUSR1 42");

    // Two at once: the thread's own pending signal comes before the process's.
    check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
    check(raise(SIGUSR2) == 0, "raise SIGUSR2");
    struct signalfd_siginfo pair[2];
    ssize_t n = read(fd, pair, sizeof pair);
    printf("two pending, 256-byte read: %zd bytes\n", n);
    if (n == (ssize_t)sizeof pair) {
        show("first", &pair[0]);
        show("second", &pair[1]);
    }

    // Errors.
    char small[127];
    result("read of 127 bytes", read(fd, small, sizeof small));
    check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
    result("read of 127 bytes with one pending", read(fd, small, sizeof small));
    result("write", write(fd, pair, sizeof pair[0]));
    int nb = signalfd(-1, &mask, SFD_NONBLOCK);
    check(nb >= 0, "signalfd SFD_NONBLOCK");
    printf("SFD_NONBLOCK sets O_NONBLOCK: %d\n", (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0);
    read_one(nb, "non-blocking, SIGUSR1 pending");
    read_one(nb, "non-blocking, nothing pending");
    result("signalfd4 sizemask 4", syscall(SYS_signalfd4, -1, &mask, 4, 0));
    result("signalfd4 sizemask 16", syscall(SYS_signalfd4, -1, &mask, 16, 0));
    result("signalfd sizemask 4", syscall(SYS_signalfd, -1, &mask, 4));
    result("signalfd4 flags O_APPEND", syscall(SYS_signalfd4, -1, &mask, 8, O_APPEND));
    result("signalfd4 mask at NULL", syscall(SYS_signalfd4, -1, NULL, 8, 0));
    int pipes[2];
    check(pipe(pipes) == 0, "pipe");
    result("signalfd on a pipe", signalfd(pipes[0], &mask, 0));
    result("signalfd on a closed descriptor", signalfd(900, &mask, 0));
    int plain = (int)syscall(SYS_signalfd, -1, &mask, 8);
    printf("signalfd (282): %s, close-on-exec %d\n", plain >= 0 ? "ok" : errname(errno),
           plain >= 0 && (fcntl(plain, F_GETFD) & FD_CLOEXEC) != 0);
    if (plain >= 0) close(plain);

    // SIGKILL and SIGSTOP are dropped from the mask (fdinfo shows it as Linux keeps it).
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGKILL);
    sigaddset(&all, SIGSTOP);
    sigaddset(&all, SIGUSR2);
    int killfd = signalfd(-1, &all, 0);
    check(killfd >= 0, "signalfd with SIGKILL and SIGSTOP");
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", killfd);
    FILE *info = fopen(path, "r");
    check(info != NULL, "fdinfo");
    while (fgets(line, sizeof line, info)) {
        if (strncmp(line, "sigmask:", 8) == 0) printf("fdinfo %s", line);
    }
    fclose(info);
    snprintf(path, sizeof path, "/proc/self/fd/%d", killfd);
    ssize_t length = readlink(path, line, sizeof line - 1);
    check(length > 0, "readlink");
    line[length] = 0;
    printf("link: %s\n", line);
    close(killfd);

    // Replacing the mask through the descriptor: SIGUSR1 is no longer read; it stays pending.
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    printf("replace mask returns the same descriptor: %d\n", signalfd(nb, &only2, 0) == nb);
    printf("replace mask keeps O_NONBLOCK: %d\n", (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0);
    check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
    read_one(nb, "mask SIGUSR2, SIGUSR1 pending");
    sigset_t pending;
    sigpending(&pending);
    printf("SIGUSR1 still pending: %d\n", sigismember(&pending, SIGUSR1));
    read_one(fd, "the first descriptor takes it");

    // poll, select and epoll.
    int ready;
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    ready = poll(&p, 1, 0);
    printf("poll, nothing pending: %d revents %#x\n", ready, p.revents);
    p.revents = 0;
    struct pollfd q = {.fd = nb, .events = POLLIN};
    check(kill(getpid(), SIGUSR1) == 0, "kill SIGUSR1");
    ready = poll(&p, 1, 0);
    printf("poll, SIGUSR1 pending: %d revents %#x\n", ready, p.revents);
    ready = poll(&q, 1, 0);
    printf("poll, SIGUSR1 pending, mask SIGUSR2: %d revents %#x\n", ready, q.revents);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    struct timeval zero = {0, 0};
    printf("select, SIGUSR1 pending: %d\n", select(fd + 1, &readable, NULL, NULL, &zero));
    int ep = epoll_create1(0);
    check(ep >= 0, "epoll_create1");
    struct epoll_event event = {.events = EPOLLIN | EPOLLET, .data.u32 = 7};
    check(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event) == 0, "epoll_ctl");
    struct epoll_event got;
    ready = epoll_wait(ep, &got, 1, 0);
    printf("epoll (edge), SIGUSR1 pending: %d events %#x data %u\n", ready, ready > 0 ? got.events : 0,
           ready > 0 ? got.data.u32 : 0);
    printf("epoll (edge) again: %d\n", epoll_wait(ep, &got, 1, 0));
    read_one(fd, "read after epoll");
    p.revents = 0;
    printf("poll after the read: %d\n", poll(&p, 1, 0));
    printf("epoll after the read: %d\n", epoll_wait(ep, &got, 1, 0));
    pthread_t thread;
    run_thread(send_kill, &thread);
    ready = epoll_wait(ep, &got, 1, 5000);
    printf("epoll (edge) blocked, another thread kills: %d events %#x\n", ready, ready > 0 ? got.events : 0);
    pthread_join(thread, NULL);
    read_one(fd, "read after the blocked epoll");
    run_thread(send_kill, &thread);
    p.revents = 0;
    ready = poll(&p, 1, 5000);
    printf("poll blocked, another thread kills: %d revents %#x\n", ready, p.revents);
    pthread_join(thread, NULL);
    read_one(fd, "read after the blocked poll");
    close(ep);

    // fork: the child reads its own pending signals from the inherited descriptor; its exit is
    // SIGCHLD for the parent's blocking read.
    fflush(stdout);
    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        struct signalfd_siginfo mine;
        if (read(nb, &mine, sizeof mine) >= 0 || errno != EAGAIN) _exit(3);
        kill(getpid(), SIGUSR2);
        if (read(nb, &mine, sizeof mine) != sizeof mine || mine.ssi_signo != SIGUSR2) _exit(4);
        if (mine.ssi_pid != (uint32_t)getpid()) _exit(5);
        _exit(7);
    }
    struct signalfd_siginfo chld;
    n = read(fd, &chld, sizeof chld);
    printf("SIGCHLD: read %zd bytes, signo %u code %d status %d pid-is-child %d uid-is-self %d\n", n,
           chld.ssi_signo, chld.ssi_code, chld.ssi_status, chld.ssi_pid == (uint32_t)child,
           chld.ssi_uid == (uint32_t)getuid());
    int status = 0;
    pid_t reaped = waitpid(child, &status, 0);
    printf("waitpid: %d, exited %d, exit status %d\n", reaped == child, WIFEXITED(status), WEXITSTATUS(status));

    // Threads direct signals at the main thread blocked in read.
    run_thread(send_usr1, &thread);
    read_one(fd, "pthread_kill SIGUSR1 during a blocking read");
    pthread_join(thread, NULL);
    run_thread(send_tgkill, &thread);
    read_one(fd, "tgkill SIGUSR2 during a blocking read");
    pthread_join(thread, NULL);

    // A handled signal outside the mask: EINTR without SA_RESTART, the read goes on with it.
    struct sigaction action = {.sa_handler = on_alarm};
    sigemptyset(&action.sa_mask);
    check(sigaction(SIGALRM, &action, NULL) == 0, "sigaction SIGALRM");
    run_thread(send_alarms, &thread);
    struct signalfd_siginfo none;
    n = read(fd, &none, sizeof none);
    int saved = errno;
    read_done = 1;
    pthread_join(thread, NULL);
    printf("SIGALRM during a blocking read: %s, handler ran: %d\n", n < 0 ? errname(saved) : "a record",
           alarm_handled > 0);
    action.sa_handler = on_winch;
    action.sa_flags = SA_RESTART;
    check(sigaction(SIGWINCH, &action, NULL) == 0, "sigaction SIGWINCH");
    run_thread(send_winch_then_usr2, &thread);
    read_one(fd, "SIGWINCH (SA_RESTART) then SIGUSR2 during a blocking read");
    pthread_join(thread, NULL);
    printf("SIGWINCH handler ran: %d\n", winch_handled);

    sigpending(&pending);
    printf("nothing left pending: %d\n", !sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2)
                                               && !sigismember(&pending, SIGCHLD));
    return 0;
}
