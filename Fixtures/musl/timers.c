// Checks the process's timers as Linux runs them: alarm (seconds left, SIGALRM with
// SI_KERNEL), setitimer/getitimer (a periodic ITIMER_REAL, its period read back, disarming
// returns the old value, malformed values EINVAL), POSIX timers (SIGEV_SIGNAL with a value
// and SI_TIMER, overruns of a blocked signal, SIGEV_NONE's time left, TIMER_ABSTIME,
// SIGEV_THREAD running a function in a thread, deleted ids EINVAL), timerfd (periodic
// expirations by read, poll and epoll readiness, EAGAIN when non-blocking, an absolute time
// already past, disarming, bad sizes and flags EINVAL) and sigqueue's value (SI_QUEUE).
// Every wait is bounded.
// conformance-libcs: musl glibc
// conformance-ldflags: -lrt -pthread
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

/// Prints `label: result errno-name`, errno read after the call.
#define SHOW(label, call) do { errno = 0; long result_ = (long)(call); int error_ = errno; \
    printf("%s: %ld %s\n", label, result_, result_ < 0 ? errname(error_) : "-"); } while (0)

static volatile sig_atomic_t alarms, alarmCode, queuedCode, queuedValue, queuedFromSelf;

static void onAlarm(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)context;
    alarms++;
    alarmCode = info->si_code;
}

static void onQueued(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)context;
    queuedCode = info->si_code;
    queuedValue = info->si_value.sival_int;
    queuedFromSelf = info->si_pid == getpid();
}

static void sleepMilliseconds(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

/// Waits (bounded) until at least `count` SIGALRMs arrived.
static int waitForAlarms(int count) {
    for (int i = 0; i < 400 && alarms < count; i++) sleepMilliseconds(5);
    return alarms >= count;
}

static void checkAlarm(void) {
    printf("alarm(5) first: %u\n", alarm(5));
    unsigned left = alarm(0);
    printf("alarm(0) after alarm(5): %u\n", left);
    alarms = 0;
    alarm(1);
    int arrived = waitForAlarms(1);
    printf("alarm(1): SIGALRM arrived %s, si_code SI_KERNEL %s\n", yesno(arrived), yesno(alarmCode == SI_KERNEL));
}

static void checkItimer(void) {
    struct itimerval value = {{0, 20000}, {0, 20000}}, old, now;
    alarms = 0;
    printf("setitimer(ITIMER_REAL, 20 ms periodic): %d\n", setitimer(ITIMER_REAL, &value, NULL));
    getitimer(ITIMER_REAL, &now);
    printf("getitimer: period %ld us, value set %s\n", (long)now.it_interval.tv_usec,
           yesno(now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 20000));
    int arrived = waitForAlarms(5);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, &old);
    printf("five periodic SIGALRMs: %s; old period %ld us; disarmed: ", yesno(arrived), (long)old.it_interval.tv_usec);
    getitimer(ITIMER_REAL, &now);
    printf("%s\n", yesno(now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0));
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    SHOW("setitimer with 1000000 us", setitimer(ITIMER_REAL, &bad, NULL));
    SHOW("getitimer(7)", getitimer(7, &now));
}

static void checkPosixTimers(void) {
    int signal = SIGRTMIN + 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    sigprocmask(SIG_BLOCK, &set, NULL);

    struct sigevent event = {0};
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = signal;
    event.sigev_value.sival_int = 42;
    timer_t timer;
    printf("timer_create(CLOCK_MONOTONIC, SIGEV_SIGNAL): %d\n", timer_create(CLOCK_MONOTONIC, &event, &timer));
    struct itimerspec once = {{0, 0}, {0, 10000000}};
    timer_settime(timer, 0, &once, NULL);
    struct timespec limit = {2, 0};
    siginfo_t info;
    int got = sigtimedwait(&set, &info, &limit);
    printf("one-shot: signal %s, SI_TIMER %s, value %d\n", yesno(got == signal), yesno(info.si_code == SI_TIMER),
           info.si_value.sival_int);

    // A periodic 1 ms timer whose signal stays blocked: one signal, the rest as overruns.
    struct itimerspec fast = {{0, 1000000}, {0, 1000000}};
    timer_settime(timer, 0, &fast, NULL);
    sleepMilliseconds(60);
    got = sigtimedwait(&set, &info, &limit);
    int overrun = timer_getoverrun(timer);
    struct itimerspec off = {{0, 0}, {0, 0}}, old;
    timer_settime(timer, 0, &off, &old);
    printf("periodic while blocked: one signal %s, si_overrun >= 10 %s, timer_getoverrun >= 10 %s, old period %ld ns\n",
           yesno(got == signal), yesno(info.si_overrun >= 10), yesno(overrun >= 10), old.it_interval.tv_nsec);
    struct timespec none = {0, 0};
    // A signal of an expiry before the disarming may still be pending (Linux 6.1 keeps it, newer
    // kernels take it back): consumed, not printed.
    sigtimedwait(&set, &info, &none);

    // TIMER_ABSTIME on CLOCK_REALTIME, 20 ms ahead.
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec += 20000000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    timer_t wall;
    event.sigev_value.sival_int = 7;
    timer_create(CLOCK_REALTIME, &event, &wall);
    struct itimerspec at = {{0, 0}, now};
    printf("TIMER_ABSTIME: %d", timer_settime(wall, TIMER_ABSTIME, &at, NULL));
    got = sigtimedwait(&set, &info, &limit);
    printf(", signal %s with value %d\n", yesno(got == signal), info.si_value.sival_int);
    timer_delete(wall);

    // SIGEV_NONE: nothing is sent; timer_gettime shows the time left.
    struct sigevent quiet = {0};
    quiet.sigev_notify = SIGEV_NONE;
    timer_t silent;
    timer_create(CLOCK_MONOTONIC, &quiet, &silent);
    struct itimerspec long_ = {{0, 0}, {5, 0}}, left;
    timer_settime(silent, 0, &long_, NULL);
    timer_gettime(silent, &left);
    printf("SIGEV_NONE: time left in (4 s, 5 s] %s\n", yesno(left.it_value.tv_sec == 4 || (left.it_value.tv_sec == 5 && left.it_value.tv_nsec == 0)));
    timer_delete(silent);
    timer_delete(timer);
    SHOW("timer_gettime of a deleted timer", timer_gettime(timer, &left));
    struct sigevent badEvent = {0};
    badEvent.sigev_notify = SIGEV_SIGNAL;
    badEvent.sigev_signo = 99;
    timer_t unused;
    SHOW("timer_create with signal 99", timer_create(CLOCK_MONOTONIC, &badEvent, &unused));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static atomic_int threadRuns;
static atomic_int threadValue;

static void threadNotify(union sigval value) {
    atomic_store(&threadValue, value.sival_int);
    atomic_fetch_add(&threadRuns, 1);
}

static void checkThreadTimer(void) {
    struct sigevent event = {0};
    event.sigev_notify = SIGEV_THREAD;
    event.sigev_notify_function = threadNotify;
    event.sigev_value.sival_int = 99;
    timer_t timer;
    int created = timer_create(CLOCK_MONOTONIC, &event, &timer);
    struct itimerspec once = {{0, 0}, {0, 10000000}};
    timer_settime(timer, 0, &once, NULL);
    for (int i = 0; i < 400 && atomic_load(&threadRuns) == 0; i++) sleepMilliseconds(5);
    printf("SIGEV_THREAD: created %d, function ran %s with value %d\n", created, yesno(atomic_load(&threadRuns) >= 1),
           atomic_load(&threadValue));
    timer_delete(timer);
}

static void checkTimerfd(void) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    printf("timerfd_create: %s\n", yesno(fd >= 0));
    unsigned long long count = 0;
    SHOW("read before arming", read(fd, &count, sizeof count));
    struct itimerspec periodic = {{0, 5000000}, {0, 5000000}}, value;
    printf("timerfd_settime 5 ms periodic: %d\n", timerfd_settime(fd, 0, &periodic, NULL));
    struct pollfd entry = {fd, POLLIN, 0};
    int ready = poll(&entry, 1, 2000);
    printf("poll: %d, POLLIN %s\n", ready, yesno(entry.revents & POLLIN));
    sleepMilliseconds(30);
    ssize_t got = read(fd, &count, sizeof count);
    printf("read: %zd bytes, expirations >= 5 %s\n", got, yesno(count >= 5));
    // Set again to a 1 s period (which clears the count): nothing has expired since.
    struct itimerspec slow = {{1, 0}, {1, 0}};
    timerfd_settime(fd, 0, &slow, NULL);
    SHOW("read again at once", read(fd, &count, sizeof count));
    timerfd_gettime(fd, &value);
    printf("timerfd_gettime: period %ld s, value in (0, 1 s] %s\n", (long)value.it_interval.tv_sec,
           yesno(value.it_value.tv_sec == 1 ? value.it_value.tv_nsec == 0 : value.it_value.tv_sec == 0 && value.it_value.tv_nsec > 0));

    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event watch = {.events = EPOLLIN, .data.u32 = 5}, event;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &watch);
    int events = epoll_wait(epoll, &event, 1, 3000);
    printf("epoll_wait: %d, data %u, EPOLLIN %s\n", events, event.data.u32, yesno(event.events & EPOLLIN));
    close(epoll);

    struct itimerspec off = {{0, 0}, {0, 0}};
    timerfd_settime(fd, 0, &off, NULL);
    timerfd_gettime(fd, &value);
    printf("disarmed: value zero %s\n", yesno(value.it_value.tv_sec == 0 && value.it_value.tv_nsec == 0));
    SHOW("read after disarming", read(fd, &count, sizeof count));

    // An absolute time already past expires at once.
    struct itimerspec past = {{0, 0}, {1, 0}};
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &past, NULL);
    entry.revents = 0;
    poll(&entry, 1, 2000);
    got = read(fd, &count, sizeof count);
    printf("TFD_TIMER_ABSTIME in the past: read %zd, count %llu\n", got, count);

    unsigned small = 0;
    SHOW("read of 4 bytes", read(fd, &small, sizeof small));
    SHOW("write", write(fd, &count, sizeof count));
    SHOW("timerfd_settime with flags 8", timerfd_settime(fd, 8, &off, NULL));
    SHOW("timerfd_settime on a pipe", timerfd_settime(0, 0, &off, NULL));
    SHOW("timerfd_create(CLOCK_PROCESS_CPUTIME_ID)", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    close(fd);

    // A blocking read waits for the next expiry.
    int blocking = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec once = {{0, 0}, {0, 10000000}};
    timerfd_settime(blocking, 0, &once, NULL);
    got = read(blocking, &count, sizeof count);
    printf("blocking read: %zd bytes, count %llu\n", got, count);
    close(blocking);
}

static void checkSigqueue(void) {
    union sigval value = {.sival_int = 7};
    printf("sigqueue(self, SIGUSR1, 7): %d", sigqueue(getpid(), SIGUSR1, value));
    printf("; handler saw SI_QUEUE %s, value %d, own pid %s\n", yesno(queuedCode == SI_QUEUE), (int)queuedValue,
           yesno(queuedFromSelf));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction action = {0};
    action.sa_sigaction = onAlarm;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    action.sa_sigaction = onQueued;
    sigaction(SIGUSR1, &action, NULL);

    checkAlarm();
    checkItimer();
    checkPosixTimers();
    checkThreadTimer();
    checkTimerfd();
    checkSigqueue();
    return 0;
}
