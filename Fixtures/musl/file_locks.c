// Checks file locks between processes as Linux keeps them: a forked child meets the parent's
// fcntl record lock (F_SETLK fails with EAGAIN or EACCES, F_GETLK names the range, the type and
// the parent's pid), locks another range, waits in F_SETLKW until the parent unlocks, and sees
// POSIX locks released when the owner closes any descriptor of the file; open file description
// locks (F_OFD_SETLK) conflict even within one process while POSIX locks of one process never
// do; flock between two descriptions (LOCK_NB refused, a blocking LOCK_SH waits for LOCK_UN);
// malformed requests fail as on Linux. Processes are ordered through pipes; every wait is
// bounded by the parent's progress.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static int lockRange(int fd, int command, short type, off_t start, off_t length) {
    struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = length};
    return fcntl(fd, command, &lock);
}

static void sleepMilliseconds(long ms) {
    struct timespec t = {0, ms * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

static void await(int fd) {
    char byte;
    while (read(fd, &byte, 1) < 0 && errno == EINTR) {}
}

static void signalOther(int fd) { (void)!write(fd, "x", 1); }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int fd = open("locked.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    (void)!write(fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
    printf("parent: write lock on [0, 10): %d\n", lockRange(fd, F_SETLK, F_WRLCK, 0, 10));
    int second = open("locked.dat", O_RDWR);
    printf("parent: the same range through another descriptor (same process): %d\n",
           lockRange(second, F_SETLK, F_WRLCK, 0, 10));

    int toChild[2], toParent[2];
    pipe(toChild);
    pipe(toParent);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        int mine = open("locked.dat", O_RDWR);
        errno = 0;
        int result = lockRange(mine, F_SETLK, F_WRLCK, 5, 2);
        int error = errno;
        printf("child: write lock on [5, 7): %d %s\n", result, result < 0 && (error == EAGAIN || error == EACCES) ? "conflict" : errname(error));
        struct flock query = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        fcntl(mine, F_GETLK, &query);
        printf("child: F_GETLK sees %s on [%lld, %lld) held by the parent: %s\n",
               query.l_type == F_WRLCK ? "F_WRLCK" : "another type", (long long)query.l_start,
               (long long)(query.l_start + query.l_len), query.l_pid == parent ? "yes" : "no");
        printf("child: write lock on [20, 30): %d\n", lockRange(mine, F_SETLK, F_WRLCK, 20, 10));
        signalOther(toParent[1]);
        // Waits until the parent unlocks.
        printf("child: F_SETLKW on [0, 10): %d\n", lockRange(mine, F_SETLKW, F_WRLCK, 0, 10));
        printf("child: acquired after the parent unlocked\n");
        lockRange(mine, F_SETLK, F_UNLCK, 0, 0);
        signalOther(toParent[1]);
        await(toChild[0]);
        // The parent locked again and closed another descriptor of the file: its locks are gone.
        printf("child: lock after the parent closed a descriptor: %d\n", lockRange(mine, F_SETLK, F_WRLCK, 0, 10));
        lockRange(mine, F_SETLK, F_UNLCK, 0, 0);

        // flock on its own open file description.
        errno = 0;
        int result2 = flock(mine, LOCK_EX | LOCK_NB);
        printf("child: flock LOCK_EX|LOCK_NB while the parent holds LOCK_EX: %d %s\n", result2, errname(errno));
        signalOther(toParent[1]);
        printf("child: flock LOCK_SH (waits for LOCK_UN): %d\n", flock(mine, LOCK_SH));
        flock(mine, LOCK_UN);
        close(mine);
        _exit(0);
    }
    await(toParent[0]);
    // The child holds [20, 30).
    errno = 0;
    int result = lockRange(fd, F_SETLK, F_RDLCK, 25, 1);
    int error = errno;
    printf("parent: read lock on [25, 26): %d %s\n", result, result < 0 && (error == EAGAIN || error == EACCES) ? "conflict" : errname(error));
    sleepMilliseconds(50);
    printf("parent: unlocking [0, 10)\n");
    lockRange(fd, F_SETLK, F_UNLCK, 0, 10);
    await(toParent[0]);

    lockRange(fd, F_SETLK, F_WRLCK, 0, 10);
    close(second);  // closing any descriptor of the file drops this process's POSIX locks
    flock(fd, LOCK_EX);
    signalOther(toChild[1]);
    await(toParent[0]);
    sleepMilliseconds(50);
    printf("parent: flock LOCK_UN\n");
    flock(fd, LOCK_UN);
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    // Open file description locks conflict between two descriptions of one process.
    int a = open("locked.dat", O_RDWR), b = open("locked.dat", O_RDWR);
    printf("OFD write lock through one description: %d\n", lockRange(a, F_OFD_SETLK, F_WRLCK, 0, 10));
    errno = 0;
    result = lockRange(b, F_OFD_SETLK, F_WRLCK, 0, 10);
    printf("OFD write lock through another: %d %s\n", result, errname(errno));
    struct flock query = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    fcntl(b, F_OFD_GETLK, &query);
    printf("F_OFD_GETLK: %s, l_pid %d\n", query.l_type == F_WRLCK ? "F_WRLCK" : "another type", query.l_pid);
    struct flock withPid = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
    errno = 0;
    result = fcntl(b, F_OFD_SETLK, &withPid);
    printf("F_OFD_SETLK with l_pid set: %d %s\n", result, errname(errno));
    close(a);
    close(b);

    int readOnly = open("locked.dat", O_RDONLY);
    errno = 0;
    result = lockRange(readOnly, F_SETLK, F_WRLCK, 0, 1);
    printf("write lock on a read-only descriptor: %d %s\n", result, errname(errno));
    errno = 0;
    result = lockRange(fd, F_SETLK, 7, 0, 1);
    printf("lock type 7: %d %s\n", result, errname(errno));
    errno = 0;
    result = flock(fd, 64);
    printf("flock with operation 64: %d %s\n", result, errname(errno));
    close(readOnly);
    close(fd);
    unlink("locked.dat");
    return 0;
}
