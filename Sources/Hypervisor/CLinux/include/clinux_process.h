/*
 * clinux_process.h: the process half of the C shim: waitid(2) with its rusage argument
 * (glibc's wrapper has none) and the siginfo fields Swift cannot reach in the union.
 */
#ifndef CLINUX_PROCESS_H
#define CLINUX_PROCESS_H

#include <stdint.h>

/* What a child's state change looks like (pid 0: none yet, with WNOHANG). */
struct clinux_child_change {
    int32_t pid;
    int32_t code;     /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
    int32_t status;   /* exit status or signal */
    uint32_t uid;
    uint64_t user_ns, system_ns;
};

/* waitid(idtype, id, &info, options, &usage) into `change`; 0 or -errno. */
/* getrusage(RUSAGE_CHILDREN)'s user and system time in ns; 0 or -errno. */
int clinux_children_usage(uint64_t *user_ns, uint64_t *system_ns);

/* A new close-on-exec memfd that marks the runners of one guest (GuestProcessTree); -1 (errno). */
int clinux_process_tree_marker(void);

int clinux_waitid(int idtype, int id, int options, struct clinux_child_change *change);

/* pipe2(fds, O_CLOEXEC); 0 or -1 with errno set. */
int clinux_pipe_cloexec(int fds[2]);

/* Ends the process by `signal`, as the default action would (no core file); falls back to
   _exit(128 + signal) when the signal does not kill. */
void clinux_die_by_signal(int signal) __attribute__((noreturn));

/* A shared (not FUTEX_PRIVATE) futex wait on `word` while it holds `expected`, for at most
   `timeout_ns` (its bitset `bitset`): 0 when woken, or -errno (EAGAIN, ETIMEDOUT, EINTR). */
long clinux_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns, uint32_t bitset);

/* Wakes up to `count` waiters of `word` (shared futex) whose bitset meets `bitset`: how many,
   or -errno. */
long clinux_futex_wake(uint32_t *word, int count, uint32_t bitset);

/* A System V IPC system call (shmget, shmctl, semget, semtimedop, semctl, msgget, msgsnd,
   msgrcv, msgctl) with its raw arguments: the result, or -errno (semctl is variadic in C). */
long clinux_sysv(long number, long a0, long a1, long a2, long a3, long a4);

/* Gives the calling process an IPC namespace of its own (unshare(CLONE_NEWIPC), which needs
   CAP_SYS_ADMIN): 0, or -errno. */
int clinux_private_ipc_namespace(void);

/* pidfd_open(pid, 0): a new (close-on-exec) pidfd, or -errno. */
int clinux_pidfd_open(int pid);

/* pidfd_send_signal(fd, signal, NULL, flags): 0 or -errno. */
int clinux_pidfd_send_signal(int fd, int signal, unsigned flags);

/* The pid that pidfd `fd` refers to (the Pid: line of its fdinfo): > 0, 0 when its process
   has been reaped, or -EBADF when `fd` is no pidfd. */
int clinux_pidfd_pid(int fd);

#endif
