// Checks line-by-line processing of stdin with fgets and getline: numbered, reversed
// lines, a line without a final newline, an empty line, and a long line past the buffer.
// conformance-stdin: first line\nsecond line\n\nfourth: tabs\there\n
// conformance-stdin: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\n
// conformance-stdin: last line without newline
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char buffer[64];
    int pieces = 0;
    // The first two lines with fgets into a small buffer, the rest with getline.
    while (pieces < 2 && fgets(buffer, sizeof buffer, stdin)) {
        pieces++;
        size_t length = strlen(buffer);
        buffer[strcspn(buffer, "\n")] = '\0';
        printf("fgets %d: %zu bytes [%s]\n", pieces, length, buffer);
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int number = pieces;
    long total = 0;
    while ((length = getline(&line, &capacity, stdin)) != -1) {
        number++;
        total += length;
        int newline = length > 0 && line[length - 1] == '\n';
        if (newline) line[length - 1] = '\0';
        size_t n = strlen(line);
        for (size_t i = 0; i < n / 2; i++) { char c = line[i]; line[i] = line[n - 1 - i]; line[n - 1 - i] = c; }
        printf("getline %d: %zd bytes%s reversed [%s]\n", number, length, newline ? "" : " (no newline)", line);
    }
    free(line);
    printf("eof: %s, error: %s, getline bytes: %ld\n", feof(stdin) ? "yes" : "no", ferror(stdin) ? "yes" : "no", total);
    return 0;
}
