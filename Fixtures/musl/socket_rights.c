// SCM_RIGHTS over AF_UNIX sockets: a process passes a file of the working directory and one
// end of another socket pair through a stream socket pair to a forked child, which reads the
// file through the descriptor it got (the open file description is shared: the offset moves
// for both), answers through the socket it got, and checks MSG_CMSG_CLOEXEC; descriptors
// sent to a control buffer too small for them (MSG_CTRUNC), a receive without a control
// buffer (the descriptors are dropped), and EBADF for a closed descriptor in SCM_RIGHTS.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/check.h"

static ssize_t send_fds(int socket, const char *text, const int *fds, int count) {
    union {
        char buffer[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec vector = {(void *)text, strlen(text)};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * count)};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
    return sendmsg(socket, &message, 0);
}

/// Receives a message and up to `room` descriptors into `fds`; returns how many came.
static int receive_fds(int socket, char *text, size_t size, int *fds, int room, int flags, int *message_flags) {
    union {
        char buffer[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec vector = {text, size};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = room ? control.buffer : NULL,
                             .msg_controllen = room ? CMSG_SPACE(sizeof(int) * room) : 0};
    ssize_t n = recvmsg(socket, &message, flags);
    check(n >= 0, "recvmsg");
    text[n] = 0;
    *message_flags = message.msg_flags;
    int count = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int got = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds + count, CMSG_DATA(header), sizeof(int) * got);
        count += got;
    }
    return count;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int file = open("rights_data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(file >= 0, "open");
    check(write(file, "0123456789abcdef", 16) == 16, "write file");
    check(lseek(file, 0, SEEK_SET) == 0, "lseek");
    int channel[2], answer[2];
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, channel) == 0, "socketpair channel");
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, answer) == 0, "socketpair answer");

    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        close(channel[0]);
        close(file);
        close(answer[0]);
        close(answer[1]);
        char text[64];
        int fds[4] = {-1, -1, -1, -1}, flags;
        int count = receive_fds(channel[1], text, sizeof text - 1, fds, 4, MSG_CMSG_CLOEXEC, &flags);
        printf("child: '%s', %d descriptors, flags %d\n", text, count, flags);
        printf("child: close-on-exec %d %d\n", !!(fcntl(fds[0], F_GETFD) & FD_CLOEXEC), !!(fcntl(fds[1], F_GETFD) & FD_CLOEXEC));
        char data[8] = {0};
        check(read(fds[0], data, 4) == 4, "read passed file");
        printf("child: read '%s' through the passed file\n", data);
        check(write(fds[1], "from the child", 14) == 14, "write passed socket");
        close(fds[0]);
        close(fds[1]);
        count = receive_fds(channel[1], text, sizeof text - 1, fds, 1, 0, &flags);
        printf("child: '%s', %d descriptor, MSG_CTRUNC %d\n", text, count, !!(flags & MSG_CTRUNC));
        if (count > 0) close(fds[0]);
        count = receive_fds(channel[1], text, sizeof text - 1, fds, 0, 0, &flags);
        printf("child: '%s', %d descriptors without a control buffer, MSG_CTRUNC %d\n", text, count, !!(flags & MSG_CTRUNC));
        _exit(0);
    }
    close(channel[1]);
    int fds[2] = {file, answer[1]};
    check(send_fds(channel[0], "two descriptors", fds, 2) == 15, "sendmsg");
    char reply[32] = {0};
    check(read(answer[0], reply, 14) == 14, "read reply");
    int status;
    // The child's read moved the shared offset.
    char next[8] = {0};
    // Wait until the second message is read too, so the order of lines stays fixed.
    int three[3] = {file, file, answer[1]};
    check(send_fds(channel[0], "three for one", three, 3) == 13, "sendmsg three");
    check(send_fds(channel[0], "dropped", fds, 2) == 7, "sendmsg dropped");
    check(waitpid(child, &status, 0) == child, "waitpid");
    printf("parent: reply '%s', child exit %d\n", reply, WEXITSTATUS(status));
    check(read(file, next, 4) == 4, "read file");
    printf("parent: read '%s' after the child's read (offset %ld)\n", next, (long)lseek(file, 0, SEEK_CUR));
    int closed = dup(file);
    close(closed);
    int bad[1] = {closed};
    errno = 0;
    ssize_t sent = send_fds(channel[0], "bad", bad, 1);
    printf("closed descriptor: %zd %s\n", sent, sent < 0 && errno == EBADF ? "EBADF" : strerror(errno));
    close(channel[0]);
    close(answer[0]);
    close(answer[1]);
    close(file);
    check(unlink("rights_data.txt") == 0, "unlink");
    return 0;
}
