// Checks thread cancellation: pthread_cancel of threads blocked at cancellation points
// (pthread_cond_wait, with the mutex held again when the cleanup handler runs; sleep; read of an
// empty pipe), cleanup handlers run last-pushed first and pthread_cleanup_pop(1) runs one early,
// pthread_join yields PTHREAD_CANCELED, a request made while cancellation is disabled waits until
// it is enabled and pthread_testcancel is called, asynchronous cancellation of a busy loop, and
// cancelling a thread that already finished is not an error (its own result is kept).
// conformance-libcs: musl glibc
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int entered;
static char trail[256];

static void mark(const char *text) {
    strncat(trail, text, sizeof trail - strlen(trail) - 1);
}

/* Waits (bounded) until the thread under test says it reached its blocking call. */
static void wait_entered(void) {
    for (int i = 0; i < 5000 && !__atomic_load_n(&entered, __ATOMIC_SEQ_CST); i++) usleep(1000);
    usleep(20000); /* let it block; a request arriving earlier acts at the call anyway */
}

static void unlock_cleanup(void *arg) {
    int r = pthread_mutex_trylock(&lock);
    mark(r == EBUSY || r == EDEADLK ? "[cleanup: mutex held]" : "[cleanup: mutex NOT held]");
    if (r == 0) pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(arg);
}

static void say(void *arg) { mark(arg); }

static void *cond_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_cleanup_push(unlock_cleanup, &lock);
    __atomic_store_n(&entered, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 1000; i++) pthread_cond_wait(&never, &lock);
    pthread_cleanup_pop(1);
    return (void *)1;
}

static void *sleeper(void *arg) {
    (void)arg;
    pthread_cleanup_push(say, "[outer]");
    pthread_cleanup_push(say, "[inner]");
    pthread_cleanup_push(say, "[popped early]");
    pthread_cleanup_pop(1);
    __atomic_store_n(&entered, 1, __ATOMIC_SEQ_CST);
    sleep(10);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return (void *)2;
}

static int pipe_fds[2];

static void *reader(void *arg) {
    (void)arg;
    char byte;
    pthread_cleanup_push(say, "[reader cleanup]");
    __atomic_store_n(&entered, 1, __ATOMIC_SEQ_CST);
    read(pipe_fds[0], &byte, 1);
    pthread_cleanup_pop(0);
    return (void *)3;
}

static volatile int go;

static void *deferred(void *arg) {
    (void)arg;
    int old = -1;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_cleanup_push(say, "[deferred cleanup]");
    __atomic_store_n(&entered, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 5000 && !go; i++) usleep(1000); /* usleep is a cancellation point, but disabled */
    mark(old == PTHREAD_CANCEL_ENABLE ? "[was enabled]" : "[was not enabled]");
    mark("[still running after the request]");
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();
    mark("[NOT cancelled by testcancel]");
    pthread_cleanup_pop(0);
    return (void *)4;
}

static void *spinner(void *arg) {
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    __atomic_store_n(&entered, 1, __ATOMIC_SEQ_CST);
    for (volatile unsigned long i = 0; i < 4000000000UL; i++) {}
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
    mark("[spinner NOT cancelled]");
    return (void *)5;
}

static void *quick(void *arg) {
    (void)arg;
    return (void *)6;
}

static void check(const char *label, void *(*body)(void *)) {
    pthread_t t;
    trail[0] = 0;
    entered = 0;
    go = 0;
    pthread_create(&t, NULL, body, NULL);
    wait_entered();
    int r = pthread_cancel(t);
    go = 1;
    void *result = NULL;
    int j = pthread_join(t, &result);
    printf("%s: cancel=%d join=%d result=%s trail=%s\n", label, r, j,
           result == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", trail);
}

int main(void) {
    pipe(pipe_fds);
    check("pthread_cond_wait", cond_waiter);
    int r = pthread_mutex_trylock(&lock);
    printf("mutex free after the cancelled waiter's cleanup: %s\n", r == 0 ? "yes" : "no");
    if (r == 0) pthread_mutex_unlock(&lock);
    check("sleep", sleeper);
    check("read of an empty pipe", reader);
    check("disabled, then testcancel", deferred);
    check("asynchronous busy loop", spinner);

    pthread_t t;
    pthread_create(&t, NULL, quick, NULL);
    usleep(20000);
    r = pthread_cancel(t);
    void *result = NULL;
    pthread_join(t, &result);
    printf("cancel after a thread returned: cancel=%d result=%ld\n", r, (long)result);
    return 0;
}
