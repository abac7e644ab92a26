import UnikernelABI

/// Threads: clone/clone3 of a thread sharing the process, the two exits,
/// thread identity and exit hooks (set_tid_address, robust lists), CPU
/// placement, and futex/futex_waitv.
enum ThreadSyscalls {
    /// What a new thread gets from its creator.
    struct CloneRequest {
        var flags: UInt64
        var stack: UInt64
        var parentTID: UInt64
        var childTID: UInt64
        var tls: UInt64
    }

    /// clone(flags, stack, parent_tid, child_tid, tls) (x86-64 argument order).
    static func clone(_ a: SyscallArguments) throws(Errno) -> Int {
        try spawn(CloneRequest(flags: a[0] & ~0xFF, stack: a[1], parentTID: a[2], childTID: a[3], tls: a[4]),
                  exitSignal: a[0] & 0xFF)
    }

    /// clone3(args, size): struct clone_args (flags, pidfd, child_tid, parent_tid, exit_signal,
    /// stack, stack_size, tls, set_tid, set_tid_size, cgroup), at least the first 64 bytes.
    static func clone3(_ a: SyscallArguments) throws(Errno) -> Int {
        let size = a.int(1)
        guard size >= 64, size <= 4096 else { throw .EINVAL }
        var words = [UInt64](repeating: 0, count: 11)
        try UserMemory.copyIn(from: a[0], to: &words, count: min(size, 88))
        // Bytes beyond what the kernel knows must be zero, as Linux requires.
        if size > 88 {
            var offset = 88
            while offset < size {
                guard try UserMemory.load(UInt8.self, from: a[0] + UInt64(offset)) == 0 else { throw .E2BIG }
                offset += 1
            }
        }
        let flags = words[0]
        guard flags & 0xFF == 0, words[4] <= 64 else { throw .EINVAL }
        guard words[8] == 0, words[9] == 0 else { throw .EINVAL }  // set_tid needs CAP_SYS_ADMIN
        guard (words[5] == 0) == (words[6] == 0) else { throw .EINVAL }
        let stackTop = words[5] == 0 ? 0 : words[5] &+ words[6]
        return try spawn(CloneRequest(flags: flags, stack: stackTop, parentTID: words[3], childTID: words[2], tls: words[7]),
                         exitSignal: words[4])
    }

    /// Creates a thread of this process, or a process (ForkSyscalls) when `request` asks for one.
    private static func spawn(_ request: CloneRequest, exitSignal: UInt64) throws(Errno) -> Int {
        let flags = request.flags
        if try CloneFlags.createsProcess(flags) { return try ForkSyscalls.spawnProcess(request) }
        try CloneFlags.checkThread(flags)
        if flags & CloneFlags.settls != 0 { guard request.tls < PageMapper.lowerHalfEnd else { throw .EPERM } }

        let parent = Scheduler.current
        guard let stack = KernelStack.allocate() else { throw .ENOMEM }
        let child = Task(tid: Scheduler.allocateTID(), stack: stack)
        // The child resumes where the parent's syscall returns, with RAX = 0 and its own stack.
        child.userFrame.pointee = parent.userFrame.pointee
        child.userFrame.pointee.rax = 0
        if request.stack != 0 { child.userFrame.pointee.rsp = request.stack }
        child.prepareFirstSwitch(entry: uk_task_first_entry_address())
        if let area = child.extendedState { ExtendedState.saveContext(to: area) }
        child.fsBase = flags & CloneFlags.settls != 0 ? request.tls : parent.fsBase
        child.gsBase = parent.gsBase
        child.signals.blocked = parent.signals.blocked
        child.affinity = parent.affinity
        if flags & CloneFlags.childCleartid != 0 { child.clearChildTID = request.childTID }
        do throws(Errno) {
            if flags & CloneFlags.parentSettid != 0 { try UserMemory.store(UInt32(child.tid), to: request.parentTID) }
            if flags & CloneFlags.childSettid != 0 { try UserMemory.store(UInt32(child.tid), to: request.childTID) }
        } catch {
            child.release()
            throw error
        }
        Scheduler.add(child)
        return child.tid
    }

    /// exit(status): ends the calling thread; the last one ends the process with its status
    /// (the process's status is the main thread's when it exited first, as Linux reports it).
    static func exit(_ a: SyscallArguments) throws(Errno) -> Int {
        let task = Scheduler.current
        let status = Int32(truncatingIfNeeded: a[0])
        Futex.taskExiting(task)
        if task.tid == currentProcess.pid { currentProcess.leaderExitStatus = status }
        if Scheduler.tasks.count == 1 {
            Hypercall.exit(status: currentProcess.leaderExitStatus ?? status)
        }
        Scheduler.exitCurrent()
    }

    /// exit_group(status): ends every thread; status & 0xff becomes the host's exit status.
    static func exitGroup(_ a: SyscallArguments) throws(Errno) -> Int {
        Futex.processExiting()
        Hypercall.exit(status: Int32(truncatingIfNeeded: a[0]))
    }

    static func gettid(_ a: SyscallArguments) throws(Errno) -> Int { Scheduler.current.tid }

    /// set_tid_address(tidptr): the word zeroed and woken when the thread exits.
    static func setTidAddress(_ a: SyscallArguments) throws(Errno) -> Int {
        Scheduler.current.clearChildTID = a[0]
        return Scheduler.current.tid
    }

    /// set_robust_list(head, size): the size must be Linux's robust_list_head (24 bytes).
    static func setRobustList(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] == 24 else { throw .EINVAL }
        Scheduler.current.robustList = a[0]
        return 0
    }

    /// get_robust_list(tid, head_ptr, len_ptr).
    static func getRobustList(_ a: SyscallArguments) throws(Errno) -> Int {
        let task = try target(a.int32(0))
        try UserMemory.store(task.robustList, to: a[1])
        try UserMemory.store(UInt64(24), to: a[2])
        return 0
    }

    /// sched_yield: the next runnable task of the guest, else the host's other processes
    /// (an idle call of no duration: the host yields its CPU), as Linux yields to any process.
    /// The kernel lock is not held across the host's yield: a program that spins on
    /// sched_yield waits for another of its threads, whose vCPU would otherwise find the lock
    /// taken for as long as the host runs other work here, and spin on it in turn.
    static func schedYield(_ a: SyscallArguments) throws(Errno) -> Int {
        if !Scheduler.yield() {
            KernelLock.release()
            Hypercall.idle(nanoseconds: 0)
            KernelLock.acquire()
            TLB.catchUp()
        }
        return 0
    }

    /// The vCPUs the process may run on, as a mask (sched_getaffinity).
    static var onlineMask: UInt64 {
        Scheduler.cpuCount >= 64 ? UInt64.max : (UInt64(1) << UInt64(Scheduler.cpuCount)) - 1
    }

    private static func target(_ pid: Int) throws(Errno) -> Task {
        if pid == 0 { return Scheduler.current }
        guard pid > 0, let task = Scheduler.task(tid: pid) else { throw .ESRCH }
        return task
    }

    /// sched_getaffinity(pid, size, mask): returns the bytes written (a multiple of 8, as Linux).
    static func schedGetaffinity(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(1) >= 8, a.int(1) & 7 == 0 else { throw .EINVAL }
        let task = try target(a.int32(0))
        try UserMemory.store(task.affinity & onlineMask, to: a[2])
        return 8
    }

    /// sched_setaffinity(pid, size, mask): a mask without an online CPU is EINVAL.
    static func schedSetaffinity(_ a: SyscallArguments) throws(Errno) -> Int {
        let task = try target(a.int32(0))
        guard a.int(1) > 0 else { throw .EINVAL }
        var mask: UInt64 = 0
        let bytes = min(a.int(1), 8)
        for index in 0..<bytes {
            mask |= UInt64(try UserMemory.load(UInt8.self, from: a[2] + UInt64(index))) << UInt64(8 * index)
        }
        guard mask & onlineMask != 0 else { throw .EINVAL }
        task.affinity = mask & onlineMask
        return 0
    }

    /// getcpu(cpu, node, cache): the vCPU the thread runs on, node 0.
    static func getcpu(_ a: SyscallArguments) throws(Errno) -> Int {
        if a[0] != 0 { try UserMemory.store(UInt32(CPULocal.index), to: a[0]) }
        if a[1] != 0 { try UserMemory.store(UInt32(0), to: a[1]) }
        return 0
    }

    // MARK: futex

    static let futexWait = 0, futexWake = 1, futexFD = 2, futexRequeue = 3, futexCmpRequeue = 4, futexWakeOp = 5
    static let futexLockPI = 6, futexUnlockPI = 7, futexTrylockPI = 8, futexWaitBitset = 9, futexWakeBitset = 10
    static let futexWaitRequeuePI = 11, futexCmpRequeuePI = 12, futexLockPI2 = 13
    static let futexPrivate = 128, futexClockRealtime = 256

    /// futex(uaddr, op, val, timeout/val2, uaddr2, val3).
    static func futex(_ a: SyscallArguments) throws(Errno) -> Int {
        let operation = a.int32(1) & 0x7F
        let realtime = a.int32(1) & futexClockRealtime != 0
        let address = a[0]
        let value = UInt32(truncatingIfNeeded: a[2])
        // FUTEX_CLOCK_REALTIME only means something to the absolute waits.
        if realtime, ![futexWaitBitset, futexWaitRequeuePI, futexLockPI2, futexWait].contains(operation) { throw .ENOSYS }
        // A shared futex on a MAP_SHARED page: other processes may wait or wake on it (SharedFutex).
        if a.int32(1) & futexPrivate == 0, [futexWait, futexWaitBitset, futexWake, futexWakeBitset].contains(operation),
           let word = SharedFutex.word(at: address) {
            let bitset = operation == futexWait || operation == futexWake ? Futex.bitsetMatchAny : UInt32(truncatingIfNeeded: a[5])
            switch operation {
            case futexWait:
                let deadline = try a[3] == 0 ? nil : Clock.monotonicNanoseconds() &+ TimeSyscalls.loadTimespec(a[3])
                try SharedFutex.wait(word: word, expected: value, bitset: bitset, deadline: deadline)
                return 0
            case futexWaitBitset:
                let deadline = try a[3] == 0 ? nil : absoluteDeadline(a[3], realtime: realtime)
                try SharedFutex.wait(word: word, expected: value, bitset: bitset, deadline: deadline)
                return 0
            default:
                return try SharedFutex.wake(word: word, count: Int32(bitPattern: value), bitset: bitset)
            }
        }
        switch operation {
        case futexWait:
            let deadline = try a[3] == 0 ? nil : Clock.monotonicNanoseconds() &+ TimeSyscalls.loadTimespec(a[3])
            try Futex.wait(address: address, expected: value, bitset: Futex.bitsetMatchAny, deadline: deadline)
            return 0
        case futexWaitBitset:
            let deadline = try a[3] == 0 ? nil : absoluteDeadline(a[3], realtime: realtime)
            try Futex.wait(address: address, expected: value, bitset: UInt32(truncatingIfNeeded: a[5]), deadline: deadline)
            return 0
        case futexWake:
            try checkAddress(address)
            return Futex.wake(address: address, count: Int(Int32(bitPattern: value)))
        case futexWakeBitset:
            try checkAddress(address)
            let bitset = UInt32(truncatingIfNeeded: a[5])
            guard bitset != 0 else { throw .EINVAL }
            return Futex.wake(address: address, count: Int(Int32(bitPattern: value)), bitset: bitset)
        case futexRequeue, futexCmpRequeue:
            try checkAddress(address)
            try checkAddress(a[4])
            let wakeCount = Int(Int32(bitPattern: value))
            let requeueCount = Int(Int32(truncatingIfNeeded: a[3]))
            guard wakeCount >= 0, requeueCount >= 0 else { throw .EINVAL }
            if operation == futexCmpRequeue {
                guard try UserMemory.load(UInt32.self, from: address) == UInt32(truncatingIfNeeded: a[5]) else { throw .EAGAIN }
            }
            return Futex.requeue(address: address, wakeCount: wakeCount, requeueCount: requeueCount, target: a[4])
        case futexWakeOp:
            return try wakeOp(address, count: Int(Int32(bitPattern: value)), address2: a[4],
                              count2: Int(Int32(truncatingIfNeeded: a[3])), encoded: UInt32(truncatingIfNeeded: a[5]))
        case futexLockPI, futexLockPI2:
            // LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on the flag's clock.
            let deadline = try a[3] == 0 ? nil : absoluteDeadline(a[3], realtime: operation == futexLockPI || realtime)
            try Futex.lockPI(address: address, deadline: deadline, trying: false)
            return 0
        case futexTrylockPI:
            try Futex.lockPI(address: address, deadline: nil, trying: true)
            return 0
        case futexUnlockPI:
            try Futex.unlockPI(address: address)
            return 0
        default:
            throw .ENOSYS
        }
    }

    private static func checkAddress(_ address: UInt64) throws(Errno) {
        guard address & 3 == 0 else { throw .EINVAL }
        try UserMemory.validate(address, 4)
    }

    /// An absolute timespec on CLOCK_REALTIME or CLOCK_MONOTONIC as a monotonic deadline.
    private static func absoluteDeadline(_ address: UInt64, realtime: Bool) throws(Errno) -> UInt64 {
        let when = try TimeSyscalls.loadTimespec(address)
        let now = realtime ? Clock.realtimeNanoseconds() : Clock.monotonicNanoseconds()
        let monotonic = Clock.monotonicNanoseconds()
        return when > now ? monotonic &+ (when - now) : monotonic
    }

    /// FUTEX_WAKE_OP: atomically applies the encoded operation to the word at `address2`,
    /// wakes `count` waiters on `address` and, when the comparison of the old value
    /// holds, `count2` waiters on `address2`.
    private static func wakeOp(_ address: UInt64, count: Int, address2: UInt64, count2: Int, encoded: UInt32) throws(Errno) -> Int {
        try checkAddress(address)
        try checkAddress(address2)
        let operation = try FutexWakeOperation(encoded: encoded)
        var old: UInt32
        repeat {
            old = try UserMemory.load(UInt32.self, from: address2)
        } while try UserMemory.compareExchange32(at: address2, expected: old, new: operation.apply(to: old)) != old
        guard let holds = operation.holds(for: old) else { throw .ENOSYS }
        var woken = Futex.wake(address: address, count: count)
        if holds { woken += Futex.wake(address: address2, count: count2) }
        return woken
    }

    /// futex_waitv(waiters, count, flags, timeout, clock): waits on up to 128 futexes;
    /// returns the index of one that was woken.
    static func futexWaitv(_ a: SyscallArguments) throws(Errno) -> Int {
        let count = a.int(1)
        guard a[2] == 0, count > 0, count <= 128 else { throw .EINVAL }
        var entries: [(value: UInt64, address: UInt64, flags: UInt32)] = []
        for index in 0..<count {
            let entry = try UserMemory.load((UInt64, UInt64, UInt32, UInt32).self, from: a[0] + UInt64(index * 24))
            // Only 32-bit futexes (FUTEX2_SIZE_U32 = 2), optionally private (128); reserved must be zero.
            guard entry.3 == 0, entry.2 & ~UInt32(128) == 2 else { throw .EINVAL }
            try checkAddress(entry.1)
            entries.append((entry.0, entry.1, entry.2))
        }
        var deadline: UInt64?
        if a[3] != 0 {
            let clock = a.int32(4)
            guard clock == 0 || clock == 1 else { throw .EINVAL }
            deadline = try absoluteDeadline(a[3], realtime: clock == 0)
        }
        return try Futex.waitAny(entries.map { ($0.address, UInt32(truncatingIfNeeded: $0.value)) }, deadline: deadline)
    }
}

// MARK: membarrier

extension ThreadSyscalls {
    /// The commands membarrier offers (MEMBARRIER_CMD_QUERY's answer): GLOBAL, GLOBAL_EXPEDITED
    /// and its registration, PRIVATE_EXPEDITED and PRIVATE_EXPEDITED_SYNC_CORE and theirs.
    static let membarrierCommands = 0x7F

    /// membarrier(cmd, flags, cpu_id): a barrier on every thread of the process that runs now.
    /// Every vCPU in application code is interrupted (an interrupt serialises it) and waited
    /// for before the call returns, as a TLB shootdown that restricts mappings is; the others
    /// enter the kernel, which is a barrier too, before they run the application again.
    static func membarrier(_ a: SyscallArguments) throws(Errno) -> Int {
        let command = a.int32(0)
        guard a.int32(1) == 0 else { throw .EINVAL }
        switch command {
        case 0: return membarrierCommands  // QUERY
        case 4, 16, 64:  // the registrations
            currentProcess.membarrierRegistrations |= command
            return 0
        case 1, 2, 8, 32:  // GLOBAL, GLOBAL_EXPEDITED, PRIVATE_EXPEDITED, PRIVATE_EXPEDITED_SYNC_CORE
            // An expedited barrier needs its registration (GLOBAL_EXPEDITED's only to be
            // a target: the caller may always ask), as Linux's EPERM.
            if command == 8 || command == 32, currentProcess.membarrierRegistrations & (command * 2) == 0 { throw .EPERM }
            if TLB.shared { TLB.noteChange(restricting: true) }
            return 0
        default:
            throw .EINVAL
        }
    }
}
