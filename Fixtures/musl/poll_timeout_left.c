// Checks that the raw ppoll, pselect6 and select syscalls write the time left back into their
// timeout argument (Linux does, and glibc's select() passes it on to the caller's timeval):
// after waiting out a 20 ms timeout on an empty pipe, the time left is zero.
// conformance-libcs: musl glibc
#include <poll.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct { unsigned long bits[16]; } kfd_set;

int main(void) {
    int p[2];
    syscall(SYS_pipe2, p, 0);
    struct pollfd one = {p[0], POLLIN, 0};
    struct timespec wait = {0, 20 * 1000 * 1000};
    long r = syscall(SYS_ppoll, &one, 1, &wait, NULL, 8);
    printf("ppoll: %ld, time left zero: %d\n", r, wait.tv_sec == 0 && wait.tv_nsec == 0);

    kfd_set set = {{0}};
    set.bits[0] = 1UL << p[0];
    wait = (struct timespec){0, 20 * 1000 * 1000};
    r = syscall(SYS_pselect6, p[0] + 1, &set, NULL, NULL, &wait, NULL);
    printf("pselect6: %ld, time left zero: %d\n", r, wait.tv_sec == 0 && wait.tv_nsec == 0);

    set.bits[0] = 1UL << p[0];
    struct timeval tv = {0, 20 * 1000};
    r = syscall(SYS_select, p[0] + 1, &set, NULL, NULL, &tv);
    printf("select: %ld, time left zero: %d\n", r, tv.tv_sec == 0 && tv.tv_usec == 0);
    return 0;
}
