/* SYSCALL entry for an application running at CPL0.
 *
 * SYSCALL leaves RSP = the user's RSP (no stack switch at CPL0), RCX = the
 * return RIP and R11 = the user's RFLAGS; FMASK has cleared IF/DF/TF/AC.
 * We never touch the user stack (its 128-byte red zone stays intact): the
 * user RSP goes to a scratch slot, we switch to the kernel stack and build a
 * SyscallFrame there (layout mirrored by SyscallFrame.swift, lowest address
 * first):
 *   r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi rip rflags rsp
 * The Swift dispatcher stores the result into the frame's rax slot. Return:
 * restore the GPRs, popfq the user's RFLAGS on the kernel stack, load the
 * exact user RSP and `jmp *%rcx` (SYSRET would drop to CPL3). When the
 * application runs at CPL3 (uk_app_user_mode, see ApplicationMode.swift)
 * the return is SYSRETQ with the same RCX/R11 and the exact user RSP.
 */
    .text
    .globl uk_syscall_entry
    .type uk_syscall_entry, @function
uk_syscall_entry:
    movq %rsp, uk_syscall_user_rsp(%rip)
    leaq uk_kernel_stack_top(%rip), %rsp
    pushq uk_syscall_user_rsp(%rip)   /* rsp */
    pushq %r11                        /* rflags */
    pushq %rcx                        /* rip */
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call uk_syscall_dispatch
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    addq $8, %rsp          /* rip: already in rcx */
    cmpb $0, uk_app_user_mode(%rip)
    jne 1f
    popfq                  /* rflags, on the kernel stack */
    popq %rsp              /* the exact user rsp */
    jmp *%rcx
1:  addq $8, %rsp          /* rflags: already in r11 */
    popq %rsp              /* the exact user rsp */
    sysretq                /* CPL3: RIP = rcx, RFLAGS = r11 */
    .size uk_syscall_entry, . - uk_syscall_entry

    .bss
    .balign 8
    .globl uk_syscall_user_rsp
uk_syscall_user_rsp:
    .skip 8

    .section .note.GNU-stack, "", @progbits
