// Checks CPU-time accounting as Linux keeps it: the process's CPU clock advances while a thread
// computes and not while it sleeps; a thread's clock (CLOCK_THREAD_CPUTIME_ID and
// pthread_getcpuclockid) counts that thread only; clock(), times(), getrusage (RUSAGE_SELF
// and RUSAGE_THREAD) and /proc/self/stat's utime agree with the clocks; the clock of the
// process by pid (clock_getcpuclockid) reads; ITIMER_VIRTUAL and a POSIX timer on
// CLOCK_PROCESS_CPUTIME_ID fire after CPU time, not during a sleep. Every loop is bounded by
// the wall clock.
// conformance-libcs: musl glibc
// conformance-ldflags: -lrt -pthread
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static volatile sig_atomic_t virtualAlarms, cpuTimerSignals;
static void onVirtualAlarm(int signal) { (void)signal; virtualAlarms++; }
static void onCPUTimer(int signal) { (void)signal; cpuTimerSignals++; }

static long long nanoseconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/// Computes until `clock` advanced `amount` nanoseconds (at most 10 s of wall time).
static int spin(clockid_t clock, long long amount) {
    long long start = nanoseconds(clock), wallEnd = nanoseconds(CLOCK_MONOTONIC) + 10000000000LL;
    volatile unsigned long sink = 0;
    while (nanoseconds(clock) - start < amount) {
        for (int i = 0; i < 10000; i++) sink += i;
        if (nanoseconds(CLOCK_MONOTONIC) > wallEnd) return 0;
    }
    return 1;
}

static void *worker(void *argument) {
    (void)argument;
    return (void *)(long)spin(CLOCK_THREAD_CPUTIME_ID, 100000000LL);
}

static long procStatUtime(void) {
    FILE *file = fopen("/proc/self/stat", "r");
    if (!file) return -1;
    char line[1024];
    long utime = -1;
    if (fgets(line, sizeof line, file)) {
        char *field = strrchr(line, ')');
        // After "pid (comm)": state is field 3, utime field 14.
        for (int index = 2; field && index < 14; index++) field = strchr(field + 1, ' ');
        if (field) utime = atol(field + 1);
    }
    fclose(file);
    return utime;
}

int main(void) {
    long long process0 = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    printf("computing until the process clock advanced 200 ms: %s\n", yesno(spin(CLOCK_PROCESS_CPUTIME_ID, 200000000LL)));
    long long process1 = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    printf("the thread clock advanced with it: %s\n", yesno(nanoseconds(CLOCK_THREAD_CPUTIME_ID) >= 200000000LL));

    struct timespec nap = {0, 300000000};
    nanosleep(&nap, NULL);
    long long process2 = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    printf("sleeping 300 ms used less than 50 ms of CPU time: %s\n", yesno(process2 - process1 < 50000000LL));

    pthread_t thread;
    pthread_create(&thread, NULL, worker, NULL);
    clockid_t threadClock;
    int clockResult = pthread_getcpuclockid(thread, &threadClock);
    // Only the join is measured (creating a thread costs the creator CPU time of its own).
    long long mainBefore = nanoseconds(CLOCK_THREAD_CPUTIME_ID);
    void *reached = NULL;
    pthread_join(thread, &reached);
    long long mainAfter = nanoseconds(CLOCK_THREAD_CPUTIME_ID);
    long long process3 = nanoseconds(CLOCK_PROCESS_CPUTIME_ID);
    printf("a thread computed 100 ms of its own clock: %s (pthread_getcpuclockid %d)\n", yesno(reached != NULL), clockResult);
    printf("the process clock counts it: %s; the joining thread's clock does not: %s\n",
           yesno(process3 - process2 >= 100000000LL), yesno(mainAfter - mainBefore < 50000000LL));

    clockid_t own;
    printf("clock_getcpuclockid(0): %d, reads at least 300 ms: %s\n", clock_getcpuclockid(0, &own),
           yesno(nanoseconds(own) >= 300000000LL));
    pthread_getcpuclockid(pthread_self(), &threadClock);
    printf("pthread_getcpuclockid(self) reads the thread clock: %s\n", yesno(nanoseconds(threadClock) >= 200000000LL));

    struct rusage self, mine;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_THREAD, &mine);
    long long selfUs = self.ru_utime.tv_sec * 1000000LL + self.ru_utime.tv_usec + self.ru_stime.tv_sec * 1000000LL + self.ru_stime.tv_usec;
    long long mineUs = mine.ru_utime.tv_sec * 1000000LL + mine.ru_utime.tv_usec + mine.ru_stime.tv_sec * 1000000LL + mine.ru_stime.tv_usec;
    printf("getrusage: self at least 300 ms %s, this thread between 200 ms and self %s\n",
           yesno(selfUs >= 300000), yesno(mineUs >= 200000 && mineUs <= selfUs + 10000));
    struct tms counts;
    times(&counts);
    long hz = sysconf(_SC_CLK_TCK);
    printf("times: user + system at least 0.25 s %s\n", yesno(counts.tms_utime + counts.tms_stime >= hz / 4));
    printf("clock(): at least 0.25 s %s\n", yesno(clock() >= CLOCKS_PER_SEC / 4));
    printf("/proc/self/stat utime at least 0.2 s %s\n", yesno(procStatUtime() >= 2 * hz / 10));
    (void)process0;

    // CPU-time timers: nothing during a sleep, a signal once the process computed enough.
    signal(SIGVTALRM, onVirtualAlarm);
    signal(SIGUSR2, onCPUTimer);
    struct itimerval virtualTimer = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_VIRTUAL, &virtualTimer, NULL);
    struct sigevent event = {0};
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGUSR2;
    timer_t cpuTimer;
    timer_create(CLOCK_PROCESS_CPUTIME_ID, &event, &cpuTimer);
    struct itimerspec cpuValue = {{0, 0}, {0, 100000000}};
    timer_settime(cpuTimer, 0, &cpuValue, NULL);
    nanosleep(&nap, NULL);
    printf("CPU-time timers during a 300 ms sleep: SIGVTALRM %d, timer signal %d\n", (int)virtualAlarms, (int)cpuTimerSignals);
    long long wallEnd = nanoseconds(CLOCK_MONOTONIC) + 10000000000LL;
    volatile unsigned long sink = 0;
    while ((!virtualAlarms || !cpuTimerSignals) && nanoseconds(CLOCK_MONOTONIC) < wallEnd) {
        for (int i = 0; i < 10000; i++) sink += i;
    }
    printf("after computing: SIGVTALRM %d, timer signal %d\n", (int)virtualAlarms, (int)cpuTimerSignals);
    timer_delete(cpuTimer);
    return 0;
}
