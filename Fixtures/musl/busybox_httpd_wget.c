// A real server and client talking over loopback TCP: the placed busybox runs as `httpd -f` on
// 127.0.0.1 at a port that was free a moment before (a socket bound to port 0, read back with
// getsockname and closed), serving a www folder the program made; once a connect succeeds,
// `busybox wget` (fork + exec) fetches a small text file and a 200 KB binary file into the
// working directory, which are compared with the originals; a missing file makes wget fail
// (its exit status and message printed). Then httpd gets SIGTERM and is reaped. Nothing printed
// names the port. Every wait is bounded: the server's start, each wget and httpd's end.
// conformance-libcs: musl glibc
// conformance-programs: /bin/busybox=busybox
// conformance-timeout: 60
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/check.h"

#define BIG 200000

static void pause_ms(long milliseconds) {
    struct timespec ts = {milliseconds / 1000, (milliseconds % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *bytes, size_t count) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, path);
    check(write(fd, bytes, count) == (ssize_t)count, "write file");
    check(close(fd) == 0, "close file");
}

/* The whole file at `path` into `buffer` (at most `size` bytes); -1 when it cannot be opened. */
static ssize_t read_file(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    size_t done = 0;
    for (;;) {
        ssize_t n = read(fd, buffer + done, size - done);
        check(n >= 0, "read file");
        if (n == 0 || done + n == size) {
            done += n;
            break;
        }
        done += n;
    }
    close(fd);
    return done;
}

static unsigned short free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(fd, (struct sockaddr *)&address, sizeof address) == 0, "bind port 0");
    socklen_t length = sizeof address;
    check(getsockname(fd, (struct sockaddr *)&address, &length) == 0, "getsockname");
    close(fd);
    return ntohs(address.sin_port);
}

static int accepts(unsigned short port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return ok;
}

static pid_t start(char *const argv[]) {
    fflush(stdout);
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        execv("./busybox", argv);
        printf("execv ./busybox failed: errno %d\n", errno);
        fflush(stdout);
        _exit(99);
    }
    return pid;
}

/* Waits at most `seconds` for `pid` and prints how it ended; a child still running is killed. */
static void wait_and_report(const char *label, pid_t pid, int seconds) {
    int status = 0;
    for (int i = 0; i < seconds * 1000; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) printf("%s: exited %d\n", label, WEXITSTATUS(status));
            else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", label, WTERMSIG(status));
            else printf("%s: status 0x%x\n", label, status);
            return;
        }
        if (r < 0 && errno != EINTR) {
            printf("%s: waitpid failed: errno %d\n", label, errno);
            return;
        }
        pause_ms(1);
    }
    printf("%s: did not finish within %d s: killed\n", label, seconds);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static void wget(const char *label, unsigned short port, const char *path, const char *output) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/%s", port, path);
    char *argv[] = {"busybox", "wget", "-q", "-O", (char *)output, url, NULL};
    wait_and_report(label, start(argv), 20);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int fd = 3; fd < 64; fd++) close(fd);
    check(mkdir("www", 0755) == 0, "mkdir www");
    const char text[] = "Hello from busybox httpd.\nSecond line.\n";
    write_file("www/file.txt", text, sizeof text - 1);
    static char big[BIG], copy[BIG + 1];
    for (int i = 0; i < BIG; i++) big[i] = (char)(i * 131 + i / 1000);
    write_file("www/big.bin", big, BIG);

    unsigned short port = free_port();
    char listen_at[32];
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%u", port);
    char *httpd_argv[] = {"busybox", "httpd", "-f", "-p", listen_at, "-h", "www", NULL};
    pid_t httpd = start(httpd_argv);
    int ready = 0;
    for (int tries = 0; tries < 1000 && !ready; tries++) {
        ready = accepts(port);
        if (!ready) {
            if (waitpid(httpd, NULL, WNOHANG) == httpd) break;
            pause_ms(10);
        }
    }
    printf("httpd: accepting connections: %d\n", ready);
    if (!ready) {
        kill(httpd, SIGKILL);
        waitpid(httpd, NULL, 0);
        return 1;
    }

    wget("wget file.txt", port, "file.txt", "out.txt");
    char received[256] = {0};
    ssize_t n = read_file("out.txt", received, sizeof received - 1);
    printf("out.txt: %zd bytes, same as www/file.txt: %d\n", n, n == (ssize_t)(sizeof text - 1) && memcmp(received, text, n) == 0);
    printf("out.txt says: %s", received);

    wget("wget big.bin", port, "big.bin", "big.out");
    n = read_file("big.out", copy, sizeof copy);
    printf("big.out: %zd bytes, same as www/big.bin: %d\n", n, n == BIG && memcmp(copy, big, BIG) == 0);

    wget("wget missing.txt", port, "missing.txt", "missing.out");
    struct stat status;
    printf("missing.out left behind: %d\n", stat("missing.out", &status) == 0);

    check(kill(httpd, SIGTERM) == 0, "kill httpd");
    wait_and_report("httpd", httpd, 10);
    return 0;
}
