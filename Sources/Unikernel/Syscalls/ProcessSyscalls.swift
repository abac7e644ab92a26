import UnikernelABI

/// Process-level system calls: identity, thread-area set-up, limits,
/// process groups and scheduling parameters.
enum ProcessSyscalls {
    static let archSetGS = 0x1001, archSetFS = 0x1002, archGetFS = 0x1003, archGetGS = 0x1004
    static let rlimitStack = 3, rlimitNofile = 7
    static let rlimInfinity = UInt64.max

    static func getpid(_ a: SyscallArguments) throws(Errno) -> Int { currentProcess.pid }
    static func getuid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.uid) }
    static func geteuid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.euid) }
    static func getgid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.gid) }
    static func getegid(_ a: SyscallArguments) throws(Errno) -> Int { Int(currentProcess.bootInfo.egid) }

    static func unsupported(_ a: SyscallArguments) throws(Errno) -> Int { throw .ENOSYS }

    static func archPrctl(_ a: SyscallArguments) throws(Errno) -> Int {
        switch a.int32(0) {
        case archSetFS, archSetGS:
            guard a[1] < PageMapper.lowerHalfEnd else { throw .EPERM }
            if a.int32(0) == archSetGS {
                CPU.gsBase = a[1]
                Scheduler.noteBaseRegisters(gs: a[1])
            } else if currentProcess.bootInfo.flags & UK_BOOT_FAULT_NO_FS_BASE == 0 {
                CPU.fsBase = a[1]
                Scheduler.noteBaseRegisters(fs: a[1])
            }
            return 0
        case archGetFS:
            try UserMemory.store(Scheduler.current.fsBase, to: a[1])
            return 0
        case archGetGS:
            try UserMemory.store(Scheduler.current.gsBase, to: a[1])
            return 0
        default:
            throw .EINVAL
        }
    }

    /// prlimit64(pid, resource, new, old): limits are kept per process; the
    /// stack and descriptor limits are the ones the kernel enforces. As Linux's do_prlimit:
    /// a soft limit above the hard one is EINVAL, an RLIMIT_NOFILE hard limit above nr_open
    /// (here the descriptor table's size, `FileTable.limit`) is EPERM even for root, and raising
    /// any hard limit needs CAP_SYS_RESOURCE (here: effective user id 0).
    static func prlimit64(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        let resource = a.int32(1)
        guard resource >= 0, resource < Process.resourceCount else { throw .EINVAL }
        let old = currentProcess.limits[resource]
        if a[2] != 0 {
            let new = try UserMemory.load((UInt64, UInt64).self, from: a[2])
            guard new.0 <= new.1 else { throw .EINVAL }
            if resource == rlimitNofile, new.1 > UInt64(FileTable.limit) { throw .EPERM }
            guard new.1 <= old.1 || currentProcess.bootInfo.euid == 0 else { throw .EPERM }
            currentProcess.limits[resource] = new
            if resource == rlimitNofile { currentProcess.files.openLimit = Int(new.0) }
        }
        if a[3] != 0 { try UserMemory.store(old, to: a[3]) }
        return 0
    }

    static func getrlimit(_ a: SyscallArguments) throws(Errno) -> Int {
        try prlimit64(SyscallArguments(0, a[0], 0, a[1], 0, 0))
    }

    static func setrlimit(_ a: SyscallArguments) throws(Errno) -> Int {
        try prlimit64(SyscallArguments(0, a[0], a[1], 0, 0, 0))
    }

    // Process groups and sessions are the host processes' (the runner's): the caller and its
    // children may be named.
    private static func group(_ operation: uk_group_op, pid: Int = 0, pgid: Int = 0) throws(Errno) -> Int {
        try Errno.check(Hypercall.process(UK_PROC_GROUP, Int64(operation.rawValue), Int64(pid), Int64(pgid)))
    }
    static func getpgid(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0 else { throw .ESRCH }
        return try group(UK_GROUP_GETPGID, pid: a.int32(0))
    }
    static func getpgrp(_ a: SyscallArguments) throws(Errno) -> Int { try group(UK_GROUP_GETPGID) }
    static func setpgid(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(1) >= 0 else { throw .EINVAL }
        guard a.int32(0) >= 0 else { throw .ESRCH }
        return try group(UK_GROUP_SETPGID, pid: a.int32(0), pgid: a.int32(1))
    }
    static func setsid(_ a: SyscallArguments) throws(Errno) -> Int { try group(UK_GROUP_SETSID) }
    static func getsid(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0 else { throw .ESRCH }
        return try group(UK_GROUP_GETSID, pid: a.int32(0))
    }

    static func getresuid(_ a: SyscallArguments) throws(Errno) -> Int {
        let info = currentProcess.bootInfo
        for (index, value) in [info.uid, info.euid, info.euid].enumerated() { try UserMemory.store(value, to: a[index]) }
        return 0
    }
    static func getresgid(_ a: SyscallArguments) throws(Errno) -> Int {
        let info = currentProcess.bootInfo
        for (index, value) in [info.gid, info.egid, info.egid].enumerated() { try UserMemory.store(value, to: a[index]) }
        return 0
    }

    /// Scheduling: one CPU, SCHED_OTHER at nice 0.
    static func schedGetscheduler(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0 else { throw .EINVAL }
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        return 0
    }
    static func schedGetparam(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        try UserMemory.store(Int32(0), to: a[1])
        return 0
    }
    static func schedPriorityBound(_ a: SyscallArguments) throws(Errno) -> Int {
        switch a.int32(0) {
        case 0, 3, 5: return 0      // SCHED_OTHER, SCHED_BATCH, SCHED_IDLE
        case 1, 2: return -1        // SCHED_FIFO/RR: answered by the caller below
        default: throw .EINVAL
        }
    }
    static func schedGetPriorityMax(_ a: SyscallArguments) throws(Errno) -> Int {
        let bound = try schedPriorityBound(a)
        return bound < 0 ? 99 : bound
    }
    static func schedGetPriorityMin(_ a: SyscallArguments) throws(Errno) -> Int {
        let bound = try schedPriorityBound(a)
        return bound < 0 ? 1 : bound
    }
    /// getpriority returns 20 - nice as the raw syscall does.
    static func getpriority(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0, a.int32(0) <= 2 else { throw .EINVAL }
        guard a.int32(1) == 0 || a.int32(1) == currentProcess.pid else { throw .ESRCH }
        return 20 - currentProcess.nice
    }
    static func setpriority(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0, a.int32(0) <= 2 else { throw .EINVAL }
        guard a.int32(1) == 0 || a.int32(1) == currentProcess.pid else { throw .ESRCH }
        let nice = max(-20, min(19, a.int32(2)))
        guard nice >= currentProcess.nice || currentProcess.bootInfo.euid == 0 else { throw .EACCES }
        currentProcess.nice = nice
        return 0
    }
    /// personality: Linux (PER_LINUX = 0) only; 0xffffffff queries.
    static func personality(_ a: SyscallArguments) throws(Errno) -> Int {
        let requested = UInt32(truncatingIfNeeded: a[0])
        guard requested == 0xFFFF_FFFF || requested == 0 else { throw .EINVAL }
        return 0
    }
}
