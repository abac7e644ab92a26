// Checks that the main thread can leave with pthread_exit while other threads go on: a worker
// started before it keeps running, joins a second worker, and then calls exit(7), so the
// process's status is the one of that last exit_group (7) and the atexit handler main
// registered runs in the worker. Output order is fixed by a flag main sets just before leaving.
// conformance-exit: 7
// conformance-libcs: musl glibc
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int main_leaving;

static void at_exit(void) {
    printf("atexit handler runs at the worker's exit\n");
}

static void *helper(void *arg) {
    (void)arg;
    return (void *)42;
}

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 5000 && !__atomic_load_n(&main_leaving, __ATOMIC_SEQ_CST); i++) usleep(1000);
    usleep(20000); /* main is gone by now, or about to be: nothing below depends on it */
    printf("worker: running after main's pthread_exit\n");
    pthread_t t;
    void *result = NULL;
    int created = pthread_create(&t, NULL, helper, NULL);
    int joined = pthread_join(t, &result);
    printf("worker: started and joined a helper: create=%d join=%d result=%ld\n", created, joined, (long)result);
    printf("worker: calling exit(7)\n");
    exit(7);
}

int main(void) {
    atexit(at_exit);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    printf("main: calling pthread_exit\n");
    fflush(stdout);
    __atomic_store_n(&main_leaving, 1, __ATOMIC_SEQ_CST);
    pthread_exit(NULL);
}
