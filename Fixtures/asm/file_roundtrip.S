# Checks file I/O relative to the working directory: creates notes.txt with
# open(O_CREAT|O_TRUNC), writes a line, reopens it with openat(AT_FDCWD), reads it
# back and prints it, overwrites its last word in place (lseek(SEEK_END) + write),
# rewinds (lseek(SEEK_SET)), reads and prints it again, and leaves the file behind.
# Exit status 10+n names the step n that failed.

    .section .rodata
path:       .asciz "notes.txt"
original:   .ascii "The quick brown fox\n"
    original_len = . - original
word:       .ascii "cat"
    word_len = . - word

    .bss
    .balign 16
buffer:
    .skip   256

    .text
    .globl _start
_start:
    mov     $2, %eax                # 1: fd = open("notes.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644)
    lea     path(%rip), %rdi
    mov     $0x241, %esi
    mov     $0644, %edx
    syscall
    mov     $11, %r15d
    test    %rax, %rax
    js      failed
    mov     %rax, %rbx

    mov     $1, %eax                # 2: write(fd, original, original_len) must write it all
    mov     %rbx, %rdi
    lea     original(%rip), %rsi
    mov     $original_len, %edx
    syscall
    mov     $12, %r15d
    cmp     $original_len, %rax
    jne     failed

    mov     $3, %eax                # 3: close(fd)
    mov     %rbx, %rdi
    syscall
    mov     $13, %r15d
    test    %rax, %rax
    jnz     failed

    mov     $257, %eax              # 4: fd = openat(AT_FDCWD, "notes.txt", O_RDWR)
    mov     $-100, %rdi
    lea     path(%rip), %rsi
    mov     $2, %edx
    xor     %r10d, %r10d
    syscall
    mov     $14, %r15d
    test    %rax, %rax
    js      failed
    mov     %rax, %rbx

    mov     $15, %r15d              # 5: read it back and print it
    call    print_file

    mov     $8, %eax                # 6: lseek(fd, -4, SEEK_END) lands on "fox"
    mov     %rbx, %rdi
    mov     $-4, %rsi
    mov     $2, %edx
    syscall
    mov     $16, %r15d
    cmp     $original_len - 4, %rax
    jne     failed

    mov     $1, %eax                # 7: write(fd, "cat", 3) overwrites it in place
    mov     %rbx, %rdi
    lea     word(%rip), %rsi
    mov     $word_len, %edx
    syscall
    mov     $17, %r15d
    cmp     $word_len, %rax
    jne     failed

    mov     $8, %eax                # 8: lseek(fd, 0, SEEK_SET)
    mov     %rbx, %rdi
    xor     %esi, %esi
    xor     %edx, %edx
    syscall
    mov     $18, %r15d
    test    %rax, %rax
    jnz     failed

    mov     $19, %r15d              # 9: read it again and print it
    call    print_file

    mov     $3, %eax                # 10: close(fd)
    mov     %rbx, %rdi
    syscall
    mov     $20, %r15d
    test    %rax, %rax
    jnz     failed

    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall

failed:
    mov     $231, %eax              # exit_group(r15 = 10 + failing step)
    mov     %r15, %rdi
    syscall

# print_file: reads up to 256 bytes from fd rbx at its offset and writes them to stdout.
print_file:
    xor     %eax, %eax              # n = read(fd, buffer, 256)
    mov     %rbx, %rdi
    lea     buffer(%rip), %rsi
    mov     $256, %edx
    syscall
    cmp     $original_len, %rax
    jne     failed
    mov     %rax, %rdx              # write(1, buffer, n)
    mov     $1, %eax
    mov     $1, %edi
    lea     buffer(%rip), %rsi
    syscall
    ret
