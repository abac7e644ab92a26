import Foundation

/// JUnit XML for CI test-report viewers: one `<testsuite>` per libc, one `<testcase>` per
/// fixture, a `<failure>` whose `type` is the failure category (`output`, `exit-status`,
/// `files`, `stack-layout`, `alignment`, `crash`, `timeout`, `build`, or `native-failure` /
/// `fixed-gap`) and whose text lists every mismatch, and `<skipped>` for known gaps.
public struct JUnitReportRenderer: ReportRenderer {
    public init() {}

    public func render(_ report: Report) -> String {
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#]
        let total = report.total
        let allTime = report.results.reduce(0) { $0 + time(of: $1) }
        lines.append("<testsuites name=\"conformance\" tests=\"\(total.total)\" failures=\"\(total.failed)\""
                     + " errors=\"0\" skipped=\"\(total.knownGaps)\" time=\"\(seconds(allTime))\">")
        for summary in report.summaries {
            let results = report.results.filter { $0.libc == summary.libc }
            let suiteTime = results.reduce(0) { $0 + time(of: $1) }
            lines.append("  <testsuite name=\"\(summary.libc.rawValue)\" tests=\"\(summary.total)\""
                         + " failures=\"\(summary.failed)\" errors=\"0\" skipped=\"\(summary.knownGaps)\""
                         + " time=\"\(seconds(suiteTime))\">")
            if summary.libc == report.summaries.first?.libc {
                var properties = ["    <properties>",
                                  "      <property name=\"mode\" value=\"\(report.mode.rawValue)\"/>"]
                properties += report.warnings.map { "      <property name=\"warning\" value=\"\(escape($0))\"/>" }
                lines += properties + ["    </properties>"]
            }
            for result in results {
                let open = "    <testcase classname=\"conformance.\(result.libc.rawValue)\" name=\"\(escape(result.name))\""
                    + " time=\"\(seconds(time(of: result)))\""
                let verdict = result.verdict
                switch verdict.outcome {
                case .pass:
                    lines.append(open + "/>")
                case .knownGap:
                    lines.append(open + ">")
                    let message = "known gap: \(verdict.gapReason ?? "")"
                        + (verdict.category.map { " [\($0.rawValue)]" } ?? "") + (verdict.summary.map { ": " + $0 } ?? "")
                    lines.append("      <skipped message=\"\(escape(message))\"/>")
                    lines.append("    </testcase>")
                case .fail, .nativeFailure, .fixedGap:
                    let type = verdict.outcome == .fail ? (verdict.category?.rawValue ?? "fail") : verdict.outcome.rawValue
                    lines.append(open + ">")
                    lines.append("      <failure type=\"\(type)\" message=\"\(escape(verdict.summary ?? type))\">"
                                 + escape(verdict.details.joined(separator: "\n")) + "</failure>")
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    private func time(of result: FixtureResult) -> Double {
        (result.nativeSeconds ?? 0) + (result.guestSeconds ?? 0)
    }

    private func seconds(_ value: Double) -> String {
        String(format: "%.3f", value)
    }

    /// Text safe inside XML attributes and elements: the five entities escaped, and control
    /// characters XML 1.0 cannot carry replaced by `\u{..}` spellings.
    func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\n": result += "&#10;"
            case "\t": result += "&#9;"
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) || (0xD800...0xDFFF).contains(scalar.value) {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
