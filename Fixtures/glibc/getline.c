// Checks glibc's getline and getdelim on stdin: lines of growing length (the buffer is
// reallocated past its first 120 bytes), an empty line, a last line without a newline,
// ';'-separated records, and the -1 with feof at end of input.
// conformance-stdin: short\n\nthe quick brown fox jumps over the lazy dog\n
// conformance-stdin: 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789\n
// conformance-stdin: alpha;beta;;gamma\n
// conformance-stdin: no newline at the end
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int number = 0;
    size_t grown = 0;
    // The first four lines with getline.
    while (number < 4 && (length = getline(&line, &capacity, stdin)) != -1) {
        number++;
        if (capacity > grown) grown = capacity;
        int newline = length > 0 && line[length - 1] == '\n';
        if (newline) line[--length] = '\0';
        printf("line %d: %zd bytes%s, strlen %zu: \"%.40s%s\"\n", number, length,
               newline ? " + newline" : "", strlen(line), line, length > 40 ? "..." : "");
    }
    printf("buffer grew past 120 bytes: %s\n", grown > 120 ? "yes" : "no");
    // Then ';'-separated records with getdelim, up to the end of input.
    int record = 0;
    while ((length = getdelim(&line, &capacity, ';', stdin)) != -1) {
        record++;
        int delimited = line[length - 1] == ';';
        if (delimited) line[--length] = '\0';
        for (ssize_t i = 0; i < length; i++) if (line[i] == '\n') line[i] = '|';
        printf("record %d: \"%s\"%s\n", record, line, delimited ? " ;" : " (end of input)");
    }
    printf("end: feof %d, ferror %d\n", feof(stdin) != 0, ferror(stdin) != 0);
    free(line);
    return 0;
}
