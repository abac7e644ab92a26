# Checks error returns: open() and openat() of a file that does not exist return
# -ENOENT (-2) in %rax; prints one verdict line per call, then exit(0).

    .section .rodata
path:       .asciz "does-not-exist.txt"
ok_open:    .ascii "open: -ENOENT\n"
    ok_open_len = . - ok_open
bad_open:   .ascii "open: not -ENOENT\n"
    bad_open_len = . - bad_open
ok_openat:  .ascii "openat: -ENOENT\n"
    ok_openat_len = . - ok_openat
bad_openat: .ascii "openat: not -ENOENT\n"
    bad_openat_len = . - bad_openat

    .text
    .globl _start
_start:
    mov     $2, %eax                # open("does-not-exist.txt", O_RDONLY)
    lea     path(%rip), %rdi
    xor     %esi, %esi
    syscall
    lea     ok_open(%rip), %rsi
    mov     $ok_open_len, %edx
    cmp     $-2, %rax
    je      1f
    lea     bad_open(%rip), %rsi
    mov     $bad_open_len, %edx
1:  mov     $1, %eax
    mov     $1, %edi
    syscall

    mov     $257, %eax              # openat(AT_FDCWD, "does-not-exist.txt", O_RDONLY)
    mov     $-100, %rdi
    lea     path(%rip), %rsi
    xor     %edx, %edx
    xor     %r10d, %r10d
    syscall
    lea     ok_openat(%rip), %rsi
    mov     $ok_openat_len, %edx
    cmp     $-2, %rax
    je      2f
    lea     bad_openat(%rip), %rsi
    mov     $bad_openat_len, %edx
2:  mov     $1, %eax
    mov     $1, %edi
    syscall

    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall
