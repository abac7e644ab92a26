/* SYSCALL entry and the one way back to the application.
 *
 * On hardware KVM, SYSCALL enters LSTAR at CPL0 (CS/SS from STAR); on kvm-pvm
 * it stays at CPL3, where the kernel runs too (README "Platforms"). Either
 * way SYSCALL leaves RSP = the user's RSP (no stack switch), RCX = the return
 * RIP and R11 = the user's RFLAGS; FMASK has cleared DF/TF/AC/NT (and IF at
 * CPL0). We never touch the user stack (its 128-byte red zone stays intact):
 * the user RSP goes to the CPU-local block, we switch to the running task's
 * kernel stack (CPU_KSTACK_TOP) and build a user frame at its top (layout
 * mirrored by SyscallFrame.swift, lowest address first), whose top is an
 * interrupt frame:
 *   r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi rip cs rflags rsp ss
 * The frame is 20 words at a 16-byte-aligned stack top, so the call into
 * Swift is aligned. The dispatcher stores the result into the frame's rax
 * slot; it may block the task and run others meanwhile (each task has its own
 * kernel stack). Return: uk_return_to_user restores the GPRs and leaves
 * through RETURN_TO_USER (registers.inc): iretq from CPL0, or popfq + exact
 * user RSP + jump at CPL3. For a plain syscall RCX = RIP and R11 = RFLAGS, as
 * Linux's SYSRET leaves them; signal delivery and rt_sigreturn rewrite the
 * whole frame (every register, RIP, RSP, RFLAGS).
 */
#include "registers.inc"

    .text
    .globl uk_syscall_entry
    .type uk_syscall_entry, @function
uk_syscall_entry:
    movq %rsp, uk_cpu+CPU_USER_RSP(%rip)
    movq uk_cpu+CPU_KSTACK_TOP(%rip), %rsp
    pushq $USER_DS                    /* ss */
    pushq uk_cpu+CPU_USER_RSP(%rip)   /* rsp */
    pushq %r11                        /* rflags */
    pushq $USER_CS                    /* cs */
    pushq %rcx                        /* rip */
uk_syscall_common:
    PUSH_GPRS
    movq %rsp, %rdi
    movzbl uk_cpu+CPU_VIA_STUB(%rip), %esi
    movb $0, uk_cpu+CPU_VIA_STUB(%rip)
    call uk_syscall_dispatch
    jmp uk_return_to_user
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
    movq %rsp, uk_cpu+CPU_USER_RSP(%rip)
    movq uk_cpu+CPU_KSTACK_TOP(%rip), %rsp
    pushq $USER_DS                    /* ss */
    pushq uk_cpu+CPU_USER_RSP(%rip)   /* rsp */
    pushfq                            /* rflags */
    movq (%rsp), %r11
    testl $0x44500, %r11d             /* AC, NT, DF or TF set? (rare) */
    jz 1f
    pushq $0x202
    popfq
1:  pushq $USER_CS                    /* cs */
    pushq %rcx                        /* rip */
    movb $1, uk_cpu+CPU_VIA_STUB(%rip)
    jmp uk_syscall_common
    .size uk_syscall_stub_entry, . - uk_syscall_stub_entry

    .globl uk_syscall_stub_entry_address
    .type uk_syscall_stub_entry_address, @function
uk_syscall_stub_entry_address:
    leaq uk_syscall_stub_entry(%rip), %rax
    ret
    .size uk_syscall_stub_entry_address, . - uk_syscall_stub_entry_address

/* Leaves the kernel for the user context in the frame at (%rsp) (the
 * SyscallFrame layout: GPRs, then an interrupt frame). Every path back to the
 * application ends here: syscalls, faults, interrupts and a new thread's
 * first run. */
    .globl uk_return_to_user
    .type uk_return_to_user, @function
uk_return_to_user:
    movq 15*8(%rsp), %rax             /* the frame's rip: where execution resumes */
    movq %rax, uk_cpu+CPU_RETURN_RIP(%rip)
    POP_GPRS
    RETURN_TO_USER uk_cpu+CPU_RETURN_RIP
    .size uk_return_to_user, . - uk_return_to_user

    .section .note.GNU-stack, "", @progbits
