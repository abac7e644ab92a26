import UnikernelABI

/// Process-level system calls: exit, identity, thread-area set-up, limits,
/// and the signal calls a single-threaded program without signal delivery
/// can be told "done" for.
enum ProcessSyscalls {
    static let archSetGS = 0x1001, archSetFS = 0x1002, archGetFS = 0x1003, archGetGS = 0x1004
    static let rlimitStack = 3, rlimitNofile = 7
    static let rlimInfinity = UInt64.max

    static func exit(_ a: SyscallArguments) throws(Errno) -> Int {
        Hypercall.exit(status: Int32(truncatingIfNeeded: a[0]))
    }

    static func getpid(_ a: SyscallArguments) throws(Errno) -> Int { currentProcess.pid }
    static func getppid(_ a: SyscallArguments) throws(Errno) -> Int { 0 }
    static func getuid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.uid) }
    static func geteuid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.euid) }
    static func getgid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.gid) }
    static func getegid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.egid) }
    static func setTidAddress(_ a: SyscallArguments) throws(Errno) -> Int { currentProcess.pid }
    static func succeed(_ a: SyscallArguments) throws(Errno) -> Int { 0 }
    static func unsupported(_ a: SyscallArguments) throws(Errno) -> Int { throw .ENOSYS }

    static func archPrctl(_ a: SyscallArguments) throws(Errno) -> Int {
        switch a.int32(0) {
        case archSetFS, archSetGS:
            guard a[1] < PageMapper.lowerHalfEnd else { throw .EPERM }
            if a.int32(0) == archSetGS {
                CPU.gsBase = a[1]
            } else if currentProcess.bootInfo.flags & UK_BOOT_FAULT_NO_FS_BASE == 0 {
                CPU.fsBase = a[1]
            }
            return 0
        case archGetFS:
            try UserMemory.store(CPU.fsBase, to: a[1])
            return 0
        case archGetGS:
            try UserMemory.store(CPU.gsBase, to: a[1])
            return 0
        default:
            throw .EINVAL
        }
    }

    /// (soft, hard) limit reported for `resource`.
    private static func limit(_ resource: Int) -> (UInt64, UInt64) {
        switch resource {
        case rlimitStack: return (AddressSpace.stackSize, rlimInfinity)
        case rlimitNofile: return (UInt64(FileTable.limit), UInt64(FileTable.limit))
        default: return (rlimInfinity, rlimInfinity)
        }
    }

    static func prlimit64(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        guard a.int32(1) >= 0, a.int32(1) < 16 else { throw .EINVAL }
        if a[3] != 0 {
            let (soft, hard) = limit(a.int32(1))
            try UserMemory.store(soft, to: a[3])
            try UserMemory.store(hard, to: a[3] + 8)
        }
        return 0
    }

    static func getrlimit(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0, a.int32(0) < 16 else { throw .EINVAL }
        let (soft, hard) = limit(a.int32(0))
        try UserMemory.store(soft, to: a[1])
        try UserMemory.store(hard, to: a[1] + 8)
        return 0
    }

    /// rt_sigaction: accepted; no signal is ever delivered. The old action reads as SIG_DFL.
    static func rtSigaction(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 1, a.int32(0) <= 64, a.int32(0) != 9, a.int32(0) != 19 || a[1] == 0 else { throw .EINVAL }
        if a[2] != 0 {
            let zeros: [UInt8] = [UInt8](repeating: 0, count: 32)
            try UserMemory.copyOut(from: zeros, to: a[2])
        }
        return 0
    }

    /// rt_sigprocmask: accepted; the old mask reads as empty.
    static func rtSigprocmask(_ a: SyscallArguments) throws(Errno) -> Int {
        if a[2] != 0 { try UserMemory.store(UInt64(0), to: a[2]) }
        return 0
    }

    /// kill/tgkill aimed at ourselves: the process dies of the signal (exit status 128 + signal).
    static func kill(_ a: SyscallArguments) throws(Errno) -> Int {
        let target = a.int32(0)
        guard target == currentProcess.pid || target == 0 || target == -1 else { throw .ESRCH }
        return try killSelf(signal: a.int32(1))
    }

    static func tgkill(_ a: SyscallArguments) throws(Errno) -> Int {
        try killSelf(signal: a.int32(2))
    }

    private static func killSelf(signal: Int) throws(Errno) -> Int {
        guard signal >= 0, signal <= 64 else { throw .EINVAL }
        if signal == 0 { return 0 }
        Hypercall.exit(status: Int32(128 + signal))
    }
}
