// Checks a NULL pointer dereference: page 0 is unmapped, the program dies of SIGSEGV
// (status 139) after its earlier output was flushed, exactly as natively.
// conformance-exit: 139
// conformance-libcs: musl glibc
#include <stdio.h>

int main(void) {
    printf("before the fault\n");
    fflush(stdout);
    volatile int *volatile pointer = NULL;
    *pointer = 1;
    printf("not reached\n");
    return 0;
}
