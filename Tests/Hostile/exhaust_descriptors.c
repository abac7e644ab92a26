/*
 * exhaust_descriptors: opens the same file until open fails, then prints
 * "open failed after N descriptors: EMFILE" (the errno's name) and exits 0 if
 * it was EMFILE (Linux's answer at RLIMIT_NOFILE), 1 otherwise. Closing one
 * descriptor must make the next open succeed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/exhaust_descriptors.txt";
    int count = 0, last = -1;
    for (;;) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) break;
        last = fd;
        if (++count > 100000) { printf("open never failed\n"); return 1; }
    }
    int error = errno;
    printf("open failed after %d descriptors: %s (%s)\n", count, error == EMFILE ? "EMFILE" : "other", strerror(error));
    if (error != EMFILE) return 1;
    if (last >= 0) close(last);
    int again = open(path, O_RDONLY);
    printf("after close: open %s\n", again >= 0 ? "succeeds" : strerror(errno));
    return again >= 0 ? 0 : 1;
}
