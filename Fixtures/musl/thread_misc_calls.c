// Checks the thread calls the other fixtures leave out, each by number: futex_waitv wakes on
// any of its words and returns that word's index, fails with EAGAIN when a word differs and
// with ETIMEDOUT at its absolute CLOCK_MONOTONIC deadline; pause returns -1 EINTR once a signal
// handler ran in that thread; sched_setaffinity to CPU 0 alone is what sched_getaffinity then
// reports, and an empty mask is EINVAL; set_robust_list/get_robust_list round-trip a head of
// the kernel's size (24 bytes), and get_robust_list of an unknown thread is ESRCH;
// membarrier's private expedited barrier needs its registration (EPERM before, then 0, also
// with a second thread running), a global barrier succeeds and unknown commands or flags are
// EINVAL; rt_tgsigqueueinfo gives a thread a signal with the caller's si_code and value.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

struct one_waitv { uint64_t val; uint64_t uaddr; uint32_t flags; uint32_t reserved; };
#define WAITV_U32 2
#define WAITV_PRIVATE 128
#define WAKE_PRIVATE 129  // FUTEX_WAKE | FUTEX_PRIVATE_FLAG

static uint32_t words[2];
static long waitv_result = -100;
static int waitv_errno;
static volatile int waiter_started;

static void *waitv_thread(void *arg) {
    (void)arg;
    struct one_waitv list[2] = {
        { 0, (uint64_t)(uintptr_t)&words[0], WAITV_U32 | WAITV_PRIVATE, 0 },
        { 0, (uint64_t)(uintptr_t)&words[1], WAITV_U32 | WAITV_PRIVATE, 0 },
    };
    __atomic_store_n(&waiter_started, 1, __ATOMIC_SEQ_CST);
    // The waker sets the second word to 1 only while it tries a wake: a wait that meets that
    // value (EAGAIN) is simply made again.
    do {
        waitv_result = syscall(SYS_futex_waitv, list, 2, 0, NULL, 0);
        waitv_errno = waitv_result < 0 ? errno : 0;
    } while (waitv_result < 0 && waitv_errno == EAGAIN);
    return NULL;
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled = 1; }
static long pause_result;
static int pause_errno;
static volatile int pauser_started;
static int pause_returned;

static void *pause_thread(void *arg) {
    (void)arg;
    __atomic_store_n(&pauser_started, 1, __ATOMIC_SEQ_CST);
    pause_result = syscall(SYS_pause);
    pause_errno = errno;
    __atomic_store_n(&pause_returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int spin_stop;
static void *spin_thread(void *argument) {
    (void)argument;
    while (!__atomic_load_n(&spin_stop, __ATOMIC_SEQ_CST)) {}
    return NULL;
}

static volatile sig_atomic_t queued_code, queued_value;
static void on_queued(int signal, siginfo_t *info, void *context) {
    (void)signal; (void)context;
    queued_code = info->si_code;
    queued_value = info->si_value.sival_int;
}

int main(void) {
    // futex_waitv: a thread waits on two words; waking the second returns index 1. The waker
    // retries until the waiter is really queued (FUTEX_WAKE reports how many it woke).
    pthread_t t;
    pthread_create(&t, NULL, waitv_thread, NULL);
    while (!__atomic_load_n(&waiter_started, __ATOMIC_SEQ_CST)) sched_yield();
    long woken = 0;
    for (int i = 0; i < 10000 && woken == 0; i++) {
        __atomic_store_n(&words[1], 1, __ATOMIC_SEQ_CST);
        woken = syscall(SYS_futex, &words[1], WAKE_PRIVATE, 1, NULL, NULL, 0);
        if (woken == 0) { __atomic_store_n(&words[1], 0, __ATOMIC_SEQ_CST); usleep(1000); }
    }
    pthread_join(t, NULL);
    printf("futex_waitv woken by the second word: result %ld errno %d (woke %ld)\n", waitv_result, waitv_errno, woken);

    words[0] = 5;
    struct one_waitv differs[1] = { { 4, (uint64_t)(uintptr_t)&words[0], WAITV_U32 | WAITV_PRIVATE, 0 } };
    long r = syscall(SYS_futex_waitv, differs, 1, 0, NULL, 0);
    printf("futex_waitv, value differs: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    struct one_waitv same[1] = { { 5, (uint64_t)(uintptr_t)&words[0], WAITV_U32 | WAITV_PRIVATE, 0 } };
    r = syscall(SYS_futex_waitv, same, 1, 0, &deadline, CLOCK_MONOTONIC);
    printf("futex_waitv, 20 ms deadline: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    r = syscall(SYS_futex_waitv, same, 1, 1, NULL, 0);
    printf("futex_waitv, flags 1: %ld %s\n", r, r < 0 ? strerror(errno) : "");

    // pause: returns -1 EINTR after the handler ran in that thread.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_create(&t, NULL, pause_thread, NULL);
    while (!__atomic_load_n(&pauser_started, __ATOMIC_SEQ_CST)) sched_yield();
    // Until pause returned: a signal that lands before the thread is in pause runs the handler
    // there and leaves pause waiting for the next one.
    for (int i = 0; i < 10000 && !__atomic_load_n(&pause_returned, __ATOMIC_SEQ_CST); i++) {
        pthread_kill(t, SIGUSR1);
        usleep(1000);
    }
    pthread_join(t, NULL);
    printf("pause: %ld %s, handler ran: %d\n", pause_result, strerror(pause_errno), (int)handled);

    // sched_setaffinity: CPU 0 alone, then an empty mask.
    cpu_set_t set, now;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    r = syscall(SYS_sched_setaffinity, 0, sizeof set, &set);
    CPU_ZERO(&now);
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof now, &now);
    printf("sched_setaffinity {0}: %ld; then getaffinity: %s, count %d, cpu 0 set: %d\n", r,
           bytes > 0 ? "ok" : "failed", CPU_COUNT(&now), CPU_ISSET(0, &now) ? 1 : 0);
    CPU_ZERO(&set);
    r = syscall(SYS_sched_setaffinity, 0, sizeof set, &set);
    printf("sched_setaffinity {}: %ld %s\n", r, r < 0 ? strerror(errno) : "");

    // Robust lists: our own head round-trips; an unknown thread is ESRCH.
    static struct { void *next; long offset; void *pending; } head = { &head, 0, NULL };
    void *old_head = NULL;
    size_t old_length = 0;
    syscall(SYS_get_robust_list, 0, &old_head, &old_length);
    r = syscall(SYS_set_robust_list, &head, sizeof head);
    void *got = NULL;
    size_t length = 0;
    long g = syscall(SYS_get_robust_list, 0, &got, &length);
    printf("set_robust_list: %ld; get_robust_list: %ld, same head: %d, length %zu\n", r, g, got == (void *)&head, length);
    r = syscall(SYS_set_robust_list, &head, sizeof head + 1);
    printf("set_robust_list with another size: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    r = syscall(SYS_get_robust_list, 0x3fffffff, &got, &length);
    printf("get_robust_list of no thread: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    if (old_length) syscall(SYS_set_robust_list, old_head, old_length);

    // membarrier (the query's answer differs by kernel: not printed).
    long query = syscall(SYS_membarrier, 0 /* QUERY */, 0, 0);
    printf("membarrier query offers PRIVATE_EXPEDITED: %s\n", query >= 0 && (query & 8) ? "yes" : "no");
    errno = 0;
    r = syscall(SYS_membarrier, 8 /* PRIVATE_EXPEDITED */, 0, 0);
    printf("membarrier PRIVATE_EXPEDITED unregistered: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    printf("membarrier REGISTER_PRIVATE_EXPEDITED: %ld\n", syscall(SYS_membarrier, 16, 0, 0));
    pthread_t spinner;
    __atomic_store_n(&spin_stop, 0, __ATOMIC_SEQ_CST);
    pthread_create(&spinner, NULL, spin_thread, NULL);
    printf("membarrier PRIVATE_EXPEDITED with a thread running: %ld\n", syscall(SYS_membarrier, 8, 0, 0));
    printf("membarrier GLOBAL: %ld\n", syscall(SYS_membarrier, 1 /* GLOBAL */, 0, 0));
    __atomic_store_n(&spin_stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(spinner, NULL);
    errno = 0;
    r = syscall(SYS_membarrier, 1 << 20, 0, 0);
    printf("membarrier unknown command: %ld %s\n", r, r < 0 ? strerror(errno) : "");
    errno = 0;
    r = syscall(SYS_membarrier, 8, 2, 0);
    printf("membarrier unknown flags: %ld %s\n", r, r < 0 ? strerror(errno) : "");

    // rt_tgsigqueueinfo to this thread: the handler sees the caller's code and value.
    struct sigaction queued = {0};
    queued.sa_sigaction = on_queued;
    queued.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &queued, NULL);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR2;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_int = 31;
    r = syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2, &info);
    printf("rt_tgsigqueueinfo: %ld; handler saw SI_QUEUE %s, value %d\n", r, queued_code == SI_QUEUE ? "yes" : "no",
           (int)queued_value);
    return 0;
}
