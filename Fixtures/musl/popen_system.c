// Checks system(), popen() and pclose(), which run commands with /bin/sh -c: natively the host's
// shell (dash), in the guest the placed busybox (its ash, as /bin/sh in the guest's root), so
// the commands use only what both print alike (echo, exit, read, kill, while, [ ], $((...)),
// redirections, cat). busybox is placed as /bin/cat too: its ash runs an applet by
// re-executing /proc/self/exe and otherwise searches PATH (/bin), while dash finds the host's
// cat. system(NULL) says a shell is there; system returns the shell's exit status (0, 3, 42)
// or its death by SIGTERM, its output reaches the caller's stdout, a redirection writes a file
// in the working directory and the caller's environment reaches the shell. popen "r" reads a
// command's lines back (two lines, then 2000 lines through the pipe) and pclose returns its
// status (0, 5); popen "w" feeds a command's stdin: `cat > out.txt` writes the lines into a
// file, and a shell `read` gets a line.
// conformance-libcs: musl glibc
// conformance-programs: /bin/busybox=bin/sh /bin/busybox=bin/cat
// conformance-timeout: 30
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void describe(const char *label, int status) {
    if (status == -1) printf("%s: failed (errno %s)\n", label, errno == ECHILD ? "ECHILD" : "other");
    else if (WIFEXITED(status)) printf("%s: exited %d\n", label, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", label, WTERMSIG(status));
    else printf("%s: status 0x%x\n", label, status);
}

static void run_system(const char *command) {
    printf("--- system(\"%s\")\n", command);
    fflush(stdout);
    int status = system(command);
    describe("system", status);
}

static void read_back(const char *command) {
    printf("--- popen(\"%s\", \"r\")\n", command);
    fflush(stdout);
    FILE *p = popen(command, "r");
    if (p == NULL) {
        printf("popen failed\n");
        return;
    }
    char line[256];
    int lines = 0;
    long bytes = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        lines++;
        bytes += (long)strlen(line);
        if (lines <= 3) printf("read: %s", line);
    }
    printf("%d lines, %ld bytes\n", lines, bytes);
    describe("pclose", pclose(p));
}

static void write_to(const char *command, const char *text) {
    printf("--- popen(\"%s\", \"w\")\n", command);
    fflush(stdout);
    FILE *p = popen(command, "w");
    if (p == NULL) {
        printf("popen failed\n");
        return;
    }
    fputs(text, p);
    describe("pclose", pclose(p));
}

static void print_file(const char *path) {
    char buffer[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("cannot open %s\n", path);
        return;
    }
    ssize_t got = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    buffer[got > 0 ? got : 0] = '\0';
    printf("%s holds: %s", path, buffer);
}

int main(void) {
    for (int fd = 3; fd < 64; fd++) close(fd);
    fflush(stdout);
    printf("system(NULL): %s\n", system(NULL) != 0 ? "a shell is available" : "no shell");
    run_system("echo hello from system; exit 3");
    run_system("exit 42");
    run_system("true");
    run_system("kill -TERM $$");
    run_system("echo into a file > system_out.txt; echo second line >> system_out.txt");
    print_file("system_out.txt");
    setenv("EXEC_POPEN", "from the caller", 1);
    run_system("echo \"environment: $EXEC_POPEN\"; echo \"arithmetic: $((6 * 7))\"");

    read_back("echo a; echo b");
    read_back("exit 5");
    read_back("i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i + 1)); done");

    write_to("cat > out.txt", "first line\nsecond line\n");
    print_file("out.txt");
    write_to("read line; echo \"the shell read: $line\"", "hello shell\nnot read\n");
    printf("done\n");
    return 0;
}
