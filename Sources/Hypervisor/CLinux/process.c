#define _GNU_SOURCE
#include "include/clinux_process.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/futex.h>
#include <time.h>
#include <sched.h>

int clinux_waitid(int idtype, int id, int options, struct clinux_child_change *change) {
    siginfo_t info;
    struct rusage usage;
    memset(&info, 0, sizeof info);
    memset(&usage, 0, sizeof usage);
    memset(change, 0, sizeof *change);
    if (syscall(SYS_waitid, idtype, id, &info, options, &usage) != 0) {
        return -errno;
    }
    change->pid = info.si_pid;
    change->code = info.si_code;
    change->status = info.si_status;
    change->uid = info.si_uid;
    change->user_ns = (uint64_t)usage.ru_utime.tv_sec * 1000000000u + (uint64_t)usage.ru_utime.tv_usec * 1000u;
    change->system_ns = (uint64_t)usage.ru_stime.tv_sec * 1000000000u + (uint64_t)usage.ru_stime.tv_usec * 1000u;
    return 0;
}

int clinux_children_usage(uint64_t *user_ns, uint64_t *system_ns) {
    struct rusage usage;
    if (getrusage(RUSAGE_CHILDREN, &usage) != 0) {
        return -errno;
    }
    *user_ns = (uint64_t)usage.ru_utime.tv_sec * 1000000000u + (uint64_t)usage.ru_utime.tv_usec * 1000u;
    *system_ns = (uint64_t)usage.ru_stime.tv_sec * 1000000000u + (uint64_t)usage.ru_stime.tv_usec * 1000u;
    return 0;
}

int clinux_process_tree_marker(void) {
    return memfd_create("unikernel-guest-processes", MFD_CLOEXEC);
}

int clinux_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

void clinux_die_by_signal(int signal_number) {
    /* No core file: the guest's crash is not the runner's. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigaction(signal_number, &action, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(signal_number);
    _exit(128 + signal_number);
}

long clinux_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns, uint32_t bitset) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    uint64_t nanoseconds = (uint64_t)deadline.tv_nsec + timeout_ns % 1000000000ull;
    deadline.tv_sec += (time_t)(timeout_ns / 1000000000ull + nanoseconds / 1000000000ull);
    deadline.tv_nsec = (long)(nanoseconds % 1000000000ull);
    long result = syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, &deadline, NULL, bitset);
    return result < 0 ? -errno : result;
}

long clinux_futex_wake(uint32_t *word, int count, uint32_t bitset) {
    long result = syscall(SYS_futex, word, FUTEX_WAKE_BITSET, count, NULL, NULL, bitset);
    return result < 0 ? -errno : result;
}

long clinux_sysv(long number, long a0, long a1, long a2, long a3, long a4) {
    long result = syscall(number, a0, a1, a2, a3, a4);
    return result < 0 ? -errno : result;
}

int clinux_private_ipc_namespace(void) {
    return unshare(CLONE_NEWIPC) == 0 ? 0 : -errno;
}

int clinux_pidfd_open(int pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int clinux_pidfd_send_signal(int fd, int signal, unsigned flags) {
    return syscall(SYS_pidfd_send_signal, fd, signal, NULL, flags) == 0 ? 0 : -errno;
}

int clinux_pidfd_pid(int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    int info = open(path, O_RDONLY | O_CLOEXEC);
    if (info < 0) return -EBADF;
    char text[2048];
    ssize_t length = read(info, text, sizeof text - 1);
    close(info);
    if (length <= 0) return -EBADF;
    text[length] = 0;
    /* Only a pidfd's fdinfo has a "Pid:" line (the pid in the reader's namespace, -1 once reaped). */
    const char *line = strstr(text, "\nPid:\t");
    if (line == NULL) return -EBADF;
    long pid = strtol(line + 6, NULL, 10);
    return pid > 0 && pid <= 0x7fffffff ? (int)pid : 0;
}
