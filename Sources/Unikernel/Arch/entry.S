/* Kernel entry, kernel stack and the jump into the application.
 *
 * The hypervisor puts the CPU in its final state before the first
 * instruction (descriptor tables, control registers, XCR0, MSRs: the boot
 * protocol in unikernel_abi.h, UK_BOOT_CPU_PREPARED) and enters uk_entry,
 * the ELF entry, in 64-bit mode with RDI = the boot-info pointer (direct map)
 * and no stack: at CPL0 on hardware KVM, at CPL3 on kvm-pvm (Platform.swift).
 * We switch to uk_kernel_stack_top (also the syscall stack: once the
 * application runs, the boot frames are dead) and call the Swift kmain,
 * which never returns.
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

