// Checks job-control stops and continues between a parent and its children: a child that stops
// itself with raise(SIGSTOP) is reported by waitpid(WUNTRACED) (WIFSTOPPED, WSTOPSIG SIGSTOP,
// status word 0x137f) and by the parent's SA_SIGINFO SIGCHLD handler (CLD_STOPPED, si_status
// SIGSTOP, si_pid the child); SIGCONT continues it: waitpid(WCONTINUED) reports WIFCONTINUED
// (0xffff), SIGCHLD says CLD_CONTINUED with si_status SIGCONT, and the child's SIGCONT handler
// runs. A child the parent stops with kill(SIGSTOP) while it waits in read is seen by
// waitid(WSTOPPED | WNOWAIT) and again by waitid(WSTOPPED) (CLD_STOPPED, si_status, si_pid),
// then no more (WNOHANG: si_pid 0), and its continue by waitid(WCONTINUED) (CLD_CONTINUED,
// SIGCONT); its read goes on after it. SIGTSTP and SIGTTOU with their default action stop a
// child (WSTOPSIG SIGTSTP / SIGTTOU), a SIGTSTP handler runs instead of a stop, SIGTSTP to a
// child that ignores it does nothing; a wait without WUNTRACED does not report a stop and a
// stopped child killed with SIGKILL is WIFSIGNALED; SIGCONT discards a pending (blocked)
// SIGTSTP and SIGTSTP discards a pending SIGCONT; with SA_NOCLDSTOP no SIGCHLD comes for a stop
// or continue while an exit still sends one. Every wait is bounded (5 s), so a hang fails.
// waitid(P_PIDFD) of a descriptor that is no pidfd is EBADF, of a negative one EINVAL.
// Children run in process groups of their own, whose parent is in the same session (not
// orphaned, so SIGTSTP and SIGTTOU stop them as SIGSTOP does).
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

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* What the SIGCHLD handler saw, in order. */
#define MAX_EVENTS 16
static volatile sig_atomic_t events;
static volatile int event_code[MAX_EVENTS], event_status[MAX_EVENTS], event_pid[MAX_EVENTS];

static void on_chld(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    int n = events;
    if (n < MAX_EVENTS) {
        event_code[n] = info->si_code;
        event_status[n] = info->si_status;
        event_pid[n] = info->si_pid;
        events = n + 1;
    }
}

static void set_chld_handler(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static const char *codename(int code) {
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

/* Waits (up to 5 s) until the SIGCHLD handler has seen `count` events; whether it did. */
static int await_events(int count) {
    for (int i = 0; i < 5000 && events < count; i++) sleep_ms(1);
    return events >= count;
}

static void show_event(int index, pid_t child) {
    if (index >= events) {
        printf("  SIGCHLD %d: none\n", index);
        return;
    }
    printf("  SIGCHLD %d: %s si_status %d si_pid child %s\n", index, codename(event_code[index]),
           event_status[index], event_pid[index] == child ? "yes" : "no");
}

/* waitpid(pid, status, options) bounded to 5 s: -2 when it timed out. */
static pid_t wait_bounded(pid_t pid, int *status, int options) {
    for (int i = 0; i < 5000; i++) {
        pid_t r = waitpid(pid, status, options | WNOHANG);
        if (r != 0 && !(r < 0 && errno == EINTR)) return r;
        sleep_ms(1);
    }
    return -2;
}

/* waitid(P_PID, pid, info, options) bounded to 5 s: -2 when it timed out. */
static int waitid_bounded(pid_t pid, siginfo_t *info, int options) {
    for (int i = 0; i < 5000; i++) {
        memset(info, 0, sizeof *info);
        int r = waitid(P_PID, pid, info, options | WNOHANG);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || info->si_pid != 0) return r;
        sleep_ms(1);
    }
    return -2;
}

static void describe(const char *label, pid_t r, pid_t child, const int *status) {
    int st = *status;
    if (r == -2) { printf("%s: timed out\n", label); return; }
    if (r != child) { printf("%s: returned %s (%s)\n", label, r == 0 ? "0" : "other", r < 0 ? strerror(errno) : "-"); return; }
    if (WIFSTOPPED(st)) printf("%s: stopped by %d (status 0x%x)\n", label, WSTOPSIG(st), st);
    else if (WIFCONTINUED(st)) printf("%s: continued (status 0x%x)\n", label, st);
    else if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", label, WTERMSIG(st));
    else printf("%s: status 0x%x\n", label, st);
}

static void describe_info(const char *label, int r, pid_t child, const siginfo_t *info) {
    if (r == -2) { printf("%s: timed out\n", label); return; }
    if (r < 0) { printf("%s: %s\n", label, strerror(errno)); return; }
    printf("%s: si_signo %d %s si_status %d si_pid %s\n", label, info->si_signo, codename(info->si_code),
           info->si_status, info->si_pid == child ? "child" : info->si_pid == 0 ? "0" : "other");
}

static pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork failed: %s\n", strerror(errno));
        exit(1);
    }
    if (pid == 0) setpgid(0, 0);
    else setpgid(pid, pid);
    return pid;
}

/* Child side: reads one byte from `fd` (0 at end of file), retrying after handlers. */
static int read_byte(int fd) {
    char c;
    ssize_t n;
    do n = read(fd, &c, 1); while (n < 0 && errno == EINTR);
    return n == 1 ? c : 0;
}

static void write_byte(int fd, char c) {
    while (write(fd, &c, 1) < 0 && errno == EINTR) {}
}

static volatile sig_atomic_t cont_handled, tstp_handled;
static void on_cont(int sig) { (void)sig; cont_handled++; }
static void on_tstp(int sig) { (void)sig; tstp_handled++; }

static void catch_signal(int sig, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* A child that stops itself; after the continue it waits for a byte, then exits with
   10 + the number of times its SIGCONT handler ran. */
static void self_stop(void) {
    int go[2];
    pipe(go);
    events = 0;
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        catch_signal(SIGCONT, on_cont);
        raise(SIGSTOP);
        read_byte(go[0]);
        _exit(10 + cont_handled);
    }
    close(go[0]);
    int st = 0;
    printf("raise(SIGSTOP) in the child\n");
    describe("  waitpid(WUNTRACED)", wait_bounded(child, &st, WUNTRACED), child, &st);
    printf("  SIGCHLD seen: %s\n", await_events(1) ? "yes" : "no");
    show_event(0, child);
    printf("  waitpid(WUNTRACED) again: %d\n", (int)waitpid(child, &st, WUNTRACED | WNOHANG));
    printf("  kill(SIGCONT): %d\n", kill(child, SIGCONT));
    describe("  waitpid(WCONTINUED)", wait_bounded(child, &st, WCONTINUED), child, &st);
    printf("  SIGCHLD seen: %s\n", await_events(2) ? "yes" : "no");
    show_event(1, child);
    write_byte(go[1], 'x');
    describe("  waitpid", wait_bounded(child, &st, 0), child, &st);
    await_events(3);
    show_event(2, child);
    close(go[1]);
}

/* A child blocked in read, stopped and continued by the parent, seen through waitid. */
static void parent_stops(void) {
    int go[2], back[2];
    pipe(go);
    pipe(back);
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        close(back[0]);
        char c = (char)read_byte(go[0]);
        write_byte(back[1], c);
        _exit(0);
    }
    close(go[0]);
    close(back[1]);
    siginfo_t info;
    printf("kill(SIGSTOP) by the parent\n");
    sleep_ms(20);
    printf("  kill: %d\n", kill(child, SIGSTOP));
    describe_info("  waitid(WSTOPPED|WNOWAIT)", waitid_bounded(child, &info, WSTOPPED | WNOWAIT), child, &info);
    describe_info("  waitid(WSTOPPED)", waitid_bounded(child, &info, WSTOPPED), child, &info);
    memset(&info, 0, sizeof info);
    int r = waitid(P_PID, child, &info, WSTOPPED | WNOHANG);
    printf("  waitid(WSTOPPED|WNOHANG) again: %d si_pid %d\n", r, (int)info.si_pid);
    printf("  kill(SIGCONT): %d\n", kill(child, SIGCONT));
    describe_info("  waitid(WCONTINUED|WNOWAIT)", waitid_bounded(child, &info, WCONTINUED | WNOWAIT), child, &info);
    describe_info("  waitid(WCONTINUED)", waitid_bounded(child, &info, WCONTINUED), child, &info);
    write_byte(go[1], 'r');
    printf("  the child's read went on: %s\n", read_byte(back[0]) == 'r' ? "yes" : "no");
    describe_info("  waitid(WEXITED)", waitid_bounded(child, &info, WEXITED), child, &info);
    close(go[1]);
    close(back[0]);
}

/* SIGTSTP or SIGTTOU at the default action stops the child; SIGKILL ends it while stopped. */
static void default_stop(int sig, const char *name) {
    int go[2];
    pipe(go);
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        read_byte(go[0]);
        _exit(3);
    }
    close(go[0]);
    int st = 0;
    printf("kill(%s) at the default action\n", name);
    printf("  kill: %d\n", kill(child, sig));
    describe("  waitpid(WUNTRACED)", wait_bounded(child, &st, WUNTRACED), child, &st);
    printf("  waitpid without WUNTRACED: %d\n", (int)waitpid(child, &st, WNOHANG));
    printf("  kill(SIGKILL): %d\n", kill(child, SIGKILL));
    describe("  waitpid", wait_bounded(child, &st, 0), child, &st);
    close(go[1]);
}

/* A SIGTSTP handler runs instead of a stop; SIG_IGN makes SIGTSTP do nothing. */
static void tstp_caught_or_ignored(int ignore) {
    int go[2], back[2];
    pipe(go);
    pipe(back);
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        close(back[0]);
        if (ignore) signal(SIGTSTP, SIG_IGN); else catch_signal(SIGTSTP, on_tstp);
        write_byte(back[1], 'r');
        read_byte(go[0]);
        _exit(20 + tstp_handled);
    }
    close(go[0]);
    close(back[1]);
    read_byte(back[0]);
    int st = 0;
    printf("kill(SIGTSTP) to a child that %s it\n", ignore ? "ignores" : "catches");
    printf("  kill: %d\n", kill(child, SIGTSTP));
    sleep_ms(50);
    printf("  waitpid(WUNTRACED|WNOHANG): %d\n", (int)waitpid(child, &st, WUNTRACED | WNOHANG));
    write_byte(go[1], 'x');
    describe("  waitpid", wait_bounded(child, &st, WUNTRACED), child, &st);
    close(go[1]);
    close(back[0]);
}

/* Pending stop signals and SIGCONT discard each other when sent. */
static void pending_discard(void) {
    int go[2], back[2];
    pipe(go);
    pipe(back);
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        close(back[0]);
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGTSTP);
        sigaddset(&set, SIGCONT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        catch_signal(SIGCONT, on_cont);
        write_byte(back[1], 'r');
        int result = 0;
        read_byte(go[0]);           /* SIGTSTP sent */
        sigpending(&pending);
        result |= sigismember(&pending, SIGTSTP) ? 1 : 0;
        write_byte(back[1], 'a');
        read_byte(go[0]);           /* SIGCONT sent */
        sigpending(&pending);
        result |= sigismember(&pending, SIGTSTP) ? 2 : 0;
        result |= sigismember(&pending, SIGCONT) ? 4 : 0;
        write_byte(back[1], 'b');
        read_byte(go[0]);           /* SIGTSTP sent again */
        sigpending(&pending);
        result |= sigismember(&pending, SIGTSTP) ? 8 : 0;
        result |= sigismember(&pending, SIGCONT) ? 16 : 0;
        /* Ignoring SIGTSTP drops it; the SIGCONT handler has nothing left to run for. */
        signal(SIGTSTP, SIG_IGN);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        result |= cont_handled ? 32 : 0;
        _exit(result);
    }
    close(go[0]);
    close(back[1]);
    read_byte(back[0]);
    int st = 0;
    printf("pending SIGTSTP and SIGCONT (blocked) discard each other\n");
    kill(child, SIGTSTP);
    sleep_ms(20);
    write_byte(go[1], '1');
    read_byte(back[0]);
    kill(child, SIGCONT);
    sleep_ms(20);
    write_byte(go[1], '2');
    read_byte(back[0]);
    kill(child, SIGTSTP);
    sleep_ms(20);
    write_byte(go[1], '3');
    pid_t r = wait_bounded(child, &st, WUNTRACED);
    if (r == child && WIFEXITED(st)) {
        int bits = WEXITSTATUS(st);
        printf("  SIGTSTP pending after it was sent: %s\n", bits & 1 ? "yes" : "no");
        printf("  after SIGCONT: SIGTSTP %s, SIGCONT %s\n", bits & 2 ? "pending" : "gone", bits & 4 ? "pending" : "gone");
        printf("  after SIGTSTP again: SIGTSTP %s, SIGCONT %s\n", bits & 8 ? "pending" : "gone", bits & 16 ? "pending" : "gone");
        printf("  SIGCONT handler ran: %s\n", bits & 32 ? "yes" : "no");
    } else {
        describe("  waitpid", r, child, &st);
    }
    close(go[1]);
    close(back[0]);
}

/* With SA_NOCLDSTOP no SIGCHLD comes for a stop or a continue, one still comes for the exit. */
static void no_cld_stop(void) {
    sleep_ms(100);  /* the SIGCHLDs of earlier children have arrived */
    set_chld_handler(SA_NOCLDSTOP);
    events = 0;
    int go[2];
    pipe(go);
    pid_t child = xfork();
    if (child == 0) {
        close(go[1]);
        read_byte(go[0]);
        _exit(4);
    }
    close(go[0]);
    int st = 0;
    printf("SA_NOCLDSTOP\n");
    kill(child, SIGSTOP);
    describe("  waitpid(WUNTRACED)", wait_bounded(child, &st, WUNTRACED), child, &st);
    kill(child, SIGCONT);
    describe("  waitpid(WCONTINUED)", wait_bounded(child, &st, WCONTINUED), child, &st);
    sleep_ms(50);
    printf("  SIGCHLD for the stop and continue: %d\n", (int)events);
    write_byte(go[1], 'x');
    describe("  waitpid", wait_bounded(child, &st, 0), child, &st);
    printf("  SIGCHLD for the exit: %s\n", await_events(1) ? "yes" : "no");
    show_event(0, child);
    close(go[1]);
}

/* waitid(P_PIDFD): no descriptor here is a pidfd (EBADF); a negative one is EINVAL. */
static void pidfd_idtype(void) {
    siginfo_t info;
    int fds[] = {0, -1};
    for (int i = 0; i < 2; i++) {
        errno = 0;
        int r = waitid((idtype_t)3 /* P_PIDFD */, (id_t)fds[i], &info, WEXITED | WNOHANG);
        printf("waitid(P_PIDFD, %d): %d %s\n", fds[i], r, errno == EBADF ? "EBADF" : errno == EINVAL ? "EINVAL" : errno ? "other" : "none");
    }
}

int main(void) {
    alarm(60);
    pidfd_idtype();
    set_chld_handler(0);
    self_stop();
    parent_stops();
    default_stop(SIGTSTP, "SIGTSTP");
    default_stop(SIGTTOU, "SIGTTOU");
    tstp_caught_or_ignored(0);
    tstp_caught_or_ignored(1);
    pending_discard();
    no_cld_stop();
    return 0;
}
