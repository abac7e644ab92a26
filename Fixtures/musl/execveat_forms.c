// Checks execveat(2) in its forms, each from a forked child running the placed exec_target
// (which prints its argv, EXEC_ environment, AT_EXECFN, open descriptors and exit status): a
// directory descriptor with a relative path (AT_EXECFN "/dev/fd/N/exec_target"), AT_FDCWD
// with a relative path, an absolute path whatever the descriptor (AT_EXECFN the path),
// AT_EMPTY_PATH on a descriptor of the program (opened O_RDONLY or O_PATH: AT_EXECFN
// "/dev/fd/N"), and a symlink to the program, which runs when followed. Failures return to
// the caller: ENOENT (a missing name, an empty path without AT_EMPTY_PATH), EINVAL (an
// unknown flag), ELOOP (AT_SYMLINK_NOFOLLOW on the symlink), ENOTDIR (a regular file as the
// directory descriptor), EBADF (a closed directory descriptor), EACCES (AT_EMPTY_PATH on a
// directory's descriptor, a file without execute permission). Every descriptor is
// close-on-exec, so the new image has none open beyond stdio.
// conformance-libcs: musl glibc
// conformance-programs: exec_target
// conformance-timeout: 20
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* The descriptor numbers the forms use, fixed so that AT_EXECFN reads the same everywhere. */
enum { DIR_FD = 10, PROGRAM_FD = 11, PATH_FD = 12, FILE_FD = 13 };

static const char *errname(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case ENOEXEC: return "ENOEXEC";
    default: return "another error";
    }
}

static char *target_argv[] = {"via-execveat", "5", NULL};
static char *target_envp[] = {"EXEC_FORM=execveat", "OTHER=hidden", NULL};

static long call_execveat(int dirfd, const char *path, int flags) {
    return syscall(SYS_execveat, dirfd, path, target_argv, target_envp, flags);
}

/* Waits at most ten seconds for `pid` (a child still running then is killed); its status. */
static int wait_bounded(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 10000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("child did not finish within 10 s: killed\n");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Runs execveat(dirfd, path, flags) in a forked child and reports how it ended: the new
   image's output and exit status, or the error execveat returned. */
static void form(const char *label, int dirfd, const char *path, int flags) {
    printf("--- %s\n", label);
    pid_t pid = fork();
    if (pid == 0) {
        call_execveat(dirfd, path, flags);
        printf("execveat failed: %s\n", errname(errno));
        _exit(99);
    }
    int status = wait_bounded(pid);
    if (status == -1) return;
    if (WIFEXITED(status)) printf("%s: exited %d\n", label, WEXITSTATUS(status));
    else printf("%s: killed by signal %d\n", label, WTERMSIG(status));
}

/* Opens `path` with `flags` | O_CLOEXEC at descriptor `fd` exactly. */
static int open_at_number(const char *path, int flags, int fd) {
    int opened = open(path, flags | O_CLOEXEC);
    if (opened < 0) {
        printf("open %s failed: %s\n", path, errname(errno));
        return -1;
    }
    if (opened != fd) {
        dup3(opened, fd, O_CLOEXEC);
        close(opened);
    }
    return fd;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    unlink("execveat_link");
    unlink("execveat_plain");
    if (symlink("exec_target", "execveat_link") != 0) printf("symlink failed\n");
    int plain = open("execveat_plain", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (plain >= 0) {
        (void)!write(plain, "#!/bin/sh\nexit 3\n", 17);
        close(plain);
    }
    open_at_number(".", O_RDONLY | O_DIRECTORY, DIR_FD);
    open_at_number("exec_target", O_RDONLY, PROGRAM_FD);
    open_at_number("exec_target", O_PATH, PATH_FD);
    open_at_number("execveat_plain", O_RDONLY, FILE_FD);
    char cwd[4096], absolute[4200];
    if (getcwd(cwd, sizeof cwd) == NULL) return 1;
    snprintf(absolute, sizeof absolute, "%s/exec_target", strcmp(cwd, "/") == 0 ? "" : cwd);

    form("directory descriptor and relative path", DIR_FD, "exec_target", 0);
    form("AT_FDCWD and relative path", AT_FDCWD, "./exec_target", 0);
    form("absolute path, closed descriptor", 200, absolute, 0);
    form("AT_EMPTY_PATH on the program's descriptor", PROGRAM_FD, "", AT_EMPTY_PATH);
    form("AT_EMPTY_PATH on an O_PATH descriptor", PATH_FD, "", AT_EMPTY_PATH);
    form("symlink followed", DIR_FD, "execveat_link", 0);

    form("missing name", DIR_FD, "no_such_program", 0);
    form("empty path without AT_EMPTY_PATH", PROGRAM_FD, "", 0);
    form("unknown flag", DIR_FD, "exec_target", 0x1);
    form("AT_SYMLINK_NOFOLLOW on the symlink", DIR_FD, "execveat_link", AT_SYMLINK_NOFOLLOW);
    form("AT_SYMLINK_NOFOLLOW on the program", DIR_FD, "exec_target", AT_SYMLINK_NOFOLLOW);
    form("regular file as directory", FILE_FD, "exec_target", 0);
    form("closed directory descriptor", 200, "exec_target", 0);
    form("AT_EMPTY_PATH on a directory", DIR_FD, "", AT_EMPTY_PATH);
    form("file without execute permission", DIR_FD, "execveat_plain", 0);

    unlink("execveat_link");
    unlink("execveat_plain");
    return 0;
}
