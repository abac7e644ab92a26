// Checks C11 <threads.h>: thrd_create/thrd_join with result codes and thrd_exit, thrd_current
// and thrd_equal, thrd_detach, thrd_sleep and thrd_yield; mtx_plain (trylock thrd_busy while
// another thread holds it), mtx_recursive, mtx_timed (mtx_timedlock thrd_timedout); cnd_signal,
// cnd_broadcast and cnd_timedwait (thrd_timedout); tss_create with a destructor run at thread
// exit; call_once run exactly once by 4 threads.
// conformance-libcs: musl glibc
#include <stdio.h>
#include <threads.h>
#include <time.h>

static const char *name(int r) {
    switch (r) {
    case thrd_success: return "thrd_success";
    case thrd_busy: return "thrd_busy";
    case thrd_timedout: return "thrd_timedout";
    case thrd_error: return "thrd_error";
    case thrd_nomem: return "thrd_nomem";
    default: return "other";
    }
}

static int doubler(void *arg) { return *(int *)arg * 2; }

static int exiter(void *arg) {
    (void)arg;
    thrd_exit(33);
    return 0; /* not reached */
}

static thrd_t main_thread;
static int current_is_main = -1;

static int identity(void *arg) {
    (void)arg;
    current_is_main = thrd_equal(thrd_current(), main_thread) != 0;
    return 0;
}

static mtx_t plain, recursive, timed, lock;
static int probe;

static int try_plain(void *arg) {
    probe = mtx_trylock(arg);
    if (probe == thrd_success) mtx_unlock(arg);
    return 0;
}

static int timed_probe(void *arg) {
    (void)arg;
    struct timespec deadline;
    timespec_get(&deadline, TIME_UTC);
    deadline.tv_nsec += 20 * 1000000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    probe = mtx_timedlock(&timed, &deadline);
    if (probe == thrd_success) mtx_unlock(&timed);
    return 0;
}

static void run(thrd_start_t body, void *arg) {
    thrd_t t;
    probe = -1;
    thrd_create(&t, body, arg);
    thrd_join(t, NULL);
}

static cnd_t cond;
static int waiting, released, woken;
static long counter;

static int waiter(void *arg) {
    (void)arg;
    mtx_lock(&lock);
    waiting++;
    cnd_broadcast(&cond);
    while (!released) cnd_wait(&cond, &lock);
    woken++;
    mtx_unlock(&lock);
    return 0;
}

static int adder(void *arg) {
    (void)arg;
    for (int i = 0; i < 5000; i++) {
        mtx_lock(&lock);
        counter++;
        mtx_unlock(&lock);
        if (i % 1000 == 0) thrd_yield();
    }
    return 0;
}

static tss_t key;
static int destructor_calls;
static long destructor_sum;

static void destroy(void *value) {
    mtx_lock(&lock);
    destructor_calls++;
    destructor_sum += (long)value;
    mtx_unlock(&lock);
}

static int tss_user(void *arg) {
    int fresh = tss_get(key) == NULL;
    tss_set(key, arg);
    return fresh && tss_get(key) == arg;
}

static once_flag once = ONCE_FLAG_INIT;
static int once_calls;
static void init_once(void) { once_calls++; }
static int once_user(void *arg) {
    (void)arg;
    call_once(&once, init_once);
    return once_calls;
}

static int detached_done;
static int detached(void *arg) {
    (void)arg;
    mtx_lock(&lock);
    detached_done = 1;
    cnd_broadcast(&cond);
    mtx_unlock(&lock);
    return 0;
}

int main(void) {
    main_thread = thrd_current();
    thrd_t t;
    int input = 21, result = -1;
    int r = thrd_create(&t, doubler, &input);
    int j = thrd_join(t, &result);
    printf("thrd_create=%s thrd_join=%s result=%d\n", name(r), name(j), result);
    thrd_create(&t, exiter, NULL);
    thrd_join(t, &result);
    printf("thrd_exit(33): result=%d\n", result);
    run(identity, NULL);
    printf("in a thread, thrd_current equals main: %d; in main: %d\n", current_is_main,
           thrd_equal(thrd_current(), main_thread) != 0);
    struct timespec ten_ms = {0, 10 * 1000000};
    printf("thrd_sleep(10 ms): %d\n", thrd_sleep(&ten_ms, NULL));

    mtx_init(&lock, mtx_plain);
    printf("mtx_init(plain)=%s\n", name(mtx_init(&plain, mtx_plain)));
    mtx_lock(&plain);
    run(try_plain, &plain);
    printf("plain: trylock from another thread while held: %s\n", name(probe));
    mtx_unlock(&plain);
    run(try_plain, &plain);
    printf("plain: trylock from another thread after unlock: %s\n", name(probe));

    printf("mtx_init(plain|recursive)=%s\n", name(mtx_init(&recursive, mtx_plain | mtx_recursive)));
    int l1 = mtx_lock(&recursive), l2 = mtx_lock(&recursive), l3 = mtx_trylock(&recursive);
    run(try_plain, &recursive);
    printf("recursive: lock, lock, trylock by owner: %s %s %s; trylock from another thread: %s\n",
           name(l1), name(l2), name(l3), name(probe));
    for (int i = 0; i < 3; i++) mtx_unlock(&recursive);
    run(try_plain, &recursive);
    printf("recursive: after 3 unlocks another thread's trylock: %s\n", name(probe));

    printf("mtx_init(timed)=%s\n", name(mtx_init(&timed, mtx_timed)));
    mtx_lock(&timed);
    run(timed_probe, NULL);
    printf("timed: timedlock (20 ms) from another thread while held: %s\n", name(probe));
    mtx_unlock(&timed);
    run(timed_probe, NULL);
    printf("timed: timedlock after unlock: %s\n", name(probe));

    cnd_init(&cond);
    thrd_t threads[4];
    for (int i = 0; i < 4; i++) thrd_create(&threads[i], waiter, NULL);
    mtx_lock(&lock);
    while (waiting < 4) cnd_wait(&cond, &lock);
    released = 1;
    cnd_broadcast(&cond);
    mtx_unlock(&lock);
    for (int i = 0; i < 4; i++) thrd_join(threads[i], NULL);
    printf("cnd_broadcast: %d waiting, %d woken\n", waiting, woken);

    struct timespec deadline;
    timespec_get(&deadline, TIME_UTC);
    deadline.tv_nsec += 20 * 1000000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    mtx_lock(&lock);
    r = thrd_success;
    for (int i = 0; i < 100 && r == thrd_success; i++) r = cnd_timedwait(&cond, &lock, &deadline);
    mtx_unlock(&lock);
    printf("cnd_timedwait 20 ms: %s\n", name(r));

    for (int i = 0; i < 4; i++) thrd_create(&threads[i], adder, NULL);
    for (int i = 0; i < 4; i++) thrd_join(threads[i], NULL);
    printf("4 threads x 5000 locked increments: %ld\n", counter);

    printf("tss_create=%s\n", name(tss_create(&key, destroy)));
    int fresh_total = 0;
    for (long i = 1; i <= 4; i++) {
        int fresh = 0;
        thrd_create(&t, tss_user, (void *)i);
        thrd_join(t, &fresh);
        fresh_total += fresh;
    }
    printf("tss: 4 threads saw NULL then their value: %d; destructor calls=%d sum=%ld\n",
           fresh_total, destructor_calls, destructor_sum);
    tss_delete(key);

    int once_results[4];
    for (int i = 0; i < 4; i++) thrd_create(&threads[i], once_user, NULL);
    for (int i = 0; i < 4; i++) thrd_join(threads[i], &once_results[i]);
    printf("call_once: called %d time(s); each thread saw %d %d %d %d\n", once_calls,
           once_results[0], once_results[1], once_results[2], once_results[3]);

    thrd_create(&t, detached, NULL);
    printf("thrd_detach=%s\n", name(thrd_detach(t)));
    mtx_lock(&lock);
    while (!detached_done) cnd_wait(&cond, &lock);
    mtx_unlock(&lock);
    printf("the detached thread finished\n");
    cnd_destroy(&cond);
    mtx_destroy(&plain);
    mtx_destroy(&recursive);
    mtx_destroy(&timed);
    mtx_destroy(&lock);
    return 0;
}
