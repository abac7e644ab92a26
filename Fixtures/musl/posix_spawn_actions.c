// Checks posix_spawn and posix_spawnp running the placed exec_target, each child waited for with
// waitpid (bounded) for the pid posix_spawn returned: argv and envp reach the program; file
// actions run in order in the child only: addopen puts a new file on stdout (the parent then
// reads what the program wrote there), adddup2 puts a pipe's write end on stdout (the parent
// reads the output, then end of file), addclose closes an inherited descriptor while another
// stays open, addchdir_np changes the folder that later relative opens and the program path
// resolve in; posix_spawnp searches the caller's PATH; attributes: setsigmask (the program
// starts with SIGUSR2 blocked), setsigdefault (an ignored SIGUSR1 is reset to the default,
// while without it the ignored disposition is inherited), setpgroup(0) (the program leads its
// own process group). Failures come back from posix_spawn itself, with the child never
// running the program: ENOENT for a missing program (posix_spawn and posix_spawnp), EACCES
// for a file without execute permission, ENOEXEC for garbage, ENOENT from an addopen of a
// file in a missing folder.
// conformance-libcs: musl glibc
// conformance-programs: exec_target
// conformance-timeout: 20
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
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
    case 0: return "success";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: return "another error";
    }
}

/* Waits at most ten seconds for `pid` (a child still running then is killed) and describes how
 * it ended. Nothing is printed while a child that shares stdout runs. */
static const char *wait_bounded(pid_t pid) {
    static char text[64];
    int status = 0;
    for (int i = 0; i < 10000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) snprintf(text, sizeof text, "exited %d", WEXITSTATUS(status));
            else if (WIFSIGNALED(status)) snprintf(text, sizeof text, "killed by signal %d", WTERMSIG(status));
            else snprintf(text, sizeof text, "status 0x%x", status);
            return text;
        }
        if (r < 0 && errno != EINTR) {
            snprintf(text, sizeof text, "waitpid failed: %s", errname(errno));
            return text;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return "did not finish within 10 s: killed";
}

/* Prints the lines of `text` with a prefix, leaving out the lines `skip` starts. */
static void print_lines(char *text, const char *const *skip) {
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int shown = 1;
        for (const char *const *s = skip; s && *s; s++)
            if (strncmp(line, *s, strlen(*s)) == 0) shown = 0;
        if (shown) printf("| %s\n", line);
    }
}

static void print_file(const char *path) {
    char buffer[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("cannot open %s: %s\n", path, errname(errno));
        return;
    }
    ssize_t got = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    buffer[got > 0 ? got : 0] = '\0';
    printf("%s holds:\n", path);
    print_lines(buffer, NULL);
}

static const char *const not_signals[] = {"signals:", NULL};

/* Reports posix_spawn's result and, when it started a child, how that child ended. */
static void spawned(const char *label, int result, pid_t pid) {
    if (result == 0) {
        const char *how = wait_bounded(pid);
        printf("%s: success; waitpid: %s\n", label, how);
    } else {
        printf("%s: %s\n", label, errname(result));
    }
}

int main(void) {
    for (int fd = 3; fd < 64; fd++) close(fd);
    fflush(stdout);
    pid_t pid;
    int r;

    printf("--- addopen: stdout to a new file\n");
    {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "spawn_out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *argv[] = {"to-a-file", "6", "arg two", NULL};
        char *envp[] = {"EXEC_SPAWN=addopen", "IGNORED=1", NULL};
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        spawned("posix_spawn", r, pid);
        print_file("spawn_out.txt");
    }

    printf("--- adddup2: stdout to a pipe, addclose of the read end\n");
    {
        int fds[2];
        pipe(fds);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addclose(&fa, fds[1]);
        char *argv[] = {"to-a-pipe", NULL};
        char *envp[] = {"EXEC_SPAWN=adddup2", NULL};
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        char buffer[8192];
        size_t total = 0;
        int eof = 0;
        for (int rounds = 0; rounds < 1000 && !eof && r == 0; rounds++) {
            struct pollfd p = {fds[0], POLLIN, 0};
            if (poll(&p, 1, 10) <= 0) continue;
            ssize_t got = read(fds[0], buffer + total, sizeof buffer - 1 - total);
            if (got <= 0) eof = got == 0;
            else total += (size_t)got;
            if (total >= sizeof buffer - 1) break;
        }
        close(fds[0]);
        buffer[total] = '\0';
        spawned("posix_spawn", r, pid);
        printf("end of file on the pipe: %s\n", eof ? "yes" : "no");
        print_lines(buffer, not_signals);
    }

    printf("--- addclose of an inherited descriptor\n");
    {
        int a = open("spawn_out.txt", O_RDONLY);
        int b = open("spawn_out.txt", O_RDONLY);
        dup2(a, 5);
        dup2(b, 6);
        close(a);
        close(b);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addclose(&fa, 5);
        char *argv[] = {"addclose", NULL};
        char *envp[] = {NULL};
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        spawned("posix_spawn", r, pid);
        printf("fd 5 still open in the parent: %s\n", fcntl(5, F_GETFD) >= 0 ? "yes" : "no");
        close(5);
        close(6);
    }

    printf("--- addchdir_np, then a relative addopen and program path\n");
    {
        mkdir("sub", 0755);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addchdir_np(&fa, "sub");
        posix_spawn_file_actions_addopen(&fa, 1, "in_sub.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *argv[] = {"in-sub", "1", NULL};
        char *envp[] = {NULL};
        fflush(stdout);
        r = posix_spawn(&pid, "../exec_target", &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        spawned("posix_spawn", r, pid);
        printf("the parent's folder is unchanged: %s\n", access("spawn_out.txt", F_OK) == 0 ? "yes" : "no");
        print_file("sub/in_sub.txt");
    }

    printf("--- posix_spawnp with PATH=/no-such-folder:.\n");
    {
        setenv("PATH", "/no-such-folder:.", 1);
        char *argv[] = {"spawnp", "2", NULL};
        char *envp[] = {"EXEC_SPAWN=spawnp", NULL};
        fflush(stdout);
        r = posix_spawnp(&pid, "exec_target", NULL, NULL, argv, envp);
        spawned("posix_spawnp", r, pid);
        fflush(stdout);
        r = posix_spawnp(&pid, "no-such-program", NULL, NULL, argv, envp);
        spawned("posix_spawnp of a missing program", r, pid);
        unsetenv("PATH");
    }

    printf("--- attributes: setsigmask, setsigdefault, setpgroup\n");
    {
        signal(SIGUSR1, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        char *argv[] = {"attributes", NULL};
        char *envp[] = {"SHOW_PGRP=1", NULL};

        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        sigset_t mask, defaults;
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR2);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGUSR1);
        posix_spawnattr_setsigmask(&at, &mask);
        posix_spawnattr_setsigdefault(&at, &defaults);
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", NULL, &at, argv, envp);
        posix_spawnattr_destroy(&at);
        spawned("posix_spawn with attributes", r, pid);

        printf("(no attributes: dispositions and the mask are inherited, same process group)\n");
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        sigset_t old;
        sigprocmask(SIG_BLOCK, &block, &old);
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", NULL, NULL, argv, envp);
        sigprocmask(SIG_SETMASK, &old, NULL);
        spawned("posix_spawn without attributes", r, pid);
        signal(SIGUSR1, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    }

    printf("--- failures\n");
    {
        int fd = open("plain.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(fd, "plain\n", 6);
        close(fd);
        fd = open("garbage.bin", O_WRONLY | O_CREAT | O_TRUNC, 0755);
        write(fd, "garbage, not a program\n", 23);
        close(fd);
        chmod("garbage.bin", 0755);
        char *argv[] = {"never-runs", NULL};
        char *envp[] = {NULL};
        const char *paths[] = {"./missing", "./plain.txt", "./garbage.bin"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            char label[64];
            snprintf(label, sizeof label, "posix_spawn %s", paths[i]);
            fflush(stdout);
            r = posix_spawn(&pid, paths[i], NULL, NULL, argv, envp);
            spawned(label, r, pid);
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "no-such-folder/input", O_RDONLY, 0);
        fflush(stdout);
        r = posix_spawn(&pid, "./exec_target", &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        spawned("posix_spawn with a failing addopen", r, pid);
    }
    int status;
    printf("children left: %s\n", waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD ? "none" : "some");
    printf("done\n");
    return 0;
}
