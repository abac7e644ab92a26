// Checks the time syscalls, each called by number, printing only ordering facts:
// clock_gettime for every clock Linux has (REALTIME, MONOTONIC, PROCESS/THREAD_CPUTIME_ID,
// MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME) succeeds with nanoseconds below
// 1e9 and never goes backwards, EINVAL for an unknown clock; clock_getres of each is positive
// and at most 10 ms; gettimeofday and time agree with CLOCK_REALTIME; nanosleep and
// clock_nanosleep (relative and TIMER_ABSTIME) wait at least as long as asked, EINVAL for bad
// nanoseconds; times and getrusage succeed and never go backwards.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

int main(void) {
    struct { clockid_t id; const char *name; } clocks[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"},
        {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"}, {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
        {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"}, {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
        {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"}, {CLOCK_BOOTTIME, "BOOTTIME"},
    };
    for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        struct timespec a, b, res = {-1, -1};
        long r1 = syscall(SYS_clock_gettime, clocks[i].id, &a);
        int backwards = 0;
        for (int k = 0; k < 100; k++) {
            syscall(SYS_clock_gettime, clocks[i].id, &b);
            if (ns(b) < ns(a)) backwards = 1;
            a = b;
        }
        long r2 = syscall(SYS_clock_getres, clocks[i].id, &res);
        printf("%s: gettime %ld, nsec ok %d, backwards %d; getres %ld, positive and <= 10 ms %d\n", clocks[i].name,
               r1, a.tv_nsec >= 0 && a.tv_nsec < 1000000000, backwards, r2,
               ns(res) > 0 && ns(res) <= 10000000);
    }
    struct timespec t;
    SHOW("clock_gettime unknown clock", syscall(SYS_clock_gettime, 12345, &t));
    SHOW("clock_getres unknown clock", syscall(SYS_clock_getres, 12345, &t));
    SHOW("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));

    struct timespec real;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &real);
    struct timeval tv;
    SHOW("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
    long long delta = (tv.tv_sec * 1000000LL + tv.tv_usec) - ns(real) / 1000;
    printf("  usec < 1e6 %d, within 1 s of CLOCK_REALTIME %d, after 2020 %d\n", tv.tv_usec >= 0 && tv.tv_usec < 1000000,
           delta > -1000000 && delta < 1000000, tv.tv_sec > 1577836800);
    time_t stored = 0;
    long now = syscall(SYS_time, &stored);
    printf("time: returned == stored %d, within 2 s of gettimeofday %d\n", now == (long)stored,
           now - tv.tv_sec >= -1 && now - tv.tv_sec <= 2);
    printf("time(NULL) after 2020: %d\n", syscall(SYS_time, NULL) > 1577836800);

    struct timespec before, after, request = {0, 30 * 1000 * 1000}, left = {-1, -1};
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &before);
    SHOW("nanosleep 30 ms", syscall(SYS_nanosleep, &request, &left));
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &after);
    printf("  waited >= 30 ms: %d\n", ns(after) - ns(before) >= 30000000);
    struct timespec bad = {0, 1000000000};
    SHOW("nanosleep bad nsec", syscall(SYS_nanosleep, &bad, NULL));
    struct timespec negative = {-1, 0};
    SHOW("nanosleep negative", syscall(SYS_nanosleep, &negative, NULL));

    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &before);
    SHOW("clock_nanosleep relative 30 ms", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &request, NULL));
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &after);
    printf("  waited >= 30 ms: %d\n", ns(after) - ns(before) >= 30000000);
    struct timespec deadline = after;
    deadline.tv_nsec += 25 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    SHOW("clock_nanosleep TIMER_ABSTIME +25 ms", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL));
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &after);
    printf("  now past the deadline: %d\n", ns(after) >= ns(deadline));
    SHOW("clock_nanosleep TIMER_ABSTIME in the past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &before, NULL));
    struct timespec real_deadline;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &real_deadline);
    real_deadline.tv_nsec = 0;
    real_deadline.tv_sec -= 1;
    SHOW("clock_nanosleep REALTIME abs in the past", syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &real_deadline, NULL));
    printf("clock_nanosleep bad nsec: %s\n", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL) == -1 && errno == EINVAL ? "EINVAL" : "other");

    struct tms t1, t2;
    long c1 = syscall(SYS_times, &t1);
    volatile double x = 0;
    for (int i = 0; i < 2000000; i++) x += i * 0.5;
    long c2 = syscall(SYS_times, &t2);
    printf("times: ok %d, ticks not backwards %d, user time not backwards %d\n", c1 != -1 && c2 != -1, c2 >= c1,
           t2.tms_utime >= t1.tms_utime);
    struct rusage u1, u2;
    long r1 = syscall(SYS_getrusage, RUSAGE_SELF, &u1);
    for (int i = 0; i < 2000000; i++) x += i * 0.5;
    long r2 = syscall(SYS_getrusage, RUSAGE_SELF, &u2);
    printf("getrusage SELF: %ld %ld, user time not backwards %d, usec < 1e6 %d, maxrss > 0 %d\n", r1, r2,
           u2.ru_utime.tv_sec * 1000000LL + u2.ru_utime.tv_usec >= u1.ru_utime.tv_sec * 1000000LL + u1.ru_utime.tv_usec,
           u2.ru_utime.tv_usec < 1000000, u2.ru_maxrss > 0);
    SHOW("getrusage CHILDREN", syscall(SYS_getrusage, RUSAGE_CHILDREN, &u1));
    printf("  children user time zero: %d\n", u1.ru_utime.tv_sec == 0 && u1.ru_utime.tv_usec == 0);
    SHOW("getrusage THREAD", syscall(SYS_getrusage, 1, &u1));
    SHOW("getrusage bad who", syscall(SYS_getrusage, 12345, &u1));
    return 0;
}
