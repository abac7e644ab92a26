# Checks that the exit status reaches the parent: exit_group(42) with no output.
# conformance-exit: 42

    .text
    .globl _start
_start:
    mov     $231, %eax              # exit_group
    mov     $42, %edi               #   status 42
    syscall
