// Checks that threads make progress without blocking calls: two threads taking strict turns
// through an atomic variable with sched_yield (1000 turns each), a thread busy-waiting on an
// atomic flag (no syscalls) that another thread sets after its own work, 4 threads calling
// sched_yield 2000 times each, and a spinning waiter while the other thread sleeps. Also
// sched_getaffinity (prints only "cpus>=1") and getcpu/sched_getcpu (a CPU in that set).
// conformance-timeout: 60
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int turn;
static long turns_taken[2];

static void *take_turns(void *arg) {
    int me = (int)(long)arg;
    long yields = 0;
    for (int i = 0; i < 1000; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me && yields < 100000000) {
            sched_yield();
            yields++;
        }
        turns_taken[me]++;
        __atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
    }
    return NULL;
}

static int flag;
static long work_result;

static void *setter(void *arg) {
    (void)arg;
    long sum = 0;
    for (long i = 1; i <= 1000000; i++) sum += i % 7;
    work_result = sum;
    __atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *yielder(void *arg) {
    long *count = arg;
    for (int i = 0; i < 2000; i++) {
        if (sched_yield() == 0) ++*count;
    }
    return NULL;
}

static void *sleepy_setter(void *arg) {
    (void)arg;
    struct timespec ms20 = {0, 20 * 1000000};
    nanosleep(&ms20, NULL);
    __atomic_store_n(&flag, 2, __ATOMIC_RELEASE);
    return NULL;
}

/* Spins (bounded by about 10 s of wall time) until the flag has `value`. */
static int spin_until(int value) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned long i = 0;; i++) {
        if (__atomic_load_n(&flag, __ATOMIC_ACQUIRE) == value) return 1;
        if ((i & 0xfffff) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec > 10) return 0;
        }
        __asm__ volatile("pause");
    }
}

int main(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, take_turns, (void *)0L);
    pthread_create(&b, NULL, take_turns, (void *)1L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("turn taking with sched_yield: %ld and %ld turns\n", turns_taken[0], turns_taken[1]);

    pthread_create(&a, NULL, setter, NULL);
    int seen = spin_until(1);
    pthread_join(a, NULL);
    printf("busy-wait on an atomic flag: seen=%d, the setter's work=%ld\n", seen, work_result);

    pthread_create(&a, NULL, sleepy_setter, NULL);
    seen = spin_until(2);
    pthread_join(a, NULL);
    printf("busy-wait while the setter sleeps 20 ms: seen=%d\n", seen);

    pthread_t yielders[4];
    long counts[4] = {0};
    for (int i = 0; i < 4; i++) pthread_create(&yielders[i], NULL, yielder, &counts[i]);
    for (int i = 0; i < 4; i++) pthread_join(yielders[i], NULL);
    printf("4 threads x 2000 sched_yield: %ld %ld %ld %ld succeeded\n", counts[0], counts[1], counts[2], counts[3]);

    cpu_set_t set;
    CPU_ZERO(&set);
    int r = sched_getaffinity(0, sizeof set, &set);
    printf("sched_getaffinity: %d, cpus>=1: %s\n", r, CPU_COUNT(&set) >= 1 ? "yes" : "no");
    unsigned cpu = ~0u, node = ~0u;
    long g = syscall(SYS_getcpu, &cpu, &node, NULL);
    printf("getcpu: %ld, cpu in the affinity set: %s\n", g, cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set) ? "yes" : "no");
    int c = sched_getcpu();
    printf("sched_getcpu: cpu in the affinity set: %s\n", c >= 0 && c < CPU_SETSIZE && CPU_ISSET(c, &set) ? "yes" : "no");
    return 0;
}
