/*
 * clinux_files.h: the file-system half of the C shim: openat2(2), which
 * glibc 2.36 does not wrap (syscall(2) is variadic and not callable from Swift),
 * and the few constants and calls Glibc's Swift overlay does not expose.
 */
#ifndef CLINUX_FILES_H
#define CLINUX_FILES_H

#include <linux/openat2.h>
#include <sys/xattr.h>  /* getxattr, listxattr, setxattr, removexattr: the guest's extended attributes */
#include <sys/inotify.h>  /* inotify_init1, inotify_add_watch, inotify_rm_watch: the guest's inotify instances */
#include <stddef.h>
#include <stdint.h>

static const uint64_t CLINUX_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
static const uint64_t CLINUX_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
static const uint64_t CLINUX_RESOLVE_BENEATH = RESOLVE_BENEATH;
static const uint64_t CLINUX_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;

/* openat2(dirfd, path, {flags, mode, resolve}); returns the fd or -1 with errno set. */
int clinux_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/* getdents64(2), faccessat2(2) and fchmodat2(2), which glibc 2.36 does not wrap;
   each returns the result or -1 with errno set. */
long clinux_getdents64(int fd, void *buffer, size_t length);
int clinux_faccessat2(int dirfd, const char *path, int mode, int flags);
int clinux_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);

/* fstatfs(2) into `length` bytes at `buffer` (the kernel's struct statfs). */
int clinux_fstatfs(int fd, void *buffer, size_t length);

/* fallocate(2) and copy_file_range(2), straight to the host kernel (raw system calls, so its
   own checks and errors, not a libc emulation, answer the guest); -1 with errno set on error.
   A NULL offset pointer uses and moves that file's position. */
int clinux_fallocate(int fd, int mode, int64_t offset, int64_t length);

struct flock;
/* fcntl(2) with a record-lock command (F_GETLK, F_SETLK, F_OFD_GETLK, F_OFD_SETLK): the
   variadic call Swift cannot make. */
int clinux_fcntl_lock(int fd, int command, struct flock *lock);
/* flock(2), whose name Swift sees as the struct. */
int clinux_flock(int fd, int operation);
long clinux_copy_file_range(int input, int64_t *input_offset, int output, int64_t *output_offset,
                            uint64_t length, unsigned flags);

struct sockaddr;
/* accept4(2), which Glibc's Swift overlay does not declare (it is a _GNU_SOURCE call). */
int clinux_accept4(int fd, struct sockaddr *address, unsigned *length, int flags);

/* AT_EMPTY_PATH, which Glibc's Swift overlay does not expose. */
static const int CLINUX_AT_EMPTY_PATH = 0x1000;

/* O_PATH, which Glibc's Swift overlay does not expose. */
int clinux_o_path(void);

/* Fills `length` bytes from the host's random source; returns 0 or -1 with errno set. */
int clinux_random_bytes(void *buffer, size_t length);

#endif
