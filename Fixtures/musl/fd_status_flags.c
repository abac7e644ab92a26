// Checks what belongs to the open file description rather than the descriptor, and the
// flag checks of dup3 and record locks, each call by number: dup3 with O_CLOEXEC sets
// FD_CLOEXEC on the new descriptor only, dup3 rejects the same descriptor and unknown flags;
// F_GETFL reports no creation flags (O_CREAT, O_TRUNC); F_SETFL O_APPEND is seen through a
// dup and makes later writes append; fcntl record locks
// (F_SETLK, F_SETLKW, F_GETLK sees no conflict from its own process, F_UNLCK) need a
// descriptor open for the lock's kind (EBADF otherwise) and a valid type (EINVAL).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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
    // 0x8000 is the kernel's O_LARGEFILE, which Linux always reports on x86-64 (libcs define it as 0).
    long other = flags & ~(long)(O_ACCMODE | O_APPEND | O_NONBLOCK | 0x8000);
    printf("%s F_GETFL: %s%s%s, other bits 0x%lx\n", label, accmode(flags), flags & O_APPEND ? "|O_APPEND" : "",
           flags & O_NONBLOCK ? "|O_NONBLOCK" : "", other);
}

int main(void) {
    int fd = syscall(SYS_openat, AT_FDCWD, "file.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("openat: %d\n", fd);
    syscall(SYS_write, fd, "hello world\n", 12);
    syscall(SYS_lseek, fd, 6L, SEEK_SET);
    SHOW("dup", syscall(SYS_dup, fd));
    SHOW("dup2 3->10", syscall(SYS_dup2, fd, 10));
    SHOW("dup3 3->11 O_CLOEXEC", syscall(SYS_dup3, fd, 11, O_CLOEXEC));
    printf("  FD_CLOEXEC on 11: %ld, on 10: %ld\n", fdflags(11), fdflags(10));
    SHOW("dup3 same fd", syscall(SYS_dup3, fd, fd, 0));
    SHOW("dup3 bad flags", syscall(SYS_dup3, fd, 12, 12345));
    char word[6] = {0};
    SHOW("read via 11", syscall(SYS_read, 11, word, 5));
    printf("  got [%s]\n", word);

    show_fl("file", fd);
    SHOW("F_SETFL O_APPEND", syscall(SYS_fcntl, fd, F_SETFL, O_APPEND));
    show_fl("file", fd);
    show_fl("dup of file", 4);
    show_fl("dup3 of file", 11);
    SHOW("lseek SET 0", syscall(SYS_lseek, fd, 0L, SEEK_SET));
    SHOW("write appends", syscall(SYS_write, fd, "more\n", 5));
    printf("  offset now %ld\n", (long)syscall(SYS_lseek, fd, 0L, SEEK_CUR));
    SHOW("F_SETFL 0", syscall(SYS_fcntl, fd, F_SETFL, 0));
    show_fl("file", fd);
    int ro = syscall(SYS_openat, AT_FDCWD, "file.txt", O_RDONLY);
    show_fl("read-only", ro);
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 4};
    SHOW("F_SETLK write lock", syscall(SYS_fcntl, fd, F_SETLK, &lock));
    struct flock query = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    SHOW("F_GETLK", syscall(SYS_fcntl, fd, F_GETLK, &query));
    printf("  l_type is F_UNLCK: %d\n", query.l_type == F_UNLCK);
    lock.l_type = F_RDLCK;
    SHOW("F_SETLKW read lock", syscall(SYS_fcntl, fd, F_SETLKW, &lock));
    lock.l_type = F_UNLCK;
    SHOW("F_SETLK unlock", syscall(SYS_fcntl, fd, F_SETLK, &lock));
    lock.l_type = F_WRLCK;
    SHOW("F_SETLK write lock on read-only fd", syscall(SYS_fcntl, ro, F_SETLK, &lock));
    lock.l_type = 99;
    SHOW("F_SETLK bad type", syscall(SYS_fcntl, fd, F_SETLK, &lock));

    syscall(SYS_lseek, fd, 0L, SEEK_SET);
    char all[64] = {0};
    SHOW("read back", syscall(SYS_read, fd, all, sizeof all - 1));
    printf("%s", all);
    return 0;
}
