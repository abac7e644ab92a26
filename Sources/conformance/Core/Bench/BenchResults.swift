import Foundation

/// What a figure is measured in, for formatting.
public enum BenchUnit: String, Sendable, Codable {
    case seconds, nanoseconds, cycles, mebibytesPerSecond, bytes, count
}

/// One figure of the benchmark next to its reference(s).
public struct BenchRow: Sendable, Codable {
    public var section: String
    public var figure: String
    public var unit: BenchUnit
    /// The unikernel's figure (the hypervisor running the program).
    public var unikernel: Summary?
    /// The same binary (or the same measurement) on native Linux.
    public var native: Summary?
    /// The minimal KVM launcher (end-to-end rows only).
    public var kvmFloor: Summary?
    /// Unikernel median ÷ the reference the target names (`ratioBase`).
    public var ratio: Double?
    public var ratioBase: String?
    public var target: String?
    public var met: Bool?
    /// Why a figure is missing, or what else was observed.
    public var note: String = ""

    public init(section: String, figure: String, unit: BenchUnit) {
        self.section = section
        self.figure = figure
        self.unit = unit
    }
}

/// One start-up phase: its median duration per hello world.
public struct BreakdownRow: Sendable, Codable {
    public var phase: String
    public var measuredAs: String
    /// Keyed by hello kind: "asm", "musl", "glibc".
    public var nanoseconds: [String: Summary]
}

/// Everything one `conformance bench` run measured.
public struct BenchResults: Sendable, Codable {
    public var date: String
    public var host: String
    /// /proc/loadavg's 1-minute figure when the benchmark started and ended.
    public var loadAverageStart = ""
    public var loadAverageEnd = ""
    public var runsPerStartFigure: Int
    public var repeatsPerFigure: Int
    public var rows: [BenchRow] = []
    public var breakdown: [BreakdownRow] = []
    /// Counters from the hypervisor's timings line per hello kind (medians): VM exits seen by
    /// the hypervisor, in-kernel KVM exits, emulated instructions, page faults taken by KVM.
    public var startCounters: [String: [String: Double]] = [:]
}
