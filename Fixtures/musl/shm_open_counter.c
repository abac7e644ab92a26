// POSIX shared memory between processes: shm_open creates an object (a file in /dev/shm),
// ftruncate sizes it and both a parent and two forked children map it MAP_SHARED; each child
// adds 20000 to an atomic counter and 20000 to a counter under a process-shared mutex in it,
// and the parent sees every addition. A second shm_open with O_EXCL is EEXIST, a reopen
// without O_CREAT sees the same bytes, and after shm_unlink the name is gone (ENOENT) while
// the mapping still works.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/check.h"

struct shared {
    long atomic_counter;
    long locked_counter;
    pthread_mutex_t lock;
};

enum { children = 2, additions = 20000 };

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char name[64];
    snprintf(name, sizeof name, "/fixture-shm-counter-%d", (int)getpid());
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    check(fd >= 0, "shm_open");
    check(ftruncate(fd, sizeof(struct shared)) == 0, "ftruncate");
    struct stat status;
    check(fstat(fd, &status) == 0, "fstat");
    printf("created: size %lld, mode %o\n", (long long)status.st_size, (unsigned)(status.st_mode & 0777));
    struct shared *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(shared != MAP_FAILED, "mmap");
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    check(pthread_mutex_init(&shared->lock, &attributes) == 0, "pthread_mutex_init");

    errno = 0;
    int again = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    printf("second O_EXCL create: %d %s\n", again, errno == EEXIST ? "EEXIST" : strerror(errno));

    pid_t pids[children];
    for (int child = 0; child < children; child++) {
        pids[child] = fork();
        check(pids[child] >= 0, "fork");
        if (pids[child] == 0) {
            for (int index = 0; index < additions; index++) {
                __atomic_fetch_add(&shared->atomic_counter, 1, __ATOMIC_SEQ_CST);
                pthread_mutex_lock(&shared->lock);
                shared->locked_counter++;
                pthread_mutex_unlock(&shared->lock);
            }
            _exit(0);
        }
    }
    int clean = 1;
    for (int child = 0; child < children; child++) {
        int wait_status = 0;
        clean = clean && waitpid(pids[child], &wait_status, 0) == pids[child] && WIFEXITED(wait_status) &&
                WEXITSTATUS(wait_status) == 0;
    }
    printf("children exited cleanly: %s\n", clean ? "yes" : "no");
    printf("atomic counter %ld, locked counter %ld (expected %d each)\n", shared->atomic_counter, shared->locked_counter,
           children * additions);

    int reopened = shm_open(name, O_RDWR, 0);
    check(reopened >= 0, "shm_open again");
    long seen = -1;
    check(pread(reopened, &seen, sizeof seen, 0) == (ssize_t)sizeof seen, "pread");
    printf("reopened object reads the atomic counter: %ld\n", seen);
    close(reopened);

    check(shm_unlink(name) == 0, "shm_unlink");
    errno = 0;
    int gone = shm_open(name, O_RDWR, 0);
    printf("after shm_unlink: %d %s\n", gone, errno == ENOENT ? "ENOENT" : strerror(errno));
    shared->atomic_counter += 1;
    printf("mapping still usable: %ld\n", shared->atomic_counter);
    munmap(shared, sizeof *shared);
    close(fd);
    return 0;
}
