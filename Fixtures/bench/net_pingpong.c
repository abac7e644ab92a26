// Network: request/response latency over loopback TCP. A forked child connects to a listener on
// 127.0.0.1 (port 0, found with getsockname); both ends set TCP_NODELAY. The parent send()s one
// byte and recv()s the child's one-byte answer, `rounds` times (argv[1], default 100000) after
// 1000 untimed warm-up rounds; the child answers each byte with the next value. Reports the
// time per round trip.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static int fail(const char *what) { perror(what); return 1; }

static int no_delay(int fd) {
    int on = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// The child: connect, then answer `total` one-byte requests.
static int answer(struct sockaddr_in address, long total) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("child socket");
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return fail("connect");
    if (no_delay(fd) != 0) return fail("child setsockopt TCP_NODELAY");
    for (long i = 0; i < total; i++) {
        unsigned char byte;
        if (recv(fd, &byte, 1, 0) != 1) return fail("child recv");
        byte++;
        if (send(fd, &byte, 1, 0) != 1) return fail("child send");
    }
    close(fd);
    return 0;
}

// `rounds` requests and answers; 0 when every answer was the request plus one.
static int ping(int fd, long rounds) {
    for (long i = 0; i < rounds; i++) {
        unsigned char byte = (unsigned char)i, reply;
        if (send(fd, &byte, 1, 0) != 1) return fail("send");
        if (recv(fd, &reply, 1, 0) != 1) return fail("recv");
        if (reply != (unsigned char)(byte + 1)) { fprintf(stderr, "wrong answer in round %ld\n", i); return 1; }
    }
    return 0;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 100000, warmup = 1000;
    if (rounds <= 0) return 2;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) return fail("socket");
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) return fail("bind");
    if (listen(listener, 1) != 0) return fail("listen");
    if (getsockname(listener, (struct sockaddr *)&address, &length) != 0) return fail("getsockname");

    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return fail("fork");
    if (child == 0) { close(listener); _exit(answer(address, warmup + rounds)); }

    int fd = accept(listener, 0, 0);
    if (fd < 0) return fail("accept");
    close(listener);
    if (no_delay(fd) != 0) return fail("setsockopt TCP_NODELAY");
    if (ping(fd, warmup) != 0) return 1;
    uint64_t t0 = bench_now_ns();
    if (ping(fd, rounds) != 0) return 1;
    uint64_t t1 = bench_now_ns();
    close(fd);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed (status %#x)\n", status);
        return 1;
    }
    bench_report("us_per_roundtrip", (double)(t1 - t0) / 1e3 / rounds);
    bench_report("ns_per_roundtrip", (double)(t1 - t0) / rounds);
    bench_report("seconds", (t1 - t0) / 1e9);
    return 0;
}
