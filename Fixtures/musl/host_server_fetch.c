// The guest reaching a server on the host: the conformance tool starts busybox httpd natively on
// 127.0.0.1 (conformance-host-server:) around both runs, serving files it wrote into the server's
// folder, and passes the port in CONFORMANCE_HOST_PORT. The program makes plain-socket HTTP/1.0
// GET requests (connect, one write, reads until end of stream, with poll bounding every wait)
// and prints the status line, the Content-Length and the body: a text file, a file in a
// subfolder, and a missing file (404). Nothing printed names the port; the headers that carry a
// date are not printed.
// conformance-libcs: musl glibc
// conformance-host-server: /bin/busybox httpd -f -p 127.0.0.1:{port} -h {dir}
// conformance-host-server-file: hello.txt=Hello from the host's httpd.\nA second line.\n
// conformance-host-server-file: sub/numbers.txt=1 2 3 5 8 13 21 34\n
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "include/check.h"

/* Sends `GET /path` and prints what matters of the response. */
static void fetch(unsigned short port, const char *path) {
    printf("--- GET %s\n", path);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(connect(fd, (struct sockaddr *)&address, sizeof address) == 0, "connect to the host server");
    char request[256];
    int length = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: fixture\r\n\r\n", path);
    check(write(fd, request, length) == length, "write request");
    static char response[16384];
    size_t done = 0;
    for (;;) {
        struct pollfd entry = {.fd = fd, .events = POLLIN};
        check(poll(&entry, 1, 5000) == 1, "poll: a response within 5 s");
        ssize_t n = read(fd, response + done, sizeof response - 1 - done);
        check(n >= 0, "read response");
        if (n == 0 || done + n == sizeof response - 1) {
            done += n;
            break;
        }
        done += n;
    }
    response[done] = 0;
    close(fd);
    char *end_of_headers = strstr(response, "\r\n\r\n");
    check(end_of_headers != NULL, "the end of the headers");
    *end_of_headers = 0;
    char *body = end_of_headers + 4;
    char *line_end = strstr(response, "\r\n");
    if (line_end) *line_end = 0;
    printf("status: %s\n", response);
    if (line_end) {
        for (char *header = strtok(line_end + 2, "\r\n"); header; header = strtok(NULL, "\r\n"))
            if (strncasecmp(header, "Content-Length:", 15) == 0 || strncasecmp(header, "Content-Type:", 13) == 0)
                printf("%s\n", header);
    }
    if (strncmp(response, "HTTP/1.1 200", 12) == 0 || strncmp(response, "HTTP/1.0 200", 12) == 0)
        printf("body (%zu bytes):\n%s", strlen(body), body);
    else
        printf("body: %zu bytes\n", strlen(body));
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *text = getenv("CONFORMANCE_HOST_PORT");
    check(text != NULL, "CONFORMANCE_HOST_PORT in the environment");
    long port = strtol(text, NULL, 10);
    check(port > 0 && port < 65536, "a port number in CONFORMANCE_HOST_PORT");
    fetch((unsigned short)port, "/hello.txt");
    fetch((unsigned short)port, "/sub/numbers.txt");
    fetch((unsigned short)port, "/missing.txt");
    return 0;
}
