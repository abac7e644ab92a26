// Checks that syscalls behave the same when the kernel rewrites their call sites (it does so
// after 16 traps from one site, Arch/SyscallPatcher.swift): each libc wrapper shape runs
// 64 times — getppid() (`mov $imm, %eax`), syscall(SYS_getppid) (glibc: a load from the
// stack last), read of 0 bytes and of data (glibc: `xor %eax, %eax`, and a `cmp`/`je`
// before it), write, lseek, close of a bad descriptor (errno), a futex wake — before and
// after a thread exists (glibc's wrappers then take their cancellable paths), plus an
// inline `cmpb $0, x(%rip); je; xor %eax, %eax; syscall` site whose `je` is taken every
// other call (the moved `je` must still reach its target). Every result is compared with
// the value it must have; one line per shape says how many calls were right.
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CALLS 64
#define FUTEX_WAKE_PRIVATE 129 /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

static volatile unsigned char take_branch;
static int futex_word;

/* One site: `cmpb $0, take_branch(%rip); je 1f; xor %eax, %eax; syscall` reads 0 bytes
   from `fd`; when take_branch is 0 the je goes to a getppid site instead. */
static long compare_site(int fd, char *buffer) {
    long result;
    __asm__ volatile("cmpb $0, %[flag]\n\t"
                     "je 1f\n\t"
                     "xor %%eax, %%eax\n\t"
                     "syscall\n\t"
                     "jmp 2f\n"
                     "1:\tmov $110, %%eax\n\t"
                     "syscall\n"
                     "2:"
                     : "=a"(result)
                     : [flag] "m"(take_branch), "D"((long)fd), "S"(buffer), "d"(0L)
                     : "rcx", "r11", "memory");
    return result;
}

static void report(const char *shape, const char *phase, int right) {
    printf("%-28s %-14s %d/%d right\n", shape, phase, right, CALLS);
}

static void run_shapes(const char *phase) {
    pid_t parent = getppid();
    int right = 0;
    for (int i = 0; i < CALLS; i++) right += getppid() == parent;
    report("getppid()", phase, right);

    right = 0;
    for (int i = 0; i < CALLS; i++) right += syscall(SYS_getppid) == parent;
    report("syscall(SYS_getppid)", phase, right);

    int pipes[2];
    if (pipe(pipes) != 0) { perror("pipe"); return; }
    char byte = 0;
    right = 0;
    for (int i = 0; i < CALLS; i++) right += read(pipes[0], &byte, 0) == 0;
    report("read(fd, buf, 0)", phase, right);

    right = 0;
    for (int i = 0; i < CALLS; i++) {
        char out = (char)('a' + i % 26), in = 0;
        right += write(pipes[1], &out, 1) == 1 && read(pipes[0], &in, 1) == 1 && in == out;
    }
    report("write + read 1 byte", phase, right);

    int file = open("shapes.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    right = 0;
    for (int i = 0; i < CALLS; i++) right += lseek(file, i, SEEK_SET) == i;
    report("lseek", phase, right);
    close(file);
    unlink("shapes.tmp");

    right = 0;
    for (int i = 0; i < CALLS; i++) {
        errno = 0;
        right += close(-1) == -1 && errno == EBADF;
    }
    report("close(-1) = EBADF", phase, right);

    right = 0;
    for (int i = 0; i < CALLS; i++) right += syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0;
    report("futex wake, no waiter", phase, right);

    right = 0;
    for (int i = 0; i < CALLS; i++) {
        take_branch = (unsigned char)(i & 1);
        long result = compare_site(pipes[0], &byte);
        right += (i & 1) ? result == 0 : result == parent;
    }
    report("cmpb; je; xor; syscall", phase, right);
    close(pipes[0]);
    close(pipes[1]);
}

static void *idle(void *unused) { return unused; }

int main(void) {
    run_shapes("one thread");
    pthread_t thread;
    if (pthread_create(&thread, NULL, idle, NULL) != 0 || pthread_join(thread, NULL) != 0) {
        puts("pthread_create failed");
        return 1;
    }
    run_shapes("after a thread");
    return 0;
}
