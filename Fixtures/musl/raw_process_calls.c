// Checks the process and IPC calls that one libc's wrappers never make, through syscall(2) so
// that both libcs make them: fork (glibc's fork() uses clone), whose child sees a fresh pid,
// its parent as getppid() and a copy of memory, and whose status the parent reaps; and semop
// (glibc's semop() uses semtimedop) taking, releasing and refusing (IPC_NOWAIT: EAGAIN) a
// semaphore a child then waits on until the parent posts it. Every set is removed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int semaphores = -1;

static long raw_semop(int id, unsigned short num, short delta, short flags) {
    struct sembuf b = {num, delta, flags};
    return syscall(SYS_semop, id, &b, 1);
}

static int exit_status(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static volatile int shared_value = 5;

int main(void) {
    alarm(5);  // a semop that never returns ends the run (SIGALRM) instead of hanging it
    pid_t parent = getpid();
    fflush(stdout);
    long child = syscall(SYS_fork);
    if (child == 0) {
        // Only raw calls here: the libc's fork handlers did not run.
        int bad = 0;
        if (syscall(SYS_getpid) == parent) bad |= 1;
        if (syscall(SYS_getppid) != parent) bad |= 2;
        if (shared_value != 5) bad |= 4;
        shared_value = 6;
        syscall(SYS_exit_group, 40 + bad);
    }
    printf("raw fork: child %s, exit %d, parent's memory untouched %s\n", child > 0 ? "made" : "failed",
           child > 0 ? exit_status((pid_t)child) : -1, shared_value == 5 ? "yes" : "no");

    semaphores = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (semaphores < 0) { perror("semget"); return 1; }
    long posted = raw_semop(semaphores, 0, 1, 0);
    long taken = raw_semop(semaphores, 0, -1, 0);
    printf("raw semop: post %ld, take %ld", posted, taken);
    errno = 0;
    long refused = raw_semop(semaphores, 0, -1, IPC_NOWAIT);
    printf(", take while empty %ld %s\n", refused, errno == EAGAIN ? "EAGAIN" : "other");

    fflush(stdout);
    pid_t waiter = fork();
    if (waiter == 0) _exit(raw_semop(semaphores, 0, -1, 0) == 0 ? 0 : 1);
    usleep(50000);
    raw_semop(semaphores, 0, 1, 0);
    printf("a child waiting in semop took the parent's post: %s\n", exit_status(waiter) == 0 ? "yes" : "no");
    errno = 0;
    long bad_set = raw_semop(-1, 0, 1, 0);
    printf("semop on set -1: %ld %s\n", bad_set, errno == EINVAL ? "EINVAL" : "other");
    semctl(semaphores, 0, IPC_RMID);
    return 0;
}
