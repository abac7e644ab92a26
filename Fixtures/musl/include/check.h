// check(): ends a fixture at once, naming the step and errno, when a step that must work
// failed (shared by the fixtures of this folder through `#include "include/check.h"`).
#ifndef FIXTURE_CHECK_H
#define FIXTURE_CHECK_H
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAILED: %s (errno %d %s)\n", what, errno, strerror(errno));
        fflush(stdout);
        _exit(1);
    }
}
#endif
