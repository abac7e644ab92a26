// Checks the CPU time of waited-for children: getrusage(RUSAGE_CHILDREN) and times()'s
// tms_cutime + tms_cstime are zero before any child was waited for, stay zero while a child
// that burned CPU time is an unreaped zombie (seen with waitid WNOWAIT), and once wait4 reaped
// it they are nonzero and what wait4's rusage said of it (within 20 ms: the kernel scales the
// two readings apart); a grandchild's time, waited for by the child, counts in the parent's too
// (the growth is at least what the child's wait4 said of the grandchild). No absolute amount
// is checked: a child's CPU time depends on the machine's load.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long micros(struct timeval t) { return (long long)t.tv_sec * 1000000 + t.tv_usec; }

static long long children_micros(void) {
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    if (getrusage(RUSAGE_CHILDREN, &usage) != 0) return -1;
    return micros(usage.ru_utime) + micros(usage.ru_stime);
}

static long children_ticks(void) {
    struct tms t;
    memset(&t, 0, sizeof t);
    times(&t);
    return (long)(t.tms_cutime + t.tms_cstime);
}

/* Burns `ms` milliseconds of this process's CPU time. */
static void burn(int ms) {
    struct timespec start, now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    volatile unsigned long sink = 0;
    do {
        for (int i = 0; i < 100000; i++) sink += (unsigned long)i;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
}

static pid_t xfork(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork: %s\n", strerror(errno));
        exit(1);
    }
    return pid;
}

/* wait4 bounded to 10 s; the child's time from its rusage in *child_micros. */
static int reap(pid_t pid, long long *child_micros) {
    struct rusage usage;
    int st = 0;
    for (int i = 0; i < 10000; i++) {
        memset(&usage, 0, sizeof usage);
        pid_t r = wait4(pid, &st, WNOHANG, &usage);
        if (r == pid) {
            *child_micros = micros(usage.ru_utime) + micros(usage.ru_stime);
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        if (r < 0 && errno != EINTR) return -2;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return -3;
}

int main(void) {
    printf("before any child: getrusage %s, times %s\n", children_micros() == 0 ? "zero" : "nonzero",
           children_ticks() == 0 ? "zero" : "nonzero");

    pid_t child = xfork();
    if (child == 0) {
        burn(150);
        _exit(0);
    }
    siginfo_t info;
    int r;
    do {
        memset(&info, 0, sizeof info);
        r = waitid(P_PID, child, &info, WEXITED | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    printf("a zombie child: getrusage %s, times %s\n", children_micros() == 0 ? "zero" : "nonzero",
           children_ticks() == 0 ? "zero" : "nonzero");
    long long reaped = 0;
    printf("reaped: status %d\n", reap(child, &reaped));
    long long total = children_micros();
    printf("after the wait: getrusage nonzero: %s, wait4's rusage: %s, times nonzero: %s\n",
           total > 0 ? "yes" : "no", llabs(total - reaped) <= 20000 ? "yes" : "no", children_ticks() > 0 ? "yes" : "no");

    int report[2];
    if (pipe(report) != 0) return 1;
    child = xfork();
    if (child == 0) {
        pid_t grandchild = xfork();
        if (grandchild == 0) {
            burn(150);
            _exit(0);
        }
        long long grand = 0;
        int status = reap(grandchild, &grand);
        write(report[1], &grand, sizeof grand);
        _exit(status == 0 && grand > 0 ? 0 : 1);
    }
    long long second = 0, grand = 0;
    printf("reaped the child of a grandchild: status %d\n", reap(child, &second));
    if (read(report[0], &grand, sizeof grand) != sizeof grand) grand = -1;
    long long after = children_micros();
    printf("the grandchild's time counts: %s, the sum of wait4's: %s\n",
           grand > 0 && after - total >= grand - 10000 ? "yes" : "no", llabs(after - (total + second)) <= 20000 ? "yes" : "no");
    return 0;
}
