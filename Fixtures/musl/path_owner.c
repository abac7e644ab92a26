// Checks the ownership calls on files beneath the guest's root: fchown, chown, lchown (the
// link itself) and fchownat to the caller's own uid/gid or -1 (unchanged) succeed, ownership
// reads back unchanged, and a missing path is ENOENT. Only changes every user may make.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long result) {
    printf("%-28s %s\n", what, result == 0 ? "0" : strerror(errno));
}

int main(void) {
    int fd = open("owned", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    show("fchown own ids", syscall(SYS_fchown, fd, getuid(), getgid()));
    show("chown -1 -1", syscall(SYS_chown, "owned", -1, -1));
    if (symlink("owned", "link") != 0) { perror("symlink"); return 1; }
    show("lchown link to own uid", syscall(SYS_lchown, "link", getuid(), -1));
    show("fchownat own gid", syscall(SYS_fchownat, AT_FDCWD, "owned", -1, getgid(), 0));
    show("fchownat nofollow", syscall(SYS_fchownat, AT_FDCWD, "link", getuid(), getgid(), AT_SYMLINK_NOFOLLOW));
    show("fchownat empty path", syscall(SYS_fchownat, fd, "", getuid(), getgid(), AT_EMPTY_PATH));
    show("chown missing path", syscall(SYS_chown, "missing", -1, -1));
    struct stat st;
    if (stat("owned", &st) != 0) { perror("stat"); return 1; }
    printf("owner unchanged: %d\n", st.st_uid == getuid() && st.st_gid == getgid());
    close(fd);
    return 0;
}
