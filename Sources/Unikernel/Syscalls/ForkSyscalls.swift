import UnikernelABI

/// Processes: fork, vfork and clone without CLONE_VM, the wait family, and signals to other
/// processes. A guest process is a host process (the runner): fork forks the host process,
/// whose child builds a new VM over its copy-on-write copy of guest memory and resumes the
/// forking thread there (`uk_fork_child_main`); pids are host pids, the parent's children are
/// the runner's, and their statuses come from the host's waitid.
enum ForkSyscalls {
    /// The exit signal every child gets (the host reports a child's end with SIGCHLD).
    static let sigchld: UInt64 = 17

    static func fork(_ a: SyscallArguments) throws(Errno) -> Int {
        try spawnProcess(ThreadSyscalls.CloneRequest(flags: 0, stack: 0, parentTID: 0, childTID: 0, tls: 0))
    }

    /// vfork: the parent resumes once the child has exited or exec'd, and what the child wrote
    /// into its memory until then is in the parent's too (the host copies it back:
    /// UK_PROC_FORK), as if they had shared it.
    static func vfork(_ a: SyscallArguments) throws(Errno) -> Int {
        try spawnProcess(ThreadSyscalls.CloneRequest(flags: CloneFlags.vm | CloneFlags.vfork, stack: 0, parentTID: 0,
                                                     childTID: 0, tls: 0))
    }

    /// What the forked child does first (uk_fork_child_main reads it: the parent wrote it
    /// before the host forked, so the child's copy holds it).
    private struct Pending {
        var task: Task
        var request: ThreadSyscalls.CloneRequest
    }
    private static var pending: Pending?

    /// A new process running a copy of this one, where the calling thread returns 0 from its
    /// call (on `request.stack` when given); the other threads do not exist there.
    static func spawnProcess(_ request: ThreadSyscalls.CloneRequest) throws(Errno) -> Int {
        let flags = request.flags
        if flags & CloneFlags.settls != 0 { guard request.tls < PageMapper.lowerHalfEnd else { throw .EPERM } }
        let task = Scheduler.current
        guard let childStack = KernelStack.allocate() else { throw .ENOMEM }
        defer { KernelStack.release(childStack) }
        // Objects two processes must share become host objects first.
        try sharePipesWithHost()
        if let area = task.extendedState { ExtendedState.saveContext(to: area) }
        pending = Pending(task: task, request: request)
        defer { pending = nil }
        let pid = Hypercall.process(UK_PROC_FORK, Int64(bitPattern: uk_fork_child_entry_address()),
                                    Int64(bitPattern: childStack.top), Int64(bitPattern: childStack.base),
                                    flags: hostForkFlags(flags))
        let child = try Errno.check(pid)
        if flags & CloneFlags.vfork != 0, flags & CloneFlags.vm != 0 { applyVforkChildWrites() }
        if flags & CloneFlags.parentSettid != 0 { try? UserMemory.store(UInt32(child), to: request.parentTID) }
        return child
    }

    /// UK_PROC_FORK's flags for clone `flags`: the parent waits (CLONE_VFORK), and sees the
    /// child's writes when they share memory (CLONE_VM).
    private static func hostForkFlags(_ flags: UInt64) -> UInt32 {
        guard flags & CloneFlags.vfork != 0 else { return 0 }
        return flags & CloneFlags.vm != 0 ? UK_FORK_VFORK | UK_FORK_SHARED_MEMORY : UK_FORK_VFORK
    }

    /// After a vfork: the pages the child wrote where this process had no writable page yet
    /// (its host wrote the others in place) are populated as the child's writes would have
    /// populated a shared memory, and filled with what the child left there. A page this
    /// process cannot write (no mapping there, or read-only) is dropped.
    private static func applyVforkChildWrites() {
        let batch = min(BounceBuffer.dataCapacity / 8, 1024)
        while true {
            let count = Int(Hypercall.process(UK_PROC_VFORK_PENDING, dataLength: batch * 8))
            guard count > 0, count <= batch else { return }
            let slots = BounceBuffer.data.assumingMemoryBound(to: UInt64.self)
            for index in 0..<count {
                let address = slots[index]
                let valid = address & (UK_PAGE_SIZE - 1) == 0 && (try? UserMemory.validate(address, Int(UK_PAGE_SIZE))) != nil
                slots[index] = valid ? currentProcess.addressSpace.frame(for: address, write: true) ?? 0 : 0
            }
            guard Hypercall.process(UK_PROC_VFORK_APPLY, Int64(count), dataLength: count * 8) == 0 else { return }
        }
    }

    /// In the forked child, on vCPU 0 of its new VM, on the stack the parent allocated: the
    /// forking thread becomes the only task and returns 0 to the application.
    static func becomeChild(pid: Int, stackBase: UInt64) -> Never {
        guard let pending else { kernelPanic("fork: the child found no pending fork") }
        let task = pending.task
        let request = pending.request
        // getppid's parent pid is the host's to write (the child's runner did, before this ran).
        // As Linux: the parent-death signal is not inherited (the host's fork cleared it too).
        currentProcess.parentDeathSignal = 0
        currentProcess.bootInfo.pid = UInt32(pid)
        // As Linux: pending signals and the robust list are not inherited.
        currentProcess.signals.sharedPending = 0
        task.signals.pending = 0
        task.robustList = 0
        // As Linux: neither setitimer's timers nor POSIX timers are inherited (timerfds are).
        currentProcess.timers.disarmAll()
        task.clearChildTID = request.flags & CloneFlags.childCleartid != 0 ? request.childTID : 0
        if request.flags & CloneFlags.settls != 0 { task.fsBase = request.tls }
        task.userFrame.pointee.rax = 0
        if request.stack != 0 { task.userFrame.pointee.rsp = request.stack }
        Scheduler.restartAfterFork(survivor: task, tid: pid, idleStack: KernelStack(base: stackBase))
        if request.flags & CloneFlags.childSettid != 0 { try? UserMemory.store(UInt32(pid), to: request.childTID) }
        Scheduler.runAfterFork()
    }

    /// Moves every pipe the process has open (or only `target`) to a host pipe (its buffered
    /// bytes first), so that both processes of a fork share it (a pipe served in the guest
    /// would be copied instead), or so that an end can travel in an SCM_RIGHTS message.
    static func sharePipesWithHost(only target: PipeBuffer? = nil) throws(Errno) {
        var moved: [(buffer: PipeBuffer, reader: Int32, writer: Int32)] = []
        for fd in currentProcess.files.descriptors(from: 0, through: FileTable.limit) {
            let file = try currentProcess.files.file(fd)
            guard let object = file.object else { continue }
            let buffer: PipeBuffer
            let isReader: Bool
            switch object {
            case let .pipeReader(pipe): buffer = pipe; isReader = true
            case let .pipeWriter(pipe): buffer = pipe; isReader = false
            default: continue
            }
            if let target, buffer !== target { continue }
            var handles: (reader: Int32, writer: Int32)
            if let index = moved.firstIndex(where: { $0.buffer === buffer }) {
                handles = (moved[index].reader, moved[index].writer)
            } else {
                handles = try makeHostPipe()
                if !buffer.bytes.isEmpty {
                    BounceBuffer.stage(buffer.bytes, at: BounceBuffer.dataOffset)
                    _ = Hypercall.write(handle: handles.writer, bufferPhysical: BounceBuffer.physical + UInt64(BounceBuffer.dataOffset),
                                        length: buffer.bytes.count)
                    buffer.bytes.removeAll()
                }
                moved.append((buffer, handles.reader, handles.writer))
            }
            let handle = isReader ? handles.reader : handles.writer
            if file.flags & PipeSyscalls.oNonblock != 0 {
                _ = try? Hypercall.file(UK_FILE_SET_FLAGS, handle: handle, value: Int64(PipeSyscalls.oNonblock))
            }
            try currentProcess.files.update(fd, OpenFile(hostHandle: handle, path: [], flags: file.flags,
                                                         closeOnExec: file.closeOnExec))
        }
        // An end no descriptor holds is closed, so that the other end sees EOF or EPIPE.
        for pipe in moved {
            if !currentProcess.files.isShared(pipe.reader) { _ = Hypercall.close(handle: pipe.reader) }
            if !currentProcess.files.isShared(pipe.writer) { _ = Hypercall.close(handle: pipe.writer) }
            pipe.buffer.readers = 0
            pipe.buffer.writers = 0
        }
    }

    /// A new host pipe's handles.
    static func makeHostPipe() throws(Errno) -> (reader: Int32, writer: Int32) {
        _ = try Errno.check(Hypercall.process(UK_PROC_PIPE, dataLength: 8))
        let handles = BounceBuffer.data.loadUnaligned(as: (Int32, Int32).self)
        return (handles.0, handles.1)
    }

    // MARK: Waiting

    static let wNohang = 1, wUntraced = 2, wExited = 4, wContinued = 8, wNowait = 0x0100_0000
    static let wAll = 0x4000_0000, wClone = Int(bitPattern: 0x8000_0000), wNothread = 0x2000_0000
    static let pAll = 0, pPid = 1, pPgid = 2, pPidfd = 3
    static let cldExited: Int32 = 1, cldKilled: Int32 = 2, cldDumped: Int32 = 3
    static let cldTrapped: Int32 = 4, cldStopped: Int32 = 5, cldContinued: Int32 = 6

    /// What the host found: the child and how it changed (nil: none yet).
    struct ChildChange {
        var pid: Int32
        var code: Int32
        var status: Int32
        var uid: UInt32
        var userNanoseconds: UInt64
        var systemNanoseconds: UInt64

        /// The wait4 status word: exit status << 8, the signal (| 0x80 with a core), the stop
        /// signal << 8 | 0x7F, or 0xFFFF for a continue.
        var waitStatus: Int32 {
            switch code {
            case cldExited: return (status & 0xFF) << 8
            case cldDumped: return status | 0x80
            case cldStopped, cldTrapped: return (status & 0xFF) << 8 | 0x7F
            case cldContinued: return 0xFFFF
            default: return status
            }
        }

        /// Whether the child ended (a stop or continue leaves it a child).
        var ended: Bool { code == cldExited || code == cldKilled || code == cldDumped }
    }

    /// Waits for a child matching (idtype, id) to change state, as `options` asks.
    private static func waitForChild(idtype: Int, id: Int, options: Int) throws(Errno) -> ChildChange? {
        let reaping = options & wNowait == 0
        while true {
            HostSignals.take()
            let seen = ChildEvents.generation
            if let change = try askHost(idtype: idtype, id: id, options: options) {
                // A child reaped while SIGCHLD is ignored (or SA_NOCLDWAIT) was never a zombie:
                // keep waiting, as Linux's auto-reaping leaves nothing to find.
                if reaping, change.ended, autoReaps { continue }
                return change
            }
            if options & wNohang != 0 { return nil }
            if ChildEvents.generation == seen {
                if ChildEvents.waiters.wait() == .interrupted { throw .ERESTARTSYS }
            }
        }
    }

    /// The host's waitid(idtype, id, options & (WEXITED | WSTOPPED | WCONTINUED | WNOWAIT) |
    /// WNOHANG): a child that ended, stopped or continued, or nil when none has yet.
    static func askHost(idtype: Int, id: Int, options: Int) throws(Errno) -> ChildChange? {
        let events = options & (wExited | wUntraced | wContinued | wNowait)
        _ = try Errno.check(Hypercall.process(UK_PROC_WAIT, Int64(idtype), Int64(id), Int64(events),
                                              dataLength: MemoryLayout<uk_wait_result>.size))
        let found = BounceBuffer.data.loadUnaligned(as: uk_wait_result.self)
        guard found.pid > 0 else { return nil }
        return ChildChange(pid: found.pid, code: found.code, status: found.status, uid: found.uid,
                           userNanoseconds: found.user_ns, systemNanoseconds: found.system_ns)
    }

    /// Whether children are reaped without a wait (SIGCHLD ignored, or SA_NOCLDWAIT).
    private static var autoReaps: Bool {
        let action = currentProcess.signals.actions[Int(sigchld)]
        return action.handler == Signals.sigIgnore || action.flags & 2 != 0  // SA_NOCLDWAIT
    }

    /// wait4(pid, wstatus, options, rusage).
    static func wait4(_ a: SyscallArguments) throws(Errno) -> Int {
        let pid = a.int32(0)
        let options = a.uint32(2)
        guard options & ~(wNohang | wUntraced | wContinued | wNothread | wAll | wClone) == 0 else { throw .EINVAL }
        if a[1] != 0 { try UserMemory.validate(a[1], 4) }
        if a[3] != 0 { try UserMemory.validate(a[3], 144) }
        let (idtype, id): (Int, Int)
        switch pid {
        case -1: (idtype, id) = (pAll, 0)
        case 0: (idtype, id) = (pPgid, 0)
        case ..<0:
            guard pid != Int(Int32.min) else { throw .ESRCH }
            (idtype, id) = (pPgid, -pid)
        default: (idtype, id) = (pPid, pid)
        }
        guard let change = try waitForChild(idtype: idtype, id: id, options: options | wExited) else { return 0 }
        if a[1] != 0 { try UserMemory.store(change.waitStatus, to: a[1]) }
        if a[3] != 0 { try storeUsage(change, to: a[3]) }
        return Int(change.pid)
    }

    /// waitid(idtype, id, infop, options, rusage).
    static func waitid(_ a: SyscallArguments) throws(Errno) -> Int {
        let idtype = a.int32(0)
        var options = a.uint32(3)
        guard options & ~(wNohang | wUntraced | wExited | wContinued | wNowait | wNothread | wAll | wClone) == 0,
              options & (wUntraced | wExited | wContinued) != 0 else { throw .EINVAL }
        guard idtype == pAll || idtype == pPid || idtype == pPgid || idtype == pPidfd else { throw .EINVAL }
        if idtype == pPid, a.int32(1) <= 0 { throw .EINVAL }
        var id = idtype == pAll ? 0 : a.int32(1)
        // A non-blocking pidfd makes a wait without WNOHANG answer EAGAIN while nothing changed.
        var againWhenNone = false
        if idtype == pPidfd {
            guard id >= 0 else { throw .EINVAL }
            let pidfd = try PidfdSyscalls.hostPidfd(id)
            id = Int(pidfd.handle)
            if pidfd.nonblocking, options & wNohang == 0 {
                options |= wNohang
                againWhenNone = true
            }
        }
        if a[2] != 0 { try UserMemory.validate(a[2], 128) }
        if a[4] != 0 { try UserMemory.validate(a[4], 144) }
        guard let change = try waitForChild(idtype: idtype, id: id, options: options) else {
            if againWhenNone { throw .EAGAIN }
            return try storeNoChange(a[2])
        }
        if a[2] != 0 {
            // siginfo_t: si_signo, si_errno, si_code, then (at 16) si_pid, si_uid, si_status,
            // si_utime, si_stime (clock ticks).
            var info = [UInt8](repeating: 0, count: 128)
            func put<T>(_ value: T, at offset: Int) {
                withUnsafeBytes(of: value) { for (i, byte) in $0.enumerated() { info[offset + i] = byte } }
            }
            put(Int32(HostSignals.sigchld), at: 0)
            put(change.code, at: 8)
            put(change.pid, at: 16)
            put(change.uid, at: 20)
            put(change.status, at: 24)
            put(Int64(change.userNanoseconds / 10_000_000), at: 32)
            put(Int64(change.systemNanoseconds / 10_000_000), at: 40)
            try UserMemory.copyOut(from: info, to: a[2])
        }
        if a[4] != 0 { try storeUsage(change, to: a[4]) }
        return 0
    }

    /// waitid with WNOHANG and nothing to report: si_pid (and the whole siginfo) zero.
    private static func storeNoChange(_ address: UInt64) throws(Errno) -> Int {
        if address != 0 {
            try UserMemory.copyOut(from: [UInt8](repeating: 0, count: 128), to: address)
        }
        return 0
    }

    /// struct rusage: the child's user and system time (the rest zero).
    private static func storeUsage(_ change: ChildChange, to address: UInt64) throws(Errno) {
        try UserMemory.copyOut(from: [UInt8](repeating: 0, count: 144), to: address)
        try UserMemory.store((change.userNanoseconds / 1_000_000_000, change.userNanoseconds % 1_000_000_000 / 1000,
                              change.systemNanoseconds / 1_000_000_000, change.systemNanoseconds % 1_000_000_000 / 1000),
                             to: address)
    }

    // MARK: Signals to other processes

    /// kill to other processes of the guest (UK_PROC_KILL): a pid that is not this process,
    /// or a group form (0, -1, -pgid) whose other members the host signals.
    static func killOther(pid: Int, signal: Int) throws(Errno) -> Int {
        try Errno.check(Hypercall.process(UK_PROC_KILL, Int64(pid), Int64(signal)))
    }

    /// getppid: kept fresh by the host (Process.parentPid), including after a reparenting.
    static func getppid(_ a: SyscallArguments) throws(Errno) -> Int { currentProcess.parentPid }
}

@_cdecl("uk_fork_child_main")
func forkChildMain(_ stackBase: UInt64, _ pid: UInt64) {
    ForkSyscalls.becomeChild(pid: Int(pid), stackBase: stackBase)
}

@_extern(c, "uk_fork_child_entry_address") func uk_fork_child_entry_address() -> UInt64
