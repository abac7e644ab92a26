import Foundation

/// Which syscalls each fixture made in the guest, from the runner's `--trace-file` of its last
/// `conformance run`; stored as JSON (`.build/conformance/coverage.json`) for `conformance syscalls`.
public struct SyscallCoverage: Sendable, Equatable, Codable {
    /// One fixture's last guest run.
    public struct FixtureRun: Sendable, Equatable, Codable {
        public var libc: Libc
        public var name: String
        /// The fixture's outcome in that run (`pass`, `fail`, `known-gap`, ...).
        public var outcome: Outcome
        /// The distinct syscall names the guest trace shows, sorted.
        public var syscalls: [String]
        /// Syscalls that entered the guest kernel by trapping (on kvm-pvm an exit each) and in
        /// all, summed over the run's processes (the trace's `+++ syscall entries` lines); nil
        /// when the trace has none.
        public var trappedSyscalls: UInt64?
        public var totalSyscalls: UInt64?

        /// `libc/name`.
        public var id: String { "\(libc.rawValue)/\(name)" }

        /// Whether the guest behaved like Linux in that run (a fixed gap passes too).
        public var passed: Bool { outcome == .pass || outcome == .fixedGap }

        public init(libc: Libc, name: String, outcome: Outcome, syscalls: [String],
                    entries: (trapped: UInt64, total: UInt64)? = nil) {
            self.libc = libc
            self.name = name
            self.outcome = outcome
            self.syscalls = syscalls
            trappedSyscalls = entries?.trapped
            totalSyscalls = entries?.total
        }
    }

    /// Where coverage is kept, relative to the package root.
    public static let relativePath = ".build/conformance/coverage.json"
    /// Where `conformance run` has the runner write its traces, relative to the package root.
    public static let traceDirectory = ".build/conformance/traces"

    /// Runs by fixture id.
    public var fixtures: [String: FixtureRun]

    public init(fixtures: [FixtureRun] = []) {
        self.fixtures = Dictionary(fixtures.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The trace file of one fixture: `<directory>/<libc>-<name>.trace`.
    public static func traceFile(in directory: String, libc: String, name: String) -> String {
        "\(directory)/\(libc)-\(name).trace"
    }

    /// The distinct syscall names in a runner trace: each line's leading name up to `(`
    /// (`openat(AT_FDCWD, "f", O_RDONLY) = 3`); lines that do not start with a name and `(`
    /// (signal notes, exit lines, blank lines) are skipped, so the argument and result
    /// spelling may change freely.
    public static func syscallNames(inTrace text: String) -> Set<String> {
        var names: Set<String> = []
        for line in text.split(separator: "\n") {
            var line = line.drop { $0 == " " }
            // A leading pid (`1234 openat(...)`), as strace -f writes it.
            if let space = line.firstIndex(of: " "), !line[..<space].isEmpty, line[..<space].allSatisfy(\.isNumber) {
                line = line[space...].drop { $0 == " " }
            }
            guard let open = line.firstIndex(of: "("), open > line.startIndex else { continue }
            let name = line[..<open]
            guard name.first!.isLetter || name.first == "_",
                  name.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }) else { continue }
            names.insert(String(name))
        }
        return names
    }

    /// The syscall entries a runner trace reports, summed over its processes (each ends its
    /// part with `+++ syscall entries: N trapped, M through rewritten sites, ...`): trapped and
    /// total; nil when no line is there.
    public static func syscallEntries(inTrace text: String) -> (trapped: UInt64, total: UInt64)? {
        let prefix = "+++ syscall entries: "
        var sum: (trapped: UInt64, total: UInt64)?
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let numbers = line.dropFirst(prefix.count).split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .punctuationCharacters)) }
            guard numbers.count >= 2 else { continue }
            sum = ((sum?.trapped ?? 0) + numbers[0], (sum?.total ?? 0) + numbers[0] + numbers[1])
        }
        return sum
    }

    /// One line per libc: the share of the guest's syscalls that trapped in `runs`, e.g.
    /// `glibc: 4.10% of 123456 syscalls trapped (38 fixtures)`.
    public static func trapShareSummary(_ runs: [FixtureRun]) -> [String] {
        var byLibc: [Libc: (trapped: UInt64, total: UInt64, fixtures: Int)] = [:]
        for run in runs {
            guard let trapped = run.trappedSyscalls, let total = run.totalSyscalls else { continue }
            let sum = byLibc[run.libc] ?? (0, 0, 0)
            byLibc[run.libc] = (sum.trapped + trapped, sum.total + total, sum.fixtures + 1)
        }
        return byLibc.sorted { $0.key.rawValue < $1.key.rawValue }.map { libc, sum in
            let share = sum.total > 0 ? 100 * Double(sum.trapped) / Double(sum.total) : 0
            return "\(libc.rawValue): " + String(format: "%.2f%%", share) + " of \(sum.total) syscalls trapped (\(sum.fixtures) fixtures)"
        }
    }

    /// Replaces the runs of the fixtures in `runs`, keeping the others (a filtered run updates
    /// only what it ran), and drops fixtures that no longer exist when `existing` is given.
    public mutating func merge(_ runs: [FixtureRun], existing: Set<String>? = nil) {
        for run in runs { fixtures[run.id] = run }
        if let existing { fixtures = fixtures.filter { existing.contains($0.key) } }
    }

    /// The coverage stored at `path`, nil if there is none yet.
    public static func load(path: String) throws -> SyscallCoverage? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(SyscallCoverage.self, from: data)
    }

    /// Writes the coverage to `path` (creating its folder).
    public func save(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The runs of a finished `conformance run`: for each result whose guest ran, the syscalls of
    /// its trace in `traceDirectory` (fixtures without a trace file are left out).
    public static func runs(of results: [FixtureResult], traceDirectory: String) -> [FixtureRun] {
        results.compactMap { result in
            guard result.guestSeconds != nil else { return nil }
            let path = traceFile(in: traceDirectory, libc: result.libc.rawValue, name: result.name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return FixtureRun(libc: result.libc, name: result.name, outcome: result.verdict.outcome,
                              syscalls: syscallNames(inTrace: text).sorted(), entries: syscallEntries(inTrace: text))
        }
    }
}
