import UnikernelABI

/// The signal system calls: dispositions (process-wide), masks, pending sets
/// and alternate stacks (per thread), sending to the process or to one
/// thread, and waiting for signals (rt_sigsuspend, pause, rt_sigtimedwait).
enum SignalSyscalls {
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

    /// rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, on the calling thread.
    static func rtSigprocmask(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[3] == 8 else { throw .EINVAL }
        let task = Scheduler.current
        let old = task.signals.blocked
        if a[1] != 0 {
            let set = try UserMemory.load(UInt64.self, from: a[1])
            switch a.int32(0) {
            case 0: task.signals.blocked |= set
            case 1: task.signals.blocked &= ~set
            case 2: task.signals.blocked = set
            default: throw .EINVAL
            }
            task.signals.blocked &= ~Signals.unblockable
        }
        if a[2] != 0 { try UserMemory.store(old, to: a[2]) }
        return 0
    }

    /// rt_sigpending(set, sigsetsize): the thread's and the process's pending signals that are blocked.
    static func rtSigpending(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] == 8 else { throw .EINVAL }
        let task = Scheduler.current
        let pending = task.signals.pending | currentProcess.signals.sharedPending
        try UserMemory.store(pending & task.signals.blocked, to: a[0])
        return 0
    }

    /// sigaltstack(ss, old_ss) with Linux's stack_t (sp, flags, size). The old flags say
    /// SS_ONSTACK while the caller runs on the stack, which then cannot be changed (EPERM);
    /// old_ss is written only when the call succeeds, as Linux does.
    static func sigaltstack(_ a: SyscallArguments) throws(Errno) -> Int {
        let task = Scheduler.current
        let state = task.signals
        let onStack = Signals.onAlternateStack(task.userFrame.pointee.rsp)
        let oldFlags: UInt64 = state.altStackDisabled ? Signals.ssDisable : (onStack ? Signals.ssOnStack : 0)
        if a[1] != 0 { try UserMemory.validate(a[1], 24) }
        if a[0] != 0 {
            let stack = try UserMemory.load((UInt64, UInt64, UInt64).self, from: a[0])
            try Signals.setAlternateStack(stack, callerStack: task.userFrame.pointee.rsp)
        }
        if a[1] != 0 { try UserMemory.store((state.altStackBase, oldFlags, state.altStackSize), to: a[1]) }
        return 0
    }

    /// kill(pid, signal): to the process itself, to any other process of the guest (the host's
    /// kill; a pid outside the guest is ESRCH, as outside a pid namespace), to the caller's
    /// group (0), to every guest process but the caller (-1), or to the group -pgid. The host
    /// signals the other processes a group form names; the caller's own process, when named,
    /// gets the signal here, and then the call succeeds (Linux's kill_pgrp counts any success).
    static func kill(_ a: SyscallArguments) throws(Errno) -> Int {
        let target = a.int32(0)
        let pid = currentProcess.pid
        let signal = try checkedSignal(a.int32(1))
        guard target != Int(Int32.min) else { throw .ESRCH }
        if target == pid {
            if signal != 0 { Signals.send(signal, code: Signals.codeUser) }
            return 0
        }
        if target > 0 { return try ForkSyscalls.killOther(pid: target, signal: signal) }
        let includesCaller: Bool
        switch target {
        case 0: includesCaller = true
        case -1: includesCaller = false
        default: includesCaller = -target == ((try? ProcessSyscalls.getpgrp(a)) ?? pid)
        }
        let others = Hypercall.process(UK_PROC_KILL, Int64(target), Int64(signal))
        guard includesCaller else { return try Errno.check(others) }
        if signal != 0 { Signals.send(signal, code: Signals.codeUser) }
        return 0
    }

    /// tkill(tid, signal): to one thread of the process.
    static func tkill(_ a: SyscallArguments) throws(Errno) -> Int {
        let signal = try checkedSignal(a.int32(1))
        guard a.int32(0) > 0 else { throw .EINVAL }
        guard let task = Scheduler.task(tid: a.int32(0)) else { throw .ESRCH }
        if signal != 0 { Signals.send(signal, code: Signals.codeThreadKill, to: task) }
        return 0
    }

    /// tgkill(tgid, tid, signal): to one thread of the process `tgid`.
    static func tgkill(_ a: SyscallArguments) throws(Errno) -> Int {
        let signal = try checkedSignal(a.int32(2))
        guard a.int32(0) > 0, a.int32(1) > 0 else { throw .EINVAL }
        guard a.int32(0) == currentProcess.pid, let task = Scheduler.task(tid: a.int32(1)) else { throw .ESRCH }
        if signal != 0 { Signals.send(signal, code: Signals.codeThreadKill, to: task) }
        return 0
    }

    /// The si_code and words 2 and 3 of the siginfo a caller queues (rt_sigqueueinfo): as
    /// Linux, a code of 0 or more (what the kernel sends) or SI_TKILL may only be queued to the
    /// caller itself.
    private static func queuedInfo(_ address: UInt64, toSelf: Bool) throws(Errno) -> (Int32, (UInt64, UInt64)) {
        // siginfo_t: si_signo and si_errno, si_code (and padding), then words 2 and 3.
        let (_, code, _, first, second) = try UserMemory.load((UInt64, Int32, Int32, UInt64, UInt64).self, from: address)
        guard toSelf || (code < 0 && code != Signals.codeThreadKill) else { throw .EPERM }
        return (code, (first, second))
    }

    /// rt_sigqueueinfo(pid, signal, info): a signal with the caller's siginfo (sigqueue's
    /// si_value) to the process itself; to a child, the signal alone (the host's kill).
    static func rtSigqueueinfo(_ a: SyscallArguments) throws(Errno) -> Int {
        let signal = try checkedSignal(a.int32(1))
        let target = a.int32(0)
        let (code, words) = try queuedInfo(a[2], toSelf: target == currentProcess.pid)
        guard target > 0 else { throw .ESRCH }  // one process only, never a group
        if target != currentProcess.pid { return try ForkSyscalls.killOther(pid: target, signal: signal) }
        if signal != 0 { Signals.send(signal, code: code, words: words) }
        return 0
    }

    /// rt_tgsigqueueinfo(tgid, tid, signal, info): the same to one thread of the process.
    static func rtTgsigqueueinfo(_ a: SyscallArguments) throws(Errno) -> Int {
        let signal = try checkedSignal(a.int32(2))
        guard a.int32(0) > 0, a.int32(1) > 0 else { throw .EINVAL }
        let (code, words) = try queuedInfo(a[3], toSelf: a.int32(1) == Scheduler.current.tid)
        guard a.int32(0) == currentProcess.pid, let task = Scheduler.task(tid: a.int32(1)) else { throw .ESRCH }
        if signal != 0 { Signals.send(signal, code: code, to: task, words: words) }
        return 0
    }

    private static func checkedSignal(_ signal: Int) throws(Errno) -> Int {
        guard signal >= 0, signal <= 64 else { throw .EINVAL }
        return signal
    }

    /// rt_sigsuspend(mask, sigsetsize): waits with `mask` until a signal is delivered;
    /// always EINTR, the caller's mask restored after the handler (Signals.deliverPending).
    static func rtSigsuspend(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] == 8 else { throw .EINVAL }
        let mask = try UserMemory.load(UInt64.self, from: a[0])
        let task = Scheduler.current
        task.signals.savedMask = task.signals.blocked
        task.signals.blocked = mask & ~Signals.unblockable
        while Scheduler.block() != .interrupted {}
        throw .EINTR
    }

    /// pause(): waits until a signal is delivered; always EINTR.
    static func pause(_ a: SyscallArguments) throws(Errno) -> Int {
        while Scheduler.block() != .interrupted {}
        throw .EINTR
    }

    /// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal of `set`
    /// (waiting up to the relative timeout) and returns its number, filling siginfo.
    static func rtSigtimedwait(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[3] == 8 else { throw .EINVAL }
        let set = try UserMemory.load(UInt64.self, from: a[0]) & ~Signals.unblockable
        var deadline: UInt64?
        if a[2] != 0 {
            deadline = Clock.monotonicNanoseconds() &+ (try TimeSyscalls.loadTimespec(a[2]))
        }
        let task = Scheduler.current
        while true {
            if let taken = Signals.take(from: set) {
                if a[1] != 0 {
                    // siginfo_t (128 bytes): si_signo, si_errno, si_code, then si_pid and si_uid.
                    var words = [UInt64](repeating: 0, count: 16)
                    words[0] = UInt64(UInt32(taken.signal))
                    words[1] = UInt64(UInt32(bitPattern: taken.code))
                    (words[2], words[3]) = taken.words
                    try UserMemory.copyOut(from: words, to: a[1], count: 128)
                }
                return taken.signal
            }
            task.signals.waitingFor = set
            let reason = Scheduler.block(deadline: deadline)
            task.signals.waitingFor = 0
            if reason == .timedOut { throw .EAGAIN }
            // Woken for a signal: one of `set` is taken at the top of the loop; another one
            // that the thread acts on ends the wait with EINTR (its handler runs).
            if reason == .interrupted, !Signals.hasPending(in: set, for: task), Signals.hasDeliverable(task) { throw .EINTR }
        }
    }
}
