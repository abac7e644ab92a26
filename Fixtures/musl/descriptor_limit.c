// Checks RLIMIT_NOFILE as the descriptor table enforces it: with the soft limit set to 20,
// open succeeds up to descriptor 19 and then fails with EMFILE (even for a missing path, as
// the descriptor is reserved first), as do dup, pipe (leaving no descriptor behind), eventfd
// and F_DUPFD; dup2 and dup3 to 20 or above are EBADF (dup2 of a descriptor to itself is
// not), F_DUPFD from 20 is EINVAL; lowering the limit below open descriptors keeps them;
// a soft limit above the hard one is EINVAL and a hard limit above nr_open is EPERM.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *errname(long r) {
    if (r >= 0) return "ok";
    switch (errno) {
    case EMFILE: return "EMFILE";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    default: return "other";
    }
}

static void close_from(int first) {
    for (int fd = first; fd < 64; fd++) close(fd);
}

int main(void) {
    close_from(3);
    struct rlimit original;
    getrlimit(RLIMIT_NOFILE, &original);
    struct rlimit limit = {20, original.rlim_max};
    long r = setrlimit(RLIMIT_NOFILE, &limit);
    struct rlimit now;
    getrlimit(RLIMIT_NOFILE, &now);
    printf("setrlimit soft 20: %s, soft now %ld, hard unchanged %d\n", errname(r), (long)now.rlim_cur,
           now.rlim_max == original.rlim_max);

    int highest = -1, opened = 0;
    for (int i = 0; i < 40; i++) {
        int fd = open("limit.txt", O_RDWR | O_CREAT, 0644);
        if (fd < 0) {
            printf("open %d failed: %s\n", i + 1, errname(fd));
            break;
        }
        highest = fd;
        opened++;
    }
    printf("opened %d, highest descriptor %d\n", opened, highest);
    r = open("missing.txt", O_RDONLY);
    printf("open of a missing path at the limit: %s\n", errname(r));
    r = dup(0);
    printf("dup at the limit: %s\n", errname(r));
    r = fcntl(0, F_DUPFD, 5);
    printf("F_DUPFD at the limit: %s\n", errname(r));
    r = eventfd(0, 0);
    printf("eventfd at the limit: %s\n", errname(r));
    int ends[2] = {-1, -1};
    r = pipe(ends);
    printf("pipe at the limit: %s\n", errname(r));

    close(19);
    r = pipe(ends);
    const char *outcome = errname(r);
    printf("pipe with one free descriptor: %s, descriptor 19 free again: %d\n", outcome,
           fcntl(19, F_GETFD) < 0 && errno == EBADF);
    r = dup(0);
    printf("dup with one free descriptor: %ld\n", r);

    r = dup2(0, 20);
    printf("dup2 to 20: %s\n", errname(r));
    r = dup2(0, 19);
    printf("dup2 to 19: %ld\n", r);
    r = dup3(0, 25, O_CLOEXEC);
    printf("dup3 to 25: %s\n", errname(r));
    r = fcntl(0, F_DUPFD, 20);
    printf("F_DUPFD from 20: %s\n", errname(r));
    r = dup2(19, 19);
    printf("dup2 of 19 to itself: %ld\n", r);

    limit.rlim_cur = 10;
    r = setrlimit(RLIMIT_NOFILE, &limit);
    printf("lowered to 10 with 20 open: %s, descriptor 15 still open: %d\n", errname(r), fcntl(15, F_GETFD) >= 0);
    close(12);
    r = open("limit.txt", O_RDONLY);
    printf("open with 12 free under a limit of 10: %s\n", errname(r));
    r = dup2(0, 12);
    printf("dup2 to 12 under a limit of 10: %s\n", errname(r));
    close_from(5);
    r = open("limit.txt", O_RDONLY);
    printf("after closing: open gives %ld\n", r);

    struct rlimit inverted = {30, 20};
    r = setrlimit(RLIMIT_NOFILE, &inverted);
    printf("soft above hard: %s\n", errname(r));
    struct rlimit beyond = {20, (1 << 20) + 1};
    r = setrlimit(RLIMIT_NOFILE, &beyond);
    printf("hard above nr_open: %s\n", errname(r));
    limit.rlim_cur = 20;
    r = setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &now);
    printf("back to 20: %s, soft %ld\n", errname(r), (long)now.rlim_cur);
    close_from(3);
    unlink("limit.txt");
    return 0;
}
