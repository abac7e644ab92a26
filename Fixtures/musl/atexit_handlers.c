// Checks atexit: handlers run in reverse order of registration after main returns, a
// handler may register another, and stdio buffers written by handlers are flushed.
// conformance-exit: 3
// conformance-libcs: musl glibc
#include <stdio.h>
#include <stdlib.h>

static void late(void) { printf("handler registered by a handler\n"); }
static void first(void) { printf("first registered, runs last\n"); }
static void second(void) { printf("second registered\n"); atexit(late); }
static void third(void) { printf("third registered, runs first\n"); fprintf(stderr, "stderr from a handler\n"); }

int main(void) {
    atexit(first);
    atexit(second);
    atexit(third);
    printf("main returns 3\n");
    return 3;
}
