// Checks signals in a threaded process: pthread_kill to one thread runs the handler in that
// thread (pthread_self and gettid match the target), a process-directed kill() goes to the one
// thread that does not block the signal, each thread has its own signal mask (pthread_sigmask
// in a thread leaves main's alone), a thread-directed signal stays pending in its target only
// and runs when unblocked there, sigwait in a thread receives a process-directed signal and a
// pthread_kill, and pthread_kill with signal 0 finds a live thread.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long gettid_raw(void) { return syscall(SYS_gettid); }

static volatile sig_atomic_t handled;
static pthread_t handler_self;
static long handler_tid;
static int handler_signal;

static void handler(int sig) {
    handler_self = pthread_self();
    handler_tid = gettid_raw();
    handler_signal = sig;
    handled = 1;
}

static pthread_t target_self;
static long target_tid;
static int target_ready;
static int suspend_result;

/* Blocks `sig`, says it is ready, then waits for it in sigsuspend with it unblocked. */
static void *receiver(void *arg) {
    int sig = (int)(long)arg;
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, sig);
    target_self = pthread_self();
    target_tid = gettid_raw();
    __atomic_store_n(&target_ready, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 100 && !handled; i++) {
        errno = 0;
        suspend_result = sigsuspend(&wait_mask) == -1 && errno == EINTR;
    }
    return NULL;
}

static void wait_ready(void) {
    for (int i = 0; i < 5000 && !__atomic_load_n(&target_ready, __ATOMIC_SEQ_CST); i++) usleep(1000);
}

static void report(const char *label) {
    int same_thread = pthread_equal(handler_self, target_self) && handler_tid == target_tid;
    printf("%s: handled=%d signal=%s in target thread: %s, sigsuspend EINTR: %d, not main: %s\n", label, (int)handled,
           handler_signal == SIGUSR1 ? "SIGUSR1" : handler_signal == SIGUSR2 ? "SIGUSR2" : "other",
           same_thread ? "yes" : "no", suspend_result, handler_tid != getpid() ? "yes" : "no");
}

static void start_receiver(pthread_t *t, int sig) {
    handled = 0;
    target_ready = 0;
    suspend_result = 0;
    pthread_create(t, NULL, receiver, (void *)(long)sig);
    wait_ready();
}

static int mask_probe[3];

static void *own_mask(void *arg) {
    (void)arg;
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    mask_probe[0] = sigismember(&now, SIGUSR1);
    pthread_kill(pthread_self(), SIGUSR1); /* stays pending: blocked here */
    sigset_t pending;
    sigpending(&pending);
    mask_probe[1] = sigismember(&pending, SIGUSR1) && !handled;
    pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* delivered here before this returns */
    mask_probe[2] = handled && pthread_equal(handler_self, pthread_self());
    return NULL;
}

static int waited_signal[2];
static int wait_result[2];
static int waiter_ready, waits_done;

static void *sig_waiter(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    __atomic_store_n(&waiter_ready, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2; i++) {
        wait_result[i] = sigwait(&set, &waited_signal[i]);
        __atomic_store_n(&waits_done, i + 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static const char *signame(int sig) {
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "other";
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    pthread_t t;
    start_receiver(&t, SIGUSR1);
    int r = pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill returned %d\n", r);
    report("pthread_kill(thread, SIGUSR1)");

    /* Main blocks SIGUSR2; the receiver inherits that and unblocks it only in sigsuspend. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    start_receiver(&t, SIGUSR2);
    r = kill(getpid(), SIGUSR2);
    pthread_join(t, NULL);
    printf("kill returned %d\n", r);
    report("kill(getpid(), SIGUSR2) with main blocking it");
    sigset_t pending;
    sigpending(&pending);
    printf("main has SIGUSR2 pending afterwards: %s\n", sigismember(&pending, SIGUSR2) ? "yes" : "no");

    handled = 0;
    pthread_create(&t, NULL, own_mask, NULL);
    pthread_join(t, NULL);
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    printf("thread blocked SIGUSR1 in its own mask: %d; pending there while blocked: %d; "
           "handled in that thread on unblock: %d\n", mask_probe[0], mask_probe[1], mask_probe[2]);
    printf("main's mask: SIGUSR1 blocked=%d SIGUSR2 blocked=%d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
    sigpending(&pending);
    printf("main has SIGUSR1 pending: %s\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");

    sigset_t waited;
    sigemptyset(&waited);
    sigaddset(&waited, SIGTERM);
    sigaddset(&waited, SIGINT);
    pthread_sigmask(SIG_BLOCK, &waited, NULL); /* blocked in every thread, so sigwait takes them */
    pthread_create(&t, NULL, sig_waiter, NULL);
    for (int i = 0; i < 5000 && !__atomic_load_n(&waiter_ready, __ATOMIC_SEQ_CST); i++) usleep(1000);
    int k1 = kill(getpid(), SIGTERM);
    for (int i = 0; i < 5000 && !__atomic_load_n(&waits_done, __ATOMIC_SEQ_CST); i++) usleep(1000);
    int k2 = pthread_kill(t, SIGINT);
    pthread_join(t, NULL);
    printf("sigwait: kill=%d pthread_kill=%d; first=%s (%d) second=%s (%d)\n", k1, k2,
           signame(waited_signal[0]), wait_result[0], signame(waited_signal[1]), wait_result[1]);

    printf("pthread_kill(self, 0): %d\n", pthread_kill(pthread_self(), 0));
    return 0;
}
