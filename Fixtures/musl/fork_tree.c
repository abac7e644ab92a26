// Checks process trees: a binary tree of processes four levels deep (31 processes) where each
// process exits with the size of its subtree (its children's exit statuses plus one), reaped
// with waitpid on each child's pid; the same tree reaped with waitpid(-1) in whatever order the
// children end, each node combining its children's statuses with weights (left and right must
// not be mixed up); a three-way tree (40 processes) whose inner nodes have all children alive at
// once; a chain of 20 nested processes (each forks the next and exits with its child's status
// plus one); and 100 sequential fork/exit/wait rounds (pids must be recycled or plentiful),
// each child's status matching its round. Only the root prints, after its children are reaped.
// conformance-timeout: 120
// conformance-libcs: musl glibc
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    return fork();
}

/* Exit status of child pid (blocking; the child ends by itself), or -1 if it did not exit. */
static int status_of(pid_t pid) {
    int st;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

/* Subtree size: fork `fanout` children for each level below, wait for each by pid. */
static int count_tree(int depth, int fanout) {
    if (depth == 0) return 1;
    pid_t kids[8];
    for (int i = 0; i < fanout; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) _exit(count_tree(depth - 1, fanout));
        if (kids[i] < 0) return 200;
    }
    int total = 1;
    for (int i = 0; i < fanout; i++) {
        int s = status_of(kids[i]);
        if (s < 0) return 201;
        total += s;
    }
    return total;
}

/* A weighted value: leaves give 1 + their index among siblings (1 or 2), inner nodes
   (3 * left + 5 * right + depth) mod 251. Children are reaped with waitpid(-1) in any order and
   matched to left/right by pid. */
static int weighted_tree(int depth, int index) {
    if (depth == 0) return 1 + index;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = xfork();
        if (kids[i] == 0) _exit(weighted_tree(depth - 1, i));
        if (kids[i] < 0) return 250;
    }
    int value[2] = {-1, -1};
    for (int n = 0; n < 2; n++) {
        int st;
        pid_t r;
        do r = waitpid(-1, &st, 0); while (r < 0 && errno == EINTR);
        for (int i = 0; i < 2; i++)
            if (r == kids[i] && WIFEXITED(st)) value[i] = WEXITSTATUS(st);
    }
    if (value[0] < 0 || value[1] < 0) return 250;
    return (3 * value[0] + 5 * value[1] + depth) % 251;
}

static int expected_weighted(int depth, int index) {
    if (depth == 0) return 1 + index;
    return (3 * expected_weighted(depth - 1, 0) + 5 * expected_weighted(depth - 1, 1) + depth) % 251;
}

/* Each link forks the next; the last exits 0, each other one exits with its child's status + 1. */
static int chain(int remaining) {
    if (remaining == 0) return 0;
    pid_t pid = xfork();
    if (pid < 0) return 200;
    if (pid == 0) _exit(chain(remaining - 1));
    int s = status_of(pid);
    return s < 0 ? 201 : s + 1;
}

int main(void) {
    pid_t root = getpid();

    int size = count_tree(4, 2);
    printf("binary tree depth 4: root computed %d processes (expected 31)\n", size);

    int w = weighted_tree(4, 0);
    printf("weighted tree depth 4, reaped in any order: %d (expected %d)\n", w, expected_weighted(4, 0));

    int three = count_tree(3, 3);
    printf("three-way tree depth 3: root computed %d processes (expected 40)\n", three);

    int links = chain(20);
    printf("nested chain of 20: %d\n", links);

    int matched = 0, distinct_from_root = 0;
    char first_mismatch[160] = "";
    for (int i = 0; i < 100; i++) {
        pid_t pid = xfork();
        if (pid < 0) {
            printf("fork %d failed: %s\n", i, strerror(errno));
            break;
        }
        if (pid == 0) _exit(i & 0xff);
        if (pid != root) distinct_from_root++;
        int st = 0;
        pid_t r;
        do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
        if (r == pid && WIFEXITED(st) && WEXITSTATUS(st) == (i & 0xff)) matched++;
        else if (!first_mismatch[0])
            snprintf(first_mismatch, sizeof first_mismatch, "child %d: waitpid %s (%s), status 0x%x", i,
                     r == pid ? "gave its pid" : "failed", r == pid ? "-" : strerror(errno), st);
    }
    printf("sequential fork/exit/wait: %d of 100 statuses matched, %d pids differ from the root's\n",
           matched, distinct_from_root);
    /* Only when something differed (never natively): what the first mismatch was. */
    if (first_mismatch[0]) printf("  first mismatch: %s\n", first_mismatch);

    int st;
    errno = 0;
    pid_t r = wait(&st);
    printf("no children left: %d %s\n", (int)r, errno == ECHILD ? "ECHILD" : "other");
    printf("still the root: %s\n", getpid() == root ? "yes" : "no");
    return 0;
}
