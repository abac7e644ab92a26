import UnikernelABI

/// Why the pieces do not fit in guest memory.
public enum LayoutError: Error, Equatable, CustomStringConvertible {
    /// The requested memory size is unusable.
    case memorySizeOutOfRange(requested: UInt64, minimum: UInt64, maximum: UInt64)
    /// Kernel, application image and arguments leave too little for the kernel to run in.
    case doesNotFit(needed: UInt64, available: UInt64)
    /// argv and the environment exceed what Linux accepts for execve.
    case argumentsTooLarge(bytes: UInt64, limit: UInt64)

    public var description: String {
        let mib = { (v: UInt64) in "\(v >> 20).\((v & 0xFFFFF) * 10 >> 20) MiB" }
        switch self {
        case let .memorySizeOutOfRange(requested, minimum, maximum):
            return "guest memory size \(mib(requested)) is outside \(mib(minimum))...\(mib(maximum))"
        case let .doesNotFit(needed, available):
            return "the kernel and the program need \(mib(needed)) of guest memory but only \(mib(available)) is configured (use --memory)"
        case let .argumentsTooLarge(bytes, limit):
            return "arguments and environment take \(bytes) bytes, more than the \(limit) bytes execve accepts"
        }
    }
}

/// Where each piece goes in guest-physical memory (see unikernel_abi.h).
public struct GuestLayout: Equatable, Sendable {
    public static let minimumMemorySize: UInt64 = 16 << 20
    /// Memory the kernel needs for itself and the application's first pages at least.
    public static let minimumFreeMemory: UInt64 = 4 << 20
    /// Linux's limit on argv + envp strings (ARG_MAX with an 8 MiB stack is 2 MiB).
    public static let argumentLimit: UInt64 = 2 << 20

    public var memorySize: UInt64
    public var kernelEnd: UInt64
    public var applicationImage: UInt64
    public var arguments: UInt64
    public var segmentTable: UInt64
    /// Each vCPU's area (UK_CPU_TABLES_SIZE: IDT, TSS and GDT, IST stacks, CPU-local page and
    /// its page tables), built by the host, one after the other from vCPU 0's.
    public var cpuTables: UInt64
    public var freeStart: UInt64
    /// The RAM the VM starts with: the images and tables, plus `initialFreeMemory` for the
    /// kernel to start in (more is given on demand, up to `memorySize`: GuestMemory.grow).
    public var initialRAM: UInt64 {
        let granule = GuestMemory.growthGranule
        return min(memorySize, (freeStart + GuestLayout.initialFreeMemory + granule - 1) / granule * granule)
    }
    /// Free memory at start beyond the images and tables (a hello needs under 1 MiB).
    public static let initialFreeMemory: UInt64 = 16 << 20

    static func pageUp(_ value: UInt64) -> UInt64 { (value + UK_PAGE_SIZE - 1) & ~(UK_PAGE_SIZE - 1) }

    /// Checks a requested memory size: at least the minimum, at most what the
    /// boot page tables map, a multiple of 2 MiB.
    public static func validate(memorySize: UInt64) throws(LayoutError) {
        let maximum = BootPageTables.maximumMemorySize
        guard memorySize >= minimumMemorySize, memorySize <= maximum, memorySize % (2 << 20) == 0 else {
            throw .memorySizeOutOfRange(requested: memorySize, minimum: minimumMemorySize, maximum: maximum)
        }
    }

    /// The largest application image that can fit beside a kernel ending at `kernelEnd`.
    public static func maximumImageSize(memorySize: UInt64, kernelEnd: UInt64) -> UInt64 {
        let used = pageUp(kernelEnd) + minimumFreeMemory
        return memorySize > used ? memorySize - used : 0
    }

    public init(memorySize: UInt64, kernelEnd: UInt64, imageSize: UInt64,
                argumentBytes: UInt64, segmentCount: Int, cpuCount: Int = 1) throws(LayoutError) {
        guard argumentBytes <= GuestLayout.argumentLimit else {
            throw .argumentsTooLarge(bytes: argumentBytes, limit: GuestLayout.argumentLimit)
        }
        self.memorySize = memorySize
        self.kernelEnd = kernelEnd
        applicationImage = GuestLayout.pageUp(kernelEnd)
        arguments = applicationImage + imageSize
        segmentTable = (arguments + argumentBytes + 7) & ~7
        cpuTables = GuestLayout.pageUp(segmentTable + UInt64(segmentCount * MemoryLayout<uk_segment>.size))
        freeStart = cpuTables + UInt64(cpuCount) * UK_CPU_TABLES_SIZE
        let needed = freeStart + GuestLayout.minimumFreeMemory
        guard needed <= memorySize else { throw .doesNotFit(needed: needed, available: memorySize) }
    }
}

/// The process's strings as the kernel receives them: argv, then envp, then
/// the execfn string, then the program's absolute host path, each NUL-terminated.
public struct ArgumentBlock: Equatable, Sendable {
    public var arguments: [String]
    public var environment: [String]
    public var executableName: String
    /// What /proc/self/exe names: the program's canonical absolute host path.
    public var executablePath: String
    /// The interpreter's guest path (PT_INTERP), what /proc/self/maps names its segments by;
    /// empty for a static program.
    public var interpreterPath: [UInt8]

    public init(arguments: [String], environment: [String], executableName: String, executablePath: String? = nil,
                interpreterPath: [UInt8] = []) {
        self.arguments = arguments
        self.environment = environment
        self.executableName = executableName
        self.executablePath = executablePath ?? executableName
        self.interpreterPath = interpreterPath
    }

    /// argv's and envp's strings, then the executable's name and path and the interpreter's
    /// path, each NUL-terminated (the kernel reads argc + envc + 3 strings).
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        for string in arguments + environment + [executableName, executablePath] {
            bytes.append(contentsOf: string.utf8)
            bytes.append(0)
        }
        bytes.append(contentsOf: interpreterPath.filter { $0 != 0 })
        bytes.append(0)
        return bytes
    }
}
