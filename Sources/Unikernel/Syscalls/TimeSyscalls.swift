/// Time system calls served inside the guest from the TSC (see Clock):
/// no VM exit per call.
enum TimeSyscalls {
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// Nanoseconds of the clock `id` (realtime or monotonic flavours).
    private static func now(clock id: Int) throws(Errno) -> UInt64 {
        switch id {
        case 0, 5, 8, 11: return Clock.realtimeNanoseconds()  // REALTIME, _COARSE, _ALARM, TAI
        case 1, 4, 6, 7, 9: return Clock.monotonicNanoseconds()  // MONOTONIC.., BOOTTIME
        case 2: return Scheduler.processCPUTime  // PROCESS_CPUTIME_ID
        case 3: return Scheduler.cpuTime(of: Scheduler.current)  // THREAD_CPUTIME_ID
        default:
            guard id < 0 else { throw .EINVAL }
            return try cpuClock(id)
        }
    }

    /// A CPU-time clock named by pid or tid (clock_getcpuclockid, pthread_getcpuclockid):
    /// Linux's encoding ~id << 3 | type, bit 2 for a thread; 0 names the caller. This
    /// process and its threads only (EINVAL for another's, whose CPU time this VM cannot see).
    private static func cpuClock(_ id: Int) throws(Errno) -> UInt64 {
        let owner = ~(id >> 3)
        let type = id & 3
        guard type != 3 else { throw .EINVAL }
        if id & 4 != 0 {
            guard let task = owner == 0 ? Scheduler.current : Scheduler.task(tid: owner) else { throw .EINVAL }
            return Scheduler.cpuTime(of: task)
        }
        guard owner == 0 || owner == currentProcess.pid else { throw .EINVAL }
        return Scheduler.processCPUTime
    }

    private static func storeTimespec(_ nanoseconds: UInt64, to address: UInt64) throws(Errno) {
        try UserMemory.store((nanoseconds / nanosecondsPerSecond, nanoseconds % nanosecondsPerSecond), to: address)
    }

    static func clockGettime(_ a: SyscallArguments) throws(Errno) -> Int {
        try storeTimespec(now(clock: a.int32(0)), to: a[1])
        return 0
    }

    static func clockGetres(_ a: SyscallArguments) throws(Errno) -> Int {
        _ = try now(clock: a.int32(0))
        if a[1] != 0 { try storeTimespec(1, to: a[1]) }
        return 0
    }

    static func gettimeofday(_ a: SyscallArguments) throws(Errno) -> Int {
        let time = Clock.realtimeNanoseconds()
        if a[0] != 0 {
            try UserMemory.store((time / nanosecondsPerSecond, (time % nanosecondsPerSecond) / 1000), to: a[0])
        }
        if a[1] != 0 { try UserMemory.store(UInt64(0), to: a[1]) }
        return 0
    }

    static func time(_ a: SyscallArguments) throws(Errno) -> Int {
        let seconds = Clock.realtimeNanoseconds() / nanosecondsPerSecond
        if a[0] != 0 { try UserMemory.store(seconds, to: a[0]) }
        return Int(seconds)
    }

    /// Reads a timespec and returns it in nanoseconds (EINVAL when malformed).
    static func loadTimespec(_ address: UInt64) throws(Errno) -> UInt64 {
        let (seconds, nanoseconds) = try UserMemory.load((Int64, Int64).self, from: address)
        guard seconds >= 0, nanoseconds >= 0, nanoseconds < 1_000_000_000 else { throw .EINVAL }
        return UInt64(seconds) &* nanosecondsPerSecond &+ UInt64(nanoseconds)
    }

    /// nanosleep(request, remaining): the task sleeps (other tasks run, an idle vCPU parks in
    /// the host); a signal ends it early with EINTR and the time left in `remaining`.
    static func nanosleep(_ a: SyscallArguments) throws(Errno) -> Int {
        let request = try loadTimespec(a[0])
        try sleep(until: Clock.monotonicNanoseconds() &+ request, remaining: a[1])
        return 0
    }

    /// clock_nanosleep(clock, flags, request, remaining): relative or TIMER_ABSTIME on `clock`.
    static func clockNanosleep(_ a: SyscallArguments) throws(Errno) -> Int {
        let current = try now(clock: a.int32(0))
        let request = try loadTimespec(a[2])
        let absolute = a.int32(1) & 1 != 0  // TIMER_ABSTIME
        let interval = absolute ? (request > current ? request - current : 0) : request
        // An absolute sleep reports no remaining time (Linux leaves `remaining` untouched).
        try sleep(until: Clock.monotonicNanoseconds() &+ interval, remaining: absolute ? 0 : a[3])
        return 0
    }

    private static func sleep(until deadline: UInt64, remaining: UInt64) throws(Errno) {
        guard !Scheduler.sleep(until: deadline) else { return }
        if remaining != 0 {
            let now = Clock.monotonicNanoseconds()
            try storeTimespec(deadline > now ? deadline - now : 0, to: remaining)
        }
        throw .EINTR
    }
}
