// Checks what a program sees at start-up, as the target that the exec fixtures (execve_basic,
// exec_script, posix_spawn_actions, shell_script) place in their working directory and run:
// prints argc and every argv string (an absolute argv[0] by its base name only), how many
// environment entries there are and, sorted, those whose names start with EXEC_, the
// AT_EXECFN string (the path given to execve; for a script, the script's path), whether
// getpid()/getppid() equal the EXPECT_PID/EXPECT_PPID variables when set, whether it leads its
// own process group when SHOW_PGRP is set, whether fds 0-2 are open, which of fds 3..20 are
// open (close-on-exec), the dispositions of SIGUSR1/SIGUSR2/SIGTERM (ignored stays ignored,
// a handler becomes the default) and which of them are blocked (the mask survives exec), and
// exits with the status argv[1] gives when it is a number (else 0). Run on its own (no
// arguments, empty environment) it prints the start-up state of a fixture.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An absolute path names a host file natively but the root's in the guest: print its base name. */
static void print_path(const char *label, const char *path) {
    if (path == NULL) {
        printf("%s: (none)\n", label);
    } else if (path[0] == '/') {
        const char *base = strrchr(path, '/') + 1;
        printf("%s: an absolute path ending in /%s\n", label, base);
    } else {
        printf("%s: [%s]\n", label, path);
    }
}

static int is_number(const char *s) {
    if (s == NULL || *s == '\0') return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

static void check_id(const char *name, long actual) {
    const char *expected = getenv(name);
    if (expected != NULL) printf("%s matches: %s\n", name, atol(expected) == actual ? "yes" : "no");
}

static const char *disposition(int sig) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0) return "unknown";
    if (sa.sa_handler == SIG_DFL) return "default";
    if (sa.sa_handler == SIG_IGN) return "ignored";
    return "handler";
}

int main(int argc, char **argv) {
    printf("exec_target: argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        char label[32];
        snprintf(label, sizeof label, "argv[%d]", i);
        print_path(label, argv[i]);
    }
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

    size_t count = 0;
    for (char **e = environ; e && *e; e++) count++;
    printf("environment: %zu entries\n", count);
    char **selected = calloc(count + 1, sizeof *selected);
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "EXEC_", 5) == 0) selected[n++] = *e;
    qsort(selected, n, sizeof *selected, by_string);
    for (size_t i = 0; i < n; i++) printf("env %s\n", selected[i]);
    free(selected);

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    if (execfn != NULL && argc > 0 && strcmp(execfn, argv[0]) == 0) printf("AT_EXECFN: equals argv[0]\n");
    else print_path("AT_EXECFN", execfn);

    check_id("EXPECT_PID", (long)getpid());
    check_id("EXPECT_PPID", (long)getppid());
    if (getenv("SHOW_PGRP") != NULL) printf("own process group: %s\n", getpgrp() == getpid() ? "yes" : "no");

    printf("fds 0-2:");
    for (int fd = 0; fd <= 2; fd++) printf(" %s", fcntl(fd, F_GETFD) >= 0 ? "open" : "closed");
    printf("\nopen fds 3..20:");
    int any = 0;
    for (int fd = 3; fd <= 20; fd++) {
        if (fcntl(fd, F_GETFD) >= 0) {
            printf(" %d", fd);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : " none");

    sigset_t blocked;
    sigemptyset(&blocked);
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    printf("signals: USR1 %s, USR2 %s, TERM %s; blocked:", disposition(SIGUSR1), disposition(SIGUSR2),
           disposition(SIGTERM));
    int none = 1;
    const struct { int sig; const char *name; } watched[] = {{SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}, {SIGTERM, "TERM"}};
    for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++) {
        if (sigismember(&blocked, watched[i].sig) == 1) {
            printf(" %s", watched[i].name);
            none = 0;
        }
    }
    printf("%s\n", none ? " none" : "");

    int status = argc > 1 && is_number(argv[1]) ? atoi(argv[1]) & 255 : 0;
    printf("exit status %d\n", status);
    return status;
}
