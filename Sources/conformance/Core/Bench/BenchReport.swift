import Foundation

/// Renders `BenchResults` as Markdown and JSON.
public enum BenchReport {
    /// The main table (every figure next to its reference and target), then the start-up breakdown.
    public static func markdown(_ results: BenchResults) -> String {
        var out = "## Benchmarks (\(results.date))\n\n"
        out += "Host: \(results.host). End-to-end figures: median [p10–p90] of \(results.runsPerStartFigure) runs; "
        out += "other figures: median [min–max] of \(results.repeatsPerFigure) runs. Guest memory: the runner's default (the host's RAM as the limit, given on demand); KVM floor VM: 64 MiB. "
        out += "Load average (1 min) at start \(results.loadAverageStart), at end \(results.loadAverageEnd): "
        out += "other work on the host shows up as spread.\n\n"
        out += "| Section | Figure | Unikernel | Native Linux | KVM floor | Ratio | Target | Met |\n"
        out += "|---|---|---|---|---|---|---|---|\n"
        for row in results.rows {
            let spread = row.section == "End-to-end start" ? Spread.percentiles : .range
            var cells = [row.section, row.figure, format(row.unikernel, row.unit, spread), format(row.native, row.unit, spread),
                         format(row.kvmFloor, row.unit, spread)]
            cells.append(row.ratio.map { String(format: "%.3g×", $0) + (row.ratioBase.map { " " + $0 } ?? "") } ?? "–")
            cells.append(row.target ?? "–")
            cells.append(row.met.map { $0 ? "yes" : "**no**" } ?? "–")
            out += "| " + cells.map(escape).joined(separator: " | ") + " |\n"
        }
        let notes = results.rows.enumerated().filter { !$0.element.note.isEmpty }
        if !notes.isEmpty {
            out += "\nNotes:\n"
            for (_, row) in notes { out += "- \(row.figure): \(row.note)\n" }
        }
        if !results.breakdown.isEmpty {
            let kinds = ["asm", "musl", "glibc"]
            out += "\n### Start-up breakdown (µs, median [p10–p90], runs with UNIKERNEL_TIMINGS=1)\n\n"
            out += "| Phase | " + kinds.map { "hello (\($0))" }.joined(separator: " | ") + " | Measured as |\n"
            out += "|---|" + kinds.map { _ in "---|" }.joined() + "---|\n"
            for row in results.breakdown {
                let cells = kinds.map { kind in
                    row.nanoseconds[kind].map { String(format: "%.0f [%.0f–%.0f]", $0.median / 1e3, $0.p10 / 1e3, $0.p90 / 1e3) } ?? "not measured"
                }
                out += "| \(row.phase) | " + cells.joined(separator: " | ") + " | \(escape(row.measuredAs)) |\n"
            }
            let counterNames = Set(results.startCounters.values.flatMap(\.keys)).sorted()
            if !counterNames.isEmpty {
                out += "\n| Counter (median per run) | " + kinds.map { "hello (\($0))" }.joined(separator: " | ") + " |\n"
                out += "|---|" + kinds.map { _ in "---|" }.joined() + "\n"
                for name in counterNames {
                    out += "| \(name) | " + kinds.map { kind in results.startCounters[kind]?[name].map { String(format: "%.0f", $0) } ?? "–" }
                        .joined(separator: " | ") + " |\n"
                }
            }
        }
        return out
    }

    /// Pretty-printed JSON of everything measured.
    public static func json(_ results: BenchResults) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(results)
    }

    enum Spread { case percentiles, range }

    static func format(_ summary: Summary?, _ unit: BenchUnit, _ spread: Spread) -> String {
        guard let summary else { return "–" }
        let (scale, suffix) = scale(for: summary.median, unit)
        let value = number(summary.median / scale) + (suffix.isEmpty ? "" : " " + suffix)
        if summary.count < 2 { return value }
        let (low, high) = spread == .percentiles ? (summary.p10, summary.p90) : (summary.min, summary.max)
        return "\(value) [\(number(low / scale))–\(number(high / scale))]"
    }

    /// The divisor and unit name that make `value` readable (the spread uses the median's).
    static func scale(for value: Double, _ unit: BenchUnit) -> (Double, String) {
        switch unit {
        case .seconds: return value >= 1 ? (1, "s") : value >= 1e-3 ? (1e-3, "ms") : (1e-6, "µs")
        case .nanoseconds: return (1, "ns")
        case .cycles: return (1, "cycles")
        case .mebibytesPerSecond: return (1, "MiB/s")
        case .bytes: return abs(value) >= 1048576 ? (1048576, "MiB") : (1024, "KiB")
        case .count: return (1, "")
        }
    }

    static func number(_ value: Double) -> String {
        String(format: abs(value) >= 100 ? "%.0f" : abs(value) >= 10 ? "%.1f" : "%.2f", value)
    }

    static func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
