import UnikernelABI

/// Guest-side clocks computed from the TSC without leaving the VM:
/// boot_info gives the TSC frequency and the host's CLOCK_REALTIME at a
/// known TSC value; CLOCK_MONOTONIC counts from that instant (boot).
enum Clock {
    /// Nanoseconds since boot.
    static func monotonicNanoseconds() -> UInt64 {
        let info = currentProcess.bootInfo
        let now = CPU.timestamp()
        let ticks = now > info.boot_tsc ? now - info.boot_tsc : 0
        let hz = info.tsc_hz == 0 ? 1_000_000_000 : info.tsc_hz
        // Split to avoid 128-bit arithmetic (and a __udivti3 call): remainder * 1e9 fits for hz < 18 GHz.
        return (ticks / hz) &* 1_000_000_000 &+ (ticks % hz) &* 1_000_000_000 / hz
    }

    /// Nanoseconds since the Unix epoch.
    static func realtimeNanoseconds() -> UInt64 {
        currentProcess.bootInfo.boot_realtime_ns &+ monotonicNanoseconds()
    }

    /// Spins until `nanoseconds` have passed.
    static func spin(nanoseconds: UInt64) {
        let deadline = monotonicNanoseconds() &+ nanoseconds
        while monotonicNanoseconds() < deadline { CPU.pause() }
    }

    /// Spins until monotonic time `deadline` (nanoseconds since boot).
    static func sleep(until deadline: UInt64) {
        while monotonicNanoseconds() < deadline { CPU.pause() }
    }
}
