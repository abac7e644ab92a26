# Checks that a store to address 0 kills the program like SIGSEGV (status 139),
# and that output written before the fault is not lost.
# conformance-exit: 139

    .section .rodata
message:
    .ascii "writing to address 0\n"
    message_len = . - message

    .text
    .globl _start
_start:
    mov     $1, %eax                # write(1, message, message_len)
    mov     $1, %edi
    lea     message(%rip), %rsi
    mov     $message_len, %edx
    syscall

    movq    $1, 0                   # page 0 is never mapped: page fault

    mov     $60, %eax               # not reached: exit(0) would fail the fixture
    xor     %edi, %edi
    syscall
