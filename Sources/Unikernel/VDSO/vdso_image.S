/* The vDSO image (built from vdso.S by the Makefile) inside the kernel's
 * read-only data, page aligned, for the kernel to map into the application. */
    .section .rodata
    .balign 4096
    .globl uk_vdso_image_start, uk_vdso_image_end
uk_vdso_image_start:
    .incbin "vdso.so"
uk_vdso_image_end:

    .text
    .globl uk_vdso_image_address
    .type uk_vdso_image_address, @function
uk_vdso_image_address:
    leaq uk_vdso_image_start(%rip), %rax
    ret
    .globl uk_vdso_image_size
    .type uk_vdso_image_size, @function
uk_vdso_image_size:
    leaq uk_vdso_image_end(%rip), %rax
    leaq uk_vdso_image_start(%rip), %rcx
    subq %rcx, %rax
    ret
    .section .note.GNU-stack, "", @progbits
