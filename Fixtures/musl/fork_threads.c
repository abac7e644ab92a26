// Checks fork in a multi-threaded process: with three extra threads blocked on a condition
// variable, the child holds only the forking thread (its gettid() equals its getpid(), and
// tgkill(child, tid, 0) is ESRCH for each of the parent's other thread ids), can malloc, create
// a thread and join it, and exits 7; pthread_atfork handlers run in POSIX order (prepare in
// reverse registration order, parent and child handlers in registration order). The parent's
// threads are still alive afterwards (tgkill 0), are stopped through the condition variable and
// joined. A non-main thread forks: its child exits 9 and that thread reaps it; a child forked by
// a thread that has since been joined is reaped by the main thread (exit 11) and reports the
// same getppid(). Children report through pipes and exit statuses; only the parent prints.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t gettid_raw(void) { return (pid_t)syscall(SYS_gettid); }
static int tgkill_raw(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }
static const char *yesno(int b) { return b ? "yes" : "no"; }

static pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    return fork();
}

static int exit_status(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

/* pthread_atfork log, reset before each fork. */
static char fork_log[64];
static void log_add(const char *s) { strncat(fork_log, s, sizeof fork_log - strlen(fork_log) - 1); }
static void prepare1(void) { log_add(" prepare1"); }
static void prepare2(void) { log_add(" prepare2"); }
static void parent1(void) { log_add(" parent1"); }
static void parent2(void) { log_add(" parent2"); }
static void child1(void) { log_add(" child1"); }
static void child2(void) { log_add(" child2"); }

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int stop, ready;
static pid_t tids[3];

static void *sleeper(void *arg) {
    int index = (int)(intptr_t)arg;
    pthread_mutex_lock(&lock);
    tids[index] = gettid_raw();
    ready++;
    while (!stop) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
    return (void *)(intptr_t)(100 + index);
}

static void *child_thread(void *arg) { return (void *)((intptr_t)arg * 2); }

/* Runs in the child of a multi-threaded fork: facts as a bit mask, 0 bits set = all good. */
static int child_checks(pid_t parent, const pid_t *other_tids, int n_other) {
    int bad = 0;
    if (gettid_raw() != getpid()) bad |= 1;
    if (getppid() != parent) bad |= 2;
    for (int i = 0; i < n_other; i++) {
        errno = 0;
        if (!(tgkill_raw(getpid(), other_tids[i], 0) == -1 && errno == ESRCH)) bad |= 4;
    }
    void *mem = malloc(1 << 20);
    if (!mem) bad |= 8;
    memset(mem, 1, 1 << 20);
    free(mem);
    pthread_t t;
    void *ret = NULL;
    if (pthread_create(&t, NULL, child_thread, (void *)21) != 0 || pthread_join(t, &ret) != 0 || ret != (void *)42)
        bad |= 16;
    return bad;
}

static void report_child(int fd) {
    /* The atfork log in the child, then end of message. */
    write(fd, fork_log, strlen(fork_log));
}

static void read_report(int fd, char *buf, size_t size) {
    size_t got = 0;
    ssize_t n;
    while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        got += (size_t)n;
    }
    buf[got] = 0;
}

struct thread_fork {
    pid_t parent;
    pid_t main_tid;
    int status;       /* exit status of the child this thread forked and reaped */
    int child_bad;    /* its check mask, through a pipe */
    pid_t later_pid;  /* a child left for the main thread to reap */
    int release_fd;   /* the main thread writes here to let that child finish */
};

static void *forking_thread(void *arg) {
    struct thread_fork *tf = arg;
    int p[2];
    pipe(p);
    pid_t pid = xfork();
    if (pid == 0) {
        int bad = child_checks(tf->parent, &tf->main_tid, 1);
        write(p[1], &bad, sizeof bad);
        _exit(9);
    }
    close(p[1]);
    tf->child_bad = -1;
    if (read(p[0], &tf->child_bad, sizeof tf->child_bad) != sizeof tf->child_bad) tf->child_bad = -1;
    close(p[0]);
    tf->status = exit_status(pid);

    int release[2];
    pipe(release);
    pid = xfork();
    if (pid == 0) {
        close(release[1]);
        char c;
        ssize_t n = read(release[0], &c, 1); /* until the main thread writes */
        _exit(n == 1 && getppid() == tf->parent ? 11 : 12);
    }
    close(release[0]);
    tf->later_pid = pid;
    tf->release_fd = release[1];
    return NULL;
}

int main(void) {
    pid_t me = getpid();
    pthread_atfork(prepare1, parent1, child1);
    pthread_atfork(prepare2, parent2, child2);

    pthread_t threads[3];
    for (int i = 0; i < 3; i++) pthread_create(&threads[i], NULL, sleeper, (void *)(intptr_t)i);
    int all_ready = 0;
    for (int i = 0; i < 5000 && !all_ready; i++) {
        pthread_mutex_lock(&lock);
        all_ready = ready == 3;
        pthread_mutex_unlock(&lock);
        if (!all_ready) usleep(1000);
    }
    printf("three threads waiting: %s\n", yesno(all_ready));

    int p[2];
    pipe(p);
    fork_log[0] = 0;
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        /* The other threads' mutex and condition variable are not touched here. */
        int bad = child_checks(me, tids, 3);
        write(p[1], &bad, sizeof bad);
        report_child(p[1]);
        _exit(7);
    }
    char parent_log[64];
    strcpy(parent_log, fork_log);
    close(p[1]);
    int bad = -1;
    if (read(p[0], &bad, sizeof bad) != sizeof bad) bad = -1;
    char child_log[64];
    read_report(p[0], child_log, sizeof child_log);
    close(p[0]);
    int st = exit_status(pid);
    printf("child of the main thread: exit %d, checks failed mask %d\n", st, bad);
    printf("atfork in the parent:%s\n", parent_log);
    printf("atfork in the child:%s\n", child_log);

    int alive = 0;
    for (int i = 0; i < 3; i++) alive += tgkill_raw(me, tids[i], 0) == 0;
    printf("parent's threads alive after the fork: %d\n", alive);
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(threads[i], &ret);
        sum += (long)(intptr_t)ret;
    }
    printf("joined the three threads: results sum %ld (expected 303)\n", sum);

    struct thread_fork tf = {.parent = me, .main_tid = gettid_raw()};
    fork_log[0] = 0;
    pthread_t t;
    pthread_create(&t, NULL, forking_thread, &tf);
    pthread_join(t, NULL);
    printf("child of a second thread: exit %d (reaped by that thread), checks failed mask %d\n", tf.status, tf.child_bad);
    write(tf.release_fd, "x", 1);
    close(tf.release_fd);
    st = exit_status(tf.later_pid);
    printf("child of the joined thread, reaped by main: exit %d\n", st);
    errno = 0;
    pid_t r = wait(&st);
    printf("no children left: %d %s\n", (int)r, errno == ECHILD ? "ECHILD" : "other");
    return 0;
}
