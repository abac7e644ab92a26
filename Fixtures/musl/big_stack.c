// Checks a program that uses more than 4 MiB of stack: a 5 MiB local array touched on
// every page, then deep recursion, within the 8 MiB stack Linux gives by default.
// conformance-libcs: musl glibc
#include <stdio.h>
#include <string.h>

static unsigned long recurse(int depth) {
    volatile char frame[1024];
    memset((char *)frame, depth & 0xff, sizeof frame);
    if (depth == 0) return frame[0];
    return frame[depth % 1024] + recurse(depth - 1);
}

static unsigned long big_frame(void) {
    volatile unsigned char block[5 << 20];
    for (unsigned long i = 0; i < sizeof block; i += 4096) block[i] = (unsigned char)(i >> 12);
    unsigned long sum = 0;
    for (unsigned long i = 0; i < sizeof block; i += 4096) sum += block[i];
    return sum;
}

int main(void) {
    printf("5 MiB frame checksum: %lu\n", big_frame());
    printf("recursion over ~2 MiB: %lu\n", recurse(2000));
    return 0;
}
