// Checks __thread variables: initialised TLS data (.tdata), zeroed TLS (.tbss), a TLS
// array and struct, their alignment, and that writes stick (musl sets up TLS from
// PT_TLS via AT_PHDR and arch_prctl(ARCH_SET_FS)).
// conformance-libcs: musl glibc
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static __thread int counter = 42;
static __thread long zeroed;
static __thread char name[16] = "tls-name";
static __thread double ratio = 2.5;
static __thread struct { int a; short b; char c[5]; } record = {7, -3, "abcd"};
static __thread _Alignas(64) unsigned char aligned_block[64] = {1, 2, 3};
__thread int *self_pointer;

static int bump(void) { return ++counter; }

int main(void) {
    printf("initial: counter=%d zeroed=%ld name=%s ratio=%.2f record={%d,%d,%s}\n",
           counter, zeroed, name, ratio, record.a, record.b, record.c);
    printf("aligned_block: 64-byte aligned %s, first bytes %d %d %d %d\n",
           ((uintptr_t)aligned_block & 63) == 0 ? "yes" : "no",
           aligned_block[0], aligned_block[1], aligned_block[2], aligned_block[3]);
    for (int i = 0; i < 5; i++) bump();
    zeroed = -1;
    strcpy(name, "changed");
    ratio *= 4;
    record.c[0] = 'X';
    self_pointer = &counter;
    printf("after: counter=%d zeroed=%ld name=%s ratio=%.2f record.c=%s via pointer=%d\n",
           counter, zeroed, name, ratio, record.c, *self_pointer);
    return 0;
}
