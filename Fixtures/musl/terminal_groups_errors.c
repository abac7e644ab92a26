// Checks the terminal job-control calls on descriptors that are not terminals, as a shell
// meets them when its input is a pipe or a file: tcgetpgrp, tcsetpgrp, tcgetsid and the
// ioctls behind them (TIOCGPGRP, TIOCSPGRP, TIOCGSID), TIOCSCTTY and TIOCNOTTY fail with ENOTTY
// on a pipe (a fresh one, and one shared with a forked child), a regular file and /dev/null,
// before looking at their argument (a null pointer); a closed or negative descriptor is EBADF;
// isatty is 0 on each. A session leader made by setsid() has no controlling terminal either.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOTTY: return "ENOTTY";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case ENXIO: return "ENXIO";
    default: return "another error";
    }
}

static void show(const char *what, long result) {
    printf("  %-28s %ld %s\n", what, result, result < 0 ? errname(errno) : "");
}

static void check(const char *name, int fd) {
    printf("%s:\n", name);
    pid_t pgrp;
    errno = 0; show("tcgetpgrp", (long)tcgetpgrp(fd));
    errno = 0; show("tcsetpgrp(own group)", (long)tcsetpgrp(fd, getpgrp()));
    errno = 0; show("tcgetsid", (long)tcgetsid(fd));
    errno = 0; show("ioctl TIOCGPGRP", (long)ioctl(fd, TIOCGPGRP, &pgrp));
    errno = 0; show("ioctl TIOCGPGRP null", (long)ioctl(fd, TIOCGPGRP, NULL));
    errno = 0; show("ioctl TIOCSPGRP null", (long)ioctl(fd, TIOCSPGRP, NULL));
    errno = 0; show("ioctl TIOCGSID", (long)ioctl(fd, TIOCGSID, &pgrp));
    errno = 0; show("ioctl TIOCSCTTY 0", (long)ioctl(fd, TIOCSCTTY, 0));
    errno = 0; show("ioctl TIOCNOTTY", (long)ioctl(fd, TIOCNOTTY));
    errno = 0; show("isatty", (long)isatty(fd));
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int ends[2];
    if (pipe(ends) != 0) { perror("pipe"); return 1; }
    check("pipe read end", ends[0]);
    check("pipe write end", ends[1]);

    int file = open("plain.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("regular file", file);
    int null = open("/dev/null", O_RDWR);
    check("/dev/null", null);

    int closed = dup(file);
    close(closed);
    check("closed descriptor", closed);
    check("descriptor -1", -1);

    /* A pipe both processes hold, and a new session without a controlling terminal. */
    pid_t child = fork();
    if (child == 0) {
        check("pipe shared with the parent (child)", ends[1]);
        pid_t sid = setsid();
        printf("setsid: leads its session: %s\n", sid == getpid() ? "yes" : "no");
        check("pipe, as a session leader", ends[0]);
        errno = 0;
        printf("TIOCSCTTY on a pipe as session leader: %d %s\n", ioctl(ends[0], TIOCSCTTY, 1), errname(errno));
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    unlink("plain.txt");
    return 0;
}
