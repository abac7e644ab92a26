// Checks process-shared synchronisation in MAP_SHARED|MAP_ANONYMOUS memory across fork (futexes
// keyed by shared pages, not by address space): a PTHREAD_PROCESS_SHARED mutex guards a counter
// incremented 20000 times by each of three processes; a process-shared mutex and condition
// variable pass 200 items from parent to child through a one-slot buffer; two process-shared
// semaphores (sem_init pshared=1) alternate 1000 times between parent and child; a
// process-shared barrier lines up four processes for 50 rounds; a raw FUTEX_WAIT (not private)
// in the child is ended by the parent's FUTEX_WAKE; a robust process-shared mutex left locked by
// a child that exits gives EOWNERDEAD to the parent, which makes it consistent. Every wait has a
// deadline of a few seconds.
// conformance-timeout: 30
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/fork.h"

#define FUTEX_WAIT 0 /* not private: the word is in shared memory */
#define FUTEX_WAKE 1

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    default: return "other";
    }
}

static int exit_status(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static struct timespec deadline(int seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return ts;
}

struct shared {
    pthread_mutex_t counter_lock;
    long counter;

    pthread_mutex_t slot_lock;
    pthread_cond_t slot_changed;
    int slot_full, slot_value, done;

    sem_t ping, pong;
    long ping_sum;

    pthread_barrier_t barrier;
    int round_values[4];
    int barrier_errors;

    uint32_t futex_word;
    uint32_t futex_ready;

    pthread_mutex_t robust;
};

static struct shared *sh;

static void counter_section(void) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->counter_lock, &ma);
    pthread_mutexattr_destroy(&ma);
    sh->counter = 0;
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = xfork();
        if (kids[k] == 0) {
            for (int i = 0; i < 20000; i++) {
                pthread_mutex_lock(&sh->counter_lock);
                sh->counter++;
                pthread_mutex_unlock(&sh->counter_lock);
            }
            _exit(0);
        }
    }
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&sh->counter_lock);
        sh->counter++;
        pthread_mutex_unlock(&sh->counter_lock);
    }
    int s0 = exit_status(kids[0]), s1 = exit_status(kids[1]);
    printf("shared mutex: counter %ld (expected 60000), children exited %d %d\n", sh->counter, s0, s1);
}

static void condvar_section(void) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->slot_lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&sh->slot_changed, &ca);
    pthread_condattr_destroy(&ca);
    sh->slot_full = sh->done = 0;

    pid_t pid = xfork();
    if (pid == 0) { /* consumer */
        long sum = 0;
        int items = 0, timeouts = 0;
        struct timespec until = deadline(10);
        pthread_mutex_lock(&sh->slot_lock);
        for (;;) {
            while (!sh->slot_full && !sh->done && timeouts == 0)
                if (pthread_cond_timedwait(&sh->slot_changed, &sh->slot_lock, &until) == ETIMEDOUT) timeouts++;
            if (timeouts || (!sh->slot_full && sh->done)) break;
            sum += sh->slot_value;
            items++;
            sh->slot_full = 0;
            pthread_cond_broadcast(&sh->slot_changed);
        }
        pthread_mutex_unlock(&sh->slot_lock);
        _exit(items == 200 && sum == 200L * 201 / 2 ? 0 : timeouts ? 2 : 1);
    }
    struct timespec until = deadline(10);
    int timeouts = 0;
    pthread_mutex_lock(&sh->slot_lock);
    for (int i = 1; i <= 200 && !timeouts; i++) {
        while (sh->slot_full && !timeouts)
            if (pthread_cond_timedwait(&sh->slot_changed, &sh->slot_lock, &until) == ETIMEDOUT) timeouts++;
        sh->slot_value = i;
        sh->slot_full = 1;
        pthread_cond_broadcast(&sh->slot_changed);
    }
    while (sh->slot_full && !timeouts)
        if (pthread_cond_timedwait(&sh->slot_changed, &sh->slot_lock, &until) == ETIMEDOUT) timeouts++;
    sh->done = 1;
    pthread_cond_broadcast(&sh->slot_changed);
    pthread_mutex_unlock(&sh->slot_lock);
    int st = exit_status(pid);
    printf("shared condition variable: producer timed out %s, consumer exit %d (0 = 200 items, right sum)\n",
           yesno(timeouts), st);
}

static void semaphore_section(void) {
    sem_init(&sh->ping, 1, 0);
    sem_init(&sh->pong, 1, 0);
    sh->ping_sum = 0;
    pid_t pid = xfork();
    if (pid == 0) {
        struct timespec until = deadline(10);
        for (int i = 0; i < 1000; i++) {
            int r;
            do r = sem_timedwait(&sh->ping, &until); while (r != 0 && errno == EINTR);
            if (r != 0) _exit(2);
            sh->ping_sum += i;
            sem_post(&sh->pong);
        }
        _exit(0);
    }
    struct timespec until = deadline(10);
    int rounds = 0;
    for (int i = 0; i < 1000; i++) {
        sem_post(&sh->ping);
        int r;
        do r = sem_timedwait(&sh->pong, &until); while (r != 0 && errno == EINTR);
        if (r != 0) break;
        rounds++;
    }
    int st = exit_status(pid);
    int value = -1;
    sem_getvalue(&sh->ping, &value);
    printf("shared semaphores: %d rounds, child's sum %ld (expected 499500), child exit %d, ping value %d\n", rounds,
           sh->ping_sum, st, value);
    sem_destroy(&sh->ping);
    sem_destroy(&sh->pong);
}

static void barrier_section(void) {
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->barrier, &ba, 4);
    pthread_barrierattr_destroy(&ba);
    sh->barrier_errors = 0;
    pid_t kids[3];
    int serial_total = 0;
    for (int k = 0; k <= 3; k++) {
        int me = k; /* process k: 0..2 children, 3 the parent */
        if (k < 3) {
            kids[k] = xfork();
            if (kids[k] != 0) continue;
        }
        int serial = 0;
        for (int round = 0; round < 50; round++) {
            __atomic_store_n(&sh->round_values[me], round, __ATOMIC_SEQ_CST);
            int r = pthread_barrier_wait(&sh->barrier);
            if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial++;
            else if (r != 0) __atomic_add_fetch(&sh->barrier_errors, 1, __ATOMIC_SEQ_CST);
            for (int j = 0; j < 4; j++)
                if (__atomic_load_n(&sh->round_values[j], __ATOMIC_SEQ_CST) != round)
                    __atomic_add_fetch(&sh->barrier_errors, 1, __ATOMIC_SEQ_CST);
            r = pthread_barrier_wait(&sh->barrier); /* nobody moves on before everyone checked */
            if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial++;
        }
        if (k < 3) _exit(serial);
        serial_total += serial;
    }
    for (int k = 0; k < 3; k++) serial_total += exit_status(kids[k]);
    printf("shared barrier: 4 processes, 50 rounds, errors %d, serial returns %d (expected 100)\n", sh->barrier_errors,
           serial_total);
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts) {
    return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static void futex_section(void) {
    sh->futex_word = 0;
    sh->futex_ready = 0;
    pid_t pid = xfork();
    if (pid == 0) {
        __atomic_store_n(&sh->futex_ready, 1, __ATOMIC_SEQ_CST);
        int woken = 0;
        for (int i = 0; i < 50 && !woken; i++) {
            struct timespec ts = {0, 100 * 1000000L};
            long r = futex(&sh->futex_word, FUTEX_WAIT, 0, &ts);
            if (r == 0 || __atomic_load_n(&sh->futex_word, __ATOMIC_SEQ_CST) == 1) woken = 1;
        }
        _exit(woken ? 0 : 1);
    }
    for (int i = 0; i < 5000 && !__atomic_load_n(&sh->futex_ready, __ATOMIC_SEQ_CST); i++) usleep(1000);
    /* Wake until a waiter is really woken or the child has gone (it may see the new value first). */
    __atomic_store_n(&sh->futex_word, 1, __ATOMIC_SEQ_CST);
    int st = -1;
    for (int i = 0; i < 5000; i++) {
        futex(&sh->futex_word, FUTEX_WAKE, 1, NULL);
        int s;
        if (waitpid(pid, &s, WNOHANG) == pid) {
            st = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
            break;
        }
        usleep(1000);
    }
    if (st == -1) st = exit_status(pid);
    printf("FUTEX_WAIT in the child ended by the parent: %s\n", yesno(st == 0));
}

static void robust_section(void) {
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&sh->robust, &ma);
    pthread_mutexattr_destroy(&ma);
    pid_t pid = xfork();
    if (pid == 0) {
        int r = pthread_mutex_lock(&sh->robust);
        _exit(r == 0 ? 0 : 1); /* exits holding it */
    }
    int st = exit_status(pid);
    struct timespec until = deadline(5);
    int r1 = pthread_mutex_timedlock(&sh->robust, &until);
    int rc = r1 == EOWNERDEAD ? pthread_mutex_consistent(&sh->robust) : -1;
    int ru = pthread_mutex_unlock(&sh->robust);
    int r2 = pthread_mutex_lock(&sh->robust);
    pthread_mutex_unlock(&sh->robust);
    printf("robust mutex: child exit %d; parent lock %s, consistent %d, unlock %d, lock again %s\n", st, errname(r1),
           rc, ru, errname(r2));
}

int main(void) {
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    counter_section();
    condvar_section();
    semaphore_section();
    barrier_section();
    futex_section();
    robust_section();
    int st;
    errno = 0;
    pid_t r = wait(&st);
    printf("no children left: %d %s\n", (int)r, errno == ECHILD ? "ECHILD" : "other");
    return 0;
}
