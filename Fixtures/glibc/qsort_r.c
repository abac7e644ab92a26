// Checks glibc's qsort_r: the context argument reaches the comparator, sorting records by
// a key chosen through the context (ascending and descending), and a 200,000-element
// array large enough for glibc's merge sort to take its temporary buffer from malloc
// (after asking sysinfo for the physical memory size); prints checksums of the results.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record { int id; int age; char name[8]; };
struct order { int field; int direction; long calls; };

static int compare(const void *a, const void *b, void *context) {
    struct order *order = context;
    const struct record *x = a, *y = b;
    order->calls++;
    int result;
    switch (order->field) {
    case 0: result = (x->id > y->id) - (x->id < y->id); break;
    case 1:
        result = (x->age > y->age) - (x->age < y->age);
        if (!result) result = (x->id > y->id) - (x->id < y->id);
        break;
    default: result = strcmp(x->name, y->name); break;
    }
    return result * order->direction;
}

static int compare_u32(const void *a, const void *b, void *context) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    ++*(long *)context;
    return (x > y) - (x < y);
}

int main(void) {
    struct record people[] = {
        {4, 31, "dora"}, {1, 25, "alice"}, {7, 25, "gus"}, {3, 40, "carol"},
        {6, 19, "fay"}, {2, 31, "bob"}, {5, 52, "eve"},
    };
    size_t count = sizeof people / sizeof people[0];
    const char *fields[] = {"id", "age", "name"};
    for (int field = 0; field < 3; field++) {
        for (int direction = 1; direction >= -1; direction -= 2) {
            struct order order = {field, direction, 0};
            qsort_r(people, count, sizeof people[0], compare, &order);
            printf("by %s %s:", fields[field], direction > 0 ? "asc " : "desc");
            for (size_t i = 0; i < count; i++) printf(" %d/%d/%s", people[i].id, people[i].age, people[i].name);
            printf(" (comparator called: %s)\n", order.calls > 0 ? "yes" : "no");
        }
    }

    size_t n = 200000;
    uint32_t *values = malloc(n * sizeof *values);
    uint32_t state = 12345;
    for (size_t i = 0; i < n; i++) { state = state * 1103515245u + 12345u; values[i] = state >> 1; }
    long calls = 0;
    qsort_r(values, n, sizeof *values, compare_u32, &calls);
    int sorted = 1;
    uint64_t checksum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && values[i - 1] > values[i]) sorted = 0;
        checksum = checksum * 31 + values[i];
    }
    printf("%zu values: sorted %s, min %u, median %u, max %u, checksum %016llx, calls > n: %s\n",
           n, sorted ? "yes" : "no", values[0], values[n / 2], values[n - 1], (unsigned long long)checksum,
           calls > (long)n ? "yes" : "no");
    free(values);
    return 0;
}
