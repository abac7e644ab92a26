import Foundation

/// The checked-in list of fixtures the guest is known to fail, each with a reason
/// (`Fixtures/known-gaps.txt`, one `libc/name: reason` per line, `#` comments). A line
/// `libc/name @platform: reason` holds only on one KVM platform (`kvm-pvm`, `amd-svm`,
/// `intel-vmx`; `KnownGaps.platformKey`), where the guest cannot do what Linux does.
///
/// A listed fixture that fails counts as a known gap instead of a failure; one that passes
/// is reported as fixed so the list never goes stale. Nothing on the list is skipped.
public struct KnownGaps: Sendable, Equatable {
    /// Reasons by fixture id (`libc/name`).
    public var reasons: [String: String]

    public init(reasons: [String: String] = [:]) {
        self.reasons = reasons
    }

    /// The platforms a line may name.
    public static let platformKeys = ["kvm-pvm", "amd-svm", "intel-vmx"]

    /// The key of a platform as `hypervisor --version` names it ("kvm-pvm (nested)" → kvm-pvm,
    /// "AMD SVM (...)" → amd-svm, "Intel VMX" → intel-vmx); nil when unknown.
    public static func platformKey(of platform: String) -> String? {
        if platform.hasPrefix("kvm-pvm") { return "kvm-pvm" }
        if platform.hasPrefix("AMD SVM") { return "amd-svm" }
        if platform.hasPrefix("Intel VMX") { return "intel-vmx" }
        return nil
    }

    /// Reads the list; a missing file is an empty list. Lines for another platform than
    /// `platform` (a key of `platformKeys`) are checked but left out.
    public static func load(path: String, platform: String? = nil) throws(KnownGapsError) -> KnownGaps {
        guard FileManager.default.fileExists(atPath: path) else { return KnownGaps() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, path: path, platform: platform)
    }

    /// Parses the text of the list; `path` is named in errors. Lines for another platform
    /// than `platform` are checked but left out.
    public static func parse(_ text: String, path: String, platform: String? = nil) throws(KnownGapsError) -> KnownGaps {
        var gaps = KnownGaps()
        var listed: [String: [String?]] = [:]  // the platforms each id is listed for; nil: all
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .malformedLine(path: path, line: index + 1, text: line)
            }
            var id = line[..<colon].trimmingWhitespace()
            var condition: String?
            if let at = id.firstIndex(of: "@") {
                let key = id[id.index(after: at)...].trimmingWhitespace()
                guard platformKeys.contains(key) else {
                    throw .unknownPlatform(path: path, line: index + 1, platform: key)
                }
                condition = key
                id = id[..<at].trimmingWhitespace()
            }
            let reason = line[line.index(after: colon)...].trimmingWhitespace()
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty, !reason.isEmpty else {
                throw .malformedLine(path: path, line: index + 1, text: line)
            }
            guard Libc(rawValue: String(parts[0])) != nil else {
                throw .unknownLibc(path: path, line: index + 1, libc: String(parts[0]))
            }
            let earlier = listed[id, default: []]
            guard !earlier.contains(where: { $0 == nil || $0 == condition }), condition != nil || earlier.isEmpty else {
                throw .duplicate(path: path, line: index + 1, id: id)
            }
            listed[id, default: []].append(condition)
            if condition == nil || condition == platform { gaps.reasons[id] = reason }
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
    /// A fixture listed twice (for all platforms, or twice for one).
    case duplicate(path: String, line: Int, id: String)
    /// A `@platform` that is not one of `KnownGaps.platformKeys`.
    case unknownPlatform(path: String, line: Int, platform: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read: \(reason)"
        case let .malformedLine(path, line, text):
            "\(path):\(line): expected `libc/name: reason` or `libc/name @platform: reason`, got \"\(text)\""
        case let .unknownLibc(path, line, libc):
            "\(path):\(line): unknown libc \"\(libc)\" (known: "
                + Libc.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case let .duplicate(path, line, id):
            "\(path):\(line): \(id) is listed twice"
        case let .unknownPlatform(path, line, platform):
            "\(path):\(line): unknown platform \"@\(platform)\" (known: "
                + KnownGaps.platformKeys.map { "@" + $0 }.joined(separator: ", ") + ")"
        }
    }
}
