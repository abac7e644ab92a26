# Checks that a `syscall` site behaves the same however often it runs (a kernel may
# rewrite hot sites, as this project's does): a `mov $39, %eax; syscall` site, a
# `mov %rsi, %rax; syscall` site and a `mov %r10, %r10; syscall` site (a move that does
# not load rax, as in musl's syscall helpers) each run getpid 64 times; after every run rax is
# getpid's result, rcx the address after the `syscall`, r11 the RFLAGS before it, and
# rbx, rbp, rdi, rsi, rdx, r8-r10, r12-r15, rsp, the 128-byte red zone and the
# arithmetic flags are unchanged. Then code jumps straight to each site's `syscall`
# instruction, past the `mov`, with rax = 110 (getppid): the call must be getppid,
# with the same register checks. Prints one line per failed check and a summary per run.
#include "include/output.inc"
#include "include/abi_state.inc"

    .set RUNS, 64
    .set RZ_PATTERN, 0x5a5a5a5a00000000

    .section .rodata
    .balign 8
# rbx, rbp, rdi, rsi, rdx, r8, r9, r10, r12, r13, r14, r15 (rsi is site B's source: 39)
patterns:
    .quad 0x0b0b0b0b0b0b0b0b, 0x0e0e0e0e0e0e0e0e, 0x1111111111111101, 39
    .quad 0x3333333333333303, 0x0808080808080805, 0x0909090909090906, 0x1010101010101004
    .quad 0x1212121212121212, 0x1313131313131313, 0x1414141414141414, 0x1515151515151515
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

s_site_a:   .asciz "mov $imm, %eax; syscall"
s_site_b:   .asciz "mov %rsi, %rax; syscall"
s_site_c:   .asciz "mov %r10, %r10; syscall"
s_direct_c: .asciz "jump to the syscall of mov %r10, %r10; syscall"
s_direct_a: .asciz "jump to the syscall of mov $imm, %eax; syscall"
s_direct_b: .asciz "jump to the syscall of mov %rsi, %rax; syscall"
s_fail:     .asciz "FAIL "
s_run:      .asciz " run "
s_colon:    .asciz ": "
s_rax:      .asciz "rax is not the syscall's result"
s_rcx:      .asciz "rcx is not the address after the syscall"
s_r11:      .asciz "r11 is not the RFLAGS before the syscall"
s_changed:  .asciz " changed"
s_rsp:      .asciz "rsp changed"
s_rz:       .asciz "red zone changed"
s_flags:    .asciz "rflags changed"
s_runs:     .asciz " runs, "
s_failures: .asciz " failed checks\n"

    .data
    .balign 8
pid:          .quad 0
ppid:         .quad 0
entry:        .quad 0          # where run_site_* jumps after setting everything up
number:       .quad 0          # rax at that jump
expect_rax:   .quad 0
expect_rcx:   .quad 0
site_name:    .quad 0
run:          .quad 0
failures:     .quad 0
flags_before: .quad 0
flags_after:  .quad 0
rsp_before:   .quad 0
rsp_after:    .quad 0
rax_after:    .quad 0
rcx_after:    .quad 0
r11_after:    .quad 0
regs_after:   .fill 12, 8, 0
rz_after:     .fill 16, 8, 0

    .text
# PREPARE: flags (CF set), red zone and registers to patterns; then rax = number and a
# jump through `entry`. Only mov, lea and jmp from the pushfq on: the flags stay.
.macro PREPARE
    stc
    pushfq
    popq    flags_before(%rip)
    FILL_RED_ZONE RZ_PATTERN
    mov     %rsp, rsp_before(%rip)
    mov     patterns+0(%rip), %rbx
    mov     patterns+8(%rip), %rbp
    mov     patterns+16(%rip), %rdi
    mov     patterns+24(%rip), %rsi
    mov     patterns+32(%rip), %rdx
    mov     patterns+40(%rip), %r8
    mov     patterns+48(%rip), %r9
    mov     patterns+56(%rip), %r10
    mov     patterns+64(%rip), %r12
    mov     patterns+72(%rip), %r13
    mov     patterns+80(%rip), %r14
    mov     patterns+88(%rip), %r15
    mov     number(%rip), %rax
    jmp     *entry(%rip)
.endm

# RECORD: what the registers, the red zone and the flags are right after the syscall.
.macro RECORD
    mov     %rax, rax_after(%rip)
    mov     %rcx, rcx_after(%rip)
    mov     %r11, r11_after(%rip)
    mov     %rsp, rsp_after(%rip)
    STORE_GPRS regs_after
    SAVE_RED_ZONE rz_after
    pushfq                          # into the red zone: after it was recorded
    popq    flags_after(%rip)
.endm

# SITE runner, label, mov...: a routine `runner` that runs one site: PREPARE, then the `mov`
# at `label`, the `syscall` at label_syscall, and RECORD from label_after.
.macro SITE runner, label, mov:vararg
\runner:
    PREPARE
\label:
    \mov
\label\()_syscall:
    syscall
\label\()_after:
    RECORD
    ret
.endm

    SITE run_site_a, site_a, mov $39, %eax
    SITE run_site_b, site_b, mov %rsi, %rax
    SITE run_site_c, site_c, mov %r10, %r10

# fail(rdi = what): "FAIL <site> run <n>: <what>" without the newline; counts it.
fail:
    push    %rdi
    incq    failures(%rip)
    lea     s_fail(%rip), %rdi
    call    put_str
    mov     site_name(%rip), %rdi
    call    put_str
    lea     s_run(%rip), %rdi
    call    put_str
    mov     run(%rip), %rdi
    call    put_dec
    lea     s_colon(%rip), %rdi
    call    put_str
    pop     %rdi
    jmp     put_str

# check: compares what RECORD saw with what Linux's syscall ABI promises.
check:
    mov     rax_after(%rip), %rax
    cmp     expect_rax(%rip), %rax
    je      1f
    lea     s_rax(%rip), %rdi
    call    fail
    call    put_nl
1:  mov     rcx_after(%rip), %rax
    cmp     expect_rcx(%rip), %rax
    je      1f
    lea     s_rcx(%rip), %rdi
    call    fail
    call    put_nl
1:  mov     r11_after(%rip), %rax
    xor     flags_before(%rip), %rax
    and     $0xed5, %eax            # CF PF AF ZF SF IF DF OF
    jz      1f
    lea     s_r11(%rip), %rdi
    call    fail
    call    put_nl
1:  mov     flags_after(%rip), %rax
    xor     flags_before(%rip), %rax
    and     $0xed5, %eax
    jz      1f
    lea     s_flags(%rip), %rdi
    call    fail
    call    put_nl
1:  mov     rsp_after(%rip), %rax
    cmp     rsp_before(%rip), %rax
    je      1f
    lea     s_rsp(%rip), %rdi
    call    fail
    call    put_nl
1:  xor     %r12d, %r12d            # registers
2:  lea     patterns(%rip), %rax
    mov     (%rax,%r12,8), %rax
    lea     regs_after(%rip), %rcx
    cmp     (%rcx,%r12,8), %rax
    je      3f
    lea     reg_names(%rip), %rax
    mov     (%rax,%r12,8), %rdi
    call    fail
    lea     s_changed(%rip), %rdi
    call    put_str
    call    put_nl
3:  inc     %r12
    cmp     $12, %r12
    jne     2b
    xor     %r12d, %r12d            # red zone: rz_after[i] holds rsp-128+8i = pattern+(15-i)
4:  movabs  $RZ_PATTERN + 15, %rax
    sub     %r12, %rax
    lea     rz_after(%rip), %rcx
    cmp     (%rcx,%r12,8), %rax
    je      5f
    lea     s_rz(%rip), %rdi
    call    fail
    call    put_nl
    ret
5:  inc     %r12
    cmp     $16, %r12
    jne     4b
    ret

# summary(rdi = runs): "<site>: <runs> runs, <failures> failed checks"; failures = 0.
summary:
    push    %rdi
    mov     site_name(%rip), %rdi
    call    put_str
    lea     s_colon(%rip), %rdi
    call    put_str
    pop     %rdi
    call    put_dec
    lea     s_runs(%rip), %rdi
    call    put_str
    mov     failures(%rip), %rdi
    call    put_dec
    lea     s_failures(%rip), %rdi
    call    put_str
    movq    $0, failures(%rip)
    jmp     flush_output

# SITE_RUNS: points the checks at one site (its name, where to enter, the address after its
# `syscall`), runs it `runs` times through `runner` and prints the summary.
.macro SITE_RUNS name, entry, after, runner, runs
    lea     \name(%rip), %rax
    mov     %rax, site_name(%rip)
    lea     \entry(%rip), %rax
    mov     %rax, entry(%rip)
    lea     \after(%rip), %rax
    mov     %rax, expect_rcx(%rip)
    movq    $0, run(%rip)
1:  call    \runner
    call    check
    incq    run(%rip)
    cmpq    $\runs, run(%rip)
    jb      1b
    mov     $\runs, %edi
    call    summary
.endm

    .globl _start
_start:
    mov     $39, %eax               # the reference results, from sites run once
    nop
    syscall
    mov     %rax, pid(%rip)
    mov     $110, %eax
    nop
    syscall
    mov     %rax, ppid(%rip)

    movq    $39, number(%rip)
    mov     pid(%rip), %rax
    mov     %rax, expect_rax(%rip)
    SITE_RUNS s_site_a, site_a, site_a_after, run_site_a, RUNS
    SITE_RUNS s_site_b, site_b, site_b_after, run_site_b, RUNS
    SITE_RUNS s_site_c, site_c, site_c_after, run_site_c, RUNS

    # straight to each `syscall`, rax = getppid
    movq    $110, number(%rip)
    mov     ppid(%rip), %rax
    mov     %rax, expect_rax(%rip)
    SITE_RUNS s_direct_a, site_a_syscall, site_a_after, run_site_a, 1
    SITE_RUNS s_direct_b, site_b_syscall, site_b_after, run_site_b, 1
    SITE_RUNS s_direct_c, site_c_syscall, site_c_after, run_site_c, 1
    jmp     exit_ok
