// Checks System V semaphore sets between a parent and its child: a 200-round ping-pong over
// two semaphores (each side waits in semop for its turn), SETVAL/GETVAL, SETALL/GETALL,
// GETPID (the last process to operate), GETNCNT and GETZCNT (waiting children), IPC_STAT (sem_nsems) and IPC_SET, several operations
// applied atomically, IPC_NOWAIT (EAGAIN), semtimedop's timeout (EAGAIN after it), SEM_UNDO
// undone when the child exits, keys from ftok (IPC_CREAT|IPC_EXCL: EEXIST, the same key finds
// the same set, a larger nsems is EINVAL, ENOENT once removed), EFBIG, ERANGE, EINVAL on a
// removed set, EIDRM for a waiter whose set is removed and EINTR for a waiter a signal
// interrupts (even with SA_RESTART). Every set is removed, also on failure; ids are never printed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/sysv.h"

static int sets[3] = {-1, -1, -1};

static void cleanup(void) {
    for (int i = 0; i < 3; i++) if (sets[i] >= 0) semctl(sets[i], 0, IPC_RMID);
}

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static int op(int id, unsigned short num, short delta, short flags) {
    struct sembuf b = {num, delta, flags};
    return semop(id, &b, 1);
}

static void on_alarm(int sig) { (void)sig; }

// GETNCNT or GETZCNT of semaphore `num` once it is `expected` (waiting up to 2 s for waiters
// to start waiting), or its last value.
static int count_reaching(int id, int num, int command, int expected) {
    int value = -1;
    for (int i = 0; i < 200; i++) {
        value = semctl(id, num, command);
        if (value == expected) break;
        pause_ms(10);
    }
    return value;
}

static long elapsed_ms(struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int main(void) {
    int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    check(s >= 0, "semget IPC_PRIVATE");
    sets[0] = s;
    struct semid_ds info;
    union semun arg = {.buf = &info};
    check(semctl(s, 0, IPC_STAT, arg) == 0, "IPC_STAT");
    printf("nsems %lu, mode %o, values %d %d\n", (unsigned long)info.sem_nsems, (unsigned)(info.sem_perm.mode & 0777),
           semctl(s, 0, GETVAL), semctl(s, 1, GETVAL));

    // Ping-pong: semaphore 0 is the child's turn, 1 the parent's.
    pid_t child = xfork();
    if (child == 0) {
        for (int i = 0; i < 200; i++) {
            if (op(s, 0, -1, 0) != 0) _exit(10);
            if (op(s, 1, 1, 0) != 0) _exit(11);
        }
        _exit(0);
    }
    pause_ms(50);  // the child waits first
    int rounds = 0;
    for (int i = 0; i < 200; i++) {
        check(op(s, 0, 1, 0) == 0, "post the child's turn");
        check(op(s, 1, -1, 0) == 0, "wait for the parent's turn");
        rounds++;
    }
    printf("ping-pong rounds: %d, child exit %d\n", rounds, reap(child));
    printf("values %d %d, last operation on 0 by the child: %s, on 1 by the parent: %s\n", semctl(s, 0, GETVAL),
           semctl(s, 1, GETVAL), semctl(s, 0, GETPID) == child ? "yes" : "no", semctl(s, 1, GETPID) == getpid() ? "yes" : "no");

    arg.val = 5;
    check(semctl(s, 0, SETVAL, arg) == 0, "SETVAL");
    unsigned short all[2] = {7, 9};
    arg.array = all;
    check(semctl(s, 0, SETALL, arg) == 0, "SETALL");
    unsigned short got[2] = {0, 0};
    arg.array = got;
    check(semctl(s, 0, GETALL, arg) == 0, "GETALL");
    printf("GETALL after SETALL: %u %u\n", got[0], got[1]);
    arg.buf = &info;
    info.sem_perm.mode = 0640;
    check(semctl(s, 0, IPC_SET, arg) == 0, "IPC_SET");
    check(semctl(s, 0, IPC_STAT, arg) == 0, "IPC_STAT after IPC_SET");
    printf("mode after IPC_SET %o\n", (unsigned)(info.sem_perm.mode & 0777));

    // Atomic sets of operations: all or nothing.
    struct sembuf both[2] = {{0, -7, IPC_NOWAIT}, {1, -10, IPC_NOWAIT}};
    SHOW("take 7 and 10 (only 9 there)", semop(s, both, 2));
    printf("values unchanged: %d %d\n", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL));
    both[1].sem_op = -9;
    SHOW("take 7 and 9", semop(s, both, 2));
    printf("values %d %d\n", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL));
    SHOW("IPC_NOWAIT on zero", op(s, 0, -1, IPC_NOWAIT));
    struct timespec start, timeout = {0, 150000000};
    struct sembuf one = {0, -1, 0};
    clock_gettime(CLOCK_MONOTONIC, &start);
    SHOW("semtimedop 150 ms", semtimedop(s, &one, 1, &timeout));
    long waited = elapsed_ms(&start);
    printf("waited at least 140 ms: %s\n", waited >= 140 ? "yes" : "no");
    SHOW("semaphore 2 of 2", op(s, 2, 1, 0));
    arg.val = -1;
    SHOW("SETVAL -1", semctl(s, 0, SETVAL, arg));

    // SEM_UNDO: the child's +3 goes when it exits.
    child = xfork();
    if (child == 0) {
        if (op(s, 1, 3, SEM_UNDO) != 0) _exit(10);
        printf("child: value with its SEM_UNDO +3: %d\n", semctl(s, 1, GETVAL));
        fflush(stdout);
        _exit(0);
    }
    reap(child);
    printf("after the child's exit: %d\n", semctl(s, 1, GETVAL));

    // Waiters are counted: one for an increase (GETNCNT), one for zero (GETZCNT).
    arg.val = 0;
    check(semctl(s, 0, SETVAL, arg) == 0, "SETVAL 0");
    arg.val = 1;
    check(semctl(s, 1, SETVAL, arg) == 0, "SETVAL 1");
    pid_t taker = xfork();
    if (taker == 0) _exit(op(s, 0, -1, 0) == 0 ? 0 : 10);
    pid_t zero_waiter = xfork();
    if (zero_waiter == 0) _exit(op(s, 1, 0, 0) == 0 ? 0 : 10);
    printf("waiting for an increase: %d, for zero: %d\n", count_reaching(s, 0, GETNCNT, 1), count_reaching(s, 1, GETZCNT, 1));
    check(op(s, 0, 1, 0) == 0, "wake the taker");
    check(op(s, 1, -1, 0) == 0, "wake the zero waiter");
    int taker_status = reap(taker);
    printf("taker exit %d, zero waiter exit %d, waiting now: %d %d\n", taker_status, reap(zero_waiter),
           semctl(s, 0, GETNCNT), semctl(s, 1, GETZCNT));

    // Keys.
    int fd = open("sem.key", O_CREAT | O_WRONLY, 0600);
    check(fd >= 0, "create key file");
    close(fd);
    key_t key = ftok("sem.key", 's');
    check(key != -1, "ftok");
    int keyed = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
    check(keyed >= 0, "semget key");
    sets[1] = keyed;
    SHOW("again with IPC_EXCL", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600));
    printf("same key, same id: %s\n", semget(key, 2, 0) == keyed ? "yes" : "no");
    SHOW("more semaphores than the set has", semget(key, 4, 0));
    check(semctl(keyed, 0, IPC_RMID) == 0, "IPC_RMID keyed");
    sets[1] = -1;
    SHOW("after IPC_RMID", semget(key, 3, 0));
    SHOW("operation on the removed set", op(keyed, 0, 1, 0));
    unlink("sem.key");

    // A waiter sees its set go (EIDRM).
    int doomed = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    check(doomed >= 0, "semget doomed");
    sets[2] = doomed;
    child = xfork();
    if (child == 0) {
        int r = op(doomed, 0, -1, 0);
        printf("child: waiting semop on a removed set: %d %s\n", r, name(errno));
        fflush(stdout);
        _exit(0);
    }
    pause_ms(100);
    check(semctl(doomed, 0, IPC_RMID) == 0, "IPC_RMID doomed");
    sets[2] = -1;
    reap(child);

    // A signal ends a wait with EINTR, even with SA_RESTART.
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    alarm(1);
    SHOW("semop interrupted", op(s, 0, -1, 0));

    check(semctl(s, 0, IPC_RMID) == 0, "IPC_RMID");
    sets[0] = -1;
    SHOW("GETVAL after IPC_RMID", semctl(s, 0, GETVAL));
    return 0;
}
