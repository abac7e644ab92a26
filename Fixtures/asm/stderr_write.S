# Checks that stdout and stderr are separate streams: writes one line to each,
# alternating, and exits with status 3 (a non-zero status that is not a crash).
# conformance-exit: 3

    .section .rodata
out1:   .ascii "stdout: first\n"
    out1_len = . - out1
err1:   .ascii "stderr: second\n"
    err1_len = . - err1
out2:   .ascii "stdout: third\n"
    out2_len = . - out2

    .text
    .globl _start
_start:
    mov     $1, %eax                # write(1, out1)
    mov     $1, %edi
    lea     out1(%rip), %rsi
    mov     $out1_len, %edx
    syscall
    mov     $1, %eax                # write(2, err1)
    mov     $2, %edi
    lea     err1(%rip), %rsi
    mov     $err1_len, %edx
    syscall
    mov     $1, %eax                # write(1, out2)
    mov     $1, %edi
    lea     out2(%rip), %rsi
    mov     $out2_len, %edx
    syscall
    mov     $231, %eax              # exit_group(3)
    mov     $3, %edi
    syscall
