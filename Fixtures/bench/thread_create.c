// Threads: create and join a thread `count` times in a row (argv[1], default 10000), one at
// a time, each running an empty function, after a short warm-up. Reports the time per
// create + join pair.
#include <pthread.h>
#include <stdlib.h>
#include "bench.h"

static void *empty(void *argument) { return argument; }

static int create_and_join(long count) {
    for (long i = 0; i < count; i++) {
        pthread_t thread;
        void *result;
        if (pthread_create(&thread, NULL, empty, (void *)i) != 0) return 1;
        if (pthread_join(thread, &result) != 0 || result != (void *)i) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 10000;
    if (create_and_join(100)) return 2;
    uint64_t t0 = bench_now_ns();
    if (create_and_join(count)) return 2;
    uint64_t t1 = bench_now_ns();
    bench_report("ns_per_thread", (double)(t1 - t0) / count);
    bench_report("seconds", (t1 - t0) / 1e9);
    return 0;
}
