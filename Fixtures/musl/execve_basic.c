// Checks execve and the exec family from forked children, running the placed exec_target
// (./exec_target: the working directory is the guest's root): a custom argv and envp reach the
// new image, which keeps the child's pid and parent (EXPECT_PID/EXPECT_PPID), its ignored
// signal (a handled one becomes the default) and its signal mask; the parent gets the new
// image's exit status, for the pid fork returned. execv inherits the environment, execle
// passes its own, fexecve runs the file a descriptor names (execveat AT_EMPTY_PATH), execvp searches PATH (".", a missing folder first, a folder holding a
// non-executable file of that name first) and takes a name with a slash as a path. Descriptors
// without close-on-exec stay open in the new image; O_CLOEXEC, dup3(O_CLOEXEC) and
// fcntl(F_SETFD, FD_CLOEXEC) ones are closed, one whose flag was cleared again or that dup2
// copied stays. A pipe dup2'd onto stdout carries the new image's output back to the parent,
// which then sees end of file. vfork followed by execve works. Failures return to the caller
// with errno: ENOENT (missing file, empty path, execvp finding nothing), EACCES (mode 0644
// file, directory, execvp finding only a non-executable file), ENOTDIR (a file used as a
// folder), ENOEXEC (garbage, empty file, ELF magic only).
// conformance-libcs: musl glibc
// conformance-programs: exec_target
// conformance-env: EXEC_FIXTURE=inherited
// conformance-timeout: 20
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case E2BIG: return "E2BIG";
    default: return "another error";
    }
}

/* Waits at most ten seconds for `pid`; a child still running then is killed. */
static int wait_bounded(pid_t pid, pid_t *reaped) {
    int status = 0;
    for (int i = 0; i < 10000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            *reaped = r;
            return status;
        }
        if (r < 0 && errno != EINTR) {
            printf("waitpid failed: %s\n", errname(errno));
            *reaped = r;
            return -1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("child did not finish within 10 s: killed\n");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    *reaped = pid;
    return -1;
}

static void report(const char *label, pid_t forked, int status, pid_t reaped) {
    if (status == -1) return;
    if (WIFEXITED(status)) printf("%s: exited %d", label, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("%s: killed by signal %d", label, WTERMSIG(status));
    else printf("%s: status 0x%x", label, status);
    printf("%s\n", reaped == forked ? "" : " (waitpid returned another pid)");
}

/* Runs `body` in a forked child (which must exec or _exit) and reports how it ended. */
static void in_child(const char *label, void (*body)(void)) {
    printf("--- %s\n", label);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork failed: %s\n", errname(errno));
        return;
    }
    if (pid == 0) {
        body();
        fflush(stdout);
        _exit(99);
    }
    pid_t reaped = 0;
    int status = wait_bounded(pid, &reaped);
    report(label, pid, status, reaped);
}

static void on_signal(int sig) { (void)sig; }

static void custom_argv_envp(void) {
    char pid_var[64], ppid_var[64];
    snprintf(pid_var, sizeof pid_var, "EXPECT_PID=%ld", (long)getpid());
    snprintf(ppid_var, sizeof ppid_var, "EXPECT_PPID=%ld", (long)getppid());
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, on_signal);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    char *argv[] = {"custom-name", "7", "two words", "", "--flag=x", NULL};
    char *envp[] = {"EXEC_B=second", "EXEC_A=first", "OTHER=not shown", pid_var, ppid_var, "EXEC_EMPTY=", NULL};
    execve("./exec_target", argv, envp);
    printf("execve failed: %s\n", errname(errno));
}

static void plain_execv(void) {
    char *argv[] = {"via-execv", "3", NULL};
    execv("./exec_target", argv);
    printf("execv failed: %s\n", errname(errno));
}

static void with_execle(void) {
    char *envp[] = {"EXEC_FROM_EXECLE=1", NULL};
    execle("./exec_target", "via-execle", "0", "last", (char *)NULL, envp);
    printf("execle failed: %s\n", errname(errno));
}

static void with_fexecve(void) {
    int fd = open("./exec_target", O_RDONLY | O_CLOEXEC);
    char *argv[] = {"via-fexecve", "4", NULL};
    char *envp[] = {"EXEC_FROM_FEXECVE=1", NULL};
    fexecve(fd, argv, envp);
    printf("fexecve failed: %s\n", errname(errno));
}

static void execvp_in(const char *path, const char *file) {
    setenv("PATH", path, 1);
    char *argv[] = {"via-execvp", "5", NULL};
    execvp(file, argv);
    int e = errno;
    printf("execvp %s with PATH=%s failed: %s\n", file, path, errname(e));
}

static void execvp_dot(void) { execvp_in(".", "exec_target"); }
static void execvp_missing_folder_first(void) { execvp_in("/no-such-folder:.", "exec_target"); }
static void execvp_not_executable_first(void) { execvp_in("noexec:.", "exec_target"); }
static void execvp_slash(void) { execvp_in("/no-such-folder", "./exec_target"); }
static void execvp_nothing(void) { execvp_in("/no-such-folder:noexec-empty", "exec_target"); }
static void execvp_only_noexec(void) { execvp_in("noexec", "exec_target"); }

static void move_fd(int from, int to) {
    if (from != to) {
        dup2(from, to);
        close(from);
    }
}

static void descriptors(void) {
    move_fd(open("data.txt", O_RDONLY), 5);                  /* no flag: stays */
    move_fd(open("data.txt", O_RDONLY | O_CLOEXEC), 20);     /* dup2 clears the flag: stays */
    int fd = open("data.txt", O_RDONLY | O_CLOEXEC);
    dup3(fd, 6, O_CLOEXEC);                                    /* closed */
    dup2(fd, 9);                                               /* a dup2 copy: stays */
    close(fd);
    move_fd(open("data.txt", O_RDONLY | O_CLOEXEC), 7);       /* dup2 cleared it; set again: closed */
    fcntl(7, F_SETFD, FD_CLOEXEC);
    int keep = open("data.txt", O_RDONLY | O_CLOEXEC);
    move_fd(keep, 11);
    fcntl(11, F_SETFD, FD_CLOEXEC);
    fcntl(11, F_SETFD, 0);                                     /* cleared again: stays */
    int closed = open("data.txt", O_RDONLY | O_CLOEXEC);      /* lowest free fd (3), closed */
    int flags = fcntl(closed, F_GETFD);
    printf("before exec: O_CLOEXEC fd has FD_CLOEXEC: %s; fd 5 has it: %s\n",
           (flags & FD_CLOEXEC) ? "yes" : "no", (fcntl(5, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
    fflush(stdout);
    char *argv[] = {"fds", NULL};
    char *envp[] = {NULL};
    execve("./exec_target", argv, envp);
    printf("execve failed: %s\n", errname(errno));
}

static void through_a_pipe(void) {
    int fds[2];
    if (pipe(fds) != 0) {
        printf("pipe failed\n");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {"piped", "2", "through a pipe", NULL};
        char *envp[] = {"EXEC_PIPED=yes", NULL};
        execve("./exec_target", argv, envp);
        _exit(98);
    }
    close(fds[1]);
    char buffer[8192];
    size_t total = 0;
    int eof = 0;
    for (int rounds = 0; rounds < 1000 && !eof; rounds++) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 10) <= 0) continue;
        ssize_t got = read(fds[0], buffer + total, sizeof buffer - 1 - total);
        if (got <= 0) eof = got == 0;
        else total += (size_t)got;
        if (total >= sizeof buffer - 1) break;
    }
    close(fds[0]);
    pid_t reaped = 0;
    int status = wait_bounded(pid, &reaped);
    buffer[total] = '\0';
    printf("read %zu bytes through the pipe, end of file: %s\n", total, eof ? "yes" : "no");
    for (char *line = strtok(buffer, "\n"); line; line = strtok(NULL, "\n")) printf("| %s\n", line);
    report("piped exec_target", pid, status, reaped);
}

static void after_vfork(void) {
    printf("--- vfork + execve\n");
    fflush(stdout);
    char *argv[] = {"after-vfork", "4", NULL};
    char *envp[] = {"EXEC_VFORK=1", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve("./exec_target", argv, envp);
        _exit(97);
    }
    pid_t reaped = 0;
    int status = wait_bounded(pid, &reaped);
    report("vfork + execve", pid, status, reaped);
}

static const char *failing_path;

static void exec_fails(void) {
    char *argv[] = {"should-not-run", NULL};
    char *envp[] = {NULL};
    int r = execve(failing_path, argv, envp);
    int e = errno;
    printf("execve(\"%s\") returned %d: %s\n", failing_path, r, errname(e));
}

static void write_file(const char *path, const void *data, size_t size, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) printf("cannot write %s\n", path);
    if (fd >= 0) close(fd);
    chmod(path, mode);
}

int main(void) {
    write_file("data.txt", "data\n", 5, 0644);
    mkdir("adir", 0755);
    mkdir("noexec", 0755);
    mkdir("noexec-empty", 0755);
    write_file("noexec/exec_target", "not a program\n", 14, 0644);
    write_file("plain.txt", "plain\n", 6, 0644);
    const char garbage[] = "this is not an executable\n";
    write_file("garbage.bin", garbage, sizeof garbage - 1, 0755);
    write_file("empty.bin", "", 0, 0755);
    write_file("magic-only.bin", "\177ELF", 4, 0755);

    in_child("execve with custom argv and envp", custom_argv_envp);
    in_child("execv (environment inherited)", plain_execv);
    in_child("execle", with_execle);
    in_child("fexecve (execveat of a descriptor)", with_fexecve);
    in_child("execvp, PATH=.", execvp_dot);
    in_child("execvp, missing folder first", execvp_missing_folder_first);
    in_child("execvp, non-executable file first", execvp_not_executable_first);
    in_child("execvp, a name with a slash", execvp_slash);
    in_child("execvp, found nowhere", execvp_nothing);
    in_child("execvp, only a non-executable file", execvp_only_noexec);
    in_child("descriptors across exec", descriptors);
    printf("--- stdout through a pipe\n");
    through_a_pipe();
    after_vfork();

    const char *failures[] = {"./missing", "", "./plain.txt", "./adir", "adir", "./plain.txt/x", "./garbage.bin",
                              "./empty.bin", "./magic-only.bin"};
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++) {
        failing_path = failures[i];
        char label[64];
        snprintf(label, sizeof label, "execve of \"%s\"", failures[i]);
        in_child(label, exec_fails);
    }
    printf("done\n");
    return 0;
}
