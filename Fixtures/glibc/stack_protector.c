// Checks the stack protector (-fstack-protector-all): the canary glibc puts at %fs:0x28
// from AT_RANDOM is non-zero with a zero low byte, protected calls work, and overflowing
// a local buffer ends in __stack_chk_fail: "*** stack smashing detected ***" on stderr,
// then abort (SIGABRT, status 134).
// conformance-cflags: -fstack-protector-all -O1
// conformance-args: 64
// conformance-exit: 134
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t canary(void) {
    uint64_t value;
    __asm__ volatile("mov %%fs:0x28, %0" : "=r"(value));
    return value;
}

static int sum_digits(const char *text) {
    char copy[32];
    strncpy(copy, text, sizeof copy - 1);
    copy[sizeof copy - 1] = '\0';
    int sum = 0;
    for (char *p = copy; *p; p++) if (*p >= '0' && *p <= '9') sum += *p - '0';
    return sum;
}

__attribute__((noinline)) static void overflow(size_t length) {
    char buffer[16];
    memset(buffer, 'A', length);  // length comes from argv: the compiler cannot see the overflow
    __asm__ volatile("" : : "r"(buffer) : "memory");
}

int main(int argc, char **argv) {
    uint64_t value = canary();
    printf("canary non-zero: %s, low byte zero: %s\n", value ? "yes" : "no", (value & 0xff) == 0 ? "yes" : "no");
    printf("sum_digits(\"a1b2c3d4e5\") = %d\n", sum_digits("a1b2c3d4e5"));
    printf("canary unchanged: %s\n", canary() == value ? "yes" : "no");
    size_t length = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    overflow(8);
    printf("overflow(8) returned\n");
    fflush(stdout);
    overflow(length);
    printf("overflow(%zu) returned: not reached\n", length);
    return 0;
}
