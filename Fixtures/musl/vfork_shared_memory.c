// Checks that a vfork child shares its parent's memory until it execs or exits, as Linux's
// shared mm does: what the child writes is there when the parent resumes. A vfork() child
// and a clone(CLONE_VM|CLONE_VFORK) child (the C library's clone wrapper around the raw call,
// on a stack of its own, as posix_spawn makes it) each write a variable on the parent's stack,
// a global, a small heap buffer, a fresh mmap'd page the parent never touched, a page deep in
// a large malloc the parent never touched, a page inside a large block the parent filled
// first, and a buffer the kernel fills for the child (read() from a pipe), then _exit. A vfork
// child whose execve of a missing program fails stores errno in the parent's variable and
// _exits 127: the parent sees ENOENT, and its own errno (which the child's failed call set)
// is ENOENT too. A child that writes a variable and then execs a program (its output sent to
// /dev/null) leaves the write behind; one that writes after a failed exec and then execs
// successfully leaves both writes.
// conformance-libcs: musl glibc
// conformance-programs: exec_target
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long global_value = 1;
static char kernel_filled[64];

/* Everything a child writes into, shared with it through one pointer. */
struct targets {
    long *stack_value;
    char *heap;
    char *fresh_page;
    char *large_untouched;   /* a page deep inside a large malloc the parent never touched */
    char *large_filled;      /* a page inside a large block the parent filled first */
    int pipe_read;
    int tag;                 /* what this child writes: distinct per child */
};

static void write_everything(struct targets *t) {
    *t->stack_value = 100 + t->tag;
    global_value = 200 + t->tag;
    t->heap[5] = (char)('a' + t->tag);
    t->fresh_page[123] = (char)('A' + t->tag);
    t->large_untouched[0] = (char)('k' + t->tag);
    t->large_filled[4095] = (char)('p' + t->tag);
    /* The kernel writes this one for the child. */
    syscall(SYS_read, t->pipe_read, kernel_filled, 13);
}

static void report(const char *who, struct targets *t) {
    printf("%s: stack %ld, global %ld, heap '%c', fresh mmap page '%c', untouched large malloc '%c', "
           "filled large block '%c' (neighbour '%c'), kernel-filled \"%s\"\n",
           who, *t->stack_value, global_value, t->heap[5], t->fresh_page[123] ? t->fresh_page[123] : '0',
           t->large_untouched[0] ? t->large_untouched[0] : '0', t->large_filled[4095], t->large_filled[4096],
           kernel_filled);
}

static int reap(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, __WALL); while (r < 0 && errno == EINTR);
    return r == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int clone_child(void *arg) {
    write_everything(arg);
    syscall(SYS_exit_group, 9);
    return 0;
}

static const char *errname(int e) {
    switch (e) {
    case 0: return "0";
    case ENOENT: return "ENOENT";
    default: return "other";
    }
}

int main(void) {
    size_t large_size = 8u << 20;
    char *large_untouched = malloc(large_size);
    char *large_filled = malloc(large_size);
    char *heap = malloc(32);
    char *fresh = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!large_untouched || !large_filled || !heap || fresh == MAP_FAILED) return 1;
    memset(large_filled, 'x', large_size);
    memset(heap, 'h', 31);
    heap[31] = 0;
    int p[2];
    if (pipe(p) != 0) return 1;
    if (write(p[1], "kernel-copied", 13) != 13 || write(p[1], "second-copied", 13) != 13) return 1;

    volatile long stack_value = 0;
    struct targets t = {(long *)&stack_value, heap, fresh + 4096, large_untouched + (4u << 20) + 8192,
                        large_filled + (3u << 20), p[0], 1};
    printf("before: stack %ld, global %ld, heap '%c', filled large block '%c'\n", stack_value, global_value, heap[5],
           t.large_filled[4095]);

    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        write_everything(&t);
        _exit(7);
    }
    int status = reap(pid);
    report("after the vfork child", &t);
    printf("vfork child status %d\n", status);

    /* clone(CLONE_VM|CLONE_VFORK) with a stack of its own. */
    size_t stack_size = 64 * 1024;
    char *child_stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (child_stack == MAP_FAILED) return 1;
    memset(kernel_filled, 0, sizeof kernel_filled);
    t.tag = 2;
    /* Pages the parent never touched yet (reporting the first child's touched its pages). */
    t.fresh_page = fresh + 2 * 4096;
    t.large_untouched = large_untouched + (6u << 20) + 8192;
    fflush(stdout);
    pid = clone(clone_child, child_stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &t);
    status = reap(pid);
    report("after the clone(CLONE_VM|CLONE_VFORK) child", &t);
    printf("clone child status %d\n", status);
    munmap(child_stack, stack_size);

    /* A failed execve: the child reports errno through the parent's memory, as posix_spawn does. */
    /* volatile: the child's stores must go to memory, not to a register the parent never sees. */
    volatile int exec_error = 0;
    errno = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        char *argv[] = {"missing", NULL};
        char *envp[] = {NULL};
        execve("./no-such-program", argv, envp);
        exec_error = errno;
        _exit(127);
    }
    int parent_errno = errno;
    status = reap(pid);
    printf("failed exec: child status %d, error it stored %s, parent's errno after vfork %s\n", status,
           errname(exec_error), errname(parent_errno));

    /* Writes before a successful exec stay; so do writes between a failed exec and a good one. */
    volatile long before_exec = 0, between_execs = 0;
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        char *argv[] = {"exec_target", "4", NULL};
        char *envp[] = {NULL};
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 1) < 0) _exit(100);
        before_exec = 11;
        execve("./no-such-program", argv, envp);
        between_execs = errno == ENOENT ? 22 : 23;
        execve("./exec_target", argv, envp);
        _exit(101);
    }
    status = reap(pid);
    printf("exec'd child: status %d, wrote %ld before its failed exec and %ld before the good one\n", status,
           before_exec, between_execs);
    return 0;
}
