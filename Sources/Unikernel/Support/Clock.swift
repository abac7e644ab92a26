import UnikernelABI

/// Guest-side clocks computed from the TSC without leaving the VM:
/// boot_info gives the TSC frequency and the host's CLOCK_REALTIME at a
/// known TSC value; CLOCK_MONOTONIC counts from that instant (boot).
enum Clock {
    /// Nanoseconds since boot.
    /// The same arithmetic as the vDSO's, so both paths agree to the nanosecond:
    /// (ticks × multiplier) >> 32, with the multiplier computed once.
    static func monotonicNanoseconds() -> UInt64 {
        let info = currentProcess.bootInfo
        let now = CPU.timestamp()
        let ticks = now > info.boot_tsc ? now - info.boot_tsc : 0
        if multiplier == 0 { multiplier = VDSO.multiplier(hz: info.tsc_hz) }
        let product = ticks.multipliedFullWidth(by: multiplier)
        return (product.high << (64 - VDSO.shift)) | (product.low >> VDSO.shift)
    }

    private static var multiplier: UInt64 = 0

    /// TSC ticks in `nanoseconds` (for waits timed on the TSC alone).
    static func ticks(nanoseconds: UInt64) -> UInt64 {
        currentProcess.bootInfo.tsc_hz.multipliedFullWidth(by: nanoseconds).low / 1_000_000_000
    }

    /// Nanoseconds since the Unix epoch.
    static func realtimeNanoseconds() -> UInt64 {
        currentProcess.bootInfo.boot_realtime_ns &+ monotonicNanoseconds()
    }
}
