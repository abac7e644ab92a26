// Checks errno after failing calls (open, read, close, chdir, lseek, an unknown syscall
// via syscall(), O_CREAT|O_EXCL on an existing file) and strerror/perror text, which comes
// from the libc and must be the same; errno is thread-local, so this also exercises TLS.
// (It creates only a plain file, so that it does not depend on mkdir.)
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *what, long result) {
    int saved = errno;
    printf("%-28s -> %ld, errno %d (%s)\n", what, result, saved, strerror(saved));
}

int main(void) {
    errno = 0;
    report("open missing", open("does-not-exist", O_RDONLY));
    char byte;
    report("read bad fd", (long)read(99, &byte, 1));
    report("close bad fd", close(-1));
    int file = open("exists", O_CREAT | O_WRONLY, 0644);
    report("chdir missing", chdir("no/such/dir"));
    report("chdir to a file", chdir("exists"));
    int directory = open(".", O_RDONLY | O_DIRECTORY);
    report("read a directory", (long)read(directory, &byte, 1));
    report("lseek to a negative offset", (long)lseek(file, -100, SEEK_SET));
    report("unknown syscall 1000", syscall(1000));
    report("open with O_CREAT|O_EXCL", open("exists", O_CREAT | O_EXCL | O_WRONLY, 0644));
    for (int e = 1; e <= 40; e++) printf("strerror(%d) = %s\n", e, strerror(e));
    errno = ENOENT;
    perror("perror with ENOENT");
    return 0;
}
