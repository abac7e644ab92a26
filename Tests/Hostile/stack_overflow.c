/*
 * stack_overflow: unbounded recursion, 4 KiB per frame, until the stack runs
 * into the unmapped guard page below it. As on Linux the process must die of
 * SIGSEGV (exit status 139), with a crash report, not hang or take the
 * hypervisor down.
 */
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int depth(volatile char *previous) {
    volatile char frame[4096];
    frame[0] = previous ? previous[0] + 1 : 0;
    return depth(frame) + frame[4095];
}

int main(void) {
    printf("recursing\n");
    fflush(stdout);
    return depth(0);
}
