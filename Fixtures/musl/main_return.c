// Checks that main's return value becomes the exit status (masked to 8 bits: 300 -> 44)
// and that stdout is flushed on return.
// conformance-exit: 44
// conformance-libcs: musl glibc
#include <stdio.h>

int main(void) {
    printf("returning 300 from main\n");
    return 300;
}
