// Checks that system-call arguments are read with the widths Linux gives them and that
// out-of-range values are errors, never a kernel crash (each call made by number, with raw
// registers): fcntl(0, F_DUPFD, 0xffff80069346a000), the system-call fuzzer's first finding, is
// EINVAL, as are F_DUPFD and F_DUPFD_CLOEXEC with a negative bound or one at RLIMIT_NOFILE;
// `cmd` and descriptors are C ints, so garbage in their upper 32 bits is ignored (0x2000000000
// is F_DUPFD, 0x100000000 is descriptor 0); pread/pwrite whose end passes the largest file
// offset are EINVAL; readv, poll and select given arrays that would wrap past the top of the
// address space are EFAULT; mmap of a file at offset 0xfffffffffffff000 is EOVERFLOW (a fuzzer finding); a read of SIZE_MAX bytes is EFAULT; mmap with a hint at the top
// of the address space ignores it; brk(-1) leaves the break where it was; mremap to a size
// past the lower half fails cleanly; the kernel heap's arena (0x7ffff8000000, in the lower half
// of the guest) is nothing a system call can reach: read into it is EFAULT, and munmap and
// madvise(MADV_DONTNEED) over it leave the kernel's memory alone (they once freed the kernel heap).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The symbolic name of the errno values these calls can give (both libcs print the same).
static const char *errno_name(int value) {
    switch (value) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "other";
    }
}

/// Prints one call's outcome as "name = value" or "name = -1 ERRNO".
static void show(const char *name, long result) {
    if (result < 0) {
        printf("%s = -1 %s\n", name, errno_name(errno));
    } else {
        printf("%s = %ld\n", name, result);
    }
}

/// The guest kernel's heap arena, which the calls below aim at.
static const uintptr_t arena = 0x7ffff8000000UL, arena_size = 0x4000000UL;

/// Whether [start, end) meets the arena.
static int meets_arena(uintptr_t start, uintptr_t end) { return start < arena + arena_size && end > arena; }

int main(int argc, char **argv) {
    (void)argc;
    // Natively the arena's addresses are the program's own: address-space randomisation puts the
    // stack (with room to grow) or the vDSO and its data pages there about once in 250 runs, and
    // the munmap below would then take them away. Such a run starts again with a fresh layout.
    char here;
    uintptr_t stack = (uintptr_t)&here, vdso = getauxval(AT_SYSINFO_EHDR);
    if (meets_arena(stack - (8UL << 20), stack + (1UL << 20)) || (vdso && meets_arena(vdso - (64UL << 10), vdso + (64UL << 10)))) {
        execv("/proc/self/exe", argv);
        perror("execv /proc/self/exe");
        return 1;
    }
    // A fixed descriptor limit, the same natively and in the guest.
    struct rlimit limit = {1024, 1024};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) { perror("setrlimit"); return 1; }

    show("fcntl(0, F_DUPFD, 0xffff80069346a000)", syscall(SYS_fcntl, 0, F_DUPFD, 0xffff80069346a000UL));
    show("fcntl(0, 0x2000000000, 0xffff80069346a000)", syscall(SYS_fcntl, 0, 0x2000000000UL, 0xffff80069346a000UL));
    show("fcntl(0, F_DUPFD, -1)", syscall(SYS_fcntl, 0, F_DUPFD, -1L));
    show("fcntl(0, F_DUPFD_CLOEXEC, 0x80000000)", syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, 0x80000000UL));
    show("fcntl(0, F_DUPFD, 1024)", syscall(SYS_fcntl, 0, F_DUPFD, 1024L));
    show("fcntl(0, F_DUPFD, 1023)", syscall(SYS_fcntl, 0, F_DUPFD, 1023L));
    show("fcntl(0, 0x2000000000 = F_DUPFD, 0x700000005)", syscall(SYS_fcntl, 0, 0x2000000000UL, 0x700000005UL));
    show("fcntl(0x100000000 = 0, F_GETFD)", syscall(SYS_fcntl, 0x100000000UL, F_GETFD, 0));
    show("dup2(0, 0x100000009 = 9)", syscall(SYS_dup2, 0, 0x100000009UL));
    show("close(0xffffffff00000009 = 9)", syscall(SYS_close, 0xffffffff00000009UL));
    show("close(9) again", syscall(SYS_close, 9));

    int fd = open("widths.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    char buffer[16] = "0123456789";
    show("pwrite(fd, buf, 10, INT64_MAX - 5)", syscall(SYS_pwrite64, fd, buffer, 10, INT64_MAX - 5));
    show("pread(fd, buf, 10, INT64_MAX - 5)", syscall(SYS_pread64, fd, buffer, 10, INT64_MAX - 5));
    show("pread(fd, buf, 10, -1)", syscall(SYS_pread64, fd, buffer, 10, -1L));
    show("read(fd, buf, SIZE_MAX)", syscall(SYS_read, fd, buffer, SIZE_MAX));
    show("readv(fd, 0xfffffffffffffff0, 2)", syscall(SYS_readv, fd, 0xfffffffffffffff0UL, 2));
    show("poll(0xfffffffffffffff8, 2, 0)", syscall(SYS_poll, 0xfffffffffffffff8UL, 2, 0));
    show("select(64, 0xfffffffffffffff8, NULL, NULL, {0, 0})",
         syscall(SYS_select, 64, 0xfffffffffffffff8UL, 0, 0, &(struct { long s, us; }){0, 0}));
    show("mmap(file, offset 0xfffffffffffff000)", syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0xfffffffffffff000UL));
    close(fd);
    unlink("widths.tmp");

    long mapped = syscall(SYS_mmap, 0xfffffffffffff000UL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("mmap(0xfffffffffffff000 hint) succeeds", mapped == -1 ? -1 : 0);
    long before = syscall(SYS_brk, 0);
    show("brk(-1) keeps the break", syscall(SYS_brk, -1L) == before ? 0 : 1);
    show("brk(0xfffffffffffff001) keeps the break", syscall(SYS_brk, 0xfffffffffffff001UL) == before ? 0 : 1);
    // A new size that wraps when rounded up to a page (a size just short of 2^64 gives ENOMEM
    // on Linux 6.1 and EINVAL on 6.18: not compared).
    show("mremap(map, 4096, 0xffffffffffffffff, MAYMOVE)",
         syscall(SYS_mremap, mapped, 4096, 0xffffffffffffffffUL, MREMAP_MAYMOVE, 0) == -1 ? -1 : 0);
    show("mremap(map, 0xfffffffffffff000, 4096, 0)",
         syscall(SYS_mremap, mapped, 0xfffffffffffff000UL, 4096, 0, 0) == -1 ? -1 : 0);
    int pipe_fds[2];
    show("pipe", pipe(pipe_fds));
    show("write to the pipe", write(pipe_fds[1], "kernel heap intact", 18));
    show("read(pipe, 0x7ffff8000000, 16)", syscall(SYS_read, pipe_fds[0], 0x7ffff8000000UL, 16));
    show("munmap(0x7ffff8000000, 64 MiB)", syscall(SYS_munmap, 0x7ffff8000000UL, 0x4000000UL));
    show("munmap(0x7ffff8000000, 64 MiB) again", syscall(SYS_munmap, 0x7ffff8000000UL, 0x4000000UL));
    char back[32] = {0};
    show("read the pipe after the munmap", read(pipe_fds[0], back, sizeof back));
    int more[2];
    show("a new pipe after the munmap", pipe(more));
    ((volatile char *)mapped)[0] = 1;
    show("the mapping still works", ((volatile char *)mapped)[0]);
    return 0;
}
