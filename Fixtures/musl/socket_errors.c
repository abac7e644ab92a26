// Non-blocking connect and the socket error cases, on 127.0.0.1: a non-blocking connect
// (EINPROGRESS or at once) finished through poll and through epoll, SO_ERROR 0 after it;
// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (the flags seen by fcntl) and EAGAIN on an empty
// queue; ECONNREFUSED from a closed port, blocking and non-blocking (SO_ERROR after poll);
// EADDRINUSE; ENOTCONN from getpeername, recv and shutdown of an unconnected socket; EINVAL
// for a second bind, a short address, bad accept4 flags, a negative option length; EISCONN;
// ENOTSOCK on a pipe; EBADF; EAFNOSUPPORT and EPROTONOSUPPORT from socket; EFAULT for a bad
// address; a blocking recv a signal interrupts (EINTR without SA_RESTART, restarted with it),
// and SO_RCVTIMEO (EAGAIN when it passes, EINTR for a signal even with SA_RESTART).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/check.h"

static const char *name(int error) {
    switch (error) {
    case EAGAIN: return "EAGAIN";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case ENOTCONN: return "ENOTCONN";
    case EINVAL: return "EINVAL";
    case EISCONN: return "EISCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case EBADF: return "EBADF";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    default: return strerror(error);
    }
}

static void show(const char *what, long result) {
    printf("%s: %ld %s\n", what, result, result < 0 ? name(errno) : "");
}

static struct sockaddr_in loopback(unsigned short port) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

static unsigned short port_of(int fd) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    check(getsockname(fd, (struct sockaddr *)&address, &length) == 0, "getsockname");
    return ntohs(address.sin_port);
}

static int nonblocking_connect(unsigned short port, const char *what) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check(fd >= 0, "socket");
    struct sockaddr_in address = loopback(port);
    int result = connect(fd, (struct sockaddr *)&address, sizeof address);
    printf("%s: %s\n", what, result == 0 || errno == EINPROGRESS ? "in progress or done" : name(errno));
    return fd;
}

static void on_alarm(int signal) { (void)signal; }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = loopback(0);
    check(bind(listener, (struct sockaddr *)&address, sizeof address) == 0, "bind");
    check(listen(listener, 8) == 0, "listen");
    unsigned short port = port_of(listener);

    int result;
    int first = nonblocking_connect(port, "non-blocking connect");
    struct pollfd entry = {.fd = first, .events = POLLOUT};
    check(poll(&entry, 1, 2000) == 1, "poll");
    printf("poll: out %d err %d\n", !!(entry.revents & POLLOUT), !!(entry.revents & POLLERR));
    int error = -1;
    socklen_t length = sizeof error;
    check(getsockopt(first, SOL_SOCKET, SO_ERROR, &error, &length) == 0, "SO_ERROR");
    printf("SO_ERROR: %d\n", error);
    address = loopback(port);
    show("connect again", connect(first, (struct sockaddr *)&address, sizeof address));
    show("connect a third time", connect(first, (struct sockaddr *)&address, sizeof address));

    int second = nonblocking_connect(port, "second non-blocking connect");
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLOUT, .data.u32 = 2};
    check(epoll_ctl(epoll, EPOLL_CTL_ADD, second, &event) == 0, "epoll_ctl");
    struct epoll_event out = {0};
    int ready = epoll_wait(epoll, &out, 1, 2000);
    printf("epoll: %d ready, data %u, out %d\n", ready, out.data.u32, !!(out.events & EPOLLOUT));
    close(epoll);

    for (int i = 0; i < 2; i++) {
        int accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        check(accepted >= 0, "accept4");
        printf("accept4: O_NONBLOCK %d, FD_CLOEXEC %d\n", !!(fcntl(accepted, F_GETFL) & O_NONBLOCK),
               !!(fcntl(accepted, F_GETFD) & FD_CLOEXEC));
        close(accepted);
    }
    int flags = fcntl(listener, F_GETFL);
    check(fcntl(listener, F_SETFL, flags | O_NONBLOCK) == 0, "F_SETFL");
    show("accept on an empty queue", accept(listener, NULL, NULL));
    // (On a non-blocking listener: musl falls back to accept for flags the kernel refuses.)
    errno = 0;
    result = accept4(listener, NULL, NULL, 0x1);
    printf("accept4 with bad flags: %d %s\n", result, errno == EINVAL || errno == EAGAIN ? "EINVAL or EAGAIN" : name(errno));
    check(fcntl(listener, F_SETFL, flags) == 0, "F_SETFL");
    close(first);
    close(second);

    int taken = socket(AF_INET, SOCK_STREAM, 0);
    address = loopback(port);
    show("bind to a port in use", bind(taken, (struct sockaddr *)&address, sizeof address));
    close(taken);

    int closed = socket(AF_INET, SOCK_STREAM, 0);
    address = loopback(0);
    check(bind(closed, (struct sockaddr *)&address, sizeof address) == 0, "bind closed");
    unsigned short closed_port = port_of(closed);
    close(closed);
    int refused = socket(AF_INET, SOCK_STREAM, 0);
    address = loopback(closed_port);
    show("connect to a closed port", connect(refused, (struct sockaddr *)&address, sizeof address));
    close(refused);
    refused = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    result = connect(refused, (struct sockaddr *)&address, sizeof address);
    if (result < 0 && errno == EINPROGRESS) {
        entry = (struct pollfd){.fd = refused, .events = POLLOUT};
        check(poll(&entry, 1, 2000) == 1, "poll refused");
        length = sizeof error;
        check(getsockopt(refused, SOL_SOCKET, SO_ERROR, &error, &length) == 0, "SO_ERROR");
    } else {
        error = result < 0 ? errno : 0;
    }
    printf("non-blocking connect to a closed port: %s\n", name(error));
    close(refused);

    int lone = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in peer;
    length = sizeof peer;
    show("getpeername unconnected", getpeername(lone, (struct sockaddr *)&peer, &length));
    char byte;
    show("recv unconnected", recv(lone, &byte, 1, 0));
    show("shutdown unconnected", shutdown(lone, SHUT_RDWR));
    address = loopback(0);
    check(bind(lone, (struct sockaddr *)&address, sizeof address) == 0, "bind lone");
    show("second bind", bind(lone, (struct sockaddr *)&address, sizeof address));
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    show("short address", bind(fresh, (struct sockaddr *)&address, 4));
    show("address too long", bind(fresh, (struct sockaddr *)&address, 4096));
    int value = 1;
    show("setsockopt negative length", setsockopt(fresh, SOL_SOCKET, SO_REUSEADDR, &value, -1));
    int negative = -1;
    show("getsockopt negative length", getsockopt(fresh, SOL_SOCKET, SO_TYPE, &value, (socklen_t *)&negative));
    show("bind bad address", bind(fresh, (struct sockaddr *)8, sizeof address));
    close(fresh);
    close(lone);

    int pipe_ends[2];
    check(pipe(pipe_ends) == 0, "pipe");
    show("listen on a pipe", listen(pipe_ends[0], 1));
    show("getsockname of a pipe", getsockname(pipe_ends[0], (struct sockaddr *)&peer, &length));
    show("send on a pipe", send(pipe_ends[1], "x", 1, 0));
    close(pipe_ends[0]);
    close(pipe_ends[1]);
    show("listen on -1", listen(-1, 1));
    show("socket of family 1234", socket(1234, SOCK_STREAM, 0));
    show("TCP over a datagram socket", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));

    // A blocking recv ended by a signal without SA_RESTART.
    int sv[2];
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    struct sigaction action = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    show("recv interrupted", recv(sv[0], &byte, 1, 0));
    // With SA_RESTART the recv goes on until a forked child's byte arrives.
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        usleep(200000);
        check(write(sv[1], "r", 1) == 1, "child write");
        _exit(0);
    }
    setitimer(ITIMER_REAL, &timer, NULL);
    show("recv restarted after SA_RESTART", recv(sv[0], &byte, 1, 0));
    check(waitpid(child, NULL, 0) == child, "waitpid");
    // SO_RCVTIMEO: EAGAIN when it passes; EINTR for a signal even with SA_RESTART.
    struct timeval limit = {0, 30000};
    check(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0, "SO_RCVTIMEO");
    struct timeval read_back = {0, 0};
    length = sizeof read_back;
    check(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &read_back, &length) == 0, "getsockopt SO_RCVTIMEO");
    printf("SO_RCVTIMEO: %ld.%06ld s\n", (long)read_back.tv_sec, (long)read_back.tv_usec);
    show("recv past SO_RCVTIMEO", recv(sv[0], &byte, 1, 0));
    limit = (struct timeval){2, 0};
    check(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0, "SO_RCVTIMEO");
    setitimer(ITIMER_REAL, &timer, NULL);
    show("recv with SO_RCVTIMEO interrupted", recv(sv[0], &byte, 1, 0));
    close(sv[0]);
    close(sv[1]);
    close(listener);
    return 0;
}
