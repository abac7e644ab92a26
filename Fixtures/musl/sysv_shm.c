// Checks System V shared memory between a parent and its child: a segment attached before
// fork is shared with the child (1000 turns through a counter in it, with no system call
// between turns), shm_nattch counts the attachments of both processes and falls when the child
// exits, /proc/self/maps names it /SYSV00000000 (deleted), a second attachment is an alias of the same bytes, shmat at a given address (SHM_RND
// rounds it down; an unaligned one is EINVAL), SHM_RDONLY (a write is SIGSEGV), shmdt (EINVAL
// where nothing is attached), IPC_STAT (size, creator is this process) and IPC_SET, a segment
// removed while attached stays usable until its last detach and then is gone, and keys from
// ftok (IPC_CREAT|IPC_EXCL: EEXIST, the same key finds the same segment, a larger size is
// EINVAL, ENOENT once removed). Every segment is removed, also on failure; no id is printed.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/sysv.h"

static int segments[3] = {-1, -1, -1};

static void cleanup(void) {
    for (int i = 0; i < 3; i++) if (segments[i] >= 0) shmctl(segments[i], IPC_RMID, NULL);
}

static unsigned long attachments(int id) {
    struct shmid_ds info;
    check(shmctl(id, IPC_STAT, &info) == 0, "IPC_STAT");
    return (unsigned long)info.shm_nattch;
}

// The name /proc/self/maps gives the mapping at `address`.
static void print_mapping_name(const void *address) {
    FILE *maps = fopen("/proc/self/maps", "r");
    check(maps != NULL, "open /proc/self/maps");
    char line[512];
    while (fgets(line, sizeof line, maps)) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start == (unsigned long)address) {
            char *name = strchr(line, '/');
            printf("mapped as: %s", name ? name : "(no name)\n");
        }
    }
    fclose(maps);
}

#define SIZE 10000
#define TURNS 1000

int main(void) {
    int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
    check(id >= 0, "shmget IPC_PRIVATE");
    segments[0] = id;
    struct shmid_ds info;
    check(shmctl(id, IPC_STAT, &info) == 0, "IPC_STAT");
    printf("size %lu, attached %lu, created by this process: %s, mode %o\n", (unsigned long)info.shm_segsz,
           (unsigned long)info.shm_nattch, info.shm_cpid == getpid() ? "yes" : "no", (unsigned)(info.shm_perm.mode & 0777));
    volatile uint32_t *shared = shmat(id, NULL, 0);
    check(shared != (void *)-1, "shmat");
    int zero = 1;
    for (int i = 0; i < SIZE / 4; i++) if (shared[i] != 0) zero = 0;
    printf("new segment is zero: %s, attached %lu\n", zero ? "yes" : "no", attachments(id));
    shared[1] = 0x5eed;
    print_mapping_name((const void *)shared);

    // Turns through the segment: the parent makes the counter odd, the child even.
    int ready[2];
    check(pipe(ready) == 0, "pipe");
    pid_t child = xfork();
    if (child == 0) {
        char byte = shared[1] == 0x5eed ? 'y' : 'n';
        if (write(ready[1], &byte, 1) != 1) _exit(10);
        for (int turn = 0; turn < TURNS; turn++) {
            time_t deadline = time(NULL) + 20;
            while (__atomic_load_n(&shared[0], __ATOMIC_ACQUIRE) != (uint32_t)(2 * turn + 1))
                if (time(NULL) > deadline) _exit(11);
            __atomic_store_n(&shared[0], 2 * turn + 2, __ATOMIC_RELEASE);
        }
        shared[2] = 0xc41d;
        _exit(0);
    }
    char byte;
    check(read(ready[0], &byte, 1) == 1, "read ready");
    printf("child saw the parent's write: %c, attached while the child lives: %lu\n", byte, attachments(id));
    int done = 0;
    for (int turn = 0; turn < TURNS; turn++) {
        time_t deadline = time(NULL) + 20;
        __atomic_store_n(&shared[0], 2 * turn + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&shared[0], __ATOMIC_ACQUIRE) != (uint32_t)(2 * turn + 2))
            check(time(NULL) <= deadline, "the child's turn");
        done++;
    }
    printf("turns: %d, child exit %d\n", done, reap(child));
    printf("child's write seen: %s, attached after the child's exit: %lu\n", shared[2] == 0xc41d ? "yes" : "no", attachments(id));

    // A second attachment is an alias; at an address, rounded with SHM_RND.
    char *region = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(region != MAP_FAILED, "mmap");
    check(munmap(region, 1 << 20) == 0, "munmap");
    SHOW("shmat at an unaligned address", (long)shmat(id, region + 100, 0));
    volatile uint32_t *alias = shmat(id, region + 100, SHM_RND);
    check(alias != (void *)-1, "shmat SHM_RND");
    printf("SHM_RND attached at the page: %s, alias: %s, attached %lu\n", (char *)alias == region ? "yes" : "no",
           alias[1] == 0x5eed ? "yes" : "no", attachments(id));
    alias[3] = 77;
    printf("write through the alias seen: %s\n", shared[3] == 77 ? "yes" : "no");
    SHOW("shmat over a mapping without SHM_REMAP", (long)shmat(id, (void *)alias, 0));
    check(shmdt((void *)alias) == 0, "shmdt alias");
    printf("attached after shmdt: %lu\n", attachments(id));
    SHOW("shmdt where nothing is attached", shmdt((void *)alias));

    // SHM_RDONLY: reading works, a write is SIGSEGV.
    child = xfork();
    if (child == 0) {
        volatile uint32_t *readonly = shmat(id, NULL, SHM_RDONLY);
        if (readonly == (void *)-1) _exit(10);
        printf("child: read-only view reads: %s\n", readonly[1] == 0x5eed ? "yes" : "no");
        fflush(stdout);
        readonly[1] = 1;
        _exit(0);
    }
    int status = reap(child);
    printf("write to a read-only attachment: %s\n", status == 128 + SIGSEGV ? "SIGSEGV" : "no signal");

    // IPC_SET, then removal while attached.
    check(shmctl(id, IPC_STAT, &info) == 0, "IPC_STAT before IPC_SET");
    info.shm_perm.mode = 0640;
    check(shmctl(id, IPC_SET, &info) == 0, "IPC_SET");
    check(shmctl(id, IPC_STAT, &info) == 0, "IPC_STAT after IPC_SET");
    printf("mode after IPC_SET %o\n", (unsigned)(info.shm_perm.mode & 0777));
    check(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
    shared[4] = 99;
    printf("usable after IPC_RMID: %s, marked for removal: %s\n", shared[4] == 99 ? "yes" : "no",
           shmctl(id, IPC_STAT, &info) == 0 && (info.shm_perm.mode & SHM_DEST) ? "yes" : "no");
    check(shmdt((void *)shared) == 0, "shmdt");
    segments[0] = -1;
    SHOW("IPC_STAT after the last detach", shmctl(id, IPC_STAT, &info));
    SHOW("shmat of a removed segment", (long)shmat(id, NULL, 0));

    // Keys.
    int fd = open("shm.key", O_CREAT | O_WRONLY, 0600);
    check(fd >= 0, "create key file");
    close(fd);
    key_t key = ftok("shm.key", 'h');
    check(key != -1, "ftok");
    int keyed = shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600);
    check(keyed >= 0, "shmget key");
    segments[1] = keyed;
    SHOW("again with IPC_EXCL", shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600));
    printf("same key, same id: %s\n", shmget(key, 4096, 0) == keyed ? "yes" : "no");
    SHOW("larger than the segment", shmget(key, 16384, 0));
    check(shmctl(keyed, IPC_RMID, NULL) == 0, "IPC_RMID keyed");
    segments[1] = -1;
    SHOW("after IPC_RMID", shmget(key, 8192, 0));
    unlink("shm.key");
    return 0;
}
