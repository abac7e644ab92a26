import UnikernelABI

/// The application the kernel runs (Linux's thread group): its address space,
/// open files, current directory, identity and signal dispositions, shared by
/// all its threads (Scheduler's tasks), plus the boot information it came from.
struct Process {
    var addressSpace = AddressSpace()
    var files = FileTable()
    var workingDirectory: [UInt8] = [UInt8(ascii: "/")]
    var bootInfo = uk_boot_info()
    var features = CPUSetup.Features()
    var random = RandomGenerator(seed: 0, 0)
    /// Signal dispositions, mask, pending signals and the alternate stack.
    var signals = SignalState()
    /// alarm/setitimer's timers and the POSIX timers (timer_create).
    var timers = ProcessTimers()
    /// membarrier's registrations (REGISTER_GLOBAL_EXPEDITED 4, REGISTER_PRIVATE_EXPEDITED 16,
    /// REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64).
    var membarrierRegistrations = 0
    /// The file-mode creation mask (umask), applied by the kernel: the host applies none.
    var umask: UInt64 = 0o022
    /// Resource limits (soft, hard) by RLIMIT_* number, as Linux starts a process.
    static let resourceCount = 16
    static let unlimited = UInt64.max
    var limits: [(UInt64, UInt64)] = (0..<Process.resourceCount).map { resource in
        switch resource {
        case 3: return (AddressSpace.stackSize, Process.unlimited)            // RLIMIT_STACK
        case 4: return (0, Process.unlimited)                                 // RLIMIT_CORE
        case 7: return (UInt64(FileTable.limit), UInt64(FileTable.limit))     // RLIMIT_NOFILE
        case 8: return (8 << 20, 8 << 20)                                     // RLIMIT_MEMLOCK
        case 13, 14: return (0, 0)                                            // RLIMIT_NICE, RLIMIT_RTPRIO
        default: return (Process.unlimited, Process.unlimited)
        }
    }
    /// Where the vDSO is mapped (AT_SYSINFO_EHDR); 0 when it is not.
    var vdsoBase: UInt64 = 0
    /// The nice value (getpriority/setpriority).
    var nice = 0
    /// The signal the process gets when its parent dies (prctl PR_SET_PDEATHSIG; 0: none):
    /// the host delivers it (UK_PROC_PARENT_DEATH_SIGNAL); kept here for PR_GET_PDEATHSIG and
    /// execve, cleared by fork.
    var parentDeathSignal = 0
    /// The task name (prctl PR_GET_NAME): the program's file name, at most 15 bytes.
    var taskName: [UInt8] = []
    /// What /proc/self/exe names: the program's absolute host path.
    var executableName: [UInt8] = []
    /// The interpreter's path (PT_INTERP) of a dynamically linked program; empty for a static one.
    var interpreterName: [UInt8] = []
    /// The main thread's status when it ended with `exit` while other threads ran on:
    /// the process's status once the last one exits (Linux reports the leader's).
    var leaderExitStatus: Int32?

    /// Where the initial stack put argv, envp and auxv (/proc/<pid>/cmdline, environ, auxv, stat).
    var startLayout = InitialStack.Layout()

    /// getppid: the host parent's pid for the first program, the forking process's for a child,
    /// and after the parent's death the process it was reparented to. Only the host writes it,
    /// in the boot information page (uk_boot_info.ppid): at start, in a forked child before it
    /// runs, and whenever the runner's parent changes (a parent-death notice); reading it needs
    /// no exit.
    var parentPid: Int {
        Int(DirectMap.pointer(UInt64(UK_BOOT_INFO_PHYS) + UInt64(MemoryLayout<uk_boot_info>.offset(of: \uk_boot_info.ppid)!))
                .load(as: UInt32.self))
    }

    init() {}

    var pid: Int { Int(bootInfo.pid == 0 ? 1 : bootInfo.pid) }
    var tracing: Bool { bootInfo.flags & UK_BOOT_TRACE_SYSCALLS != 0 }
}

/// The running application.
var currentProcess = Process()
