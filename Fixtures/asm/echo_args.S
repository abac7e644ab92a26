# Checks the argv and envp the program receives on its initial stack: prints
# every argv string, then a "--" line, then every envp string, one per line.
# argv[0] is the program path as given, identical natively and in the guest.
# conformance-args: first "second with spaces" '' last
# conformance-env: GREETING=hello world
# conformance-env: EMPTY=
# conformance-env: PATH=/usr/bin:/bin

    .section .rodata
newline:    .ascii "\n"
separator:  .ascii "--\n"

    .text
    .globl _start
_start:
    mov     (%rsp), %rbx            # rbx = argc
    lea     8(%rsp), %r12           # r12 = &argv[0]
print_argv:
    mov     (%r12), %rdi
    test    %rdi, %rdi
    jz      argv_done               # argv[argc] == NULL
    call    print_line
    add     $8, %r12
    jmp     print_argv
argv_done:
    mov     $1, %eax                # write(1, "--\n", 3)
    mov     $1, %edi
    lea     separator(%rip), %rsi
    mov     $3, %edx
    syscall
    add     $8, %r12                # skip the NULL: r12 = &envp[0]
print_envp:
    mov     (%r12), %rdi
    test    %rdi, %rdi
    jz      envp_done
    call    print_line
    add     $8, %r12
    jmp     print_envp
envp_done:
    mov     $231, %eax              # exit_group(0)
    xor     %edi, %edi
    syscall

# print_line(rdi = NUL-terminated string): writes the string and a newline.
print_line:
    mov     %rdi, %rsi              # rsi = string
    xor     %edx, %edx              # rdx = strlen(string)
1:  cmpb    $0, (%rsi,%rdx)
    je      2f
    inc     %rdx
    jmp     1b
2:  mov     $1, %eax                # write(1, string, length)
    mov     $1, %edi
    syscall
    mov     $1, %eax                # write(1, "\n", 1)
    mov     $1, %edi
    lea     newline(%rip), %rsi
    mov     $1, %edx
    syscall
    ret
