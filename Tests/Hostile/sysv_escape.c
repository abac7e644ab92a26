// Tries to reach the host's System V IPC objects from the guest: the key and ids of a host
// message queue, semaphore set and shared-memory segment are given in argv (and every id
// below 4096 is tried too). In the guest's private IPC namespace none may be found, read,
// attached or removed. Prints "sysv escape: none" and exits 0, or names what it reached.
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    key_t key = (key_t)strtol(argv[1], NULL, 0);
    int ids[3] = {atoi(argv[2]), atoi(argv[3]), atoi(argv[4])};
    int reached = 0;
    if (msgget(key, 0) >= 0) { printf("found the host's queue by its key\n"); reached++; }
    if (semget(key, 0, 0) >= 0) { printf("found the host's semaphores by their key\n"); reached++; }
    if (shmget(key, 0, 0) >= 0) { printf("found the host's segment by its key\n"); reached++; }
    struct msqid_ds queue;
    struct shmid_ds segment;
    for (int id = 0; id < 4096; id++) {
        if (msgctl(id, IPC_STAT, &queue) == 0) { printf("IPC_STAT of queue id %d\n", id); reached++; }
        if (semctl(id, 0, GETVAL) >= 0) { printf("GETVAL of semaphore id %d\n", id); reached++; }
        if (shmctl(id, IPC_STAT, &segment) == 0) { printf("IPC_STAT of segment id %d\n", id); reached++; }
    }
    if (shmat(ids[2], NULL, 0) != (void *)-1) { printf("attached the host's segment\n"); reached++; }
    if (msgctl(ids[0], IPC_RMID, NULL) == 0) { printf("removed the host's queue\n"); reached++; }
    if (semctl(ids[1], 0, IPC_RMID) == 0) { printf("removed the host's semaphores\n"); reached++; }
    if (shmctl(ids[2], IPC_RMID, NULL) == 0) { printf("removed the host's segment\n"); reached++; }
    // The guest's own objects work.
    int own = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (own < 0 || msgctl(own, IPC_RMID, NULL) != 0) { printf("the guest's own queue failed\n"); return 1; }
    if (reached) return 1;
    printf("sysv escape: none\n");
    return 0;
}
