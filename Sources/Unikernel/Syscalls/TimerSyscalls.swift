/// The process's timers: setitimer's three (ITIMER_REAL, also alarm's; ITIMER_VIRTUAL;
/// ITIMER_PROF) and its POSIX timers by id (timer_create).
struct ProcessTimers {
    /// The most POSIX timers a process may have (Linux's limit is RLIMIT_SIGPENDING's).
    static let maximumPOSIXTimers = 1024
    var itimers: [IntervalTimer?] = [nil, nil, nil]
    var posix: [IntervalTimer?] = []

    /// Disarms and forgets them all (a forked child has none).
    mutating func disarmAll() {
        for timer in itimers + posix { timer?.arm(at: nil, interval: 0) }
        itimers = [nil, nil, nil]
        posix = []
    }
}

/// alarm, getitimer/setitimer, the POSIX timers (timer_create, timer_settime,
/// timer_gettime, timer_getoverrun, timer_delete) and timerfd (timerfd_create,
/// timerfd_settime, timerfd_gettime, read). Every timer is an IntervalTimer run by the
/// scheduler (TimerQueue): deadlines on the monotonic clock, so an expiry needs no VM exit
/// of its own beyond the vCPU's tick.
enum TimerSyscalls {
    private static let nanosecondsPerSecond: UInt64 = 1_000_000_000
    private static let timerAbsolute = 1  // TIMER_ABSTIME, TFD_TIMER_ABSTIME
    private static let timerCancelOnSet = 2  // TFD_TIMER_CANCEL_ON_SET
    private static let sigevSignal = 0, sigevNone = 1, sigevThread = 2, sigevThreadID = 4
    private static let oNonblock = 0o4000, oCloexec = 0o2000000

    // MARK: clocks

    /// Whether `clock` is one a timer may run on (the wall and monotonic clocks, their
    /// alarm and boot-time forms, TAI, and the process's and thread's CPU time).
    private static func checkTimerClock(_ clock: Int, timerfd: Bool) throws(Errno) {
        if clock < 0, !timerfd {
            // A CPU-time clock by pid or tid (glibc names its own that way): this process's only.
            let owner = ~(clock >> 3)
            guard clock & 3 != 3, owner == 0 || owner == currentProcess.pid || Scheduler.task(tid: owner) != nil else {
                throw .EINVAL
            }
            return
        }
        switch clock {
        case 0, 1, 7, 8, 9: return  // REALTIME, MONOTONIC, BOOTTIME, REALTIME_ALARM, BOOTTIME_ALARM
        case 2, 3, 11: if !timerfd { return }  // PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID, TAI
        default: break
        }
        throw .EINVAL
    }

    /// Whether `clock` counts wall-clock time (an absolute time on it is converted when armed).
    private static func isRealtime(_ clock: Int) -> Bool { clock == 0 || clock == 8 || clock == 11 }

    /// The deadline for `value` nanoseconds on `timer`'s clock, relative or absolute, on the
    /// timer's own time line (`now`: the monotonic clock or the process's CPU time).
    private static func deadline(for value: UInt64, absolute: Bool, clock: Int, now: UInt64) -> UInt64 {
        guard absolute else { return now &+ value }
        let clockNow = isRealtime(clock) ? Clock.realtimeNanoseconds() : now
        return value > clockNow ? now &+ (value - clockNow) : now
    }

    // MARK: time values

    /// A timespec's nanoseconds (EINVAL when malformed).
    private static func loadTimespec(_ address: UInt64) throws(Errno) -> UInt64 {
        let (seconds, nanoseconds) = try UserMemory.load((Int64, Int64).self, from: address)
        guard seconds >= 0, nanoseconds >= 0, nanoseconds < 1_000_000_000 else { throw .EINVAL }
        return TimerArithmetic.nanoseconds(seconds: UInt64(seconds), nanoseconds: UInt64(nanoseconds))
    }

    private static func timespec(_ nanoseconds: UInt64) -> (UInt64, UInt64) {
        (nanoseconds / nanosecondsPerSecond, nanoseconds % nanosecondsPerSecond)
    }

    /// A timeval's nanoseconds (EINVAL when malformed).
    private static func loadTimeval(_ address: UInt64, at index: Int) throws(Errno) -> UInt64 {
        let (seconds, microseconds) = try UserMemory.load((Int64, Int64).self, from: address + UInt64(16 * index))
        guard seconds >= 0, microseconds >= 0, microseconds < 1_000_000 else { throw .EINVAL }
        return TimerArithmetic.nanoseconds(seconds: UInt64(seconds), nanoseconds: UInt64(microseconds) * 1000)
    }

    /// A timeval of `nanoseconds`, rounded up to the microsecond as Linux reports timers.
    private static func timeval(_ nanoseconds: UInt64) -> (UInt64, UInt64) {
        let microseconds = (nanoseconds + 999) / 1000
        return (microseconds / 1_000_000, microseconds % 1_000_000)
    }

    // MARK: alarm and setitimer

    /// setitimer's timer `which` (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF), made on first use.
    private static func itimer(_ which: Int) -> IntervalTimer {
        if let timer = currentProcess.timers.itimers[which] { return timer }
        // ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time (user and system alike here).
        let timer = IntervalTimer(delivery: .process, clock: 1, usesCPUTime: which != 0)
        timer.signal = [14, 26, 27][which]  // SIGALRM, SIGVTALRM, SIGPROF
        timer.code = 0x80  // SI_KERNEL, as Linux's it_real_fn sends it
        currentProcess.timers.itimers[which] = timer
        return timer
    }

    /// The (interval, value) pair of an itimerval, in nanoseconds.
    private static func current(_ timer: IntervalTimer, now: UInt64) -> ((UInt64, UInt64), (UInt64, UInt64)) {
        (timeval(timer.interval), timeval(timer.deadline == nil ? 0 : timer.remaining(now: now)))
    }

    /// getitimer(which, value).
    static func getitimer(_ a: SyscallArguments) throws(Errno) -> Int {
        let which = a.int32(0)
        guard which >= 0, which < 3 else { throw .EINVAL }
        let timer = itimer(which)
        try UserMemory.store(current(timer, now: timer.now), to: a[1])
        return 0
    }

    /// setitimer(which, new, old): a NULL `new` disarms, as Linux still accepts.
    static func setitimer(_ a: SyscallArguments) throws(Errno) -> Int {
        let which = a.int32(0)
        guard which >= 0, which < 3 else { throw .EINVAL }
        var interval: UInt64 = 0, value: UInt64 = 0
        if a[1] != 0 {
            interval = try loadTimeval(a[1], at: 0)
            value = try loadTimeval(a[1], at: 1)
        }
        let timer = itimer(which)
        let now = timer.now
        if a[2] != 0 { try UserMemory.store(current(timer, now: now), to: a[2]) }
        timer.arm(at: value == 0 ? nil : now &+ value, interval: interval)
        Scheduler.timersChanged()
        return 0
    }

    /// alarm(seconds): ITIMER_REAL one-shot; returns the seconds that were left (rounded to
    /// the nearest, at least 1 while armed, as Linux).
    static func alarm(_ a: SyscallArguments) throws(Errno) -> Int {
        let seconds = UInt64(UInt32(truncatingIfNeeded: a[0]))
        let timer = itimer(0)
        let now = Clock.monotonicNanoseconds()
        var left: UInt64 = 0
        if timer.deadline != nil {
            let remaining = timer.remaining(now: now)
            left = max((remaining + nanosecondsPerSecond / 2) / nanosecondsPerSecond, 1)
        }
        timer.arm(at: seconds == 0 ? nil : now &+ seconds * nanosecondsPerSecond, interval: 0)
        Scheduler.timersChanged()
        return Int(left)
    }

    // MARK: POSIX timers

    private static func posixTimer(_ id: Int) throws(Errno) -> IntervalTimer {
        guard id >= 0, id < currentProcess.timers.posix.count, let timer = currentProcess.timers.posix[id] else {
            throw .EINVAL
        }
        return timer
    }

    /// timer_create(clock, sigevent, timerid): SIGEV_SIGNAL (and SIGEV_THREAD, which the C
    /// library builds on it), SIGEV_NONE and SIGEV_THREAD_ID; a NULL sigevent is SIGALRM with
    /// the timer's id as its value.
    static func timerCreate(_ a: SyscallArguments) throws(Errno) -> Int {
        let clock = a.int32(0)
        try checkTimerClock(clock, timerfd: false)
        var notify = sigevSignal, signal = 14, value: UInt64 = 0, thread = 0
        var hasEvent = false
        if a[1] != 0 {
            // struct sigevent: sigev_value (8), sigev_signo (4), sigev_notify (4), sigev_notify_thread_id (4).
            let (sigval, signo, how, tid) = try UserMemory.load((UInt64, Int32, Int32, Int32).self, from: a[1])
            notify = Int(how)
            signal = Int(signo)
            value = sigval
            thread = Int(tid)
            hasEvent = true
        }
        let delivery: IntervalTimer.Delivery
        switch notify {
        case sigevNone: delivery = .none
        case sigevSignal, sigevThread: delivery = .process
        case sigevSignal | sigevThreadID:
            guard Scheduler.task(tid: thread) != nil else { throw .EINVAL }
            delivery = .thread(thread)
        default: throw .EINVAL
        }
        if notify != sigevNone { guard signal > 0, signal <= 64 else { throw .EINVAL } }
        let id = currentProcess.timers.posix.firstIndex { $0 == nil } ?? currentProcess.timers.posix.count
        guard id < ProcessTimers.maximumPOSIXTimers else { throw .EAGAIN }
        try UserMemory.validate(a[2], 4)
        let timer = IntervalTimer(delivery: delivery, clock: clock)
        timer.signal = signal
        timer.code = TimerQueue.siTimer
        timer.id = Int32(id)
        timer.value = hasEvent ? value : UInt64(id)
        if id == currentProcess.timers.posix.count { currentProcess.timers.posix.append(timer) } else { currentProcess.timers.posix[id] = timer }
        do throws(Errno) {
            try UserMemory.store(Int32(id), to: a[2])
        } catch {
            currentProcess.timers.posix[id] = nil
            throw error
        }
        return 0
    }

    /// An itimerspec (interval, value) of `timer` now.
    private static func itimerspec(_ timer: IntervalTimer, now: UInt64) -> ((UInt64, UInt64), (UInt64, UInt64)) {
        (timespec(timer.interval), timespec(timer.deadline == nil ? 0 : timer.remaining(now: now)))
    }

    /// Arms `timer` from the itimerspec at `address` (and stores the old one at `old`).
    private static func set(_ timer: IntervalTimer, flags: Int, from address: UInt64, old: UInt64) throws(Errno) {
        let interval = try loadTimespec(address)
        let value = try loadTimespec(address + 16)
        let now = timer.now
        if old != 0 { try UserMemory.store(itimerspec(timer, now: now), to: old) }
        let absolute = flags & timerAbsolute != 0
        timer.arm(at: value == 0 ? nil : deadline(for: value, absolute: absolute, clock: timer.clock, now: now),
                  interval: interval)
        Scheduler.timersChanged()
    }

    /// timer_settime(timerid, flags, new, old): relative or TIMER_ABSTIME on the timer's clock.
    static func timerSettime(_ a: SyscallArguments) throws(Errno) -> Int {
        let timer = try posixTimer(a.int32(0))
        guard a[2] != 0 else { throw .EINVAL }
        try set(timer, flags: a.int32(1), from: a[2], old: a[3])
        timer.withdrawPendingSignal()
        return 0
    }

    static func timerGettime(_ a: SyscallArguments) throws(Errno) -> Int {
        let timer = try posixTimer(a.int32(0))
        try UserMemory.store(itimerspec(timer, now: timer.now), to: a[1])
        return 0
    }

    static func timerGetoverrun(_ a: SyscallArguments) throws(Errno) -> Int {
        Int(try posixTimer(a.int32(0)).lastOverrun)
    }

    static func timerDelete(_ a: SyscallArguments) throws(Errno) -> Int {
        let id = a.int32(0)
        let timer = try posixTimer(id)
        timer.arm(at: nil, interval: 0)
        timer.withdrawPendingSignal()
        currentProcess.timers.posix[id] = nil
        return 0
    }

    // MARK: timerfd

    /// timerfd_create(clock, flags): TFD_NONBLOCK, TFD_CLOEXEC.
    static func timerfdCreate(_ a: SyscallArguments) throws(Errno) -> Int {
        let clock = a.int32(0), flags = a.int32(1)
        try checkTimerClock(clock, timerfd: true)
        guard flags & ~(oNonblock | oCloexec) == 0 else { throw .EINVAL }
        let timer = IntervalTimer(delivery: .descriptor, clock: clock)
        return try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 2 | (flags & oNonblock),
                                                         object: .timer(timer), closeOnExec: flags & oCloexec != 0))
    }

    /// The timer of a timerfd descriptor (EBADF for none, EINVAL for another kind).
    private static func timerfd(_ fd: Int) throws(Errno) -> IntervalTimer {
        let file = try currentProcess.files.file(fd)
        guard case let .timer(timer)? = file.object else { throw .EINVAL }
        return timer
    }

    /// timerfd_settime(fd, flags, new, old): TFD_TIMER_ABSTIME; TFD_TIMER_CANCEL_ON_SET is
    /// accepted (the guest's clock is never set). Setting clears the expirations not yet read.
    static func timerfdSettime(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(1)
        guard flags & ~(timerAbsolute | timerCancelOnSet) == 0 else { throw .EINVAL }
        let timer = try timerfd(a.int32(0))
        try set(timer, flags: flags, from: a[2], old: a[3])
        timer.expirations = 0
        return 0
    }

    static func timerfdGettime(_ a: SyscallArguments) throws(Errno) -> Int {
        let timer = try timerfd(a.int32(0))
        try UserMemory.store(itimerspec(timer, now: Clock.monotonicNanoseconds()), to: a[1])
        return 0
    }

    /// read of a timerfd: the expirations since the last read (8 bytes), waiting for one unless
    /// the descriptor is non-blocking; write is EINVAL.
    static func read(_ timer: IntervalTimer, file: OpenFile, buffer: UInt64, count: Int, write: Bool) throws(Errno) -> Int {
        guard !write, count >= 8 else { throw .EINVAL }
        if timer.expirations == 0 {
            if file.flags & oNonblock != 0 { throw .EAGAIN }
            try Readiness.block { timer.expirations > 0 }
        }
        let value = timer.expirations
        timer.expirations = 0
        try UserMemory.store(value, to: buffer)
        return 8
    }
}
