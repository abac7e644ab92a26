// Checks that a program cannot touch the kernel's memory: a read from and a write to the
// kernel's code at the start of the top 2 GiB of the address space (where Linux, and this
// kernel, keep kernel code and data; the write aims at start-up code, dead once a program
// runs, so that a kernel that fails this check is not corrupted by it) each
// end in SIGSEGV with SEGV_MAPERR and si_addr = the address, caught by a handler that
// siglongjmps out; the program then goes on as usual.
// conformance-libcs: musl glibc
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;
static volatile void *fault_address;
static volatile int fault_code;

static void segv(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)context;
    fault_address = info->si_addr;
    fault_code = info->si_code;
    siglongjmp(env, 1);
}

static void report(const char *what, volatile unsigned long *target) {
    printf("%s %p: SIGSEGV, si_code %s, si_addr %s\n", what, (void *)target,
           fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
           fault_address == (void *)target ? "the address" : "elsewhere");
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);

    volatile unsigned long *kernel_text = (volatile unsigned long *)0xffffffff80200000UL;
    volatile unsigned long *kernel_code = (volatile unsigned long *)0xffffffff80200008UL;
    if (sigsetjmp(env, 1) == 0) {
        unsigned long value = *kernel_text;
        printf("read %p: no fault (%s)\n", (void *)kernel_text, value ? "non-zero" : "zero");
    } else {
        report("read", kernel_text);
    }
    if (sigsetjmp(env, 1) == 0) {
        *kernel_code = 0x5a5a5a5a5a5a5a5aUL;
        printf("write %p: no fault\n", (void *)kernel_code);
    } else {
        report("write", kernel_code);
    }
    printf("still running\n");
    return 0;
}
