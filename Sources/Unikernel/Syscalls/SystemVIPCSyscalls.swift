import UnikernelABI

/// System V IPC: shared memory, semaphore sets and message queues (shmget … msgctl).
///
/// The objects are the host kernel's, in an IPC namespace of the guest's own: the first runner
/// makes it at start-up (`unshare(CLONE_NEWIPC)`, see the hypervisor's `SystemVIPC`), and every
/// process of the guest (forked runners, the runners an execve starts) lives in it, so the
/// guest's processes share their objects with Linux's exact semantics (permissions, keys,
/// IPC_RMID, EIDRM, SEM_UNDO at exit, shm_nattch across fork, exec and exit) while no host id is
/// ever reachable. Each call is one UK_PROC_SYSV hypercall whose pointer arguments are the
/// bounce buffer. An attached segment is a shared window (as a MAP_SHARED mapping): the host
/// runner attaches it, so a forked runner inherits the attachment and an exec or exit ends it.
///
/// A semaphore operation that waits, waits in the host, as SharedFutex does: in slices of at
/// most 20 ms without the kernel lock (so the guest's other threads keep running), with the
/// operations in a frame of their own; the waiter is the host's, so GETNCNT/GETZCNT count it and
/// the host wakes it. msgsnd and msgrcv never wait in the host: a call that would block is
/// made with IPC_NOWAIT and retried with a growing pause (1 to 20 ms), as file locks are. A
/// signal ends a wait with EINTR (these calls are never restarted, as on Linux), semtimedop's
/// timeout with EAGAIN, and an object removed meanwhile with EIDRM.
enum SystemVIPCSyscalls {
    static let ipcNoWait = 0o4000
    static let shmReadOnly = 0o10000
    static let shmRound = 0o20000
    static let shmRemap = 0o40000
    static let shmExec = 0o100000
    static let ipc64 = 0x100
    /// Linux's SEMOPM: the most operations one semop takes.
    static let maximumOperations = 500

    /// The segments this process has attached: where, and how long.
    private(set) static var attachments: [(start: UInt64, length: UInt64)] = []

    private static func call(_ number: Int, _ arg0: Int64 = 0, _ arg1: Int64 = 0, _ arg2: Int64 = 0,
                             dataLength: Int = 0) throws(Errno) -> Int {
        try Errno.check(Hypercall.process(UK_PROC_SYSV, arg0, arg1, arg2, flags: UInt32(number), dataLength: dataLength))
    }

    static func shmget(_ a: SyscallArguments) throws(Errno) -> Int {
        try call(29, Int64(a.int32(0)), Int64(bitPattern: a[1]), Int64(a.int32(2)))
    }

    static func semget(_ a: SyscallArguments) throws(Errno) -> Int {
        try call(64, Int64(a.int32(0)), Int64(a.int32(1)), Int64(a.int32(2)))
    }

    static func msgget(_ a: SyscallArguments) throws(Errno) -> Int {
        try call(68, Int64(a.int32(0)), Int64(a.int32(1)))
    }

    /// The sizes of what a control command reads from the application and writes back.
    private static func controlSizes(_ number: Int, _ command: Int) -> (input: Int, output: Int)? {
        switch (number, command) {
        case (_, 0): return (0, 0)                                   // IPC_RMID
        case (31, 1): return (112, 0)                                // shmctl IPC_SET
        case (31, 2), (31, 13), (31, 15): return (0, 112)            // IPC_STAT, SHM_STAT(_ANY)
        case (31, 3): return (0, 72)                                 // IPC_INFO: struct shminfo
        case (31, 14): return (0, 48)                                // SHM_INFO: struct shm_info
        case (31, 11), (31, 12): return (0, 0)                       // SHM_LOCK, SHM_UNLOCK
        case (71, 1): return (120, 0)                                // msgctl IPC_SET
        case (71, 2), (71, 11), (71, 13): return (0, 120)            // IPC_STAT, MSG_STAT(_ANY)
        case (71, 3), (71, 12): return (0, 32)                       // IPC_INFO, MSG_INFO: struct msginfo
        case (66, 1): return (104, 0)                                // semctl IPC_SET
        case (66, 2), (66, 18), (66, 20): return (0, 104)            // IPC_STAT, SEM_STAT(_ANY)
        case (66, 3), (66, 19): return (0, 40)                       // IPC_INFO, SEM_INFO: struct seminfo
        case (66, 11), (66, 12), (66, 14), (66, 15), (66, 16): return (0, 0) // GETPID GETVAL GETNCNT GETZCNT SETVAL
        default: return nil
        }
    }

    /// shmctl, msgctl and semctl's commands on a structure: copy in, call, copy out.
    private static func control(_ number: Int, id: Int, command: Int, semaphore: Int = 0, value: Int64 = 0,
                                buffer: UInt64) throws(Errno) -> Int {
        guard let sizes = controlSizes(number, command) else { throw .EINVAL }
        if sizes.input > 0 { try UserMemory.copyIn(from: buffer, to: BounceBuffer.data, count: sizes.input) }
        if sizes.output > 0 { try UserMemory.validate(buffer, sizes.output) }
        let length = max(sizes.input, sizes.output)
        let result = number == 66
            ? try call(66, Int64(id), Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: semaphore))) | Int64(command) << 32, value,
                       dataLength: length)
            : try call(number, Int64(id), Int64(command), dataLength: length)
        if sizes.output > 0 { try UserMemory.copyOut(from: BounceBuffer.data, to: buffer, count: sizes.output) }
        return result
    }

    static func shmctl(_ a: SyscallArguments) throws(Errno) -> Int {
        try control(31, id: a.int32(0), command: a.int32(1) & ~ipc64, buffer: a[2])
    }

    static func msgctl(_ a: SyscallArguments) throws(Errno) -> Int {
        try control(71, id: a.int32(0), command: a.int32(1) & ~ipc64, buffer: a[2])
    }

    /// semctl(id, semnum, cmd, arg): arg is a value (SETVAL) or an address (the structures,
    /// GETALL and SETALL's array of sem_nsems unsigned shorts).
    static func semctl(_ a: SyscallArguments) throws(Errno) -> Int {
        let id = a.int32(0), semaphore = a.int32(1), command = a.int32(2) & ~ipc64
        let getAll = 13, setAll = 17
        guard command == getAll || command == setAll else {
            return try control(66, id: id, command: command, semaphore: semaphore, value: Int64(a.int32(3)), buffer: a[3])
        }
        // The set's size, from its semid_ds (sem_nsems at offset 80).
        _ = try call(66, Int64(id), Int64(2) << 32, 0, dataLength: 104)
        let count = Int(BounceBuffer.data.loadUnaligned(fromByteOffset: 80, as: UInt64.self))
        let bytes = count * 2
        guard bytes <= BounceBuffer.dataCapacity else { throw .E2BIG }
        if command == setAll { try UserMemory.copyIn(from: a[3], to: BounceBuffer.data, count: bytes) }
        _ = try call(66, Int64(id), Int64(command) << 32, 0, dataLength: max(bytes, 2))
        if command == getAll { try UserMemory.copyOut(from: BounceBuffer.data, to: a[3], count: bytes) }
        return 0
    }

    static func semop(_ a: SyscallArguments) throws(Errno) -> Int {
        try semaphoreOperations(id: a.int32(0), operations: a[1], count: a[2], timeout: 0)
    }

    static func semtimedop(_ a: SyscallArguments) throws(Errno) -> Int {
        try semaphoreOperations(id: a.int32(0), operations: a[1], count: a[2], timeout: a[3])
    }

    /// semop and semtimedop: the sembufs (unsigned short sem_num; short sem_op; short sem_flg)
    /// go to the host with IPC_NOWAIT; when the set is busy and no operation asked for
    /// IPC_NOWAIT, the call waits (until `timeout`, a struct timespec, when given).
    private static func semaphoreOperations(id: Int, operations: UInt64, count: UInt64, timeout: UInt64) throws(Errno) -> Int {
        guard count > 0 else { throw .EINVAL }
        guard count <= UInt64(maximumOperations) else { throw .E2BIG }
        let bytes = Int(count) * 6
        var deadline: UInt64? = nil
        if timeout != 0 {
            let seconds = try UserMemory.load(Int64.self, from: timeout)
            let nanoseconds = try UserMemory.load(Int64.self, from: timeout + 8)
            guard seconds >= 0, nanoseconds >= 0, nanoseconds < 1_000_000_000 else { throw .EINVAL }
            let span = UInt64(seconds) > UInt64.max / 2_000_000_000 ? UInt64.max / 2 : UInt64(seconds) * 1_000_000_000 + UInt64(nanoseconds)
            deadline = Clock.monotonicNanoseconds() &+ span
        }
        var waits = true
        for index in 0..<Int(count) {
            let flags = try UserMemory.load(Int16.self, from: operations + UInt64(index * 6 + 4))
            if Int(flags) & ipcNoWait != 0 { waits = false }
        }
        guard waits else {
            try UserMemory.copyIn(from: operations, to: BounceBuffer.data, count: bytes)
            return try call(220, Int64(id), Int64(count), dataLength: bytes)
        }
        // The operations stay in a frame of their own while the kernel lock is released.
        guard let frame = Frames.allocate() else { throw .ENOMEM }
        defer { Frames.release(frame) }
        try UserMemory.copyIn(from: operations, to: DirectMap.pointer(frame), count: bytes)
        var first = true
        while true {
            if Signals.hasDeliverable(Scheduler.current) { throw .EINTR }
            let now = Clock.monotonicNanoseconds()
            if let deadline, now >= deadline, !first { throw .EAGAIN }
            let interval = max(1, min(slice, deadline.map { $0 > now ? $0 - now : 0 } ?? slice))
            KernelLock.release()
            let result = Hypercall.process(UK_PROC_SYSV, Int64(id), Int64(count), Int64(interval), flags: 220,
                                           dataLength: bytes, bufferPhysical: frame)
            KernelLock.acquire()
            TLB.catchUp()
            do throws(Errno) {
                return try Errno.check(result)
            } catch {
                switch error {
                case .EAGAIN: Scheduler.yield()  // a slice ended: let the process's other tasks run
                case .EINTR: HostSignals.take()
                case .EINVAL where !first: throw .EIDRM
                default: throw error
                }
            }
            first = false
        }
    }

    /// The longest single wait of a semaphore operation in the host.
    static let slice: UInt64 = 20_000_000

    /// msgsnd(id, msgp, size, flags): msgp holds a long mtype and `size` bytes of text.
    static func msgsnd(_ a: SyscallArguments) throws(Errno) -> Int {
        let id = a.int32(0), size = a[2], flags = a.int32(3)
        guard size <= UInt64(BounceBuffer.dataCapacity - 8) else { throw .EINVAL }
        let waits = flags & ipcNoWait == 0
        return try retryWhileBusy { () throws(Errno) -> Int? in
            try UserMemory.copyIn(from: a[1], to: BounceBuffer.data, count: 8 + Int(size))
            do throws(Errno) {
                return try call(69, Int64(id), Int64(size), Int64(flags | ipcNoWait), dataLength: 8 + Int(size))
            } catch {
                guard waits, error == .EAGAIN else { throw error }
                return nil
            }
        }
    }

    /// msgrcv(id, msgp, size, type, flags): at most `size` bytes of text, after the mtype.
    static func msgrcv(_ a: SyscallArguments) throws(Errno) -> Int {
        let id = a.int32(0), flags = a.int32(4)
        guard Int64(bitPattern: a[2]) >= 0 else { throw .EINVAL }
        let size = min(a[2], UInt64(BounceBuffer.dataCapacity - 8))
        let waits = flags & ipcNoWait == 0
        try UserMemory.validate(a[1], 8)
        return try retryWhileBusy { () throws(Errno) -> Int? in
            do throws(Errno) {
                let received = try call(70, Int64(id), Int64(size) | Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: flags | ipcNoWait))) << 32,
                                        Int64(bitPattern: a[3]), dataLength: 8 + Int(size))
                try UserMemory.copyOut(from: BounceBuffer.data, to: a[1], count: 8 + received)
                return received
            } catch {
                guard waits, error == .ENOMSG else { throw error }
                return nil
            }
        }
    }

    /// Runs `attempt` until it answers (nil: the queue is full or has no matching message),
    /// sleeping 1, 2, 4 … up to 20 ms between tries. A signal ends the wait with EINTR (never
    /// restarted, as Linux's System V calls); a queue gone since the first try is EIDRM.
    private static func retryWhileBusy(_ attempt: () throws(Errno) -> Int?) throws(Errno) -> Int {
        var pause: UInt64 = 1_000_000
        var first = true
        while true {
            do throws(Errno) {
                if let result = try attempt() { return result }
            } catch {
                if !first && error == .EINVAL { throw .EIDRM }
                throw error
            }
            first = false
            if !Scheduler.sleep(until: Clock.monotonicNanoseconds() &+ pause) { throw .EINTR }
            pause = min(pause * 2, 20_000_000)
        }
    }

    /// shmat(id, address, flags): the host attaches the segment and gives it to the VM as a
    /// window; the application's pages are the window's, at `address` (rounded down with
    /// SHM_RND; replacing mappings there only with SHM_REMAP) or the highest free range.
    static func shmat(_ a: SyscallArguments) throws(Errno) -> Int {
        let id = a.int32(0), flags = a.int32(2)
        var address = a[1]
        if address != 0 {
            if flags & shmRound != 0 { address &= ~AddressSpace.pageMask }
            guard address & AddressSpace.pageMask == 0, address >= MemorySyscalls.minimumAddress else { throw .EINVAL }
        } else if flags & shmRemap != 0 {
            throw .EINVAL
        }
        // /proc/<pid>/maps names the attachment by its key, as Linux: "/SYSV0000abcd (deleted)".
        var name = Text()
        name.append("/SYSV")
        let key = (try? call(31, Int64(id), 2, dataLength: 112)) != nil ? BounceBuffer.data.loadUnaligned(as: UInt32.self) : 0
        name.append(hex: UInt64(key), width: 8)
        name.append(" (deleted)")
        let window = UInt64(try call(30, Int64(id), Int64(flags & (shmReadOnly | shmExec)), dataLength: 8))
        let length = BounceBuffer.data.loadUnaligned(as: UInt64.self)
        SharedWindows.adopt(window, size: length)
        let readOnly = flags & shmReadOnly != 0
        var start: UInt64? = nil
        if address != 0 {
            let (end, overflow) = address.addingReportingOverflow(length)
            if overflow || end > PageMapper.lowerHalfEnd || KernelHeap.overlapsArena(address, end)
                || (flags & shmRemap == 0 && !currentProcess.addressSpace.isFree(address, end)) {
                SharedWindows.release(window)
                throw .EINVAL
            }
            currentProcess.addressSpace.unmap(address, end)
            start = address
        }
        guard let base = start ?? currentProcess.addressSpace.findFreeRange(length: length) else {
            SharedWindows.release(window)
            throw .ENOMEM
        }
        let protection = Protection(bits: 1 | (readOnly ? 0 : 2) | (flags & shmExec != 0 ? 4 : 0))
        currentProcess.addressSpace.reserveShared(at: base, length: length, protection: protection, window: window,
                                                  backing: window, mayWrite: !readOnly,
                                                  name: currentProcess.addressSpace.nameIndex(name.bytes))
        attachments.append((base, length))
        return Int(base)
    }

    /// shmdt(address): detaches the segment attached at `address` (its window goes back to the
    /// host, which detaches it there: shm_nattch falls, and a removed segment ends with its last
    /// attachment).
    static func shmdt(_ a: SyscallArguments) throws(Errno) -> Int {
        guard let index = attachments.firstIndex(where: { $0.start == a[0] }) else { throw .EINVAL }
        let attachment = attachments.remove(at: index)
        currentProcess.addressSpace.unmap(attachment.start, attachment.start + attachment.length)
        return 0
    }
}
