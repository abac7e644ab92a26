// Regression for the prototype's musl crash: printf("%f") saves %xmm registers with movaps
// on the stack, so a kernel that returns from a syscall with %rsp off by 8 turns it into
// #GP. Makes several different syscalls, each followed by float printing, and checks
// that 16-byte-aligned locals are aligned in every frame.
// conformance-libcs: musl glibc
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void print_floats(const char *after, double x) {
    _Alignas(16) double pair[2] = {x, x * 2};
    printf("after %-14s %f %e %g %.3f aligned=%s\n", after, pair[0], pair[1], x / 3, (float)x,
           ((uintptr_t)pair & 15) == 0 ? "yes" : "no");
}

int main(void) {
    print_floats("start-up", 1.5);
    getpid();
    print_floats("getpid", 2.25);
    write(1, "", 0);
    print_floats("write(0)", -3.125);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    print_floats("clock_gettime", 1e10);
    syscall(1000);
    print_floats("unknown", 0.1);
    lseek(0, 0, SEEK_CUR);
    print_floats("lseek", 6.02e23);
    fflush(stdout);
    print_floats("fflush", 42.0);
    return 0;
}
