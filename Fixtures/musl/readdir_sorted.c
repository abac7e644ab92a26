// Checks opendir/readdir/closedir: creates files, a subfolder and a symlink, lists the
// folder (names sorted, since readdir order depends on the file system) with their
// d_type, and checks that "." and ".." are listed and a missing folder fails.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *kind(unsigned char type) {
    switch (type) {
    case DT_REG: return "file";
    case DT_DIR: return "dir";
    case DT_LNK: return "link";
    case DT_UNKNOWN: return "unknown";
    default: return "other";
    }
}

int main(void) {
    mkdir("tree", 0755);
    mkdir("tree/sub", 0755);
    const char *names[] = {"zeta.txt", "alpha.txt", "Mixed Case", "123", "sub/inner.txt"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "tree/%s", names[i]);
        FILE *f = fopen(path, "w");
        if (!f) { perror(path); return 1; }
        fprintf(f, "%s\n", names[i]);
        fclose(f);
    }
    symlink("alpha.txt", "tree/link");
    DIR *dir = opendir("tree");
    if (!dir) { perror("opendir"); return 1; }
    char *entries[32];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 32) {
        char *line = malloc(300);
        snprintf(line, 300, "%s (%s)", entry->d_name, kind(entry->d_type));
        entries[count++] = line;
    }
    closedir(dir);
    qsort(entries, count, sizeof entries[0], by_name);
    printf("%d entries\n", count);
    for (int i = 0; i < count; i++) { printf("  %s\n", entries[i]); free(entries[i]); }
    DIR *missing = opendir("no-such-dir");
    printf("opendir missing: %s (%s)\n", missing ? "opened" : "NULL", errno == ENOENT ? "ENOENT" : strerror(errno));
    DIR *file = opendir("tree/123");
    printf("opendir on a file: %s (%s)\n", file ? "opened" : "NULL", errno == ENOTDIR ? "ENOTDIR" : strerror(errno));
    return 0;
}
