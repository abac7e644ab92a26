import UnikernelABI

/// System-information calls: uname, getrandom, sched_* queries, sysinfo,
/// prctl (names, the parent-death signal), CPU and resource accounting.
enum SystemSyscalls {
    static let utsFieldLength = 65

    /// What uname and /proc (version, sys/kernel/osrelease, sys/kernel/hostname) report.
    static let release: StaticString = "6.1.0-unikernel"
    static let version: StaticString = "#1 SMP"
    static let nodeName: StaticString = "unikernel"

    static func uname(_ a: SyscallArguments) throws(Errno) -> Int {
        let fields: [StaticString] = ["Linux", nodeName, release, version, "x86_64", "(none)"]
        var buffer = [UInt8](repeating: 0, count: fields.count * utsFieldLength)
        for (index, field) in fields.enumerated() {
            var offset = 0
            // SAFETY: utf8Start points at utf8CodeUnitCount bytes of the literal.
            let bytes = UnsafeBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
            for byte in bytes where offset < utsFieldLength - 1 {
                buffer[index * utsFieldLength + offset] = byte
                offset += 1
            }
        }
        try UserMemory.copyOut(from: buffer, to: a[0])
        return 0
    }

    /// getrandom: the CPU's RDRAND when it has one (mixed with the generator
    /// seeded from the host's random bytes), else that generator alone; never blocks.
    static func getrandom(_ a: SyscallArguments) throws(Errno) -> Int {
        let count = a.int(1)
        guard count >= 0, a[2] & ~UInt64(7) == 0 else { throw .EINVAL }
        try UserMemory.validate(a[0], count)
        let hardware = CPU.cpuid(1).ecx & (1 << 30) != 0
        var done = 0
        while done < count {
            var word = currentProcess.random.next()
            if hardware { word ^= uk_rdrand() }
            let length = min(8, count - done)
            // SAFETY: `word` is 8 bytes; at most 8 are copied.
            try withUnsafeBytes(of: &word) { (bytes) throws(Errno) in
                try UserMemory.copyOut(from: bytes.baseAddress!, to: a[0] + UInt64(done), count: length)
            }
            done += length
        }
        return count
    }

    /// sysinfo: uptime from the clock, RAM from guest memory, one process.
    static func sysinfo(_ a: SyscallArguments) throws(Errno) -> Int {
        var info = [UInt8](repeating: 0, count: 112)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { for (i, byte) in $0.enumerated() { info[offset + i] = byte } }
        }
        let info0 = currentProcess.bootInfo
        put(Int64(Clock.monotonicNanoseconds() / 1_000_000_000), at: 0)     // uptime
        put(UInt64(info0.memory_size), at: 32)                              // totalram
        put(UInt64(Frames.availableCount) * UK_PAGE_SIZE, at: 40) // freeram
        put(UInt16(1), at: 80)                                              // procs
        put(UInt32(1), at: 104)                                             // mem_unit
        try UserMemory.copyOut(from: info, to: a[0])
        return 0
    }

    static let prSetParentDeathSignal = 1, prGetParentDeathSignal = 2, prSetName = 15, prGetName = 16

    /// prctl: PR_SET_NAME / PR_GET_NAME (16-byte task name) and PR_SET_PDEATHSIG /
    /// PR_GET_PDEATHSIG (the signal the process gets when its parent dies, which the host
    /// delivers); others EINVAL.
    static func prctl(_ a: SyscallArguments) throws(Errno) -> Int {
        switch a.int32(0) {
        case prSetName:
            let name = try UserMemory.string(at: a[1], limit: 4096)
            currentProcess.taskName = Array(name.prefix(15))
            return 0
        case prGetName:
            var name = currentProcess.taskName.prefix(15) + [0]
            while name.count < 16 { name.append(0) }
            try UserMemory.copyOut(from: Array(name), to: a[1])
            return 0
        case prSetParentDeathSignal:
            // Linux: arg2 is an unsigned long that must be a valid signal (0 clears).
            guard a[1] <= 64 else { throw .EINVAL }
            _ = try Errno.check(Hypercall.process(UK_PROC_PARENT_DEATH_SIGNAL, Int64(a[1])))
            currentProcess.parentDeathSignal = Int(a[1])
            return 0
        case prGetParentDeathSignal:
            try UserMemory.store(Int32(currentProcess.parentDeathSignal), to: a[1])
            return 0
        default:
            throw .EINVAL
        }
    }

    /// times: CPU time = wall time since boot (one CPU, one process), in clock ticks (100 Hz).
    /// times(buffer): the process's CPU time as user time, in clock ticks (USER_HZ 100);
    /// returns the ticks since boot.
    static func times(_ a: SyscallArguments) throws(Errno) -> Int {
        let ticks = Clock.monotonicNanoseconds() / 10_000_000
        let used = Scheduler.processCPUTime / 10_000_000
        if a[0] != 0 {
            let children = waitedChildrenCPUTime()
            try UserMemory.store((used, UInt64(0), children.user / 10_000_000, children.system / 10_000_000), to: a[0])
        }
        return Int(ticks)
    }

    /// getrusage(who, usage): the process's (or the thread's) CPU time as user time; max RSS
    /// from frames in use.
    static func getrusage(_ a: SyscallArguments) throws(Errno) -> Int {
        guard [0, -1, 1].contains(a.int32(0)) else { throw .EINVAL }  // SELF, CHILDREN, THREAD
        var usage = [UInt8](repeating: 0, count: 144)
        if a.int32(0) == -1 {
            let children = waitedChildrenCPUTime()
            let times = (children.user / 1_000_000_000, children.user % 1_000_000_000 / 1000,
                         children.system / 1_000_000_000, children.system % 1_000_000_000 / 1000)
            withUnsafeBytes(of: times) { for (i, byte) in $0.enumerated() { usage[i] = byte } }
        } else {
            let cpu = a.int32(0) == 1 ? Scheduler.cpuTime(of: Scheduler.current) : Scheduler.processCPUTime
            withUnsafeBytes(of: (cpu / 1_000_000_000, (cpu % 1_000_000_000) / 1000)) {
                for (i, byte) in $0.enumerated() { usage[i] = byte }
            }
            let used = UInt64(Frames.allocator.usedCount) * UK_PAGE_SIZE / 1024
            withUnsafeBytes(of: used) { for (i, byte) in $0.enumerated() { usage[32 + i] = byte } }
        }
        try UserMemory.copyOut(from: usage, to: a[1])
        return 0
    }

    /// The CPU time of the children that were waited for and of their waited-for descendants
    /// (Linux's cutime and cstime): the host's, as each child is a runner process and wait4's
    /// rusage is the host's too (zero when the host cannot say).
    private static func waitedChildrenCPUTime() -> (user: UInt64, system: UInt64) {
        guard Hypercall.process(UK_PROC_CHILD_USAGE, dataLength: 16) == 0 else { return (0, 0) }
        let (user, system) = BounceBuffer.data.loadUnaligned(as: (UInt64, UInt64).self)
        return (user, system)
    }

    /// getgroups: no supplementary groups.
    static func getgroups(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) >= 0 else { throw .EINVAL }
        return 0
    }

    /// sync: the host's page cache writes back; nothing to do.
    static func succeed(_ a: SyscallArguments) throws(Errno) -> Int { 0 }

    /// syncfs: nothing to do once the descriptor is valid.
    static func adviseDescriptor(_ a: SyscallArguments) throws(Errno) -> Int {
        _ = try currentProcess.files.file(a.int32(0))
        return 0
    }

    /// readahead: advice for regular files; EINVAL for pipes, as Linux.
    static func readahead(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard file.object == nil else { throw .EINVAL }
        return 0
    }

    /// fadvise64(fd, offset, length, advice): advice 0-5; pipes are ESPIPE as on Linux.
    static func fadvise(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard file.object == nil else { throw .ESPIPE }
        guard (0...5).contains(a.int32(3)), a.int(2) >= 0 else { throw .EINVAL }
        return 0
    }
}

@_extern(c, "uk_rdrand") func uk_rdrand() -> UInt64
