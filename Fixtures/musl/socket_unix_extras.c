// AF_UNIX beyond paths, and large data: an abstract-namespace stream server a forked child
// connects to (getsockname and getpeername give the abstract name back, a second bind is
// EADDRINUSE); autobind (bind with the family alone gives "\0" and five hex digits, and a
// datagram reaches the socket by that name); SCM_CREDENTIALS with SO_PASSCRED (a forked
// sender's explicit credentials and the ones the kernel adds unasked) and SO_PEERCRED;
// sendmsg from three buffers into recvmsg's two; datagrams larger than 64 KiB on AF_UNIX and
// the largest UDP datagram on 127.0.0.1 (one byte more is EMSGSIZE); recvmmsg's timeout (the
// batch ends once it passes, the time left is written back, a malformed one is EINVAL);
// SIOCINQ and SIOCOUTQ on a stream socket; a pipe's write end passed with SCM_RIGHTS to a
// forked child, which writes through it to the parent (then EOF once every writer closed);
// writev/readv of a datagram socket (one datagram each); IP_PKTINFO received on a UDP socket
// and given on send, SO_TIMESTAMP present, and a control buffer too small for it (MSG_CTRUNC).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/check.h"

static const char *yesno(int value) { return value ? "yes" : "no"; }

// An abstract address: "\0" then `name` (no terminating NUL counted).
static socklen_t abstract_address(struct sockaddr_un *address, const char *name) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    size_t length = strlen(name);
    memcpy(address->sun_path + 1, name, length);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length);
}

static void abstract_stream(void) {
    char name[64];
    snprintf(name, sizeof name, "fixture-abstract-%d", (int)getpid());
    struct sockaddr_un address;
    socklen_t length = abstract_address(&address, name);
    int server = socket(AF_UNIX, SOCK_STREAM, 0);
    check(server >= 0, "socket");
    check(bind(server, (struct sockaddr *)&address, length) == 0, "bind abstract");
    check(listen(server, 4) == 0, "listen");
    struct sockaddr_un named;
    socklen_t named_length = sizeof named;
    check(getsockname(server, (struct sockaddr *)&named, &named_length) == 0, "getsockname");
    printf("abstract: getsockname length matches %s, name matches %s\n", yesno(named_length == length),
           yesno(memcmp(&named, &address, length) == 0));
    int again = socket(AF_UNIX, SOCK_STREAM, 0);
    errno = 0;
    int second = bind(again, (struct sockaddr *)&address, length);
    printf("abstract: second bind %d %s\n", second, errno == EADDRINUSE ? "EADDRINUSE" : strerror(errno));
    close(again);

    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        int client = socket(AF_UNIX, SOCK_STREAM, 0);
        if (client < 0 || connect(client, (struct sockaddr *)&address, length) != 0) _exit(2);
        struct sockaddr_un peer;
        socklen_t peer_length = sizeof peer;
        if (getpeername(client, (struct sockaddr *)&peer, &peer_length) != 0) _exit(3);
        int same = peer_length == length && memcmp(&peer, &address, length) == 0;
        if (write(client, same ? "same" : "diff", 4) != 4) _exit(4);
        _exit(0);
    }
    int accepted = accept(server, NULL, NULL);
    check(accepted >= 0, "accept");
    char reply[8] = {0};
    ssize_t got = read(accepted, reply, 4);
    int status = 0;
    waitpid(child, &status, 0);
    printf("abstract: child's getpeername %.*s, child exit %d\n", (int)(got > 0 ? got : 0), reply, WEXITSTATUS(status));
    close(accepted);
    close(server);
}

static void autobind(void) {
    int socket_fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    check(socket_fd >= 0, "socket");
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    check(bind(socket_fd, (struct sockaddr *)&address, sizeof(sa_family_t)) == 0, "autobind");
    struct sockaddr_un named;
    socklen_t length = sizeof named;
    check(getsockname(socket_fd, (struct sockaddr *)&named, &length) == 0, "getsockname");
    int hex = 1;
    for (int index = 1; index <= 5 && index < (int)length - 2; index++) {
        char c = named.sun_path[index];
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    printf("autobind: length %u, abstract %s, five hex digits %s\n", (unsigned)length, yesno(named.sun_path[0] == 0), yesno(hex));
    int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
    check(sender >= 0, "socket");
    check(sendto(sender, "ping", 4, 0, (struct sockaddr *)&named, length) == 4, "sendto autobound");
    char buffer[8] = {0};
    ssize_t got = recv(socket_fd, buffer, sizeof buffer, 0);
    printf("autobind: received %zd '%.*s'\n", got, (int)(got > 0 ? got : 0), buffer);
    errno = 0;
    int rebound = bind(socket_fd, (struct sockaddr *)&address, sizeof(sa_family_t));
    printf("autobind: binding again %d %s\n", rebound, errno == EINVAL ? "EINVAL" : strerror(errno));
    close(sender);
    close(socket_fd);
}

// Receives one message and its credentials; prints what they say of `sender`.
static void receive_credentials(int fd, const char *what, pid_t sender) {
    char data[16] = {0};
    union {
        char bytes[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct iovec vector = {data, sizeof data};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    ssize_t got = recvmsg(fd, &message, 0);
    check(got >= 0, "recvmsg");
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (header == NULL || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_CREDENTIALS) {
        printf("%s: '%.*s', no credentials\n", what, (int)got, data);
        return;
    }
    struct ucred credentials;
    memcpy(&credentials, CMSG_DATA(header), sizeof credentials);
    printf("%s: '%.*s', cmsg_len %zu, pid is the sender's %s, uid %s, gid %s\n", what, (int)got, data,
           (size_t)header->cmsg_len, yesno(credentials.pid == sender), yesno(credentials.uid == getuid()),
           yesno(credentials.gid == getgid()));
}

static void credentials(void) {
    int pair[2];
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
    int on = 1;
    check(setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0, "SO_PASSCRED");
    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        close(pair[0]);
        struct ucred mine = {getpid(), getuid(), getgid()};
        union {
            char bytes[CMSG_SPACE(sizeof(struct ucred))];
            struct cmsghdr align;
        } control;
        memset(&control, 0, sizeof control);
        struct iovec vector = {"explicit", 8};
        struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes,
                                 .msg_controllen = sizeof control.bytes};
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_CREDENTIALS;
        header->cmsg_len = CMSG_LEN(sizeof mine);
        memcpy(CMSG_DATA(header), &mine, sizeof mine);
        if (sendmsg(pair[1], &message, 0) != 8) _exit(2);
        char token;
        if (read(pair[1], &token, 1) != 1) _exit(3);
        if (write(pair[1], "unasked", 7) != 7) _exit(4);
        _exit(0);
    }
    close(pair[1]);
    receive_credentials(pair[0], "credentials (explicit)", child);
    check(write(pair[0], "g", 1) == 1, "write");
    receive_credentials(pair[0], "credentials (added by the kernel)", child);
    int status = 0;
    waitpid(child, &status, 0);
    printf("credentials: child exit %d\n", WEXITSTATUS(status));
    close(pair[0]);

    check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
    struct ucred peer;
    socklen_t length = sizeof peer;
    check(getsockopt(pair[0], SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0, "SO_PEERCRED");
    printf("SO_PEERCRED: length %u, pid mine %s, uid %s, gid %s\n", (unsigned)length, yesno(peer.pid == getpid()),
           yesno(peer.uid == getuid()), yesno(peer.gid == getgid()));
    close(pair[0]);
    close(pair[1]);
}

static void scatter_gather(void) {
    int pair[2];
    check(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == 0, "socketpair");
    struct iovec out[3] = {{"alpha-", 6}, {"beta-", 5}, {"gamma", 5}};
    struct msghdr message = {.msg_iov = out, .msg_iovlen = 3};
    ssize_t sent = sendmsg(pair[0], &message, 0);
    char first[7] = {0}, second[16] = {0};
    struct iovec in[2] = {{first, 6}, {second, sizeof second - 1}};
    struct msghdr received = {.msg_iov = in, .msg_iovlen = 2};
    ssize_t got = recvmsg(pair[1], &received, 0);
    printf("scatter/gather: sent %zd, received %zd as '%s' + '%s'\n", sent, got, first, second);
    close(pair[0]);
    close(pair[1]);

    // writev and readv of a datagram socket: one datagram each.
    check(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0, "socketpair");
    ssize_t written = writev(pair[0], out, 3);
    ssize_t queued_two = writev(pair[0], out + 1, 2);
    memset(first, 0, sizeof first);
    memset(second, 0, sizeof second);
    ssize_t read_first = readv(pair[1], in, 2);
    char third[16] = {0};
    ssize_t read_second = read(pair[1], third, sizeof third - 1);
    printf("datagram writev: %zd then %zd; readv %zd as '%s' + '%s', then read %zd '%s'\n", written, queued_two, read_first,
           first, second, read_second, third);
    close(pair[0]);
    close(pair[1]);

    check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
    check(write(pair[0], "queued", 6) == 6, "write");
    int queued = -1, unsent = -1;
    int in_result = ioctl(pair[1], FIONREAD, &queued);
    int out_result = ioctl(pair[0], TIOCOUTQ, &unsent);
    printf("SIOCINQ: %d, %d bytes; SIOCOUTQ: %d, a count %s\n", in_result, queued, out_result, yesno(unsent >= 0));
    close(pair[0]);
    close(pair[1]);
}

static int pattern_ok(const unsigned char *bytes, size_t count, unsigned seed) {
    for (size_t index = 0; index < count; index++) {
        if (bytes[index] != (unsigned char)(index * 7 + seed)) return 0;
    }
    return 1;
}

static void large_datagrams(void) {
    enum { unix_size = 200000, udp_size = 65507 };
    unsigned char *out = malloc(unix_size + 1), *in = malloc(unix_size + 16);
    check(out != NULL && in != NULL, "malloc");
    for (size_t index = 0; index < unix_size + 1; index++) out[index] = (unsigned char)(index * 7 + 3);

    int pair[2];
    check(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0, "socketpair");
    int size = 1 << 20;
    check(setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0, "SO_SNDBUF");
    ssize_t sent = send(pair[0], out, unix_size, 0);
    memset(in, 0, unix_size + 16);
    ssize_t got = recv(pair[1], in, unix_size + 16, 0);
    printf("AF_UNIX datagram: sent %zd, received %zd, bytes intact %s\n", sent, got,
           yesno(got == unix_size && pattern_ok(in, unix_size, 3)));
    close(pair[0]);
    close(pair[1]);

    int receiver = socket(AF_INET, SOCK_DGRAM, 0), sender = socket(AF_INET, SOCK_DGRAM, 0);
    check(receiver >= 0 && sender >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    check(bind(receiver, (struct sockaddr *)&address, length) == 0, "bind");
    check(getsockname(receiver, (struct sockaddr *)&address, &length) == 0, "getsockname");
    check(setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0, "SO_RCVBUF");
    sent = sendto(sender, out, udp_size, 0, (struct sockaddr *)&address, length);
    memset(in, 0, unix_size + 16);
    got = recv(receiver, in, unix_size, 0);
    printf("UDP datagram: sent %zd, received %zd, bytes intact %s\n", sent, got,
           yesno(got == udp_size && pattern_ok(in, udp_size, 3)));
    errno = 0;
    sent = sendto(sender, out, udp_size + 1, 0, (struct sockaddr *)&address, length);
    printf("UDP datagram of %d bytes: %zd %s\n", udp_size + 1, sent, errno == EMSGSIZE ? "EMSGSIZE" : strerror(errno));
    close(sender);
    close(receiver);
    free(out);
    free(in);
}

static void recvmmsg_timeout(void) {
    int receiver = socket(AF_INET, SOCK_DGRAM, 0), sender = socket(AF_INET, SOCK_DGRAM, 0);
    check(receiver >= 0 && sender >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    check(bind(receiver, (struct sockaddr *)&address, length) == 0, "bind");
    check(getsockname(receiver, (struct sockaddr *)&address, &length) == 0, "getsockname");
    // Three datagrams in one sendmmsg.
    check(connect(sender, (struct sockaddr *)&address, length) == 0, "connect");
    struct iovec outgoing[3] = {{"m0", 2}, {"m1", 2}, {"m2", 2}};
    struct mmsghdr batch[3];
    memset(batch, 0, sizeof batch);
    for (int index = 0; index < 3; index++) {
        batch[index].msg_hdr.msg_iov = &outgoing[index];
        batch[index].msg_hdr.msg_iovlen = 1;
    }
    int batched = sendmmsg(sender, batch, 3, 0);
    printf("sendmmsg: %d messages, lengths %u %u %u\n", batched, batch[0].msg_len, batch[1].msg_len, batch[2].msg_len);
    char buffers[5][8];
    struct iovec vectors[5];
    struct mmsghdr messages[5];
    memset(messages, 0, sizeof messages);
    for (int index = 0; index < 5; index++) {
        vectors[index] = (struct iovec){buffers[index], sizeof buffers[index]};
        messages[index].msg_hdr.msg_iov = &vectors[index];
        messages[index].msg_hdr.msg_iovlen = 1;
    }
    // A generous timeout: the batch takes what is queued (MSG_DONTWAIT ends it then).
    struct timespec timeout = {5, 0};
    int count = recvmmsg(receiver, messages, 5, MSG_DONTWAIT, &timeout);
    long long left = (long long)timeout.tv_sec * 1000000000LL + timeout.tv_nsec;
    printf("recvmmsg: %d messages, time left written back %s\n", count, yesno(left > 0 && left < 5000000000LL));
    // A zero timeout ends the batch after its first message, and stays zero.
    for (int index = 0; index < 2; index++) check(sendto(sender, "z", 1, 0, (struct sockaddr *)&address, length) == 1, "sendto");
    timeout = (struct timespec){0, 0};
    count = recvmmsg(receiver, messages, 5, MSG_DONTWAIT, &timeout);
    printf("recvmmsg with a zero timeout: %d message, timeout now %lld.%09ld\n", count, (long long)timeout.tv_sec, timeout.tv_nsec);
    count = recvmmsg(receiver, messages, 5, MSG_DONTWAIT, NULL);
    printf("recvmmsg without a timeout: %d message\n", count);
    timeout = (struct timespec){0, 2000000000L};
    errno = 0;
    count = recvmmsg(receiver, messages, 5, MSG_DONTWAIT, &timeout);
    printf("recvmmsg with tv_nsec 2e9: %d %s\n", count, errno == EINVAL ? "EINVAL" : strerror(errno));
    close(sender);
    close(receiver);
}

static void pass_pipe(void) {
    int pair[2];
    check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
    pid_t child = fork();
    check(child >= 0, "fork");
    if (child == 0) {
        close(pair[0]);
        char byte;
        union {
            char bytes[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct iovec vector = {&byte, 1};
        struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes,
                                 .msg_controllen = sizeof control.bytes};
        if (recvmsg(pair[1], &message, 0) != 1) _exit(2);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        if (header == NULL || header->cmsg_type != SCM_RIGHTS) _exit(3);
        int writer;
        memcpy(&writer, CMSG_DATA(header), sizeof writer);
        if (write(writer, "through the pipe", 16) != 16) _exit(4);
        _exit(0);
    }
    close(pair[1]);
    // The pipe is made after the fork: only the descriptor passing gives the child its end.
    int pipe_ends[2];
    check(pipe(pipe_ends) == 0, "pipe");
    union {
        char bytes[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec vector = {"p", 1};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &pipe_ends[1], sizeof(int));
    ssize_t sent = sendmsg(pair[0], &message, 0);
    close(pipe_ends[1]);
    char buffer[32] = {0};
    size_t total = 0;
    ssize_t got;
    while (total < sizeof buffer - 1 && (got = read(pipe_ends[0], buffer + total, sizeof buffer - 1 - total)) > 0) total += (size_t)got;
    int status = 0;
    waitpid(child, &status, 0);
    printf("pipe passed: sendmsg %zd, read '%s' then EOF, child exit %d\n", sent, buffer, WEXITSTATUS(status));
    close(pipe_ends[0]);
    close(pair[0]);
}

static void packet_info(void) {
    int receiver = socket(AF_INET, SOCK_DGRAM, 0), sender = socket(AF_INET, SOCK_DGRAM, 0);
    check(receiver >= 0 && sender >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    check(bind(receiver, (struct sockaddr *)&address, length) == 0, "bind");
    check(getsockname(receiver, (struct sockaddr *)&address, &length) == 0, "getsockname");
    int on = 1;
    check(setsockopt(receiver, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0, "IP_PKTINFO");
    check(setsockopt(receiver, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on) == 0, "SO_TIMESTAMP");
    // Sent with IP_PKTINFO naming the source address.
    union {
        char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } out;
    memset(&out, 0, sizeof out);
    struct iovec vector = {"info", 4};
    struct msghdr message = {.msg_name = &address, .msg_namelen = length, .msg_iov = &vector, .msg_iovlen = 1,
                             .msg_control = out.bytes, .msg_controllen = sizeof out.bytes};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = IPPROTO_IP;
    header->cmsg_type = IP_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo source = {0};
    source.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
    memcpy(CMSG_DATA(header), &source, sizeof source);
    printf("sendmsg with IP_PKTINFO: %zd\n", sendmsg(sender, &message, 0));
    char data[16] = {0};
    union {
        char bytes[256];
        struct cmsghdr align;
    } in;
    struct iovec into = {data, sizeof data};
    struct msghdr received = {.msg_iov = &into, .msg_iovlen = 1, .msg_control = in.bytes, .msg_controllen = sizeof in.bytes};
    ssize_t got = recvmsg(receiver, &received, 0);
    int info = 0, stamp = 0;
    for (struct cmsghdr *item = CMSG_FIRSTHDR(&received); item != NULL; item = CMSG_NXTHDR(&received, item)) {
        if (item->cmsg_level == IPPROTO_IP && item->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo packet;
            memcpy(&packet, CMSG_DATA(item), sizeof packet);
            info = packet.ipi_addr.s_addr == htonl(INADDR_LOOPBACK) && packet.ipi_ifindex > 0;
        }
        if (item->cmsg_level == SOL_SOCKET && item->cmsg_type == SO_TIMESTAMP) stamp = item->cmsg_len == CMSG_LEN(sizeof(struct timeval));
    }
    printf("recvmsg: %zd '%.*s', IP_PKTINFO to 127.0.0.1 on an interface %s, SO_TIMESTAMP %s, MSG_CTRUNC %d\n", got, (int)got, data,
           yesno(info), yesno(stamp), (received.msg_flags & MSG_CTRUNC) != 0);
    // Room for the first message only.
    check(sendto(sender, "more", 4, 0, (struct sockaddr *)&address, length) == 4, "sendto");
    received.msg_control = in.bytes;
    received.msg_controllen = CMSG_SPACE(sizeof(struct timeval));
    got = recvmsg(receiver, &received, 0);
    printf("recvmsg with a small control buffer: %zd, MSG_CTRUNC %d\n", got, (received.msg_flags & MSG_CTRUNC) != 0);
    close(sender);
    close(receiver);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    abstract_stream();
    autobind();
    credentials();
    scatter_gather();
    large_datagrams();
    recvmmsg_timeout();
    pass_pipe();
    packet_info();
    return 0;
}
