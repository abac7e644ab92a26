// Processes: process creation, one at a time. `count` times (argv[1], default 1000) the
// program fork()s and waitpid()s for the child, which either _exit(0)s at once or, when
// argv[2] names a program, execve()s it (argv[2] as its argv[0], stdout on /dev/null) and
// that program's exit ends it. Every child must exit with status 0. After a warm-up of a few
// rounds it reports the time per fork + (exec +) exit + wait.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

extern char **environ;

// One fork, the child's _exit or execve, and the parent's waitpid; nonzero on any failure.
static int round_trip(const char *program, int devnull) {
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        if (!program) _exit(0);
        if (dup2(devnull, 1) != 1) _exit(126);
        char *argv[] = { (char *)program, 0 };
        execve(program, argv, environ);
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) != child) { perror("waitpid"); return 1; }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %d ended with status %#x\n", (int)child, status);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 1000;
    const char *program = argc > 2 ? argv[2] : 0;
    if (count <= 0) return 2;
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0) { perror("/dev/null"); return 2; }
    // Nothing buffered may be written twice by the children.
    fflush(stdout);
    for (int i = 0; i < 5; i++) if (round_trip(program, devnull)) return 1;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < count; i++) if (round_trip(program, devnull)) return 1;
    uint64_t t1 = bench_now_ns();
    bench_report("ns_per_op", (double)(t1 - t0) / count);
    bench_report("seconds", (t1 - t0) / 1e9);
    return 0;
}
