// Threads: futex ping-pong. Two threads hand a turn back and forth `rounds` times
// (argv[1], default 100000) through one futex word: the main thread sets it to 1 and wakes,
// the partner waits while it is 0, sets it back to 0 and wakes, and the main thread waits
// while it is 1. Raw syscall(SYS_futex), FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE, no spinning.
// Reports the time per round trip (two hand-overs) after a short warm-up.
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

// From <linux/futex.h> (which musl-gcc does not see).
enum { FUTEX_WAIT_PRIVATE_OP = 0 | 128, FUTEX_WAKE_PRIVATE_OP = 1 | 128 };

static _Atomic int turn;
static long total_rounds;

static void futex_wait(_Atomic int *word, int value) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE_OP, value, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *word) {
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE_OP, 1, NULL, NULL, 0);
}

static void *partner(void *unused) {
    (void)unused;
    for (long i = 0; i < total_rounds; i++) {
        while (atomic_load(&turn) == 0) futex_wait(&turn, 0);
        atomic_store(&turn, 0);
        futex_wake(&turn);
    }
    return NULL;
}

static void ping(long rounds) {
    for (long i = 0; i < rounds; i++) {
        atomic_store(&turn, 1);
        futex_wake(&turn);
        while (atomic_load(&turn) == 1) futex_wait(&turn, 1);
    }
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 100000, warmup = 1000;
    total_rounds = warmup + rounds;
    pthread_t thread;
    if (pthread_create(&thread, NULL, partner, NULL) != 0) return 2;
    ping(warmup);
    uint64_t t0 = bench_now_ns();
    ping(rounds);
    uint64_t t1 = bench_now_ns();
    pthread_join(thread, NULL);
    bench_report("ns_per_roundtrip", (double)(t1 - t0) / rounds);
    bench_report("seconds", (t1 - t0) / 1e9);
    return 0;
}
