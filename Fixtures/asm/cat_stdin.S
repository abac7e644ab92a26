# Checks reading stdin to end of file: copies stdin to stdout in 4 KiB chunks,
# looping over short writes, then exit(0).
# conformance-stdin: line one\nline two\n\ttabbed line\n
# conformance-stdin: last line without newline

    .bss
    .balign 16
buffer:
    .skip   4096

    .text
    .globl _start
_start:
read_chunk:
    xor     %eax, %eax              # read(0, buffer, 4096)
    xor     %edi, %edi
    lea     buffer(%rip), %rsi
    mov     $4096, %edx
    syscall
    test    %rax, %rax
    js      failed                  # error
    jz      done                    # end of file
    lea     buffer(%rip), %r12      # r12 = next byte to write
    mov     %rax, %r13              # r13 = bytes left
write_rest:
    mov     $1, %eax                # write(1, r12, r13)
    mov     $1, %edi
    mov     %r12, %rsi
    mov     %r13, %rdx
    syscall
    test    %rax, %rax
    jle     failed
    add     %rax, %r12
    sub     %rax, %r13
    jnz     write_rest
    jmp     read_chunk

done:
    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall
failed:
    mov     $231, %eax              # exit_group(1)
    mov     $1, %edi
    syscall
