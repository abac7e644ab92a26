/// The fuzzing session's report as text: calls, rate, syscalls reached of the table's implemented
/// and partial rows (and which were not), argument classes, and each finding with its reproducer.
public enum FuzzReport {
    public static func text(_ summary: SyscallFuzzer.Summary, table: [SyscallTableEntry], seed: UInt64) -> String {
        let served = table.filter { $0.support == .implemented || $0.support == .partial }
        let reached = served.filter { summary.syscalls.contains($0.number) }
        let missed = served.filter { !summary.syscalls.contains($0.number) }.map(\.name)
        let names = Dictionary(table.map { ($0.number, $0.name) }, uniquingKeysWith: { first, _ in first })
        var out = "syscall fuzz: seed \(seed), \(summary.runs) guest runs in \(Int(summary.seconds.rounded())) s\n"
        out += "  calls made:          \(summary.calls)\n"
        out += "  calls/second:        \(Int(summary.callsPerSecond.rounded()))\n"
        out += "  syscalls reached:    \(reached.count) of \(served.count) implemented+partial rows"
        out += " (\(summary.syscalls.count) distinct numbers in all, refused and unknown ones included)\n"
        if !missed.isEmpty { out += "  not reached:         \(missed.joined(separator: ", "))\n" }
        out += "  argument classes:    \(summary.argumentClasses.count): \(summary.argumentClasses.sorted().joined(separator: " "))\n"
        out += "  findings:            \(summary.findings.count)\n"
        for finding in summary.findings {
            out += "\nfinding: \(finding.kind) at call \(finding.callIndex) of seed \(finding.seed)"
            out += finding.reproducerConfirmed ? "\n" : " (the reduced calls did not reproduce it alone)\n"
            for call in finding.reproducer {
                let arguments = call.arguments.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
                out += "  \(names[call.number] ?? "syscall_\(call.number)")(\(arguments))\n"
            }
            out += "  saved: \(finding.savedAt)\n"
            let report = finding.report.split(separator: "\n").prefix(12).map { "  | " + $0 }.joined(separator: "\n")
            if !report.isEmpty { out += report + "\n" }
        }
        return out
    }
}
