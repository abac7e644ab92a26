# Regression for the prototype's glibc crash (#UD right after the jump to the entry
# point): the very first instruction at _start is SSE (pxor, as in glibc's _dl_aux_init),
# followed by an aligned movaps store, scalar double arithmetic and an x87 sum. Also
# prints the entry state Linux guarantees: %rdx = 0, RFLAGS.DF = 0, MXCSR 0x1f80 and
# x87 control word 0x37f.
#include "include/output.inc"

    .section .rodata
    .balign 16
two_and_a_half: .double 2.5
one_and_a_half: .double 1.5
s_rdx:    .asciz "rdx at entry: "
s_df:     .asciz "rflags.DF at entry: "
s_mxcsr:  .asciz "mxcsr at entry: "
s_fcw:    .asciz "x87 control word at entry: "
s_pxor:   .asciz "pxor + movaps stored 16 zero bytes: "
s_addsd:  .asciz "(2.5 + 1.5) * 1.5 with addsd/mulsd, truncated: "
s_x87:    .asciz "x87 fld1 + fld1 + fldpi, truncated: "
s_yes:    .asciz "yes"
s_no:     .asciz "no"

    .data
    .balign 16
stored:   .quad -1, -1
entry_rdx: .quad 0
entry_flags: .quad 0
mxcsr:    .long 0
fcw:      .word 0
x87_int:  .quad 0

    .text
    .globl _start
_start:
    pxor    %xmm0, %xmm0            # the first instruction: SSE2
    movaps  %xmm0, stored(%rip)     # aligned 16-byte store
    mov     %rdx, entry_rdx(%rip)
    stmxcsr mxcsr(%rip)
    fnstcw  fcw(%rip)
    pushfq                          # writes below %rsp only
    popq    entry_flags(%rip)

    lea     s_rdx(%rip), %rdi
    call    put_str
    mov     entry_rdx(%rip), %rdi
    call    put_dec
    call    put_nl
    lea     s_df(%rip), %rdi
    call    put_str
    mov     entry_flags(%rip), %rdi
    shr     $10, %rdi
    and     $1, %edi
    call    put_dec
    call    put_nl
    lea     s_mxcsr(%rip), %rdi
    call    put_str
    mov     mxcsr(%rip), %edi
    call    put_hex
    call    put_nl
    lea     s_fcw(%rip), %rdi
    call    put_str
    movzwl  fcw(%rip), %edi
    call    put_hex
    call    put_nl

    lea     s_pxor(%rip), %rdi
    call    put_str
    mov     stored(%rip), %rax
    or      stored+8(%rip), %rax
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rcx
    test    %rax, %rax
    cmovnz  %rcx, %rdi
    call    put_str
    call    put_nl

    lea     s_addsd(%rip), %rdi
    call    put_str
    movsd   two_and_a_half(%rip), %xmm1
    addsd   one_and_a_half(%rip), %xmm1
    mulsd   one_and_a_half(%rip), %xmm1
    cvttsd2si %xmm1, %rdi           # 6
    call    put_dec
    call    put_nl

    lea     s_x87(%rip), %rdi
    call    put_str
    fld1
    fld1
    faddp
    fldpi
    faddp
    fisttpq x87_int(%rip)           # trunc(2 + pi) = 5
    mov     x87_int(%rip), %rdi
    call    put_dec
    call    put_nl
    jmp     exit_ok
