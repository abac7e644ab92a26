#define _GNU_SOURCE
#include "clinux_files.h"
#include <sys/socket.h>

#include <fcntl.h>
#include <sys/file.h>
#include <string.h>
#include <sys/random.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int clinux_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int clinux_o_path(void) {
    return O_PATH;
}

int clinux_random_bytes(void *buffer, size_t length) {
    unsigned char *bytes = buffer;
    while (length > 0) {
        ssize_t got = getrandom(bytes, length, 0);
        if (got < 0) {
            return -1;
        }
        bytes += got;
        length -= (size_t)got;
    }
    return 0;
}

long clinux_getdents64(int fd, void *buffer, size_t length) {
    return syscall(SYS_getdents64, fd, buffer, length);
}

int clinux_faccessat2(int dirfd, const char *path, int mode, int flags) {
    return (int)syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

int clinux_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

int clinux_fallocate(int fd, int mode, int64_t offset, int64_t length) {
    return (int)syscall(SYS_fallocate, fd, mode, (long)offset, (long)length);
}

long clinux_copy_file_range(int input, int64_t *input_offset, int output, int64_t *output_offset,
                            uint64_t length, unsigned flags) {
    return syscall(SYS_copy_file_range, input, input_offset, output, output_offset, (unsigned long)length, flags);
}

int clinux_fstatfs(int fd, void *buffer, size_t length) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) {
        return -1;
    }
    memcpy(buffer, &info, length < sizeof info ? length : sizeof info);
    return 0;
}

int clinux_fcntl_lock(int fd, int command, struct flock *lock) {
    return fcntl(fd, command, lock);
}

int clinux_flock(int fd, int operation) {
    return flock(fd, operation);
}

int clinux_accept4(int fd, struct sockaddr *address, unsigned *length, int flags) {
    return accept4(fd, address, (socklen_t *)length, flags);
}
