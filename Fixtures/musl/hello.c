// Checks the smallest C program: libc start-up (TLS, stdio) and one line on stdout.
// conformance-libcs: musl glibc
#include <stdio.h>

int main(void) {
    printf("Hello, World!\n");
    return 0;
}
