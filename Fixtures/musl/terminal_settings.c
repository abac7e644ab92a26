// Checks terminal settings on a real terminal, as editors, pagers and line editors change
// them: stdin is a fresh pseudo-terminal (conformance-stdin-terminal). tcgetattr reads the line
// discipline's defaults; cfmakeraw + tcsetattr(TCSANOW) switches to raw mode and tcgetattr
// reads back what was set; VMIN and VTIME go through TCSADRAIN, the speeds (cfsetispeed,
// cfsetospeed) through TCSAFLUSH; the window size TIOCSWINSZ sets is what TIOCGWINSZ reads;
// tcflush, tcflow, tcdrain and tcsendbreak succeed; the first settings come back. Errors:
// tcsetattr and TIOCSWINSZ on a pipe and on a regular file are ENOTTY, an unknown optional
// action EINVAL, and TCSETS or TIOCSWINSZ from memory the program does not own EFAULT on the
// terminal but ENOTTY on a pipe.
// conformance-libcs: musl glibc
// conformance-stdin-terminal: yes
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOTTY: return "ENOTTY";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    default: return strerror(e);
    }
}

static void show(const char *when, const struct termios *t) {
    printf("%s: iflag %#o oflag %#o cflag %#o lflag %#o; ICANON %d ECHO %d ISIG %d OPOST %d ICRNL %d CS8 %d; "
           "VMIN %d VTIME %d VINTR %d VEOF %d; speed in %u out %u\n",
           when, (unsigned)t->c_iflag, (unsigned)t->c_oflag, (unsigned)t->c_cflag, (unsigned)t->c_lflag,
           !!(t->c_lflag & ICANON), !!(t->c_lflag & ECHO), !!(t->c_lflag & ISIG), !!(t->c_oflag & OPOST),
           !!(t->c_iflag & ICRNL), (t->c_cflag & CSIZE) == CS8, t->c_cc[VMIN], t->c_cc[VTIME], t->c_cc[VINTR],
           t->c_cc[VEOF], (unsigned)cfgetispeed(t), (unsigned)cfgetospeed(t));
}

static void result(const char *what, int r) {
    printf("%s: %d %s\n", what, r, errname(r < 0 ? errno : 0));
    errno = 0;
}

int main(void) {
    /* Linux's termios has 19 control characters, the libcs' NCCS more: compare those it has. */
    struct termios first, now;
    if (tcgetattr(0, &first) != 0) {
        printf("stdin is no terminal: %s\n", errname(errno));
        return 1;
    }
    show("defaults", &first);

    struct termios raw = first;
    cfmakeraw(&raw);
    result("tcsetattr TCSANOW raw", tcsetattr(0, TCSANOW, &raw));
    tcgetattr(0, &now);
    show("raw", &now);

    now.c_cc[VMIN] = 3;
    now.c_cc[VTIME] = 7;
    result("tcsetattr TCSADRAIN VMIN/VTIME", tcsetattr(0, TCSADRAIN, &now));
    tcgetattr(0, &now);
    show("timed", &now);

    cfsetispeed(&now, B9600);
    cfsetospeed(&now, B9600);
    result("tcsetattr TCSAFLUSH 9600", tcsetattr(0, TCSAFLUSH, &now));
    tcgetattr(0, &now);
    show("9600", &now);

    struct winsize size = {0}, set = {.ws_row = 33, .ws_col = 101, .ws_xpixel = 808, .ws_ypixel = 528};
    result("TIOCGWINSZ fresh", ioctl(0, TIOCGWINSZ, &size));
    printf("fresh size: %u rows %u cols\n", size.ws_row, size.ws_col);
    result("TIOCSWINSZ", ioctl(0, TIOCSWINSZ, &set));
    memset(&size, 0, sizeof size);
    result("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &size));
    printf("size: %u rows %u cols %u x %u pixels\n", size.ws_row, size.ws_col, size.ws_xpixel, size.ws_ypixel);

    result("tcflush TCIOFLUSH", tcflush(0, TCIOFLUSH));
    result("tcflow TCOOFF", tcflow(0, TCOOFF));
    result("tcflow TCOON", tcflow(0, TCOON));
    result("tcdrain", tcdrain(0));
    result("tcsendbreak", tcsendbreak(0, 0));

    result("tcsetattr TCSANOW first", tcsetattr(0, TCSANOW, &first));
    tcgetattr(0, &now);
    show("restored", &now);
    printf("restored equals first: %s\n",
           now.c_iflag == first.c_iflag && now.c_oflag == first.c_oflag && now.c_cflag == first.c_cflag &&
                   now.c_lflag == first.c_lflag && memcmp(now.c_cc, first.c_cc, VEOL2 + 1) == 0
               ? "yes"
               : "no");

    /* Errors. */
    result("tcsetattr unknown action", tcsetattr(0, 12345, &first));
    result("TCSETS from address 8", ioctl(0, TCSETS, (void *)8));
    result("TIOCSWINSZ from address 8", ioctl(0, TIOCSWINSZ, (void *)8));
    int pipes[2];
    if (pipe(pipes) != 0) return 1;
    result("tcsetattr on a pipe", tcsetattr(pipes[0], TCSANOW, &first));
    result("TIOCSWINSZ on a pipe", ioctl(pipes[1], TIOCSWINSZ, &set));
    result("TCSETS from address 8 on a pipe", ioctl(pipes[0], TCSETS, (void *)8));
    result("tcflush on a pipe", tcflush(pipes[0], TCIFLUSH));
    result("tcdrain on a pipe", tcdrain(pipes[1]));
    int file = open("settings.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file < 0) return 1;
    result("tcsetattr on a regular file", tcsetattr(file, TCSANOW, &first));
    result("tcflow on a regular file", tcflow(file, TCOON));
    close(file);
    unlink("settings.tmp");
    return 0;
}
