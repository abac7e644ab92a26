// Name resolution that needs no network: getaddrinfo of "localhost" (AF_INET from /etc/hosts,
// AF_UNSPEC giving 127.0.0.1 and nothing but loopback addresses, AI_CANONNAME), of numeric hosts
// (127.0.0.1, ::1, AI_NUMERICHOST, AI_NUMERICSERV) and of no host at all (loopback, and the
// wildcard with AI_PASSIVE); the errors that need no lookup (EAI_NONAME for a name with
// AI_NUMERICHOST, a service name with AI_NUMERICSERV or neither host nor service, EAI_FAMILY,
// EAI_BADFLAGS); getnameinfo of 127.0.0.1 and ::1 numerically and of 127.0.0.1 by name
// (localhost, from /etc/hosts); gethostbyname and gethostbyaddr for localhost; and a TCP
// connection to the address "localhost" resolved to. Only entries every /etc/hosts has are
// looked up (localhost -> 127.0.0.1): natively the host's file is read, in the guest the one the
// runner generates; no name ever reaches DNS. Addresses are printed sorted. In the guest, glibc
// reads the generated /etc/nsswitch.conf (hosts: files dns).
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "include/check.h"

static const char *error_name(int code) {
    switch (code) {
    case 0: return "0";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    default: return "another error";
    }
}

static const char *type_name(int type) {
    switch (type) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_RAW: return "raw";
    default: return "other";
    }
}

/* One result as "family address port type protocol". */
static void describe(const struct addrinfo *entry, char *text, size_t size) {
    char address[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    const char *family = "other";
    if (entry->ai_family == AF_INET && entry->ai_addrlen == sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)entry->ai_addr;
        inet_ntop(AF_INET, &in->sin_addr, address, sizeof address);
        port = ntohs(in->sin_port);
        family = "inet";
    } else if (entry->ai_family == AF_INET6 && entry->ai_addrlen == sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)entry->ai_addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, address, sizeof address);
        port = ntohs(in6->sin6_port);
        family = "inet6";
    }
    snprintf(text, size, "%s %s port %u %s protocol %d", family, address, port, type_name(entry->ai_socktype),
             entry->ai_protocol);
}

static int compare_text(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

/* Calls getaddrinfo and prints its status, then every result, sorted (or, with `summary`, only
   whether 127.0.0.1 is among them and whether all of them are loopback addresses). */
static void lookup(const char *label, const char *node, const char *service, int family, int type, int flags,
                   int summary) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = type, .ai_flags = flags};
    struct addrinfo *results = NULL;
    int code = getaddrinfo(node, service, &hints, &results);
    printf("%s: %s\n", label, error_name(code));
    if (code != 0) return;
    char lines[16][96];
    int count = 0, has_v4_loopback = 0, all_loopback = 1;
    for (struct addrinfo *entry = results; entry && count < 16; entry = entry->ai_next, count++) {
        describe(entry, lines[count], sizeof lines[count]);
        if (entry->ai_family == AF_INET) {
            struct in_addr address = ((struct sockaddr_in *)entry->ai_addr)->sin_addr;
            has_v4_loopback |= address.s_addr == htonl(INADDR_LOOPBACK);
            all_loopback &= (ntohl(address.s_addr) >> 24) == 127;
        } else if (entry->ai_family == AF_INET6) {
            all_loopback &= IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)entry->ai_addr)->sin6_addr);
        } else {
            all_loopback = 0;
        }
    }
    if (summary) {
        printf("  includes 127.0.0.1: %d, all loopback: %d\n", has_v4_loopback, all_loopback);
    } else {
        qsort(lines, count, sizeof lines[0], compare_text);
        for (int i = 0; i < count; i++) printf("  %s\n", lines[i]);
    }
    if (flags & AI_CANONNAME) printf("  canonical name: %s\n", results->ai_canonname ? results->ai_canonname : "(none)");
    freeaddrinfo(results);
}

static void reverse(const char *label, const struct sockaddr *address, socklen_t length, int flags) {
    char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
    int code = getnameinfo(address, length, host, sizeof host, service, sizeof service, flags);
    printf("%s: %s host '%s' service '%s'\n", label, error_name(code), code == 0 ? host : "", code == 0 ? service : "");
}

static void print_host(const char *label, const struct hostent *entry) {
    if (!entry) {
        printf("%s: none\n", label);
        return;
    }
    char lines[8][INET6_ADDRSTRLEN];
    int count = 0;
    for (char **address = entry->h_addr_list; *address && count < 8; address++, count++)
        inet_ntop(entry->h_addrtype, *address, lines[count], sizeof lines[count]);
    qsort(lines, count, sizeof lines[0], compare_text);
    printf("%s: name %s, family %s, length %d, addresses", label, entry->h_name,
           entry->h_addrtype == AF_INET ? "inet" : "other", entry->h_length);
    for (int i = 0; i < count; i++) printf(" %s", lines[i]);
    printf("\n");
}

/* Resolves "localhost" for a stream socket and connects to a listener on the address it gives. */
static void connect_by_name(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    check(listener >= 0, "socket");
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(listener, (struct sockaddr *)&address, sizeof address) == 0, "bind");
    check(listen(listener, 1) == 0, "listen");
    socklen_t length = sizeof address;
    check(getsockname(listener, (struct sockaddr *)&address, &length) == 0, "getsockname");
    char port[16];
    snprintf(port, sizeof port, "%u", ntohs(address.sin_port));
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *results = NULL;
    check(getaddrinfo("localhost", port, &hints, &results) == 0, "getaddrinfo localhost for connect");
    int fd = socket(results->ai_family, results->ai_socktype, results->ai_protocol);
    check(fd >= 0, "socket from getaddrinfo");
    check(connect(fd, results->ai_addr, results->ai_addrlen) == 0, "connect to localhost");
    freeaddrinfo(results);
    int accepted = accept(listener, NULL, NULL);
    check(accepted >= 0, "accept");
    check(write(fd, "hi", 2) == 2, "write");
    char buffer[4] = {0};
    check(read(accepted, buffer, 2) == 2, "read");
    printf("connected to localhost: received '%s'\n", buffer);
    close(fd);
    close(accepted);
    close(listener);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("--- getaddrinfo\n");
    lookup("localhost inet stream", "localhost", "80", AF_INET, SOCK_STREAM, 0, 0);
    lookup("localhost inet dgram numericserv", "localhost", "53", AF_INET, SOCK_DGRAM, AI_NUMERICSERV, 0);
    lookup("localhost unspec stream", "localhost", "80", AF_UNSPEC, SOCK_STREAM, 0, 1);
    lookup("localhost canonname", "localhost", NULL, AF_INET, SOCK_STREAM, AI_CANONNAME, 0);
    lookup("127.0.0.1 numerichost", "127.0.0.1", "8080", AF_INET, SOCK_STREAM, AI_NUMERICHOST | AI_NUMERICSERV, 0);
    lookup("127.0.0.1 unspec", "127.0.0.1", "8080", AF_UNSPEC, SOCK_STREAM, 0, 0);
    lookup("::1 inet6", "::1", "443", AF_INET6, SOCK_STREAM, AI_NUMERICHOST, 0);
    lookup("::1 unspec dgram", "::1", "443", AF_UNSPEC, SOCK_DGRAM, 0, 0);
    lookup("no host, inet", NULL, "7", AF_INET, SOCK_STREAM, 0, 0);
    lookup("no host, inet6", NULL, "7", AF_INET6, SOCK_STREAM, 0, 0);
    lookup("no host, unspec", NULL, "7", AF_UNSPEC, SOCK_STREAM, 0, 0);
    lookup("no host, passive inet", NULL, "7", AF_INET, SOCK_STREAM, AI_PASSIVE, 0);
    lookup("no host, passive inet6", NULL, "7", AF_INET6, SOCK_STREAM, AI_PASSIVE, 0);
    lookup("no host, passive unspec", NULL, "7", AF_UNSPEC, SOCK_DGRAM, AI_PASSIVE, 0);
    printf("--- errors without a lookup\n");
    lookup("a name with AI_NUMERICHOST", "localhost", "80", AF_UNSPEC, SOCK_STREAM, AI_NUMERICHOST, 0);
    lookup("a service name with AI_NUMERICSERV", "127.0.0.1", "http", AF_INET, SOCK_STREAM, AI_NUMERICSERV, 0);
    lookup("neither host nor service", NULL, NULL, AF_UNSPEC, SOCK_STREAM, 0, 0);
    lookup("an unknown family", "127.0.0.1", "80", 12345, SOCK_STREAM, 0, 0);
    lookup("unknown flags", "127.0.0.1", "80", AF_INET, SOCK_STREAM, 0x40000000, 0);

    printf("--- getnameinfo\n");
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(80)};
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(8443), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    reverse("127.0.0.1 numeric", (struct sockaddr *)&v4, sizeof v4, NI_NUMERICHOST | NI_NUMERICSERV);
    reverse("127.0.0.1 by name", (struct sockaddr *)&v4, sizeof v4, NI_NUMERICSERV);
    reverse("127.0.0.1 name required", (struct sockaddr *)&v4, sizeof v4, NI_NUMERICSERV | NI_NAMEREQD);
    reverse("::1 numeric", (struct sockaddr *)&v6, sizeof v6, NI_NUMERICHOST | NI_NUMERICSERV);
    reverse("a short length", (struct sockaddr *)&v4, 4, NI_NUMERICHOST | NI_NUMERICSERV);

    printf("--- gethostbyname, gethostbyaddr\n");
    print_host("gethostbyname localhost", gethostbyname("localhost"));
    print_host("gethostbyname 127.0.0.1", gethostbyname("127.0.0.1"));
    struct in_addr loopback = {htonl(INADDR_LOOPBACK)};
    print_host("gethostbyaddr 127.0.0.1", gethostbyaddr(&loopback, sizeof loopback, AF_INET));

    printf("--- connect by name\n");
    connect_by_name();
    return 0;
}
