# Checks the classic hello world: write(1, "Hello, World!\n", 14), then exit(0).
# Raw syscalls only; no libc, no stack use.

    .section .rodata
message:
    .ascii "Hello, World!\n"
    message_len = . - message

    .text
    .globl _start
_start:
    mov     $1, %eax                # write
    mov     $1, %edi                #   fd 1 (stdout)
    lea     message(%rip), %rsi     #   buffer
    mov     $message_len, %edx      #   14 bytes
    syscall

    mov     $60, %eax               # exit
    xor     %edi, %edi              #   status 0
    syscall
