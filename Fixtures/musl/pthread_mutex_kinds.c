// Checks the mutex types between threads: a normal mutex (trylock EBUSY while another thread
// holds it, pthread_mutex_timedlock ETIMEDOUT), a recursive one (nested locks, EPERM once fully
// unlocked), an error-checking one (EDEADLK on relock, EPERM for a non-owner and on a second
// unlock), robust ones (owner thread exits holding it: the next locker gets EOWNERDEAD, then
// pthread_mutex_consistent makes it usable; unlocked without it, ENOTRECOVERABLE) and a
// priority-inheritance mutex (PTHREAD_PRIO_INHERIT) under contention from 4 threads.
// conformance-libcs: musl glibc
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static const char *name(int e) {
    switch (e) {
    case 0: return "0";
    case EBUSY: return "EBUSY";
    case EPERM: return "EPERM";
    case EDEADLK: return "EDEADLK";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EINVAL: return "EINVAL";
    case ENOTSUP: return "ENOTSUP";
    default: return "other";
    }
}

static pthread_mutex_t *target;
static int thread_result[2];

static void *try_lock(void *arg) {
    (void)arg;
    thread_result[0] = pthread_mutex_trylock(target);
    return NULL;
}

static void *timed_lock(void *arg) {
    (void)arg;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    thread_result[0] = pthread_mutex_timedlock(target, &deadline);
    return NULL;
}

static void *unlock_not_owned(void *arg) {
    (void)arg;
    thread_result[0] = pthread_mutex_unlock(target);
    return NULL;
}

static void *lock_and_exit(void *arg) {
    (void)arg;
    thread_result[0] = pthread_mutex_lock(target);
    return NULL; /* exits still holding the mutex */
}

static void run(void *(*body)(void *), pthread_mutex_t *mutex) {
    pthread_t t;
    target = mutex;
    thread_result[0] = -1;
    pthread_create(&t, NULL, body, NULL);
    pthread_join(t, NULL);
}

static pthread_mutex_t pi_mutex;
static long pi_counter;

static void *pi_worker(void *arg) {
    (void)arg;
    int errors = 0;
    for (int i = 0; i < 5000; i++) {
        if (pthread_mutex_lock(&pi_mutex) != 0) { errors++; continue; }
        pi_counter++;
        if (pthread_mutex_unlock(&pi_mutex) != 0) errors++;
    }
    return (void *)(long)errors;
}

static pthread_mutex_t *make(pthread_mutex_t *m, int type, int robust, int protocol) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type);
    if (robust) pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (protocol) {
        int r = pthread_mutexattr_setprotocol(&attr, protocol);
        int got = -1;
        pthread_mutexattr_getprotocol(&attr, &got);
        printf("setprotocol(PTHREAD_PRIO_INHERIT)=%s getprotocol is inherit: %d\n", name(r), got == PTHREAD_PRIO_INHERIT);
    }
    pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return m;
}

int main(void) {
    pthread_mutex_t normal, recursive, errorcheck, robust, unrecoverable;
    int r;

    make(&normal, PTHREAD_MUTEX_NORMAL, 0, 0);
    pthread_mutex_lock(&normal);
    run(try_lock, &normal);
    printf("normal: trylock from another thread while held: %s\n", name(thread_result[0]));
    run(timed_lock, &normal);
    printf("normal: timedlock (20 ms) from another thread while held: %s\n", name(thread_result[0]));
    pthread_mutex_unlock(&normal);
    run(try_lock, &normal);
    printf("normal: trylock after unlock: %s\n", name(thread_result[0]));
    /* That thread exited holding it: a normal mutex stays locked, so it is not used again. */

    make(&recursive, PTHREAD_MUTEX_RECURSIVE, 0, 0);
    int locks[3];
    for (int i = 0; i < 3; i++) locks[i] = pthread_mutex_lock(&recursive);
    int trylocked = pthread_mutex_trylock(&recursive);
    printf("recursive: lock x3 = %s %s %s, trylock by owner = %s\n",
           name(locks[0]), name(locks[1]), name(locks[2]), name(trylocked));
    run(try_lock, &recursive);
    printf("recursive: trylock from another thread while held: %s\n", name(thread_result[0]));
    int unlocks[4];
    for (int i = 0; i < 4; i++) unlocks[i] = pthread_mutex_unlock(&recursive);
    r = pthread_mutex_unlock(&recursive);
    printf("recursive: unlock x4 = %s %s %s %s, fifth unlock = %s\n",
           name(unlocks[0]), name(unlocks[1]), name(unlocks[2]), name(unlocks[3]), name(r));
    pthread_mutex_destroy(&recursive);

    make(&errorcheck, PTHREAD_MUTEX_ERRORCHECK, 0, 0);
    r = pthread_mutex_lock(&errorcheck);
    int relock = pthread_mutex_lock(&errorcheck);
    printf("errorcheck: lock=%s relock by owner=%s\n", name(r), name(relock));
    run(unlock_not_owned, &errorcheck);
    printf("errorcheck: unlock by another thread: %s\n", name(thread_result[0]));
    r = pthread_mutex_unlock(&errorcheck);
    int again = pthread_mutex_unlock(&errorcheck);
    printf("errorcheck: unlock=%s second unlock=%s\n", name(r), name(again));
    pthread_mutex_destroy(&errorcheck);

    make(&robust, PTHREAD_MUTEX_NORMAL, 1, 0);
    run(lock_and_exit, &robust);
    printf("robust: the thread locked it (%s) and exited\n", name(thread_result[0]));
    r = pthread_mutex_lock(&robust);
    printf("robust: next lock: %s\n", name(r));
    int consistent = pthread_mutex_consistent(&robust);
    int unlocked = pthread_mutex_unlock(&robust);
    int relocked = pthread_mutex_lock(&robust);
    printf("robust: consistent=%s unlock=%s lock again=%s\n", name(consistent), name(unlocked), name(relocked));
    pthread_mutex_unlock(&robust);
    run(try_lock, &robust);
    printf("robust: trylock from another thread after recovery: %s\n", name(thread_result[0]));
    /* That thread exited holding it: its owner is dead again. */
    r = pthread_mutex_trylock(&robust);
    printf("robust: trylock after that thread exited holding it: %s\n", name(r));
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);
    pthread_mutex_destroy(&robust);

    make(&unrecoverable, PTHREAD_MUTEX_ERRORCHECK, 1, 0);
    run(lock_and_exit, &unrecoverable);
    r = pthread_mutex_lock(&unrecoverable);
    int unlock_dead = pthread_mutex_unlock(&unrecoverable);
    int after = pthread_mutex_lock(&unrecoverable);
    printf("robust errorcheck: lock=%s unlock without consistent=%s next lock=%s\n",
           name(r), name(unlock_dead), name(after));

    make(&pi_mutex, PTHREAD_MUTEX_NORMAL, 0, PTHREAD_PRIO_INHERIT);
    r = pthread_mutex_lock(&pi_mutex);
    run(try_lock, &pi_mutex);
    printf("pi: lock=%s trylock from another thread while held=%s\n", name(r), name(thread_result[0]));
    pthread_mutex_unlock(&pi_mutex);
    pthread_t workers[4];
    for (int i = 0; i < 4; i++) pthread_create(&workers[i], NULL, pi_worker, NULL);
    long errors = 0;
    for (int i = 0; i < 4; i++) {
        void *e;
        pthread_join(workers[i], &e);
        errors += (long)e;
    }
    printf("pi: 4 threads x 5000 locked increments: counter=%ld errors=%ld\n", pi_counter, errors);
    pthread_mutex_destroy(&pi_mutex);
    return 0;
}
