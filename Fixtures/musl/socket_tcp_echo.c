// A TCP echo server and client on 127.0.0.1 in one program: the server binds port 0 (an
// ephemeral port read back with getsockname), a forked child connects and exchanges lines
// with write/read, send/recv, sendto/recvfrom and sendmsg/recvmsg with two iovecs, then
// streams 1 MiB (blocking sends into a full buffer) and half-closes; the server answers the
// byte count and checksum. A thread blocked in accept while the main thread connects shows a
// blocking socket call leaves the other threads running. Also checks fstat (S_ISSOCK),
// getsockname/getpeername on both ends, SO_TYPE, SO_ERROR, TCP_NODELAY, SO_REUSEADDR, and
// poll/select/epoll readiness of a connected socket. The child prints first, the parent after
// waitpid, so the output is deterministic.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (1 << 20)

static char report[8192];
static size_t reported;

static void note(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *format, ...) {
    va_list args;
    va_start(args, format);
    reported += vsnprintf(report + reported, sizeof report - reported, format, args);
    va_end(args);
}

#include "include/check.h"

static int connect_to(unsigned short port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(connect(fd, (struct sockaddr *)&address, sizeof address) == 0, "connect");
    return fd;
}

static size_t read_full(int fd, char *buffer, size_t count) {
    size_t done = 0;
    while (done < count) {
        ssize_t n = read(fd, buffer + done, count - done);
        check(n >= 0, "read");
        if (n == 0) break;
        done += n;
    }
    return done;
}

static void client(unsigned short port) {
    int fd = connect_to(port);
    struct sockaddr_in local, peer;
    socklen_t length = sizeof local;
    check(getsockname(fd, (struct sockaddr *)&local, &length) == 0, "getsockname");
    length = sizeof peer;
    check(getpeername(fd, (struct sockaddr *)&peer, &length) == 0, "getpeername");
    printf("client: local %s, port %s; peer port %s\n", inet_ntoa(local.sin_addr),
           ntohs(local.sin_port) != 0 && ntohs(local.sin_port) != port ? "ephemeral" : "wrong",
           ntohs(peer.sin_port) == port ? "the server's" : "wrong");
    int one = 1;
    check(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
    int value = 0;
    length = sizeof value;
    check(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0, "getsockopt");
    printf("client: TCP_NODELAY %d (length %u)\n", value != 0, length);

    char line[64];
    for (int i = 0; i < 3; i++) {
        int n = snprintf(line, sizeof line, "line %d\n", i);
        check(write(fd, line, n) == n, "write");
        char echo[64] = {0};
        check(read_full(fd, echo, n) == (size_t)n, "read echo");
        printf("client: echo %.*s", n, echo);
    }
    check(send(fd, "by send\n", 8, 0) == 8, "send");
    char echo[64] = {0};
    check(recv(fd, echo, 8, MSG_WAITALL) == 8, "recv");
    printf("client: echo %s", echo);
    check(sendto(fd, "sendto!\n", 8, 0, NULL, 0) == 8, "sendto");
    memset(echo, 0, sizeof echo);
    check(recvfrom(fd, echo, 8, MSG_WAITALL, NULL, NULL) == 8, "recvfrom");
    printf("client: echo %s", echo);
    struct iovec parts[2] = {{"two ", 4}, {"parts\n", 6}};
    struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
    check(sendmsg(fd, &message, 0) == 10, "sendmsg");
    char first[3] = {0}, second[16] = {0};
    struct iovec into[2] = {{first, 2}, {second, 8}};
    struct msghdr received = {.msg_iov = into, .msg_iovlen = 2};
    check(recvmsg(fd, &received, MSG_WAITALL) == 10, "recvmsg");
    printf("client: recvmsg '%s' + '%s' flags %d\n", first, second, received.msg_flags);

    char *big = malloc(BIG);
    unsigned sum = 0;
    for (int i = 0; i < BIG; i++) {
        big[i] = (char)(i * 7 + i / 4096);
        sum = sum * 31 + (unsigned char)big[i];
    }
    size_t sent = 0;
    while (sent < BIG) {
        ssize_t n = send(fd, big + sent, BIG - sent, 0);
        check(n > 0, "send big");
        sent += n;
    }
    check(shutdown(fd, SHUT_WR) == 0, "shutdown");
    char answer[64] = {0};
    size_t got = read_full(fd, answer, sizeof answer - 1);
    char expected[64];
    snprintf(expected, sizeof expected, "%d %u\n", BIG, sum);
    printf("client: server counted %s\n", got > 0 && strcmp(answer, expected) == 0 ? "every byte" : answer);
    check(read(fd, answer, 1) == 0, "end of stream");
    printf("client: end of stream\n");
    check(close(fd) == 0, "close");
    free(big);
}

static void serve(int connection) {
    char buffer[64];
    // Three lines, then send/recv, sendto/recvfrom, sendmsg: echo 8 + 8 + 10 bytes after the lines.
    for (int i = 0; i < 3; i++) {
        size_t n = read_full(connection, buffer, 7);
        check(n == 7, "server read line");
        check(write(connection, buffer, n) == (ssize_t)n, "server write");
    }
    int sizes[3] = {8, 8, 10};
    for (int i = 0; i < 3; i++) {
        check(read_full(connection, buffer, sizes[i]) == (size_t)sizes[i], "server read");
        check(write(connection, buffer, sizes[i]) == sizes[i], "server echo");
    }
    unsigned sum = 0;
    size_t total = 0;
    char *chunk = malloc(65536);
    for (;;) {
        ssize_t n = recv(connection, chunk, 65536, 0);
        check(n >= 0, "server recv");
        if (n == 0) break;
        for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)chunk[i];
        total += n;
    }
    free(chunk);
    int n = snprintf(buffer, sizeof buffer, "%zu %u\n", total, sum);
    check(write(connection, buffer, n) == n, "server answer");
    note("server: received %zu bytes\n", total);
}

struct acceptor {
    int listener;
    int accepted;
};

static void *accept_thread(void *argument) {
    struct acceptor *acceptor = argument;
    acceptor->accepted = accept(acceptor->listener, NULL, NULL);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(listener >= 0, "socket");
    int one = 1;
    check(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(listener, (struct sockaddr *)&address, sizeof address) == 0, "bind");
    check(listen(listener, 8) == 0, "listen");
    socklen_t length = sizeof address;
    check(getsockname(listener, (struct sockaddr *)&address, &length) == 0, "getsockname");
    unsigned short port = ntohs(address.sin_port);
    printf("listener: %s, length %u, port %s\n", inet_ntoa(address.sin_addr), length, port != 0 ? "ephemeral" : "zero");
    struct stat status;
    check(fstat(listener, &status) == 0, "fstat");
    int type = 0;
    length = sizeof type;
    check(getsockopt(listener, SOL_SOCKET, SO_TYPE, &type, &length) == 0, "SO_TYPE");
    printf("listener: S_ISSOCK %d, SO_TYPE stream %d, FD_CLOEXEC %d\n", S_ISSOCK(status.st_mode), type == SOCK_STREAM, fcntl(listener, F_GETFD) & FD_CLOEXEC);

    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        close(listener);
        client(port);
        _exit(0);
    }
    struct sockaddr_in peer;
    length = sizeof peer;
    int connection = accept(listener, (struct sockaddr *)&peer, &length);
    check(connection >= 0, "accept");
    note("server: peer %s, length %u\n", inet_ntoa(peer.sin_addr), length);
    serve(connection);
    close(connection);
    int status_code = 0;
    check(waitpid(child, &status_code, 0) == child, "waitpid");
    printf("%s", report);
    printf("child: exit %d\n", WIFEXITED(status_code) ? WEXITSTATUS(status_code) : -1);

    // A thread blocked in accept; the main thread connects.
    struct acceptor acceptor = {listener, -1};
    pthread_t thread;
    check(pthread_create(&thread, NULL, accept_thread, &acceptor) == 0, "pthread_create");
    usleep(20000);
    int fd = connect_to(port);
    check(pthread_join(thread, NULL) == 0, "pthread_join");
    printf("thread: accepted %s\n", acceptor.accepted >= 0 ? "a connection" : strerror(errno));
    check(write(fd, "x", 1) == 1, "write");
    struct pollfd entry = {.fd = acceptor.accepted, .events = POLLIN | POLLOUT};
    check(poll(&entry, 1, 1000) >= 1, "poll");
    printf("poll: in %d out %d\n", !!(entry.revents & POLLIN), !!(entry.revents & POLLOUT));
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(acceptor.accepted, &readable);
    struct timeval timeout = {1, 0};
    printf("select: %d\n", select(acceptor.accepted + 1, &readable, NULL, NULL, &timeout));
    int epoll = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = 7};
    check(epoll_ctl(epoll, EPOLL_CTL_ADD, acceptor.accepted, &event) == 0, "epoll_ctl");
    struct epoll_event out;
    int ready = epoll_wait(epoll, &out, 1, 1000);
    printf("epoll: %d ready, data %u, in %d\n", ready, out.data.u32, !!(out.events & EPOLLIN));
    close(fd);
    char byte;
    check(read(acceptor.accepted, &byte, 1) == 1, "read x");
    printf("read after peer close: %zd\n", read(acceptor.accepted, &byte, 1));
    int error = -1;
    length = sizeof error;
    check(getsockopt(acceptor.accepted, SOL_SOCKET, SO_ERROR, &error, &length) == 0, "SO_ERROR");
    printf("SO_ERROR %d\n", error);
    close(acceptor.accepted);
    close(epoll);
    close(listener);
    return 0;
}
