// Helpers of the System V IPC fixtures (sysv_*): errno names (identical for both libcs),
// SHOW (a call's result and errno on one line), and check(), which removes the fixture's IPC
// objects before it ends a failed run, so that no object stays behind on the host.
#ifndef FIXTURE_SYSV_H
#define FIXTURE_SYSV_H
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Removes what the fixture made (set by the fixture).
static void cleanup(void);

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAILED: %s (errno %d %s)\n", what, errno, strerror(errno));
        fflush(stdout);
        cleanup();
        _exit(1);
    }
}

static const char *name(int e) {
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EIDRM: return "EIDRM";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ENOMSG: return "ENOMSG";
    case E2BIG: return "E2BIG";
    case EFBIG: return "EFBIG";
    case ERANGE: return "ERANGE";
    default: return "another errno";
    }
}

// Prints LABEL: the result of CALL and the errno it left.
#define SHOW(label, call) do { errno = 0; long result_ = (long)(call); printf("%s: %ld %s\n", label, result_, name(errno)); } while (0)

__attribute__((unused)) static void pause_ms(int ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

static pid_t xfork(void) {
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    return pid;
}

// The child's exit status, or 128 + the signal that killed it.
static int reap(pid_t pid) {
    int status;
    check(waitpid(pid, &status, 0) == pid, "waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
#endif
