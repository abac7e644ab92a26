# Checks the initial process stack against Linux's create_elf_tables: prints %rsp and
# %rsp % 16 at _start, argc, every argv and envp string with its address, every auxv
# (key, value) pair, where the auxv ends, the 16 AT_RANDOM bytes in hex and the
# AT_EXECFN and AT_PLATFORM strings. The tool parses both dumps and compares them
# structurally under the auxv policy (`conformance policy`), not byte for byte.
# conformance-compare: stack-layout
# conformance-args: one "two words" '' last
# conformance-env: GREETING=hello world
# conformance-env: EMPTY=
# conformance-env: PATH=/usr/bin:/bin
#include "include/output.inc"

    .section .rodata
s_rsp:      .asciz "rsp "
s_mod16:    .asciz "rsp_mod16 "
s_argc:     .asciz "argc "
s_argv:     .asciz "argv "
s_envp:     .asciz "envp "
s_auxv:     .asciz "auxv "
s_auxv_end: .asciz "auxv_end "
s_random:   .asciz "random "
s_execfn:   .asciz "execfn "
s_platform: .asciz "platform "

    .data
random_ptr:   .quad 0
execfn_ptr:   .quad 0
platform_ptr: .quad 0

    .text
    .globl _start
_start:
    mov     %rsp, %r15              # r15 = the initial %rsp, kept to the end
    lea     s_rsp(%rip), %rdi
    call    put_str
    mov     %r15, %rdi
    call    put_hex
    call    put_nl
    lea     s_mod16(%rip), %rdi
    call    put_str
    mov     %r15, %rdi
    and     $15, %rdi
    call    put_dec
    call    put_nl
    lea     s_argc(%rip), %rdi
    call    put_str
    mov     (%r15), %rdi
    call    put_dec
    call    put_nl

    lea     8(%r15), %r12           # r12 walks the vectors: argv first
    lea     s_argv(%rip), %rbx
    call    put_strings
    lea     s_envp(%rip), %rbx      # r12 is now at envp[0]
    call    put_strings

auxv_loop:                          # r12 at an auxv pair
    mov     (%r12), %rbx            # key
    mov     8(%r12), %rbp           # value
    test    %rbx, %rbx
    jz      auxv_done
    lea     s_auxv(%rip), %rdi
    call    put_str
    mov     %rbx, %rdi
    call    put_dec
    call    put_sp
    mov     %rbp, %rdi
    call    put_hex
    call    put_nl
    cmp     $25, %rbx               # AT_RANDOM
    jne     1f
    mov     %rbp, random_ptr(%rip)
1:  cmp     $31, %rbx               # AT_EXECFN
    jne     2f
    mov     %rbp, execfn_ptr(%rip)
2:  cmp     $15, %rbx               # AT_PLATFORM
    jne     3f
    mov     %rbp, platform_ptr(%rip)
3:  add     $16, %r12
    jmp     auxv_loop
auxv_done:
    lea     s_auxv_end(%rip), %rdi
    call    put_str
    lea     16(%r12), %rdi          # past the AT_NULL pair
    call    put_hex
    call    put_nl

    mov     random_ptr(%rip), %r13
    test    %r13, %r13
    jz      no_random
    lea     s_random(%rip), %rdi
    call    put_str
    xor     %r14d, %r14d
random_loop:
    movzbl  (%r13,%r14), %edi
    call    put_byte_hex
    inc     %r14
    cmp     $16, %r14
    jne     random_loop
    call    put_nl
no_random:
    mov     execfn_ptr(%rip), %r13
    test    %r13, %r13
    jz      no_execfn
    lea     s_execfn(%rip), %rdi
    call    put_str
    mov     %r13, %rdi
    call    put_str
    call    put_nl
no_execfn:
    mov     platform_ptr(%rip), %r13
    test    %r13, %r13
    jz      no_platform
    lea     s_platform(%rip), %rdi
    call    put_str
    mov     %r13, %rdi
    call    put_str
    call    put_nl
no_platform:
    jmp     exit_ok

# put_strings(rbx = record tag, r12 = first pointer of a NULL-ended vector): one
# "TAG INDEX 0xADDRESS STRING" line per string; leaves r12 past the NULL.
put_strings:
    xor     %r13d, %r13d            # index
1:  mov     (%r12), %r14
    test    %r14, %r14
    jz      2f
    mov     %rbx, %rdi
    call    put_str
    mov     %r13, %rdi
    call    put_dec
    call    put_sp
    mov     %r14, %rdi
    call    put_hex
    call    put_sp
    mov     %r14, %rdi
    call    put_str
    call    put_nl
    add     $8, %r12
    inc     %r13
    jmp     1b
2:  add     $8, %r12
    ret

