import Testing
@testable import KernelLogic

/// The arithmetic of the kernel's periodic timers (Scheduler/TimerArithmetic.swift).
@Suite("Timer arithmetic")
struct TimerArithmeticTests {
    @Test func oneShotTimersExpireOnce() {
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 0, now: 100) == 1)
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 0, now: 10_000) == 1)
    }

    @Test func periodicTimersCountTheMissedPeriods() {
        // Due at 100 with a period of 10: at 100 one expiry, at 109 still one, at 110 two.
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 10, now: 100) == 1)
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 10, now: 109) == 1)
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 10, now: 110) == 2)
        #expect(TimerArithmetic.expirations(deadline: 100, interval: 1, now: 1_000_099) == 1_000_000)
    }

    @Test func convertsTimeValuesWithoutOverflow() {
        #expect(TimerArithmetic.nanoseconds(seconds: 2, nanoseconds: 5) == 2_000_000_005)
        #expect(TimerArithmetic.nanoseconds(seconds: UInt64.max / 10, nanoseconds: 0) == UInt64.max / 2)
        #expect(TimerArithmetic.nanoseconds(seconds: UInt64(Int64.max), nanoseconds: 999_999_999) == UInt64.max / 2)
    }
}
