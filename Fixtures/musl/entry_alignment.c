// Checks the entry-point alignment contract the way compiled code relies on it. This program's
// ELF entry is its own, which, unlike crt1's _start, calls into C *without* realigning %rsp: correct
// only because the kernel starts a program with %rsp % 16 == 0, as Linux does. printf("%f")
// then saves XMM registers with movaps in its variadic prologue. Under the runner's
// --debug-fault misaligned-stack it dies of the binary-compatible prototype's musl failure
// (#GP on a misaligned movaps); normally it prints the same floats as natively.
// conformance-libcs: musl glibc
// conformance-cflags: -Wl,-e,entry_without_realignment
#include <stdio.h>

extern int __libc_start_main(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
                             void (*)(void), void *);

int main(int argc, char **argv, char **envp) {
    (void)envp;
    printf("argc %d, first argument %s\n", argc, argc > 1 ? argv[1] : "(none)");
    printf("%f %e %g %a\n", 1.5, 2.25e10, 0.125, 3.0);
    return 0;
}

/* The entry: argc and argv from the stack, then __libc_start_main(main, argc, argv, 0, 0, 0,
   stack_end) with stack_end on the stack; two pushes keep whatever alignment the kernel gave. */
__asm__(
    ".text\n"
    ".globl entry_without_realignment\n"
    "entry_without_realignment:\n"
    "    xorl %ebp, %ebp\n"
    "    movq (%rsp), %rsi\n"
    "    leaq 8(%rsp), %rdx\n"
    "    movq %rsp, %rax\n"
    "    pushq %rax\n"
    "    pushq %rax\n"
    "    leaq main(%rip), %rdi\n"
    "    xorl %ecx, %ecx\n"
    "    xorl %r8d, %r8d\n"
    "    xorl %r9d, %r9d\n"
    "    call __libc_start_main\n"
    "    hlt\n");
