// Checks that a signal handler cannot disturb the AVX state of the code it interrupted: all
// 256 bits of %ymm0-%ymm15 hold known values across a signal (raised by raw getpid + kill
// syscalls, so no libc code runs in between) whose handler overwrites every ymm register;
// and that the handler's ucontext describes an XSAVE frame as Linux writes it
// (FP_XSTATE_MAGIC1 in the FXSAVE area's software bytes, AVX among the saved components, the
// extended size matching CPUID's XSAVE size, FP_XSTATE_MAGIC2 after the image). Without AVX
// (CPUID or XCR0), it says so, as native does.
// conformance-libcs: musl glibc
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static uint8_t before[16][32] __attribute__((aligned(32)));
static uint8_t after[16][32] __attribute__((aligned(32)));
static volatile int handled;
static volatile int xsave_magic, avx_saved, size_matches, magic2_present;
static uint32_t xsave_size;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int avx_usable(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28))) return 0;  /* OSXSAVE, AVX */
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    cpuid(0xD, 0, r);
    xsave_size = r[1];
    return 1;
}

static void handler(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)info;
    /* Overwrite every ymm register: all ones. */
    __asm__ volatile(
        "vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n vmovdqa %%ymm0, %%ymm1\n vmovdqa %%ymm0, %%ymm2\n"
        "vmovdqa %%ymm0, %%ymm3\n vmovdqa %%ymm0, %%ymm4\n vmovdqa %%ymm0, %%ymm5\n"
        "vmovdqa %%ymm0, %%ymm6\n vmovdqa %%ymm0, %%ymm7\n vmovdqa %%ymm0, %%ymm8\n"
        "vmovdqa %%ymm0, %%ymm9\n vmovdqa %%ymm0, %%ymm10\n vmovdqa %%ymm0, %%ymm11\n"
        "vmovdqa %%ymm0, %%ymm12\n vmovdqa %%ymm0, %%ymm13\n vmovdqa %%ymm0, %%ymm14\n"
        "vmovdqa %%ymm0, %%ymm15\n"
        ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
            "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    ucontext_t *uc = context;
    const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
    uint32_t magic1, extended;
    uint64_t features;
    memcpy(&magic1, fp + 464, 4);
    memcpy(&extended, fp + 468, 4);
    memcpy(&features, fp + 472, 8);
    xsave_magic = magic1 == 0x46505853u;
    avx_saved = (features & 4) != 0;
    size_matches = extended == xsave_size + 4;
    uint32_t magic2 = 0;
    if (xsave_magic && extended >= 4) memcpy(&magic2, fp + extended - 4, 4);
    magic2_present = magic2 == 0x46505845u;
    handled = 1;
}

int main(void) {
    if (!avx_usable()) {
        printf("avx: not usable\n");
        return 0;
    }
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 32; b++) before[r][b] = (uint8_t)(r * 37 + b * 11 + 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);

    __asm__ volatile(
        "vmovdqa 0(%0), %%ymm0\n vmovdqa 32(%0), %%ymm1\n vmovdqa 64(%0), %%ymm2\n vmovdqa 96(%0), %%ymm3\n"
        "vmovdqa 128(%0), %%ymm4\n vmovdqa 160(%0), %%ymm5\n vmovdqa 192(%0), %%ymm6\n vmovdqa 224(%0), %%ymm7\n"
        "vmovdqa 256(%0), %%ymm8\n vmovdqa 288(%0), %%ymm9\n vmovdqa 320(%0), %%ymm10\n vmovdqa 352(%0), %%ymm11\n"
        "vmovdqa 384(%0), %%ymm12\n vmovdqa 416(%0), %%ymm13\n vmovdqa 448(%0), %%ymm14\n vmovdqa 480(%0), %%ymm15\n"
        "mov $39, %%eax\n syscall\n"            /* getpid */
        "mov %%rax, %%rdi\n mov $10, %%esi\n mov $62, %%eax\n syscall\n"  /* kill(pid, SIGUSR1) */
        "vmovdqa %%ymm0, 0(%1)\n vmovdqa %%ymm1, 32(%1)\n vmovdqa %%ymm2, 64(%1)\n vmovdqa %%ymm3, 96(%1)\n"
        "vmovdqa %%ymm4, 128(%1)\n vmovdqa %%ymm5, 160(%1)\n vmovdqa %%ymm6, 192(%1)\n vmovdqa %%ymm7, 224(%1)\n"
        "vmovdqa %%ymm8, 256(%1)\n vmovdqa %%ymm9, 288(%1)\n vmovdqa %%ymm10, 320(%1)\n vmovdqa %%ymm11, 352(%1)\n"
        "vmovdqa %%ymm12, 384(%1)\n vmovdqa %%ymm13, 416(%1)\n vmovdqa %%ymm14, 448(%1)\n vmovdqa %%ymm15, 480(%1)\n"
        "vzeroupper\n"
        : : "r"(before), "r"(after)
        : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
          "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");

    printf("handler ran: %s\n", handled ? "yes" : "no");
    int intact = 0;
    for (int r = 0; r < 16; r++) {
        int same = memcmp(before[r], after[r], 32) == 0;
        intact += same;
        if (!same) printf("ymm%d changed across the signal (upper half %s)\n", r,
                          memcmp(before[r] + 16, after[r] + 16, 16) == 0 ? "intact" : "lost");
    }
    printf("ymm registers intact after the handler: %d of 16\n", intact);
    printf("frame has FP_XSTATE_MAGIC1: %s\n", xsave_magic ? "yes" : "no");
    printf("frame saves AVX: %s\n", avx_saved ? "yes" : "no");
    printf("extended size is CPUID's XSAVE size + 4: %s\n", size_matches ? "yes" : "no");
    printf("frame has FP_XSTATE_MAGIC2: %s\n", magic2_present ? "yes" : "no");
    return 0;
}
