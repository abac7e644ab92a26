// Checks #! scripts under execve, with the placed exec_target as the interpreter (a relative
// ./exec_target, which resolves in the working directory natively and in the guest, whose root
// it is): scripts written at run time are exec'd with extra argv and their interpreter's output
// comes back through a pipe. The interpreter gets argv [interpreter as written, optional
// argument, script path as given to execve, argv[1...]] (the script's own argv[0] is dropped)
// and AT_EXECFN is the script's path; the optional argument is everything after the
// interpreter up to the end of the line, blanks trimmed at both ends and kept inside; "#! "
// with a space works, as does a script with no newline after the #! line; a script may name
// another script as its interpreter, and a chain of too many scripts fails with ELOOP. A
// missing interpreter gives ENOENT (also when a CR ends the #! line: it belongs to the name),
// a non-executable interpreter or script EACCES, and a text file without #! ENOEXEC.
// conformance-libcs: musl glibc
// conformance-programs: exec_target
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

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    default: return "another error";
    }
}

static void write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    size_t size = strlen(text);
    if (fd < 0 || write(fd, text, size) != (ssize_t)size) printf("cannot write %s\n", path);
    if (fd >= 0) close(fd);
    chmod(path, mode);
}

/* Waits at most ten seconds for `pid`; a child still running then is killed. */
static int wait_bounded(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 10000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) {
            printf("waitpid failed: %s\n", errname(errno));
            return -1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("child did not finish within 10 s: killed\n");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* execve(path, argv) in a child whose stdout is a pipe; prints what came back and the status.
 * A failing execve is reported by the child itself ("execve failed: E...") through the pipe. */
static void run(const char *label, const char *path, char *const argv[]) {
    printf("--- %s\n", label);
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
        char *envp[] = {"EXEC_SCRIPT=1", NULL};
        execve(path, argv, envp);
        printf("execve failed: %s\n", errname(errno));
        fflush(stdout);
        _exit(99);
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
    int status = wait_bounded(pid);
    buffer[total] = '\0';
    if (!eof) printf("(no end of file on the pipe)\n");
    for (char *line = strtok(buffer, "\n"); line; line = strtok(NULL, "\n")) {
        /* The interpreter's fd and signal lines are execve_basic's business. */
        if (strncmp(line, "fds 0-2", 7) == 0 || strncmp(line, "open fds", 8) == 0 || strncmp(line, "signals:", 8) == 0)
            continue;
        printf("| %s\n", line);
    }
    if (status == -1) return;
    if (WIFEXITED(status)) printf("exited %d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("killed by signal %d\n", WTERMSIG(status));
}

int main(void) {
    for (int fd = 3; fd < 64; fd++) close(fd);

    write_file("plain.sh", "#!./exec_target\nthe interpreter never reads this\n", 0755);
    write_file("onearg.sh", "#!./exec_target  onearg\n", 0755);
    write_file("spaces.sh", "#!./exec_target \t one arg  with\tspaces \t \n", 0755);
    write_file("space-after-bang.sh", "#! ./exec_target 7\n", 0755);
    write_file("no-newline.sh", "#!./exec_target 3", 0755);
    write_file("nested.sh", "#!./onearg.sh nestedarg\n", 0755);
    write_file("missing-interpreter.sh", "#!./no-such-interpreter\n", 0755);
    write_file("crlf.sh", "#!./exec_target\r\n", 0755);
    write_file("not-executable.sh", "#!./exec_target\n", 0644);
    write_file("noexec-interpreter", "#!./exec_target\n", 0644);
    write_file("noexec-interpreter.sh", "#!./noexec-interpreter\n", 0755);
    write_file("no-bang.sh", "echo this is not run\n", 0755);
    /* A chain of scripts, each the interpreter of the next: loop9.sh -> loop8.sh -> ... -> exec_target. */
    write_file("loop0.sh", "#!./exec_target\n", 0755);
    for (int i = 1; i <= 9; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "loop%d.sh", i);
        snprintf(text, sizeof text, "#!./loop%d.sh\n", i - 1);
        write_file(name, text, 0755);
    }

    char *plain[] = {"plain.sh", "first", "second arg", NULL};
    run("#!./exec_target, extra argv", "./plain.sh", plain);
    char *bare[] = {"bare", NULL};
    run("#!./exec_target, no argv past argv[0]", "./plain.sh", bare);
    char *onearg[] = {"onearg.sh", "x", NULL};
    run("#!./exec_target  onearg", "./onearg.sh", onearg);
    run("optional argument with blanks", "./spaces.sh", onearg);
    char *seven[] = {"space", "extra", NULL};
    run("#! ./exec_target 7 (space after #!, exit status from the argument)", "./space-after-bang.sh", seven);
    run("no newline after the #! line", "./no-newline.sh", bare);
    run("a script as the interpreter", "./nested.sh", onearg);
    run("chain of 2 scripts", "./loop1.sh", bare);
    run("chain of 4 scripts", "./loop3.sh", bare);
    run("chain of 9 scripts", "./loop8.sh", bare);
    run("missing interpreter", "./missing-interpreter.sh", bare);
    run("CR at the end of the #! line", "./crlf.sh", bare);
    run("script without execute permission", "./not-executable.sh", bare);
    run("interpreter without execute permission", "./noexec-interpreter.sh", bare);
    run("text without #!", "./no-bang.sh", bare);
    printf("done\n");
    return 0;
}
