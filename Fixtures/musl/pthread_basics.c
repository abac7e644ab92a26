// Checks pthread create/join/detach: arguments reach each thread and values come back through
// pthread_join (returned or passed to pthread_exit), pthread_self/pthread_equal, a thread
// stack size set by attribute, detached threads (by attribute and by pthread_detach) that
// report through a mutex and condition variable, 2000 short-lived threads created and joined
// in batches of 50, and 16 threads (more than CPUs) incrementing one counter under a mutex.
// conformance-timeout: 60
// conformance-libcs: musl glibc
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void *square(void *arg) {
    intptr_t n = (intptr_t)arg;
    return (void *)(n * n);
}

static void *exit_with(void *arg) {
    pthread_exit((void *)((intptr_t)arg + 1000));
    return NULL; /* not reached */
}

static pthread_t main_thread;

static void *identity(void *arg) {
    int *out = arg;
    out[0] = pthread_equal(pthread_self(), main_thread) != 0;
    out[1] = pthread_equal(pthread_self(), pthread_self()) != 0;
    return NULL;
}

static void *stack_user(void *arg) {
    (void)arg;
    volatile char buffer[32 * 1024];
    memset((char *)buffer, 7, sizeof buffer);
    long sum = 0;
    for (size_t i = 0; i < sizeof buffer; i += 1024) sum += buffer[i];
    return (void *)sum;
}

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int detached_done;
static int detached_sum;

static void *detached_worker(void *arg) {
    pthread_mutex_lock(&done_lock);
    detached_sum += (int)(intptr_t)arg;
    detached_done++;
    pthread_cond_signal(&done_cond);
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static void *self_detaching(void *arg) {
    int r = pthread_detach(pthread_self());
    return detached_worker((void *)((intptr_t)arg + (r == 0 ? 0 : 1000000)));
}

static void *short_lived(void *arg) {
    return (void *)((intptr_t)arg + 1);
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *incrementer(void *arg) {
    int rounds = (int)(intptr_t)arg;
    for (int i = 0; i < rounds; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

int main(void) {
    main_thread = pthread_self();

    pthread_t threads[16];
    for (intptr_t i = 0; i < 4; i++) pthread_create(&threads[i], NULL, square, (void *)(i + 3));
    for (int i = 0; i < 4; i++) {
        void *result;
        int r = pthread_join(threads[i], &result);
        printf("square thread %d: join=%d result=%ld\n", i, r, (long)(intptr_t)result);
    }

    pthread_t t;
    void *result;
    pthread_create(&t, NULL, exit_with, (void *)7);
    int r = pthread_join(t, &result);
    printf("pthread_exit value: join=%d result=%ld\n", r, (long)(intptr_t)result);

    int flags[2] = {-1, -1};
    pthread_create(&t, NULL, identity, flags);
    pthread_join(t, NULL);
    printf("in thread: equal to main=%d equal to self=%d\n", flags[0], flags[1]);
    printf("main equal to itself: %d\n", pthread_equal(pthread_self(), main_thread) != 0);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int set = pthread_attr_setstacksize(&attr, 128 * 1024);
    size_t size = 0;
    pthread_attr_getstacksize(&attr, &size);
    printf("stack size attribute: set=%d size=%zu\n", set, size);
    pthread_create(&t, &attr, stack_user, NULL);
    pthread_join(t, &result);
    printf("thread with 128 KiB stack used 32 KiB: sum=%ld\n", (long)(intptr_t)result);
    pthread_attr_destroy(&attr);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int state = -1;
    pthread_attr_getdetachstate(&attr, &state);
    printf("detach state attribute is detached: %d\n", state == PTHREAD_CREATE_DETACHED);
    int created = 0;
    for (intptr_t i = 1; i <= 5; i++) created += pthread_create(&t, &attr, detached_worker, (void *)i) == 0;
    pthread_attr_destroy(&attr);
    for (intptr_t i = 1; i <= 5; i++) created += pthread_create(&t, NULL, self_detaching, (void *)(i * 10)) == 0;
    pthread_mutex_lock(&done_lock);
    while (detached_done < 10) pthread_cond_wait(&done_cond, &done_lock);
    pthread_mutex_unlock(&done_lock);
    printf("detached threads: created=%d finished=%d sum=%d\n", created, detached_done, detached_sum);

    long total = 0;
    int failures = 0;
    for (int batch = 0; batch < 40; batch++) {
        pthread_t many[50];
        for (int i = 0; i < 50; i++) {
            if (pthread_create(&many[i], NULL, short_lived, (void *)(intptr_t)(batch * 50 + i)) != 0) failures++;
        }
        for (int i = 0; i < 50; i++) {
            void *value;
            if (pthread_join(many[i], &value) != 0) failures++;
            else total += (long)(intptr_t)value;
        }
    }
    printf("2000 short-lived threads: failures=%d sum of results=%ld\n", failures, total);

    for (int i = 0; i < 16; i++) pthread_create(&threads[i], NULL, incrementer, (void *)(intptr_t)5000);
    for (int i = 0; i < 16; i++) pthread_join(threads[i], NULL);
    printf("16 threads x 5000 locked increments: counter=%ld\n", counter);
    return 0;
}
