// Checks calls that one libc's (or both libcs') wrappers never make, through syscall(2) so that
// both libcs make them: clone3 (musl's fork and pthread_create use clone) as a fork, with the
// child's pid stored for the parent (CLONE_PARENT_SETTID), and refused for a short or unreadable
// argument, an exit signal beyond the last one and CLONE_SIGHAND without CLONE_VM; sendmmsg
// (musl's sendmmsg is a loop of sendmsg on 64-bit) sending two datagrams in one call, none for an
// empty vector, EBADF for a closed descriptor; and inotify_init (both use inotify_init1), whose
// instance reports a file created in a watched directory.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Linux's struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1, 80 bytes). */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size;
};

static const char *errname(int e) {
    switch (e) {
    case 0: return "no error";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    default: return strerror(e);
    }
}

static int exit_status(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void refused(const char *what, struct clone3_args *args, size_t size) {
    errno = 0;
    long r = syscall(SYS_clone3, args, size);
    if (r == 0) syscall(SYS_exit_group, 99); /* a child that should not exist */
    if (r > 0) exit_status((pid_t)r);
    printf("clone3 %s: %s\n", what, r < 0 ? errname(errno) : "made a process");
}

static void clone3_calls(void) {
    fflush(stdout);
    struct clone3_args args = {.exit_signal = SIGCHLD};
    long child = syscall(SYS_clone3, &args, 64);
    if (child == 0) syscall(SYS_exit_group, 7); /* only raw calls: the libc's fork handlers did not run */
    printf("clone3 as fork: child exit status %d\n", child > 0 ? exit_status((pid_t)child) : -1);

    int parent_tid = 0;
    struct clone3_args settid = {.flags = CLONE_PARENT_SETTID, .parent_tid = (uintptr_t)&parent_tid, .exit_signal = SIGCHLD};
    fflush(stdout);
    child = syscall(SYS_clone3, &settid, sizeof settid);
    if (child == 0) syscall(SYS_exit_group, parent_tid == (int)syscall(SYS_getpid) ? 0 : 1);
    printf("CLONE_PARENT_SETTID stored the child's pid: %s; the child's copy of memory holds it (Linux stores it after copying): %s\n",
           child > 0 && parent_tid == child ? "yes" : "no", child > 0 && exit_status((pid_t)child) == 0 ? "yes" : "no");

    struct clone3_args plain = {.exit_signal = SIGCHLD};
    refused("with 8 bytes of arguments", &plain, 8);
    refused("from address 8", (struct clone3_args *)8, 64);
    struct clone3_args late = {.exit_signal = 65};
    refused("with exit signal 65", &late, 64);
    struct clone3_args sighand = {.flags = CLONE_SIGHAND, .exit_signal = SIGCHLD};
    refused("with CLONE_SIGHAND but no CLONE_VM", &sighand, 64);
}

static void sendmmsg_calls(void) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) return;
    char one[] = "one", three[] = "three";
    struct iovec iov[2] = {{one, 3}, {three, 5}};
    struct mmsghdr messages[2];
    memset(messages, 0, sizeof messages);
    messages[0].msg_hdr.msg_iov = &iov[0];
    messages[0].msg_hdr.msg_iovlen = 1;
    messages[1].msg_hdr.msg_iov = &iov[1];
    messages[1].msg_hdr.msg_iovlen = 1;
    long sent = syscall(SYS_sendmmsg, pair[0], messages, 2, 0);
    printf("sendmmsg sent %ld messages of %u and %u bytes\n", sent, messages[0].msg_len, messages[1].msg_len);
    for (int i = 0; i < 2; i++) {
        char buffer[16] = {0};
        long n = recv(pair[1], buffer, sizeof buffer, 0);
        printf("datagram %d: %ld bytes \"%s\"\n", i + 1, n, buffer);
    }
    printf("sendmmsg of no messages: %ld\n", syscall(SYS_sendmmsg, pair[0], messages, 0, 0));
    close(pair[0]);
    close(pair[1]);
    errno = 0;
    long r = syscall(SYS_sendmmsg, pair[0], messages, 2, 0);
    printf("sendmmsg on a closed descriptor: %ld %s\n", r, errname(errno));
}

static void inotify_calls(void) {
    mkdir("watched.d", 0700);
    long fd = syscall(SYS_inotify_init);
    int wd = fd >= 0 ? inotify_add_watch((int)fd, "watched.d", IN_CREATE) : -1;
    printf("inotify_init made an instance: %s; watch: %s\n", fd >= 0 ? "yes" : "no", wd >= 1 ? "yes" : "no");
    int file = open("watched.d/new.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (file >= 0) close(file);
    char buffer[256] __attribute__((aligned(8)));
    long n = fd >= 0 ? read((int)fd, buffer, sizeof buffer) : -1;
    if (n >= (long)sizeof(struct inotify_event)) {
        struct inotify_event *event = (struct inotify_event *)buffer;
        printf("event: IN_CREATE %s, name \"%s\"\n", event->mask & IN_CREATE ? "yes" : "no", event->len ? event->name : "");
    } else {
        printf("no event (%ld)\n", n);
    }
    if (fd >= 0) close((int)fd);
    unlink("watched.d/new.txt");
    rmdir("watched.d");
}

int main(void) {
    alarm(5); /* a call that never returns ends the run (SIGALRM) instead of hanging it */
    clone3_calls();
    sendmmsg_calls();
    inotify_calls();
    return 0;
}
