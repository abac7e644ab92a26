/* CPU primitives the Swift kernel cannot express: the platform switch, the
 * hypercall store, CR2, CPUID, TLB, FS/GS bases, TSC and FPU state. Each is a
 * leaf function following the SysV ABI.
 *
 * The host sets the CPU up before the first instruction; the kernel then runs
 * at CPL0 on hardware KVM and at CPL3 on kvm-pvm (Platform.swift; README
 * "Platforms": there CPL0 code is emulated one instruction at a time, and
 * SYSCALL from CPL3 enters LSTAR at CPL3). Primitives that need CPL0 (invlpg,
 * the FS/GS base MSRs) check CS and, at CPL3, trap to CPL0 with a `ud2` at
 * uk_privileged_trap, which the #UD stub (exceptions.S) recognises: it
 * performs the operation and resumes after the ud2. (`int $n` from CPL3
 * raises #UD on kvm-pvm.) */
    .text

#define FUNC(name) .globl name; .type name, @function; name:

/* The platform switch the return paths read (RETURN_TO_USER, registers.inc):
 * 1 when the kernel runs at CPL0 and the application at CPL3 (hardware KVM),
 * 0 when both run at CPL3 (kvm-pvm). Set once at start-up by Platform.swift. */
    .data
    .globl uk_kernel_privileged
uk_kernel_privileged:
    .byte 0
    .text
/* void uk_set_kernel_privileged(uint8_t privileged) */
FUNC(uk_set_kernel_privileged)
    movb %dil, uk_kernel_privileged(%rip)
    ret
    .data
uk_fsgsbase:
    .byte 0
    .text
/* void uk_set_fsgsbase(uint8_t usable) */
FUNC(uk_set_fsgsbase)
    movb %dil, uk_fsgsbase(%rip)
    ret
/* uint16_t uk_read_cs(void): the current code segment selector (its low bits are the CPL). */
FUNC(uk_read_cs)
    movw %cs, %ax
    movzwl %ax, %eax
    ret

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
#define GATE_FLUSH_TLB    5

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
/* The FS/GS bases: with rdfsbase/wrfsbase where CR4.FSGSBASE allows them at the kernel's
 * privilege level (uk_fsgsbase, from UK_BOOT_FSGSBASE: a task switch costs no trap), else
 * through the MSRs. */
/* void uk_write_fs_base(uint64_t base) */
FUNC(uk_write_fs_base)
    testb $1, uk_fsgsbase(%rip)
    jz 1f
    wrfsbase %rdi
    ret
1:  PRIVILEGED GATE_WRITE_FSBASE
/* uint64_t uk_read_fs_base(void) */
FUNC(uk_read_fs_base)
    testb $1, uk_fsgsbase(%rip)
    jz 1f
    rdfsbase %rax
    ret
1:  PRIVILEGED GATE_READ_FSBASE
/* void uk_write_gs_base(uint64_t base) */
FUNC(uk_write_gs_base)
    testb $1, uk_fsgsbase(%rip)
    jz 1f
    wrgsbase %rdi
    ret
1:  PRIVILEGED GATE_WRITE_GSBASE
/* uint64_t uk_read_gs_base(void) */
FUNC(uk_read_gs_base)
    testb $1, uk_fsgsbase(%rip)
    jz 1f
    rdgsbase %rax
    ret
1:  PRIVILEGED GATE_READ_GSBASE
/* void uk_flush_tlb(void): reloads CR3 (every non-global translation). */
FUNC(uk_flush_tlb)
    PRIVILEGED GATE_FLUSH_TLB

/* The gate operations at CPL0 (called, or jumped to from the macro). Clobbers
 * RAX, RCX, RDX only. */
FUNC(uk_privileged_operation)
    cmpl $GATE_INVLPG, %eax
    jne 5f
    invlpg (%rdi)
    ret
5:  cmpl $GATE_FLUSH_TLB, %eax
    jne 2f
    movq %cr3, %rax
    movq %rax, %cr3
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

FUNC(uk_read_cr2)
    movq %cr2, %rax
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

/* uint64_t uk_xgetbv(uint32_t index): XCR `index` (unprivileged; needs CR4.OSXSAVE). */
FUNC(uk_xgetbv)
    movl %edi, %ecx
    xgetbv
    shlq $32, %rdx
    orq %rdx, %rax
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
 * x87/SSE state to and from a 512-byte, 16-byte-aligned area (signal frames
 * when XSAVE is off). Unprivileged, like the two below. */
    .text
FUNC(uk_fxsave)
    fxsave64 (%rdi)
    ret
FUNC(uk_fxrstor)
    fxrstor64 (%rdi)
    ret
/* void uk_xsave(void *area, uint64_t components) / uk_xrstor(const void *area,
 * uint64_t components): the application's extended state (x87, SSE, AVX, ...
 * as XCR0 enables) to and from a 64-byte-aligned area in the standard
 * (non-compacted) format Linux puts in signal frames. */
FUNC(uk_xsave)
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
    xsave64 (%rdi)
    ret
FUNC(uk_xrstor)
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
    xrstor64 (%rdi)
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

/* uint32_t uk_cmpxchg32(uint32_t *word, uint32_t expected, uint32_t new):
 * lock cmpxchg; returns the value the word held. */
    .text
FUNC(uk_cmpxchg32)
    movl %esi, %eax
    lock cmpxchgl %edx, (%rdi)
    ret
    .section .note.GNU-stack, "", @progbits

/* The big kernel lock and the TLB generation (KernelLock.swift, TLB.swift). */
    .data
    .balign 64
    .globl uk_big_lock
uk_big_lock: .quad 0
    .balign 64
    .globl uk_tlb_generation
uk_tlb_generation: .quad 0
    .balign 64
    .globl uk_runnable_hint
uk_runnable_hint: .quad 0
    .text
/* uint64_t uk_spin_lock_until(uint64_t *word, uint64_t deadline): takes the lock
   (test-and-test-and-set with pause), or gives up once the TSC reaches `deadline`: 1 taken,
   0 gave up. */
FUNC(uk_spin_lock_until)
1:  lock btsq $0, (%rdi)
    jnc 3f
2:  pause
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    cmpq %rsi, %rax
    jae 4f
    testq $1, (%rdi)
    jnz 2b
    jmp 1b
3:  movl $1, %eax
    ret
4:  xorl %eax, %eax
    ret
/* void uk_spin_unlock(uint64_t *word) */
FUNC(uk_spin_unlock)
    movq $0, (%rdi)
    ret
FUNC(uk_big_lock_address)
    leaq uk_big_lock(%rip), %rax
    ret
FUNC(uk_tlb_generation_address)
    leaq uk_tlb_generation(%rip), %rax
    ret
FUNC(uk_runnable_hint_address)
    leaq uk_runnable_hint(%rip), %rax
    ret
    .section .note.GNU-stack, "", @progbits

/* uint64_t uk_volatile_load(const uint64_t *word): one load the compiler cannot hoist. */
    .text
FUNC(uk_volatile_load)
    movq (%rdi), %rax
    ret
    .section .note.GNU-stack, "", @progbits

/* uint64_t uk_atomic_exchange(uint64_t *word, uint64_t value): the old value, swapped atomically. */
    .text
FUNC(uk_atomic_exchange)
    movq %rsi, %rax
    xchgq %rax, (%rdi)
    ret
    .section .note.GNU-stack, "", @progbits
