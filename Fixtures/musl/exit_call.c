// Checks exit(): the status reaches the parent, buffered stdout is flushed by exit()
// (no newline at the end), and code after exit() does not run.
// conformance-exit: 77
// conformance-libcs: musl glibc
#include <stdio.h>
#include <stdlib.h>

static void leave(int status) {
    printf("leaving with %d, buffered without newline", status);
    exit(status);
}

int main(void) {
    leave(77);
    printf("not reached\n");
    return 0;
}
