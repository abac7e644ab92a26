/* Kernel entry, kernel stack and the jump into the application.
 *
 * The hypervisor puts the CPU in its final state before the first
 * instruction (descriptor tables, control registers, XCR0, MSRs: the boot
 * protocol in unikernel_abi.h, UK_BOOT_CPU_PREPARED) and enters uk_entry,
 * the ELF entry, in 64-bit mode with RDI = the boot-info pointer (direct map)
 * and no stack: at CPL0 on hardware KVM, at CPL3 on kvm-pvm (Platform.swift).
 * We switch to uk_kernel_stack_top (the boot stack, which becomes the first
 * task's kernel stack: once the application runs, the boot frames are dead)
 * and call the Swift kmain, which never returns.
 */
#include "registers.inc"

    .section .text.entry, "ax"
    .globl uk_entry
    .type uk_entry, @function
uk_entry:
    leaq uk_kernel_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call uk_kmain
1:  pause
    jmp 1b
    .size uk_entry, . - uk_entry

    .text
/* void uk_enter_application(uint64_t entry, uint64_t rsp)
 * Start the application as Linux does: every GPR zero (incl. RDX),
 * RFLAGS = 0x202, RSP = its initial stack, at CPL3: an interrupt frame on the
 * kernel stack, left through RETURN_TO_USER (iretq from CPL0; at CPL3 popfq
 * and a jump, writing nothing to the application stack). */
    .globl uk_enter_application
    .type uk_enter_application, @function
uk_enter_application:
    movq %rdi, uk_app_entry(%rip)
    pushq $USER_DS                    /* ss */
    pushq %rsi                        /* rsp */
    pushq $0x202                      /* rflags */
    pushq $USER_CS                    /* cs */
    pushq %rdi                        /* rip */
    call uk_zero_registers
    RETURN_TO_USER uk_app_entry
    .size uk_enter_application, . - uk_enter_application

/* Every GPR but RSP = 0 (flags are loaded afterwards by the caller). */
uk_zero_registers:
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    ret

    .data
    .balign 8
uk_app_entry: .quad 0

/* void uk_switch_stack(uint64_t *save, uint64_t next)
 * The context switch: pushes the callee-saved registers on the current
 * kernel stack, stores the stack pointer to *save, loads `next` (a stack
 * pointer some earlier uk_switch_stack saved, or one Task prepared for a new
 * task) and pops that task's callee-saved registers: the `ret` returns into
 * the other task's own call of uk_switch_stack (or into uk_task_first_entry). */
    .text
    .globl uk_switch_stack
    .type uk_switch_stack, @function
uk_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size uk_switch_stack, . - uk_switch_stack

/* A new task's first switch returns here, %rsp at the user frame Task built
 * at the top of its kernel stack (a copy of its creator's, RAX = 0). Swift
 * finishes the switch (uk_task_started), then the task leaves for user mode. */
    .globl uk_task_first_entry
    .type uk_task_first_entry, @function
uk_task_first_entry:
    movq %rsp, %rdi
    call uk_task_started
    jmp uk_return_to_user
    .size uk_task_first_entry, . - uk_task_first_entry

/* The idle task's first switch returns here (on its own stack): Swift's idle
 * loop, which never returns. */
    .globl uk_idle_first_entry
    .type uk_idle_first_entry, @function
uk_idle_first_entry:
    call uk_idle_loop
1:  pause
    jmp 1b
    .size uk_idle_first_entry, . - uk_idle_first_entry

    .globl uk_task_first_entry_address
    .type uk_task_first_entry_address, @function
uk_task_first_entry_address:
    leaq uk_task_first_entry(%rip), %rax
    ret
    .globl uk_idle_first_entry_address
    .type uk_idle_first_entry_address, @function
uk_idle_first_entry_address:
    leaq uk_idle_first_entry(%rip), %rax
    ret

/* The CPU-local page: at the same address on every vCPU, a different page on each. */
    .text
    .globl uk_cpu_local_address
    .type uk_cpu_local_address, @function
uk_cpu_local_address:
    leaq uk_cpu(%rip), %rax
    ret

/* A secondary vCPU starts here (UK_HC_START_CPU) at the top of the kernel stack its idle
 * task keeps, RDI = that stack's base; it never returns. */
    .globl uk_secondary_entry
    .type uk_secondary_entry, @function
uk_secondary_entry:
    xorl %ebp, %ebp
    call uk_secondary_main
1:  pause
    jmp 1b
    .size uk_secondary_entry, . - uk_secondary_entry
    .globl uk_secondary_entry_address
    .type uk_secondary_entry_address, @function
uk_secondary_entry_address:
    leaq uk_secondary_entry(%rip), %rax
    ret

/* A forked child's vCPU 0 starts here (UK_PROC_FORK) at the top of a kernel stack the parent
 * allocated for it, RDI = that stack's base, RSI = the child's pid; it never returns. */
    .globl uk_fork_child_entry
    .type uk_fork_child_entry, @function
uk_fork_child_entry:
    xorl %ebp, %ebp
    call uk_fork_child_main
1:  pause
    jmp 1b
    .size uk_fork_child_entry, . - uk_fork_child_entry
    .globl uk_fork_child_entry_address
    .type uk_fork_child_entry_address, @function
uk_fork_child_entry_address:
    leaq uk_fork_child_entry(%rip), %rax
    ret

/* Signals the host forwards to the process (bit n-1 = signal n), set by the host with an
 * atomic OR and taken by HostSignals.swift with an atomic exchange. */
    .data
    .balign 64
    .globl uk_host_signals
uk_host_signals: .quad 0
/* Who sent each forwarded signal (index n-1 for signal n): pid | uid << 32, written by the
 * host before it sets the signal's bit. */
    .balign 64
    .globl uk_host_signal_senders
uk_host_signal_senders: .skip 64 * 8
    .text
    .globl uk_host_signals_address
    .type uk_host_signals_address, @function
uk_host_signals_address:
    leaq uk_host_signals(%rip), %rax
    ret
    .globl uk_host_signal_senders_address
    .type uk_host_signal_senders_address, @function
uk_host_signal_senders_address:
    leaq uk_host_signal_senders(%rip), %rax
    ret

    .bss
    .balign 4096
    .globl uk_kernel_stack_bottom
uk_kernel_stack_bottom:
    .skip 65536
    .globl uk_kernel_stack_top
uk_kernel_stack_top:

    .section .note.GNU-stack, "", @progbits

/* The kernel's addresses the host needs at every start, as an ELF note (PT_NOTE, kernel.ld)
 * the host reads instead of searching the symbol table: name "Unikernel", type
 * UK_NOTE_KERNEL_SYMBOLS, and the five words of struct uk_kernel_symbols_note
 * (unikernel_abi.h), in that order. */
    .section .note.unikernel, "a", @note
    .balign 8
    .long 10                /* n_namesz: "Unikernel" and its NUL */
    .long 5 * 8             /* n_descsz */
    .long 1                 /* n_type: UK_NOTE_KERNEL_SYMBOLS */
    .asciz "Unikernel"
    .balign 4
    .quad uk_exception_stubs
    .quad uk_syscall_entry
    .quad uk_kernel_stack_top
    .quad uk_host_signals
    .quad uk_host_signal_senders

/* The I/O bounce buffer: a kernel .bss area at a fixed, physically contiguous address
 * below 4 GiB (the image is loaded contiguously at UK_KERNEL_PHYS_BASE), used under the
 * kernel lock. Swift reaches it through the address function below. (Each vCPU's
 * hypercall parameter blocks are in its CPU-local page.) */
    .bss
    .balign 4096
uk_bounce_buffer:
    .skip 65536

    .text
    .globl uk_kernel_stack_top_address
    .type uk_kernel_stack_top_address, @function
uk_kernel_stack_top_address:
    leaq uk_kernel_stack_top(%rip), %rax
    ret
    .globl uk_bounce_buffer_address
    .type uk_bounce_buffer_address, @function
uk_bounce_buffer_address:
    leaq uk_bounce_buffer(%rip), %rax
    ret
    .section .note.GNU-stack, "", @progbits

