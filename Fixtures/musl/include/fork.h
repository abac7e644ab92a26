// xfork(): fork with stdout and stderr flushed first (so no buffered line is printed twice),
// ending the fixture with a message when fork fails (shared by the fixtures of this folder
// through `#include "include/fork.h"`).
#ifndef FIXTURE_FORK_H
#define FIXTURE_FORK_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pid_t xfork(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork failed: %s\n", strerror(errno));
        exit(1);
    }
    return pid;
}
#endif
