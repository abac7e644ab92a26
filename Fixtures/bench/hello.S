# asm hello world for the end-to-end start benchmark: write(1, msg, len); exit_group(0).
    .globl _start
    .text
_start:
    mov $1, %eax
    mov $1, %edi
    lea msg(%rip), %rsi
    mov $len, %edx
    syscall
    mov $231, %eax
    xor %edi, %edi
    syscall
    .section .rodata
msg: .ascii "Hello, World!\n"
    .set len, . - msg
