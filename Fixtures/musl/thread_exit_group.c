// Checks that exit_group called by a thread other than main ends the whole process with its
// status (42) at once: main is blocked in pthread_join on another thread that sleeps, no atexit
// handler runs, and nothing printed after the call appears.
// conformance-exit: 42
// conformance-libcs: musl glibc
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sleeper_started;

static void at_exit(void) {
    printf("atexit handler ran (it must not)\n");
}

static void *sleeper(void *arg) {
    (void)arg;
    __atomic_store_n(&sleeper_started, 1, __ATOMIC_SEQ_CST);
    sleep(5);
    printf("sleeper woke up (it must not)\n");
    return NULL;
}

static void *ender(void *arg) {
    (void)arg;
    for (int i = 0; i < 5000 && !__atomic_load_n(&sleeper_started, __ATOMIC_SEQ_CST); i++) usleep(1000);
    usleep(20000); /* main is in pthread_join by now, or about to be: the result is the same */
    printf("ender: calling exit_group(42)\n");
    fflush(stdout);
    syscall(SYS_exit_group, 42);
    printf("ender: still running (it must not)\n");
    return NULL;
}

int main(void) {
    atexit(at_exit);
    pthread_t s, e;
    pthread_create(&s, NULL, sleeper, NULL);
    pthread_create(&e, NULL, ender, NULL);
    printf("main: waiting for the sleeper\n");
    fflush(stdout);
    pthread_join(s, NULL);
    printf("main: joined the sleeper (it must not)\n");
    return 0;
}
