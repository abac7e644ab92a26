// Checks qsort (integers, strings, doubles, a stable tie-break), strtod/strtol on edge
// cases (hex floats, exponents, inf/nan, overflow to HUGE_VAL with ERANGE, end pointers)
// and snprintf truncation and return values.
// conformance-libcs: musl glibc
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ints(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int strs(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int dbls(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(void) {
    int numbers[200];
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) { seed = seed * 1103515245 + 12345; numbers[i] = (int)(seed >> 8) % 1000 - 500; }
    qsort(numbers, 200, sizeof numbers[0], ints);
    int sorted = 1;
    for (int i = 1; i < 200; i++) sorted &= numbers[i - 1] <= numbers[i];
    printf("ints sorted: %s, min %d, max %d, median %d\n", sorted ? "yes" : "no", numbers[0], numbers[199], numbers[100]);
    const char *words[] = {"pear", "apple", "Banana", "cherry", "apple pie", "", "zebra", "ant"};
    qsort(words, 8, sizeof words[0], strs);
    for (int i = 0; i < 8; i++) printf("[%s]%s", words[i], i == 7 ? "\n" : " ");
    double reals[] = {3.5, -1e10, 0.0, 2.25, -0.5, 1e-300, 7.0};
    qsort(reals, 7, sizeof reals[0], dbls);
    for (int i = 0; i < 7; i++) printf("%g%s", reals[i], i == 6 ? "\n" : " ");

    const char *inputs[] = {"3.14159", "  -2.5e3xyz", "0x1.8p1", "1e400", "-1e400", "1e-400", "inf", "-Infinity",
                            "nan", ".5", "5.", "abc", "+0", "1234567890123456789012345678901234567890"};
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        errno = 0;
        double v = strtod(inputs[i], &end);
        printf("strtod(\"%s\") = %.17g, consumed %td, erange %s\n", inputs[i],
               isnan(v) ? fabs(v) : v, end - inputs[i], errno == ERANGE ? "yes" : "no");
    }
    const char *longs[] = {"42", "-0x1F", "0777", "9223372036854775808", "  12abc", "z"};
    for (unsigned i = 0; i < sizeof longs / sizeof longs[0]; i++) {
        char *end;
        errno = 0;
        long v = strtol(longs[i], &end, 0);
        printf("strtol(\"%s\", 0) = %ld, consumed %td, erange %s\n", longs[i], v, end - longs[i], errno == ERANGE ? "yes" : "no");
    }
    char small[8];
    int needed = snprintf(small, sizeof small, "%s-%d", "truncated", 12345);
    printf("snprintf needed %d, got [%s]\n", needed, small);
    printf("snprintf(NULL, 0) = %d\n", snprintf(NULL, 0, "%08.3f|%x|%o|%c|%5s|%-5s|%%", 3.14159, 255, 8, 'q', "ab", "cd"));
    char big[128];
    snprintf(big, sizeof big, "%08.3f|%x|%#o|%c|%5s|%-5s|%%|%lld|%hhu", 3.14159, 255, 8, 'q', "ab", "cd", -1LL << 40, 300);
    printf("%s\n", big);
    return 0;
}
