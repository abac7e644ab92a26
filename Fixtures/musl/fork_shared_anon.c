// Checks MAP_SHARED|MAP_ANONYMOUS memory across fork: the child sees what the parent wrote
// before fork and after it (signalled through a pipe), the parent sees the child's writes once
// it is reaped (1 MiB, every page), a grandchild's writes reach the grandparent, parent and
// child take turns through an atomic counter in the shared page 20000 times without any system
// call between turns (bounded by a deadline), and the child's mprotect and munmap of its view do
// not affect the parent's. A MAP_PRIVATE page next to it stays private.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/fork.h"

#define SIZE (1 << 20)
#define PAGE 4096
#define TURNS 20000

static int exit_status(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static int every_page(const unsigned char *p, size_t size, unsigned char base) {
    for (size_t off = 0; off < size; off += PAGE)
        if (p[off] != (unsigned char)(base + off / PAGE) || p[off + PAGE - 1] != base) return 0;
    return 1;
}

static void mark_pages(unsigned char *p, size_t size, unsigned char base) {
    for (size_t off = 0; off < size; off += PAGE) {
        p[off] = (unsigned char)(base + off / PAGE);
        p[off + PAGE - 1] = base;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits until *turn == want (or the deadline passes); no system call while it is ahead. */
static int await_turn(volatile uint32_t *turn, uint32_t want, double deadline) {
    for (unsigned spins = 1;; spins++) {
        if (__atomic_load_n(turn, __ATOMIC_ACQUIRE) == want) return 1;
        if ((spins & 0xff) == 0) {
            sched_yield();
            if (now() > deadline) return 0;
        }
    }
}

int main(void) {
    unsigned char *shared = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    unsigned char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED || priv == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    memset(shared, 0, 64); /* touched before fork: the first page; the rest is first touched later */
    strcpy((char *)shared + 64, "written before fork");
    priv[0] = 'p';

    int go[2];
    pipe(go);
    pid_t pid = xfork();
    if (pid == 0) {
        close(go[1]);
        int before = strcmp((char *)shared + 64, "written before fork") == 0;
        char c;
        if (read(go[0], &c, 1) != 1) _exit(90);
        int after = strcmp((char *)shared + 128, "written by the parent after fork") == 0;
        mark_pages(shared + PAGE, SIZE - PAGE, 0x40); /* every page but the first */
        strcpy((char *)shared + 192, "written by the child");
        priv[0] = 'c';
        _exit(before * 10 + after);
    }
    close(go[0]);
    strcpy((char *)shared + 128, "written by the parent after fork");
    write(go[1], "g", 1);
    close(go[1]);
    int st = exit_status(pid);
    printf("child: pre-fork data seen %s, parent's post-fork data seen %s\n", yesno(st / 10 == 1), yesno(st % 10 == 1));
    printf("parent sees the child's string: %s\n", yesno(strcmp((char *)shared + 192, "written by the child") == 0));
    printf("parent sees the child's marks on all 255 other pages: %s\n", yesno(every_page(shared + PAGE, SIZE - PAGE, 0x40)));
    printf("private page stays the parent's: %c\n", priv[0]);

    /* A grandchild writes; the grandparent sees it after both are gone. */
    pid = xfork();
    if (pid == 0) {
        pid_t g = fork();
        if (g == 0) {
            strcpy((char *)shared + 256, "from the grandchild");
            _exit(0);
        }
        _exit(g > 0 ? exit_status(g) : 99);
    }
    st = exit_status(pid);
    printf("grandchild path exit %d, its string seen: %s\n", st, yesno(strcmp((char *)shared + 256, "from the grandchild") == 0));

    /* Alternating turns: the parent moves the counter from even to odd, the child from odd to even. */
    volatile uint32_t *turn = (volatile uint32_t *)(shared + 512);
    *turn = 0;
    double deadline = now() + 8.0;
    pid = xfork();
    if (pid == 0) {
        for (uint32_t i = 1; i < 2 * TURNS; i += 2) {
            if (!await_turn(turn, i, deadline)) _exit(1);
            __atomic_store_n(turn, i + 1, __ATOMIC_RELEASE);
        }
        _exit(0);
    }
    int parent_ok = 1;
    for (uint32_t i = 0; i < 2 * TURNS; i += 2) {
        if (!await_turn(turn, i, deadline)) {
            parent_ok = 0;
            break;
        }
        __atomic_store_n(turn, i + 1, __ATOMIC_RELEASE);
    }
    if (!parent_ok) kill(pid, SIGKILL);
    st = exit_status(pid);
    printf("turns: parent finished %s, child exit %d, counter %u (expected %u)\n", yesno(parent_ok), st,
           (unsigned)*turn, 2u * TURNS);

    /* The child's mprotect and munmap change only its own view. */
    pid = xfork();
    if (pid == 0) {
        int r1 = mprotect(shared, PAGE, PROT_READ);
        int r2 = munmap(shared + PAGE, PAGE);
        shared[2 * PAGE] = 'z'; /* still shared */
        _exit(r1 == 0 && r2 == 0 ? 0 : 1);
    }
    st = exit_status(pid);
    shared[0] = 'w';
    shared[PAGE] = 'v';
    printf("child's mprotect/munmap: exit %d; parent writes both pages: %s; child's later write seen: %s\n", st,
           yesno(shared[0] == 'w' && shared[PAGE] == 'v'), yesno(shared[2 * PAGE] == 'z'));
    munmap(shared, SIZE);
    munmap(priv, PAGE);
    return 0;
}
