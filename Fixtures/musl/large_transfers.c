// Checks large single read/write/pread/pwrite calls on a regular file (the transfers the
// kernel hands to the host in place): a 3 MiB + 123 write from an unaligned buffer, a 4 MiB
// read that comes back short at end of file then 0, a pread straddling the end, odd sizes at
// odd offsets (content compared byte for byte), the file position after each, O_APPEND with
// a 1 MiB write, and buffers partly or wholly unmapped or read-only: Linux moves the bytes up
// to the first page it cannot reach (a partial count) or fails with EFAULT when there are none.
// conformance-libcs: musl glibc
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024L * 1024L)
#define FILE_SIZE (3 * MiB + 123)

static unsigned char pattern(long offset) { return (unsigned char)(offset * 131 + (offset >> 12) * 7 + 3); }

static void show(const char *label, long result) {
    if (result < 0) printf("%s: -1 %s\n", label, errno == EFAULT ? "EFAULT" : strerror(errno));
    else printf("%s: %ld\n", label, result);
}

// Whether `count` bytes at `buffer` hold the file's bytes from `offset`.
static int matches(const unsigned char *buffer, long offset, long count) {
    for (long i = 0; i < count; i++)
        if (buffer[i] != pattern(offset + i)) return 0;
    return 1;
}

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *source = malloc(FILE_SIZE + 1);
    unsigned char *target = malloc(4 * MiB + 64);
    if (!source || !target) return 1;
    for (long i = 0; i < FILE_SIZE; i++) source[i + 1] = pattern(i);

    int fd = open("large.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    show("write 3MiB+123 unaligned", write(fd, source + 1, FILE_SIZE));
    show("position", lseek(fd, 0, SEEK_CUR));

    lseek(fd, 0, SEEK_SET);
    long got = read(fd, target + 3, 4 * MiB);
    show("read 4MiB at 0", got);
    printf("content: %s\n", got == FILE_SIZE && matches(target + 3, 0, FILE_SIZE) ? "same" : "different");
    show("read at end", read(fd, target, 4 * MiB));
    show("position", lseek(fd, 0, SEEK_CUR));

    got = pread(fd, target + 5, MiB, FILE_SIZE - 1000);
    show("pread 1MiB straddling the end", got);
    printf("content: %s\n", got == 1000 && matches(target + 5, FILE_SIZE - 1000, 1000) ? "same" : "different");
    show("pread past the end", pread(fd, target, MiB, FILE_SIZE + 10));
    show("position unchanged", lseek(fd, 0, SEEK_CUR));

    long offsets[] = {1, 4095, 4097, MiB - 1, 2 * MiB + 17};
    long sizes[] = {MiB + 7, 65536 + 1, 3 * 4096 - 1, MiB - 3, MiB + 200};
    for (int i = 0; i < 5; i++) {
        lseek(fd, offsets[i], SEEK_SET);
        long expected = FILE_SIZE - offsets[i] < sizes[i] ? FILE_SIZE - offsets[i] : sizes[i];
        got = read(fd, target + 1 + i, sizes[i]);
        printf("read %ld at %ld: %s, content %s, position %ld\n", sizes[i], offsets[i],
               got == expected ? "full or to the end" : "other",
               got > 0 && matches(target + 1 + i, offsets[i], got) ? "same" : "different", (long)lseek(fd, 0, SEEK_CUR));
    }

    // Overwrite a middle range with pwrite of an odd size, then read it back.
    for (long i = 0; i < MiB + 9; i++) source[i + 1] = (unsigned char)~pattern(i + 12345);
    show("pwrite 1MiB+9 at 12345", pwrite(fd, source + 1, MiB + 9, 12345));
    got = pread(fd, target + 7, MiB + 9, 12345);
    int same = got == MiB + 9;
    for (long i = 0; same && i < got; i++) same = target[7 + i] == (unsigned char)~pattern(i + 12345);
    printf("pread back: %ld, content %s\n", got, same ? "same" : "different");

    // Buffers the kernel cannot fully reach: two pages mapped, the third not.
    unsigned char *area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) return 1;
    munmap(area + 2 * page, page);
    lseek(fd, 0, SEEK_SET);
    show("read into 2 of 3 pages, from 100", read(fd, area + 100, 3 * page));
    show("position", lseek(fd, 0, SEEK_CUR));
    show("pread into 2 of 3 pages", pread(fd, area, MiB, 0));
    memset(area, 'x', 2 * page);
    lseek(fd, 0, SEEK_SET);
    show("write from 2 of 3 pages, from 10", write(fd, area + 10, 3 * page));
    show("position", lseek(fd, 0, SEEK_CUR));
    show("read into an unmapped page", read(fd, area + 2 * page, page));
    show("write from an unmapped page", write(fd, area + 2 * page, page));
    show("pwrite from an unmapped page", pwrite(fd, area + 2 * page, MiB, 0));
    mprotect(area, 2 * page, PROT_READ);
    show("read into a read-only page", read(fd, area, 2 * page));
    show("position", lseek(fd, 0, SEEK_CUR));
    close(fd);

    // O_APPEND: a large write lands at the end whatever the position says.
    fd = open("large.dat", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    show("append 1MiB+3", write(fd, source + 1, MiB + 3));
    show("position", lseek(fd, 0, SEEK_CUR));
    close(fd);
    unlink("large.dat");
    return 0;
}
