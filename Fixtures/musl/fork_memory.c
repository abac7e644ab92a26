// Checks copy-on-write across fork: the child sees the parent's pre-fork values (not what the
// parent writes after fork) in initialised globals, a 1 MiB .bss array (touched and untouched
// parts), an 8 MiB malloc'd buffer, stack variables, a MAP_PRIVATE|MAP_ANONYMOUS region (touched
// and never-touched pages) and a MAP_PRIVATE mapping of a file; the child's own writes stick in
// the child and none of them reach the parent or the file. The child's mprotect, munmap and brk
// leave the parent's mappings and break alone. File descriptors: a file opened before fork
// shares its offset (the child writes "abc", then the parent "def": the file holds "abcdef"),
// file status flags (O_NONBLOCK set by the child) are shared while FD_CLOEXEC and closing a
// descriptor stay per process; files the child creates with write() and with stdio (flushed by
// exit) are complete once it is reaped. The files are left in the working directory.
// conformance-timeout: 120
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/fork.h"

#define HEAP_SIZE (8 << 20)
#define ANON_SIZE (2 << 20) /* first half touched before fork, second half never */
#define BSS_WORDS (1 << 17) /* 1 MiB of long */
#define PAGE 4096

static int g_int = 11;
static char g_str[32] = "parent before fork";
static long g_bss[BSS_WORDS];

static int reap(pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r < 0 && errno == EINTR);
    if (r != pid) printf("waitpid failed\n");
    return st;
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

static int all_bytes(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

static unsigned char pattern(size_t i, unsigned seed) { return (unsigned char)(i * 7 + seed + (i >> 12)); }

static int has_pattern(const unsigned char *p, size_t from, size_t to, unsigned seed) {
    for (size_t i = from; i < to; i++)
        if (p[i] != pattern(i, seed)) return 0;
    return 1;
}

static void fill_pattern(unsigned char *p, size_t from, size_t to, unsigned seed) {
    for (size_t i = from; i < to; i++) p[i] = pattern(i, seed);
}

/* The child's report: lines collected here, written to the parent's pipe in one go. */
static char report[4096];
static size_t report_len;

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(report + report_len, sizeof report - report_len, fmt, ap);
    va_end(ap);
    if (n > 0) report_len += (size_t)n;
}

static void write_file(const char *name, const char *text) {
    int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

static void print_file(const char *name) {
    char buf[128];
    int fd = open(name, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    if (n < 0) {
        printf("%s: cannot read\n", name);
        return;
    }
    buf[n] = 0;
    printf("%s: \"%s\"\n", name, buf);
}

static void memory_section(void) {
    unsigned char *heap = malloc(HEAP_SIZE);
    unsigned char *anon = mmap(NULL, ANON_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *extra = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    write_file("private_map.txt", "file contents before fork");
    int mfd = open("private_map.txt", O_RDWR);
    char *fmap = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
    close(mfd);
    if (!heap || anon == MAP_FAILED || extra == MAP_FAILED || fmap == MAP_FAILED) {
        printf("setup failed\n");
        exit(1);
    }

    volatile int stack_int = 21;
    char stack_buf[PAGE];
    memset(stack_buf, 's', sizeof stack_buf);
    fill_pattern(heap, 0, HEAP_SIZE, 1);
    fill_pattern(anon, 0, ANON_SIZE / 2, 2);
    memset(extra, 'e', 4 * PAGE);
    for (size_t i = 0; i < BSS_WORDS / 2; i++) g_bss[i] = (long)i;

    int go[2], rep[2];
    pipe(go);
    pipe(rep);
    long parent_break = syscall(SYS_brk, 0);
    pid_t pid = xfork();
    if (pid == 0) {
        close(go[1]);
        close(rep[0]);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(2); /* the parent has made its own writes */

        say("child sees pre-fork global int: %s\n", yesno(g_int == 11));
        say("child sees pre-fork global string: %s\n", yesno(strcmp(g_str, "parent before fork") == 0));
        int bss_ok = 1;
        for (size_t i = 0; i < BSS_WORDS; i++)
            if (g_bss[i] != (i < BSS_WORDS / 2 ? (long)i : 0)) bss_ok = 0;
        say("child sees pre-fork bss (touched and zero halves): %s\n", yesno(bss_ok));
        say("child sees pre-fork heap (8 MiB): %s\n", yesno(has_pattern(heap, 0, HEAP_SIZE, 1)));
        say("child sees pre-fork stack: %s\n", yesno(stack_int == 21 && all_bytes((unsigned char *)stack_buf, PAGE, 's')));
        say("child sees pre-fork private anonymous pages: %s\n", yesno(has_pattern(anon, 0, ANON_SIZE / 2, 2)));
        say("child sees never-touched anonymous pages as zero: %s\n", yesno(all_bytes(anon + ANON_SIZE / 2, ANON_SIZE / 2, 0)));
        say("child sees the private file mapping: %s\n", yesno(memcmp(fmap, "file contents before fork", 25) == 0));

        g_int = 99;
        strcpy(g_str, "child wrote this");
        for (size_t i = 0; i < BSS_WORDS; i++) g_bss[i] = -1;
        fill_pattern(heap, 0, HEAP_SIZE, 3);
        stack_int = 77;
        memset(stack_buf, 'c', sizeof stack_buf);
        fill_pattern(anon, 0, ANON_SIZE, 4);
        memcpy(fmap, "KIDS", 4);
        int own = g_int == 99 && strcmp(g_str, "child wrote this") == 0 && g_bss[BSS_WORDS - 1] == -1 &&
                  has_pattern(heap, 0, HEAP_SIZE, 3) && stack_int == 77 && stack_buf[PAGE - 1] == 'c' &&
                  has_pattern(anon, 0, ANON_SIZE, 4) && memcmp(fmap, "KIDS contents", 13) == 0;
        say("child's own writes read back in the child: %s\n", yesno(own));
        say("child's private file mapping: %.25s\n", fmap);

        int prot = mprotect(extra, PAGE, PROT_READ);
        int unmapped = munmap(extra + PAGE, PAGE);
        long grown = syscall(SYS_brk, parent_break + 1024 * 1024);
        say("child mprotect %d, munmap %d, brk moved: %s\n", prot, unmapped, yesno(grown == parent_break + 1024 * 1024));
        write(rep[1], report, report_len);
        _exit(0);
    }
    close(go[0]);
    close(rep[1]);
    /* The parent writes after fork, before the child looks. */
    g_int = 12;
    strcpy(g_str, "parent after fork");
    for (size_t i = 0; i < BSS_WORDS / 4; i++) g_bss[i] = 5;
    fill_pattern(heap, 0, HEAP_SIZE / 2, 5);
    stack_int = 22;
    stack_buf[0] = 'p';
    fill_pattern(anon, 0, ANON_SIZE / 4, 6);
    memcpy(fmap, "FILE", 4);
    write(go[1], "g", 1);
    close(go[1]);

    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(rep[0], buf + got, sizeof buf - 1 - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        got += (size_t)n;
    }
    close(rep[0]);
    int st = reap(pid);
    long break_after = syscall(SYS_brk, 0);
    buf[got] = 0;
    printf("%s", buf);
    printf("child exit status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    printf("parent keeps its global int: %s\n", yesno(g_int == 12));
    printf("parent keeps its global string: %s\n", yesno(strcmp(g_str, "parent after fork") == 0));
    int bss_ok = 1;
    for (size_t i = 0; i < BSS_WORDS; i++) {
        long want = i < BSS_WORDS / 4 ? 5 : i < BSS_WORDS / 2 ? (long)i : 0;
        if (g_bss[i] != want) bss_ok = 0;
    }
    printf("parent keeps its bss: %s\n", yesno(bss_ok));
    printf("parent keeps its heap (written half and untouched half): %s\n",
           yesno(has_pattern(heap, 0, HEAP_SIZE / 2, 5) && has_pattern(heap, HEAP_SIZE / 2, HEAP_SIZE, 1)));
    printf("parent keeps its stack: %s\n",
           yesno(stack_int == 22 && stack_buf[0] == 'p' && all_bytes((unsigned char *)stack_buf + 1, PAGE - 1, 's')));
    printf("parent keeps its private anonymous pages: %s\n",
           yesno(has_pattern(anon, 0, ANON_SIZE / 4, 6) && has_pattern(anon, ANON_SIZE / 4, ANON_SIZE / 2, 2)));
    printf("parent's never-touched pages are still zero: %s\n", yesno(all_bytes(anon + ANON_SIZE / 2, ANON_SIZE / 2, 0)));
    printf("parent's private file mapping: %.25s\n", fmap);
    printf("parent's break unchanged by the child's brk: %s\n", yesno(break_after == parent_break));
    extra[0] = 'w';
    extra[PAGE] = 'x';
    printf("parent can still write the pages the child protected and unmapped: %s\n",
           yesno(extra[0] == 'w' && extra[PAGE] == 'x' && extra[PAGE + 1] == 'e'));
    munmap(fmap, PAGE);
    munmap(anon, ANON_SIZE);
    munmap(extra, 4 * PAGE);
    free(heap);
    print_file("private_map.txt");
}

static void fd_section(void) {
    int fd = open("shared_offset.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    int keep = open("private_map.txt", O_RDONLY);
    int p[2];
    pipe(p);
    pid_t pid = xfork();
    if (pid == 0) {
        int ok = write(fd, "abc", 3) == 3;
        ok &= fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0;
        ok &= fcntl(keep, F_SETFD, FD_CLOEXEC) == 0;
        close(keep);
        int other = open("child_write.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
        ok &= write(other, "written by the child, not closed", 32) == 32;
        FILE *f = fopen("child_stdio.txt", "w");
        if (f) fputs("buffered by the child's stdio, flushed by exit\n", f);
        exit(ok && f ? 0 : 1); /* exit, not _exit: stdio is flushed */
    }
    int st = reap(pid);
    printf("fd child exit status: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    off_t off_after_child = lseek(fd, 0, SEEK_CUR);
    ssize_t w = write(fd, "def", 3);
    off_t off_after_parent = lseek(fd, 0, SEEK_CUR);
    printf("offset after the child's write: %lld; parent wrote %d; offset now %lld\n", (long long)off_after_child,
           (int)w, (long long)off_after_parent);
    printf("O_NONBLOCK set by the child is seen by the parent: %s\n", yesno((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0));
    int fdflags = fcntl(keep, F_GETFD);
    printf("descriptor the child marked FD_CLOEXEC and closed: still open here %s, FD_CLOEXEC here %s\n",
           yesno(fdflags >= 0), yesno(fdflags >= 0 && (fdflags & FD_CLOEXEC)));
    char buf[16] = {0};
    ssize_t n = pread(keep, buf, 4, 0);
    printf("reading it: %d \"%s\"\n", (int)n, buf);
    close(fd);
    close(keep);
    close(p[0]);
    close(p[1]);
    print_file("shared_offset.txt");
    print_file("child_write.txt");
    print_file("child_stdio.txt");
}

int main(void) {
    printf("-- memory\n");
    memory_section();
    printf("-- file descriptors\n");
    fd_section();
    return 0;
}
