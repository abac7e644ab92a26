/// Why a fixture source could not be turned into a `Fixture` (discovery and header parsing).
public enum FixtureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The fixtures folder or a source file could not be read.
    case unreadable(path: String, reason: String)
    /// A file name that cannot name a fixture (only letters, digits, `_` and `-`).
    case invalidName(path: String)
    /// A `conformance-<key>:` line with a key this tool does not know.
    case unknownDirective(path: String, line: Int, key: String)
    /// A known directive whose value does not parse.
    case malformedDirective(path: String, line: Int, key: String, reason: String)
    /// The source does not open with a comment saying what it checks.
    case missingSummary(path: String)
    /// Two sources would build the same fixture (`libc/name`), e.g. `musl/x.c` listing glibc
    /// in `conformance-libcs:` next to a `glibc/x.c`.
    case duplicate(id: String, paths: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read: \(reason)"
        case let .invalidName(path):
            "\(path): a fixture name may only contain letters, digits, '_' and '-'"
        case let .unknownDirective(path, line, key):
            "\(path):\(line): unknown directive conformance-\(key) (known: "
                + FixtureSpec.directiveKeys.map { "conformance-\($0)" }.joined(separator: ", ") + ")"
        case let .malformedDirective(path, line, key, reason):
            "\(path):\(line): conformance-\(key): \(reason)"
        case let .duplicate(id, paths):
            "\(id) is built from more than one source: " + paths.joined(separator: ", ")
        case let .missingSummary(path):
            "\(path): the source must open with a comment saying what the fixture checks"
        }
    }
}
