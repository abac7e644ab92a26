# Checks stack alignment at entry and the syscall ABI: %rsp % 16 == 0 at _start, then
# for each of 13 syscalls (getpid, write of 0 bytes, an unknown number, clock_gettime,
# lseek and read on stdin, getuid, uname, brk, arch_prctl(ARCH_GET_FS), rt_sigprocmask,
# mmap, sched_yield) that every register except rax, rcx and r11 is unchanged (all set
# to patterns first), as are %rsp, the 128-byte red zone below it, RFLAGS, MXCSR, the
# x87 control word, XMM0-15 and, when CPUID offers AVX and XCR0 enables it, the upper
# halves of YMM0-15. One "ok"/"FAIL" line per check; the deterministic results too.
# conformance-category: alignment
#include "include/output.inc"
#include "include/abi_state.inc"

    .set NCHECKS, 13
    .set RZ_PATTERN, 0x5a5a5a5a00000000
    .set MXCSR_PATTERN, 0x7f80      # default masks, round toward zero
    .set FCW_PATTERN, 0x0c7f        # default masks, round toward zero, 64-bit precision

    .section .rodata
# One descriptor per syscall: name, number, rdi, rsi, rdx, r10, r8, r9, print result?
    .balign 8
checks:
    .quad n_getpid,   39,   0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_write0,   1,    1, scratch, 0, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 1
    .quad n_unknown,  1000, 0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 1
    .quad n_clock,    228,  1, scratch, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 1
    .quad n_lseek,    8,    0, 0, 1, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_read0,    0,    0, scratch, 0, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_getuid,   102,  0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_uname,    63,   scratch, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_brk,      12,   0, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_getfs,    158,  0x1003, scratch, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_sigmask,  14,   0, 0, scratch, 8, 0x0808080808080805, 0x0909090909090906, 0
    .quad n_mmap,     9,    0, 4096, 3, 0x22, -1, 0, 0
    .quad n_yield,    24,   0x1111111111111101, 0x2222222222222202, 0x3333333333333303, 0x1010101010101004, 0x0808080808080805, 0x0909090909090906, 0
    .set DESC_SIZE, 72

n_getpid:   .asciz "getpid"
n_write0:   .asciz "write(1, buf, 0)"
n_unknown:  .asciz "syscall 1000"
n_clock:    .asciz "clock_gettime(MONOTONIC)"
n_lseek:    .asciz "lseek(0, 0, SEEK_CUR)"
n_read0:    .asciz "read(0, buf, 0)"
n_getuid:   .asciz "getuid"
n_uname:    .asciz "uname"
n_brk:      .asciz "brk(0)"
n_getfs:    .asciz "arch_prctl(ARCH_GET_FS)"
n_sigmask:  .asciz "rt_sigprocmask"
n_mmap:     .asciz "mmap(4096, anonymous)"
n_yield:    .asciz "sched_yield"

# The registers compared, in the order they are stored in regs_before/regs_after.
reg_names:
    .quad r_rbx, r_rbp, r_rdi, r_rsi, r_rdx, r_r8, r_r9, r_r10, r_r12, r_r13, r_r14, r_r15
r_rbx: .asciz "rbx"
r_rbp: .asciz "rbp"
r_rdi: .asciz "rdi"
r_rsi: .asciz "rsi"
r_rdx: .asciz "rdx"
r_r8:  .asciz "r8"
r_r9:  .asciz "r9"
r_r10: .asciz "r10"
r_r12: .asciz "r12"
r_r13: .asciz "r13"
r_r14: .asciz "r14"
r_r15: .asciz "r15"

s_ok:         .asciz "ok "
s_fail:       .asciz "FAIL "
s_skip:       .asciz "skip "
s_colon:      .asciz ": "
s_entry_ok:   .asciz "ok entry: rsp % 16 == 0\n"
s_entry_bad:  .asciz "FAIL entry: rsp % 16 == "
s_avx_yes:    .asciz "avx: CPUID offers AVX and XCR0 enables YMM state: checking YMM upper halves\n"
s_avx_no:     .asciz "avx: not usable (CPUID or XCR0): checking XMM only\n"
s_gprs:       .asciz "callee-visible registers preserved"
s_changed:    .asciz " changed: "
s_arrow:      .asciz " -> "
s_rsp_ok:     .asciz "rsp preserved"
s_rsp_bad:    .asciz "rsp changed by "
s_rz_ok:      .asciz "red zone preserved"
s_rz_bad:     .asciz "red zone changed at rsp-"
s_flags_ok:   .asciz "rflags preserved"
s_flags_bad:  .asciz "rflags changed: "
s_mxcsr_ok:   .asciz "mxcsr and x87 control word preserved"
s_mxcsr_bad:  .asciz "mxcsr/x87 control word changed: "
s_xmm_ok:     .asciz "xmm0-15 preserved"
s_xmm_bad:    .asciz "changed: xmm"
s_ymm_ok:     .asciz "ymm0-15 upper halves preserved"
s_ymm_bad:    .asciz "changed: upper half of ymm"
s_ymm_skip:   .asciz "ymm upper halves (no AVX)"
s_result:     .asciz "returned "

    .data
    .balign 8
avx_usable:   .quad 0
check_index:  .quad 0
current:      .quad 0
rsp_before:   .quad 0
rsp_after:    .quad 0
flags_before: .quad 0
flags_after:  .quad 0
rax_after:    .quad 0
mxcsr_after:  .long 0
fcw_after:    .word 0
mxcsr_pattern: .long MXCSR_PATTERN
fcw_pattern:  .word FCW_PATTERN
mxcsr_default: .long 0x1f80
fcw_default:  .word 0x037f
    .balign 8
regs_before:  .fill 12, 8, 0
regs_after:   .fill 12, 8, 0
rz_after:     .fill 16, 8, 0
    .balign 32
vec_pattern:                        # 16 registers x 32 bytes, every byte distinct per register
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .quad 0xa0a1a2a3a4a5a6a7 + \n, 0xb0b1b2b3b4b5b6b7 + \n, 0xc0c1c2c3c4c5c6c7 + \n, 0xd0d1d2d3d4d5d6d7 + \n
    .endr
vec_after:    .fill 64, 8, 0

    .bss
    .lcomm scratch, 4096

    .text
    .globl _start
_start:
    mov     %rsp, %rax
    and     $15, %eax
    jnz     misaligned
    lea     s_entry_ok(%rip), %rdi
    call    put_str
    jmp     probe_avx
misaligned:
    mov     %rax, %rbx
    lea     s_entry_bad(%rip), %rdi
    call    put_str
    mov     %rbx, %rdi
    call    put_dec
    call    put_nl
    and     $-16, %rsp              # go on with an aligned stack

probe_avx:
    mov     $1, %eax
    xor     %ecx, %ecx
    cpuid
    mov     %ecx, %eax
    and     $((1 << 27) | (1 << 28)), %eax   # OSXSAVE and AVX
    cmp     $((1 << 27) | (1 << 28)), %eax
    jne     no_avx
    xor     %ecx, %ecx
    xgetbv
    and     $6, %eax                # XCR0: SSE and AVX state
    cmp     $6, %eax
    jne     no_avx
    movq    $1, avx_usable(%rip)
    lea     s_avx_yes(%rip), %rdi
    call    put_str
    jmp     run_all
no_avx:
    lea     s_avx_no(%rip), %rdi
    call    put_str

run_all:
    movq    $0, check_index(%rip)
next_check:
    mov     check_index(%rip), %rax
    cmp     $NCHECKS, %rax
    je      exit_ok
    imul    $DESC_SIZE, %rax
    lea     checks(%rip), %rcx
    add     %rcx, %rax
    mov     %rax, current(%rip)
    call    run_check
    call    report_check
    call    flush_output
    incq    check_index(%rip)
    jmp     next_check

# run_check: performs the syscall of descriptor `current` with every register, the red
# zone and the vector state set to patterns, and records what they are afterwards.
run_check:
    cmpq    $0, avx_usable(%rip)
    je      1f
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    vmovdqu vec_pattern+32*\n(%rip), %ymm\n
    .endr
    jmp     2f
1:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    movdqu  vec_pattern+32*\n(%rip), %xmm\n
    .endr
2:  ldmxcsr mxcsr_pattern(%rip)
    fldcw   fcw_pattern(%rip)
    stc                             # from here on only mov, lea and syscall: flags stay
    pushfq
    popq    flags_before(%rip)
    FILL_RED_ZONE RZ_PATTERN
    mov     %rsp, rsp_before(%rip)
    mov     current(%rip), %rax
    mov     16(%rax), %rdi
    mov     24(%rax), %rsi
    mov     32(%rax), %rdx
    mov     40(%rax), %r10
    mov     48(%rax), %r8
    mov     56(%rax), %r9
    movabs  $0x0b0b0b0b0b0b0b0b, %rbx
    movabs  $0x0e0e0e0e0e0e0e0e, %rbp
    movabs  $0x1212121212121212, %r12
    movabs  $0x1313131313131313, %r13
    movabs  $0x1414141414141414, %r14
    movabs  $0x1515151515151515, %r15
    STORE_GPRS regs_before
    mov     8(%rax), %rax           # the syscall number, last
    syscall
    mov     %rax, rax_after(%rip)
    mov     %rsp, rsp_after(%rip)
    STORE_GPRS regs_after
    SAVE_RED_ZONE rz_after
    pushfq                          # before any instruction that sets flags
    popq    flags_after(%rip)
    stmxcsr mxcsr_after(%rip)
    fnstcw  fcw_after(%rip)
    cmpq    $0, avx_usable(%rip)
    je      3f
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    vmovdqu %ymm\n, vec_after+32*\n(%rip)
    .endr
    vzeroupper
    jmp     4f
3:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    movdqu  %xmm\n, vec_after+32*\n(%rip)
    .endr
4:  ldmxcsr mxcsr_default(%rip)
    fldcw   fcw_default(%rip)
    ret

# begin_line(rdi = "ok " / "FAIL " / "skip "): starts "<verdict><name>: ".
begin_line:
    call    put_str
    mov     current(%rip), %rax
    mov     (%rax), %rdi
    call    put_str
    lea     s_colon(%rip), %rdi
    jmp     put_str

# put_line_ok(rdi = text): one "ok <name>: <text>" line.
put_line_ok:
    mov     %rdi, %rbx
    lea     s_ok(%rip), %rdi
    call    begin_line
    mov     %rbx, %rdi
    call    put_str
    jmp     put_nl

# report_check: one line per check of the syscall just made.
report_check:
    # general-purpose registers
    xor     %r12d, %r12d
1:  lea     regs_before(%rip), %rax
    mov     (%rax,%r12,8), %r13
    lea     regs_after(%rip), %rax
    mov     (%rax,%r12,8), %r14
    cmp     %r13, %r14
    jne     gpr_bad
    inc     %r12
    cmp     $12, %r12
    jne     1b
    lea     s_gprs(%rip), %rdi
    call    put_line_ok
    jmp     check_rsp
gpr_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     reg_names(%rip), %rax
    mov     (%rax,%r12,8), %rdi
    call    put_str
    lea     s_changed(%rip), %rdi
    call    put_str
    mov     %r13, %rdi
    call    put_hex
    lea     s_arrow(%rip), %rdi
    call    put_str
    mov     %r14, %rdi
    call    put_hex
    call    put_nl

check_rsp:
    mov     rsp_after(%rip), %rax
    cmp     rsp_before(%rip), %rax
    jne     rsp_bad
    lea     s_rsp_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_rz
rsp_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_rsp_bad(%rip), %rdi
    call    put_str
    mov     rsp_after(%rip), %rdi
    sub     rsp_before(%rip), %rdi
    call    put_sdec
    call    put_nl

check_rz:                           # rz_after[i] holds rsp-128+8i, filled with pattern+(15-i)
    xor     %r12d, %r12d
1:  movabs  $RZ_PATTERN + 15, %rax
    sub     %r12, %rax
    lea     rz_after(%rip), %rcx
    cmp     (%rcx,%r12,8), %rax
    jne     rz_bad
    inc     %r12
    cmp     $16, %r12
    jne     1b
    lea     s_rz_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_flags
rz_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_rz_bad(%rip), %rdi
    call    put_str
    mov     $16, %edi
    sub     %r12, %rdi
    shl     $3, %rdi
    call    put_dec
    call    put_nl

check_flags:                        # CF PF AF ZF SF DF OF and IF
    mov     flags_before(%rip), %rax
    xor     flags_after(%rip), %rax
    and     $0xed5, %eax
    jnz     flags_bad
    lea     s_flags_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_mxcsr
flags_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_flags_bad(%rip), %rdi
    call    put_str
    mov     flags_before(%rip), %rdi
    call    put_hex
    lea     s_arrow(%rip), %rdi
    call    put_str
    mov     flags_after(%rip), %rdi
    call    put_hex
    call    put_nl

check_mxcsr:
    mov     mxcsr_after(%rip), %eax
    cmp     $MXCSR_PATTERN, %eax
    jne     mxcsr_bad
    movzwl  fcw_after(%rip), %eax
    and     $0x1f3f, %eax           # the defined bits
    cmp     $(FCW_PATTERN & 0x1f3f), %eax
    jne     mxcsr_bad
    lea     s_mxcsr_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_xmm
mxcsr_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_mxcsr_bad(%rip), %rdi
    call    put_str
    mov     mxcsr_after(%rip), %edi
    call    put_hex
    call    put_sp
    movzwl  fcw_after(%rip), %edi
    call    put_hex
    call    put_nl

check_xmm:                          # the low 16 bytes of each 32-byte slot
    xor     %r12d, %r12d
1:  mov     %r12, %rax
    shl     $5, %rax
    lea     vec_pattern(%rip), %rcx
    lea     vec_after(%rip), %rdx
    mov     (%rcx,%rax), %rsi
    cmp     (%rdx,%rax), %rsi
    jne     xmm_bad
    mov     8(%rcx,%rax), %rsi
    cmp     8(%rdx,%rax), %rsi
    jne     xmm_bad
    inc     %r12
    cmp     $16, %r12
    jne     1b
    lea     s_xmm_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_ymm
xmm_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_xmm_bad(%rip), %rdi
    call    put_str
    mov     %r12, %rdi
    call    put_dec
    call    put_nl

check_ymm:
    cmpq    $0, avx_usable(%rip)
    jne     1f
    lea     s_skip(%rip), %rdi
    call    begin_line
    lea     s_ymm_skip(%rip), %rdi
    call    put_str
    call    put_nl
    jmp     check_result
1:  xor     %r12d, %r12d
2:  mov     %r12, %rax
    shl     $5, %rax
    lea     vec_pattern(%rip), %rcx
    lea     vec_after(%rip), %rdx
    mov     16(%rcx,%rax), %rsi
    cmp     16(%rdx,%rax), %rsi
    jne     ymm_bad
    mov     24(%rcx,%rax), %rsi
    cmp     24(%rdx,%rax), %rsi
    jne     ymm_bad
    inc     %r12
    cmp     $16, %r12
    jne     2b
    lea     s_ymm_ok(%rip), %rdi
    call    put_line_ok
    jmp     check_result
ymm_bad:
    lea     s_fail(%rip), %rdi
    call    begin_line
    lea     s_ymm_bad(%rip), %rdi
    call    put_str
    mov     %r12, %rdi
    call    put_dec
    call    put_nl

check_result:
    mov     current(%rip), %rax
    cmpq    $0, 64(%rax)
    je      1f
    lea     s_result(%rip), %rdi
    call    put_line_ok_partial
    mov     rax_after(%rip), %rdi
    call    put_sdec
    call    put_nl
1:  ret

# put_line_ok_partial(rdi = text): "ok <name>: <text>" without the newline.
put_line_ok_partial:
    mov     %rdi, %rbx
    lea     s_ok(%rip), %rdi
    call    begin_line
    mov     %rbx, %rdi
    jmp     put_str
