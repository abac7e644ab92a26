// Checks that mremap treats adjacent anonymous private mappings with the same protection as
// one mapping, as Linux does (it merges them): four pages mapped as one, then a page in the
// middle replaced with MAP_FIXED, can still be shrunk and moved as one range.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    const long page = 4096;
    char *a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'a', 4 * page);
    char *b = mmap(a + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED over page 1: %d\n", b == a + page);
    errno = 0;
    long r = syscall(SYS_mremap, a, 4 * page, 2 * page, 0, 0);
    printf("mremap shrink across both: %s\n", r == (long)a ? "ok" : errno == EFAULT ? "EFAULT" : "other");
    errno = 0;
    r = syscall(SYS_mremap, a, 2 * page, 32 * page, MREMAP_MAYMOVE, 0);
    printf("mremap grow across both: %s\n", r != -1 ? "ok" : errno == EFAULT ? "EFAULT" : "other");
    if (r != -1) printf("  contents: %c %d\n", ((char *)r)[0], ((char *)r)[page]);
    return 0;
}
