// Checks the guest's /dev and /tmp as programs use them: /dev/null swallows writes and reads
// end of file at once; /dev/zero reads zeros (read and a private mapping); /dev/full takes no
// write (ENOSPC) and reads zeros; /dev/urandom and /dev/random give bytes that are not all zero
// (getrandom's source); each is a character device with Linux's device numbers (1,3 1,5 1,7
// 1,8 1,9); /dev/shm and /tmp are sticky, world-writable directories; tmpfile() and mkstemp()
// in /tmp work (a file created, written, read back, unlinked; nothing appears in the working
// directory); a file can be made in /dev/shm; listing /dev shows null, zero and urandom.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *errname(int e) {
    switch (e) {
    case 0: return "none";
    case ENOSPC: return "ENOSPC";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
    default: return "other";
    }
}

static void device(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("%s: stat %s\n", path, errname(errno));
        return;
    }
    printf("%s: character device %s, %u,%u\n", path, yesno(S_ISCHR(st.st_mode)), major(st.st_rdev), minor(st.st_rdev));
}

static int all_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int main(void) {
    const char *devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
    for (int i = 0; i < 5; i++) device(devices[i]);

    int fd = open("/dev/null", O_RDWR);
    char buffer[4096];
    memset(buffer, 0x55, sizeof buffer);
    printf("/dev/null: write %zd, read %zd\n", write(fd, buffer, sizeof buffer), read(fd, buffer, sizeof buffer));
    close(fd);

    fd = open("/dev/zero", O_RDONLY);
    memset(buffer, 0x55, sizeof buffer);
    ssize_t n = read(fd, buffer, sizeof buffer);
    printf("/dev/zero: read %zd, all zero %s\n", n, yesno(all_zero((unsigned char *)buffer, sizeof buffer)));
    unsigned char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) printf("/dev/zero private mapping: failed\n");
    else {
        int zero = all_zero(map, 8192);
        map[100] = 7;
        printf("/dev/zero private mapping: zero %s, writable %s\n", yesno(zero), yesno(map[100] == 7));
        munmap(map, 8192);
    }
    close(fd);

    fd = open("/dev/full", O_RDWR);
    errno = 0;
    ssize_t w = write(fd, "x", 1);
    int e = errno;
    memset(buffer, 0x55, 16);
    n = read(fd, buffer, 16);
    printf("/dev/full: write %zd %s, read %zd, all zero %s\n", w, errname(e), n, yesno(all_zero((unsigned char *)buffer, 16)));
    close(fd);

    for (int i = 3; i < 5; i++) {
        fd = open(devices[i], O_RDONLY);
        unsigned char random[64] = {0};
        n = read(fd, random, sizeof random);
        printf("%s: read %zd, not all zero %s\n", devices[i], n, yesno(!all_zero(random, sizeof random)));
        close(fd);
    }

    struct stat st;
    const char *dirs[] = {"/tmp", "/dev/shm"};
    for (int i = 0; i < 2; i++) {
        if (stat(dirs[i], &st) != 0) printf("%s: stat %s\n", dirs[i], errname(errno));
        else printf("%s: directory %s, mode %o\n", dirs[i], yesno(S_ISDIR(st.st_mode)), (unsigned)(st.st_mode & 07777));
    }

    FILE *t = tmpfile();
    if (!t) printf("tmpfile: failed %s\n", errname(errno));
    else {
        fputs("temporary line\n", t);
        rewind(t);
        char line[64] = "";
        fgets(line, sizeof line, t);
        printf("tmpfile: read back %s", line);
        fclose(t);
    }

    char name[] = "/tmp/fixture-XXXXXX";
    fd = mkstemp(name);
    if (fd < 0) printf("mkstemp: failed %s\n", errname(errno));
    else {
        write(fd, "abc", 3);
        lseek(fd, 0, SEEK_SET);
        char back[4] = "";
        read(fd, back, 3);
        printf("mkstemp: in /tmp %s, read back %s\n", yesno(strncmp(name, "/tmp/fixture-", 13) == 0), back);
        struct stat in_tmp;
        int found = stat(name, &in_tmp) == 0;
        printf("mkstemp: stat by name %s, mode %o\n", yesno(found), found ? (unsigned)(in_tmp.st_mode & 0777) : 0u);
        close(fd);
        int unlinked = unlink(name) == 0 ? 0 : errno;
        int after = stat(name, &in_tmp) == 0 ? 0 : errno;
        printf("unlink: %s, then stat %s\n", errname(unlinked), errname(after));
    }

    /* A shared-memory object as sem_open/shm_open make them: a file in /dev/shm. */
    fd = open("/dev/shm/fixture-object", O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("/dev/shm file: created %s\n", yesno(fd >= 0));
    if (fd >= 0) {
        close(fd);
        unlink("/dev/shm/fixture-object");
    }

    DIR *d = opendir("/dev");
    int seen = 0;
    if (d) {
        struct dirent *entry;
        while ((entry = readdir(d)))
            if (!strcmp(entry->d_name, "null") || !strcmp(entry->d_name, "zero") || !strcmp(entry->d_name, "urandom")) seen++;
        closedir(d);
    }
    printf("/dev lists null, zero and urandom: %s\n", yesno(seen == 3));
    return 0;
}
