import CLinux
import UnikernelABI

/// Deliberate faults the runner can inject to reproduce known failures (for triage tests).
public struct FaultInjection: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Start the application with %rsp misaligned by 8.
    public static let misalignedStack = FaultInjection(rawValue: 1 << 0)
    /// Leave SSE disabled (CR4.OSFXSR/OSXMMEXCPT clear).
    public static let sseDisabled = FaultInjection(rawValue: 1 << 1)
    /// Accept arch_prctl(ARCH_SET_FS) without setting the FS base.
    public static let noFSBase = FaultInjection(rawValue: 1 << 2)
    /// Make the kernel execute a Swift runtime trap while serving a write: a deliberate
    /// kernel bug, reported as one (exit status 125).
    public static let kernelTrap = FaultInjection(rawValue: 1 << 3)
}

/// Everything needed to build a machine that runs one program.
public struct MachineConfiguration: Sendable {
    /// The guest memory limit of a configuration built in code, 64 MiB (the runner's
    /// command line defaults to HostMemoryLimit.forGuest()).
    public static let defaultMemorySize: UInt64 = 64 << 20

    /// The unikernel image (an ELF file).
    public var kernelPath: String
    /// The host path of the static Linux program.
    public var programPath: String
    /// argv, argv[0] included.
    public var arguments: [String]
    /// envp as KEY=VALUE strings, in order.
    public var environment: [String]
    /// The host directory the guest sees as its root (and starts in).
    public var rootDirectory: String = "."
    /// The most guest-physical RAM the guest may use (it grows on demand up to this: GuestMemory).
    public var memorySize: UInt64 = MachineConfiguration.defaultMemorySize
    /// vCPUs the guest may use (threads run on them in parallel).
    public var cpuCount = 1
    /// The CPUs this process may run on (what `nproc` and sched_getaffinity report natively),
    /// at most UK_MAX_CPUS.
    public static var defaultCPUCount: Int { max(1, min(Int(ckvm_usable_cpus()), Int(UK_MAX_CPUS))) }
    /// Seconds after which the guest is stopped; nil for no limit.
    public var timeout: Double?
    /// Print one line per syscall to `traceOutput`.
    public var traceSyscalls = false
    /// The host descriptor trace lines go to (stderr by default).
    public var traceOutput: Int32 = 2
    public var faults: FaultInjection = []
    /// Syscall numbers (< 512) the kernel refuses with ENOSYS (fault injection).
    public var refusedSyscalls: Set<Int> = []
    /// Randomise the static-pie load base, the stack and the mmap area as Linux does.
    public var addressSpaceRandomization = true
    /// Rewrite hot `syscall` sites into jumps to the kernel (see the kernel's SyscallPatcher);
    /// off, every syscall traps, which is slower and otherwise identical.
    public var syscallPatching = true
    /// Whether the kernel may back whole 2 MiB blocks of anonymous memory with 2 MiB pages.
    public var hugePages = true
    /// The KVM implementation to assume; nil detects it (`Platform.detect()`).
    public var platform: Platform?
    /// Refuse every write to the guest's root directory (EROFS).
    public var readOnlyRoot = false
    /// Which sockets the guest may make (`--net`).
    public var network = NetworkPolicy.host
    /// Host directories mounted into the guest's file system (`--volume`, `--system`).
    public var volumes: [VolumeSpec] = []
    /// The guest's private /tmp and /dev (nil: the root's own, if it has them).
    public var privateDirectories: PrivateDirectories?
    /// After the guest's execve: AT_EXECFN (nil: the program path), what /proc/self/exe names
    /// (nil: the program's canonical path) and what the process kept.
    public var executableName: String?
    public var executablePath: String?
    public var inherited: InheritedState?
    /// The program is a guest process's child (forked, then exec'd): it ends as Machine.endProcess says.
    public var isChildProcess = false

    /// Linux's ELF_ET_DYN_BASE on x86-64: where a static-pie program loads without ASLR.
    public static let pieBase: UInt64 = 0x5555_5555_4000
    /// Linux randomises the static-pie base by up to 2^28 pages (mmap_rnd_bits = 28).
    public static let pieRandomPages: UInt64 = 1 << 28

    public init(kernelPath: String, programPath: String, arguments: [String], environment: [String]) {
        self.kernelPath = kernelPath
        self.programPath = programPath
        self.arguments = arguments
        self.environment = environment
    }
}
