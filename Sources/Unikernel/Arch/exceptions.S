/* Exception stubs for vectors 0-31.
 *
 * Every stub is 16 bytes apart from uk_exception_stubs so the IDT builder
 * computes its address as base + 16 * vector. Stubs run on IST stacks (never
 * the application's stack, whose red zone may be live). A stub pushes a zero
 * error code when the CPU does not, then the vector, then the common path
 * saves the GPRs, giving an ExceptionFrame (ExceptionFrame.swift), lowest
 * address first:
 *   r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
 *   vector error_code rip cs rflags rsp ss
 * uk_exception_dispatch returns only when it handled the fault (demand
 * paging); we then resume the interrupted instruction with iretq.
 */
#include "registers.inc"

    .text
    .balign 16
    .globl uk_exception_stubs
uk_exception_stubs:
.macro STUB vector, has_error
    .balign 16
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vector
    /* NMI, #DF, #MC and the tick need the checks at the top of the common path; every other
     * vector skips them (on kvm-pvm each CPL0 instruction is emulated, ~1-4 us: an
     * application page fault now runs ~26 of them, 34 before). */
    .if \vector == 2 || \vector == 8 || \vector == 18 || \vector == TIMER_VECTOR
    jmp uk_exception_common
    .else
    jmp uk_exception_ordinary
    .endif
.endm
    STUB 0, 0
    STUB 1, 0
    STUB 2, 0
    STUB 3, 0
    STUB 4, 0
    STUB 5, 0
    .balign 16
    jmp uk_invalid_opcode
    STUB 7, 0
    STUB 8, 1
    STUB 9, 0
    STUB 10, 1
    STUB 11, 1
    STUB 12, 1
    STUB 13, 1
    STUB 14, 1
    STUB 15, 0
    STUB 16, 0
    STUB 17, 1
    STUB 18, 0
    STUB 19, 0
    STUB 20, 0
    STUB 21, 1
    STUB 22, 0
    STUB 23, 0
    STUB 24, 0
    STUB 25, 0
    STUB 26, 0
    STUB 27, 0
    STUB 28, 0
    STUB 29, 1
    STUB 30, 1
    STUB 31, 0
    STUB TIMER_VECTOR, 0

/* Entered through the rewritten interrupt frame of uk_exception_common with
 * every GPR as at the exception: at CPL3 on kvm-pvm (RFLAGS as at the
 * exception too), at CPL0 with interrupts off on hardware KVM. %rsp is the
 * top of the running task's kernel stack for an exception in the application
 * (or, on kvm-pvm, the CPU's fault stack for one in the kernel itself). Builds
 * a user frame there from the CPU's fault record, exactly as the syscall
 * entry does (SyscallFrame layout), lets Swift handle the exception (demand
 * paging, a signal handler, the scheduler's tick, or a crash report that
 * never returns) and leaves through uk_return_to_user: the interrupted
 * instruction, a signal handler, or (after a task switch and back) the
 * same place later. */
uk_user_fault_entry:
    pushq $USER_DS                            /* ss */
    pushq uk_cpu+CPU_FAULT+32(%rip)           /* rsp */
    pushq uk_cpu+CPU_FAULT+24(%rip)           /* rflags */
    pushq $USER_CS                            /* cs */
    pushq uk_cpu+CPU_FAULT+16(%rip)           /* rip */
    PUSH_GPRS
    cld
    movq %rsp, %rdi
    leaq uk_cpu+CPU_FAULT(%rip), %rsi
    call uk_user_exception                    /* the stack is 16-byte aligned here */
    jmp uk_return_to_user

    .bss
    .balign 16
uk_fault_stack:
    .skip 16384
uk_fault_stack_top:
    .text

/* #UD: either the kernel's privileged trap (cpu.S: perform the operation,
 * resume after the 2-byte ud2) or a real invalid opcode. #UD pushes no error
 * code, so the faulting RIP is at 0(%rsp). */
uk_invalid_opcode:
    pushq %rax
    leaq uk_privileged_trap(%rip), %rax
    cmpq %rax, 8(%rsp)
    popq %rax
    jne 1f
    call uk_privileged_operation
    addq $2, (%rsp)
    iretq
1:  pushq $0
    pushq $6
    jmp uk_exception_common

/* Stack on entry: vector, error code, then the CPU's RIP, CS, RFLAGS, RSP, SS.
 * The scheduler's tick (TIMER_VECTOR, also another vCPU's kick) first reloads CR3 when a
 * TLB shootdown is pending (TLB.swift). A tick that lands in the kernel (only on
 * kvm-pvm, where the kernel runs at CPL3 with interrupts on) just asks for a
 * reschedule on the way back to the application (CPU_NEED_RESCHED).
 * Any other exception at CPL3 (the application, or on kvm-pvm the kernel
 * after start-up) and a tick in the application are handed to
 * uk_user_fault_entry: the CPU's fault record gets CR2, the error code, the
 * vector and the interrupted RIP, RFLAGS and RSP, and the interrupt frame is
 * rewritten to "return" into the trampoline with every GPR unchanged, on the
 * running task's kernel stack (the CPU's fault stack for a fault in the
 * kernel). On kvm-pvm the trampoline runs at CPL3, where Swift runs natively,
 * instead of in this CPL0 context (emulated there, ~1 us per instruction); on
 * hardware KVM it runs at CPL0 (kernel selectors, interrupts off), since
 * kernel pages are supervisor-only there.
 * NMI, #DF and #MC, and exceptions at CPL0, take the CPL0 path. */
    .balign 16
uk_exception_common:
    cmpq $TIMER_VECTOR, (%rsp)
    jne 3f
    /* A tick (or a kick) first catches up with the TLB generation: a shootdown waits for it. */
    pushq %rax
    movq uk_tlb_generation(%rip), %rax
    cmpq %rax, uk_cpu+CPU_TLB_SEEN(%rip)
    je 6f
    pushq %rdx
    movq %cr3, %rdx
    movq %rdx, %cr3
    movq %rax, uk_cpu+CPU_TLB_SEEN(%rip)
    popq %rdx
6:  popq %rax
    testb $3, 24(%rsp)
    jz 4f                                 /* a tick at CPL0: in the kernel */
    cmpl $0, 20(%rsp)                     /* rip in the upper half: the kernel at CPL3 */
    jge 3f
4:  movb $1, uk_cpu+CPU_NEED_RESCHED(%rip)
    addq $16, %rsp
    iretq
3:  cmpq $2, (%rsp)
    je 2f
    cmpq $8, (%rsp)
    je 2f
    cmpq $18, (%rsp)
    je 2f
/* Any vector but NMI, #DF, #MC and the tick (their stubs jump here directly). */
uk_exception_ordinary:
    testb $3, 24(%rsp)
    jz 2f
    pushq %rax
    movq %cr2, %rax
    movq %rax, uk_cpu+CPU_FAULT+0(%rip)   /* address */
    movq 16(%rsp), %rax
    movq %rax, uk_cpu+CPU_FAULT+8(%rip)   /* error code */
    movq 24(%rsp), %rax
    movq %rax, uk_cpu+CPU_FAULT+16(%rip)  /* rip */
    movq 40(%rsp), %rax
    movq %rax, uk_cpu+CPU_FAULT+24(%rip)  /* rflags */
    movq 48(%rsp), %rax
    movq %rax, uk_cpu+CPU_FAULT+32(%rip)  /* rsp */
    movq 8(%rsp), %rax
    movq %rax, uk_cpu+CPU_FAULT+40(%rip)  /* vector */
    leaq uk_user_fault_entry(%rip), %rax
    movq %rax, 24(%rsp)                   /* new rip */
    movq uk_cpu+CPU_KSTACK_TOP(%rip), %rax
    cmpl $0, uk_cpu+CPU_FAULT+20(%rip)    /* faulting rip in the upper half: the kernel (kvm-pvm) */
    jge 5f
    leaq uk_fault_stack_top(%rip), %rax
5:  movq %rax, 48(%rsp)                   /* new rsp */
    testb $1, uk_kernel_privileged(%rip)
    jz 1f
    movq $KERNEL_CS, 32(%rsp)             /* stay at CPL0 */
    movq $2, 40(%rsp)                     /* interrupts off, no trap flag */
    movq $KERNEL_DS, 56(%rsp)
1:  popq %rax
    addq $16, %rsp                        /* drop vector and error code */
    iretq
2:  PUSH_GPRS
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call uk_exception_dispatch
    movq %rbx, %rsp
    POP_GPRS
    addq $16, %rsp        /* vector, error code */
    iretq

/* uint64_t uk_exception_stubs_base(void) */
    .globl uk_exception_stubs_base
    .type uk_exception_stubs_base, @function
uk_exception_stubs_base:
    leaq uk_exception_stubs(%rip), %rax
    ret

/* uint64_t uk_syscall_entry_address(void) */
    .globl uk_syscall_entry_address
    .type uk_syscall_entry_address, @function
uk_syscall_entry_address:
    leaq uk_syscall_entry(%rip), %rax
    ret

    .section .note.GNU-stack, "", @progbits
