#define _GNU_SOURCE
#include "clinux_kvm.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
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

/* Signals of the run loop. Each vCPU thread registers its kvm_run; a handler sets that
   thread's immediate_exit so that a signal can never be lost between a check and the next
   KVM_RUN. SIGALRM (timeout) is the runner's: recorded process-wide
   and forwarded to every vCPU thread as a kick. The tick (a per-thread timer) and the kick
   (another vCPU's UK_HC_KICK, or a stop) are per thread.

   Kicks name threads by kernel thread id and go through the raw tgkill, never pthread_kill:
   pthread_kill takes the target's internal lock, which a fork copies as it was. A child
   forked while another thread of the parent was kicking the forking thread would inherit
   that lock held, and its first kick of its own main thread would wait forever. tgkill is
   also safe in a signal handler. */
#define CKVM_MAX_THREADS 64
static pid_t vcpu_threads[CKVM_MAX_THREADS];
static volatile int vcpu_thread_count;
static pthread_mutex_t vcpu_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t pending_signal;

static __thread struct kvm_run *volatile thread_run;
static __thread volatile sig_atomic_t thread_tick;
static __thread volatile sig_atomic_t thread_kicked;
static __thread timer_t thread_timer;
static __thread int thread_timer_created;

static int tick_signal(void) { return SIGRTMIN + 1; }
static int kick_signal(void) { return SIGRTMIN + 2; }
/* The host's PR_SET_PDEATHSIG signal while the guest asked for one the runner must not act
   on itself (every signal but SIGKILL and SIGSTOP): see ckvm_set_parent_death_signal. */
static int parent_death_notice(void) { return SIGRTMIN + 3; }

static void stop_thread_run(void) {
    struct kvm_run *run = thread_run;
    if (run) {
        run->immediate_exit = 1;
    }
}

pid_t ckvm_current_thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

int ckvm_kick_thread(pid_t thread) {
    return syscall(SYS_tgkill, getpid(), thread, kick_signal()) == 0 ? 0 : -1;
}

/* A process-directed signal lands on one thread: kick every other vCPU thread out of KVM_RUN. */
static void kick_other_vcpu_threads(void) {
    pid_t me = ckvm_current_thread_id();
    int count = vcpu_thread_count;
    for (int i = 0; i < count; i++) {
        if (vcpu_threads[i] != me) {
            ckvm_kick_thread(vcpu_threads[i]);
        }
    }
}

static void on_signal(int signo) {
    pending_signal = signo;
    stop_thread_run();
    kick_other_vcpu_threads();
}

/* Signals forwarded to the guest (bit n-1 = signal n), taken by ckvm_take_forwarded. */
static volatile uint64_t forwarded_mask;

static volatile uint64_t forwarded_senders[65];
static void on_forwarded(int signo);

static void on_forwarded_info(int signo, siginfo_t *info, void *context) {
    (void)context;
    if (signo > 0 && signo <= 64 && info != NULL && info->si_code == SI_USER) {
        forwarded_senders[signo] = (uint64_t)(uint32_t)info->si_pid | (uint64_t)info->si_uid << 32;
    } else if (signo == SIGCHLD && info != NULL && info->si_code >= CLD_EXITED && info->si_code <= CLD_CONTINUED) {
        /* A child changed state: which one and how, for the guest's SIGCHLD (UK_CHILD_EVENT). */
        forwarded_senders[signo] = (1ull << 63) | (uint64_t)(uint32_t)info->si_pid
            | (uint64_t)(uint32_t)info->si_code << 32 | (uint64_t)(info->si_status & 0xFF) << 40;
    } else if (signo > 0 && signo <= 64) {
        forwarded_senders[signo] = 0;
    }
    on_forwarded(signo);
}

static void on_forwarded(int signo) {
    __atomic_fetch_or(&forwarded_mask, 1ull << (signo - 1), __ATOMIC_SEQ_CST);
    stop_thread_run();
    kick_other_vcpu_threads();
}

/* The signals another process may send the guest: forwarded, not acted on by the runner.
   SIGINT and SIGTERM among them, as when the program runs directly: its handler runs, or its
   kernel ends it by the signal's default action (Machine.takeSignals stops a guest whose
   kernel never took the previous one). */
static const int forwarded_signals[] = { SIGCHLD, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT, SIGURG,
                                         SIGTSTP, SIGTTIN, SIGTTOU, SIGINT, SIGTERM };

static void on_tick(int signo) {
    (void)signo;
    thread_tick = 1;
    stop_thread_run();
}

static void on_kick(int signo) {
    (void)signo;
    thread_kicked = 1;
    stop_thread_run();
}

static int install_flags(int signo, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return sigaction(signo, &action, NULL);
}

static int install_info(int signo, void (*handler)(int, siginfo_t *, void *)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO;
    return sigaction(signo, &action, NULL);
}

static int install(int signo, void (*handler)(int)) {
    /* no SA_RESTART: KVM_RUN and ppoll must return EINTR */
    return install_flags(signo, handler, 0);
}

/* The signals the run loop acts on: the runner's, the tick and the kick. */
static void run_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGALRM);
    sigaddset(set, tick_signal());
    sigaddset(set, kick_signal());
    sigaddset(set, parent_death_notice());
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
        sigaddset(set, forwarded_signals[i]);
    }
}

static int unblock_run_signals(void) {
    /* The parent may have spawned us with these signals blocked (a blocked mask is
       inherited across exec and by new threads): the run loop depends on them. */
    sigset_t unblock;
    run_signals(&unblock);
    return pthread_sigmask(SIG_UNBLOCK, &unblock, NULL) == 0 ? 0 : -1;
}

int ckvm_install_signal_handlers(struct kvm_run *run) {
    if (install(tick_signal(), on_tick) != 0 || install(kick_signal(), on_kick) != 0) {
        return -1;
    }
    if (install(SIGALRM, on_signal) != 0) {
        return -1;
    }
    /* No SA_RESTART either: a blocking host read the guest asked for returns EINTR, so that
       the guest's kernel decides whether the signal interrupts the guest's call
       (ckvm_interrupt_wanted; host calls retry EINTR otherwise). */
    for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
        if (install_info(forwarded_signals[i], on_forwarded_info) != 0) {
            return -1;
        }
    }
    /* A write to a pipe without readers is EPIPE for the guest, whose kernel sends SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    return ckvm_register_vcpu_thread(run);
}

int ckvm_register_vcpu_thread(struct kvm_run *run) {
    pthread_mutex_lock(&vcpu_threads_lock);
    int count = vcpu_thread_count;
    if (count < CKVM_MAX_THREADS) {
        vcpu_threads[count] = ckvm_current_thread_id();
        vcpu_thread_count = count + 1;
    }
    pthread_mutex_unlock(&vcpu_threads_lock);
    thread_run = run;
    return count < CKVM_MAX_THREADS ? unblock_run_signals() : -1;
}

void ckvm_unregister_vcpu_thread(void) {
    /* Quiet the thread's timer; it stays in the kick list (kicking a finished thread is harmless
       only while it exists, so the list is cleared by the owner after joining). */
    if (thread_timer_created) {
        timer_delete(thread_timer);
        thread_timer_created = 0;
    }
    thread_run = NULL;
}

void ckvm_forget_vcpu_threads(void) {
    pthread_mutex_lock(&vcpu_threads_lock);
    vcpu_thread_count = 0;
    pthread_mutex_unlock(&vcpu_threads_lock);
}

int ckvm_take_pending_signal(void) {
    return pending_signal;
}

int ckvm_take_kick(void) {
    int kicked = thread_kicked;
    thread_kicked = 0;
    return kicked;
}

void ckvm_clear_immediate_exit(struct kvm_run *run) {
    run->immediate_exit = 0;
}

int ckvm_take_tick(void) {
    int pending = thread_tick;
    thread_tick = 0;
    return pending;
}

int ckvm_arm_tick(uint64_t nanoseconds) {
    if (!thread_timer_created) {
        if (nanoseconds == 0) {
            return 0;
        }
        struct sigevent event;
        memset(&event, 0, sizeof event);
        event.sigev_notify = SIGEV_THREAD_ID;
        event.sigev_signo = tick_signal();
        event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
        if (timer_create(CLOCK_MONOTONIC, &event, &thread_timer) != 0) {
            return -1;
        }
        thread_timer_created = 1;
    }
    struct itimerspec when;
    memset(&when, 0, sizeof when);
    when.it_value.tv_sec = (time_t)(nanoseconds / 1000000000u);
    when.it_value.tv_nsec = (long)(nanoseconds % 1000000000u);
    return timer_settime(thread_timer, 0, &when, NULL);
}

void ckvm_idle(uint64_t timeout_ns) {
    if (timeout_ns == 0) {
        /* A yield: nothing else to run in the guest, so other host processes may run. */
        sched_yield();
        return;
    }
    /* Block the run loop's signals, check, then wait with them unblocked in one step
       (ppoll), so a signal between the check and the wait cannot be lost. */
    sigset_t block, previous;
    run_signals(&block);
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    if (!thread_tick && !thread_kicked && !pending_signal && !forwarded_mask) {
        sigset_t during = previous;
        for (int signo = 1; signo < NSIG; signo++) {
            if (sigismember(&block, signo) == 1) sigdelset(&during, signo);
        }
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

uint64_t ckvm_host_auxv(uint64_t type) {
    /* Not getauxval: glibc replaces AT_HWCAP on x86-64 with its own bits. */
    int fd = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    /* The whole vector in as few reads as it takes (it is a few hundred bytes): one read,
     * not one per pair, at every start. */
    uint64_t pairs[128][2];
    size_t filled = 0;
    while (filled < sizeof pairs) {
        ssize_t count = read(fd, (char *)pairs + filled, sizeof pairs - filled);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            break;
        }
        filled += (size_t)count;
    }
    close(fd);
    for (size_t i = 0; i < filled / sizeof pairs[0] && pairs[i][0] != AT_NULL; i++) {
        if (pairs[i][0] == type) {
            return pairs[i][1];
        }
    }
    return 0;
}

uint64_t ckvm_host_hwcap(void) {
    return ckvm_host_auxv(AT_HWCAP);
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

int ckvm_usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        return 1;
    }
    return CPU_COUNT(&set);
}

uint64_t ckvm_take_forwarded(void) {
    return __atomic_exchange_n(&forwarded_mask, 0, __ATOMIC_SEQ_CST);
}

void ckvm_atomic_or64(uint64_t *word, uint64_t bits) {
    __atomic_fetch_or(word, bits, __ATOMIC_SEQ_CST);
}

/* The runner's parent, followed with the host's PR_SET_PDEATHSIG. The host keeps a process's
   pdeath_signal as Linux does (cleared in a forked child, kept across execve), and sends it
   whenever the thread that forked the runner ends, while the guest's parent is the whole
   parent runner. So the host value is always the notice signal, armed for every runner
   (ckvm_track_parent), and a notice counts only once the runner has a new parent (getppid()
   is no longer the sender: the parent's last thread is gone), once per parent; a notice from
   any other sender is no parent's death and is dropped. A counted notice asks the run loop to
   give the guest its new parent (ckvm_take_parent_change), and becomes the guest's own
   PR_SET_PDEATHSIG signal when it set one, sent by the parent that died (Linux sends it as
   SI_USER from the exiting parent). The notice is never the guest's signal itself: the
   runner acts on some signals itself (SIGALRM, its tick and kick). */
static volatile int parent_death_signal;
static volatile pid_t parent_death_parent;
static volatile sig_atomic_t parent_changed;
static volatile int parent_tracked;

static void on_parent_death(int signo, siginfo_t *info, void *context) {
    (void)signo;
    (void)context;
    if (info == NULL || info->si_code != SI_USER || info->si_pid != parent_death_parent) {
        return;
    }
    pid_t parent = getppid();
    if (parent == parent_death_parent) {
        return;  /* one thread of the parent runner ended; the parent lives on */
    }
    /* Reparented: the next parent's death notifies again, as on Linux. */
    parent_death_parent = parent;
    parent_changed = 1;
    int guest = parent_death_signal;
    if (guest > 0 && guest <= 64) {
        forwarded_senders[guest] = (uint64_t)(uint32_t)info->si_pid | (uint64_t)info->si_uid << 32;
        on_forwarded(guest);
    } else {
        stop_thread_run();
        kick_other_vcpu_threads();
    }
}

int ckvm_track_parent(void) {
    parent_death_parent = getppid();
    if (install_info(parent_death_notice(), on_parent_death) != 0
        || prctl(PR_SET_PDEATHSIG, (unsigned long)parent_death_notice()) != 0) {
        return -errno;
    }
    parent_tracked = 1;
    /* A parent that died before the notice was armed sent nothing: look once. */
    if (getppid() != parent_death_parent) {
        parent_death_parent = getppid();
        parent_changed = 1;
    }
    return 0;
}

int ckvm_take_parent_change(void) {
    int changed = parent_changed;
    parent_changed = 0;
    return changed;
}

int ckvm_set_parent_death_signal(int signo) {
    if (signo < 0 || signo > 64) {
        return -EINVAL;
    }
    if (!parent_tracked) {
        int error = ckvm_track_parent();
        if (error != 0) {
            return error;
        }
    }
    parent_death_signal = signo;
    return 0;
}

int ckvm_parent_death_signal(void) {
    int host = 0;
    if (prctl(PR_GET_PDEATHSIG, (unsigned long)&host) != 0) {
        return 0;
    }
    return host == parent_death_notice() ? parent_death_signal : host;
}

void ckvm_reset_after_fork(void) {
    /* Only the forking thread exists in the child: no vCPU threads, no tick timer (timers are
       not inherited), nothing pending. */
    vcpu_thread_count = 0;
    pthread_mutex_init(&vcpu_threads_lock, NULL);
    pending_signal = 0;
    thread_run = NULL;
    thread_tick = 0;
    thread_kicked = 0;
    thread_timer_created = 0;
    /* The host kernel cleared the child's pdeath_signal (and Linux the guest's): follow the
       new parent, the forking runner. */
    parent_death_signal = 0;
    parent_changed = 0;
    ckvm_track_parent();
}

int ckvm_interrupt_wanted(void) {
    return forwarded_mask != 0 || pending_signal != 0;
}

void ckvm_stop_self(int signo) {
    if (signo != SIGSTOP && signo != SIGTSTP && signo != SIGTTIN && signo != SIGTTOU) {
        return;
    }
    /* The runner catches SIGTSTP, SIGTTIN and SIGTTOU for the guest: their default action,
       for as long as the stop lasts. The signal is sent to this thread (a vCPU thread, which
       does not block it), so the thread takes it on its way back from tgkill, while the
       default action is in place, and stops the whole process there: this call returns once
       the process is continued, or at once when the host discards the stop (an orphaned
       process group). */
    if (signo != SIGSTOP) {
        install_flags(signo, SIG_DFL, 0);
    }
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), signo);
    if (signo != SIGSTOP) {
        install_info(signo, on_forwarded_info);
    }
}

uint64_t ckvm_forwarded_sender(int signo) {
    return signo > 0 && signo <= 64 ? forwarded_senders[signo] : 0;
}
