// Checks write-back and advice syscalls and statx, each called by number: sync, syncfs on a
// file, readahead and fadvise64 (POSIX_FADV_SEQUENTIAL/WILLNEED/DONTNEED succeed; error cases:
// advice_error_cases), and statx with
// STATX_BASIC_STATS by path, by descriptor (AT_EMPTY_PATH) and of a symlink
// (AT_SYMLINK_NOFOLLOW): file type, permission bits, size, link count, and the basic mask set.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ESPIPE: return "ESPIPE";
    case ENOENT: return "ENOENT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

/* struct statx as the kernel lays it out (older libc headers lack it). */
struct kstatx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad1;
    uint64_t ino, size, blocks, attributes_mask;
    struct { int64_t sec; uint32_t nsec; int32_t pad; } atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};

#define BASIC_STATS 0x7ffU

static void show_statx(const char *label, int dirfd, const char *path, int flags) {
    struct kstatx sx;
    memset(&sx, 0, sizeof sx);
    errno = 0;
    long r = syscall(SYS_statx, dirfd, path, flags, BASIC_STATS, &sx);
    if (r < 0) { printf("%s: -1 %s\n", label, name(errno)); return; }
    const char *kind = S_ISREG(sx.mode) ? "file" : S_ISDIR(sx.mode) ? "dir" : S_ISLNK(sx.mode) ? "symlink" : "other";
    printf("%s: %s %04o size %lld links %u, basic mask set %d, blksize > 0 %d\n", label, kind, sx.mode & 07777,
           S_ISDIR(sx.mode) ? -1LL : (long long)sx.size, sx.nlink, (sx.mask & BASIC_STATS) == BASIC_STATS,
           sx.blksize > 0);
}

int main(void) {
    int fd = syscall(SYS_openat, AT_FDCWD, "data.txt", O_RDWR | O_CREAT | O_TRUNC, 0640);
    char block[5000];
    memset(block, 'd', sizeof block);
    syscall(SYS_write, fd, block, sizeof block);
    SHOW("sync", syscall(SYS_sync));
    SHOW("syncfs", syscall(SYS_syncfs, fd));
    SHOW("readahead", syscall(SYS_readahead, fd, 0L, 4096L));
    SHOW("fadvise64 SEQUENTIAL", syscall(SYS_fadvise64, fd, 0L, 0L, POSIX_FADV_SEQUENTIAL));
    SHOW("fadvise64 WILLNEED", syscall(SYS_fadvise64, fd, 0L, 4096L, POSIX_FADV_WILLNEED));
    SHOW("fadvise64 DONTNEED", syscall(SYS_fadvise64, fd, 0L, 0L, POSIX_FADV_DONTNEED));
    char c;
    SHOW("file still reads", syscall(SYS_pread64, fd, &c, 1, 4999L));

    syscall(SYS_mkdir, "dir", 0750);
    syscall(SYS_symlink, "data.txt", "link");
    show_statx("statx data.txt", AT_FDCWD, "data.txt", 0);
    show_statx("statx dir", AT_FDCWD, "dir", 0);
    show_statx("statx fd AT_EMPTY_PATH", fd, "", AT_EMPTY_PATH);
    show_statx("statx link", AT_FDCWD, "link", 0);
    show_statx("statx link NOFOLLOW", AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW);
    show_statx("statx missing", AT_FDCWD, "missing", 0);
    return 0;
}
