/// The verdict on one fixture, with timings, as it appears in a report.
public struct FixtureResult: Sendable, Equatable, Codable {
    public var libc: Libc
    public var name: String
    public var verdict: Verdict
    /// Wall-clock seconds of the native run, if it ran.
    public var nativeSeconds: Double?
    /// Wall-clock seconds of the guest run, if it ran.
    public var guestSeconds: Double?

    /// `libc/name`.
    public var id: String { "\(libc.rawValue)/\(name)" }

    public init(libc: Libc, name: String, verdict: Verdict, nativeSeconds: Double? = nil, guestSeconds: Double? = nil) {
        self.libc = libc
        self.name = name
        self.verdict = verdict
        self.nativeSeconds = nativeSeconds
        self.guestSeconds = guestSeconds
    }
}

/// The counts of one libc's row in the summary table.
public struct LibcSummary: Sendable, Equatable, Codable {
    public var libc: Libc
    public var passed = 0
    /// Failures, native failures (broken fixtures) and fixed gaps still on the list.
    public var failed = 0
    public var knownGaps = 0
    public var total = 0

    public init(libc: Libc) {
        self.libc = libc
    }
}

/// The outcome of a conformance run: one result per fixture, per-libc counts, and warnings.
/// Renderers (`ReportFormat`) turn it into text, Markdown or JSON.
public struct Report: Sendable, Equatable, Codable {
    /// Whether the guest was compared with native, or only native was checked.
    public enum Mode: String, Sendable, Codable {
        case guest
        case nativeOnly = "native-only"
    }

    public var mode: Mode
    /// Results sorted by libc, then name.
    public var results: [FixtureResult]
    /// One row per libc (every libc, even without fixtures).
    public var summaries: [LibcSummary]
    /// Problems that do not belong to a fixture (stale known-gaps entries).
    public var warnings: [String]
    /// Whether the run passes: nothing failed (known gaps are allowed).
    public var succeeded: Bool
    /// The auxv policy the stack-layout fixtures were judged by (`AuxvPolicy.entries`),
    /// when any ran; renderers print it as a section.
    public var auxvPolicy: [AuxvPolicy.Entry]?
    /// The kernel image the guest ran (path and size in bytes), for the report header.
    public var kernelImage: KernelImage?
    /// The KVM platform the guest ran on, as `hypervisor --version` names it.
    public var platform: String?

    /// A kernel image file and its size.
    public struct KernelImage: Sendable, Equatable, Codable {
        public var path: String
        public var bytes: Int
    }

    public init(mode: Mode, results: [FixtureResult], warnings: [String] = [],
                auxvPolicy: [AuxvPolicy.Entry]? = nil) {
        self.mode = mode
        self.auxvPolicy = auxvPolicy
        self.results = results.sorted { ($0.libc, $0.name) < ($1.libc, $1.name) }
        self.warnings = warnings
        var summaries = Libc.allCases.map(LibcSummary.init)
        for result in results {
            let row = Libc.allCases.firstIndex(of: result.libc)!
            summaries[row].total += 1
            switch result.verdict.outcome {
            case .pass: summaries[row].passed += 1
            case .knownGap: summaries[row].knownGaps += 1
            case .fail, .nativeFailure, .fixedGap: summaries[row].failed += 1
            }
        }
        self.summaries = summaries
        self.succeeded = !results.contains { $0.verdict.failsRun }
    }

    /// The row that adds up every libc.
    public var total: LibcSummary {
        summaries.reduce(into: LibcSummary(libc: .asm)) { sum, row in
            sum.passed += row.passed
            sum.failed += row.failed
            sum.knownGaps += row.knownGaps
            sum.total += row.total
        }
    }

    /// The results that are not plain passes: failures, broken fixtures, known and fixed gaps.
    public var notable: [FixtureResult] {
        results.filter { $0.verdict.outcome != .pass }
    }
}
