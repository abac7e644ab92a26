# Checks the CPU state a program can observe: SSE arithmetic (addps), the CPUID bits for
# OSXSAVE/AVX/AVX-512F, XCR0 from xgetbv and its consistency with CPUID leaf 0xD (enabled
# bits are supported; EBX is the XSAVE size of exactly the enabled components), AVX
# (vaddps ymm) and AVX-512 (vaddps zmm) when CPUID offers them and XCR0 enables them,
# and FS-relative TLS reads and writes (positive and negative offsets) after
# arch_prctl(ARCH_SET_FS), read back with ARCH_GET_FS. Everything printed must match native.
#include "include/output.inc"

    .section .rodata
    .balign 64
ones:     .float 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0
halves:   .float 0.5, 0.25, 0.125, 0.0625, -1.0, -2.0, 100.0, 0.1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5
s_addps:  .asciz "sse addps:"
s_vaddps: .asciz "avx vaddps ymm:"
s_zaddps: .asciz "avx512f vaddps zmm:"
s_osxsave: .asciz "cpuid.1 ecx: osxsave "
s_avx:    .asciz " avx "
s_avx512: .asciz "cpuid.7 ebx: avx512f "
s_xcr0:   .asciz "xcr0: "
s_subset: .asciz "xcr0 bits all supported by cpuid.0xd: "
s_size:   .asciz "cpuid.0xd ebx (xsave size for xcr0): "
s_sizeok: .asciz "cpuid.0xd ebx equals the end of the last enabled component: "
s_noxgetbv: .asciz "xgetbv: not available (no OSXSAVE)\n"
s_noavx:  .asciz "avx: not usable\n"
s_noavx512: .asciz "avx512f: not usable\n"
s_setfs:  .asciz "arch_prctl(ARCH_SET_FS): "
s_getfs:  .asciz "arch_prctl(ARCH_GET_FS) returns the block: "
s_fs0:    .asciz "%fs:0 is the block's self pointer: "
s_fs8:    .asciz "%fs:8 = "
s_fsneg:  .asciz "%fs:-8 = "
s_fswrite: .asciz "movq $42, %fs:16 wrote the block: "
s_yes:    .asciz "yes"
s_no:     .asciz "no"

    .data
    .balign 64
vector:   .fill 16, 4, 0
xcr0:     .quad 0
osxsave:  .quad 0
has_avx:  .quad 0
has_avx512: .quad 0
got_fs:   .quad 0
    .quad 0x0badc0de0badc0de        # %fs:-8
tls_block:
    .quad tls_block                 # %fs:0, the self pointer (x86-64 TLS ABI)
    .quad 0x1122334455667788        # %fs:8
    .quad 0                         # %fs:16
    .quad 0

    .text
    .globl _start
_start:
    movaps  ones(%rip), %xmm0
    addps   halves(%rip), %xmm0
    movaps  %xmm0, vector(%rip)
    lea     s_addps(%rip), %rdi
    mov     $4, %esi
    call    put_vector

    mov     $1, %eax
    xor     %ecx, %ecx
    cpuid
    mov     %ecx, %ebx
    shr     $27, %ecx
    and     $1, %ecx
    mov     %rcx, osxsave(%rip)
    shr     $28, %ebx
    and     $1, %ebx
    mov     %rbx, has_avx(%rip)
    lea     s_osxsave(%rip), %rdi
    call    put_str
    mov     osxsave(%rip), %rdi
    call    put_dec
    lea     s_avx(%rip), %rdi
    call    put_str
    mov     has_avx(%rip), %rdi
    call    put_dec
    call    put_nl
    mov     $7, %eax
    xor     %ecx, %ecx
    cpuid
    shr     $16, %ebx
    and     $1, %ebx
    mov     %rbx, has_avx512(%rip)
    lea     s_avx512(%rip), %rdi
    call    put_str
    mov     has_avx512(%rip), %rdi
    call    put_dec
    call    put_nl

    cmpq    $0, osxsave(%rip)
    jne     1f
    lea     s_noxgetbv(%rip), %rdi
    call    put_str
    jmp     tls
1:  xor     %ecx, %ecx
    xgetbv
    shl     $32, %rdx
    or      %rdx, %rax
    mov     %rax, xcr0(%rip)
    lea     s_xcr0(%rip), %rdi
    call    put_str
    mov     xcr0(%rip), %rdi
    call    put_hex
    call    put_nl

    mov     $0xd, %eax              # supported components: EDX:EAX of leaf 0xD.0
    xor     %ecx, %ecx
    cpuid
    mov     %rbx, %r12              # r12 = XSAVE size for the enabled components
    shl     $32, %rdx
    or      %rax, %rdx
    not     %rdx
    and     xcr0(%rip), %rdx        # enabled but not supported
    mov     %rdx, %r13
    lea     s_subset(%rip), %rdi
    call    put_str
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rax
    test    %r13, %r13
    cmovnz  %rax, %rdi
    call    put_str
    call    put_nl
    lea     s_size(%rip), %rdi
    call    put_str
    mov     %r12, %rdi
    call    put_dec
    call    put_nl

    mov     $576, %r13d             # legacy area + XSAVE header
    mov     $2, %r14d               # components 2..62: offset EBX, size EAX of leaf 0xD.i
2:  mov     xcr0(%rip), %rax
    bt      %r14, %rax
    jnc     3f
    mov     $0xd, %eax
    mov     %r14d, %ecx
    cpuid
    add     %ebx, %eax
    cmp     %rax, %r13
    cmovb   %rax, %r13
3:  inc     %r14
    cmp     $63, %r14
    jne     2b
    lea     s_sizeok(%rip), %rdi
    call    put_str
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rax
    cmp     %r12, %r13
    cmovne  %rax, %rdi
    call    put_str
    call    put_nl

    cmpq    $0, has_avx(%rip)       # AVX: CPUID bit and XCR0 SSE|AVX
    je      no_avx
    mov     xcr0(%rip), %rax
    and     $6, %eax
    cmp     $6, %eax
    jne     no_avx
    vmovaps ones(%rip), %ymm1
    vaddps  halves(%rip), %ymm1, %ymm1
    vmovaps %ymm1, vector(%rip)
    vzeroupper
    lea     s_vaddps(%rip), %rdi
    mov     $8, %esi
    call    put_vector
    jmp     avx512
no_avx:
    lea     s_noavx(%rip), %rdi
    call    put_str

avx512:                             # AVX-512F: CPUID bit and XCR0 opmask|ZMM_Hi256|Hi16_ZMM
    cmpq    $0, has_avx512(%rip)
    je      no_avx512
    mov     xcr0(%rip), %rax
    and     $0xe6, %eax
    cmp     $0xe6, %eax
    jne     no_avx512
    vmovaps ones(%rip), %zmm2
    vaddps  halves(%rip), %zmm2, %zmm2
    vmovaps %zmm2, vector(%rip)
    vzeroupper
    lea     s_zaddps(%rip), %rdi
    mov     $16, %esi
    call    put_vector
    jmp     tls
no_avx512:
    lea     s_noavx512(%rip), %rdi
    call    put_str

tls:
    mov     $158, %eax              # arch_prctl(ARCH_SET_FS, tls_block)
    mov     $0x1002, %edi
    lea     tls_block(%rip), %rsi
    syscall
    mov     %rax, %rbx
    lea     s_setfs(%rip), %rdi
    call    put_str
    mov     %rbx, %rdi
    call    put_sdec
    call    put_nl
    mov     $158, %eax              # arch_prctl(ARCH_GET_FS, &got_fs)
    mov     $0x1003, %edi
    lea     got_fs(%rip), %rsi
    syscall
    lea     s_getfs(%rip), %rdi
    call    put_str
    lea     tls_block(%rip), %rax
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rcx
    cmp     got_fs(%rip), %rax
    cmovne  %rcx, %rdi
    call    put_str
    call    put_nl

    lea     s_fs0(%rip), %rdi
    call    put_str
    mov     %fs:0, %rax
    lea     tls_block(%rip), %rcx
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rdx
    cmp     %rcx, %rax
    cmovne  %rdx, %rdi
    call    put_str
    call    put_nl
    lea     s_fs8(%rip), %rdi
    call    put_str
    mov     %fs:8, %rdi
    call    put_hex
    call    put_nl
    lea     s_fsneg(%rip), %rdi
    call    put_str
    mov     %fs:-8, %rdi
    call    put_hex
    call    put_nl
    movq    $42, %fs:16
    lea     s_fswrite(%rip), %rdi
    call    put_str
    lea     s_yes(%rip), %rdi
    lea     s_no(%rip), %rdx
    cmpq    $42, tls_block+16(%rip)
    cmovne  %rdx, %rdi
    call    put_str
    call    put_nl
    jmp     exit_ok

# put_vector(rdi = label, esi = number of floats in `vector`): the label, then each
# float's bits in hex, one line.
put_vector:
    push    %rbx
    push    %r12
    push    %r13
    mov     %esi, %r12d
    call    put_str
    xor     %ebx, %ebx
1:  call    put_sp
    lea     vector(%rip), %rax
    mov     (%rax,%rbx,4), %edi
    call    put_hex
    inc     %ebx
    cmp     %r12d, %ebx
    jne     1b
    call    put_nl
    pop     %r13
    pop     %r12
    pop     %rbx
    ret
