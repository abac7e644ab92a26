// Checks descriptor management, each call by number: dup (lowest free number), dup2 (onto an
// open and onto the same descriptor), dup3 without flags (EINVAL onto itself; O_CLOEXEC and
// flag checks: fd_status_flags), shared offsets between duplicates, fcntl
// F_DUPFD/F_DUPFD_CLOEXEC/F_GETFD/F_SETFD, F_GETFL of files and pipes and F_SETFL O_NONBLOCK on a
// pipe, ioctl TCGETS/TIOCGWINSZ on a file and a pipe (ENOTTY), flock (LOCK_SH/LOCK_EX/
// LOCK_NB/LOCK_UN), close_range with and without CLOSE_RANGE_CLOEXEC, and EBADF for closed
// descriptors.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *name(int e) {
    switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case ENOTTY: return "ENOTTY";
    case EWOULDBLOCK == EAGAIN ? -1 : EWOULDBLOCK: return "EWOULDBLOCK";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static long fdflags(int fd) { return syscall(SYS_fcntl, fd, F_GETFD); }
static const char *accmode(long flags) {
    switch (flags & O_ACCMODE) {
    case O_RDONLY: return "O_RDONLY";
    case O_WRONLY: return "O_WRONLY";
    case O_RDWR: return "O_RDWR";
    default: return "?";
    }
}
static void show_fl(const char *label, int fd) {
    long flags = syscall(SYS_fcntl, fd, F_GETFL);
    if (flags < 0) { printf("%s F_GETFL: -1 %s\n", label, name(errno)); return; }
    printf("%s F_GETFL: %s%s%s\n", label, accmode(flags), flags & O_APPEND ? "|O_APPEND" : "",
           flags & O_NONBLOCK ? "|O_NONBLOCK" : "");
}

int main(void) {
    int fd = syscall(SYS_openat, AT_FDCWD, "file.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("openat: %d\n", fd);
    syscall(SYS_write, fd, "hello world\n", 12);

    SHOW("dup", syscall(SYS_dup, fd));
    SHOW("lseek via dup 4", syscall(SYS_lseek, 4, 6L, SEEK_SET));
    printf("  offset seen through 3: %ld\n", (long)syscall(SYS_lseek, fd, 0L, SEEK_CUR));
    SHOW("dup2 3->10", syscall(SYS_dup2, fd, 10));
    SHOW("dup2 3->3", syscall(SYS_dup2, fd, 3));
    SHOW("dup2 onto open 4", syscall(SYS_dup2, 10, 4));
    SHOW("dup2 from closed", syscall(SYS_dup2, 55, 56));
    SHOW("dup3 3->12 no flags", syscall(SYS_dup3, fd, 12, 0));
    printf("  FD_CLOEXEC on 12: %ld\n", fdflags(12));
    SHOW("dup3 onto open 12", syscall(SYS_dup3, 10, 12, 0));
    SHOW("dup3 same fd", syscall(SYS_dup3, fd, fd, 0));
    SHOW("dup3 from closed", syscall(SYS_dup3, 55, 56, 0));
    SHOW("F_DUPFD >= 20", syscall(SYS_fcntl, fd, F_DUPFD, 20));
    SHOW("F_DUPFD >= 20 again", syscall(SYS_fcntl, fd, F_DUPFD, 20));
    SHOW("F_DUPFD_CLOEXEC >= 30", syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 30));
    printf("  FD_CLOEXEC on 30: %ld, on 20: %ld\n", fdflags(30), fdflags(20));
    SHOW("F_SETFD 20 FD_CLOEXEC", syscall(SYS_fcntl, 20, F_SETFD, FD_CLOEXEC));
    printf("  FD_CLOEXEC on 20: %ld\n", fdflags(20));
    SHOW("F_SETFD 20 0", syscall(SYS_fcntl, 20, F_SETFD, 0));
    printf("  FD_CLOEXEC on 20: %ld\n", fdflags(20));
    SHOW("F_GETFD closed", syscall(SYS_fcntl, 99, F_GETFD));

    int fds[2];
    SHOW("pipe2", syscall(SYS_pipe2, fds, 0));
    show_fl("pipe read end", fds[0]);
    show_fl("pipe write end", fds[1]);
    SHOW("F_SETFL O_NONBLOCK", syscall(SYS_fcntl, fds[0], F_SETFL, O_NONBLOCK));
    show_fl("pipe read end", fds[0]);
    char c;
    SHOW("read empty nonblocking pipe", syscall(SYS_read, fds[0], &c, 1));

    struct termios tio;
    struct winsize ws;
    SHOW("ioctl TCGETS on a file", syscall(SYS_ioctl, fd, TCGETS, &tio));
    SHOW("ioctl TIOCGWINSZ on a pipe", syscall(SYS_ioctl, fds[1], TIOCGWINSZ, &ws));
    SHOW("ioctl TCGETS closed", syscall(SYS_ioctl, 99, TCGETS, &tio));
    SHOW("flock LOCK_SH", syscall(SYS_flock, fd, LOCK_SH));
    SHOW("flock LOCK_EX|LOCK_NB", syscall(SYS_flock, fd, LOCK_EX | LOCK_NB));
    SHOW("flock LOCK_UN", syscall(SYS_flock, fd, LOCK_UN));
    SHOW("flock closed fd", syscall(SYS_flock, 99, LOCK_SH));
    SHOW("flock bad operation", syscall(SYS_flock, fd, 0));

    SHOW("close_range 20..29 CLOEXEC", syscall(SYS_close_range, 20, 29, CLOSE_RANGE_CLOEXEC));
    printf("  FD_CLOEXEC on 20: %ld, 21: %ld\n", fdflags(20), fdflags(21));
    SHOW("close_range 10..~0", syscall(SYS_close_range, 10, ~0U, 0));
    printf("  F_GETFD 10: %ld, 11: %ld, 20: %ld, 30: %ld\n", fdflags(10), fdflags(11), fdflags(20), fdflags(30));
    SHOW("close_range bad order", syscall(SYS_close_range, 9, 8, 0));
    SHOW("close_range bad flags", syscall(SYS_close_range, 50, 60, 1U << 30));
    SHOW("dup now", syscall(SYS_dup, fd));
    SHOW("F_GETFD 4", fdflags(4));

    syscall(SYS_lseek, fd, 0L, SEEK_SET);
    char all[64] = {0};
    SHOW("read back", syscall(SYS_read, fd, all, sizeof all - 1));
    printf("%s", all);
    return 0;
}
