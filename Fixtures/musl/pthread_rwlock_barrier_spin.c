// Checks reader-writer locks, barriers and spinlocks between threads: readers share a rwlock
// (tryrdlock succeeds while another thread reads, trywrlock is EBUSY, timedwrlock ETIMEDOUT),
// writers exclude readers (4 writers and 4 readers; no reader ever sees a half-done update),
// a 4-thread barrier over 3 rounds (one PTHREAD_BARRIER_SERIAL_THREAD per round, every slot
// written before anyone passes), and a spinlock (trylock EBUSY while held, 4 threads x 20000
// locked increments).
// conformance-libcs: musl glibc
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static const char *name(int e) {
    switch (e) {
    case 0: return "0";
    case EBUSY: return "EBUSY";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case EPERM: return "EPERM";
    default: return "other";
    }
}

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static int probe[3];

static void *probe_rwlock(void *arg) {
    (void)arg;
    probe[0] = pthread_rwlock_tryrdlock(&rwlock);
    if (probe[0] == 0) pthread_rwlock_unlock(&rwlock);
    probe[1] = pthread_rwlock_trywrlock(&rwlock);
    if (probe[1] == 0) pthread_rwlock_unlock(&rwlock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000000;
    if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
    probe[2] = pthread_rwlock_timedwrlock(&rwlock, &deadline);
    if (probe[2] == 0) pthread_rwlock_unlock(&rwlock);
    return NULL;
}

static void run_probe(const char *state) {
    pthread_t t;
    pthread_create(&t, NULL, probe_rwlock, NULL);
    pthread_join(t, NULL);
    printf("rwlock %s: other thread tryrdlock=%s trywrlock=%s timedwrlock(20 ms)=%s\n",
           state, name(probe[0]), name(probe[1]), name(probe[2]));
}

static long pair[2];

static void *rw_writer(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_wrlock(&rwlock);
        pair[0]++;
        for (volatile int spin = 0; spin < 10; spin++) {}
        pair[1]++;
        pthread_rwlock_unlock(&rwlock);
    }
    return NULL;
}

static void *rw_reader(void *arg) {
    (void)arg;
    long torn = 0;
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_rdlock(&rwlock);
        if (pair[0] != pair[1]) torn++;
        pthread_rwlock_unlock(&rwlock);
    }
    return (void *)torn;
}

enum { parties = 4, rounds = 3 };
static pthread_barrier_t barrier;
static int slots[rounds][parties];
static int serial_count[rounds];
static int incomplete_seen;
static pthread_mutex_t tally = PTHREAD_MUTEX_INITIALIZER;

static void *barrier_party(void *arg) {
    int me = (int)(long)arg;
    for (int round = 0; round < rounds; round++) {
        __atomic_store_n(&slots[round][me], round * 10 + me + 1, __ATOMIC_SEQ_CST);
        int r = pthread_barrier_wait(&barrier);
        int missing = 0;
        for (int i = 0; i < parties; i++) missing += __atomic_load_n(&slots[round][i], __ATOMIC_SEQ_CST) == 0;
        pthread_mutex_lock(&tally);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial_count[round]++;
        else if (r != 0) serial_count[round] += 100;
        incomplete_seen += missing;
        pthread_mutex_unlock(&tally);
    }
    return NULL;
}

static pthread_spinlock_t spin;
static long spin_counter;
static int spin_probe;

static void *spin_try(void *arg) {
    (void)arg;
    spin_probe = pthread_spin_trylock(&spin);
    if (spin_probe == 0) pthread_spin_unlock(&spin);
    return NULL;
}

static void *spin_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_spin_lock(&spin);
        spin_counter++;
        pthread_spin_unlock(&spin);
    }
    return NULL;
}

int main(void) {
    run_probe("unlocked");
    pthread_rwlock_rdlock(&rwlock);
    run_probe("read-locked by main");
    pthread_rwlock_unlock(&rwlock);
    pthread_rwlock_wrlock(&rwlock);
    run_probe("write-locked by main");
    pthread_rwlock_unlock(&rwlock);

    pthread_t threads[8];
    for (int i = 0; i < 8; i++) pthread_create(&threads[i], NULL, i % 2 ? rw_reader : rw_writer, NULL);
    long torn = 0;
    for (int i = 0; i < 8; i++) {
        void *value;
        pthread_join(threads[i], &value);
        if (i % 2) torn += (long)value;
    }
    printf("rwlock: 4 writers x 2000 updates: pair=%ld,%ld; readers saw a torn pair %ld times\n", pair[0], pair[1], torn);
    pthread_rwlock_destroy(&rwlock);

    int r = pthread_barrier_init(&barrier, NULL, parties);
    for (long i = 0; i < parties; i++) pthread_create(&threads[i], NULL, barrier_party, (void *)i);
    for (int i = 0; i < parties; i++) pthread_join(threads[i], NULL);
    printf("barrier: init=%s serial threads per round: %d %d %d; slots missing after the barrier: %d\n",
           name(r), serial_count[0], serial_count[1], serial_count[2], incomplete_seen);
    int slot_sum = 0;
    for (int round = 0; round < rounds; round++)
        for (int i = 0; i < parties; i++) slot_sum += slots[round][i];
    printf("barrier: slot sum %d\n", slot_sum);
    pthread_barrier_destroy(&barrier);

    r = pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_lock(&spin);
    pthread_t t;
    pthread_create(&t, NULL, spin_try, NULL);
    pthread_join(t, NULL);
    printf("spinlock: init=%s trylock from another thread while held: %s\n", name(r), name(spin_probe));
    pthread_spin_unlock(&spin);
    pthread_create(&t, NULL, spin_try, NULL);
    pthread_join(t, NULL);
    printf("spinlock: trylock from another thread after unlock: %s\n", name(spin_probe));
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, spin_worker, NULL);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    printf("spinlock: 4 threads x 20000 locked increments: counter=%ld\n", spin_counter);
    pthread_spin_destroy(&spin);
    return 0;
}
