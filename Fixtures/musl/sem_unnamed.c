// Checks unnamed POSIX semaphores between threads: sem_init/sem_getvalue/sem_trywait (EAGAIN
// at zero), sem_timedwait timing out (ETIMEDOUT, the clock past the deadline) and rejecting a
// bad deadline (EINVAL), sem_wait and sem_timedwait satisfied by sem_post from another thread,
// 3 producers x 300 posts consumed by 3 threads doing 300 waits each, a 1000-round ping-pong
// between two threads over two semaphores, and a process-shared semaphore (pshared=1).
// conformance-libcs: musl glibc
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

static const char *name(int e) {
    switch (e) {
    case 0: return "0";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINVAL: return "EINVAL";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

/* The result of a semaphore call: 0, or the errno it set. */
static int result(int r) { return r == 0 ? 0 : errno; }

static sem_t items, ping, pong, started;
static int consumed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *post_later(void *arg) {
    sem_t *sem = arg;
    sem_wait(&started);
    sem_post(sem);
    return NULL;
}

static void *poster(void *arg) {
    (void)arg;
    for (int i = 0; i < 300; i++) sem_post(&items);
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    int errors = 0;
    for (int i = 0; i < 300; i++) {
        if (sem_wait(&items) != 0) errors++;
        pthread_mutex_lock(&lock);
        consumed++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(long)errors;
}

static void *ponger(void *arg) {
    long *rounds = arg;
    for (int i = 0; i < 1000; i++) {
        sem_wait(&ping);
        ++*rounds;
        sem_post(&pong);
    }
    return NULL;
}

int main(void) {
    sem_t sem;
    int r = result(sem_init(&sem, 0, 2));
    int value = -1;
    sem_getvalue(&sem, &value);
    printf("sem_init(2)=%s value=%d\n", name(r), value);
    int first = result(sem_trywait(&sem));
    int second = result(sem_trywait(&sem));
    int third = result(sem_trywait(&sem));
    sem_getvalue(&sem, &value);
    printf("trywait x3: %s %s %s, value=%d\n", name(first), name(second), name(third), value);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 30 * 1000000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    r = result(sem_timedwait(&sem, &deadline));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int past = now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
    printf("timedwait 30 ms at zero: %s, clock past the deadline: %s\n", name(r), past ? "yes" : "no");
    struct timespec bad = {now.tv_sec + 1, 1000000000};
    r = result(sem_timedwait(&sem, &bad));
    printf("timedwait with tv_nsec=1000000000: %s\n", name(r));

    sem_init(&started, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, post_later, &sem);
    sem_post(&started);
    r = result(sem_wait(&sem));
    pthread_join(t, NULL);
    sem_getvalue(&sem, &value);
    printf("sem_wait satisfied by another thread's post: %s, value=%d\n", name(r), value);
    pthread_create(&t, NULL, post_later, &sem);
    sem_post(&started);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    r = result(sem_timedwait(&sem, &deadline));
    pthread_join(t, NULL);
    printf("sem_timedwait (10 s) satisfied by another thread's post: %s\n", name(r));
    sem_destroy(&sem);

    sem_init(&items, 0, 0);
    pthread_t threads[6];
    for (int i = 0; i < 6; i++) pthread_create(&threads[i], NULL, i < 3 ? waiter : poster, NULL);
    long errors = 0;
    for (int i = 0; i < 6; i++) {
        void *e;
        pthread_join(threads[i], &e);
        if (i < 3) errors += (long)e;
    }
    sem_getvalue(&items, &value);
    printf("3 posters x 300, 3 waiters x 300: consumed=%d errors=%ld value=%d\n", consumed, errors, value);
    sem_destroy(&items);

    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    long rounds = 0;
    pthread_create(&t, NULL, ponger, &rounds);
    int out_of_step = 0;
    for (int i = 0; i < 1000; i++) {
        sem_post(&ping);
        sem_wait(&pong);
        if (__atomic_load_n(&rounds, __ATOMIC_SEQ_CST) != i + 1) out_of_step++;
    }
    pthread_join(t, NULL);
    printf("ping-pong: rounds=%ld out of step=%d\n", rounds, out_of_step);

    sem_t shared;
    r = result(sem_init(&shared, 1, 1));
    int w = result(sem_wait(&shared));
    int p = result(sem_post(&shared));
    sem_getvalue(&shared, &value);
    printf("pshared=1: init=%s wait=%s post=%s value=%d\n", name(r), name(w), name(p), value);
    sem_destroy(&shared);
    return 0;
}
