import Conformance
import Foundation

/// Progress of `conformance run` on stderr: one line rewritten in place on a terminal,
/// plain `[k/n] VERDICT libc/name` lines otherwise (CI logs), never mixed into stdout's report.
final class ProgressLine: @unchecked Sendable {
    private let total: Int
    private let interactive: Bool
    private let lock = NSLock()
    private var done = 0
    private var failed = 0

    init(total: Int, interactive: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.interactive = interactive
    }

    /// Records one finished fixture (called from any task).
    func finished(_ result: FixtureResult) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        if result.verdict.failsRun { failed += 1 }
        let label = switch result.verdict.outcome {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .nativeFailure: "BROKEN"
        case .knownGap: "GAP"
        case .fixedGap: "FIXED"
        }
        let category = result.verdict.category.map { " [\($0.rawValue)]" } ?? ""
        if interactive {
            let text = "[\(done)/\(total)] \(failed) failed, last: \(label) \(result.id)"
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        } else {
            FileHandle.standardError.write(Data("[\(done)/\(total)] \(label) \(result.id)\(category)\n".utf8))
        }
    }

    /// Clears the in-place line so the report starts on a clean line.
    func end() {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
