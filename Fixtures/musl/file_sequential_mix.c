// Checks that runs of small sequential reads and writes (which a kernel may batch) are
// seen at once by every other way of looking at the file: after 1,000 small writes,
// fstat's size, pread at an earlier offset, a second descriptor's read, mmap, lseek
// SEEK_CUR and SEEK_END; after small reads, lseek SEEK_CUR gives the logical position, a
// write on the same O_RDWR descriptor lands right after the bytes read, ftruncate and
// pwrite are seen by the next read, a dup'd descriptor shares the position, another
// descriptor's append is read after end of file, and O_APPEND descriptors interleave.
// The files left behind are compared with Linux's too.
// conformance-libcs: musl glibc
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long sum(const unsigned char *p, size_t n) {
    unsigned long s = 0;
    for (size_t i = 0; i < n; i++) s = s * 31 + p[i];
    return s;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 7 + seed);
}

int main(void) {
    static unsigned char chunk[1000], back[300000];
    struct stat st;

    // 1,000 writes of 1,000 bytes, looked at in every other way before close.
    int w = open("seq.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 1000; i++) {
        fill(chunk, sizeof chunk, (unsigned)i);
        if (write(w, chunk, sizeof chunk) != (ssize_t)sizeof chunk) { perror("write"); return 1; }
        if (i == 99) {
            fstat(w, &st);
            printf("after 100 writes: fstat size %lld\n", (long long)st.st_size);
            unsigned char got[10] = {0};
            ssize_t n = pread(w, got, 10, 99500);
            printf("pread at 99500: %zd first %u\n", n, got[0]);
            printf("lseek SEEK_CUR %lld\n", (long long)lseek(w, 0, SEEK_CUR));
        }
    }
    int r = open("seq.dat", O_RDONLY);
    printf("second descriptor reads %zd\n", read(r, back, sizeof back));
    printf("  checksum %lu\n", sum(back, 300000));
    unsigned char *map = mmap(0, 1000000, PROT_READ, MAP_PRIVATE, w, 0);
    printf("mmap checksum of the last 1000 bytes %lu\n", map == MAP_FAILED ? 0 : sum(map + 999000, 1000));
    if (map != MAP_FAILED) munmap(map, 1000000);
    printf("lseek SEEK_END %lld\n", (long long)lseek(w, 0, SEEK_END));

    // Small reads, then the position, a write, truncation and positioned writes.
    printf("lseek r SEEK_SET %lld\n", (long long)lseek(r, 0, SEEK_SET));
    for (int i = 0; i < 50; i++) read(r, chunk, 333);
    printf("after 50 reads of 333: SEEK_CUR %lld checksum %lu\n", (long long)lseek(r, 0, SEEK_CUR), sum(chunk, 333));
    lseek(w, 0, SEEK_SET);
    for (int i = 0; i < 20; i++) read(w, chunk, 100);
    printf("write after 20 reads of 100: %zd\n", write(w, "MARK", 4));
    unsigned char mark[8] = {0};
    pread(r, mark, 8, 1998);
    printf("bytes 1998..2005: %u %u %c%c%c%c %u %u\n", mark[0], mark[1], mark[2], mark[3], mark[4], mark[5], mark[6], mark[7]);
    ssize_t got = read(w, chunk, 10);
    printf("read on after the mark: %zd first %u\n", got, chunk[0]);
    printf("ftruncate to 5000: %d\n", ftruncate(w, 5000));
    lseek(r, 4990, SEEK_SET);
    printf("read across the new end: %zd\n", read(r, chunk, 100));
    printf("read at the end: %zd\n", read(r, chunk, 100));
    printf("pwrite at 4995: %zd\n", pwrite(w, "0123456789", 10, 4995));
    got = read(r, chunk, 100);
    printf("read after the pwrite: %zd %.5s\n", got, (char *)chunk);

    // A dup'd descriptor shares the position; another descriptor's append is seen.
    int d = dup(r);
    lseek(r, 0, SEEK_SET);
    read(r, chunk, 10);
    long long shared = lseek(d, 0, SEEK_CUR);
    got = read(d, chunk, 10);
    printf("dup: SEEK_CUR %lld, read %zd, original now at %lld\n", shared, got, (long long)lseek(r, 0, SEEK_CUR));
    lseek(r, 0, SEEK_END);
    printf("at the end: %zd\n", read(r, chunk, 10));
    int a = open("seq.dat", O_WRONLY | O_APPEND);
    write(a, "tail", 4);
    got = read(r, chunk, 10);
    printf("after another descriptor appended: %zd %.4s\n", got, (char *)chunk);

    // Two O_APPEND descriptors interleave their small writes.
    int b = open("seq.dat", O_WRONLY | O_APPEND);
    for (int i = 0; i < 30; i++) {
        write(i % 2 ? a : b, i % 2 ? "a" : "b", 1);
    }
    close(a);
    close(b);
    fstat(w, &st);
    printf("after appends: size %lld\n", (long long)st.st_size);
    lseek(r, -30, SEEK_END);
    memset(chunk, 0, sizeof chunk);
    got = read(r, chunk, 30);
    printf("last 30: %zd %.30s\n", got, (char *)chunk);

    // Small writes, then rename and stat by path.
    int n = open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 200; i++) dprintf(n, "line %d\n", i);
    rename("log.txt", "log-renamed.txt");
    stat("log-renamed.txt", &st);
    printf("renamed log size %lld\n", (long long)st.st_size);
    close(n);
    close(d);
    close(r);
    close(w);
    return 0;
}
