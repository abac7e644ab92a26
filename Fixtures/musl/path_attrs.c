// Checks file attributes and the working directory, each call by number: chmod/fchmod/
// fchmodat (permission bits as stat shows them), umask (old value returned, applied to open,
// mkdir and creat), truncate/ftruncate (shrink, grow with zeros, EINVAL for negative sizes,
// EISDIR), fsync/fdatasync on files, utimensat (explicit times read back by stat, UTIME_OMIT
// keeps, descriptor form), getcwd/chdir/fchdir (relative to the start directory; ENOTDIR,
// ENOENT, ERANGE), and statfs/fstatfs (only success and f_bsize > 0).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case EBADF: return "EBADF";
    case ERANGE: return "ERANGE";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static void mode(const char *label, const char *path) {
    struct stat st;
    if (syscall(SYS_stat, path, &st) < 0) { printf("  %s: stat -1 %s\n", label, name(errno)); return; }
    if (S_ISDIR(st.st_mode)) printf("  %s: dir %04o\n", label, (unsigned)(st.st_mode & 07777));
    else printf("  %s: %04o size %lld\n", label, (unsigned)(st.st_mode & 07777), (long long)st.st_size);
}

static char start[4096];

/* The working directory relative to where the program started. */
static void cwd(const char *label) {
    char buffer[4096];
    long n = syscall(SYS_getcwd, buffer, sizeof buffer);
    if (n < 0) { printf("%s: getcwd -1 %s\n", label, name(errno)); return; }
    size_t length = strlen(start);
    const char *rest = strncmp(buffer, start, length) == 0 ? buffer + length : " (outside the start directory)";
    if (strcmp(rest, "/") == 0) rest = "";
    printf("%s: getcwd returned length ok %d, cwd .%s\n", label, n == (long)strlen(buffer) + 1, rest);
}

int main(void) {
    syscall(SYS_getcwd, start, sizeof start);
    if (strcmp(start, "/") == 0) start[0] = 0;
    SHOW("umask 027 (old)", syscall(SYS_umask, 027));
    SHOW("umask 022 (old)", syscall(SYS_umask, 022));
    SHOW("umask 077 (old)", syscall(SYS_umask, 077));
    int fd = syscall(SYS_openat, AT_FDCWD, "f.txt", O_RDWR | O_CREAT | O_TRUNC, 0666);
    syscall(SYS_mkdir, "dir077", 0777);
    syscall(SYS_close, syscall(SYS_creat, "creat077", 0666));
    mode("f.txt under 077", "f.txt");
    mode("dir077", "dir077");
    mode("creat077", "creat077");
    SHOW("umask 022 (old)", syscall(SYS_umask, 022));

    SHOW("chmod 0640", syscall(SYS_chmod, "f.txt", 0640));
    mode("f.txt", "f.txt");
    SHOW("fchmod 0604", syscall(SYS_fchmod, fd, 0604));
    mode("f.txt", "f.txt");
    SHOW("fchmodat 0755", syscall(SYS_fchmodat, AT_FDCWD, "f.txt", 0755));
    mode("f.txt", "f.txt");
    SHOW("chmod setgid+sticky dir", syscall(SYS_chmod, "dir077", 03750));
    mode("dir077", "dir077");
    SHOW("chmod missing", syscall(SYS_chmod, "nope", 0644));
    SHOW("fchmod closed", syscall(SYS_fchmod, 99, 0644));
    SHOW("chmod 0644", syscall(SYS_chmod, "f.txt", 0644));

    SHOW("write 10", syscall(SYS_write, fd, "0123456789", 10));
    SHOW("ftruncate 4", syscall(SYS_ftruncate, fd, 4L));
    mode("f.txt", "f.txt");
    SHOW("truncate 8", syscall(SYS_truncate, "f.txt", 8L));
    mode("f.txt", "f.txt");
    char buffer[16];
    memset(buffer, 'x', sizeof buffer);
    SHOW("pread64 all", syscall(SYS_pread64, fd, buffer, sizeof buffer, 0L));
    printf("  bytes: %.4s then %d %d %d %d\n", buffer, buffer[4], buffer[5], buffer[6], buffer[7]);
    SHOW("ftruncate negative", syscall(SYS_ftruncate, fd, -1L));
    SHOW("truncate negative", syscall(SYS_truncate, "f.txt", -1L));
    SHOW("truncate dir", syscall(SYS_truncate, "dir077", 0L));
    SHOW("truncate missing", syscall(SYS_truncate, "nope", 0L));
    SHOW("fsync", syscall(SYS_fsync, fd));
    SHOW("fdatasync", syscall(SYS_fdatasync, fd));
    SHOW("fsync closed", syscall(SYS_fsync, 99));
    SHOW("fdatasync closed", syscall(SYS_fdatasync, 99));

    struct timespec times[2] = {{1000000000, 5}, {1234567890, 123456789}};
    SHOW("utimensat path", syscall(SYS_utimensat, AT_FDCWD, "f.txt", times, 0));
    struct stat st;
    syscall(SYS_stat, "f.txt", &st);
    printf("  atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1500000000, 0}};
    SHOW("utimensat fd, atime omitted", syscall(SYS_utimensat, fd, NULL, omit, 0));
    syscall(SYS_fstat, fd, &st);
    printf("  atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    SHOW("utimensat NOW", syscall(SYS_utimensat, AT_FDCWD, "f.txt", NULL, 0));
    syscall(SYS_stat, "f.txt", &st);
    printf("  mtime after 2020: %d\n", st.st_mtim.tv_sec > 1577836800);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    SHOW("utimensat bad nsec", syscall(SYS_utimensat, AT_FDCWD, "f.txt", bad, 0));
    SHOW("utimensat missing", syscall(SYS_utimensat, AT_FDCWD, "nope", times, 0));

    cwd("start");
    syscall(SYS_mkdir, "a", 0755);
    syscall(SYS_mkdir, "a/b", 0755);
    SHOW("chdir a", syscall(SYS_chdir, "a"));
    cwd("in a");
    int b = syscall(SYS_open, "b", O_RDONLY | O_DIRECTORY);
    SHOW("fchdir b", syscall(SYS_fchdir, b));
    cwd("in a/b");
    SHOW("chdir ../..", syscall(SYS_chdir, "../.."));
    cwd("back");
    SHOW("chdir file", syscall(SYS_chdir, "f.txt"));
    SHOW("chdir missing", syscall(SYS_chdir, "nope"));
    SHOW("fchdir file", syscall(SYS_fchdir, fd));
    SHOW("fchdir closed", syscall(SYS_fchdir, 99));
    SHOW("getcwd tiny buffer", syscall(SYS_getcwd, buffer, 1));
    cwd("still");
    SHOW("open relative after chdirs", syscall(SYS_faccessat, AT_FDCWD, "a/b", F_OK));

    struct statfs fs;
    memset(&fs, 0, sizeof fs);
    long r = syscall(SYS_statfs, ".", &fs);
    printf("statfs .: %ld, f_bsize > 0: %d\n", r, fs.f_bsize > 0);
    memset(&fs, 0, sizeof fs);
    r = syscall(SYS_fstatfs, fd, &fs);
    printf("fstatfs: %ld, f_bsize > 0: %d\n", r, fs.f_bsize > 0);
    SHOW("statfs missing", syscall(SYS_statfs, "nope", &fs));
    SHOW("fstatfs closed", syscall(SYS_fstatfs, 99, &fs));
    return 0;
}
