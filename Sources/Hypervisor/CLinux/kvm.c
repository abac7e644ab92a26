#define _GNU_SOURCE
#include "clinux_kvm.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/time.h>
#include <poll.h>
#include <time.h>
#include <sys/syscall.h>

int ckvm_ioctl_ptr(int fd, unsigned long request, void *argument) {
    return ioctl(fd, request, argument);
}

int ckvm_ioctl_value(int fd, unsigned long request, unsigned long argument) {
    return ioctl(fd, request, argument);
}

uint32_t ckvm_run_exit_reason(const struct kvm_run *run) {
    return run->exit_reason;
}

void ckvm_run_io(const struct kvm_run *run, uint8_t *direction, uint8_t *size,
                 uint16_t *port, uint32_t *count, uint64_t *data_offset) {
    *direction = run->io.direction;
    *size = run->io.size;
    *port = run->io.port;
    *count = run->io.count;
    *data_offset = run->io.data_offset;
}

uint64_t ckvm_run_fail_entry_reason(const struct kvm_run *run) {
    return run->fail_entry.hardware_entry_failure_reason;
}

uint32_t ckvm_run_internal_suberror(const struct kvm_run *run) {
    return run->internal.suberror;
}

void ckvm_run_mmio(const struct kvm_run *run, uint64_t *address, uint8_t *is_write, uint32_t *length, uint64_t *data) {
    *address = run->mmio.phys_addr;
    *is_write = run->mmio.is_write;
    *length = run->mmio.len;
    uint64_t value = 0;
    uint32_t count = run->mmio.len <= 8 ? run->mmio.len : 8;
    memcpy(&value, run->mmio.data, count);
    *data = value;
}

static struct kvm_run *volatile signal_run;
static volatile sig_atomic_t pending_signal;
static pthread_t vcpu_thread;

static void on_signal(int signo) {
    pending_signal = signo;
    struct kvm_run *run = signal_run;
    if (run) {
        run->immediate_exit = 1;
    }
    /* A process-directed signal may land on another thread: kick the vCPU
       thread out of KVM_RUN too (pthread_kill is async-signal-safe). */
    if (!pthread_equal(pthread_self(), vcpu_thread)) {
        pthread_kill(vcpu_thread, signo);
    }
}

/* The scheduler's tick: a one-shot CLOCK_MONOTONIC timer signalling the vCPU thread. */
static volatile sig_atomic_t tick_pending;
static timer_t tick_timer;
static int tick_timer_created;

static int tick_signal(void) { return SIGRTMIN + 1; }

static void on_tick(int signo) {
    (void)signo;
    tick_pending = 1;
    struct kvm_run *run = signal_run;
    if (run) {
        run->immediate_exit = 1;
    }
}

int ckvm_install_signal_handlers(struct kvm_run *run) {
    signal_run = run;
    vcpu_thread = pthread_self();
    struct sigaction tick;
    memset(&tick, 0, sizeof tick);
    tick.sa_handler = on_tick;
    sigemptyset(&tick.sa_mask);
    if (sigaction(tick_signal(), &tick, NULL) != 0) {
        return -1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return EINTR */
    int signals[] = { SIGALRM, SIGINT, SIGTERM };
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) {
            return -1;
        }
    }
    /* The parent may have spawned us with these signals blocked (a blocked
       mask is inherited across exec): the run loop depends on them. */
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, tick_signal());
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaddset(&unblock, signals[i]);
    }
    return pthread_sigmask(SIG_UNBLOCK, &unblock, NULL) == 0 ? 0 : -1;
}

int ckvm_take_pending_signal(void) {
    int signo = pending_signal;
    pending_signal = 0;
    return signo;
}

void ckvm_clear_immediate_exit(struct kvm_run *run) {
    run->immediate_exit = 0;
}

int ckvm_take_tick(void) {
    int pending = tick_pending;
    tick_pending = 0;
    return pending;
}

int ckvm_arm_tick(uint64_t nanoseconds) {
    if (!tick_timer_created) {
        if (nanoseconds == 0) {
            return 0;
        }
        struct sigevent event;
        memset(&event, 0, sizeof event);
        event.sigev_notify = SIGEV_THREAD_ID;
        event.sigev_signo = tick_signal();
        event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        if (timer_create(CLOCK_MONOTONIC, &event, &tick_timer) != 0) {
            return -1;
        }
        tick_timer_created = 1;
    }
    struct itimerspec when;
    memset(&when, 0, sizeof when);
    when.it_value.tv_sec = (time_t)(nanoseconds / 1000000000u);
    when.it_value.tv_nsec = (long)(nanoseconds % 1000000000u);
    return timer_settime(tick_timer, 0, &when, NULL);
}

void ckvm_idle(uint64_t timeout_ns) {
    /* Block the runner's signals, check, then wait with them unblocked in one step
       (ppoll), so a signal between the check and the wait cannot be lost. */
    sigset_t block, previous;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, tick_signal());
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    if (!tick_pending && !pending_signal) {
        sigset_t during = previous;
        sigdelset(&during, SIGALRM);
        sigdelset(&during, SIGINT);
        sigdelset(&during, SIGTERM);
        sigdelset(&during, tick_signal());
        struct timespec limit = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
        ppoll(NULL, 0, timeout_ns == UINT64_MAX ? NULL : &limit, &during);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

int ckvm_inject_interrupt(int vcpu_fd, struct kvm_run *run, uint32_t vector) {
    if (run->ready_for_interrupt_injection && run->if_flag) {
        struct kvm_interrupt interrupt = { .irq = vector };
        if (ioctl(vcpu_fd, KVM_INTERRUPT, &interrupt) == 0) {
            run->request_interrupt_window = 0;
            return 1;
        }
    }
    run->request_interrupt_window = 1;
    return 0;
}

int ckvm_arm_timeout(uint64_t milliseconds) {
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    timer.it_value.tv_sec = (time_t)(milliseconds / 1000);
    timer.it_value.tv_usec = (suseconds_t)((milliseconds % 1000) * 1000);
    return setitimer(ITIMER_REAL, &timer, NULL);
}

int ckvm_set_xcr0(int vcpu_fd, uint64_t value) {
    struct kvm_xcrs xcrs;
    memset(&xcrs, 0, sizeof xcrs);
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = value;
    return ioctl(vcpu_fd, KVM_SET_XCRS, &xcrs);
}

void ckvm_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    out[0] = a; out[1] = b; out[2] = c; out[3] = d;
}

uint64_t ckvm_host_xcr0(void) {
    uint32_t regs[4];
    ckvm_host_cpuid(1, 0, regs);
    if (!(regs[2] & (1u << 27))) {  /* OSXSAVE: xgetbv would fault without it */
        return 0;
    }
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

uint64_t ckvm_host_hwcap(void) {
    /* Not getauxval(AT_HWCAP): glibc replaces that value on x86-64 with its own bits. */
    int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    uint64_t pair[2];
    uint64_t value = 0;
    while (read(fd, pair, sizeof pair) == (ssize_t)sizeof pair && pair[0] != AT_NULL) {
        if (pair[0] == AT_HWCAP) {
            value = pair[1];
            break;
        }
    }
    close(fd);
    return value;
}

int ckvm_set_msrs(int vcpu_fd, const uint32_t *indices, const uint64_t *values, uint32_t count) {
    union {
        struct kvm_msrs header;
        unsigned char bytes[sizeof(struct kvm_msrs) + 16 * sizeof(struct kvm_msr_entry)];
    } msrs;
    if (count > 16) {
        return -1;
    }
    memset(&msrs, 0, sizeof msrs);
    msrs.header.nmsrs = count;
    for (uint32_t i = 0; i < count; i++) {
        msrs.header.entries[i].index = indices[i];
        msrs.header.entries[i].data = values[i];
    }
    return ioctl(vcpu_fd, KVM_SET_MSRS, &msrs);
}
