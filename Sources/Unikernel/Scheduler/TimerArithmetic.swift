/// The arithmetic of periodic timers, free of kernel state (unit-tested on the host).
enum TimerArithmetic {
    /// How many expirations have happened by `now` for a timer due at `deadline` (<= now) with
    /// period `interval` (0: one-shot, always 1).
    static func expirations(deadline: UInt64, interval: UInt64, now: UInt64) -> UInt64 {
        guard interval > 0, now >= deadline else { return 1 }
        return (now - deadline) / interval + 1
    }

    /// Nanoseconds from a (seconds, nanoseconds) pair, saturating instead of overflowing.
    static func nanoseconds(seconds: UInt64, nanoseconds: UInt64) -> UInt64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return UInt64.max / 2 }
        return min(product &+ nanoseconds, UInt64.max / 2)
    }
}
