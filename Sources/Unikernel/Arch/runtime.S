/* What the Embedded Swift runtime and compiler-generated code call:
 * memcpy/memset/memmove with `rep movsb`/`rep stosb` (a Swift byte loop
 * would be turned back into a memset call), and posix_memalign/free
 * trampolines into the Swift kernel heap (Swift may not @_cdecl these
 * reserved names). Kernel code runs with DF = 0 (FMASK clears DF on
 * SYSCALL, the exception path executes cld). */
    .text
#define FUNC(name) .globl name; .type name, @function; name:

/* void *memcpy(void *dst, const void *src, size_t n) */
FUNC(memcpy)
    movq %rdi, %rax
    movq %rdx, %rcx
    rep movsb
    ret

/* void *memset(void *dst, int c, size_t n) */
FUNC(memset)
    movq %rdi, %r9
    movl %esi, %eax
    movq %rdx, %rcx
    rep stosb
    movq %r9, %rax
    ret

/* void *memmove(void *dst, const void *src, size_t n) */
FUNC(memmove)
    movq %rdi, %rax
    movq %rdx, %rcx
    cmpq %rsi, %rdi
    jbe 1f
    leaq -1(%rsi,%rdx), %rsi
    leaq -1(%rdi,%rdx), %rdi
    std
    rep movsb
    cld
    ret
1:  rep movsb
    ret

/* int posix_memalign(void **out, size_t alignment, size_t size) */
FUNC(posix_memalign)
    jmp uk_heap_posix_memalign

/* void free(void *pointer) */
FUNC(free)
    jmp uk_heap_free

    .section .note.GNU-stack, "", @progbits
