import Foundation

/// The checked-in list of fixtures the guest is known to fail, each with a reason
/// (`Fixtures/known-gaps.txt`, one `libc/name: reason` per line, `#` comments).
///
/// A listed fixture that fails counts as a known gap instead of a failure; one that passes
/// is reported as fixed so the list never goes stale. Nothing on the list is skipped.
public struct KnownGaps: Sendable, Equatable {
    /// Reasons by fixture id (`libc/name`).
    public var reasons: [String: String]

    public init(reasons: [String: String] = [:]) {
        self.reasons = reasons
    }

    /// Reads the list; a missing file is an empty list.
    public static func load(path: String) throws(KnownGapsError) -> KnownGaps {
        guard FileManager.default.fileExists(atPath: path) else { return KnownGaps() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, path: path)
    }

    /// Parses the text of the list; `path` is named in errors.
    public static func parse(_ text: String, path: String) throws(KnownGapsError) -> KnownGaps {
        var gaps = KnownGaps()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .malformedLine(path: path, line: index + 1, text: line)
            }
            let id = line[..<colon].trimmingWhitespace()
            let reason = line[line.index(after: colon)...].trimmingWhitespace()
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty, !reason.isEmpty else {
                throw .malformedLine(path: path, line: index + 1, text: line)
            }
            guard Libc(rawValue: String(parts[0])) != nil else {
                throw .unknownLibc(path: path, line: index + 1, libc: String(parts[0]))
            }
            guard gaps.reasons[id] == nil else {
                throw .duplicate(path: path, line: index + 1, id: id)
            }
            gaps.reasons[id] = reason
        }
        return gaps
    }

    /// Turns a verdict on a listed fixture into a known gap (it failed) or a fixed gap (it passed).
    /// Native failures stay what they are: a broken fixture is not a gap in the guest.
    public func apply(to verdict: Verdict, fixtureID: String) -> Verdict {
        guard let reason = reasons[fixtureID] else { return verdict }
        var result = verdict
        result.gapReason = reason
        switch verdict.outcome {
        case .fail:
            result.outcome = .knownGap
        case .pass:
            result.outcome = .fixedGap
            result.summary = "passes now: remove \"\(fixtureID)\" from Fixtures/known-gaps.txt"
            result.details = [result.summary!]
        case .nativeFailure, .knownGap, .fixedGap:
            break
        }
        return result
    }

    /// Entries that name none of `fixtureIDs` (pass every fixture, before any filter).
    public func staleEntries(among fixtureIDs: Set<String>) -> [String] {
        reasons.keys.filter { !fixtureIDs.contains($0) }.sorted()
    }
}

/// Why the known-gaps list could not be read.
public enum KnownGapsError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// A line that is not `libc/name: reason`.
    case malformedLine(path: String, line: Int, text: String)
    /// A line whose libc is not asm, musl or glibc.
    case unknownLibc(path: String, line: Int, libc: String)
    /// A fixture listed twice.
    case duplicate(path: String, line: Int, id: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read: \(reason)"
        case let .malformedLine(path, line, text):
            "\(path):\(line): expected `libc/name: reason`, got \"\(text)\""
        case let .unknownLibc(path, line, libc):
            "\(path):\(line): unknown libc \"\(libc)\" (known: "
                + Libc.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case let .duplicate(path, line, id):
            "\(path):\(line): \(id) is listed twice"
        }
    }
}
