# Checks that unknown syscall numbers (500 and 1000) return -ENOSYS (-38) in %rax
# instead of killing the program; prints one verdict line per number, then exit(0).

    .section .rodata
ok500:      .ascii "syscall 500: -ENOSYS\n"
    ok500_len = . - ok500
bad500:     .ascii "syscall 500: not -ENOSYS\n"
    bad500_len = . - bad500
ok1000:     .ascii "syscall 1000: -ENOSYS\n"
    ok1000_len = . - ok1000
bad1000:    .ascii "syscall 1000: not -ENOSYS\n"
    bad1000_len = . - bad1000

    .text
    .globl _start
_start:
    mov     $500, %eax              # unknown syscall 500
    syscall
    lea     ok500(%rip), %rsi
    mov     $ok500_len, %edx
    cmp     $-38, %rax
    je      1f
    lea     bad500(%rip), %rsi
    mov     $bad500_len, %edx
1:  mov     $1, %eax                # write(1, verdict)
    mov     $1, %edi
    syscall

    mov     $1000, %eax             # unknown syscall 1000
    syscall
    lea     ok1000(%rip), %rsi
    mov     $ok1000_len, %edx
    cmp     $-38, %rax
    je      2f
    lea     bad1000(%rip), %rsi
    mov     $bad1000_len, %edx
2:  mov     $1, %eax                # write(1, verdict)
    mov     $1, %edi
    syscall

    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall
