/* CPU primitives the Swift kernel cannot express: the hypercall store,
 * control registers, MSRs, CPUID, XCR0, descriptor-table loads, TLB and
 * FPU state, and the privilege switches. Each is a leaf function following
 * the SysV ABI.
 *
 * The kernel starts at CPL0 and continues at CPL3 once the CPU is set up
 * (see README "Platform notes": on this platform CPL0 code is emulated one
 * instruction at a time, and SYSCALL from CPL3 enters LSTAR at CPL3).
 * Primitives that need CPL0 after that (invlpg, the FS/GS base MSRs) check
 * CS and, at CPL3, trap to CPL0 with a `ud2` at uk_privileged_trap, which the
 * #UD stub (exceptions.S) recognises: it performs the operation and resumes
 * after the ud2. (`int $n` from CPL3 raises #UD on this platform.) */
    .text

#define FUNC(name) .globl name; .type name, @function; name:

/* void uk_hypercall(uint64_t slot, uint64_t block_physical): the one 8-byte
 * store to the hypercall page that exits to the host (unikernel_abi.h). */
FUNC(uk_hypercall)
    movq %rsi, (%rdi)
    ret

/* Privileged-gate operations (RAX = operation, RDI = argument, result in RAX). */
#define GATE_INVLPG       0
#define GATE_WRITE_FSBASE 1
#define GATE_READ_FSBASE  2
#define GATE_WRITE_GSBASE 3
#define GATE_READ_GSBASE  4

/* Runs privileged operation \op with RDI: directly at CPL0, through the
 * ud2 trap at CPL3. */
.macro PRIVILEGED op
    movw %cs, %ax
    testb $3, %al
    movl $\op, %eax
    jz uk_privileged_operation
    jmp uk_privileged_trap
.endm

/* void uk_invlpg(uint64_t address) */
FUNC(uk_invlpg)
    PRIVILEGED GATE_INVLPG
/* void uk_write_fs_base(uint64_t base) */
FUNC(uk_write_fs_base)
    PRIVILEGED GATE_WRITE_FSBASE
/* uint64_t uk_read_fs_base(void) */
FUNC(uk_read_fs_base)
    PRIVILEGED GATE_READ_FSBASE
/* void uk_write_gs_base(uint64_t base) */
FUNC(uk_write_gs_base)
    PRIVILEGED GATE_WRITE_GSBASE
/* uint64_t uk_read_gs_base(void) */
FUNC(uk_read_gs_base)
    PRIVILEGED GATE_READ_GSBASE

/* The gate operations at CPL0 (called, or jumped to from the macro). Clobbers
 * RAX, RCX, RDX only. */
FUNC(uk_privileged_operation)
    cmpl $GATE_INVLPG, %eax
    jne 2f
    invlpg (%rdi)
    ret
2:  movl $0xC0000100, %ecx          /* IA32_FS_BASE */
    cmpl $GATE_WRITE_GSBASE, %eax
    jb 3f
    movl $0xC0000101, %ecx          /* IA32_GS_BASE */
3:  testl $1, %eax                  /* 1, 3: write; 2, 4: read */
    jz 4f
    movl %edi, %eax
    movq %rdi, %rdx
    shrq $32, %rdx
    wrmsr
    ret
4:  rdmsr
    shlq $32, %rdx
    orq %rdx, %rax
    ret

/* The CPL3 way in: the #UD handler runs uk_privileged_operation at CPL0 and
 * resumes at the `ret`, with RAX the result and RCX, RDX clobbered
 * (caller-saved in the primitives above). */
FUNC(uk_privileged_trap)
    ud2
    ret

/* void uk_continue_at_cpl3(void): leaves CPL0 for good, continuing in
 * uk_kmain_user at CPL3 on the current stack, RFLAGS 0x202 (IF stays set
 * from here on: CPL3 code cannot change it, and the application must see it). */
FUNC(uk_continue_at_cpl3)
    movq %rsp, %rax
    andq $-16, %rax
    subq $8, %rax                   /* as if called: RSP % 16 == 8 at entry */
    pushq $0x1b                     /* SS: user data */
    pushq %rax                      /* RSP */
    pushq $0x202                    /* RFLAGS */
    pushq $0x23                     /* CS: user code, 64-bit */
    leaq uk_kmain_user(%rip), %rax
    pushq %rax                      /* RIP */
    iretq

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

/* void uk_halt_forever(void): waits for the host to end the run (after an
 * exit or crash hypercall the vCPU never resumes; hlt would fault at CPL3). */
FUNC(uk_halt_forever)
1:  pause
    jmp 1b

/* void uk_init_fpu(void): fninit (FCW 0x37F) at CPL3, right before the
 * application starts; MXCSR 0x1F80 comes from the host (KVM_SET_FPU). */
FUNC(uk_init_fpu)
    fninit
    ret

    .section .note.GNU-stack, "", @progbits

/* void uk_fxsave(void *area) / uk_fxrstor(const void *area): the application's
 * x87/SSE state to and from a 512-byte, 16-byte-aligned area (signal frames).
 * Unprivileged: runs at CPL3, where the kernel handles signals. */
    .text
FUNC(uk_fxsave)
    fxsave64 (%rdi)
    ret
FUNC(uk_fxrstor)
    fxrstor64 (%rdi)
    ret
    .section .note.GNU-stack, "", @progbits

/* uint64_t uk_rdrand(void): a hardware random number (0 when RDRAND fails 10 times). */
    .text
FUNC(uk_rdrand)
    movl $10, %ecx
1:  rdrand %rax
    jc 2f
    decl %ecx
    jnz 1b
    xorl %eax, %eax
2:  ret
    .section .note.GNU-stack, "", @progbits
