// Checks thread identity and the clone-level mechanics pthread_join relies on: gettid equals
// getpid in the main thread only, 4 live threads have distinct tids and share getpid/getppid;
// a thread made with clone() (CLONE_VM|CLONE_THREAD|... plus CLONE_PARENT_SETTID and
// CLONE_CHILD_CLEARTID) reports its tid at the parent-tid address, and at its exit the kernel
// zeroes the child-tid word and wakes a FUTEX_WAIT on it; a clone child that calls
// set_tid_address gets its tid back and moves that clearing to the new word; set_tid_address
// in the main thread returns getpid. Clone children use raw syscalls only (they share main's TLS).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0

static long raw_syscall(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

static pthread_barrier_t all_alive;
static long tids[4], pids[4], ppids[4];

static void *record_ids(void *arg) {
    long me = (long)arg;
    tids[me] = syscall(SYS_gettid);
    pids[me] = getpid();
    ppids[me] = getppid();
    pthread_barrier_wait(&all_alive); /* tids are unique among live threads */
    return NULL;
}

struct child_report {
    int use_set_tid_address;
    long tid, pid, set_tid_result;
    int alternative_word;
};

static int child(void *arg) {
    struct child_report *report = arg;
    report->tid = raw_syscall(SYS_gettid, 0, 0, 0);
    report->pid = raw_syscall(SYS_getpid, 0, 0, 0);
    if (report->use_set_tid_address)
        report->set_tid_result = raw_syscall(SYS_set_tid_address, (long)&report->alternative_word, 0, 0);
    return 0;
}

static _Alignas(16) char stacks[2][64 * 1024];

/* Waits (bounded) until the kernel zeroes *word, sleeping in FUTEX_WAIT on it. */
static int wait_cleared(int *word) {
    for (int i = 0; i < 100; i++) {
        int value = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        if (value == 0) return 1;
        struct timespec timeout = {0, 50 * 1000000};
        syscall(SYS_futex, word, FUTEX_WAIT, value, &timeout, NULL, 0);
    }
    return __atomic_load_n(word, __ATOMIC_SEQ_CST) == 0;
}

static void run_clone(int index, int use_set_tid_address) {
    static int parent_tid[2], child_tid[2];
    struct child_report report = {use_set_tid_address, -1, -1, -1, -1};
    parent_tid[index] = -1;
    child_tid[index] = -1;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    int tid = clone(child, stacks[index] + sizeof stacks[index], flags, &report,
                    &parent_tid[index], NULL, &child_tid[index]);
    printf("clone %d: %s\n", index, tid > 0 ? "created" : "failed");
    if (tid <= 0) return;
    if (!use_set_tid_address) {
        int cleared = wait_cleared(&child_tid[index]);
        printf("  child-tid word zeroed at exit (FUTEX_WAIT woke or saw 0): %s\n", cleared ? "yes" : "no");
    } else {
        int cleared = wait_cleared(&report.alternative_word);
        printf("  set_tid_address returned the child's tid: %s\n", report.set_tid_result == tid ? "yes" : "no");
        printf("  the new word was zeroed at exit: %s; the CLONE_CHILD_CLEARTID word left alone: %s\n",
               cleared ? "yes" : "no", child_tid[index] == -1 ? "yes" : "no");
    }
    printf("  parent-tid word = clone result = child's gettid: %s\n",
           parent_tid[index] == tid && report.tid == tid ? "yes" : "no");
    printf("  child's getpid is the process's: %s; child's tid differs from it: %s\n",
           report.pid == getpid() ? "yes" : "no", report.tid != getpid() ? "yes" : "no");
}

int main(void) {
    long main_tid = syscall(SYS_gettid);
    printf("main thread: gettid == getpid: %s\n", main_tid == getpid() ? "yes" : "no");

    pthread_barrier_init(&all_alive, NULL, 4);
    pthread_t threads[4];
    for (long i = 0; i < 4; i++) pthread_create(&threads[i], NULL, record_ids, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    int distinct = 1, not_pid = 1, same_pid = 1, same_ppid = 1;
    for (int i = 0; i < 4; i++) {
        not_pid &= tids[i] != getpid() && tids[i] > 0;
        same_pid &= pids[i] == getpid();
        same_ppid &= ppids[i] == getppid();
        for (int j = i + 1; j < 4; j++) distinct &= tids[i] != tids[j];
    }
    printf("4 threads: tids distinct: %s, none equal to getpid: %s, same getpid: %s, same getppid: %s\n",
           distinct ? "yes" : "no", not_pid ? "yes" : "no", same_pid ? "yes" : "no", same_ppid ? "yes" : "no");
    pthread_barrier_destroy(&all_alive);

    run_clone(0, 0);
    run_clone(1, 1);

    static int main_word = 1;
    long r = syscall(SYS_set_tid_address, &main_word);
    printf("set_tid_address in main returns getpid: %s\n", r == getpid() ? "yes" : "no");
    return 0;
}
