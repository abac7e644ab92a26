// Checks job control on a real terminal, as an interactive shell does it: stdin is a fresh
// pseudo-terminal (conformance-stdin-terminal), which is no process's controlling terminal yet.
// A child becomes a session leader (setsid), takes the terminal as its controlling terminal
// (TIOCSCTTY), sees itself as the foreground group and the session (tcgetpgrp, tcgetsid,
// TIOCGSID), starts a grandchild in a process group of its own, makes that group the
// foreground (tcsetpgrp) so the grandchild reads tcgetpgrp as its own group, takes the
// foreground back with SIGTTOU ignored (a background group's tcsetpgrp), and gives the terminal
// up (TIOCNOTTY, with the SIGHUP it sends its own group ignored: ENOTTY afterwards). A second session's TIOCSCTTY on the same terminal is
// EPERM while the first holds it. Pids are never printed, only how they relate.
// conformance-libcs: musl glibc
// conformance-stdin-terminal: yes
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOTTY: return "ENOTTY";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    default: return "another error";
    }
}

static int exit_status(pid_t pid) {
    int status = 0;
    pid_t r;
    do r = waitpid(pid, &status, 0); while (r < 0 && errno == EINTR);
    if (r != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The child of main: the session that owns the terminal. Reports lines through `out`. */
static int session(int out, int ready, int release) {
    char line[256];
    int n;
    pid_t me = setsid();
    n = snprintf(line, sizeof line, "setsid made a session: %s\n", yesno(me == getpid()));
    write(out, line, n);
    errno = 0;
    int taken = ioctl(0, TIOCSCTTY, 0);
    n = snprintf(line, sizeof line, "TIOCSCTTY on the terminal: %d %s\n", taken, errname(errno));
    write(out, line, n);
    pid_t sid = -1;
    int got = ioctl(0, TIOCGSID, &sid);
    n = snprintf(line, sizeof line, "foreground group is mine: %s; tcgetsid is my session: %s; TIOCGSID: %s\n",
                 yesno(tcgetpgrp(0) == me), yesno(tcgetsid(0) == me), yesno(got == 0 && sid == me));
    write(out, line, n);

    /* Let main try to take the terminal from another session, then go on. */
    char c = 'r';
    write(ready, &c, 1);
    read(release, &c, 1);

    int report[2];
    pipe(report);
    fflush(stdout);
    pid_t job = fork();
    if (job == 0) {
        close(report[0]);
        setpgid(0, 0);
        /* Wait (bounded) until the session made this group the foreground. */
        int foreground = 0;
        for (int i = 0; i < 400 && !foreground; i++) {
            foreground = tcgetpgrp(0) == getpid();
            if (!foreground) usleep(5000);
        }
        char answer = foreground ? 'y' : 'n';
        write(report[1], &answer, 1);
        _exit(0);
    }
    close(report[1]);
    setpgid(job, job);
    errno = 0;
    int set = tcsetpgrp(0, job);
    n = snprintf(line, sizeof line, "tcsetpgrp to the job's group: %d %s; tcgetpgrp names it: %s\n", set, errname(errno),
                 yesno(tcgetpgrp(0) == job));
    write(out, line, n);
    char answer = '?';
    read(report[0], &answer, 1);
    n = snprintf(line, sizeof line, "the job saw itself in the foreground: %s; job exit %d\n", yesno(answer == 'y'), exit_status(job));
    write(out, line, n);

    /* Now a background group: taking the foreground back needs SIGTTOU ignored. */
    signal(SIGTTOU, SIG_IGN);
    errno = 0;
    set = tcsetpgrp(0, me);
    n = snprintf(line, sizeof line, "background tcsetpgrp back with SIGTTOU ignored: %d %s; foreground is mine: %s\n", set,
                 errname(errno), yesno(tcgetpgrp(0) == me));
    write(out, line, n);
    signal(SIGTTOU, SIG_DFL);

    /* A session leader giving its terminal up sends SIGHUP (and SIGCONT) to the foreground
       group, its own: ignored, so that it lives on to report. */
    signal(SIGHUP, SIG_IGN);
    errno = 0;
    int dropped = ioctl(0, TIOCNOTTY);
    int dropped_errno = errno;
    errno = 0;
    pid_t after = tcgetpgrp(0);
    n = snprintf(line, sizeof line, "TIOCNOTTY: %d %s; tcgetpgrp afterwards: %d %s\n", dropped, errname(dropped_errno), (int)after,
                 errname(errno));
    write(out, line, n);
    return 0;
}

int main(void) {
    printf("stdin is a terminal: %s\n", yesno(isatty(0)));
    int out[2], ready[2], release[2];
    pipe(out);
    pipe(ready);
    pipe(release);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(out[0]);
        close(ready[0]);
        close(release[1]);
        _exit(session(out[1], ready[1], release[0]));
    }
    close(out[1]);
    close(ready[1]);
    close(release[0]);
    char c;
    read(ready[0], &c, 1);
    /* Another session may not take a terminal the first one holds. */
    int probe[2];
    pipe(probe);
    fflush(stdout);
    pid_t other = fork();
    if (other == 0) {
        close(probe[0]);
        setsid();
        errno = 0;
        int r = ioctl(0, TIOCSCTTY, 0);
        char line[128];
        int n = snprintf(line, sizeof line, "a second session's TIOCSCTTY: %d %s\n", r, errname(errno));
        write(probe[1], line, n);
        _exit(0);
    }
    close(probe[1]);
    char buffer[4096];
    ssize_t got = read(probe[0], buffer, sizeof buffer);
    if (got > 0) fwrite(buffer, 1, (size_t)got, stdout);
    exit_status(other);
    write(release[1], "g", 1);
    size_t total = 0;
    while (total < sizeof buffer - 1 && (got = read(out[0], buffer + total, sizeof buffer - 1 - total)) > 0) total += (size_t)got;
    fwrite(buffer, 1, total, stdout);
    printf("session exit %d\n", exit_status(child));
    return 0;
}
