// File I/O throughput: writes `total` bytes (argv[2], default 64 MiB) to ./bench-fileio.dat
// in `chunk`-byte writes (argv[1], default 4096), closes it, reads it back in the same
// chunks, checks the bytes and removes it. Reports MiB/s for each direction.
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv) {
    size_t chunk = argc > 1 ? strtoul(argv[1], 0, 0) : 4096;
    size_t total = argc > 2 ? strtoul(argv[2], 0, 0) : (64u << 20);
    const char *path = "bench-fileio.dat";
    unsigned char *buf = malloc(chunk);
    if (!buf) return 2;
    for (size_t i = 0; i < chunk; i++) buf[i] = (unsigned char)(i * 31 + 7);

    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open for writing"); return 1; }
    uint64_t t0 = bench_now_ns();
    for (size_t done = 0; done < total; done += chunk)
        if (write(fd, buf, chunk) != (ssize_t)chunk) { perror("write"); return 1; }
    if (close(fd) != 0) { perror("close"); return 1; }
    uint64_t t1 = bench_now_ns();

    fd = open(path, O_RDONLY);
    if (fd < 0) { perror("open for reading"); return 1; }
    unsigned long check = 0;
    uint64_t t2 = bench_now_ns();
    for (size_t done = 0; done < total; done += chunk) {
        ssize_t got = read(fd, buf, chunk);
        if (got != (ssize_t)chunk) { perror("read"); return 1; }
        check += buf[done % chunk];
    }
    uint64_t t3 = bench_now_ns();
    close(fd);
    unlink(path);
    double mib = (double)total / (1 << 20);
    bench_report("write_mib_per_s", mib / ((t1 - t0) / 1e9));
    bench_report("read_mib_per_s", mib / ((t3 - t2) / 1e9));
    bench_report("check", (double)(check & 0xff));
    return 0;
}
