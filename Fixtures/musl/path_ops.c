// Checks path syscalls in the working directory, each called by number: open, openat (with a
// directory descriptor), creat, stat/lstat/fstat/newfstatat (file type, permission bits, size,
// link count; AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH), access/faccessat, getdents64 (sorted
// names), mkdir/mkdirat, rmdir (ENOTEMPTY), unlink/unlinkat (AT_REMOVEDIR), rename/renameat/
// renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE), link/linkat, symlink/symlinkat and
// readlink/readlinkat, and the errno of each failing case. The tree left behind is compared.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static const char *name(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case ELOOP: return "ELOOP";
    case EPERM: return "EPERM";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static const char *kind(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    default: return "other";
    }
}

static void show_stat(const char *label, long result, const struct stat *st) {
    if (result < 0) { printf("%s: -1 %s\n", label, name(errno)); return; }
    printf("%s: %s %04o size %lld links %lu\n", label, kind(st->st_mode), (unsigned)(st->st_mode & 07777),
           S_ISDIR(st->st_mode) ? -1LL : (long long)st->st_size, (unsigned long)st->st_nlink);
}

static int compare(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
    int dir = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
    char buffer[4096];
    char *names[64];
    int count = 0;
    long n;
    while ((n = syscall(SYS_getdents64, dir, buffer, sizeof buffer)) > 0) {
        for (long offset = 0; offset < n;) {
            struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *entry =
                (void *)(buffer + offset);
            if (count < 64) names[count++] = strdup(entry->name);
            offset += entry->reclen;
        }
    }
    qsort(names, count, sizeof names[0], compare);
    printf("getdents64 %s (%ld at the end):", path, n);
    for (int i = 0; i < count; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
    syscall(SYS_close, dir);
}

int main(void) {
    struct stat st;
    syscall(SYS_umask, 022);
    SHOW("mkdir d", syscall(SYS_mkdir, "d", 0755));
    SHOW("mkdir d again", syscall(SYS_mkdir, "d", 0755));
    SHOW("mkdir in missing parent", syscall(SYS_mkdir, "nope/d", 0755));
    int dfd = syscall(SYS_open, "d", O_RDONLY | O_DIRECTORY);
    printf("open d: %d\n", dfd);
    SHOW("mkdirat d/sub", syscall(SYS_mkdirat, dfd, "sub", 0700));
    int fd = syscall(SYS_open, "d/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0640);
    printf("open d/a.txt O_CREAT|O_EXCL: %d\n", fd);
    SHOW("write", syscall(SYS_write, fd, "alpha\n", 6));
    SHOW("open again O_EXCL", syscall(SYS_open, "d/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0640));
    SHOW("open missing", syscall(SYS_open, "d/missing", O_RDONLY));
    SHOW("open dir for writing", syscall(SYS_open, "d", O_WRONLY));
    SHOW("open file as directory", syscall(SYS_open, "d/a.txt", O_RDONLY | O_DIRECTORY));
    SHOW("openat file below a file", syscall(SYS_openat, AT_FDCWD, "d/a.txt/x", O_RDONLY));
    int fb = syscall(SYS_openat, dfd, "b.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    printf("openat dfd b.txt: %d\n", fb);
    SHOW("write", syscall(SYS_write, fb, "bravo!\n", 7));
    int fc = syscall(SYS_creat, "d/c.txt", 0666);
    printf("creat d/c.txt: %d\n", fc);
    SHOW("creat write", syscall(SYS_write, fc, "charlie", 7));
    SHOW("creat read", syscall(SYS_read, fc, &st, 1));
    SHOW("creat again truncates", syscall(SYS_close, syscall(SYS_creat, "d/c.txt", 0600)));

    show_stat("stat d/a.txt", syscall(SYS_stat, "d/a.txt", &st), &st);
    show_stat("stat d/c.txt", syscall(SYS_stat, "d/c.txt", &st), &st);
    show_stat("stat d", syscall(SYS_stat, "d", &st), &st);
    show_stat("stat d/sub", syscall(SYS_stat, "d/sub", &st), &st);
    show_stat("fstat b.txt", syscall(SYS_fstat, fb, &st), &st);
    show_stat("newfstatat dfd b.txt", syscall(SYS_newfstatat, dfd, "b.txt", &st, 0), &st);
    show_stat("newfstatat AT_EMPTY_PATH", syscall(SYS_newfstatat, fb, "", &st, AT_EMPTY_PATH), &st);
    show_stat("newfstatat empty path without flag", syscall(SYS_newfstatat, fb, "", &st, 0), &st);
    show_stat("stat missing", syscall(SYS_stat, "d/zzz", &st), &st);
    show_stat("fstat closed", syscall(SYS_fstat, 99, &st), &st);

    SHOW("symlink", syscall(SYS_symlink, "a.txt", "d/link-a"));
    SHOW("symlink exists", syscall(SYS_symlink, "x", "d/link-a"));
    SHOW("symlinkat dangling", syscall(SYS_symlinkat, "../nowhere", dfd, "dangling"));
    // Only the text of an absolute link is compared: natively it names the host's root, in the
    // guest the --dir root (by design), so following it differs.
    SHOW("symlinkat absolute text", syscall(SYS_symlinkat, "/d/b.txt", AT_FDCWD, "abs-link"));
    show_stat("lstat link", syscall(SYS_lstat, "d/link-a", &st), &st);
    show_stat("stat link", syscall(SYS_stat, "d/link-a", &st), &st);
    show_stat("stat dangling", syscall(SYS_stat, "d/dangling", &st), &st);
    show_stat("newfstatat NOFOLLOW", syscall(SYS_newfstatat, dfd, "dangling", &st, AT_SYMLINK_NOFOLLOW), &st);
    char target[64];
    memset(target, 0, sizeof target);
    SHOW("readlink", syscall(SYS_readlink, "d/link-a", target, sizeof target));
    printf("  -> %s\n", target);
    memset(target, 0, sizeof target);
    SHOW("readlinkat", syscall(SYS_readlinkat, dfd, "dangling", target, sizeof target));
    printf("  -> %s\n", target);
    memset(target, 0, sizeof target);
    SHOW("readlink short buffer", syscall(SYS_readlink, "abs-link", target, 4));
    printf("  -> %s\n", target);
    SHOW("readlinkat missing", syscall(SYS_readlinkat, AT_FDCWD, "nothing", target, sizeof target));

    SHOW("link", syscall(SYS_link, "d/a.txt", "d/a-hard"));
    SHOW("link exists", syscall(SYS_link, "d/a.txt", "d/a-hard"));
    SHOW("linkat", syscall(SYS_linkat, dfd, "b.txt", AT_FDCWD, "b-hard", 0));
    SHOW("link a directory", syscall(SYS_link, "d/sub", "sub-hard"));
    show_stat("stat a.txt after link", syscall(SYS_stat, "d/a.txt", &st), &st);
    show_stat("lstat b-hard", syscall(SYS_lstat, "b-hard", &st), &st);

    SHOW("access F_OK", syscall(SYS_access, "d/a.txt", F_OK));
    SHOW("access R_OK|W_OK", syscall(SYS_access, "d/a.txt", R_OK | W_OK));
    SHOW("access missing", syscall(SYS_access, "d/none", F_OK));
    SHOW("faccessat dfd", syscall(SYS_faccessat, dfd, "b.txt", R_OK));
    SHOW("faccessat dangling", syscall(SYS_faccessat, dfd, "dangling", F_OK));

    list("d");
    SHOW("rename", syscall(SYS_rename, "d/c.txt", "d/c2.txt"));
    SHOW("rename missing", syscall(SYS_rename, "d/c.txt", "d/c3.txt"));
    SHOW("rename file over dir", syscall(SYS_rename, "d/c2.txt", "d/sub"));
    SHOW("rename dir into itself", syscall(SYS_rename, "d", "d/sub/d"));
    SHOW("renameat", syscall(SYS_renameat, dfd, "c2.txt", AT_FDCWD, "c-top.txt"));
    SHOW("renameat2 NOREPLACE existing", syscall(SYS_renameat2, AT_FDCWD, "c-top.txt", dfd, "a.txt", RENAME_NOREPLACE));
    SHOW("renameat2 NOREPLACE new", syscall(SYS_renameat2, AT_FDCWD, "c-top.txt", dfd, "c.txt", RENAME_NOREPLACE));
    SHOW("renameat2 EXCHANGE", syscall(SYS_renameat2, dfd, "a.txt", dfd, "b.txt", RENAME_EXCHANGE));
    SHOW("renameat2 EXCHANGE missing", syscall(SYS_renameat2, dfd, "a.txt", dfd, "zz", RENAME_EXCHANGE));
    SHOW("renameat2 bad flags", syscall(SYS_renameat2, dfd, "a.txt", dfd, "b.txt", RENAME_EXCHANGE | RENAME_NOREPLACE));
    show_stat("stat a.txt after exchange", syscall(SYS_stat, "d/a.txt", &st), &st);
    list("d");

    SHOW("rmdir non-empty", syscall(SYS_rmdir, "d"));
    SHOW("rmdir a file", syscall(SYS_rmdir, "d/a.txt"));
    SHOW("unlink a dir", syscall(SYS_unlink, "d/sub"));
    SHOW("unlink missing", syscall(SYS_unlink, "d/none"));
    SHOW("unlink", syscall(SYS_unlink, "d/a-hard"));
    SHOW("unlink symlink only", syscall(SYS_unlink, "d/link-a"));
    SHOW("unlinkat dfd", syscall(SYS_unlinkat, dfd, "dangling", 0));
    SHOW("unlinkat dir without AT_REMOVEDIR", syscall(SYS_unlinkat, dfd, "sub", 0));
    SHOW("mkdirat sub/x", syscall(SYS_mkdirat, dfd, "sub/x", 0755));
    SHOW("unlinkat AT_REMOVEDIR non-empty", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
    SHOW("rmdir sub/x", syscall(SYS_rmdir, "d/sub/x"));
    SHOW("unlinkat AT_REMOVEDIR", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
    SHOW("unlinkat bad flags", syscall(SYS_unlinkat, dfd, "a.txt", 0x1));
    show_stat("stat a.txt", syscall(SYS_stat, "d/a.txt", &st), &st);
    list("d");
    list(".");
    return 0;
}
