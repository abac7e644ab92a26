/* CPU primitives the Swift kernel cannot express: port I/O for hypercalls,
 * control registers, MSRs, CPUID, XCR0, descriptor-table loads, TLB and
 * FPU/SSE state. Each is a leaf function following the SysV ABI. */
    .text

#define FUNC(name) .globl name; .type name, @function; name:

/* void uk_outl(uint16_t port, uint32_t value) */
FUNC(uk_outl)
    movl %edi, %edx
    movl %esi, %eax
    outl %eax, %dx
    ret

FUNC(uk_read_cr0)
    movq %cr0, %rax
    ret
FUNC(uk_write_cr0)
    movq %rdi, %cr0
    ret
FUNC(uk_read_cr2)
    movq %cr2, %rax
    ret
FUNC(uk_read_cr3)
    movq %cr3, %rax
    ret
FUNC(uk_read_cr4)
    movq %cr4, %rax
    ret
FUNC(uk_write_cr4)
    movq %rdi, %cr4
    ret

/* uint64_t uk_rdmsr(uint32_t msr) */
FUNC(uk_rdmsr)
    movl %edi, %ecx
    rdmsr
    shlq $32, %rdx
    orq %rdx, %rax
    ret
/* void uk_wrmsr(uint32_t msr, uint64_t value) */
FUNC(uk_wrmsr)
    movl %edi, %ecx
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
    wrmsr
    ret

/* void uk_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) : eax, ebx, ecx, edx */
FUNC(uk_cpuid)
    pushq %rbx
    movq %rdx, %r8
    movl %edi, %eax
    movl %esi, %ecx
    cpuid
    movl %eax, 0(%r8)
    movl %ebx, 4(%r8)
    movl %ecx, 8(%r8)
    movl %edx, 12(%r8)
    popq %rbx
    ret

/* uint64_t uk_xgetbv(uint32_t index) */
FUNC(uk_xgetbv)
    movl %edi, %ecx
    xgetbv
    shlq $32, %rdx
    orq %rdx, %rax
    ret
/* void uk_xsetbv(uint32_t index, uint64_t value) */
FUNC(uk_xsetbv)
    movl %edi, %ecx
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
    xsetbv
    ret

/* void uk_load_gdt(const void *pointer, uint16_t code, uint16_t data)
 * lgdt, then reload CS with a far return and the data segments. */
FUNC(uk_load_gdt)
    lgdt (%rdi)
    movw %dx, %ds
    movw %dx, %es
    movw %dx, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    movzwq %si, %rsi
    popq %rax
    pushq %rsi
    pushq %rax
    lretq

/* void uk_load_idt(const void *pointer) */
FUNC(uk_load_idt)
    lidt (%rdi)
    ret
/* void uk_load_tr(uint16_t selector) */
FUNC(uk_load_tr)
    ltr %di
    ret

/* void uk_invlpg(uint64_t address) */
FUNC(uk_invlpg)
    invlpg (%rdi)
    ret

/* uint64_t uk_rdtsc(void) */
FUNC(uk_rdtsc)
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    ret

/* void uk_pause(void) */
FUNC(uk_pause)
    pause
    ret

/* void uk_halt_forever(void) */
FUNC(uk_halt_forever)
    cli
1:  hlt
    jmp 1b

/* void uk_init_fpu(int sse): fninit (FCW 0x37F), and MXCSR = 0x1F80 when SSE is on. */
FUNC(uk_init_fpu)
    subq $8, %rsp
    fninit
1:  addq $8, %rsp
    ret

    .section .note.GNU-stack, "", @progbits
