// Null syscall latency: getppid through a bare `syscall` instruction (no libc wrapper),
// `iterations` times (argv[1], default 1000000) after a warm-up; cycles from rdtsc.
// argv[2] picks the call site instead, to time the shapes libcs put before `syscall`:
//   raw      the bare instruction after `mov $110, %eax` (default)
//   syscall  libc's generic syscall(SYS_getppid) (glibc: ends with a load from the stack)
//   getppid  libc's getppid() wrapper
//   read0    read(fd, buffer, 0) of /dev/zero through libc's read wrapper (glibc: `xor %eax, %eax`
//            before it); the guest kernel serves /dev itself
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "bench.h"

static inline long raw_getppid(void) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
    return ret;
}

static char byte;

/* Runs `n` calls of `call` after a warm-up and prints cycles and ns per call. */
#define TIME_CALLS(n, call)                                                       \
    do {                                                                          \
        for (int i = 0; i < 10000; i++) call;                                     \
        uint64_t t0 = bench_now_ns(), c0 = bench_rdtsc();                         \
        for (long i = 0; i < (n); i++) call;                                      \
        uint64_t c1 = bench_rdtsc(), t1 = bench_now_ns();                         \
        bench_report("cycles_per_call", (double)(c1 - c0) / (n));                 \
        bench_report("ns_per_call", (double)(t1 - t0) / (n));                     \
    } while (0)

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    const char *mode = argc > 2 ? argv[2] : "raw";
    if (strcmp(mode, "raw") == 0) {
        TIME_CALLS(n, raw_getppid());
    } else if (strcmp(mode, "syscall") == 0) {
        TIME_CALLS(n, syscall(SYS_getppid));
    } else if (strcmp(mode, "getppid") == 0) {
        TIME_CALLS(n, getppid());
    } else if (strcmp(mode, "read0") == 0) {
        int fd = open("/dev/zero", O_RDONLY);
        if (fd < 0) return 1;
        TIME_CALLS(n, (void)!read(fd, &byte, 0));
    } else {
        return 2;
    }
    return 0;
}
