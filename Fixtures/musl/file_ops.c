// Checks stdio and POSIX file calls in the working directory: mkdir, fopen/fwrite/fclose,
// fopen/fread, fseek/ftell (SEEK_SET, SEEK_CUR, SEEK_END), append mode, rename, unlink,
// rmdir, and errors for missing files. The files left behind are compared too.
// conformance-libcs: musl glibc
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    printf("mkdir data: %d\n", mkdir("data", 0755));
    int result = mkdir("data", 0755);
    printf("mkdir data again: %d errno=%s\n", result, errno == EEXIST ? "EEXIST" : "other");
    FILE *f = fopen("data/numbers.txt", "w");
    if (!f) { perror("fopen w"); return 1; }
    for (int i = 0; i < 1000; i++) fprintf(f, "%04d\n", i);
    printf("ftell after writing: %ld\n", ftell(f));
    fclose(f);

    f = fopen("data/numbers.txt", "r");
    if (!f) { perror("fopen r"); return 1; }
    char buffer[32] = {0};
    printf("fseek SET 500: %d\n", fseek(f, 500, SEEK_SET));
    size_t n = fread(buffer, 1, 10, f);
    printf("fread %zu bytes: [%.*s]\n", n, (int)n - 1, buffer);
    result = fseek(f, -5, SEEK_CUR);
    printf("fseek CUR -5: %d ftell %ld\n", result, ftell(f));
    result = fseek(f, -10, SEEK_END);
    printf("fseek END -10: %d ftell %ld\n", result, ftell(f));
    n = fread(buffer, 1, sizeof buffer, f);
    printf("fread at end %zu bytes, feof %d\n", n, feof(f));
    rewind(f);
    n = fread(buffer, 1, 5, f);
    printf("after rewind: [%.*s]\n", (int)n - 1, buffer);
    fclose(f);

    f = fopen("data/numbers.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    struct stat st;
    stat("data/numbers.txt", &st);
    printf("size after append: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));

    unsigned char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
    f = fopen("binary.bin", "wb");
    printf("fwrite binary: %zu\n", fwrite(bytes, 1, sizeof bytes, f));
    fclose(f);
    printf("rename: %d\n", rename("binary.bin", "data/moved.bin"));
    printf("old name gone: %s\n", access("binary.bin", F_OK) == 0 ? "no" : "yes");
    f = fopen("data/moved.bin", "rb");
    unsigned char back[256];
    n = fread(back, 1, sizeof back, f);
    printf("read back %zu bytes, equal: %s\n", n, memcmp(bytes, back, sizeof back) == 0 ? "yes" : "no");
    fclose(f);

    f = fopen("scratch.tmp", "w");
    fputs("temporary\n", f);
    fclose(f);
    printf("unlink scratch: %d\n", unlink("scratch.tmp"));
    result = unlink("scratch.tmp");
    printf("unlink again: %d (%s)\n", result, strerror(errno));
    FILE *missing = fopen("no/such/file", "r");
    printf("fopen missing: %s (%s)\n", missing ? "opened" : "NULL", strerror(errno));
    mkdir("empty", 0700);
    printf("rmdir empty: %d\n", rmdir("empty"));
    result = rmdir("data");
    printf("rmdir non-empty: %d (%s)\n", result, errno == ENOTEMPTY ? "ENOTEMPTY" : strerror(errno));
    return 0;
}
