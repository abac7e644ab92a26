import Foundation

/// The formats a `Report` can be rendered in. A new format is one more case and one more renderer.
public enum ReportFormat: String, CaseIterable, Sendable {
    case text
    case markdown
    case json
    case junit

    /// Renders `report`; `verbose` adds every fixture's result and every mismatch.
    public func render(_ report: Report, verbose: Bool = false) -> String {
        switch self {
        case .text: TextReportRenderer(verbose: verbose).render(report)
        case .markdown: MarkdownReportRenderer(verbose: verbose).render(report)
        case .json: JSONReportRenderer().render(report)
        case .junit: JUnitReportRenderer().render(report)
        }
    }
}

/// Turns a report into one output document.
public protocol ReportRenderer {
    func render(_ report: Report) -> String
}

/// The terminal format: a per-libc summary table, then one line per failure or gap.
public struct TextReportRenderer: ReportRenderer {
    public var verbose: Bool

    public init(verbose: Bool = false) {
        self.verbose = verbose
    }

    public func render(_ report: Report) -> String {
        var lines: [String] = []
        let header = ["libc", "passed", "failed", "known gaps", "total"]
        var rows = report.summaries.map { row in
            row.total == 0
                ? [row.libc.rawValue, "-", "-", "-", "0", "no fixtures"]
                : [row.libc.rawValue, "\(row.passed)", "\(row.failed)", "\(row.knownGaps)", "\(row.total)", ""]
        }
        let total = report.total
        rows.append(["all", "\(total.passed)", "\(total.failed)", "\(total.knownGaps)", "\(total.total)", ""])
        let widths = header.indices.map { column in
            max(header[column].count, rows.map { $0[column].count }.max() ?? 0)
        }
        func format(_ cells: [String]) -> String {
            var text = cells[0].padding(toLength: widths[0], withPad: " ", startingAt: 0)
            for column in 1..<header.count {
                text += "  " + String(repeating: " ", count: widths[column] - cells[column].count) + cells[column]
            }
            if cells.count > header.count, !cells[header.count].isEmpty { text += "  " + cells[header.count] }
            return text
        }
        lines.append(report.mode == .guest ? "conformance: guest compared with native Linux"
                                           : "conformance: native runs only (no guest)")
        if let platform = report.platform { lines.append("platform: \(platform)") }
        if let image = report.kernelImage {
            lines.append("kernel image: \(image.bytes) bytes (\(image.bytes / 1024) KiB), \(image.path)")
        }
        lines.append("")
        lines.append(format(header))
        lines += rows.map(format)

        let listed = verbose ? report.results : report.notable
        if !listed.isEmpty { lines.append("") }
        for result in listed {
            lines.append(line(for: result))
            if verbose {
                let extra = result.verdict.details.filter { $0 != result.verdict.summary }
                lines += extra.map { "      " + $0 }
            }
        }
        if !report.warnings.isEmpty { lines.append("") }
        lines += report.warnings.map { "warning: " + $0 }
        if report.auxvPolicy != nil {
            lines.append("")
            lines += AuxvPolicy.render().split(separator: "\n").map(String.init)
        }
        lines.append("")
        lines.append(report.succeeded ? "result: PASS" : "result: FAIL")
        return lines.joined(separator: "\n") + "\n"
    }

    private func line(for result: FixtureResult) -> String {
        let verdict = result.verdict
        let category = verdict.category.map { " [\($0.rawValue)]" } ?? ""
        let summary = verdict.summary.map { " " + $0 } ?? ""
        switch verdict.outcome {
        case .pass:
            let times = [result.nativeSeconds.map { "native \(seconds($0))" },
                         result.guestSeconds.map { "guest \(seconds($0))" }].compactMap { $0 }
            return "PASS   \(result.id)" + (times.isEmpty ? "" : " (" + times.joined(separator: ", ") + ")")
        case .fail:
            return "FAIL   \(result.id)\(category)\(summary)"
        case .nativeFailure:
            return "BROKEN \(result.id) [native failure]\(summary)"
        case .knownGap:
            return "GAP    \(result.id)\(category)\(summary) (known gap: \(verdict.gapReason ?? ""))"
        case .fixedGap:
            return "FIXED  \(result.id)\(summary)"
        }
    }

    private func seconds(_ value: Double) -> String {
        String(format: "%.2f s", value)
    }
}

/// Markdown for pull requests and CI summaries: the summary table and a failure list.
public struct MarkdownReportRenderer: ReportRenderer {
    public var verbose: Bool

    public init(verbose: Bool = false) {
        self.verbose = verbose
    }

    public func render(_ report: Report) -> String {
        var lines = ["## Conformance (\(report.mode == .guest ? "guest vs native" : "native only")): "
                     + (report.succeeded ? "pass" : "FAIL"), ""]
        if let platform = report.platform { lines += ["Platform: \(platform)", ""] }
        if let image = report.kernelImage {
            lines += ["Kernel image: \(image.bytes) bytes (\(image.bytes / 1024) KiB)", ""]
        }
        lines += ["| libc | passed | failed | known gaps | total |",
                     "|---|---:|---:|---:|---:|"]
        for row in report.summaries {
            lines.append(row.total == 0
                ? "| \(row.libc.rawValue) | - | - | - | 0 (no fixtures) |"
                : "| \(row.libc.rawValue) | \(row.passed) | \(row.failed) | \(row.knownGaps) | \(row.total) |")
        }
        let total = report.total
        lines.append("| **all** | \(total.passed) | \(total.failed) | \(total.knownGaps) | \(total.total) |")
        let listed = verbose ? report.results : report.notable
        if !listed.isEmpty { lines += ["", "| fixture | verdict | details |", "|---|---|---|"] }
        for result in listed {
            let verdict = result.verdict
            let label = [verdict.outcome.rawValue, verdict.category?.rawValue].compactMap { $0 }.joined(separator: ": ")
            var details = verdict.summary ?? ""
            if let reason = verdict.gapReason { details += (details.isEmpty ? "" : "; ") + "known gap: " + reason }
            lines.append("| `\(result.id)` | \(label) | \(escape(details)) |")
        }
        if !report.warnings.isEmpty { lines.append("") }
        lines += report.warnings.map { "- warning: \(escape($0))" }
        if let policy = report.auxvPolicy {
            lines += ["", "### Stack layout policy", "", "| key | name | rule | why |", "|---:|---|---|---|"]
            lines += policy.map { "| \($0.key) | \($0.name) | \($0.rule) | \(escape($0.reason)) |" }
            lines += [""] + AuxvPolicy.layoutRules.map { "- \(escape($0))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }
}

/// JSON for tools: the `Report` model as is, with stable key order.
public struct JSONReportRenderer: ReportRenderer {
    public init() {}

    public func render(_ report: Report) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(report) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
