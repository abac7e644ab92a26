// IPv6 on the loopback address ::1 (socket_local covers UDP on 127.0.0.1): UDP round trips with
// sendto/recvfrom (the sender's sockaddr_in6: family, length, address ::1, its port), a
// connected UDP socket with send/recv and getpeername, recvmsg filling msg_name; a dual-stack
// UDP socket (IPV6_V6ONLY off) bound to :: receiving from an IPv4 socket on 127.0.0.1, which
// names the sender as the v4-mapped ::ffff:127.0.0.1, and IPV6_V6ONLY read back; a
// v6-only socket refusing to connect to a v4-mapped address (ENETUNREACH); and a TCP
// connection over ::1 (bind, listen, connect, accept with the peer's address, a line each way).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "include/check.h"

static const char *text_of(const struct sockaddr_in6 *address) {
    static char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &address->sin6_addr, text, sizeof text);
    return text;
}

/* A socket of `type` bound to [::1]:0 (or [::]:0 with `any`), its address in `address`. */
static int bound6(int type, int any, struct sockaddr_in6 *address) {
    int fd = socket(AF_INET6, type, 0);
    check(fd >= 0, "socket AF_INET6");
    struct sockaddr_in6 local = {.sin6_family = AF_INET6, .sin6_addr = any ? in6addr_any : in6addr_loopback};
    check(bind(fd, (struct sockaddr *)&local, sizeof local) == 0, "bind AF_INET6");
    socklen_t length = sizeof *address;
    check(getsockname(fd, (struct sockaddr *)address, &length) == 0, "getsockname AF_INET6");
    check(length == sizeof *address, "sockaddr_in6 length");
    return fd;
}

/* recvfrom, retried a bounded number of times while the datagram is not there yet. */
static ssize_t receive(int fd, char *buffer, size_t size, struct sockaddr *from, socklen_t *length) {
    ssize_t got = -1;
    for (int tries = 0; tries < 1000; tries++) {
        got = recvfrom(fd, buffer, size, MSG_DONTWAIT, from, length);
        if (got >= 0 || errno != EAGAIN) break;
        usleep(1000);
    }
    return got;
}

static void udp(void) {
    struct sockaddr_in6 a_address, b_address;
    int a = bound6(SOCK_DGRAM, 0, &a_address), b = bound6(SOCK_DGRAM, 0, &b_address);
    printf("udp: bound to %s, ports %s\n", text_of(&a_address),
           a_address.sin6_port != 0 && a_address.sin6_port != b_address.sin6_port ? "ephemeral and distinct" : "wrong");
    char buffer[64];
    for (int i = 0; i < 3; i++) {
        char message[32];
        int n = snprintf(message, sizeof message, "over ::1 #%d", i);
        check(sendto(a, message, n, 0, (struct sockaddr *)&b_address, sizeof b_address) == n, "sendto ::1");
        struct sockaddr_in6 from;
        socklen_t from_length = sizeof from;
        memset(buffer, 0, sizeof buffer);
        memset(&from, 0xff, sizeof from);
        ssize_t got = receive(b, buffer, sizeof buffer, (struct sockaddr *)&from, &from_length);
        check(got == n, "recvfrom ::1");
        printf("udp: '%s' from family inet6 %d, length %u, %s, a's port %d\n", buffer, from.sin6_family == AF_INET6,
               from_length, text_of(&from), from.sin6_port == a_address.sin6_port);
        check(sendto(b, buffer, got, 0, (struct sockaddr *)&from, from_length) == got, "reply");
        memset(buffer, 0, sizeof buffer);
        check(receive(a, buffer, sizeof buffer, NULL, NULL) == got, "receive reply");
        printf("udp: reply '%s'\n", buffer);
    }
    check(connect(a, (struct sockaddr *)&b_address, sizeof b_address) == 0, "connect udp6");
    struct sockaddr_in6 peer;
    socklen_t length = sizeof peer;
    check(getpeername(a, (struct sockaddr *)&peer, &length) == 0, "getpeername udp6");
    printf("udp connected: peer %s, b's port %d, length %u\n", text_of(&peer), peer.sin6_port == b_address.sin6_port, length);
    check(send(a, "connected", 9, 0) == 9, "send connected");
    struct sockaddr_in6 from;
    char data[16] = {0};
    struct iovec vector = {data, sizeof data - 1};
    struct msghdr message = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1};
    ssize_t got = -1;
    for (int tries = 0; tries < 1000; tries++) {
        got = recvmsg(b, &message, MSG_DONTWAIT);
        if (got >= 0 || errno != EAGAIN) break;
        usleep(1000);
    }
    printf("recvmsg: %zd '%s', name length %u, from a %d\n", got, data, message.msg_namelen,
           from.sin6_port == a_address.sin6_port);
    close(a);
    close(b);
}

static void dual_stack(void) {
    int dual = socket(AF_INET6, SOCK_DGRAM, 0);
    check(dual >= 0, "socket dual");
    int off = 0;
    check(setsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == 0, "IPV6_V6ONLY off");
    struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    check(bind(dual, (struct sockaddr *)&any, sizeof any) == 0, "bind ::");
    struct sockaddr_in6 dual_address;
    socklen_t length = sizeof dual_address;
    check(getsockname(dual, (struct sockaddr *)&dual_address, &length) == 0, "getsockname dual");
    int value = -1;
    length = sizeof value;
    check(getsockopt(dual, IPPROTO_IPV6, IPV6_V6ONLY, &value, &length) == 0, "getsockopt IPV6_V6ONLY");
    printf("dual stack: IPV6_V6ONLY %d, bound to %s\n", value, text_of(&dual_address));

    int v4 = socket(AF_INET, SOCK_DGRAM, 0);
    check(v4 >= 0, "socket v4");
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = dual_address.sin6_port};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(sendto(v4, "from v4", 7, 0, (struct sockaddr *)&to, sizeof to) == 7, "sendto from v4");
    char buffer[16] = {0};
    struct sockaddr_in6 from;
    socklen_t from_length = sizeof from;
    check(receive(dual, buffer, sizeof buffer, (struct sockaddr *)&from, &from_length) == 7, "receive from v4");
    printf("dual stack: '%s' from %s (v4-mapped %d), length %u\n", buffer, text_of(&from),
           IN6_IS_ADDR_V4MAPPED(&from.sin6_addr), from_length);
    close(v4);
    close(dual);

    int only = socket(AF_INET6, SOCK_DGRAM, 0);
    int on = 1;
    check(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0, "IPV6_V6ONLY on");
    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    errno = 0;
    int result = connect(only, (struct sockaddr *)&mapped, sizeof mapped);
    printf("v6-only connect to a v4-mapped address: %d %s\n", result, result < 0 && errno == ENETUNREACH ? "ENETUNREACH" : strerror(errno));
    close(only);
}

static void tcp(void) {
    struct sockaddr_in6 address;
    int listener = bound6(SOCK_STREAM, 0, &address);
    check(listen(listener, 4) == 0, "listen6");
    int client = socket(AF_INET6, SOCK_STREAM, 0);
    check(client >= 0, "socket client6");
    check(connect(client, (struct sockaddr *)&address, sizeof address) == 0, "connect6");
    struct sockaddr_in6 peer, local;
    socklen_t length = sizeof peer;
    int server = accept(listener, (struct sockaddr *)&peer, &length);
    check(server >= 0, "accept6");
    socklen_t local_length = sizeof local;
    check(getsockname(client, (struct sockaddr *)&local, &local_length) == 0, "getsockname client6");
    printf("tcp: accepted %s, length %u, the client's port %d\n", text_of(&peer), length, peer.sin6_port == local.sin6_port);
    check(write(client, "hello over ::1\n", 15) == 15, "write6");
    char buffer[32] = {0};
    size_t done = 0;
    while (done < 15) {
        ssize_t n = read(server, buffer + done, 15 - done);
        check(n > 0, "read6");
        done += n;
    }
    printf("tcp: server read %s", buffer);
    check(write(server, "bye\n", 4) == 4, "write back6");
    memset(buffer, 0, sizeof buffer);
    done = 0;
    while (done < 4) {
        ssize_t n = read(client, buffer + done, 4 - done);
        check(n > 0, "read back6");
        done += n;
    }
    printf("tcp: client read %s", buffer);
    close(client);
    printf("tcp: end of stream %zd\n", read(server, buffer, sizeof buffer));
    close(server);
    close(listener);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    udp();
    dual_stack();
    tcp();
    return 0;
}
