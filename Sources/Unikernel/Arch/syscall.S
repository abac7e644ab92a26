/* SYSCALL entry.
 *
 * On hardware KVM, SYSCALL enters LSTAR at CPL0 (CS/SS from STAR); on kvm-pvm
 * it stays at CPL3, where the kernel runs too (README "Platforms"). Either
 * way SYSCALL leaves RSP = the user's RSP (no stack switch), RCX = the return
 * RIP and R11 = the user's RFLAGS; FMASK has cleared DF/TF/AC/NT (and IF at
 * CPL0). We never touch the user stack (its 128-byte red zone stays intact):
 * the user RSP goes to a scratch slot, we switch to the kernel stack and build
 * a SyscallFrame there (layout mirrored by SyscallFrame.swift, lowest address
 * first), whose top is an interrupt frame:
 *   r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi rip cs rflags rsp ss
 * The Swift dispatcher stores the result into the frame's rax slot. Return:
 * restore the GPRs and RETURN_TO_USER (registers.inc): iretq from CPL0, or
 * popfq + exact user RSP + jump at CPL3. For a plain syscall RCX = RIP and
 * R11 = RFLAGS, as Linux's SYSRET leaves them; signal delivery and
 * rt_sigreturn rewrite the whole frame (every register, RIP, RSP, RFLAGS).
 */
#include "registers.inc"

    .text
    .globl uk_syscall_entry
    .type uk_syscall_entry, @function
uk_syscall_entry:
    movq %rsp, uk_syscall_user_rsp(%rip)
    leaq uk_kernel_stack_top(%rip), %rsp
    pushq $USER_DS                    /* ss */
    pushq uk_syscall_user_rsp(%rip)   /* rsp */
    pushq %r11                        /* rflags */
    pushq $USER_CS                    /* cs */
    pushq %rcx                        /* rip */
uk_syscall_common:
    PUSH_GPRS
    movq %rsp, %rdi
    movzbl uk_syscall_via_stub(%rip), %esi
    movb $0, uk_syscall_via_stub(%rip)
    movq %rsp, %rbx
    andq $-16, %rsp
    call uk_syscall_dispatch
    movq %rbx, %rsp
    movq 15*8(%rsp), %rax             /* the frame's rip: where execution resumes */
    movq %rax, uk_syscall_return_rip(%rip)
    POP_GPRS
    RETURN_TO_USER uk_syscall_return_rip
    .size uk_syscall_entry, . - uk_syscall_entry

/* Entry from a patched syscall site (SyscallPatcher.swift): the site's stub
 * has done what the displaced instruction did (RAX = the number), set RCX to
 * the address after the site's SYSCALL and jumped here through R11. We get
 * here by plain jumps at CPL3, so we do by hand what SYSCALL does: R11 = the
 * caller's RFLAGS (nothing on the way here changes flags), DF/TF/AC/NT
 * cleared for the kernel when set (popfq only then), and the frame marked so the dispatcher does not
 * count the call as a trapped one. Only kvm-pvm rewrites sites (Platform.swift). The user stack is never touched. */
    .globl uk_syscall_stub_entry
    .type uk_syscall_stub_entry, @function
uk_syscall_stub_entry:
    movq %rsp, uk_syscall_user_rsp(%rip)
    leaq uk_kernel_stack_top(%rip), %rsp
    pushq $USER_DS                    /* ss */
    pushq uk_syscall_user_rsp(%rip)   /* rsp */
    pushfq                            /* rflags */
    movq (%rsp), %r11
    testl $0x44500, %r11d             /* AC, NT, DF or TF set? (rare) */
    jz 1f
    pushq $0x202
    popfq
1:  pushq $USER_CS                    /* cs */
    pushq %rcx                        /* rip */
    movb $1, uk_syscall_via_stub(%rip)
    jmp uk_syscall_common
    .size uk_syscall_stub_entry, . - uk_syscall_stub_entry

    .globl uk_syscall_stub_entry_address
    .type uk_syscall_stub_entry_address, @function
uk_syscall_stub_entry_address:
    leaq uk_syscall_stub_entry(%rip), %rax
    ret
    .size uk_syscall_stub_entry_address, . - uk_syscall_stub_entry_address

    .bss
    .balign 8
    .globl uk_syscall_user_rsp
uk_syscall_user_rsp:
    .skip 8
uk_syscall_return_rip:
    .skip 8
    /* 1 from uk_syscall_stub_entry until the dispatcher is called (its second argument). */
uk_syscall_via_stub:
    .skip 8

    .section .note.GNU-stack, "", @progbits
