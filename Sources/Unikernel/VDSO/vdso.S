/* The vDSO: clock_gettime, gettimeofday, time and clock_getres served in the
 * application's own address space, so reading the clock never leaves the
 * guest (on this platform every syscall is a VM exit). Built as a tiny shared
 * object (vdso.ld), embedded in the kernel image (vdso_image.S) and mapped by
 * the kernel, which announces it with AT_SYSINFO_EHDR as Linux does.
 *
 * The clock data lives in the page right after the code (uk_vvar, filled by
 * the kernel, read-only here): boot_tsc, boot_realtime_ns, mult, shift;
 * nanoseconds since boot = ((rdtsc - boot_tsc) * mult) >> shift; then the
 * kernel's syscall entry for jumps (0: use `syscall`).
 */
    .text
    .hidden uk_vvar                  /* defined by vdso.ld; a local reference */

#define VVAR_BOOT_TSC      0
#define VVAR_BOOT_REALTIME 8
#define VVAR_MULT          16
#define VVAR_SHIFT         24
#define VVAR_SYSCALL_ENTRY 32

/* The syscall numbered in eax, for what is not served here. Where the kernel
 * rewrites syscall sites (kvm-pvm, where a `syscall` instruction leaves the
 * guest) it stores its stub entry in the data page, and the call jumps there
 * as a rewritten site's stub does (rcx = where it returns, r11 = the entry:
 * both are clobbered by `syscall` too); elsewhere it is a `syscall`. A restarted
 * call resumes at the `syscall` right before the return address. */
.macro KERNEL_CALL
    movq uk_vvar+VVAR_SYSCALL_ENTRY(%rip), %r11
    testq %r11, %r11
    jz 7f
    leaq 8f(%rip), %rcx
    jmp *%r11
7:  syscall
8:
.endm

/* rax <- nanoseconds since boot; clobbers rcx, rdx. */
.macro SINCE_BOOT
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq uk_vvar+VVAR_BOOT_TSC(%rip), %rax
    mulq uk_vvar+VVAR_MULT(%rip)
    movl uk_vvar+VVAR_SHIFT(%rip), %ecx
    shrdq %cl, %rdx, %rax
.endm

/* rax = nanoseconds -> (rax = seconds, rdx = nanoseconds within the second); clobbers rcx. */
.macro SPLIT_SECONDS
    xorl %edx, %edx
    movl $1000000000, %ecx
    divq %rcx
.endm

/* int clock_gettime(clockid_t id, struct timespec *ts) */
    .globl __vdso_clock_gettime
    .type __vdso_clock_gettime, @function
__vdso_clock_gettime:
    cmpl $11, %edi
    ja 9f
    movl $1, %eax
    movl %edi, %ecx
    shll %cl, %eax
    testl $0x8e3, %eax               /* REALTIME 0, MONOTONIC 1, MONOTONIC_RAW 4, REALTIME_COARSE 5,
                                        MONOTONIC_COARSE 6, BOOTTIME 7, TAI 11 */
    jz 9f
    movl %edi, %r8d
    SINCE_BOOT
    movl $1, %r9d
    movl %r8d, %ecx
    shll %cl, %r9d
    testl $0x821, %r9d               /* REALTIME, REALTIME_COARSE, TAI: add the epoch offset */
    jz 1f
    addq uk_vvar+VVAR_BOOT_REALTIME(%rip), %rax
1:  SPLIT_SECONDS
    movq %rax, (%rsi)
    movq %rdx, 8(%rsi)
    xorl %eax, %eax
    ret
9:  movl $228, %eax                  /* other clocks: the real syscall */
    KERNEL_CALL
    ret
    .size __vdso_clock_gettime, . - __vdso_clock_gettime

/* int gettimeofday(struct timeval *tv, struct timezone *tz) */
    .globl __vdso_gettimeofday
    .type __vdso_gettimeofday, @function
__vdso_gettimeofday:
    testq %rdi, %rdi
    jz 1f
    SINCE_BOOT
    addq uk_vvar+VVAR_BOOT_REALTIME(%rip), %rax
    SPLIT_SECONDS
    movq %rax, (%rdi)
    movq %rdx, %rax
    xorl %edx, %edx
    movl $1000, %ecx
    divq %rcx
    movq %rax, 8(%rdi)
1:  testq %rsi, %rsi
    jz 2f
    movq $0, (%rsi)
2:  xorl %eax, %eax
    ret
    .size __vdso_gettimeofday, . - __vdso_gettimeofday

/* time_t time(time_t *t) */
    .globl __vdso_time
    .type __vdso_time, @function
__vdso_time:
    SINCE_BOOT
    addq uk_vvar+VVAR_BOOT_REALTIME(%rip), %rax
    SPLIT_SECONDS
    testq %rdi, %rdi
    jz 1f
    movq %rax, (%rdi)
1:  ret
    .size __vdso_time, . - __vdso_time

/* int getcpu(unsigned *cpu, unsigned *node, void *cache): the getcpu system call (309):
 * only the kernel knows which vCPU the thread runs on. */
    .globl __vdso_getcpu
    .type __vdso_getcpu, @function
__vdso_getcpu:
    movl $309, %eax
    KERNEL_CALL
    ret
    .size __vdso_getcpu, . - __vdso_getcpu

/* int clock_getres(clockid_t id, struct timespec *res): 1 ns for the clocks
 * served here (what the kernel's clock_getres answers too), the real syscall
 * for the others. */
    .globl __vdso_clock_getres
    .type __vdso_clock_getres, @function
__vdso_clock_getres:
    cmpl $11, %edi
    ja 9f
    movl $1, %eax
    movl %edi, %ecx
    shll %cl, %eax
    testl $0x8e3, %eax               /* the clocks __vdso_clock_gettime serves */
    jz 9f
    testq %rsi, %rsi
    jz 1f
    movq $0, (%rsi)
    movq $1, 8(%rsi)
1:  xorl %eax, %eax
    ret
9:  movl $229, %eax
    KERNEL_CALL
    ret
    .size __vdso_clock_getres, . - __vdso_clock_getres

    /* Linux also exports the unprefixed names, as weak aliases. */
    .weak clock_gettime, gettimeofday, time, getcpu, clock_getres
    .set clock_gettime, __vdso_clock_gettime
    .set gettimeofday, __vdso_gettimeofday
    .set time, __vdso_time
    .set getcpu, __vdso_getcpu
    .set clock_getres, __vdso_clock_getres

    .section .note.GNU-stack, "", @progbits
