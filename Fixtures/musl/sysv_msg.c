// Checks System V message queues between a parent and its child: a 100-round ping-pong in
// which the child waits in msgrcv before anything is sent, message types (a positive type,
// MSG_EXCEPT, the lowest type up to a negative bound), MSG_NOERROR and E2BIG, IPC_NOWAIT
// (ENOMSG), IPC_STAT (message count, the last sender is the child), IPC_SET of the mode,
// keys from ftok (IPC_CREAT|IPC_EXCL: EEXIST; the same key finds the same queue; ENOENT once
// removed), EINVAL for a bad type and a removed queue, EIDRM for a receiver waiting while the
// queue is removed, and EINTR for a receiver a signal interrupts. Every queue is removed,
// also on failure; ids and keys are never printed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/sysv.h"

static int queues[4] = {-1, -1, -1, -1};

static void cleanup(void) {
    for (int i = 0; i < 4; i++) if (queues[i] >= 0) msgctl(queues[i], IPC_RMID, NULL);
}

struct message { long type; char text[64]; };

static void on_alarm(int sig) { (void)sig; }

int main(void) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    check(q >= 0, "msgget IPC_PRIVATE");
    queues[0] = q;

    // Ping-pong: type 1 to the child, type 2 back.
    pid_t child = xfork();
    if (child == 0) {
        struct message m;
        for (int i = 0; i < 100; i++) {
            ssize_t n = msgrcv(q, &m, sizeof m.text, 1, 0);
            if (n < 0) _exit(10);
            int value = atoi(m.text);
            m.type = 2;
            snprintf(m.text, sizeof m.text, "pong %d", value + 1);
            if (msgsnd(q, &m, strlen(m.text) + 1, 0) != 0) _exit(11);
        }
        _exit(0);
    }
    pause_ms(50);  // the child waits in msgrcv first
    int good = 0;
    for (int i = 0; i < 100; i++) {
        struct message m = {1, ""};
        snprintf(m.text, sizeof m.text, "%d", i * 2);
        check(msgsnd(q, &m, strlen(m.text) + 1, 0) == 0, "msgsnd ping");
        ssize_t n = msgrcv(q, &m, sizeof m.text, 2, 0);
        check(n > 0, "msgrcv pong");
        char expected[64];
        snprintf(expected, sizeof expected, "pong %d", i * 2 + 1);
        if (m.type == 2 && n == (ssize_t)strlen(expected) + 1 && strcmp(m.text, expected) == 0) good++;
    }
    printf("ping-pong rounds right: %d of 100, child exit %d\n", good, reap(child));

    struct msqid_ds info;
    check(msgctl(q, IPC_STAT, &info) == 0, "IPC_STAT");
    printf("empty after ping-pong: %s, last sender is the child: %s, mode %o\n",
           info.msg_qnum == 0 ? "yes" : "no", info.msg_lspid == child ? "yes" : "no", (unsigned)(info.msg_perm.mode & 0777));
    info.msg_perm.mode = 0640;
    check(msgctl(q, IPC_SET, &info) == 0, "IPC_SET");
    check(msgctl(q, IPC_STAT, &info) == 0, "IPC_STAT after IPC_SET");
    printf("mode after IPC_SET %o\n", (unsigned)(info.msg_perm.mode & 0777));

    // Types: 3, 1, 2 queued.
    long types[] = {3, 1, 2};
    for (int i = 0; i < 3; i++) {
        struct message m = {types[i], ""};
        snprintf(m.text, sizeof m.text, "type %ld", types[i]);
        check(msgsnd(q, &m, strlen(m.text) + 1, IPC_NOWAIT) == 0, "msgsnd typed");
    }
    check(msgctl(q, IPC_STAT, &info) == 0, "IPC_STAT typed");
    printf("queued: %lu\n", (unsigned long)info.msg_qnum);
    struct message m;
    check(msgrcv(q, &m, sizeof m.text, 3, MSG_EXCEPT) > 0, "MSG_EXCEPT");
    printf("MSG_EXCEPT 3 gives type %ld (%s)\n", m.type, m.text);
    check(msgrcv(q, &m, sizeof m.text, -3, 0) > 0, "negative type");
    printf("type -3 gives type %ld (%s)\n", m.type, m.text);
    errno = 0;
    SHOW("3 bytes of a longer message", msgrcv(q, &m, 3, 0, IPC_NOWAIT));
    errno = 0;
    ssize_t cut = msgrcv(q, &m, 3, 0, IPC_NOWAIT | MSG_NOERROR);
    printf("MSG_NOERROR: %zd bytes, %.3s\n", cut, m.text);
    SHOW("empty queue with IPC_NOWAIT", msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT));
    m.type = 0;
    SHOW("type 0 send", msgsnd(q, &m, 4, IPC_NOWAIT));

    // Keys.
    int fd = open("msg.key", O_CREAT | O_WRONLY, 0600);
    check(fd >= 0, "create key file");
    close(fd);
    key_t key = ftok("msg.key", 'm');
    check(key != -1, "ftok");
    int keyed = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    check(keyed >= 0, "msgget key IPC_CREAT|IPC_EXCL");
    queues[1] = keyed;
    SHOW("again with IPC_EXCL", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
    printf("same key, same id: %s\n", msgget(key, 0) == keyed ? "yes" : "no");
    check(msgctl(keyed, IPC_RMID, NULL) == 0, "IPC_RMID keyed");
    queues[1] = -1;
    SHOW("after IPC_RMID", msgget(key, 0));
    SHOW("receive from removed queue", msgrcv(keyed, &m, sizeof m.text, 0, IPC_NOWAIT));
    unlink("msg.key");

    // A waiting receiver sees the queue go (EIDRM).
    int doomed = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    check(doomed >= 0, "msgget doomed");
    queues[2] = doomed;
    child = xfork();
    if (child == 0) {
        ssize_t n = msgrcv(doomed, &m, sizeof m.text, 0, 0);
        printf("child: msgrcv on a removed queue: %zd %s\n", n, name(errno));
        fflush(stdout);
        _exit(0);
    }
    pause_ms(100);
    check(msgctl(doomed, IPC_RMID, NULL) == 0, "IPC_RMID doomed");
    queues[2] = -1;
    reap(child);

    // A signal ends the wait with EINTR, even with SA_RESTART.
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    action.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &action, NULL);
    alarm(1);
    errno = 0;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 0, 0);
    printf("msgrcv interrupted: %zd %s\n", n, name(errno));

    check(msgctl(q, IPC_RMID, NULL) == 0, "IPC_RMID");
    queues[0] = -1;
    SHOW("stat after IPC_RMID", msgctl(q, IPC_STAT, &info));
    return 0;
}
