// Checks condition variables between threads: a bounded producer/consumer queue (signal on
// each change, 2 producers and 2 consumers, every item consumed once), a broadcast that wakes
// all 4 waiters, pthread_cond_timedwait that times out (ETIMEDOUT, the clock at or past the
// deadline) with the default CLOCK_REALTIME and with CLOCK_MONOTONIC set through
// pthread_condattr_setclock, a deadline already past, and a timed wait signalled long before
// its deadline (returns 0).
// conformance-libcs: musl glibc
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static const char *name(int e) {
    switch (e) {
    case 0: return "0";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
enum { capacity = 4, items_per_producer = 500 };
static int queue[capacity];
static int head, count, producers_left = 2;

static void *producer(void *arg) {
    int base = (int)(long)arg;
    for (int i = 1; i <= items_per_producer; i++) {
        pthread_mutex_lock(&lock);
        while (count == capacity) pthread_cond_wait(&not_full, &lock);
        queue[(head + count) % capacity] = base + i;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    producers_left--;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg) {
    long *sum = arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (count == 0 && producers_left > 0) pthread_cond_wait(&not_empty, &lock);
        if (count == 0) break;
        *sum += queue[head];
        sum[1]++;
        head = (head + 1) % capacity;
        count--;
        pthread_cond_signal(&not_full);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int waiting, open_gate, woken;

static void *gate_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    waiting++;
    pthread_cond_broadcast(&not_empty); /* tells main one more waiter arrived */
    while (!open_gate) pthread_cond_wait(&gate, &lock);
    woken++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static struct timespec after(clockid_t clock, long ms) {
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) { t.tv_sec++; t.tv_nsec -= 1000000000; }
    return t;
}

static int reached(clockid_t clock, struct timespec deadline) {
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void timed_out_wait(pthread_cond_t *cond, clockid_t clock, const char *label) {
    struct timespec deadline = after(clock, 30);
    pthread_mutex_lock(&lock);
    int r;
    int calls = 0;
    do { /* spurious wakeups are allowed: wait again until the deadline */
        r = pthread_cond_timedwait(cond, &lock, &deadline);
        calls++;
    } while (r == 0 && calls < 100);
    pthread_mutex_unlock(&lock);
    printf("%s: timedwait 30 ms: %s, clock at or past the deadline: %s\n", label, name(r), reached(clock, deadline) ? "yes" : "no");
}

static pthread_cond_t signalled = PTHREAD_COND_INITIALIZER;
static int ready;

static void *signaller(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_signal(&signalled);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void) {
    pthread_t threads[4];
    long sums[2][2] = {{0, 0}, {0, 0}};
    pthread_create(&threads[0], NULL, producer, (void *)0L);
    pthread_create(&threads[1], NULL, producer, (void *)100000L);
    pthread_create(&threads[2], NULL, consumer, sums[0]);
    pthread_create(&threads[3], NULL, consumer, sums[1]);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("queue: consumed %ld items, sum %ld, left %d\n", sums[0][1] + sums[1][1], sums[0][0] + sums[1][0], count);

    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, gate_waiter, NULL);
    pthread_mutex_lock(&lock);
    while (waiting < 4) pthread_cond_wait(&not_empty, &lock);
    open_gate = 1;
    pthread_cond_broadcast(&gate);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("broadcast: %d waiters arrived, %d woke\n", waiting, woken);

    pthread_cond_t realtime_cond = PTHREAD_COND_INITIALIZER;
    timed_out_wait(&realtime_cond, CLOCK_REALTIME, "CLOCK_REALTIME (default)");

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    clockid_t clock = -1;
    pthread_condattr_getclock(&attr, &clock);
    printf("condattr default clock is CLOCK_REALTIME: %s\n", clock == CLOCK_REALTIME ? "yes" : "no");
    int r = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_condattr_getclock(&attr, &clock);
    printf("setclock(CLOCK_MONOTONIC)=%s, getclock is CLOCK_MONOTONIC: %s\n", name(r), clock == CLOCK_MONOTONIC ? "yes" : "no");
    pthread_cond_t monotonic_cond;
    pthread_cond_init(&monotonic_cond, &attr);
    pthread_condattr_destroy(&attr);
    timed_out_wait(&monotonic_cond, CLOCK_MONOTONIC, "CLOCK_MONOTONIC");

    struct timespec past = after(CLOCK_MONOTONIC, 0);
    past.tv_sec -= 1;
    pthread_mutex_lock(&lock);
    r = pthread_cond_timedwait(&monotonic_cond, &lock, &past);
    pthread_mutex_unlock(&lock);
    printf("deadline one second ago: %s\n", name(r));

    pthread_t t;
    struct timespec far = after(CLOCK_REALTIME, 10000);
    pthread_mutex_lock(&lock);
    pthread_create(&t, NULL, signaller, NULL);
    r = 0;
    while (!ready && r == 0) r = pthread_cond_timedwait(&signalled, &lock, &far);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("signalled before a 10 s deadline: %s, ready=%d, deadline reached: %s\n", name(r), ready,
           reached(CLOCK_REALTIME, far) ? "yes" : "no");
    pthread_cond_destroy(&monotonic_cond);
    return 0;
}
