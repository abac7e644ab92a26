import UnikernelABI

/// Process descriptors. A guest pidfd is a host pidfd on the same process (guest pids are host
/// pids), made by the host once it has checked that the process is the guest's
/// (UK_PROC_PIDFD_OPEN). The descriptor is a host handle (`HostKind.pidfd`), so poll, select
/// and epoll report it readable when the process has exited as the host kernel does, fork
/// shares it, reads and writes get the host's EINVAL, and waitid(P_PIDFD) is the host's
/// waitid on it (ForkSyscalls.waitid). Only its O_NONBLOCK is the guest's own: the host
/// descriptor always blocks, and waitid without WNOHANG answers EAGAIN as Linux does.
enum PidfdSyscalls {
    /// PIDFD_NONBLOCK (O_NONBLOCK) and PIDFD_THREAD (O_EXCL).
    static let pidfdNonblock = 0o4000, pidfdThread = 0o200
    /// pidfd_send_signal's scope flags: PIDFD_SIGNAL_THREAD, _THREAD_GROUP, _PROCESS_GROUP.
    static let signalThread = 1, signalThreadGroup = 2, signalProcessGroup = 4
    /// The descriptors that name the caller without a pidfd (Linux 6.15): PIDFD_SELF_THREAD,
    /// PIDFD_SELF_THREAD_GROUP.
    static let selfThread = -10000, selfThreadGroup = -10001
    /// What a pidfd's F_GETFL shows besides O_NONBLOCK: O_RDWR.
    static let readWrite = 2

    /// pidfd_open(pid, flags): a close-on-exec descriptor for guest process `pid`. EINVAL for
    /// flags other than PIDFD_NONBLOCK (PIDFD_THREAD too: a guest thread has no host process
    /// to stand for it), for pid <= 0 and for a thread of this process that is not its main
    /// thread (as Linux without PIDFD_THREAD); ESRCH for a pid that names no guest process.
    static func pidfdOpen(_ a: SyscallArguments) throws(Errno) -> Int {
        let pid = a.int32(0)
        let flags = a.uint32(1)
        guard flags & ~pidfdNonblock == 0, pid > 0 else { throw .EINVAL }
        if pid != currentProcess.pid, Scheduler.task(tid: pid) != nil { throw .EINVAL }
        let handle = Int32(try Errno.check(Hypercall.process(UK_PROC_PIDFD_OPEN, Int64(pid))))
        return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: [], flags: readWrite | flags,
                                                                   closeOnExec: true, hostKind: .pidfd))
    }

    /// The host handle of a descriptor waitid(P_PIDFD) or pidfd_send_signal may use, and
    /// whether it is non-blocking: EBADF for no descriptor or one the kernel serves itself (the
    /// host answers EBADF for a host descriptor that is no pidfd).
    static func hostPidfd(_ fd: Int) throws(Errno) -> (handle: Int32, nonblocking: Bool) {
        let file = try currentProcess.files.file(fd)
        guard file.object == nil else { throw .EBADF }
        return (file.hostHandle, file.flags & pidfdNonblock != 0)
    }

    /// pidfd_send_signal(pidfd, sig, info, flags): Linux's checks in its order (flags, the
    /// descriptor, the siginfo, the process, the signal), then the signal to another guest
    /// process through the host's pidfd (without the caller's siginfo, as kill sends it), or
    /// delivered here when the pidfd names the caller (or, with PIDFD_SIGNAL_PROCESS_GROUP,
    /// the caller's group, whose other members the host signals).
    static func pidfdSendSignal(_ a: SyscallArguments) throws(Errno) -> Int {
        let fd = a.int32(0)
        let signal = a.int32(1)
        let flags = a.uint32(3)
        let scope = flags & (signalThread | signalThreadGroup | signalProcessGroup)
        guard flags == scope, scope.nonzeroBitCount <= 1 else { throw .EINVAL }
        let info = a[2] == 0 ? nil : try QueuedInfo(loadingFrom: a[2])
        var targetsCaller = true
        if fd != selfThread && fd != selfThreadGroup {
            let (handle, _) = try hostPidfd(fd)
            var hostFlags = UInt32(scope)
            if let info, info.signal != signal { hostFlags |= UK_PIDFD_INFO_MISMATCH }
            // As Linux: only the caller may be sent a siginfo claiming to come from the kernel.
            if let info, info.mayOnlyGoToCaller { hostFlags |= UK_PIDFD_SELF_ONLY }
            let result = try Errno.check(Hypercall.process(UK_PROC_PIDFD_SIGNAL, Int64(handle), Int64(signal), flags: hostFlags))
            guard result == Int(UK_PIDFD_SELF) else { return result }
            targetsCaller = scope != signalProcessGroup
        } else if let info, info.signal != signal {
            throw .EINVAL
        } else if scope == signalProcessGroup {
            // The caller's own group: as kill(0, sig), the host signals its other members.
            if let info, info.mayOnlyGoToCaller { throw .EPERM }
            guard signal >= 0, signal <= 64 else { throw .EINVAL }
            _ = Hypercall.process(UK_PROC_KILL, 0, Int64(signal))
            targetsCaller = false
        }
        guard signal >= 0, signal <= 64 else { throw .EINVAL }
        // The siginfo's own check: the caller itself, but never its whole group.
        if let info, info.mayOnlyGoToCaller, !targetsCaller || Scheduler.current.tid != currentProcess.pid && fd != selfThread {
            throw .EPERM
        }
        guard signal != 0 else { return 0 }
        let code = info?.code ?? Signals.codeUser
        let words = info?.words
        let threadScoped = fd == selfThread || scope == signalThread
        if threadScoped {
            // The calling thread for PIDFD_SELF_THREAD, the main thread for a process's pidfd.
            let task = fd == selfThread ? Scheduler.current : Scheduler.task(tid: currentProcess.pid)
            Signals.send(signal, code: code, to: task ?? Scheduler.current, words: words)
        } else {
            Signals.send(signal, code: code, words: words)
        }
        return 0
    }

    /// The parts of a caller's siginfo a signal carries: si_signo, si_code and words 2 and 3
    /// (si_pid and si_uid, si_value).
    struct QueuedInfo {
        var signal: Int
        var code: Int32
        var words: (UInt64, UInt64)

        init(loadingFrom address: UInt64) throws(Errno) {
            // siginfo_t: si_signo, si_errno, si_code (and padding), then words 2 and 3.
            let (signo, _, code, first, second) = try UserMemory.load((Int32, Int32, Int32, UInt64, UInt64).self, from: address)
            signal = Int(signo)
            self.code = code
            words = (first, second)
        }

        /// A code of 0 or more (what the kernel sends) or SI_TKILL may only be queued to the caller.
        var mayOnlyGoToCaller: Bool { code >= 0 || code == Signals.codeThreadKill }
    }
}
