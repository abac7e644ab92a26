// Checks pseudo-terminals a program opens itself, as script, expect and terminal multiplexers do.
// posix_openpt(O_RDWR|O_NOCTTY) gives a locked multiplexer end (TIOCGPTLCK): its terminal end
// cannot be opened yet (EIO); grantpt and unlockpt unlock it; ptsname names /dev/pts/N, the number
// TIOCGPTN tells, and opening that path gives the terminal end: a terminal (isatty) whose ttyname
// is that name and whose stat matches. Bytes written on the multiplexer are a line read in
// canonical mode on the terminal end, echoed back with ONLCR's "\r\n", as a line written on the
// terminal end is read on the multiplexer; in raw mode (cfmakeraw, tcsetattr) nothing is
// translated, and poll and epoll tell when the terminal end is readable. Packet mode (TIOCPKT,
// TIOCGPKT) puts a TIOCPKT_DATA byte before what the multiplexer reads. TIOCGPTPEER opens the
// terminal end once more, without its name. openpty() gives a second pair, whose terminal end a
// forked child opens by name, makes its controlling terminal (setsid, TIOCSCTTY) and writes to
// through /dev/tty, while the parent reads the line on the multiplexer. When every descriptor of a
// terminal end is closed, reading its multiplexer is EIO. Errors: /dev/pts/999999 does not exist
// (ENOENT), TIOCGPTN and TIOCGPTPEER on a pipe are ENOTTY, TIOCGPTPEER on a terminal end EIO.
// Pseudo-terminal numbers are never printed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "include/check.h"
#include "include/fork.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOENT: return "ENOENT";
    case ENOTTY: return "ENOTTY";
    case EIO: return "EIO";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    default: return strerror(e);
    }
}

static void result(const char *what, int r) {
    printf("%s: %s %s\n", what, r < 0 ? "-1" : "ok", errname(r < 0 ? errno : 0));
    errno = 0;
}

/* Reads from `fd` until `count` bytes or a newline came (a terminal may hand a line over in
   pieces); returns how many. */
static int read_line(int fd, char *buffer, int count) {
    int total = 0;
    while (total < count) {
        ssize_t n = read(fd, buffer + total, count - total);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        total += n;
        if (memchr(buffer, '\n', total)) break;
    }
    return total;
}

/* Reads exactly `count` bytes from `fd` (or fewer at an error or end). */
static int read_exactly(int fd, char *buffer, int count) {
    int total = 0;
    while (total < count) {
        ssize_t n = read(fd, buffer + total, count - total);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        total += n;
    }
    return total;
}

/* `what`, then the bytes with control characters escaped. */
static void show(const char *what, const char *bytes, int count) {
    printf("%s: %d bytes \"", what, count);
    for (int i = 0; i < count; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '\n') printf("\\n");
        else if (c == '\r') printf("\\r");
        else if (c < 32 || c > 126) printf("\\%03o", c);
        else putchar(c);
    }
    printf("\"\n");
}

/* Whether `fd` is the terminal named `name`: same device and inode. */
static int same_file(int fd, const char *name) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(name, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
           && a.st_rdev == b.st_rdev;
}

int main(void) {
    char buffer[256];
    int n;

    /* A new pair: the terminal end is locked until unlockpt. */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    check(master >= 0, "posix_openpt");
    printf("posix_openpt: ok; the multiplexer is a terminal: %s\n", yesno(isatty(master)));
    int locked = -1;
    result("TIOCGPTLCK", ioctl(master, TIOCGPTLCK, &locked));
    printf("locked at first: %s\n", yesno(locked != 0));
    unsigned number = 0;
    result("TIOCGPTN", ioctl(master, TIOCGPTN, &number));
    char name[64];
    snprintf(name, sizeof name, "/dev/pts/%u", number);
    errno = 0;
    result("open the locked terminal end", open(name, O_RDWR | O_NOCTTY));
    result("TIOCGPTPEER on the locked terminal end", ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY));
    result("grantpt", grantpt(master));
    result("unlockpt", unlockpt(master));
    locked = -1;
    result("TIOCGPTLCK", ioctl(master, TIOCGPTLCK, &locked));
    printf("locked after unlockpt: %s\n", yesno(locked != 0));
    const char *path = ptsname(master);
    check(path != NULL, "ptsname");
    printf("ptsname starts with /dev/pts/: %s; names TIOCGPTN's number: %s\n",
           yesno(strncmp(path, "/dev/pts/", 9) == 0), yesno(strcmp(path, name) == 0));
    struct stat info;
    result("stat /dev/pts", stat("/dev/pts", &info));
    printf("/dev/pts is a directory: %s\n", yesno(S_ISDIR(info.st_mode)));

    int slave = open(name, O_RDWR | O_NOCTTY);
    check(slave >= 0, "open the terminal end");
    printf("terminal end: isatty %s; ttyname is its name: %s; stat matches: %s; a character device: %s\n",
           yesno(isatty(slave)), yesno(ttyname(slave) && strcmp(ttyname(slave), name) == 0), yesno(same_file(slave, name)),
           yesno(fstat(slave, &info) == 0 && S_ISCHR(info.st_mode)));

    /* Canonical mode: a line from the multiplexer, echoed back. */
    result("write a line on the multiplexer", (int)write(master, "hello\n", 6));
    n = read(slave, buffer, sizeof buffer);
    show("the terminal end reads", buffer, n);
    n = read_line(master, buffer, sizeof buffer);
    show("the multiplexer reads the echo", buffer, n);
    result("write a line on the terminal end", (int)write(slave, "world\n", 6));
    n = read_line(master, buffer, sizeof buffer);
    show("the multiplexer reads", buffer, n);

    /* Raw mode: nothing translated, nothing echoed. */
    struct termios raw;
    result("tcgetattr", tcgetattr(slave, &raw));
    cfmakeraw(&raw);
    result("tcsetattr raw", tcsetattr(slave, TCSANOW, &raw));
    struct pollfd watch = {.fd = slave, .events = POLLIN};
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN}, ready;
    result("epoll_ctl the terminal end", epoll_ctl(epoll, EPOLL_CTL_ADD, slave, &event));
    printf("poll before input: %d; epoll_wait: %d\n", poll(&watch, 1, 0), epoll_wait(epoll, &ready, 1, 0));
    result("write on the multiplexer", (int)write(master, "ab\r", 3));
    watch.revents = 0;
    n = poll(&watch, 1, 5000);
    printf("poll after input: %d; readable: %s\n", n, yesno(watch.revents & POLLIN));
    n = epoll_wait(epoll, &ready, 1, 5000);
    printf("epoll_wait after input: %d; readable: %s\n", n, yesno(n == 1 && (ready.events & EPOLLIN)));
    close(epoll);
    n = read_exactly(slave, buffer, 3);
    show("the terminal end reads raw", buffer, n);
    result("write on the terminal end", (int)write(slave, "x\n", 2));
    n = read_exactly(master, buffer, 2);
    show("the multiplexer reads raw", buffer, n);

    /* Packet mode. */
    int packet = -1;
    result("TIOCGPKT", ioctl(master, TIOCGPKT, &packet));
    printf("packet mode at first: %s\n", yesno(packet != 0));
    int on = 1;
    result("TIOCPKT on", ioctl(master, TIOCPKT, &on));
    result("TIOCGPKT", ioctl(master, TIOCGPKT, &packet));
    printf("packet mode: %s\n", yesno(packet != 0));
    result("write on the terminal end", (int)write(slave, "p", 1));
    n = read_exactly(master, buffer, 2);
    show("the multiplexer reads a packet", buffer, n);
    int off = 0;
    result("TIOCPKT off", ioctl(master, TIOCPKT, &off));

    /* The terminal end once more, through the multiplexer. */
    int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    result("TIOCGPTPEER", peer);
    printf("peer: isatty %s; ttyname is the name: %s; the same terminal: %s; close-on-exec: %s\n", yesno(isatty(peer)),
           yesno(ttyname(peer) && strcmp(ttyname(peer), name) == 0), yesno(same_file(peer, name)),
           yesno(fcntl(peer, F_GETFD) & FD_CLOEXEC));
    result("write on the peer", (int)write(peer, "q", 1));
    n = read_exactly(master, buffer, 1);
    show("the multiplexer reads", buffer, n);
    int cloexec = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    printf("TIOCGPTPEER O_CLOEXEC: close-on-exec %s\n", yesno(cloexec >= 0 && (fcntl(cloexec, F_GETFD) & FD_CLOEXEC)));
    close(cloexec);

    /* Errors. */
    errno = 0;
    result("open /dev/pts/999999", open("/dev/pts/999999", O_RDWR | O_NOCTTY));
    int ends[2];
    check(pipe(ends) == 0, "pipe");
    result("TIOCGPTN on a pipe", ioctl(ends[0], TIOCGPTN, &number));
    result("TIOCGPTPEER on a pipe", ioctl(ends[0], TIOCGPTPEER, O_RDWR));
    result("TIOCGPTPEER on the terminal end", ioctl(slave, TIOCGPTPEER, O_RDWR));
    close(ends[0]);
    close(ends[1]);

    /* openpty, and a child whose controlling terminal is its terminal end. */
    int second = -1, second_slave = -1;
    char second_name[64] = "";
    result("openpty", openpty(&second, &second_slave, second_name, NULL, NULL));
    printf("openpty's name starts with /dev/pts/: %s; its terminal end is a terminal: %s; ttyname is the name: %s\n",
           yesno(strncmp(second_name, "/dev/pts/", 9) == 0), yesno(isatty(second_slave)),
           yesno(ttyname(second_slave) && strcmp(ttyname(second_slave), second_name) == 0));
    int done[2];
    check(pipe(done) == 0, "pipe");
    pid_t child = xfork();
    if (child == 0) {
        close(done[1]);
        char line[256];
        int length;
        int leader = setsid() == getpid();
        int own = open(second_name, O_RDWR | O_NOCTTY);
        int taken = own >= 0 ? ioctl(own, TIOCSCTTY, 0) : -1;
        int tty = open("/dev/tty", O_WRONLY);
        length = snprintf(line, sizeof line, "child: session %s, opened by name %s, TIOCSCTTY %s, foreground %s, /dev/tty %s\n",
                          yesno(leader), yesno(own >= 0), yesno(taken == 0), yesno(tcgetpgrp(own) == getpid()),
                          yesno(tty >= 0));
        write(1, line, length);
        write(tty, "from the child\n", 15);
        /* Stay until the parent read the line: the session's end hangs the terminal up. */
        read(done[0], line, 1);
        _exit(0);
    }
    close(done[0]);
    n = read_line(second, buffer, sizeof buffer);
    show("the parent reads on the multiplexer", buffer, n);
    close(done[1]);
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exited: %s, status %d\n", yesno(WIFEXITED(status)), WEXITSTATUS(status));
    close(second_slave);
    close(second);

    /* Every descriptor of the terminal end closed: the multiplexer reads EIO. */
    close(slave);
    close(peer);
    errno = 0;
    result("read the multiplexer after the terminal end closed", (int)read(master, buffer, sizeof buffer));
    close(master);
    return 0;
}
