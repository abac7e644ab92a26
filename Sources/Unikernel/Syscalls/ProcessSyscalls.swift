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

    /// set_robust_list(head, size): the size must be Linux's robust_list_head (24 bytes).
    static func setRobustList(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] == 24 else { throw .EINVAL }
        return 0
    }
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

    /// prlimit64(pid, resource, new, old): limits are kept per process; the
    /// stack and descriptor limits are the ones the kernel enforces.
    static func prlimit64(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        let resource = a.int32(1)
        guard resource >= 0, resource < Process.resourceCount else { throw .EINVAL }
        let old = currentProcess.limits[resource]
        if a[2] != 0 {
            let new = try UserMemory.load((UInt64, UInt64).self, from: a[2])
            guard new.0 <= new.1 else { throw .EINVAL }
            guard new.1 <= old.1 else { throw .EPERM }  // raising the hard limit needs privilege
            currentProcess.limits[resource] = new
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

    // Process groups and sessions: the one process leads both.
    static func getpgid(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        return currentProcess.pid
    }
    static func getpgrp(_ a: SyscallArguments) throws(Errno) -> Int { currentProcess.pid }
    static func setpgid(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(1) >= 0 else { throw .EINVAL }
        guard a.int32(0) == 0 || a.int32(0) == currentProcess.pid else { throw .ESRCH }
        guard a.int32(1) == 0 || a.int32(1) == currentProcess.pid else { throw .EPERM }
        return 0
    }
    static func setsid(_ a: SyscallArguments) throws(Errno) -> Int { throw .EPERM }  // already a group leader
    static func getsid(_ a: SyscallArguments) throws(Errno) -> Int { try getpgid(a) }

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

    /// rt_sigaction(signal, act, oldact, sigsetsize): the kernel's 32-byte
    /// struct sigaction (handler, flags, restorer, mask).
    static func rtSigaction(_ a: SyscallArguments) throws(Errno) -> Int {
        let signal = a.int32(0)
        guard signal >= 1, signal <= 64, a[3] == 8 else { throw .EINVAL }
        let old = currentProcess.signals.actions[signal]
        if a[1] != 0 {
            guard signal != 9, signal != 19 else { throw .EINVAL }
            let words = try UserMemory.load((UInt64, UInt64, UInt64, UInt64).self, from: a[1])
            currentProcess.signals.actions[signal] = SignalAction(handler: words.0, flags: words.1, restorer: words.2,
                                                                  mask: words.3 & ~Signals.unblockable)
        }
        if a[2] != 0 {
            try UserMemory.store((old.handler, old.flags, old.restorer, old.mask), to: a[2])
        }
        return 0
    }

    /// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK.
    static func rtSigprocmask(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[3] == 8 else { throw .EINVAL }
        let old = currentProcess.signals.blocked
        if a[1] != 0 {
            let set = try UserMemory.load(UInt64.self, from: a[1])
            switch a.int32(0) {
            case 0: currentProcess.signals.blocked |= set
            case 1: currentProcess.signals.blocked &= ~set
            case 2: currentProcess.signals.blocked = set
            default: throw .EINVAL
            }
            currentProcess.signals.blocked &= ~Signals.unblockable
        }
        if a[2] != 0 { try UserMemory.store(old, to: a[2]) }
        return 0
    }

    /// rt_sigpending(set, sigsetsize).
    static func rtSigpending(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] == 8 else { throw .EINVAL }
        let pending = currentProcess.signals.pending | currentProcess.signals.sharedPending
        try UserMemory.store(pending & currentProcess.signals.blocked, to: a[0])
        return 0
    }

    /// sigaltstack(ss, old_ss) with Linux's stack_t (sp, flags, size). As Linux, the caller's
    /// %rsp decides: old_ss reports SS_ONSTACK while it lies on the alternate stack, and the
    /// stack cannot be changed from there (EPERM); old_ss is written only when the call succeeds.
    static func sigaltstack(_ a: SyscallArguments) throws(Errno) -> Int {
        let state = currentProcess.signals
        let onStack = Signals.onAlternateStack(SyscallInProgress.userStackPointer)
        let oldFlags = state.altStackDisabled ? Signals.ssDisable : (onStack ? Signals.ssOnStack : 0)
        if a[0] != 0 {
            let stack = try UserMemory.load((UInt64, UInt64, UInt64).self, from: a[0])
            try Signals.setAlternateStack(stack, callerStack: SyscallInProgress.userStackPointer)
        }
        if a[1] != 0 { try UserMemory.store((state.altStackBase, oldFlags, state.altStackSize), to: a[1]) }
        return 0
    }

    static func kill(_ a: SyscallArguments) throws(Errno) -> Int {
        let target = a.int32(0)
        guard target == currentProcess.pid || target == 0 || target == -1 || target == -currentProcess.pid else { throw .ESRCH }
        return try killSelf(signal: a.int32(1), code: Signals.codeUser)
    }

    static func tkill(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == currentProcess.pid else { throw .ESRCH }
        return try killSelf(signal: a.int32(1), code: Signals.codeThreadKill)
    }

    static func tgkill(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) == currentProcess.pid, a.int32(1) == currentProcess.pid else { throw .ESRCH }
        return try killSelf(signal: a.int32(2), code: Signals.codeThreadKill)
    }

    /// Sends `signal` to the process itself; it is acted on as the syscall returns.
    private static func killSelf(signal: Int, code: Int32) throws(Errno) -> Int {
        guard signal >= 0, signal <= 64 else { throw .EINVAL }
        if signal != 0 { Signals.send(signal, code: code) }
        return 0
    }
}
