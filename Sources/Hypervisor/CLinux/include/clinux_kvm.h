/*
 * clinux_kvm.h: the KVM half of the small C shim between Swift and Linux.
 *
 * Swift cannot import <linux/kvm.h>'s ioctl numbers (function-like macros),
 * cannot call the variadic ioctl(2), and cannot name kvm_run's anonymous
 * union members portably; this header exposes exactly those, nothing more.
 * Signal handling for the runner lives here too, because a handler must only
 * touch async-signal-safe state.
 */
#ifndef CLINUX_KVM_H
#define CLINUX_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <sys/types.h>
#include <stdint.h>
#include <stddef.h>

/* ioctl numbers, one per KVM call the hypervisor makes. */
static const unsigned long CKVM_GET_API_VERSION = KVM_GET_API_VERSION;
static const unsigned long CKVM_CREATE_VM = KVM_CREATE_VM;
static const unsigned long CKVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
static const unsigned long CKVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;
static const unsigned long CKVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
static const unsigned long CKVM_SET_TSS_ADDR = KVM_SET_TSS_ADDR;
static const unsigned long CKVM_CREATE_VCPU = KVM_CREATE_VCPU;
static const unsigned long CKVM_RUN = KVM_RUN;
static const unsigned long CKVM_GET_REGS = KVM_GET_REGS;
static const unsigned long CKVM_SET_REGS = KVM_SET_REGS;
static const unsigned long CKVM_GET_SREGS = KVM_GET_SREGS;
static const unsigned long CKVM_SET_SREGS = KVM_SET_SREGS;
static const unsigned long CKVM_SET_CPUID2 = KVM_SET_CPUID2;
static const unsigned long CKVM_GET_TSC_KHZ = KVM_GET_TSC_KHZ;
static const unsigned long CKVM_GET_FPU = KVM_GET_FPU;
static const unsigned long CKVM_SET_MSRS = KVM_SET_MSRS;
static const unsigned long CKVM_GET_MSRS = KVM_GET_MSRS;
static const unsigned long CKVM_SET_FPU = KVM_SET_FPU;
static const int CKVM_API_VERSION = KVM_API_VERSION;
static const int CKVM_MAX_CPUID_ENTRIES = 256;

/* ioctl(2) with a pointer argument and with an integer argument. */
int ckvm_ioctl_ptr(int fd, unsigned long request, void *argument);
int ckvm_ioctl_value(int fd, unsigned long request, unsigned long argument);

/* Sets up to 16 MSRs in one KVM_SET_MSRS; returns how many were set, or -1. */
int ckvm_set_msrs(int vcpu_fd, const uint32_t *indices, const uint64_t *values, uint32_t count);

/* Sets XCR0 (KVM_SET_XCRS); returns the ioctl's result. */
int ckvm_set_xcr0(int vcpu_fd, uint64_t value);

/* The host CPU as this process sees it: CPUID leaf/subleaf into out[0..3]
   (eax, ebx, ecx, edx), and XCR0 (what Linux enabled for processes; 0 when
   the host has not enabled XSAVE). */
void ckvm_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
uint64_t ckvm_host_xcr0(void);
/* AT_HWCAP as the host kernel gave it to this process (from /proc/self/auxv; 0 if unreadable). */
uint64_t ckvm_host_hwcap(void);
/* The host kernel's auxiliary-vector entry `type` for this process (0 when absent). */
uint64_t ckvm_host_auxv(uint64_t type);

/* kvm_run decoding. */
uint32_t ckvm_run_exit_reason(const struct kvm_run *run);
/* KVM_EXIT_IO: direction (KVM_EXIT_IO_IN/OUT), access size, port, count,
   and the offset of the data within the kvm_run mapping. */
void ckvm_run_io(const struct kvm_run *run, uint8_t *direction, uint8_t *size,
                 uint16_t *port, uint32_t *count, uint64_t *data_offset);
/* KVM_EXIT_FAIL_ENTRY: the hardware's reason. */
uint64_t ckvm_run_fail_entry_reason(const struct kvm_run *run);
/* KVM_EXIT_INTERNAL_ERROR: the suberror. */
uint32_t ckvm_run_internal_suberror(const struct kvm_run *run);
/* KVM_EXIT_MMIO: address, whether it was a write, its length and (for writes)
   the data, little-endian, zero-extended to 64 bits. */
void ckvm_run_mmio(const struct kvm_run *run, uint64_t *address, uint8_t *is_write, uint32_t *length, uint64_t *data);

/* Run-loop signals. ckvm_install_signal_handlers installs the handlers (once) and
   registers the calling thread as vCPU thread with its kvm_run; further vCPU threads call
   ckvm_register_vcpu_thread. SIGALRM (timeout) sets the registered
   thread's kvm_run.immediate_exit so a signal can never be lost between a check and the next
   KVM_RUN, and kick every other vCPU thread; the last such signal is reported by
   ckvm_take_pending_signal() (0 when none). A kick (ckvm_kick_thread, by the kernel thread id
   ckvm_current_thread_id gave that thread) does the same for one thread and is reported once
   by ckvm_take_kick(). */
int ckvm_install_signal_handlers(struct kvm_run *run);
int ckvm_register_vcpu_thread(struct kvm_run *run);
void ckvm_unregister_vcpu_thread(void);
void ckvm_forget_vcpu_threads(void);
pid_t ckvm_current_thread_id(void);
int ckvm_kick_thread(pid_t thread);
int ckvm_take_pending_signal(void);
int ckvm_take_kick(void);
void ckvm_clear_immediate_exit(struct kvm_run *run);

/* Signals sent to the runner by other processes (SIGCHLD, SIGUSR1, SIGUSR2, SIGHUP, SIGQUIT,
   SIGWINCH, SIGCONT, SIGURG, SIGTSTP, SIGTTIN, SIGTTOU, SIGINT and SIGTERM) are for the guest:
   recorded (bit n-1 = signal n) and taken once by ckvm_take_forwarded(). */
uint64_t ckvm_take_forwarded(void);
/* Stops the runner process with job-control signal `signo` (SIGSTOP, SIGTSTP, SIGTTIN,
   SIGTTOU) at its default action; returns once the process is continued (or the host
   discarded the stop). */
void ckvm_stop_self(int signo);
/* Who sent forwarded signal `signo` last (kill from another process): pid | uid << 32; 0 otherwise. */
uint64_t ckvm_forwarded_sender(int signo);
/* Whether a signal for the guest (forwarded) or for the runner (stop) is pending: a blocking
   host call that a signal interrupted (EINTR) returns then, and is retried otherwise. */
int ckvm_interrupt_wanted(void);
/* An atomic OR into a word the guest shares (uk_host_signals). */
void ckvm_atomic_or64(uint64_t *word, uint64_t bits);
/* prctl(PR_SET_PDEATHSIG, signo) for the guest (0..64, else -EINVAL): the signal is forwarded
   to the guest once the runner's parent process has died, with that parent as its sender.
   Returns 0 or -errno. */
int ckvm_set_parent_death_signal(int signo);
/* The guest's parent-death signal as the host kernel keeps it (0: none): what a runner
   started by another program inherits from it. */
int ckvm_parent_death_signal(void);
/* Follows the runner's parent (the host's pdeath notice, kvm.c): from now on a reparenting
   is reported once by ckvm_take_parent_change(). Returns 0 or -errno. */
int ckvm_track_parent(void);
int ckvm_take_parent_change(void);
/* In a forked child: forgets the parent's vCPU threads, timers and pending signals. */
void ckvm_reset_after_fork(void);

/* Arms a one-shot real-time timer that raises SIGALRM after `milliseconds`. */
int ckvm_arm_timeout(uint64_t milliseconds);

/* The scheduler's tick: arms (nanoseconds > 0) or disarms the calling vCPU thread's
   one-shot CLOCK_MONOTONIC timer; its signal sets immediate_exit and is reported once by
   ckvm_take_tick(). Returns 0 or -1 (errno). */
int ckvm_arm_tick(uint64_t nanoseconds);
int ckvm_take_tick(void);
/* Parks the calling thread until `timeout_ns` (UINT64_MAX: none) or a runner signal, tick
   or kick, without losing one that arrives meanwhile. */
void ckvm_idle(uint64_t timeout_ns);
/* Injects external interrupt `vector` if the guest can take it now (1); otherwise asks
   KVM to exit when it can (request_interrupt_window) and returns 0. */
int ckvm_inject_interrupt(int vcpu_fd, struct kvm_run *run, uint32_t vector);

/* The CPUs this process may run on (sched_getaffinity), as nproc counts them. */
int ckvm_usable_cpus(void);

#endif
