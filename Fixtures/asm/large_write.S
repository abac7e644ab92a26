# Checks large transfers: fills a 256 KiB buffer with a repeating 64-byte line
# pattern, writes it to stdout (looping over short writes) and to big.bin, exit(0).

    .set    SIZE, 262144

    .section .rodata
path:   .asciz "big.bin"

    .bss
    .balign 4096
buffer:
    .skip   SIZE

    .text
    .globl _start
_start:
    lea     buffer(%rip), %rdi      # fill: every 64-byte line is 63 letters and '\n'
    xor     %ecx, %ecx
fill:
    mov     %ecx, %eax
    and     $63, %eax
    cmp     $63, %eax
    je      1f
    mov     %ecx, %eax              # letter = 'a' + (offset / 64 + offset % 64) % 26
    shr     $6, %eax
    mov     %ecx, %edx
    and     $63, %edx
    add     %edx, %eax
    xor     %edx, %edx
    mov     $26, %r8d
    div     %r8d
    lea     'a'(%rdx), %eax
    jmp     2f
1:  mov     $'\n', %eax
2:  mov     %al, (%rdi,%rcx)
    inc     %ecx
    cmp     $SIZE, %ecx
    jne     fill

    mov     $1, %ebx                # write everything to stdout
    call    write_all

    mov     $2, %eax                # fd = open("big.bin", O_WRONLY|O_CREAT|O_TRUNC, 0644)
    lea     path(%rip), %rdi
    mov     $0x241, %esi
    mov     $0644, %edx
    syscall
    test    %rax, %rax
    js      failed
    mov     %rax, %rbx
    call    write_all               # write everything to big.bin
    mov     $3, %eax                # close(fd)
    mov     %rbx, %rdi
    syscall

    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall
failed:
    mov     $231, %eax              # exit_group(1)
    mov     $1, %edi
    syscall

# write_all: writes the whole buffer to fd rbx, looping over short writes.
write_all:
    lea     buffer(%rip), %r12      # r12 = next byte
    mov     $SIZE, %r13             # r13 = bytes left
3:  mov     $1, %eax
    mov     %rbx, %rdi
    mov     %r12, %rsi
    mov     %r13, %rdx
    syscall
    test    %rax, %rax
    jle     failed
    add     %rax, %r12
    sub     %rax, %r13
    jnz     3b
    ret
