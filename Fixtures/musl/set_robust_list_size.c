// Checks that set_robust_list, called by number, accepts only the size of struct
// robust_list_head (24 bytes) and rejects any other size with EINVAL, as Linux does.
// conformance-libcs: musl glibc
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    struct { void *next; long offset; void *pending; } head = {&head, 0, NULL};
    long sizes[] = {sizeof head, sizeof head + 8, 8, 0};
    for (int i = 0; i < 4; i++) {
        errno = 0;
        long r = syscall(SYS_set_robust_list, &head, sizes[i]);
        printf("set_robust_list size %ld: %ld%s\n", sizes[i], r, r < 0 ? (errno == EINVAL ? " EINVAL" : " other") : "");
    }
    return 0;
}
