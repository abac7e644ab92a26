/* Tries to signal host processes outside the guest (run only in the guest): the guest is its
 * own pid namespace, so a pid that is no guest process is ESRCH for kill (signal 0 and SIGCONT),
 * getpgid and getsid, a group of none of its processes is ESRCH, kill(-1) reaches the guest's
 * other processes only (a forked child that takes SIGCONT with sigtimedwait) and is ESRCH once
 * there are none. argv[1] is the pid of a stopped host process that must stay stopped (the
 * test checks it); the runner's parent (getppid of the first guest process) is outside too.
 * Prints one line per check. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *result(long r) {
    if (r >= 0) return "ok";
    return errno == ESRCH ? "ESRCH" : errno == EPERM ? "EPERM" : "other";
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    pid_t outside = (pid_t)atoi(argv[1]);
    printf("kill(outside, 0): %s\n", result(kill(outside, 0)));
    printf("kill(outside, SIGCONT): %s\n", result(kill(outside, SIGCONT)));
    printf("kill(-outside, SIGCONT): %s\n", result(kill(-outside, SIGCONT)));
    printf("getpgid(outside): %s\n", result(getpgid(outside)));
    printf("getsid(outside): %s\n", result(getsid(outside)));
    printf("kill(1, 0): %s\n", result(kill(1, 0)));
    printf("kill(getppid(), 0): %s\n", result(kill(getppid(), 0)));
    printf("kill(-1, 0) alone: %s\n", result(kill(-1, 0)));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCONT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int ready[2];
    if (pipe(ready) != 0) return 3;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char c = 'r';
        write(ready[1], &c, 1);
        struct timespec limit = {5, 0};
        siginfo_t info;
        int sig;
        do sig = sigtimedwait(&set, &info, &limit); while (sig < 0 && errno == EINTR);
        _exit(sig == SIGCONT && info.si_pid == getppid() ? 0 : 1);
    }
    char c;
    read(ready[0], &c, 1);
    printf("kill(-1, SIGCONT) with a child: %s\n", result(kill(-1, SIGCONT)));
    int status = 0;
    waitpid(child, &status, 0);
    printf("the child took it: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
    printf("kill(-1, 0) alone again: %s\n", result(kill(-1, 0)));
    printf("kill(outside, 0) after a fork: %s\n", result(kill(outside, 0)));
    return 0;
}
