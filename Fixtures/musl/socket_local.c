// AF_UNIX and UDP on one machine: socketpair of each type (stream both ways, datagram
// boundaries, MSG_PEEK, MSG_TRUNC, seqpacket, EOF after shutdown, EPIPE after the peer's close
// with SIGPIPE ignored and SIGPIPE delivered otherwise); an AF_UNIX stream socket bound at a
// relative path in the working directory (the socket file's type, getsockname and the
// client's getpeername give the path as given, EADDRINUSE for a second bind, a forked client
// connecting by the same relative name), unlinked at the end; an AF_UNIX datagram socket at
// a path; and UDP round trips on 127.0.0.1 with sendto/recvfrom (the sender's address), a
// connected UDP socket, MSG_DONTWAIT on an empty socket (EAGAIN), sendmmsg and recvmmsg.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/check.h"

static const char *name(int error) {
    switch (error) {
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case EADDRINUSE: return "EADDRINUSE";
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    default: return strerror(error);
    }
}

/* Prints a call's result and errno (read after the call). */
static void show(const char *what, long result) {
    printf("%s: %ld %s\n", what, result, result < 0 ? name(errno) : "");
}

static volatile sig_atomic_t pipes;
static void on_pipe(int signal) { (void)signal; pipes++; }

static void pairs(void) {
    int sv[2];
    check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair stream");
    check(write(sv[0], "ping", 4) == 4 && write(sv[1], "pong!", 5) == 5, "pair write");
    char buffer[32] = {0};
    check(read(sv[1], buffer, sizeof buffer) == 4, "pair read");
    printf("stream pair: %s", buffer);
    memset(buffer, 0, sizeof buffer);
    check(recv(sv[0], buffer, sizeof buffer, MSG_PEEK) == 5, "peek");
    check(recv(sv[0], buffer, sizeof buffer, 0) == 5, "recv");
    printf(" %s\n", buffer);
    check(shutdown(sv[0], SHUT_WR) == 0, "shutdown");
    printf("after shutdown: read %zd\n", read(sv[1], buffer, sizeof buffer));
    signal(SIGPIPE, SIG_IGN);
    check(close(sv[1]) == 0, "close");
    errno = 0;
    ssize_t n = send(sv[0], "x", 1, 0);
    printf("write to a closed pair: %zd %s\n", n, name(errno));
    close(sv[0]);

    check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    signal(SIGPIPE, on_pipe);
    close(sv[1]);
    errno = 0;
    n = write(sv[0], "x", 1);
    printf("write without a reader: %zd %s, SIGPIPE %d\n", n, name(errno), (int)pipes);
    errno = 0;
    n = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("MSG_NOSIGNAL: %zd %s, SIGPIPE %d\n", n, name(errno), (int)pipes);
    close(sv[0]);

    check(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
    check(send(sv[0], "first", 5, 0) == 5 && send(sv[0], "second message", 14, 0) == 14, "dgram send");
    memset(buffer, 0, sizeof buffer);
    printf("datagrams: %zd", recv(sv[1], buffer, sizeof buffer, 0));
    printf(" '%s'", buffer);
    memset(buffer, 0, sizeof buffer);
    struct iovec vector = {buffer, 6};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
    n = recvmsg(sv[1], &message, 0);
    printf(", truncated %zd '%s' MSG_TRUNC %d", n, buffer, !!(message.msg_flags & MSG_TRUNC));
    check(send(sv[0], "third", 5, 0) == 5, "dgram send");
    printf(", with MSG_TRUNC %zd\n", recv(sv[1], buffer, 2, MSG_TRUNC));
    show("empty, MSG_DONTWAIT", recv(sv[1], buffer, sizeof buffer, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);

    check(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair seqpacket");
    check(write(sv[0], "abc", 3) == 3 && write(sv[0], "defg", 4) == 4, "seqpacket write");
    printf("seqpacket: %zd", read(sv[1], buffer, sizeof buffer));
    printf(" %zd\n", read(sv[1], buffer, sizeof buffer));
    close(sv[0]);
    close(sv[1]);
}

static void print_unix(const char *who, struct sockaddr_un *address, socklen_t length) {
    printf("%s: family %d, length %u, path '%s'\n", who, address->sun_family, length,
           length > offsetof(struct sockaddr_un, sun_path) ? address->sun_path : "");
}

static void unix_path(void) {
    unlink("sock_stream");
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    check(listener >= 0, "socket");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strcpy(address.sun_path, "sock_stream");
    socklen_t length = offsetof(struct sockaddr_un, sun_path) + strlen(address.sun_path) + 1;
    check(bind(listener, (struct sockaddr *)&address, length) == 0, "bind");
    check(listen(listener, 4) == 0, "listen");
    struct stat status;
    check(stat("sock_stream", &status) == 0, "stat");
    printf("socket file: S_ISSOCK %d\n", S_ISSOCK(status.st_mode));
    struct sockaddr_un named;
    length = sizeof named;
    check(getsockname(listener, (struct sockaddr *)&named, &length) == 0, "getsockname");
    print_unix("getsockname", &named, length);
    int second = socket(AF_UNIX, SOCK_STREAM, 0);
    show("second bind", bind(second, (struct sockaddr *)&address, sizeof address));
    close(second);
    int orphan = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un missing = {.sun_family = AF_UNIX};
    strcpy(missing.sun_path, "no_such_socket");
    show("connect to a missing path", connect(orphan, (struct sockaddr *)&missing, sizeof missing));
    close(orphan);

    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        check(connect(fd, (struct sockaddr *)&address, sizeof address) == 0, "connect");
        struct sockaddr_un peer;
        socklen_t peer_length = sizeof peer;
        check(getpeername(fd, (struct sockaddr *)&peer, &peer_length) == 0, "getpeername");
        print_unix("client getpeername", &peer, peer_length);
        check(write(fd, "over a path", 11) == 11, "client write");
        char reply[16] = {0};
        check(read(fd, reply, sizeof reply) == 5, "client read");
        printf("client: %s\n", reply);
        _exit(0);
    }
    struct sockaddr_un peer;
    length = sizeof peer;
    int connection = accept(listener, (struct sockaddr *)&peer, &length);
    check(connection >= 0, "accept");
    char buffer[32] = {0};
    check(read(connection, buffer, 11) == 11, "server read");
    check(write(connection, "reply", 5) == 5, "server write");
    int code;
    check(waitpid(child, &code, 0) == child, "waitpid");
    printf("server: '%s', accepted peer length %u\n", buffer, length);
    length = sizeof named;
    check(getsockname(connection, (struct sockaddr *)&named, &length) == 0, "getsockname");
    print_unix("accepted getsockname", &named, length);
    close(connection);
    close(listener);
    check(unlink("sock_stream") == 0, "unlink");

    unlink("sock_dgram");
    int receiver = socket(AF_UNIX, SOCK_DGRAM, 0);
    strcpy(address.sun_path, "sock_dgram");
    check(bind(receiver, (struct sockaddr *)&address, sizeof address) == 0, "bind dgram");
    int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
    check(sendto(sender, "to a path", 9, 0, (struct sockaddr *)&address, sizeof address) == 9, "sendto path");
    memset(buffer, 0, sizeof buffer);
    check(recv(receiver, buffer, sizeof buffer, 0) == 9, "recv dgram");
    printf("unix datagram: %s\n", buffer);
    close(sender);
    close(receiver);
    check(unlink("sock_dgram") == 0, "unlink dgram");
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    check(a >= 0 && b >= 0, "udp sockets");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(a, (struct sockaddr *)&address, sizeof address) == 0, "bind a");
    check(bind(b, (struct sockaddr *)&address, sizeof address) == 0, "bind b");
    struct sockaddr_in a_address, b_address;
    socklen_t length = sizeof a_address;
    check(getsockname(a, (struct sockaddr *)&a_address, &length) == 0, "getsockname a");
    length = sizeof b_address;
    check(getsockname(b, (struct sockaddr *)&b_address, &length) == 0, "getsockname b");
    char buffer[64] = {0};
    show("udp: empty non-blocking recv", recv(b, buffer, sizeof buffer, 0));
    for (int i = 0; i < 3; i++) {
        char text[32];
        int n = snprintf(text, sizeof text, "datagram %d", i);
        check(sendto(a, text, n, 0, (struct sockaddr *)&b_address, sizeof b_address) == n, "sendto");
        struct sockaddr_in from;
        socklen_t from_length = sizeof from;
        memset(buffer, 0, sizeof buffer);
        ssize_t got;
        for (int tries = 0; (got = recvfrom(b, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &from_length)) < 0 && errno == EAGAIN && tries < 1000; tries++)
            usleep(1000);
        printf("udp: %zd '%s' from a: %d\n", got, buffer, from.sin_port == a_address.sin_port && from_length == sizeof from);
        check(sendto(b, buffer, got, 0, (struct sockaddr *)&from, from_length) == got, "reply");
        memset(buffer, 0, sizeof buffer);
        check(recv(a, buffer, sizeof buffer, 0) == got, "recv reply");
        printf("udp: reply '%s'\n", buffer);
    }
    check(connect(a, (struct sockaddr *)&b_address, sizeof b_address) == 0, "connect udp");
    check(send(a, "connected", 9, 0) == 9, "send connected");
    memset(buffer, 0, sizeof buffer);
    ssize_t got;
    for (int tries = 0; (got = recv(b, buffer, sizeof buffer, 0)) < 0 && errno == EAGAIN && tries < 1000; tries++) usleep(1000);
    printf("udp connected: %zd '%s'\n", got, buffer);
    struct sockaddr_in peer;
    length = sizeof peer;
    check(getpeername(a, (struct sockaddr *)&peer, &length) == 0, "getpeername udp");
    printf("udp peer is b: %d\n", peer.sin_port == b_address.sin_port);
    // sendmmsg and recvmmsg: three datagrams in one call each (MSG_WAITFORONE).
    char texts[3][8] = {"one", "two!", "three"};
    struct iovec out_vectors[3];
    struct mmsghdr out[3];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        out_vectors[i] = (struct iovec){texts[i], strlen(texts[i])};
        out[i].msg_hdr.msg_iov = &out_vectors[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(a, out, 3, 0);
    printf("sendmmsg: %d, lengths %u %u %u\n", sent, out[0].msg_len, out[1].msg_len, out[2].msg_len);
    char in_buffers[3][16];
    memset(in_buffers, 0, sizeof in_buffers);
    struct iovec in_vectors[3];
    struct mmsghdr in[3];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        in_vectors[i] = (struct iovec){in_buffers[i], sizeof in_buffers[i]};
        in[i].msg_hdr.msg_iov = &in_vectors[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    fcntl(b, F_SETFL, 0);
    int got_total = 0;
    for (int tries = 0; got_total < 3 && tries < 100; tries++) {
        int n = recvmmsg(b, in + got_total, 3 - got_total, MSG_WAITFORONE, NULL);
        check(n > 0, "recvmmsg");
        got_total += n;
    }
    printf("recvmmsg: %d: '%s' %u, '%s' %u, '%s' %u\n", got_total, in_buffers[0], in[0].msg_len, in_buffers[1],
           in[1].msg_len, in_buffers[2], in[2].msg_len);
    close(a);
    close(b);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pairs();
    unix_path();
    udp();
    return 0;
}
