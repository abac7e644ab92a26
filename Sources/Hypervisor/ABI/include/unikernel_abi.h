/*
 * unikernel_abi.h: the one definition of every layout shared by the hypervisor
 * (host, Swift via SwiftPM) and the unikernel (guest, Embedded Swift).
 *
 * Both sides import this header as the Clang module `UnikernelABI`; neither
 * side restates a number or an offset defined here. `abi_layout.c` pins the
 * sizes and offsets with static assertions so that a change here is deliberate.
 *
 * Boot protocol
 * -------------
 * The hypervisor enters the kernel directly in 64-bit long mode:
 *   - paging on, with a boot PML4 at `pml4_phys` that maps
 *       * all guest-physical memory at UK_DIRECT_MAP_BASE + phys (2 MiB pages, RW, NX),
 *       * guest-physical [0, UK_KERNEL_WINDOW_SIZE) at UK_KERNEL_VIRT_BASE + phys
 *         (2 MiB pages, RWX) where the kernel image is linked,
 *       * the hypercall page: UK_HYPERCALL_VIRT -> UK_HYPERCALL_MMIO_PHYS (2 MiB, RW, NX);
 *     leaves are user-accessible (U/S = 1) on kvm-pvm, where the kernel runs
 *     at CPL3, and supervisor-only with UK_BOOT_KERNEL_PRIVILEGED (hardware
 *     KVM, kernel at CPL0); see README "Platforms";
 *     the lower half (every address a Linux program may use) is left empty for
 *     the kernel to fill with the application's mappings;
 *   - CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE (the kernel enables OSFXSR, OSXMMEXCPT,
 *     OSXSAVE itself), EFER = LME|LMA|NXE (the kernel sets SCE);
 *   - a boot GDT (null, 64-bit code UK_KERNEL_CS, data UK_KERNEL_DS) at
 *     UK_GDT_PHYS, the vCPU's CPUID set from KVM_GET_SUPPORTED_CPUID;
 *   - RIP = the kernel ELF entry, RDI = UK_DIRECT_MAP_BASE + UK_BOOT_INFO_PHYS,
 *     RFLAGS = 0x2, every other register 0 (the kernel sets its own stack).
 *
 * Guest-physical memory map (all page aligned):
 *   [0, 4 KiB)                       unused
 *   UK_GDT_PHYS                      boot GDT
 *   UK_BOOT_INFO_PHYS                struct uk_boot_info
 *   UK_PAGE_TABLES_PHYS ...          boot page tables
 *   UK_KERNEL_PHYS_BASE ...          kernel image (ELF PT_LOAD segments at vaddr - UK_KERNEL_VIRT_BASE)
 *   app_image_phys ...               the application's flat image (see below)
 *   args_phys ...                    argv/envp/execfn strings, uk_segment table
 *   free_phys_start .. free_phys_end memory the kernel owns (frames for page tables, heap, stack, mmap)
 *
 * The application image is the application's whole virtual span
 * [app_image_vaddr, app_image_vaddr + app_image_size) laid out flat at
 * app_image_phys: file bytes copied, everything else zero (so .bss is zero and
 * phys % 4096 == vaddr % 4096). The kernel maps each segment's pages with the
 * segment's permissions (pages shared by two segments get the union).
 *
 * Hypercalls
 * ----------
 * A hypercall is an 8-byte store of the guest-physical address of the call's
 * parameter block to UK_HYPERCALL_VIRT + 8 * (port - UK_HC_EXIT), where `port`
 * is one of the UK_HC_* numbers below. That virtual page maps the guest-physical
 * page UK_HYPERCALL_MMIO_PHYS, which no memory backs, so the store exits to the
 * host as MMIO at any privilege level (on kvm-pvm `out` faults at CPL3, where
 * the kernel runs; see README "Platforms"). It is the only transport: an
 * access to an I/O port ends the run as a kernel failure.
 * The host validates every address and length against guest memory, performs
 * the call, and writes `result` (>= 0, or -errno with Linux's errno numbers)
 * back into the block before the vCPU resumes.
 * Host handles 0, 1 and 2 are the host process's stdin, stdout and stderr.
 */
#ifndef UNIKERNEL_ABI_H
#define UNIKERNEL_ABI_H

#include <stdint.h>

/* ---- Address space ---------------------------------------------------- */

#define UK_PAGE_SIZE            4096ULL
#define UK_DIRECT_MAP_BASE      0xffffc00000000000ULL /* clear of 0xffff8000_00000000-0xffff87ff_ffffffff, which the host reserves */
#define UK_KERNEL_VIRT_BASE     0xffffffff80000000ULL
#define UK_KERNEL_PHYS_BASE     0x200000ULL          /* 2 MiB */
#define UK_KERNEL_MAX_SIZE      0x600000ULL          /* kernel image must end below 8 MiB */

#define UK_KERNEL_WINDOW_SIZE   0x20000000ULL        /* 512 MiB mapped at UK_KERNEL_VIRT_BASE */

/* The kernel image carries the addresses the host needs at every start in an ELF note
 * (PT_NOTE; entry.S writes it): name "Unikernel", type UK_NOTE_KERNEL_SYMBOLS, this
 * descriptor. host_signals and host_signal_senders are 0 in a kernel without them. */
#define UK_NOTE_NAME            "Unikernel"
#define UK_NOTE_KERNEL_SYMBOLS  1u
struct uk_kernel_symbols_note {
    uint64_t exception_stubs;     /* uk_exception_stubs: each vCPU's IDT points into them */
    uint64_t syscall_entry;       /* uk_syscall_entry: each vCPU's LSTAR */
    uint64_t kernel_stack_top;    /* uk_kernel_stack_top: the boot stack (each vCPU's TSS) */
    uint64_t host_signals;        /* uk_host_signals */
    uint64_t host_signal_senders; /* uk_host_signal_senders */
};
#define UK_HYPERCALL_MMIO_PHYS  0x4000000000ULL      /* 256 GiB: above any guest memory */
#define UK_HYPERCALL_VIRT       0xffffffffbfe00000ULL /* UK_KERNEL_VIRT_BASE + 1 GiB - 2 MiB */
/* The top 16 MiB of the address space: the kernel maps its syscall-site stubs
 * here (Arch/SyscallPatcher.swift), in reach of a `jmp rel32` from an
 * application linked in the low 2 GiB and out of every range Linux gives a program. */
#define UK_SYSCALL_STUB_WINDOW  0xffffffffff000000ULL

#define UK_GDT_PHYS             0x1000ULL
#define UK_BOOT_INFO_PHYS       0x2000ULL
#define UK_PAGE_TABLES_PHYS     0x3000ULL
#define UK_PAGE_TABLES_END      0x100000ULL          /* boot page tables live below 1 MiB */

/* Boot GDT selectors. */
#define UK_KERNEL_CS            0x08
#define UK_KERNEL_DS            0x10

/* ---- Boot information -------------------------------------------------- */

#define UK_BOOT_MAGIC           0x554b424f4f54ULL    /* "UKBOOT" */
#define UK_BOOT_VERSION         2

/* uk_boot_info.flags: runner options and deliberate fault injection (triage tests). */
#define UK_BOOT_TRACE_SYSCALLS      (1ULL << 0)  /* report every syscall to the host */
#define UK_BOOT_NO_ASLR             (1ULL << 1)  /* fixed stack and mmap bases (as `setarch -R`) */
#define UK_BOOT_CPU_PREPARED        (1ULL << 2)  /* CPU tables and registers prepared by the host (below) */
#define UK_BOOT_NO_SYSCALL_PATCHING (1ULL << 3)  /* every syscall traps; no site becomes a jump */
#define UK_BOOT_KERNEL_PRIVILEGED   (1ULL << 4)  /* hardware KVM: the kernel runs at CPL0 with supervisor-only
                                                    pages, the application at CPL3; clear on kvm-pvm, where
                                                    both run at CPL3 (README "Platforms") */
#define UK_BOOT_FSGSBASE            (1ULL << 5)  /* rdfsbase/wrfsbase work where the kernel runs (CR4.FSGSBASE:
                                                   the guest's at CPL0, the host's at CPL3 on kvm-pvm) */
#define UK_BOOT_NO_LARGE_PAGES      (1ULL << 6)  /* anonymous memory only in 4 KiB pages (no 2 MiB pages) */
#define UK_BOOT_FAULT_MISALIGN_RSP  (1ULL << 8)  /* start the application with %rsp % 16 == 8 */
#define UK_BOOT_FAULT_NO_SSE        (1ULL << 9)  /* leave CR4.OSFXSR/OSXMMEXCPT clear */
#define UK_BOOT_FAULT_NO_FS_BASE    (1ULL << 10) /* arch_prctl(ARCH_SET_FS) succeeds without setting FS */
#define UK_BOOT_FAULT_KERNEL_TRAP   (1ULL << 11) /* the kernel executes a Swift runtime trap while serving a write (write, writev, pwrite64) */

/* One PT_LOAD segment of the application, load bias applied. */
typedef struct uk_segment {
    uint64_t vaddr;      /* p_vaddr + load bias */
    uint64_t memsz;      /* p_memsz */
    uint64_t filesz;     /* p_filesz */
    uint32_t flags;      /* p_flags: PF_X = 1, PF_W = 2, PF_R = 4 */
    uint32_t reserved;
} uk_segment;

typedef struct uk_boot_info {
    uint64_t magic;              /* UK_BOOT_MAGIC */
    uint32_t version;            /* UK_BOOT_VERSION */
    uint32_t size;               /* sizeof(struct uk_boot_info) */
    uint64_t flags;              /* UK_BOOT_* */

    /* Guest-physical memory. */
    uint64_t memory_size;        /* the most guest-physical RAM the guest may have (its limit) */
    uint64_t pml4_phys;          /* active page-table root */
    uint64_t kernel_phys_start;
    uint64_t kernel_phys_end;
    uint64_t free_phys_start;    /* first byte the kernel may allocate */
    uint64_t free_phys_end;      /* one past the last: the end of RAM at boot (UK_PROC_GROW_MEMORY adds more) */

    /* The application (virtual addresses have the load bias applied). */
    uint64_t app_entry;          /* AT_ENTRY */
    uint64_t app_load_bias;      /* 0 for ET_EXEC */
    uint64_t app_phdr_vaddr;     /* AT_PHDR, 0 if no segment maps the program headers */
    uint32_t app_phent;          /* AT_PHENT */
    uint32_t app_phnum;          /* AT_PHNUM */
    uint32_t app_elf_type;       /* ET_EXEC = 2, ET_DYN = 3 */
    uint32_t segment_count;      /* entries at segments_phys */
    uint64_t segments_phys;      /* uk_segment[segment_count] */
    uint64_t app_image_vaddr;    /* page-aligned start of the flat image */
    uint64_t app_image_phys;     /* where its bytes are */
    uint64_t app_image_size;     /* page-aligned size */

    /* Process arguments: argc strings, then envc strings, then the execfn
       string (the program path as given), then the program's absolute host
       path (what /proc/self/exe names), each NUL-terminated, packed from args_phys. */
    uint64_t args_phys;
    uint64_t args_size;
    uint32_t argc;
    uint32_t envc;

    /* AT_RANDOM: 16 bytes from the host's random source. */
    uint64_t random[2];

    /* Clock: the guest TSC runs at tsc_hz; at guest TSC value boot_tsc the
       host's CLOCK_REALTIME was boot_realtime_ns. boot_tsc == 0 means "the
       kernel's first rdtsc": the host samples the time right before the
       first KVM_RUN, so the error is the kernel's start-up time (microseconds). */
    uint64_t tsc_hz;
    uint64_t boot_tsc;
    uint64_t boot_realtime_ns;

    /* Identity the process reports (AT_UID ... and getuid()). */
    uint32_t uid, euid, gid, egid;
    uint32_t pid;
    uint32_t umask;              /* the file-mode creation mask the program starts with */

    /* Fault injection: syscalls (bit n = number n, n < 512) the kernel refuses
       with -ENOSYS as if it did not implement them. */
    uint64_t refused_syscalls[8];

    /* With UK_BOOT_CPU_PREPARED the host has already put the CPU in its final
       state and enters the kernel at uk_entry_prepared, at CPL0 with
       UK_BOOT_KERNEL_PRIVILEGED and at CPL3 without: GDT (null,
       kernel code 0x08, kernel data 0x10, user data 0x1B, user code 0x23, TSS
       0x28), TSS (RSP0 = uk_kernel_stack_top, IST1-4 in the cpu_tables area),
       IDT (vectors 0-31 and UK_TIMER_VECTOR -> uk_exception_stubs + 16 * vector,
       DPL 0, IST per vector), CR0/CR4 below, XCR0, EFER.SCE, STAR/LSTAR/FMASK, FS/GS base 0.
       On kvm-pvm nothing then runs at CPL0 (emulated there) but the exception stubs. */
    uint64_t cr0, cr4;
    uint64_t cpu_tables_phys;    /* vCPU 0's area (UK_CPU_TABLES_SIZE); vCPU n's follows at n * UK_CPU_TABLES_SIZE */

    /* AT_HWCAP as Linux gives it to a process on this host (the host kernel's view of
       CPUID.1:EDX, which can differ from what the vCPU's CPUID reports, e.g. HTT). */
    uint64_t hwcap;

    /* The vCPUs the guest may run on (--cpus): each has its area at cpu_tables_phys +
       n * UK_CPU_TABLES_SIZE and is created by the host at start; vCPU 0 runs the kernel's
       start-up, the others start when the kernel asks (UK_HC_START_CPU). */
    uint32_t cpu_count;
    uint32_t ppid;               /* getppid() (the runner's parent): the host rewrites it when a
                                    parent-death notice finds the runner reparented */

    /* After execve: what the process kept (uk_inherited_state and what follows it); size 0
       for a first program (stdin, stdout, stderr, the runner's umask, nothing blocked). */
    uint64_t inherit_phys, inherit_size;

    /* A dynamically linked program: its interpreter (PT_INTERP) is in the flat image after it
       and among the segments. interp_base is AT_BASE (0 for a static program); start_entry is
       the first instruction the application runs (the interpreter's entry, or app_entry). */
    uint64_t interp_base;
    uint64_t start_entry;
} uk_boot_info;

#define UK_IST_STACK_SIZE           0x4000ULL
#define UK_IST_COUNT                4
#define UK_MAX_CPUS                 64
/* One vCPU's area, built by the host: its IDT, TSS (and its GDT in the same page), IST
 * stacks, its CPU-local page, and the four page tables that map that page at
 * UK_CPU_LOCAL_VIRT for this vCPU only: its own PML4 (the kernel's boot PML4 with the
 * top slot pointing at its own PDPT), PDPT (the kernel's, with the kernel-window entry
 * pointing at its own PD), PD (the kernel window's, with the UK_CPU_LOCAL_VIRT entry
 * pointing at its own PT) and PT. CR3 is the vCPU's PML4; the kernel mirrors every entry
 * it adds to the boot PML4 (the application's half, its heap) into each vCPU's. */
#define UK_CPU_IDT_OFFSET           0x0ULL
#define UK_CPU_TSS_OFFSET           0x1000ULL
#define UK_CPU_GDT_OFFSET           0x1800ULL   /* in the TSS page, after the 104-byte TSS */
#define UK_CPU_IST_OFFSET           0x2000ULL
#define UK_CPU_LOCAL_OFFSET         0x12000ULL
#define UK_CPU_PML4_OFFSET          0x13000ULL
#define UK_CPU_PDPT_OFFSET          0x14000ULL
#define UK_CPU_PD_OFFSET            0x15000ULL
#define UK_CPU_PT_OFFSET            0x16000ULL
#define UK_CPU_TABLES_SIZE          0x17000ULL
/* Where each vCPU sees its own CPU-local page (the kernel's `uk_cpu`): within 2 GiB of
 * the kernel image, so the entry paths reach it RIP-relative before any register is
 * free. The host writes `cpu` and `local_phys` into each page (uk_cpu_local_header). */
#define UK_CPU_LOCAL_VIRT           0xffffffffbfc00000ULL  /* UK_HYPERCALL_VIRT - 2 MiB */
/* The CPU-local page's hypercall area (each vCPU's parameter blocks) at this offset. */
#define UK_CPU_HYPERCALL_OFFSET     0x800ULL

/* The words of the CPU-local page the host fills (the rest is the kernel's, CPULocal.swift). */
typedef struct uk_cpu_local_header {
    uint64_t words[5];       /* entry scratch, kernel stack top, return rip, flags (kernel) */
    uint64_t cpu;            /* this vCPU's index */
    uint64_t local_phys;     /* guest-physical address of this page */
} uk_cpu_local_header;

/* ---- Hypercalls ---------------------------------------------------------- */

/* Hypercall numbers (each selects an 8-byte slot of the hypercall page; the enum keeps
   the name "port" from an earlier I/O-port transport); the parameter block type is named
   after the call. */
enum uk_hypercall_port {
    UK_HC_EXIT   = 0x500,  /* uk_hc_exit: the application exited; never returns */
    UK_HC_WRITE  = 0x501,  /* uk_hc_io */
    UK_HC_READ   = 0x502,  /* uk_hc_io */
    UK_HC_OPEN   = 0x503,  /* uk_hc_open */
    UK_HC_CLOSE  = 0x504,  /* uk_hc_close */
    UK_HC_LSEEK  = 0x505,  /* uk_hc_lseek */
    UK_HC_FSTAT  = 0x506,  /* uk_hc_fstat */
    UK_HC_CRASH  = 0x507,  /* uk_hc_crash: CPU exception; never returns */
    UK_HC_PANIC  = 0x508,  /* uk_hc_panic: kernel bug; never returns */
    UK_HC_TRACE  = 0x509,  /* uk_hc_trace: one syscall, for --trace */
    UK_HC_IOCTL  = 0x50a,  /* uk_hc_ioctl: terminal queries and settings, FIONREAD, pty requests */
    UK_HC_WRITE_USER = 0x50b,  /* uk_hc_user_io: write from application memory */
    UK_HC_READ_USER  = 0x50c,  /* uk_hc_user_io: read into application memory */
    UK_HC_PATH       = 0x50d,  /* uk_hc_path: an operation on a path beneath the root */
    UK_HC_FILE       = 0x50e,  /* uk_hc_file: an operation on an open handle */
    UK_HC_FLUSH      = 0x50f,  /* uk_hc_flush: write out and clear the uk_pending_write */
    UK_HC_IDLE       = 0x510,  /* uk_hc_idle: nothing to run; park the vCPU until a deadline or an event */
    UK_HC_TIMER      = 0x511,  /* uk_hc_timer: inject UK_TIMER_VECTOR after an interval (the time slice) */
    UK_HC_START_CPU  = 0x512,  /* uk_hc_start_cpu: run a vCPU from the given state */
    UK_HC_KICK       = 0x513,  /* uk_hc_kick: inject UK_TIMER_VECTOR into other vCPUs (waking idle ones) */
    UK_HC_PROCESS    = 0x514,  /* uk_hc_process: fork, wait, kill, host pipes */
};

/* uk_hc_process.op. A guest process is a host process (the runner): fork forks it, the
 * process tree, wait statuses and signals between processes are the host's. */
enum uk_process_op {
    /* Fork the host process. The parent gets the child's pid; in the child the host builds a
     * new VM over the inherited (copy-on-write) guest memory and starts vCPU 0 in the
     * kernel's prepared state at rip = arg0 with rsp = arg1, RDI = arg2 and RSI = the
     * child's pid (the forking vCPU's call never returns there). With UK_FORK_VFORK in
     * `flags` the parent's call returns once the child has exited or exec'd; with
     * UK_FORK_SHARED_MEMORY too, the memory the child wrote until then is the parent's too, as
     * in Linux's shared mm: the child's
     * host clears the Dirty bit of every user leaf before its VM runs (so the kernel sets D
     * itself on each user page it writes for the program), and at its exec or exit sends
     * every dirty user page to the parent's host, which writes each into the page mapped
     * writable at that address in the parent, or keeps it for UK_PROC_VFORK_PENDING when
     * the parent has none there yet (the kernel lock is held: the tables stay as they are). */
    UK_PROC_FORK = 1,
    /* waitid(idtype = arg0, id = arg1, options = arg2 | WNOHANG) over the runner's children
     * (P_PIDFD: id is the pidfd's handle),
     * arg2 of WEXITED, WSTOPPED, WCONTINUED, WNOWAIT: buf <- uk_wait_result; result 0 (found
     * or none yet: pid 0) or -errno. */
    UK_PROC_WAIT = 2,
    /* kill(pid = arg0, sig = arg1) to the guest's other processes, as Linux's kill with the
     * guest as its own pid namespace: pid > 0 one process of the guest's tree (-ESRCH for any
     * other host pid); pid 0 the caller's group, pid -1 every guest process, pid < -1 the
     * group -pid; in the three group forms the host signals every guest process named but
     * the caller itself (the kernel signals its own process) and answers -ESRCH when it named
     * none, the last error when every one failed, else 0. */
    UK_PROC_KILL = 3,
    /* A host pipe: buf <- int32_t[2] handles (read end, write end); result 0 or -errno. */
    UK_PROC_PIPE = 4,
    /* execve: buf = a uk_exec_request. The host checks the program and replaces the runner
     * process by a new runner for it (same pid, the kept descriptors, the state below); it
     * returns only on failure (-errno: ENOENT, EACCES, ENOEXEC, E2BIG, ENOMEM...). */
    UK_PROC_EXEC = 5,
    /* Process groups and sessions, on the host's processes: arg0 = UK_GROUP_*, arg1 = pid
     * (0: the caller; otherwise the caller or one of its children, else -ESRCH), arg2 = pgid. */
    UK_PROC_GROUP = 6,
    /* MAP_SHARED memory: the host maps arg2 bytes of handle arg0 at offset arg1 MAP_SHARED
     * (arg0 = -1: new shared anonymous memory), writable when flags & 1, and adds that mapping
     * to the VM as a "window" of guest-physical memory at or above UK_SHARED_WINDOW_BASE
     * (2 MiB aligned). result = the window's guest-physical address, or -errno. The pages are
     * the host's (a file's page cache, or shared memory a forked runner inherits shared). */
    UK_PROC_MAP_SHARED = 7,
    /* Removes the window at guest-physical arg0 (the kernel maps none of its pages any more
     * and every vCPU has flushed its translations of them). */
    UK_PROC_UNMAP_SHARED = 8,
    /* msync(2) of [arg1, arg1 + arg2) of the window at guest-physical arg0; flags = MS_*. */
    UK_PROC_SYNC_SHARED = 9,
    /* A futex on a word of a shared window, so that it waits and wakes across processes (the
     * host's shared futex on the page every process maps): arg0 = the word's guest-physical
     * address. flags 0 (wait): arg1 = expected | bitset << 32, arg2 = at most this many ns;
     * result 0 when woken, -EAGAIN, -ETIMEDOUT or -EINTR. flags 1 (wake): arg1 = count |
     * bitset << 32; result = how many were woken. */
    UK_PROC_FUTEX = 10,
    /* How many bytes of the window at guest-physical arg0 its file backs now (the file's size
     * past the window's offset, rounded up to pages, at most the window's size; the whole window
     * for anonymous memory): a page beyond them is SIGBUS to the application, as on Linux. */
    UK_PROC_SHARED_SIZE = 11,
    /* System V IPC in the guest's private host IPC namespace (the runner tree's own, made at
     * start-up: no id a guest names is the host's). flags = the Linux syscall number; its
     * arguments, with every pointer replaced by buf (guest memory, bounds-checked):
     * shmget, semget, msgget (key, size or nsems, flags); shmctl, msgctl (id, cmd; buf = the
     * structure cmd reads or writes); semctl (id, semnum | cmd << 32, the value; buf = the
     * structure or the values of GETALL/SETALL); semtimedop (id, nsops, wait; buf = the
     * sembufs: with wait > 0 the host waits at most that many ns, 100 ms at most, -EAGAIN
     * when the time ran out; else never); msgsnd (id, size, flags; buf = mtype and text);
     * msgrcv (id, size | flags << 32, type; buf <- mtype and text); shmat (id, flags; attaches
     * the segment in the host and adds it to the VM as a shared window: result = the window's
     * guest-physical address, buf <- its size as uint64_t). Nothing else waits in the host
     * (IPC_NOWAIT; the kernel retries).
     * result >= 0 or -errno; -ENOSYS when the runner has no private namespace. */
    UK_PROC_SYSV = 12,
    /* RAM ran out: the host adds at least arg0 bytes of guest-physical RAM right after its
     * current end (doubling RAM when the limit, uk_boot_info.memory_size, allows). The boot
     * tables hold a page directory for every GiB of the limit but map only the RAM given at
     * boot: the kernel adds the new part's 2 MiB leaves to the direct map itself. result =
     * the new end of RAM, or -ENOMEM when the limit is reached. */
    UK_PROC_GROW_MEMORY = 13,
    /* After a vfork: buf <- the user addresses (uint64_t, page-aligned) of up to
     * buf_len / 8 pages the child wrote that the parent's host found no writable page for;
     * result = how many (0: none left). The kernel populates them and answers with
     * UK_PROC_VFORK_APPLY before it asks again. */
    UK_PROC_VFORK_PENDING = 14,
    /* buf = arg0 guest-physical frames (uint64_t; 0: drop that page), one for each address
     * the last UK_PROC_VFORK_PENDING listed, in order: the host copies each page there and
     * forgets those pages. result 0 or -errno. */
    UK_PROC_VFORK_APPLY = 15,
    /* A job-control stop: the host stops its own process with signal arg0 (SIGSTOP, SIGTSTP,
     * SIGTTIN, SIGTTOU) at its default action, so every vCPU thread stops and the parent
     * runner sees a stopped child (WIFSTOPPED, CLD_STOPPED, SIGCHLD); the call returns once
     * the process is continued (SIGCONT, forwarded to the guest as every SIGCONT is), or at
     * once when the host discards the stop (SIGTSTP, SIGTTIN, SIGTTOU in an orphaned process
     * group). result 0. */
    UK_PROC_STOP = 16,
    /* The CPU time of the runner's children that were waited for, and of their waited-for
     * descendants (the host's getrusage(RUSAGE_CHILDREN)): buf <- uint64_t user ns, system ns.
     * result 0 or -errno. */
    UK_PROC_CHILD_USAGE = 17,
    /* pidfd_open(pid = arg0) for one of the guest's processes (arg1 = 0; PIDFD_NONBLOCK is
     * the guest's flag alone): the host opens a pidfd on the host process, a pidfd of the
     * host kernel's (poll, waitid(P_PIDFD) and signals are the host's), once it has checked
     * that the process is the guest's (GuestProcessTree); result = its handle, -ESRCH for a
     * pid that names no guest process, -EINVAL for a pid <= 0 or flags. */
    UK_PROC_PIDFD_OPEN = 18,
    /* pidfd_send_signal(handle arg0, signal arg1, no siginfo, flags & UK_PIDFD_SIGNAL_SCOPE):
     * -EBADF when the handle is no pidfd, -ESRCH when its process was reaped or is not the
     * guest's. A pidfd of the calling process sends nothing and answers UK_PIDFD_SELF (the
     * kernel delivers the signal itself); with PIDFD_SIGNAL_PROCESS_GROUP (4) the host signals
     * the guest's other processes of that group and answers UK_PIDFD_SELF when the caller is
     * in it too. flags UK_PIDFD_INFO_MISMATCH: the caller's siginfo names another signal
     * (-EINVAL once the handle is known to be a pidfd); UK_PIDFD_SELF_ONLY: its siginfo may
     * only go to the caller (-EPERM for any other process). Another process gets the signal
     * alone, as kill sends it. */
    UK_PROC_PIDFD_SIGNAL = 19,
    /* prctl(PR_SET_PDEATHSIG): signal arg0 (0: none, else 1..64) reaches the guest when the
     * runner's parent (the guest's parent) dies, as Linux's pdeath_signal: delivered to the
     * guest as one another process sent, with the dead parent as its sender (the host's
     * pdeath signal is a notice the runner turns into it). A fork clears it
     * (the host's fork does); an exec keeps it (uk_inherited_state.parent_death_signal).
     * result 0 or -EINVAL. */
    UK_PROC_PARENT_DEATH_SIGNAL = 20,
};

/* UK_PROC_PIDFD_SIGNAL: the signal is for the calling process (the kernel delivers it). */
#define UK_PIDFD_SELF 1
/* UK_PROC_PIDFD_SIGNAL flags: Linux's PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP. */
#define UK_PIDFD_SIGNAL_SCOPE 0x7u
#define UK_PIDFD_SIGNAL_PROCESS_GROUP 0x4u
#define UK_PIDFD_INFO_MISMATCH 0x40000000u
#define UK_PIDFD_SELF_ONLY 0x80000000u

/* The kernel heap's arena: lower-half addresses that hold the kernel's own objects, never
 * the program's (no system call maps, reads or writes there; a vfork child's copy-back
 * skips them). 2 MiB aligned at both ends. */
#define UK_KERNEL_ARENA_START   0x7FFFF8000000ULL
#define UK_KERNEL_ARENA_END     0x7FFFFC000000ULL

/* Where the host places shared-memory windows: above guest RAM and the hypercall page,
 * inside the 512 GiB the direct map's one PDPT covers (the kernel maps each window page
 * there on first use). */
#define UK_SHARED_WINDOW_BASE   0x4040000000ULL /* 257 GiB: above the hypercall page */
#define UK_SHARED_WINDOW_END    0x8000000000ULL  /* 512 GiB */

enum uk_group_op {
    UK_GROUP_GETPGID = 0,    /* result = the pgid */
    UK_GROUP_SETPGID = 1,
    UK_GROUP_GETSID = 2,     /* result = the session id */
    UK_GROUP_SETSID = 3,     /* result = the new session id */
};

/* What a process keeps across execve (and a new runner gives its kernel, boot info
 * inherit_phys/size): followed by fd_count uk_inherited_fd and cwd_len bytes of the
 * working directory (an absolute guest path, no NUL). */
typedef struct uk_inherited_state {
    uint32_t fd_count;
    uint32_t umask;
    uint32_t cwd_len;
    uint32_t parent_death_signal; /* prctl(PR_SET_PDEATHSIG)'s signal, kept across execve (0: none) */
    uint64_t blocked;        /* the calling thread's signal mask (bit n-1 = signal n) */
    uint64_t ignored;        /* signals set to SIG_IGN (they stay ignored) */
} uk_inherited_state;

/* One descriptor kept across execve: the guest's number, its host handle (in a request,
 * the old runner's handle; in boot info, the new runner's), its status flags and what kind
 * of host descriptor it is (UK_HOST_KIND_*). */
typedef struct uk_inherited_fd {
    int32_t fd;
    int32_t handle;
    int32_t flags;
    int32_t kind;
} uk_inherited_fd;

/* uk_inherited_fd.kind: a host file, stdio or pipe (0), or an inotify instance, whose host
 * descriptor is always non-blocking while the guest's flags say whether reads wait. */
#define UK_HOST_KIND_PLAIN   0
#define UK_HOST_KIND_INOTIFY 1
/* A host socket the host made for the guest (UK_FILE_SOCKET): always non-blocking on the
 * host, while the guest's O_NONBLOCK says whether its calls wait. */
#define UK_HOST_KIND_SOCKET  2
/* A host pidfd (UK_PROC_PIDFD_OPEN): the guest's O_NONBLOCK is its own (waitid answers
 * EAGAIN), the host descriptor always blocks. */
#define UK_HOST_KIND_PIDFD   3

/* UK_PROC_EXEC's buffer: this header, the state (uk_inherited_state with its fds and cwd),
 * then the program's absolute guest path (path_len bytes), the name exec was given
 * (execfn_len bytes; AT_EXECFN), then argc + envc NUL-terminated strings (strings_len bytes). */
typedef struct uk_exec_request {
    uint32_t argc, envc;
    uint32_t path_len, execfn_len;
    uint64_t strings_len;
    uint64_t state_len;      /* bytes of the state with its fds and cwd */
} uk_exec_request;

#define UK_FORK_VFORK 1u
/* With UK_FORK_VFORK: the child shares the parent's memory (CLONE_VM: vfork, posix_spawn's
 * clone), so what it writes until its exec or exit is copied back (UK_PROC_FORK). */
#define UK_FORK_SHARED_MEMORY 2u

typedef struct uk_hc_process {
    uint32_t op;             /* enum uk_process_op */
    uint32_t flags;
    int64_t arg0, arg1, arg2;
    uint64_t buf_phys, buf_len;
    int64_t result;
} uk_hc_process;

/* What UK_PROC_WAIT found: a child that changed state (pid 0 when none has yet). */
typedef struct uk_wait_result {
    int32_t pid;
    int32_t code;            /* CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED */
    int32_t status;          /* the exit status or the signal (stopping: the stop signal) */
    uint32_t uid;
    uint64_t user_ns, system_ns;  /* the child's CPU times (rusage) */
} uk_wait_result;

/* Host signals for the guest: the runner sets bit (n - 1) for each signal n it forwards
 * (SIGCHLD, SIGUSR1, SIGHUP... sent to the runner's process) in the kernel's word
 * `uk_host_signals` and interrupts a vCPU; the kernel takes the word (an atomic exchange)
 * and posts each signal to the process. `uk_host_signal_senders` holds, for signal n at
 * word n - 1, who sent it: si_pid | si_uid << 32 for a kill from another process; for a
 * SIGCHLD the host kernel sent about a child, UK_CHILD_EVENT | si_pid | si_code << 32 |
 * (si_status & 0xFF) << 40; 0 otherwise. */
#define UK_CHILD_EVENT 0x8000000000000000ULL

/* Starts vCPU `cpu` (0 < cpu < cpu_count, once): in the kernel's prepared state with its
 * own tables and CR3, at `rip` with `rsp` and RDI = `rdi`. */
typedef struct uk_hc_start_cpu {
    uint32_t cpu;
    uint32_t reserved;
    uint64_t rip, rsp, rdi;
    int64_t result;          /* 0, or -EINVAL / -EBUSY */
} uk_hc_start_cpu;

/* Interrupts each started vCPU in `cpus` (bit n = vCPU n) with UK_TIMER_VECTOR as soon as
 * it can take it; an idle one (UK_HC_IDLE) returns from its hypercall at once. */
typedef struct uk_hc_kick {
    uint64_t cpus;
    int64_t result;          /* 0 */
} uk_hc_kick;

/* The interrupt vector of the scheduler's tick: the host injects it (KVM_INTERRUPT, once
 * the guest can take interrupts) when the interval of the last UK_HC_TIMER has passed. */
#define UK_TIMER_VECTOR 32
/* IDT entries the host writes: the 32 exception vectors and the tick. */
#define UK_IDT_VECTORS 33

/* The kernel has nothing to run: the host parks the vCPU (no host CPU used) until
 * `timeout_ns` has passed (UINT64_MAX: until an event), or until a signal or a pending
 * interrupt for the vCPU, whichever comes first. The guest re-checks its own clock. */
typedef struct uk_hc_idle {
    uint64_t timeout_ns;
    int64_t result;          /* 0 */
} uk_hc_idle;

/* Arms (interval_ns > 0) or disarms (0) the vCPU's one-shot tick timer. */
typedef struct uk_hc_timer {
    uint64_t interval_ns;
    int64_t result;          /* 0 */
} uk_hc_timer;

/* Bytes the kernel has accepted from write() and not yet given to the host (its
 * write-behind buffer, Hypercall/HostFileBuffer.swift), described at a fixed guest-physical
 * place so that the host can write them itself when it stops a guest that cannot
 * (timeout, SIGINT/SIGTERM): as on Linux, a killed process's writes are not lost.
 * UK_HC_FLUSH writes them at the handle's position and sets `length` to 0, in one step as
 * far as the guest can tell. The guest stores `length` after the bytes and the handle. */
typedef struct uk_pending_write {
    int32_t handle;
    uint32_t reserved;
    uint64_t buffer_phys;
    uint64_t length;         /* 0: nothing pending */
} uk_pending_write;
#define UK_PENDING_WRITE_PHYS   (UK_BOOT_INFO_PHYS + 0xF00)   /* after uk_boot_info, same page */

/* The registers syscall.S saves on the kernel stack for one system call, lowest address
 * first (the stubs' push order; Arch/SyscallFrame.swift uses this type); the last five
 * words are the interrupt frame the return path leaves through. */
typedef struct uk_syscall_frame {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10;
    uint64_t r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t rip, cs, rflags, rsp, ss;
} uk_syscall_frame;

/* The system call the kernel is serving, kept at a fixed guest-physical place so that the
 * host can name it when the guest stops inside it: a fault in the kernel (reported as a
 * kernel bug with this call and its arguments), a kernel panic, a timeout or a signal.
 * The dispatcher (Arch/SyscallFrame.swift) stores the address of the call's frame before
 * calling the handler and 0 before writing the result into the frame's rax: the number is
 * the frame's rax, the arguments its rdi, rsi, rdx, r10, r8, r9. A pointer rather than a
 * copy: every store on this path costs about a nanosecond per call on kvm-pvm.
 * rt_sigreturn, which rewrites its frame, is not recorded. The host only prints what it
 * finds (the application can write this page on kvm-pvm). */
typedef struct uk_syscall_in_progress {
    uint64_t frame;          /* kernel-virtual address of the uk_syscall_frame, 0: none */
} uk_syscall_in_progress;
#define UK_SYSCALL_IN_PROGRESS_PHYS (UK_BOOT_INFO_PHYS + 0x800)  /* after uk_boot_info, same page (abi_layout.c) */

typedef struct uk_hc_flush {
    int64_t result;          /* bytes written, or -errno */
} uk_hc_flush;

/* uk_hc_path.op */
enum uk_path_op {
    UK_PATH_STAT     = 1,  /* buf <- struct stat of path, following symlinks */
    UK_PATH_LSTAT    = 2,  /* buf <- struct stat of path itself */
    UK_PATH_READLINK = 3,  /* buf <- the symlink's text; result = its length */
    UK_PATH_ACCESS   = 4,  /* mode = F_OK or R_OK|W_OK|X_OK (real ids) */
    UK_PATH_MKDIR    = 5,  /* mode */
    UK_PATH_UNLINK   = 6,
    UK_PATH_RMDIR    = 7,
    UK_PATH_RENAME   = 8,  /* path -> path2; flags = RENAME_NOREPLACE/EXCHANGE */
    UK_PATH_LINK     = 9,  /* hard link path2 -> existing path */
    UK_PATH_SYMLINK  = 10, /* symlink at path2 whose text is path (verbatim, not resolved) */
    UK_PATH_CHMOD    = 11, /* mode */
    UK_PATH_TRUNCATE = 12, /* length in `value` */
    UK_PATH_UTIMENS  = 13, /* buf = struct timespec[2] or buf_len 0 for "now"; flags = AT_SYMLINK_NOFOLLOW */
    UK_PATH_STATFS   = 14, /* buf <- struct statfs (120 bytes) */
    UK_PATH_CHOWN    = 15, /* value = uid | gid << 32 (-1 halves: unchanged); flags = AT_SYMLINK_NOFOLLOW */
    /* Extended attributes; path2 = the attribute's name; flags = AT_SYMLINK_NOFOLLOW for the l* calls. */
    UK_PATH_GETXATTR    = 16, /* buf <- the value (buf_len 0: result = its size) */
    UK_PATH_LISTXATTR   = 17, /* buf <- the NUL-separated names (buf_len 0: result = their size) */
    UK_PATH_SETXATTR    = 18, /* buf = the value; value = XATTR_CREATE / XATTR_REPLACE */
    UK_PATH_REMOVEXATTR = 19,
    /* inotify_add_watch(2) on the file path names, for the inotify instance of handle `value`:
       mode = the guest's mask. The path is resolved beneath its mount like every other
       (O_PATH; the last link not followed with IN_DONT_FOLLOW, a directory required with
       IN_ONLYDIR), and the host's inotify watches what that resolved to; result = the watch
       descriptor, or -errno (the host kernel's checks: EINVAL, EEXIST, EACCES, ENOSPC...) */
    UK_PATH_INOTIFY_WATCH = 20,
    /* buf <- a file of the host's /proc the guest's /proc shows (path: "cpuinfo", "stat",
       "loadavg", "sys/kernel/pid_max", "sys/kernel/random/boot_id" or "sys/kernel/random/uuid"),
       or "mounts": the guest's mount table (root, volumes, private directories) in
       /proc/mounts' format; result = its length, at most buf_len */
    UK_PATH_SYSTEM_FILE = 32,
    /* Opens the running program's file (what /proc/self/exe names) for reading; path is empty,
       flags = the guest's open flags (write access: ETXTBSY, as Linux); result = a new handle */
    UK_PATH_OPEN_PROGRAM = 33,
};

/* uk_hc_file.op */
enum uk_file_op {
    UK_FILE_GETDENTS  = 1, /* buf <- linux_dirent64 records; result = bytes */
    UK_FILE_TRUNCATE  = 2, /* length in `value` */
    UK_FILE_SYNC      = 3,
    UK_FILE_DATASYNC  = 4,
    UK_FILE_CHMOD     = 5, /* mode in `value` */
    UK_FILE_STATFS    = 6, /* buf <- struct statfs (120 bytes) */
    UK_FILE_UTIMENS   = 7, /* buf = struct timespec[2] or buf_len 0 for "now" */
    UK_FILE_POLL      = 8, /* buf = struct pollfd[] naming host handles (handle ignored);
                              value = timeout in ms (-1: none); result = ready count */
    UK_FILE_SET_FLAGS  = 9, /* value = the O_APPEND and O_NONBLOCK bits the host file gets (F_SETFL) */
    UK_FILE_CHOWN      = 10, /* value = uid | gid << 32 (-1 halves: unchanged) */
    UK_FILE_SENDFILE   = 11, /* handle = the output; buf = struct uk_sendfile (the input and
                                its offset, updated); value = count; result = bytes copied */
    UK_FILE_GET_FLAGS  = 12, /* result = the host file's status flags (F_GETFL): O_APPEND and
                                O_NONBLOCK, which another process sharing it may have changed */
    UK_FILE_FALLOCATE  = 13, /* buf = struct uk_fallocate; the host's fallocate(2) on the handle */
    UK_FILE_COPY_RANGE = 14, /* handle = the output; buf = struct uk_copy_range (offsets updated);
                                value = count (a size_t); result = bytes copied */
    UK_FILE_INOTIFY_INIT = 15, /* a new host inotify instance (always IN_NONBLOCK: the kernel
                                  waits for it by polling, so no vCPU blocks in the host);
                                  handle ignored; result = its handle */
    UK_FILE_INOTIFY_RM_WATCH = 16, /* inotify_rm_watch(2) of watch `value` on the handle */
    UK_FILE_LOCK       = 17, /* buf = struct flock (32 bytes, in and out); value = F_GETLK,
                                F_SETLK, F_OFD_GETLK or F_OFD_SETLK (never a waiting one: the
                                kernel retries, so no vCPU blocks in the host); the host's fcntl
                                record lock on the handle, so processes' locks meet */
    UK_FILE_FLOCK      = 18, /* value = flock(2)'s operation; LOCK_NB is always added */
    UK_FILE_SOCKET     = 19, /* buf = struct uk_socket_call then its data (in and out); a
                                socket call on the handle (none for UK_SOCK_CREATE and
                                UK_SOCK_PAIR); result = as the host's call (a new handle for
                                CREATE and ACCEPT, bytes for SEND and RECV) */
    UK_FILE_LINK_NAME  = 32, /* buf <- what the host's /proc/self/fd link of the handle reads
                                (inherited stdio: a terminal, pipe:[N], a host file); result = length */
};

/* uk_socket_call.op: the socket calls the host makes for the guest. Sockets are always
   non-blocking and close-on-exec on the host; SEND and RECV add MSG_DONTWAIT and SEND adds
   MSG_NOSIGNAL (the guest's kernel waits and sends SIGPIPE itself). */
enum uk_socket_op {
    UK_SOCK_CREATE   = 1,  /* a0 domain, a1 type (without SOCK_NONBLOCK/SOCK_CLOEXEC), a2 protocol */
    UK_SOCK_PAIR     = 2,  /* as CREATE; handles <- the two new handles */
    UK_SOCK_BIND     = 3,  /* the address */
    UK_SOCK_CONNECT  = 4,  /* the address */
    UK_SOCK_LISTEN   = 5,  /* a0 backlog */
    UK_SOCK_ACCEPT   = 6,  /* addr <- the peer (addr_len in: room, out: its length) */
    UK_SOCK_SHUTDOWN = 7,  /* a0 how */
    UK_SOCK_NAME     = 8,  /* addr <- getsockname */
    UK_SOCK_PEER     = 9,  /* addr <- getpeername */
    UK_SOCK_SEND     = 10, /* a0 flags; data_len bytes of data; the address when addr_len or path_len;
                              a1 handles after the path, passed as SCM_RIGHTS; cred_* as
                              SCM_CREDENTIALS */
    UK_SOCK_RECV     = 11, /* a0 flags; a2 the application's control room in bytes; data <- at
                              most data_len bytes; addr <- the sender; msg_flags <- recvmsg's
                              flags; a1 in: room for SCM_RIGHTS descriptors after the data and
                              path, out: how many came, as (handle, UK_HOST_KIND_*) int32 pairs
                              there (the host adopts them); cred_* <- SCM_CREDENTIALS */
    UK_SOCK_SETOPT   = 12, /* a0 level, a1 name; data_len bytes of value */
    UK_SOCK_GETOPT   = 13, /* a0 level, a1 name; data <- the value (data_len in: room, out: its length) */
};

/* UK_FILE_SOCKET's buffer. An address is `addr` (addr_len bytes, a struct sockaddr as the
   guest gave it) or, for an AF_UNIX path, the absolute guest path (path_len bytes after the
   data): the host resolves its directory beneath the guest's root and names the socket file
   through that directory's descriptor. An abstract AF_UNIX name (and an autobound one) is
   the guest's own: the host binds and connects it inside the guest's private namespace and
   answers it without the namespace's prefix. */
typedef struct uk_socket_call {
    uint32_t op;
    int32_t a0, a1, a2;
    uint32_t addr_len;
    uint32_t data_len;
    uint32_t path_len;
    uint32_t msg_flags;
    int32_t handles[2];
    uint8_t addr[128];
    /* SEND and RECV with user_count > 0: the data are the application's own buffers, named by
       user_count (guest virtual address, length) uint64 pairs in the data area (data_len =
       16 * user_count) and translated through the page tables at user_root; the host moves
       the bytes straight between them and the socket. Every page must be mapped (EFAULT). */
    uint64_t user_root;
    uint32_t user_count;
    /* SCM_CREDENTIALS. SEND: cred_flags 1 sends (cred_pid, cred_uid, cred_gid), which the host
       kernel checks as Linux does. RECV: cred_flags <- 1 when credentials came (SO_PASSCRED). */
    uint32_t cred_flags;
    int32_t cred_pid;
    uint32_t cred_uid, cred_gid;
    /* SEND, RECV and ACCEPT that find the socket not ready (EAGAIN): the host waits up to
       wait_ms milliseconds (-1 or more than 1000: 1000) for it, then tries once more; 0 never
       waits. A signal to the runner ends the wait with -EINTR. The guest asks it only when
       nothing else could run meanwhile. */
    int32_t wait_ms;
    /* Control messages other than SCM_RIGHTS and SCM_CREDENTIALS (IP_PKTINFO, timestamps, ...),
       as struct cmsghdr records. SEND: control_len bytes after the a1 handles, added to the
       message. RECV: control_len <- the bytes stored after the a1 (handle, kind) pairs, at
       most a2 (the application's control room). */
    uint32_t control_len;
    uint32_t reserved;
    /* data_len bytes of data, then path_len bytes of path */
} uk_socket_call;

/* UK_FILE_FALLOCATE's buffer: fallocate(2)'s mode, offset and length, passed on unchanged
   (the host kernel checks them, in Linux's order). */
typedef struct uk_fallocate {
    int32_t mode;
    uint32_t reserved;
    int64_t offset;
    int64_t length;
} uk_fallocate;

/* UK_FILE_COPY_RANGE's buffer: copy_file_range(2) from host handle `input` to the handle the
   call names. An offset is used (and then advanced by the bytes copied) only when its bit is
   set in `given` (bit 0: input_offset, bit 1: output_offset); otherwise that file's own
   position is used and moved, as for a NULL offset pointer. */
typedef struct uk_copy_range {
    int32_t input;
    uint32_t given;
    int64_t input_offset;
    int64_t output_offset;
} uk_copy_range;

/* UK_FILE_SENDFILE's buffer: copy from host handle `input`, at `offset` (then advanced
   by the bytes copied), or at the input's own position when `offset` is -1. */
typedef struct uk_sendfile {
    int32_t input;
    uint32_t reserved;
    int64_t offset;
} uk_sendfile;

typedef struct uk_hc_exit {
    int32_t status;          /* exit_group's argument; the host exits with status & 0xff */
    uint32_t patched_sites;  /* syscall sites the kernel rewrote into jumps (UNIKERNEL_TIMINGS) */
    int32_t signal;          /* > 0: the process was killed by this signal (status = 128 + signal) */
    uint32_t reserved;
    uint64_t trapped_syscalls;  /* syscalls that entered by the `syscall` instruction (on kvm-pvm: an exit each) */
    uint64_t stub_syscalls;     /* syscalls that entered through a rewritten site's stub (no exit) */
} uk_hc_exit;

/* read/write: `len` bytes at guest-physical `buf_phys` (one contiguous range). */
typedef struct uk_hc_io {
    int32_t handle;
    uint32_t reserved;
    uint64_t buf_phys;
    uint64_t len;
    int64_t offset;          /* -1: at the file position; >= 0: pread/pwrite */
    int64_t result;          /* bytes transferred or -errno */
} uk_hc_io;

/* read/write straight from/to application memory: the host translates
   [address, address + len) through the page tables rooted at `cr3` (present,
   user-accessible, and writable for reads), so the kernel copies nothing.
   A fault on the first page gives -EFAULT; a fault later gives the bytes
   transferred before it. */
typedef struct uk_hc_user_io {
    int32_t handle;
    uint32_t reserved;
    uint64_t cr3;
    uint64_t address;        /* application virtual address */
    uint64_t len;
    int64_t offset;          /* -1: at the file position; >= 0: pread/pwrite */
    int64_t result;          /* bytes transferred or -errno */
} uk_hc_user_io;

/* Path operations: `path` (and `path2`) are absolute guest paths, resolved
   beneath the root like open's; `buf` is a guest-physical output (or input)
   buffer. Links are never followed out of the root; the last component of a
   path that is created, removed or renamed is never followed at all. */
typedef struct uk_hc_path {
    uint32_t op;             /* enum uk_path_op */
    uint32_t flags;
    uint64_t path_phys, path_len;
    uint64_t path2_phys, path2_len;
    uint64_t buf_phys, buf_len;
    uint64_t mode;
    int64_t value;
    int64_t result;          /* >= 0 or -errno */
} uk_hc_path;

/* Operations on an open handle. */
typedef struct uk_hc_file {
    int32_t handle;
    uint32_t op;             /* enum uk_file_op */
    uint64_t buf_phys, buf_len;
    int64_t value;
    int64_t result;
} uk_hc_file;

/* open: `path` is an absolute guest path (the guest's root is the host's --dir);
   the host resolves it beneath the root and never outside it. */
typedef struct uk_hc_open {
    uint64_t path_phys;      /* NUL-terminated */
    uint64_t path_len;       /* bytes before the NUL */
    int32_t flags;           /* Linux O_* */
    uint32_t mode;
    int64_t result;          /* handle or -errno */
} uk_hc_open;

typedef struct uk_hc_close {
    int32_t handle;
    uint32_t reserved;
    int64_t result;
} uk_hc_close;

typedef struct uk_hc_lseek {
    int32_t handle;
    int32_t whence;
    int64_t offset;
    int64_t result;          /* new offset or -errno */
} uk_hc_lseek;

/* fstat: fills a Linux x86-64 `struct stat` (144 bytes) at stat_phys. */
typedef struct uk_hc_fstat {
    int32_t handle;
    uint32_t reserved;
    uint64_t stat_phys;
    int64_t result;
} uk_hc_fstat;

/* Terminal requests forwarded to a host handle: TCGETS, TIOCGWINSZ, FIONREAD, TIOCOUTQ,
   TIOCGPGRP and TIOCGSID answer into arg_phys (the kernel's struct termios, 36 bytes / struct
   winsize, 8 bytes / an int, 4 bytes); TCSETS, TCSETSW, TCSETSF, TIOCSWINSZ and TIOCSPGRP read
   theirs from arg_phys (the same sizes, a pid_t); TCSBRK, TCSBRKP, TCXONC and TCFLSH take the
   integer argument as 8 bytes at arg_phys; TIOCSCTTY (never with force: a terminal another
   session holds stays that session's, EPERM) and TIOCNOTTY take none. With
   UK_IOCTL_TTOU_IGNORED in `flags` the guest ignores or blocks SIGTTOU: a background process
   may then make the requests Linux checks against job control (the setting ones, and
   TIOCSPGRP), as Linux allows it. On a pseudo-terminal's multiplexer end (/dev/ptmx):
   TIOCGPTN, TIOCGPTLCK and TIOCGPKT answer an int into arg_phys, TIOCSPTLCK and TIOCPKT read
   theirs from it, and TIOCGPTPEER takes its open flags as 8 bytes at arg_phys and opens the
   terminal end: `result` is then the new descriptor's handle (or -errno). */
#define UK_IOCTL_TTOU_IGNORED 1u
typedef struct uk_hc_ioctl {
    int32_t handle;
    uint32_t request;
    uint64_t arg_phys;
    uint64_t arg_len;
    uint32_t flags;
    uint32_t reserved;
    int64_t result;
} uk_hc_ioctl;

/* General-purpose registers in the order of `struct user_regs_struct`'s first 16. */
typedef struct uk_registers {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10;
    uint64_t r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t rip, rsp, rflags;
    uint64_t cs, ss;
    uint64_t fs_base, gs_base;
    uint64_t cr0, cr2, cr3, cr4;
} uk_registers;

typedef struct uk_hc_crash {
    uint32_t vector;         /* exception vector (0..31) */
    uint32_t has_error_code;
    uint64_t error_code;
    uk_registers regs;       /* at the faulting instruction */
} uk_hc_crash;

typedef struct uk_hc_panic {
    uint64_t message_phys;
    uint64_t message_len;
} uk_hc_panic;

/* One finished syscall, reported when UK_BOOT_TRACE_SYSCALLS is set. */
typedef struct uk_hc_trace {
    uint64_t number;
    uint64_t args[6];
    int64_t result;
} uk_hc_trace;

#endif /* UNIKERNEL_ABI_H */
