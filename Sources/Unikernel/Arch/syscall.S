/* SYSCALL entry.
 *
 * The application and, after start-up, the kernel both run at CPL3: on this
 * platform SYSCALL from CPL3 enters LSTAR without changing the privilege level
 * (README "Platform notes"), so this stub and the Swift dispatcher run
 * natively, and returning is a plain jump. SYSCALL leaves RSP = the user's RSP
 * (no stack switch), RCX = the return RIP and R11 = the user's RFLAGS; FMASK
 * has cleared DF/TF/AC/NT (not IF: CPL3 code could never set it again).
 * We never touch the user stack (its 128-byte red zone stays intact): the
 * user RSP goes to a scratch slot, we switch to the kernel stack and build a
 * SyscallFrame there (layout mirrored by SyscallFrame.swift, lowest address
 * first):
 *   r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi rip rflags rsp
 * The Swift dispatcher stores the result into the frame's rax slot. Return:
 * restore the GPRs, popfq the user's RFLAGS on the kernel stack, load the
 * exact user RSP and jump to the frame's RIP. For a plain syscall RCX = RIP
 * and R11 = RFLAGS, as Linux's SYSRET leaves them; signal delivery and
 * rt_sigreturn rewrite the whole frame (every register, RIP, RSP, RFLAGS).
 */
#include "registers.inc"

    .text
    .globl uk_syscall_entry
    .type uk_syscall_entry, @function
uk_syscall_entry:
    movq %rsp, uk_syscall_user_rsp(%rip)
    leaq uk_kernel_stack_top(%rip), %rsp
    pushq uk_syscall_user_rsp(%rip)   /* rsp */
    pushq %r11                        /* rflags */
    pushq %rcx                        /* rip */
    PUSH_GPRS
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call uk_syscall_dispatch
    movq %rbx, %rsp
    movq 15*8(%rsp), %rax             /* the frame's rip: where execution resumes */
    movq %rax, uk_syscall_return_rip(%rip)
    POP_GPRS
    addq $8, %rsp          /* rip: in uk_syscall_return_rip */
    popfq                  /* rflags, on the kernel stack */
    popq %rsp              /* the exact user rsp */
    jmp *uk_syscall_return_rip(%rip)
    .size uk_syscall_entry, . - uk_syscall_entry

    .bss
    .balign 8
    .globl uk_syscall_user_rsp
uk_syscall_user_rsp:
    .skip 8
uk_syscall_return_rip:
    .skip 8

    .section .note.GNU-stack, "", @progbits
