import Foundation

/// The syscall support matrix: every row of the kernel's table with the fixtures whose guest
/// runs made that syscall, per libc, and the counts per support level.
public struct SupportMatrix: Sendable, Equatable, Codable {
    /// One table row and its coverage.
    public struct Row: Sendable, Equatable, Codable {
        public var entry: SyscallTableEntry
        /// Per libc (`asm`, `musl`, `glibc`), the fixture names whose guest trace shows this syscall.
        public var coveredBy: [String: [String]]
        /// Per libc, the covering fixtures whose last run failed or was a known gap.
        public var failingIn: [String: [String]]

        /// Whether a passing fixture covers the entry in every C libc (musl and glibc).
        public var coveredByPassingInEveryCLibc: Bool {
            [Libc.musl, .glibc].allSatisfy { libc in
                let failing = Set(failingIn[libc.rawValue] ?? [])
                return (coveredBy[libc.rawValue] ?? []).contains { !failing.contains($0) }
            }
        }
    }

    /// Counts of rows per support level.
    public struct Counts: Sendable, Equatable, Codable {
        public var implemented = 0
        public var partial = 0
        public var refused = 0
        public var total: Int { implemented + partial + refused }
    }

    /// Syscalls that never appear in a guest trace because they do not return to the
    /// dispatcher's tracing (`SyscallTrace.ignored` for the triage side): their coverage cannot be
    /// measured this way.
    public static let untraceable: Set<String> = ["exit", "exit_group", "rt_sigreturn"]

    /// Rows sorted by syscall number.
    public var rows: [Row]
    public var counts: Counts
    /// The table's path as given to `join`.
    public var tablePath: String
    /// How many fixture runs the coverage holds.
    public var fixtureRuns: Int
    /// Syscalls fixtures made in the guest that the table does not list (they got ENOSYS),
    /// with the fixture ids that made them.
    public var unlisted: [String: [String]]

    /// `.implemented` rows that no passing fixture covers in both musl and glibc
    /// (untraceable syscalls excluded).
    public var implementedGaps: [Row] {
        rows.filter {
            $0.entry.support == .implemented && !$0.coveredByPassingInEveryCLibc
                && !Self.untraceable.contains($0.entry.name)
        }
    }

    /// Joins the table's rows with the fixtures' guest syscalls.
    public static func join(table: [SyscallTableEntry], coverage: SyscallCoverage, tablePath: String) -> SupportMatrix {
        var counts = Counts()
        var rows: [Row] = []
        let runs = coverage.fixtures.values.sorted { ($0.libc, $0.name) < ($1.libc, $1.name) }
        for entry in table.sorted(by: { $0.number < $1.number }) {
            switch entry.support {
            case .implemented: counts.implemented += 1
            case .partial: counts.partial += 1
            case .refused: counts.refused += 1
            }
            var coveredBy: [String: [String]] = [:]
            var failingIn: [String: [String]] = [:]
            for run in runs where run.syscalls.contains(entry.name) {
                coveredBy[run.libc.rawValue, default: []].append(run.name)
                if !run.passed { failingIn[run.libc.rawValue, default: []].append(run.name) }
            }
            rows.append(Row(entry: entry, coveredBy: coveredBy, failingIn: failingIn))
        }
        let listed = Set(table.map(\.name))
        var unlisted: [String: [String]] = [:]
        for run in runs {
            for name in run.syscalls where !listed.contains(name) {
                unlisted[name, default: []].append(run.id)
            }
        }
        return SupportMatrix(rows: rows, counts: counts, tablePath: tablePath, fixtureRuns: coverage.fixtures.count,
                             unlisted: unlisted)
    }
}

/// The formats `conformance syscalls` prints the matrix in.
public enum SupportMatrixFormat: String, CaseIterable, Sendable {
    case text
    case markdown
    case json

    public func render(_ matrix: SupportMatrix) -> String {
        switch self {
        case .text: SupportMatrixRenderer.text(matrix)
        case .markdown: SupportMatrixRenderer.markdown(matrix)
        case .json: SupportMatrixRenderer.json(matrix)
        }
    }
}

/// Renders a `SupportMatrix`.
enum SupportMatrixRenderer {
    static let libcs: [Libc] = [.musl, .glibc, .asm]

    static func countsLine(_ matrix: SupportMatrix) -> String {
        "\(matrix.counts.total) syscalls: \(matrix.counts.implemented) implemented, "
            + "\(matrix.counts.partial) partial, \(matrix.counts.refused) refused"
    }

    /// `fixture` or `fixture (failing)` for one libc's cell.
    static func fixtureList(_ row: SupportMatrix.Row, _ libc: Libc) -> [String] {
        let failing = Set(row.failingIn[libc.rawValue] ?? [])
        return (row.coveredBy[libc.rawValue] ?? []).map { failing.contains($0) ? "\($0) (failing)" : $0 }
    }

    static func status(_ row: SupportMatrix.Row) -> String {
        if SupportMatrix.untraceable.contains(row.entry.name) { return "untraced" }
        if row.coveredByPassingInEveryCLibc { return "covered" }
        if row.coveredBy.isEmpty { return "NOT COVERED" }
        return "partly"
    }

    static func text(_ matrix: SupportMatrix) -> String {
        var lines = ["Syscall support matrix from \(matrix.tablePath)",
                     countsLine(matrix),
                     "coverage: the syscalls each fixture made in the guest in its last `conformance run` "
                         + "(\(matrix.fixtureRuns) fixture runs)", ""]
        let nameWidth = max(4, matrix.rows.map(\.entry.name.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func padLeft(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        lines.append(padLeft("nr", 4) + "  " + pad("name", nameWidth) + "  " + pad("support", 11) + "  "
                     + pad("coverage", 11) + "  musl glibc asm  note")
        for row in matrix.rows {
            let counts = libcs.map { libc -> String in
                let count = row.coveredBy[libc.rawValue]?.count ?? 0
                return padLeft(count == 0 ? "-" : "\(count)", libc == .glibc ? 5 : (libc == .musl ? 4 : 3))
            }.joined(separator: " ")
            lines.append(padLeft("\(row.entry.number)", 4) + "  " + pad(row.entry.name, nameWidth) + "  "
                         + pad(row.entry.support.rawValue, 11) + "  " + pad(status(row), 11) + "  " + counts
                         + "  " + row.entry.note)
            for libc in libcs {
                let fixtures = fixtureList(row, libc)
                if !fixtures.isEmpty {
                    lines.append(String(repeating: " ", count: 8) + "\(libc.rawValue): " + fixtures.joined(separator: ", "))
                }
            }
        }
        lines.append("")
        let gaps = matrix.implementedGaps
        lines.append(gaps.isEmpty
            ? "Every implemented syscall is covered by a passing fixture in musl and glibc."
            : "Implemented but not covered by a passing fixture in both musl and glibc: "
                + gaps.map(\.entry.name).joined(separator: ", "))
        let untraced = matrix.rows.filter { SupportMatrix.untraceable.contains($0.entry.name) }.map(\.entry.name)
        if !untraced.isEmpty {
            lines.append("Not visible in traces (they do not return): " + untraced.joined(separator: ", "))
        }
        if !matrix.unlisted.isEmpty {
            lines.append("Made by fixtures but not in the table (ENOSYS in the guest):")
            for name in matrix.unlisted.keys.sorted() {
                lines.append("  \(name): " + matrix.unlisted[name]!.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func markdown(_ matrix: SupportMatrix) -> String {
        func cell(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var lines = ["# Syscall support matrix", "",
                     "From `\(matrix.tablePath)`: **\(countsLine(matrix))**. Coverage: the syscalls each fixture "
                         + "made in the guest in its last `conformance run` (\(matrix.fixtureRuns) fixture runs).", "",
                     "| nr | name | support | coverage | musl | glibc | asm | note |",
                     "|---:|---|---|---|---|---|---|---|"]
        for row in matrix.rows {
            let fixtures = libcs.map { cell(fixtureList(row, $0).joined(separator: ", ")) }
            lines.append("| \(row.entry.number) | `\(row.entry.name)` | \(row.entry.support.rawValue) | \(status(row)) | "
                         + fixtures.joined(separator: " | ") + " | \(cell(row.entry.note)) |")
        }
        let gaps = matrix.implementedGaps
        lines.append("")
        lines.append(gaps.isEmpty
            ? "Every implemented syscall is covered by a passing fixture in musl and glibc."
            : "Implemented but not covered by a passing fixture in both musl and glibc: "
                + gaps.map { "`\($0.entry.name)`" }.joined(separator: ", ") + ".")
        if !matrix.unlisted.isEmpty {
            lines.append("")
            lines.append("Made by fixtures but not in the table (ENOSYS in the guest): "
                         + matrix.unlisted.keys.sorted().map { "`\($0)` (\(matrix.unlisted[$0]!.joined(separator: ", ")))" }
                             .joined(separator: ", ") + ".")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ matrix: SupportMatrix) -> String {
        struct Document: Encodable {
            struct Entry: Encodable {
                var number: Int
                var name: String
                var support: String
                var note: String
                var coverage: String
                var coveredBy: [String: [String]]
                var failingIn: [String: [String]]
            }
            var table: String
            var counts: [String: Int]
            var fixtureRuns: Int
            var entries: [Entry]
            var implementedGaps: [String]
            var untraceable: [String]
            var unlisted: [String: [String]]
        }
        let document = Document(
            table: matrix.tablePath,
            counts: ["implemented": matrix.counts.implemented, "partial": matrix.counts.partial,
                     "refused": matrix.counts.refused, "total": matrix.counts.total],
            fixtureRuns: matrix.fixtureRuns,
            entries: matrix.rows.map {
                .init(number: $0.entry.number, name: $0.entry.name, support: $0.entry.support.rawValue,
                      note: $0.entry.note, coverage: status($0), coveredBy: $0.coveredBy, failingIn: $0.failingIn)
            },
            implementedGaps: matrix.implementedGaps.map(\.entry.name),
            untraceable: SupportMatrix.untraceable.sorted(),
            unlisted: matrix.unlisted)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
