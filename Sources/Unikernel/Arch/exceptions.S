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
    jmp uk_exception_common
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

    .balign 16
uk_exception_common:
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
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    call uk_exception_dispatch
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
