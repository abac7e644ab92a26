// Checks opendir/readdir/closedir: creates files in the working directory (no mkdir or
// symlink, so that only directory reading is checked), lists "." (names sorted, since readdir order depends
// on the file system) with their d_type, including "." and ".."; then a missing folder and
// a file fail with ENOENT and ENOTDIR.
// conformance-libcs: musl glibc
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *names[] = {"zeta.txt", "alpha.txt", "Mixed Case", "123", ".hidden"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        FILE *f = fopen(names[i], "w");
        if (!f) { perror(names[i]); return 1; }
        fprintf(f, "%s\n", names[i]);
        fclose(f);
    }
    for (int i = 0; i < 40; i++) {   // enough entries for more than one getdents64 buffer in small libcs
        char name[64];
        snprintf(name, sizeof name, "many-%02d-with-a-rather-long-name-to-fill-buffers", i);
        FILE *f = fopen(name, "w");
        if (!f) { perror(name); return 1; }
        fclose(f);
    }
    DIR *dir = opendir(".");
    if (!dir) { perror("opendir"); return 1; }
    char *entries[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && count < 64) {
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
    DIR *file = opendir("123");
    printf("opendir on a file: %s (%s)\n", file ? "opened" : "NULL", errno == ENOTDIR ? "ENOTDIR" : strerror(errno));
    return 0;
}
