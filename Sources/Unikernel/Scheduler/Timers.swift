/// A timer the kernel runs for the process: alarm and setitimer's ITIMER_* (one each),
/// a POSIX timer (timer_create) or a timerfd. Armed, it has a monotonic deadline and a
/// period (0: one-shot); at expiry it is "delivered": a signal to the process or one
/// thread, nothing (SIGEV_NONE), or a count a timerfd read returns.
final class IntervalTimer {
    /// What an expiry does.
    enum Delivery {
        /// Nothing but the bookkeeping (SIGEV_NONE: timer_gettime shows the time left).
        case none
        /// `signal` to the process (alarm, setitimer, SIGEV_SIGNAL).
        case process
        /// `signal` to one thread (SIGEV_THREAD_ID).
        case thread(Int)
        /// The expirations a read of the timerfd returns.
        case descriptor
    }

    var delivery: Delivery
    /// The signal an expiry sends and its siginfo: si_code (SI_TIMER for POSIX timers,
    /// SI_KERNEL for alarm and setitimer), si_timerid and si_value.
    var signal = 14
    var code: Int32 = 0x80
    var id: Int32 = 0
    var value: UInt64 = 0
    /// The clock the caller names times by (CLOCK_REALTIME and the like: absolute times are
    /// converted to the monotonic clock when armed).
    let clock: Int
    /// Whether it runs on the process's CPU time (ITIMER_VIRTUAL, ITIMER_PROF, the CPU-time
    /// clocks) rather than the monotonic clock.
    let usesCPUTime: Bool
    /// When it next expires (monotonic nanoseconds, or the process's CPU time); nil while disarmed.
    var deadline: UInt64?
    /// The period after the first expiry (0: one-shot).
    var interval: UInt64 = 0
    /// Expirations a timerfd read has not taken yet.
    var expirations: UInt64 = 0
    /// POSIX timers: expirations folded into a signal that was still pending (si_overrun,
    /// timer_getoverrun).
    var overrun: Int32 = 0
    /// The overrun of the signal delivered last, while a newer one is pending.
    var deliveredOverrun: Int32 = 0

    /// Whether its signal is pending on its target now.
    var isSignalPending: Bool {
        guard signal > 0, signal <= 64 else { return false }
        var pending = currentProcess.signals.sharedPending
        if case let .thread(tid) = delivery { pending = Scheduler.task(tid: tid)?.signals.pending ?? 0 }
        return pending & Signals.bit(signal) != 0
    }

    /// As Linux when a POSIX timer is set again or deleted: the signal of an earlier expiry
    /// that is still pending (its siginfo names this timer) is taken back.
    func withdrawPendingSignal() {
        guard code == TimerQueue.siTimer, isSignalPending else { return }
        let bit = Signals.bit(signal)
        if case let .thread(tid) = delivery {
            guard let task = Scheduler.task(tid: tid), task.signals.codes[signal] == code,
                  UInt32(truncatingIfNeeded: task.signals.infoWords[2 * signal]) == UInt32(bitPattern: id) else { return }
            task.signals.pending &= ~bit
        } else {
            guard currentProcess.signals.codes[signal] == code,
                  UInt32(truncatingIfNeeded: currentProcess.signals.infoWords[2 * signal]) == UInt32(bitPattern: id) else { return }
            currentProcess.signals.sharedPending &= ~bit
        }
        deliveredOverrun = 0
    }

    /// timer_getoverrun: the overrun of the last signal delivered (Linux's it_overrun_last).
    var lastOverrun: Int32 { isSignalPending ? deliveredOverrun : overrun }

    /// The epoll items and readers watching a timerfd.
    let watchers = ReadinessWatchers()

    init(delivery: Delivery, clock: Int, usesCPUTime: Bool = false) {
        self.delivery = delivery
        self.clock = clock
        self.usesCPUTime = usesCPUTime || clock == 2 || clock == 3 || clock < 0
    }

    /// Its clock's time now: the process's CPU time or the monotonic clock.
    var now: UInt64 { usesCPUTime ? Scheduler.processCPUTime : Clock.monotonicNanoseconds() }

    /// Arms it to expire at monotonic `deadline` (nil disarms) and every `interval` after.
    func arm(at deadline: UInt64?, interval: UInt64) {
        self.deadline = deadline
        self.interval = deadline == nil ? 0 : interval
        overrun = 0
        deliveredOverrun = 0
        if deadline == nil { TimerQueue.remove(self) } else { TimerQueue.insert(self) }
    }

    /// The time left before the next expiry, at monotonic `now`.
    func remaining(now: UInt64) -> UInt64 {
        guard let deadline else { return 0 }
        // An expired but not yet delivered timer reports the smallest time, as Linux's 1 ns.
        return deadline > now ? deadline - now : 1
    }

    /// Runs `count` expirations (the kernel lock is held).
    fileprivate func deliver(_ count: UInt64) {
        switch delivery {
        case .none:
            break
        case .descriptor:
            expirations &+= count
            watchers.wake(Readiness.pollIn)
        case .process, .thread:
            let task: Task?
            if case let .thread(tid) = delivery {
                // A thread that ended takes nothing (Linux: the timer's target is gone).
                guard let target = Scheduler.task(tid: tid) else { return }
                task = target
            } else {
                task = nil
            }
            let extra = Int32(truncatingIfNeeded: min(count - 1, UInt64(Int32.max)))
            // Still pending from an earlier expiry: that one signal counts this one as overrun.
            if isSignalPending && code == TimerQueue.siTimer {
                overrun = min(overrun &+ 1 &+ extra, Int32.max)
            } else {
                deliveredOverrun = overrun
                overrun = extra
            }
            let first = code == TimerQueue.siTimer
                ? UInt64(UInt32(bitPattern: id)) | UInt64(UInt32(bitPattern: overrun)) << 32 : 0
            Signals.send(signal, code: code, to: task, words: (first, value))
        }
    }
}

/// The armed timers, each looked at whenever the scheduler looks at its sleepers: expired ones
/// are delivered, and the earliest deadline decides when a vCPU's tick must fire.
enum TimerQueue {
    /// si_code of a POSIX timer's signal.
    static let siTimer: Int32 = -2
    private static var armed: [IntervalTimer] = []

    fileprivate static func insert(_ timer: IntervalTimer) {
        for existing in armed where existing === timer { return }
        armed.append(timer)
    }

    fileprivate static func remove(_ timer: IntervalTimer) {
        armed.removeAll { $0 === timer }
    }

    /// The earliest monotonic deadline of an armed timer. A CPU-time timer's is when its CPU
    /// time could be used up at the earliest (every vCPU computing for the process); it is
    /// looked at again then.
    static var earliest: UInt64? {
        var earliest: UInt64?
        let now = Clock.monotonicNanoseconds()
        var cpuNow: UInt64?
        for timer in armed {
            guard var deadline = timer.deadline else { continue }
            if timer.usesCPUTime {
                let used = cpuNow ?? Scheduler.processCPUTime
                cpuNow = used
                deadline = now &+ (deadline > used ? (deadline - used) / UInt64(max(Scheduler.cpuCount, 1)) : 0)
            }
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        return earliest
    }

    /// Delivers every timer whose deadline passed on its clock (a periodic one once, with the
    /// periods it missed counted as expirations, and re-armed; a one-shot one disarmed).
    static func expire(now monotonicNow: UInt64) {
        guard !armed.isEmpty else { return }
        var cpuNow: UInt64?
        for timer in armed {
            guard let deadline = timer.deadline else { continue }
            var now = monotonicNow
            if timer.usesCPUTime {
                now = cpuNow ?? Scheduler.processCPUTime
                cpuNow = now
            }
            guard deadline <= now else { continue }
            let count = TimerArithmetic.expirations(deadline: deadline, interval: timer.interval, now: now)
            if timer.interval > 0 {
                timer.deadline = deadline &+ count &* timer.interval
            } else {
                timer.deadline = nil
                remove(timer)
            }
            timer.deliver(count)
        }
    }

    /// Forgets every timer (a forked child inherits none, as on Linux).
    static func forgetAll() {
        for timer in armed { timer.deadline = nil }
        armed = []
    }
}
