// Checks prctl(PR_SET_PDEATHSIG): a grandchild whose parent (the middle process) exits gets
// the signal it asked for: SIGUSR1 reaches its handler as SI_USER from the parent that died,
// after which getppid() no longer names that parent; SIGKILL and SIGTERM (default action) end
// it before it can report. PR_GET_PDEATHSIG reads the value back; 0 clears it; a forked child
// starts without one while its parent keeps its own; an exec keeps it, and the new image (this
// program again, placed as ./pdeathsig_again) gets the signal when its parent dies. Signal 65
// and (unsigned long)-1 are EINVAL, an unwritable PR_GET_PDEATHSIG address EFAULT. Every wait
// is bounded; the processes report through pipes and only the top process prints.
// conformance-libcs: musl glibc
// conformance-programs: pdeathsig=pdeathsig_again
// conformance-timeout: 30
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_code;
static volatile sig_atomic_t got_pid;

static void on_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    got_signal = sig;
    got_code = info->si_code;
    got_pid = info->si_pid;
}

static void install(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    default: return "another error";
    }
}

static int get_pdeathsig(void) {
    int sig = -1;
    if (prctl(PR_GET_PDEATHSIG, &sig) != 0) return -2;
    return sig;
}

/* Waits up to `ms` for `fd` to be readable (or at its end); 1 when it is. */
static int readable(int fd, int ms) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    for (;;) {
        int n = poll(&p, 1, ms);
        if (n < 0 && errno == EINTR) continue;
        return n > 0;
    }
}

/* Reads what a writer leaves in the pipe until its end (at most `ms` for each part). */
static size_t read_report(int fd, char *buffer, size_t size, int ms) {
    size_t used = 0;
    while (used + 1 < size && readable(fd, ms)) {
        ssize_t n = read(fd, buffer + used, size - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += (size_t)n;
    }
    buffer[used] = '\0';
    return used;
}

/* waitpid with a bound of 10 s. */
static int wait_for(pid_t pid, int *status) {
    for (int i = 0; i < 1000; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    return -1;
}

/* Waits up to 5 s for a signal (a poll on a pipe nobody writes, ended by the handler). */
static void await_signal(void) {
    int idle[2];
    if (pipe(idle) != 0) return;
    struct pollfd p = { .fd = idle[0], .events = POLLIN };
    for (int i = 0; i < 50 && !got_signal; i++) poll(&p, 1, 100);
    close(idle[0]);
    close(idle[1]);
}

/* The grandchild's report after the signal (or its absence). */
static void report_signal(int out, pid_t parent) {
    char line[256];
    int n = snprintf(line, sizeof line,
                     "signal %s; SI_USER: %s; sent by the parent that died: %s; getppid() still that parent: %s\n",
                     got_signal == SIGUSR1 ? "SIGUSR1" : got_signal ? "another" : "none",
                     got_code == SI_USER ? "yes" : "no", got_pid == parent ? "yes" : "no",
                     getppid() == parent ? "yes" : "no");
    (void)!write(out, line, (size_t)n);
}

/* Runs a middle process that forks `grandchild` (given the ready and report pipes' write ends
   and the middle's pid) and exits once the grandchild says it is ready; prints what the
   grandchild reported before its report pipe ended. */
static void parent_dies(const char *title, void (*grandchild)(int ready, int report, pid_t parent)) {
    int ready[2], report[2];
    if (pipe(ready) != 0 || pipe(report) != 0) { perror("pipe"); exit(1); }
    fflush(stdout);
    pid_t middle = fork();
    if (middle == 0) {
        close(ready[0]);
        close(report[0]);
        pid_t parent = getpid();
        int inner[2];
        if (pipe(inner) != 0) _exit(2);
        pid_t child = fork();
        if (child == 0) {
            close(inner[0]);
            close(ready[1]);
            grandchild(inner[1], report[1], parent);
            _exit(0);
        }
        close(inner[1]);
        close(report[1]);
        char byte;
        int ok = readable(inner[0], 5000) && read(inner[0], &byte, 1) == 1;
        (void)!write(ready[1], ok ? "r" : "n", 1);
        _exit(0);  /* the grandchild's parent dies */
    }
    close(ready[1]);
    close(report[1]);
    char byte = 0;
    int ok = readable(ready[0], 6000) && read(ready[0], &byte, 1) == 1 && byte == 'r';
    int status = 0;
    int waited = wait_for(middle, &status) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char text[512];
    read_report(report[0], text, sizeof text, 8000);
    printf("%s: grandchild ready: %s, middle exited: %s\n  report: %s%s", title, ok ? "yes" : "no",
           waited ? "yes" : "no", text[0] ? text : "(none: it ended without a word)\n", "");
    close(ready[0]);
    close(report[0]);
}

static void handled_usr1(int ready, int report, pid_t parent) {
    install(SIGUSR1);
    if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) { (void)!write(report, "set failed\n", 11); return; }
    char line[64];
    int n = snprintf(line, sizeof line, "PR_GET_PDEATHSIG %s; ", get_pdeathsig() == SIGUSR1 ? "SIGUSR1" : "wrong");
    (void)!write(report, line, (size_t)n);
    (void)!write(ready, "r", 1);
    await_signal();
    report_signal(report, parent);
}

/* Sets `sig` at its default action as the parent-death signal and waits: only a report of
   survival after 5 s ends up in the pipe. */
static void default_action(int sig, int ready, int report) {
    signal(sig, SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, sig) != 0) { (void)!write(report, "set failed\n", 11); return; }
    (void)!write(ready, "r", 1);
    await_signal();
    (void)!write(report, "survived its parent's death\n", 28);
}

static void killed(int ready, int report, pid_t parent) { (void)parent; default_action(SIGKILL, ready, report); }
static void terminated(int ready, int report, pid_t parent) { (void)parent; default_action(SIGTERM, ready, report); }

/* Sets SIGUSR1 and execs this program again, which reports through the same descriptors. */
static void execs(int ready, int report, pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) { (void)!write(report, "set failed\n", 11); return; }
    char ready_text[16], report_text[16], parent_text[16];
    snprintf(ready_text, sizeof ready_text, "%d", ready);
    snprintf(report_text, sizeof report_text, "%d", report);
    snprintf(parent_text, sizeof parent_text, "%d", (int)parent);
    char *argv[] = { "pdeathsig_again", "after-exec", ready_text, report_text, parent_text, NULL };
    char *envp[] = { NULL };
    execve("./pdeathsig_again", argv, envp);
    (void)!write(report, "exec failed\n", 12);
}

/* The image exec'd by `execs`: the signal it asks for is still set, and arrives. */
static int after_exec(char **argv) {
    int ready = atoi(argv[2]), report = atoi(argv[3]);
    pid_t parent = (pid_t)atoi(argv[4]);
    install(SIGUSR1);
    char line[64];
    int n = snprintf(line, sizeof line, "after exec PR_GET_PDEATHSIG %s; ", get_pdeathsig() == SIGUSR1 ? "SIGUSR1" : "wrong");
    (void)!write(report, line, (size_t)n);
    (void)!write(ready, "r", 1);
    await_signal();
    report_signal(report, parent);
    return 0;
}

/* A forked child starts without a parent-death signal; its parent keeps its own. */
static void fork_clears(void) {
    int report[2];
    if (pipe(report) != 0) { perror("pipe"); exit(1); }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        prctl(PR_SET_PDEATHSIG, SIGUSR2);
        int mine = get_pdeathsig();
        fflush(stdout);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            char byte = (char)get_pdeathsig();
            (void)!write(report[1], &byte, 1);
            _exit(0);
        }
        int status;
        int waited = wait_for(grandchild, &status) == 0;
        char bytes[2] = { waited ? 'w' : 'x', (char)(mine == SIGUSR2 && get_pdeathsig() == SIGUSR2) };
        (void)!write(report[1], bytes, 2);
        prctl(PR_SET_PDEATHSIG, 0);
        char cleared = (char)get_pdeathsig();
        (void)!write(report[1], &cleared, 1);
        _exit(0);
    }
    close(report[1]);
    char bytes[8] = { 0 };
    size_t got = read_report(report[0], bytes, sizeof bytes, 5000);
    int status;
    wait_for(child, &status);
    printf("fork: child's value %d, parent kept SIGUSR2: %s, cleared with 0: %s (%zu bytes)\n",
           got > 0 ? bytes[0] : -1, got > 2 && bytes[2] ? "yes" : "no", got > 3 && bytes[3] == 0 ? "yes" : "no", got);
    close(report[0]);
}

static void errors(void) {
    pid_t child = fork();
    if (child == 0) {
        errno = 0;
        int r = prctl(PR_SET_PDEATHSIG, 65);
        printf("PR_SET_PDEATHSIG 65: %d %s\n", r, errname(errno));
        errno = 0;
        r = prctl(PR_SET_PDEATHSIG, (unsigned long)-1);
        printf("PR_SET_PDEATHSIG (unsigned long)-1: %d %s\n", r, errname(errno));
        printf("still none: %s\n", get_pdeathsig() == 0 ? "yes" : "no");
        errno = 0;
        r = prctl(PR_GET_PDEATHSIG, (int *)8);
        printf("PR_GET_PDEATHSIG to address 8: %d %s\n", r, errname(errno));
        r = prctl(PR_SET_PDEATHSIG, 64);
        printf("PR_SET_PDEATHSIG 64: %d, read back %d\n", r, get_pdeathsig());
        fflush(stdout);
        _exit(0);
    }
    int status;
    wait_for(child, &status);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "after-exec") == 0) return after_exec(argv);
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("initially: %d\n", get_pdeathsig());
    errors();
    fork_clears();
    parent_dies("SIGUSR1 with a handler", handled_usr1);
    parent_dies("SIGKILL", killed);
    parent_dies("SIGTERM at its default action", terminated);
    parent_dies("SIGUSR1 across execve", execs);
    return 0;
}
