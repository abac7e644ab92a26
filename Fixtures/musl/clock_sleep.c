// Checks clock_gettime and nanosleep, printing only deterministic facts: CLOCK_MONOTONIC
// never goes backwards, CLOCK_REALTIME is after 2020, nanoseconds stay below 1e9,
// clock_getres works, and a 20 ms nanosleep takes at least 20 ms by both clocks.
// conformance-libcs: musl glibc
#include <stdio.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec previous, now, real;
    clock_gettime(CLOCK_MONOTONIC, &previous);
    int backwards = 0, bad_nsec = 0;
    for (int i = 0; i < 1000; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) { printf("clock_gettime failed\n"); return 1; }
        if (ns(now) < ns(previous)) backwards++;
        if (now.tv_nsec < 0 || now.tv_nsec >= 1000000000) bad_nsec++;
        previous = now;
    }
    printf("monotonic non-decreasing over 1000 reads: %s\n", backwards == 0 ? "yes" : "no");
    printf("tv_nsec in range: %s\n", bad_nsec == 0 ? "yes" : "no");
    clock_gettime(CLOCK_REALTIME, &real);
    printf("realtime after 2020: %s\n", real.tv_sec > 1577836800 ? "yes" : "no");
    struct timespec resolution;
    printf("clock_getres(MONOTONIC): %d, at most 1 ms: %s\n", clock_getres(CLOCK_MONOTONIC, &resolution),
           resolution.tv_sec == 0 && resolution.tv_nsec <= 1000000 ? "yes" : "no");
    struct timespec before, after, real_before, real_after;
    struct timespec request = {0, 20 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    clock_gettime(CLOCK_REALTIME, &real_before);
    int result = nanosleep(&request, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    clock_gettime(CLOCK_REALTIME, &real_after);
    printf("nanosleep(20 ms) = %d\n", result);
    printf("monotonic elapsed >= 20 ms: %s\n", ns(after) - ns(before) >= 20000000 ? "yes" : "no");
    printf("realtime elapsed >= 19 ms: %s\n", ns(real_after) - ns(real_before) >= 19000000 ? "yes" : "no");
    struct timespec zero = {0, 0};
    printf("nanosleep(0) = %d\n", nanosleep(&zero, NULL));
    time_t t = time(NULL);
    printf("time() agrees with realtime: %s\n", t >= real.tv_sec && t - real_after.tv_sec <= 2 ? "yes" : "no");
    return 0;
}
