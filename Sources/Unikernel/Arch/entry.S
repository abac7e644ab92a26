/* Kernel entry, kernel stack and the jump into the application.
 *
 * The hypervisor enters uk_entry in 64-bit mode with RDI = the boot-info
 * pointer (direct map) and no stack. We switch to uk_kernel_stack_top (also
 * the syscall stack: once the application runs, the boot frames are dead)
 * and call the Swift kmain, which never returns.
 */
    .section .text.entry, "ax"
    .globl uk_entry
    .type uk_entry, @function
uk_entry:
    cli
    cld
    leaq uk_kernel_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call uk_kmain
1:  hlt
    jmp 1b
    .size uk_entry, . - uk_entry

/* Entry when the host prepared the CPU (UK_BOOT_CPU_PREPARED): at CPL3,
 * descriptor tables, control registers and MSRs already set; RDI = boot info. */
    .globl uk_entry_prepared
    .type uk_entry_prepared, @function
uk_entry_prepared:
    leaq uk_kernel_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call uk_kmain_prepared
1:  pause
    jmp 1b
    .size uk_entry_prepared, . - uk_entry_prepared

    .text
/* void uk_enter_application(uint64_t entry, uint64_t rsp)
 * Start the application as Linux does: every GPR zero (incl. RDX),
 * RFLAGS = 0x202, RSP = its initial stack. Runs at CPL3 like the application,
 * so no privilege changes: nothing is written to the application stack,
 * flags are loaded on the kernel stack with popfq and only flag-neutral
 * `mov`/`jmp` follow. */
    .globl uk_enter_application
    .type uk_enter_application, @function
uk_enter_application:
    movq %rdi, uk_app_entry(%rip)
    movq %rsi, uk_app_rsp(%rip)
    call uk_zero_registers
    pushq $0x202
    popfq
    movq uk_app_rsp(%rip), %rsp
    jmp *uk_app_entry(%rip)
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
uk_app_rsp:   .quad 0

    .bss
    .balign 4096
    .globl uk_kernel_stack_bottom
uk_kernel_stack_bottom:
    .skip 65536
    .globl uk_kernel_stack_top
uk_kernel_stack_top:

    .section .note.GNU-stack, "", @progbits

/* Kernel .bss areas the Swift kernel needs at fixed, physically contiguous
 * addresses below 4 GiB (the image is loaded contiguously at
 * UK_KERNEL_PHYS_BASE): the hypercall parameter page and the I/O bounce
 * buffer. Swift reaches them through the address functions below. */
    .bss
    .balign 4096
uk_hypercall_area:
    .skip 4096
uk_bounce_buffer:
    .skip 65536

    .text
    .globl uk_hypercall_area_address
    .type uk_hypercall_area_address, @function
uk_hypercall_area_address:
    leaq uk_hypercall_area(%rip), %rax
    ret
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

