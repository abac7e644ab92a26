// Checks inotify basics on a directory of the working directory: inotify_init1's flags
// (IN_NONBLOCK, IN_CLOEXEC, EINVAL for others) and fstat of the instance; a watch on the
// directory, then creating, writing, closing, chmod-ing, renaming and unlinking files and a
// subdirectory in it, read back as struct inotify_event records (masks by name, names, watch
// descriptors relative to the first, the rename's two cookies equal); EAGAIN from an empty
// non-blocking read, EINVAL for a buffer too small for the next event, FIONREAD against the
// bytes a read returns, poll, select and epoll readiness; a file watch removed with
// inotify_rm_watch (IN_IGNORED) and one ended by unlinking the file (IN_ATTRIB,
// IN_DELETE_SELF, IN_IGNORED); IN_MASK_ADD, IN_MASK_CREATE (EEXIST), IN_ONLYDIR (ENOTDIR),
// IN_DONT_FOLLOW on a symbolic link; a blocking read woken by another thread's create, and one
// a signal interrupts (EINTR, or restarted with SA_RESTART); the instance inherited by a forked
// child; and the error cases (EBADF, EINVAL, ENOENT, ENOTDIR, EFAULT).
// No watch asks for IN_OPEN, IN_ACCESS or IN_CLOSE_NOWRITE, which depend on how a system looks
// up paths (older kernels report the close of an O_PATH descriptor), not on what the program does.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DIRECTORY_EVENTS (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE)

static int base_wd;

static const char *errname(int e) {
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case ESPIPE: return "ESPIPE";
    case EACCES: return "EACCES";
    default: {
        static char number[32];
        snprintf(number, sizeof number, "errno %d", e);
        return number;
    }
    }
}

static void result(const char *what, long r) {
    if (r < 0) printf("%s: -1 %s\n", what, errname(errno));
    else printf("%s: ok\n", what);
}

static void print_mask(uint32_t mask) {
    static const struct { uint32_t bit; const char *name; } names[] = {
        {IN_ACCESS, "IN_ACCESS"}, {IN_MODIFY, "IN_MODIFY"}, {IN_ATTRIB, "IN_ATTRIB"},
        {IN_CLOSE_WRITE, "IN_CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "IN_CLOSE_NOWRITE"}, {IN_OPEN, "IN_OPEN"},
        {IN_MOVED_FROM, "IN_MOVED_FROM"}, {IN_MOVED_TO, "IN_MOVED_TO"}, {IN_CREATE, "IN_CREATE"},
        {IN_DELETE, "IN_DELETE"}, {IN_DELETE_SELF, "IN_DELETE_SELF"}, {IN_MOVE_SELF, "IN_MOVE_SELF"},
        {IN_UNMOUNT, "IN_UNMOUNT"}, {IN_Q_OVERFLOW, "IN_Q_OVERFLOW"}, {IN_IGNORED, "IN_IGNORED"},
        {IN_ISDIR, "IN_ISDIR"},
    };
    const char *separator = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (mask & names[i].bit) {
            printf("%s%s", separator, names[i].name);
            separator = "|";
            mask &= ~names[i].bit;
        }
    }
    if (mask) printf("%s0x%x", separator, mask);
}

/* Prints the events of one read; returns how many there were. A rename's two halves are
   checked for the same non-zero cookie. */
static int print_events(const char *buffer, ssize_t length) {
    int count = 0;
    uint32_t moved_from_cookie = 0;
    for (const char *p = buffer; p < buffer + length;) {
        const struct inotify_event *event = (const struct inotify_event *)p;
        printf("  wd=+%d ", event->wd - base_wd);
        print_mask(event->mask);
        if (event->len > 0) printf(" name=%s", event->name);
        if (event->mask & IN_MOVED_FROM) moved_from_cookie = event->cookie;
        if (event->mask & IN_MOVED_TO)
            printf(" (%s)", moved_from_cookie != 0 && event->cookie == moved_from_cookie ? "cookie pair matches" : "cookie mismatch");
        else if (!(event->mask & IN_MOVED_FROM) && event->cookie != 0)
            printf(" (unexpected cookie)");
        printf("\n");
        p += sizeof *event + event->len;
        count++;
    }
    return count;
}

/* Reads and prints what is queued on a non-blocking instance. */
static void drain(int fd, const char *label) {
    char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int available = -1;
    ioctl(fd, FIONREAD, &available);
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
        printf("%s: read -1 %s\n", label, errname(errno));
        return;
    }
    printf("%s: %s bytes (FIONREAD %s)\n", label, n > 0 ? "some" : "no", available == n ? "matches" : "differs");
    print_events(buffer, n);
}

static int blocking_fd;
static pthread_t main_thread;
static volatile sig_atomic_t handled;

static void on_usr1(int signal) {
    (void)signal;
    handled++;
}

/* Interrupts the main thread's blocking read, then (when `argument` is non-NULL) creates a file. */
static void *interrupter(void *argument) {
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pthread_kill(main_thread, SIGUSR1);
    if (argument != NULL) {
        nanosleep(&pause, NULL);
        int fd = open((const char *)argument, O_CREAT | O_WRONLY, 0644);
        close(fd);
    }
    return NULL;
}

static void *late_creator(void *argument) {
    (void)argument;
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int fd = open("watched/late.txt", O_CREAT | O_WRONLY, 0644);
    close(fd);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdir("watched", 0755) != 0) { perror("mkdir"); return 1; }

    // The instance and its descriptor.
    result("inotify_init1(O_RDWR)", inotify_init1(O_RDWR));
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0) { perror("inotify_init1"); return 1; }
    printf("FD_CLOEXEC %d, O_NONBLOCK %d, access mode %d\n", fcntl(in, F_GETFD) & FD_CLOEXEC,
           (fcntl(in, F_GETFL) & O_NONBLOCK) != 0, fcntl(in, F_GETFL) & O_ACCMODE);
    struct stat st;
    result("fstat", fstat(in, &st));
    printf("st_mode type %o permissions %o\n", st.st_mode & S_IFMT, st.st_mode & 07777);
    int plain = inotify_init();
    printf("inotify_init: FD_CLOEXEC %d, O_NONBLOCK %d\n", fcntl(plain, F_GETFD) & FD_CLOEXEC,
           (fcntl(plain, F_GETFL) & O_NONBLOCK) != 0);
    close(plain);

    // An empty instance.
    char small[sizeof(struct inotify_event)] __attribute__((aligned(__alignof__(struct inotify_event))));
    result("read of an empty non-blocking instance", read(in, small, sizeof small));
    int available = -1;
    result("FIONREAD", ioctl(in, FIONREAD, &available));
    printf("FIONREAD empty: %d\n", available);
    struct pollfd pfd = {in, POLLIN, 0};
    int polled = poll(&pfd, 1, 0);
    printf("poll empty: %d revents %d\n", polled, pfd.revents);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event watch_in = {.events = EPOLLIN, .data.u32 = 7};
    result("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, in, &watch_in));
    struct epoll_event got;
    printf("epoll_wait empty: %d\n", epoll_wait(ep, &got, 1, 0));

    // The directory watch and the events of ordinary file work in it.
    base_wd = inotify_add_watch(in, "watched", DIRECTORY_EVENTS);
    printf("directory watch: %s\n", base_wd > 0 ? "ok" : errname(errno));
    printf("same watch again: %s\n", inotify_add_watch(in, "watched/", DIRECTORY_EVENTS) == base_wd ? "same wd" : "other");
    int fd = open("watched/a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "hello ", 6);
    write(fd, "inotify\n", 8);
    close(fd);
    chmod("watched/a.txt", 0600);
    rename("watched/a.txt", "watched/b.txt");
    mkdir("watched/sub", 0755);
    rmdir("watched/sub");
    unlink("watched/b.txt");

    pfd.revents = 0;
    polled = poll(&pfd, 1, 0);
    printf("poll with events: %d revents %d\n", polled, pfd.revents);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(in, &readable);
    struct timeval zero = {0, 0};
    int selected = select(in + 1, &readable, NULL, NULL, &zero);
    printf("select with events: %d, set %d\n", selected, FD_ISSET(in, &readable) != 0);
    got.data.u32 = 0;
    int waited = epoll_wait(ep, &got, 1, 0);
    printf("epoll_wait with events: %d events %x data %u\n", waited, got.events, got.data.u32);
    result("read into a buffer too small for the next event", read(in, small, sizeof small));
    result("read of 0 bytes with events queued", read(in, small, 0));
    drain(in, "file work");
    result("read after draining", read(in, small, sizeof small));

    // File watches: IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR, IN_DONT_FOLLOW, rm_watch, unlink.
    fd = open("watched/kept.txt", O_CREAT | O_WRONLY, 0644);
    close(fd);
    fd = open("watched/gone.txt", O_CREAT | O_WRONLY, 0644);
    close(fd);
    symlink("kept.txt", "watched/link");
    drain(in, "setting up files");
    int kept = inotify_add_watch(in, "watched/kept.txt", IN_ATTRIB);
    printf("file watch: +%d\n", kept - base_wd);
    printf("IN_MASK_ADD: %s\n", inotify_add_watch(in, "watched/kept.txt", IN_MODIFY | IN_MASK_ADD) == kept ? "same wd" : "other");
    result("IN_MASK_CREATE on a watched file", inotify_add_watch(in, "watched/kept.txt", IN_MODIFY | IN_MASK_CREATE));
    printf("through the link: %s\n", inotify_add_watch(in, "watched/link", IN_ATTRIB) == kept ? "same wd" : "other");
    int link_wd = inotify_add_watch(in, "watched/link", IN_ATTRIB | IN_DONT_FOLLOW);
    printf("IN_DONT_FOLLOW on the link: %s\n", link_wd > 0 && link_wd != kept ? "its own wd" : "wrong");
    result("IN_ONLYDIR on a file", inotify_add_watch(in, "watched/kept.txt", IN_ATTRIB | IN_ONLYDIR));
    result("IN_ONLYDIR on the directory", inotify_add_watch(in, "watched", DIRECTORY_EVENTS | IN_ONLYDIR));
    fd = open("watched/kept.txt", O_WRONLY | O_APPEND);
    write(fd, "more\n", 5);
    close(fd);
    result("rm_watch of the file watch", inotify_rm_watch(in, kept));
    result("rm_watch again", inotify_rm_watch(in, kept));
    result("rm_watch of the link watch", inotify_rm_watch(in, link_wd));
    int gone = inotify_add_watch(in, "watched/gone.txt", IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
    unlink("watched/gone.txt");
    printf("gone watch: +%d\n", gone - base_wd);
    drain(in, "file watches");

    // Error cases, in Linux's order of checks.
    int regular = open("watched/kept.txt", O_RDONLY);
    result("add_watch mask 0", inotify_add_watch(in, "watched", 0));
    result("add_watch mask 0 on a bad fd", inotify_add_watch(-1, "watched", 0));
    result("add_watch bad fd", inotify_add_watch(-1, "watched", IN_CREATE));
    result("add_watch closed fd", inotify_add_watch(999, "watched", IN_CREATE));
    result("add_watch not an inotify fd", inotify_add_watch(regular, "watched", IN_CREATE));
    result("add_watch not inotify, missing path", inotify_add_watch(regular, "nowhere", IN_CREATE));
    result("add_watch IN_MASK_ADD|IN_MASK_CREATE", inotify_add_watch(in, "nowhere", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE));
    result("add_watch missing path", inotify_add_watch(in, "nowhere", IN_CREATE));
    result("add_watch empty path", inotify_add_watch(in, "", IN_CREATE));
    result("add_watch NULL path", inotify_add_watch(in, NULL, IN_CREATE));
    result("add_watch through a file", inotify_add_watch(in, "watched/kept.txt/x", IN_CREATE));
    result("rm_watch bad fd", inotify_rm_watch(-1, base_wd));
    result("rm_watch not an inotify fd", inotify_rm_watch(regular, base_wd));
    result("rm_watch unknown wd", inotify_rm_watch(in, 12345));
    result("write to an instance", write(in, "x", 1));
    result("pread of an instance", pread(in, small, sizeof small, 0));
    close(regular);
    drain(in, "after the error cases");

    // A blocking read, woken by another thread's create.
    blocking_fd = inotify_init();
    int late_wd = inotify_add_watch(blocking_fd, "watched", IN_CREATE);
    fcntl(blocking_fd, F_SETFL, O_NONBLOCK);
    result("read after F_SETFL O_NONBLOCK", read(blocking_fd, small, sizeof small));
    fcntl(blocking_fd, F_SETFL, 0);
    printf("O_NONBLOCK after clearing: %d\n", (fcntl(blocking_fd, F_GETFL) & O_NONBLOCK) != 0);
    pthread_t thread;
    pthread_create(&thread, NULL, late_creator, NULL);
    char buffer[256] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(blocking_fd, buffer, sizeof buffer);
    printf("blocking read: %s\n", n > 0 ? "events" : errname(errno));
    int saved = base_wd;
    base_wd = late_wd;
    print_events(buffer, n > 0 ? n : 0);
    base_wd = saved;
    pthread_join(thread, NULL);

    // A signal ends a blocking read: EINTR without SA_RESTART, the read goes on with it.
    main_thread = pthread_self();
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    sigaction(SIGUSR1, &action, NULL);
    pthread_create(&thread, NULL, interrupter, NULL);
    n = read(blocking_fd, buffer, sizeof buffer);
    printf("read interrupted without SA_RESTART: %s, handled %d\n", n < 0 ? errname(errno) : "events", (int)handled);
    pthread_join(thread, NULL);
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &action, NULL);
    pthread_create(&thread, NULL, interrupter, "watched/restart.txt");
    n = read(blocking_fd, buffer, sizeof buffer);
    printf("read interrupted with SA_RESTART: %s, handled %d\n", n > 0 ? "events" : errname(errno), (int)handled);
    base_wd = late_wd;
    print_events(buffer, n > 0 ? n : 0);
    base_wd = saved;
    pthread_join(thread, NULL);
    close(blocking_fd);

    // The instance after fork: the child creates a file and reads the event itself.
    drain(in, "before fork");
    pid_t child = fork();
    if (child == 0) {
        fd = open("watched/child.txt", O_CREAT | O_WRONLY, 0644);
        close(fd);
        drain(in, "child");
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    available = -1;
    ioctl(in, FIONREAD, &available);
    printf("parent FIONREAD after the child read: %d\n", available);

    // Removing the directory watch queues IN_IGNORED; closing ends the instance.
    result("rm_watch of the directory", inotify_rm_watch(in, base_wd));
    drain(in, "after rm_watch");
    result("epoll_ctl DEL", epoll_ctl(ep, EPOLL_CTL_DEL, in, NULL));
    result("close", close(in));
    result("read after close", read(in, small, sizeof small));
    close(ep);
    unlink("watched/kept.txt");
    unlink("watched/link");
    unlink("watched/late.txt");
    unlink("watched/restart.txt");
    unlink("watched/child.txt");
    rmdir("watched");
    return 0;
}
