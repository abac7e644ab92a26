// Checks thread-specific data and thread-local variables: pthread_key_create destructors run at
// thread exit for non-NULL values only (also after pthread_exit), a destructor that sets a value
// again gets another round, pthread_key_delete stops a destructor, a new thread starts with NULL
// values; __thread and _Thread_local variables start from their initialisers in every thread
// (not from main's changes), zeroed TLS starts at zero, and 4 live threads have 4 distinct copies.
// Destructor output is logged per thread and printed sorted after the join.
// conformance-libcs: musl glibc
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[32][64];
static int log_count;

static void note(const char *text, intptr_t value) {
    pthread_mutex_lock(&log_lock);
    if (log_count < 32) snprintf(log_lines[log_count++], 64, "%s %ld", text, (long)value);
    pthread_mutex_unlock(&log_lock);
}

static int by_text(const void *a, const void *b) { return strcmp(a, b); }

/* Prints what the destructors logged since the last call, sorted (their order between keys is unspecified). */
static void flush_log(const char *thread) {
    qsort(log_lines, (size_t)log_count, sizeof log_lines[0], by_text);
    printf("%s: %d destructor calls\n", thread, log_count);
    for (int i = 0; i < log_count; i++) printf("  %s\n", log_lines[i]);
    log_count = 0;
}

static pthread_key_t key_a, key_b, key_again, key_deleted;
static int again_rounds;

static void destroy_a(void *value) { note("destroy a", (intptr_t)value); }
static void destroy_b(void *value) { note("destroy b", (intptr_t)value); }
static void destroy_deleted(void *value) { note("destroy deleted key", (intptr_t)value); }
static void destroy_again(void *value) {
    note("destroy again", (intptr_t)value);
    if (++again_rounds < 3) pthread_setspecific(key_again, (void *)((intptr_t)value + 1));
}

static void *first(void *arg) {
    (void)arg;
    int initially_null = pthread_getspecific(key_a) == NULL && pthread_getspecific(key_b) == NULL;
    pthread_setspecific(key_a, (void *)11);
    pthread_setspecific(key_b, (void *)12);
    pthread_setspecific(key_deleted, (void *)13);
    return (void *)(intptr_t)(initially_null && pthread_getspecific(key_a) == (void *)11);
}

static void *second(void *arg) {
    (void)arg;
    pthread_setspecific(key_a, (void *)21); /* key_b stays NULL: no destructor call */
    pthread_setspecific(key_again, (void *)100);
    pthread_exit((void *)1);
}

static __thread int tls_counter = 100;
static _Thread_local struct { long id; char tag[8]; } tls_record = {5, "init"};
static __thread long tls_zero[4];
static pthread_barrier_t all_alive;
static void *addresses[4];

static void *tls_user(void *arg) {
    long me = (long)arg;
    int fresh = tls_counter == 100 && tls_record.id == 5 && strcmp(tls_record.tag, "init") == 0 && tls_zero[3] == 0;
    tls_counter += (int)me;
    tls_record.id = me;
    tls_zero[3] = me * 2;
    addresses[me] = &tls_counter;
    pthread_barrier_wait(&all_alive); /* every copy exists at the same time */
    long sum = tls_counter + tls_record.id + tls_zero[3];
    return (void *)(intptr_t)(fresh ? sum : -1);
}

int main(void) {
    pthread_key_create(&key_a, destroy_a);
    pthread_key_create(&key_b, destroy_b);
    pthread_key_create(&key_again, destroy_again);
    pthread_key_create(&key_deleted, destroy_deleted);
    pthread_setspecific(key_a, (void *)1); /* main's value: main never runs destructors here */

    pthread_t t;
    void *result;
    pthread_create(&t, NULL, first, NULL);
    pthread_join(t, &result);
    printf("first thread: keys started NULL and kept its value: %ld\n", (long)(intptr_t)result);
    flush_log("first thread");

    printf("pthread_key_delete: %d\n", pthread_key_delete(key_deleted));
    pthread_create(&t, NULL, second, NULL);
    pthread_join(t, &result);
    printf("second thread: pthread_exit value %ld\n", (long)(intptr_t)result);
    flush_log("second thread");
    printf("main still has its own value: %ld\n", (long)(intptr_t)pthread_getspecific(key_a));

    tls_counter = 7;
    strcpy(tls_record.tag, "main");
    pthread_barrier_init(&all_alive, NULL, 4);
    pthread_t threads[4];
    for (long i = 0; i < 4; i++) pthread_create(&threads[i], NULL, tls_user, (void *)i);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], &result);
        printf("tls thread %d: %ld\n", i, (long)(intptr_t)result);
    }
    int distinct = 1;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) distinct &= addresses[i] != addresses[j];
    printf("4 live threads had distinct __thread copies: %s\n", distinct ? "yes" : "no");
    printf("main's tls untouched: counter=%d tag=%s zero=%ld\n", tls_counter, tls_record.tag, tls_zero[3]);
    pthread_barrier_destroy(&all_alive);
    return 0;
}
