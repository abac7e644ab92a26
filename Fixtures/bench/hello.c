// C hello world (musl and glibc) for the end-to-end start benchmark.
#include <stdio.h>
int main(void) { puts("Hello, World!"); return 0; }
