// Checks MAP_SHARED mappings, as databases and shared-memory programs use them: a file mapped
// shared twice and written through one mapping is seen by the other, by read(2) and after a new
// mapping (no msync needed, the pages are the file's); write(2) to the file shows in the
// mapping; read(2) into and write(2) out of a shared mapping; msync; a mapping kept across a
// partial munmap and mprotect; mremap shrinking one; a forked child's writes to a shared file
// mapping, to MAP_SHARED|MAP_ANONYMOUS memory and to a shared mapping of /dev/zero, seen by the
// parent; and the errors: PROT_WRITE on a read-only descriptor or O_APPEND (EACCES), a
// write-only descriptor (EACCES), mprotect adding PROT_WRITE to a read-only one (EACCES), a
// pipe (ENODEV); a page past the file's end is SIGBUS (BUS_ADRERR) until ftruncate grows the
// file over it.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *result(void *mapping) {
    if (mapping != MAP_FAILED) return "mapped";
    switch (errno) {
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static sigjmp_buf recover;
static volatile int caught_signal, caught_code;

static void on_fault(int signal, siginfo_t *info, void *context) {
    (void)context;
    caught_signal = signal;
    caught_code = info->si_code;
    siglongjmp(recover, 1);
}

/* Reads the byte at `address`: its value, or -1 when it faulted (the signal is recorded). */
static int probe(volatile char *address) {
    caught_signal = 0;
    if (sigsetjmp(recover, 1) == 0) return *address;
    return -1;
}

int main(void) {
    const size_t size = 3 * 4096;
    int fd = open("shared.db", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char page[4096];
    memset(page, 'a', sizeof page);
    for (int i = 0; i < 3; i++) write(fd, page, sizeof page);

    char *one = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *two = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    printf("two shared mappings: %s %s\n", result(one), result(two));
    memcpy(one + 100, "written through the mapping", 27);
    printf("the other mapping sees it: %.27s\n", two + 100);
    char text[64] = "";
    pread(fd, text, 27, 100);
    printf("read(2) sees it: %s\n", text);
    pwrite(fd, "written by pwrite", 17, 4096 + 10);
    printf("the mapping sees pwrite: %.17s\n", one + 4096 + 10);
    printf("msync MS_SYNC: %d, MS_ASYNC: %d\n", msync(one, size, MS_SYNC), msync(one + 4096, 4096, MS_ASYNC));

    // read(2) into the mapping and write(2) out of it
    int other = open("other.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(other, "from another file", 17);
    printf("pread into the mapping: %zd\n", pread(other, one + 2 * 4096, 17, 0));
    printf("the file has it: ");
    pread(fd, text, 17, 2 * 4096);
    printf("%.17s\n", text);
    printf("write out of the mapping: %zd\n", pwrite(other, one + 100, 27, 100));
    memset(text, 0, sizeof text);
    pread(other, text, 27, 100);
    printf("other.txt has: %s\n", text);

    // partial munmap and mprotect keep the rest shared
    mprotect(one + 4096, 4096, PROT_READ);
    munmap(one, 4096);
    memcpy(one + 2 * 4096 + 50, "after partial munmap", 20);
    memset(text, 0, sizeof text);
    pread(fd, text, 20, 2 * 4096 + 50);
    printf("after munmap of the first page and mprotect of the second: %s\n", text);
    char *shrunk = mremap(one + 4096, 2 * 4096, 4096, 0);
    printf("mremap shrink: %s, still the file's: %.17s\n", shrunk == one + 4096 ? "in place" : "moved", shrunk + 10);
    munmap(shrunk, 4096);
    munmap(one + 2 * 4096, 4096);
    char *again = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    printf("a new mapping: %.27s / %.20s\n", again + 100, again + 2 * 4096 + 50);
    munmap(again, size);
    munmap(two, size);

    // across fork
    char *file_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int zero_fd = open("/dev/zero", O_RDWR);
    char *zero = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zero_fd, 0);
    printf("anonymous and /dev/zero shared: %s %s, zero-filled: %s\n", result(anon), result(zero),
           anon[0] == 0 && anon[4095] == 0 && zero[0] == 0 && zero[4095] == 0 ? "yes" : "no");
    pid_t child = fork();
    if (child == 0) {
        memcpy(file_map, "child's file write", 18);
        memcpy(anon, "child's anonymous write", 23);
        memcpy(zero, "child's /dev/zero write", 23);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("the parent sees: %.18s | %.23s | %.23s\n", file_map, anon, zero);
    munmap(file_map, 4096);
    munmap(anon, 4096);
    munmap(zero, 4096);
    close(zero_fd);

    // errors
    int readonly = open("shared.db", O_RDONLY);
    printf("PROT_WRITE on O_RDONLY: %s\n", result(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, readonly, 0)));
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, readonly, 0);
    printf("PROT_READ on O_RDONLY: %s, %.18s\n", result(ro), ro == MAP_FAILED ? "" : ro);
    errno = 0;
    printf("mprotect adding PROT_WRITE: %s\n", mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0 ? "allowed" : errno == EACCES ? "EACCES" : "other");
    printf("PROT_WRITE on O_RDONLY, MAP_PRIVATE: %s\n", result(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, readonly, 0)));
    int writeonly = open("shared.db", O_WRONLY);
    printf("O_WRONLY: %s\n", result(mmap(NULL, 4096, PROT_READ, MAP_SHARED, writeonly, 0)));
    int append = open("shared.db", O_RDWR | O_APPEND);
    printf("PROT_WRITE on O_APPEND: %s\n", result(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, append, 0)));
    int pipes[2];
    pipe(pipes);
    printf("a pipe: %s\n", result(mmap(NULL, 4096, PROT_READ, MAP_SHARED, pipes[0], 0)));

    // past the end of the file
    struct sigaction action = {0};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &action, NULL);
    sigaction(SIGSEGV, &action, NULL);
    int small = open("small.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(small, "x", 1);
    char *two_pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, small, 0);
    int first = probe(two_pages);
    printf("first page: %c\n", first);
    int second = probe(two_pages + 4096);
    printf("second page past the end: %s, si_code %s\n", second >= 0 ? "readable" : caught_signal == SIGBUS ? "SIGBUS" : "SIGSEGV",
           caught_code == BUS_ADRERR ? "BUS_ADRERR" : "other");
    ftruncate(small, 8192);
    second = probe(two_pages + 4096);
    printf("after ftruncate to two pages: %s (%d)\n", second >= 0 ? "readable" : "faulted", second);
    return 0;
}
