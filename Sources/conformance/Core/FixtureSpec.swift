/// What a fixture declares in its header comment: what it checks, how to run it, and
/// what native Linux must do with it for the fixture to count as sound.
///
/// The header is the block of comment lines at the top of the source (see
/// `Fixtures/README.md`). Directives are comment lines of the form
/// `conformance-<key>: <value>`; every other comment line is part of the summary.
public struct FixtureSpec: Sendable, Equatable {
    /// What the fixture checks, from the non-directive header lines.
    public var summary: String
    /// `argv[1...]`; `argv[0]` is always the binary's absolute path.
    public var arguments: [String] = []
    /// The bytes the program reads on stdin (empty by default).
    public var stdin: [UInt8] = []
    /// Whether stdin is a fresh pseudo-terminal instead (`conformance-stdin-terminal: yes`),
    /// for job control on a real terminal.
    public var stdinIsTerminal = false
    /// The program's whole environment as `KEY=VALUE` strings, in order; nothing is inherited.
    public var environment: [String] = []
    /// The exit status native Linux must produce (128+n for a death by signal n).
    public var expectedExitStatus: Int32 = 0
    /// A per-fixture timeout in seconds, overriding the run's default.
    public var timeoutSeconds: Double?
    /// Guest memory for this fixture (`--memory` of the runner, e.g. `256M`); nil keeps
    /// the runner's default. Native runs are not affected.
    public var guestMemory: String?
    /// How stdout is compared: byte for byte, or as a parsed initial-stack dump.
    public var stdoutComparison: StdoutComparison = .exact
    /// The category output and exit-status mismatches are reported in (default: their own).
    public var mismatchCategory: FailureCategory?
    /// The C libraries a C source is built for; nil means the libc of its folder only.
    public var libcs: [Libc]?
    /// Extra compiler flags, placed before `-o <output> <source>` (`conformance-cflags:`).
    public var compilerFlags: [String] = []
    /// Extra linker inputs and flags, placed after the source so that static libraries
    /// resolve its references (`conformance-ldflags: -lz`).
    public var linkerFlags: [String] = []
    /// How the program is linked: a static executable at a fixed address, or static-PIE.
    public var linkMode: LinkMode = .static
    /// Relative paths in the working directory whose contents are not compared: the entry must
    /// exist with the same kind on both sides (`conformance-ignore-contents:`), e.g. a
    /// database whose bytes may legitimately differ while its query results (printed) may not.
    public var contentsIgnored: [String] = []
    /// Programs copied into the working directory before each run, native and guest
    /// (`conformance-programs:`): what the fixture runs with exec, posix_spawn or system.
    public var programs: [ProgramPlacement] = []
    /// A server the tool starts on the host around each run, native and guest
    /// (`conformance-host-server:`), with the files of `conformance-host-server-file:`.
    public var hostServer: HostServer?

    public init(summary: String, arguments: [String] = [], stdin: [UInt8] = [],
                environment: [String] = [], expectedExitStatus: Int32 = 0,
                timeoutSeconds: Double? = nil, guestMemory: String? = nil,
                stdoutComparison: StdoutComparison = .exact, mismatchCategory: FailureCategory? = nil,
                libcs: [Libc]? = nil, compilerFlags: [String] = [], linkerFlags: [String] = [],
                linkMode: LinkMode = .static, contentsIgnored: [String] = [], programs: [ProgramPlacement] = [],
                hostServer: HostServer? = nil) {
        self.summary = summary
        self.arguments = arguments
        self.stdin = stdin
        self.environment = environment
        self.expectedExitStatus = expectedExitStatus
        self.timeoutSeconds = timeoutSeconds
        self.guestMemory = guestMemory
        self.stdoutComparison = stdoutComparison
        self.mismatchCategory = mismatchCategory
        self.libcs = libcs
        self.compilerFlags = compilerFlags
        self.linkerFlags = linkerFlags
        self.linkMode = linkMode
        self.contentsIgnored = contentsIgnored
        self.programs = programs
        self.hostServer = hostServer
    }
}

/// One item of `conformance-programs:`: a program copied into the fresh working directory
/// (mode 0755, parent folders created) before the native and the guest run. The working
/// directory is the guest's root, so this is how a fixture gets the programs it executes.
public struct ProgramPlacement: Sendable, Equatable {
    /// Where the program comes from.
    public enum Source: Sendable, Equatable {
        /// The built binary of another fixture of the same libc, by name (`exec_target` is
        /// `<libc>/exec_target`); it is built before the fixtures that place it.
        case fixture(String)
        /// A file on the host, by absolute path (`/bin/busybox`).
        case hostPath(String)
    }

    public var source: Source
    /// The path relative to the working directory (default: the source's base name).
    public var destination: String

    public init(source: Source, destination: String) {
        self.source = source
        self.destination = destination
    }

    /// Parses one item, `SOURCE` or `SOURCE=DEST` (split at the first `=`); the reason when invalid.
    static func parse(_ item: String) -> Result<ProgramPlacement, PlacementSyntaxError> {
        let sourceText: Substring
        var destination: String?
        if let equals = item.firstIndex(of: "=") {
            sourceText = item[..<equals]
            destination = String(item[item.index(after: equals)...])
        } else {
            sourceText = Substring(item)
        }
        let source: Source
        switch Source.parse(sourceText) {
        case let .success(parsed): source = parsed
        case let .failure(error): return .failure(error)
        }
        switch source {
        case let .hostPath(path): destination = destination ?? String(path.split(separator: "/").last ?? "")
        case let .fixture(name): destination = destination ?? name
        }
        let path = destination ?? ""
        guard isRelativePath(path) else {
            return .failure(PlacementSyntaxError(
                reason: "expected a destination relative to the working directory (e.g. bin/sh), got \"\(path)\" in \"\(item)\""))
        }
        return .success(ProgramPlacement(source: source, destination: path))
    }

    /// Whether `path` is a relative path with no empty, `.` or `..` component.
    static func isRelativePath(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
    }

    /// Why a `conformance-programs:` item does not parse.
    struct PlacementSyntaxError: Error {
        var reason: String
    }
}

extension ProgramPlacement.Source {
    /// Parses a program's source: an absolute host path (`/bin/busybox`) or a fixture name
    /// (`exec_target`); the reason when it is neither.
    static func parse(_ text: Substring) -> Result<Self, ProgramPlacement.PlacementSyntaxError> {
        if text.hasPrefix("/") {
            let components = text.split(separator: "/")
            guard !components.isEmpty, !text.hasSuffix("/"), !components.contains("..") else {
                return .failure(.init(reason: "expected a host file's absolute path, got \"\(text)\""))
            }
            return .success(.hostPath(String(text)))
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            return .failure(.init(
                reason: "expected a fixture name (e.g. exec_target) or an absolute host path (e.g. /bin/busybox), got \"\(text)\""))
        }
        return .success(.fixture(String(text)))
    }
}

/// How a fixture is linked (`conformance-link:`).
public enum LinkMode: String, Sendable, Equatable, CaseIterable {
    /// `-static`: an ET_EXEC at the address the linker chose (0x400000).
    case `static`
    /// `-static-pie`: an ET_DYN that relocates itself at whatever base the loader picks.
    case staticPIE = "static-pie"
    /// The compiler's default, dynamic link (`PT_INTERP`: glibc's ld-linux-x86-64.so.2, musl's
    /// ld-musl-x86_64.so.1): run in the guest with `--system`, which gives it the host's
    /// interpreter and libraries.
    case dynamic
    /// `-shared -fPIC`: a shared library (a plugin) that other fixtures place in their working
    /// directory with `conformance-programs:` and load with `dlopen`. It is built, never run:
    /// it is not a fixture of the report.
    case sharedLibrary = "shared-library"
}

/// How a fixture's stdout is compared between native and guest.
public enum StdoutComparison: String, Sendable, Equatable, CaseIterable {
    /// Byte for byte.
    case exact
    /// stdout is a `StackDump`; it is parsed on both sides and compared with `StackLayoutCheck`
    /// under the auxv policy, and mismatches are reported in the `stack-layout` category.
    case stackLayout = "stack-layout"
}

extension FixtureSpec {
    /// The directive keys a header may use, after the `conformance-` prefix.
    public static let directiveKeys = ["args", "stdin", "stdin-terminal", "env", "exit", "timeout", "memory", "compare",
                                       "category", "libcs", "cflags", "ldflags", "link", "ignore-contents", "programs",
                                       "host-server", "host-server-file"]

    /// Parses the header of a fixture source.
    ///
    /// - Parameters:
    ///   - source: the whole source text.
    ///   - commentPrefix: `#` for assembly, `//` for C.
    ///   - path: the file, named in errors.
    public static func parse(_ source: String, commentPrefix: String,
                             path: String) throws(FixtureError) -> FixtureSpec {
        var summaryLines: [String] = []
        var spec = FixtureSpec(summary: "")
        var serverFiles: [HostServer.File] = []
        var firstServerFileLine: Int?
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty { continue }
            guard let text = headerText(of: line, commentPrefix: commentPrefix) else { break }
            guard text.hasPrefix("conformance-") else {
                if !text.isEmpty { summaryLines.append(text) }
                continue
            }
            guard let colon = text.firstIndex(of: ":") else {
                throw .malformedDirective(path: path, line: lineNumber, key: text,
                                          reason: "expected `conformance-<key>: <value>`")
            }
            let key = String(text[text.index(text.startIndex, offsetBy: 12)..<colon])
            let value = text[text.index(after: colon)...].trimmingWhitespace()
            func malformed(_ reason: String) -> FixtureError {
                .malformedDirective(path: path, line: lineNumber, key: key, reason: reason)
            }
            switch key {
            case "args":
                do throws(ShellWords.SyntaxError) { spec.arguments += try ShellWords.split(value) } catch { throw malformed(error.reason) }
            case "stdin":
                do throws(Escapes.SyntaxError) { spec.stdin += try Escapes.decode(value) } catch { throw malformed(error.reason) }
            case "stdin-terminal":
                guard value == "yes" else { throw malformed("expected yes, got \"\(value)\"") }
                spec.stdinIsTerminal = true
            case "env":
                guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                    throw malformed("expected KEY=VALUE, got \"\(value)\"")
                }
                spec.environment.append(value)
            case "exit":
                guard let status = Int32(value), (0...255).contains(status) else {
                    throw malformed("expected an exit status 0...255, got \"\(value)\"")
                }
                spec.expectedExitStatus = status
            case "timeout":
                guard let seconds = Double(value), seconds > 0 else {
                    throw malformed("expected a positive number of seconds, got \"\(value)\"")
                }
                spec.timeoutSeconds = seconds
            case "memory":
                guard isMemorySize(value) else {
                    throw malformed("expected a size such as 256M or 1G, got \"\(value)\"")
                }
                spec.guestMemory = value
            case "compare":
                guard let comparison = StdoutComparison(rawValue: value) else {
                    throw malformed("expected one of " + StdoutComparison.allCases.map(\.rawValue).joined(separator: ", ")
                                    + ", got \"\(value)\"")
                }
                spec.stdoutComparison = comparison
            case "category":
                guard let category = FailureCategory(rawValue: value), FailureCategory.declarable.contains(category) else {
                    throw malformed("expected one of " + FailureCategory.declarable.map(\.rawValue).joined(separator: ", ")
                                    + ", got \"\(value)\"")
                }
                spec.mismatchCategory = category
            case "libcs":
                var libcs: [Libc] = []
                for word in value.split(separator: " ") {
                    guard let libc = Libc(rawValue: String(word)), libc != .asm else {
                        throw malformed("expected C libraries (musl, glibc), got \"\(word)\"")
                    }
                    if !libcs.contains(libc) { libcs.append(libc) }
                }
                guard !libcs.isEmpty else { throw malformed("expected at least one C library") }
                spec.libcs = libcs
            case "cflags", "ldflags":
                let words: [String]
                do throws(ShellWords.SyntaxError) { words = try ShellWords.split(value) } catch { throw malformed(error.reason) }
                guard !words.isEmpty else { throw malformed("expected at least one flag") }
                if key == "cflags" { spec.compilerFlags += words } else { spec.linkerFlags += words }
            case "link":
                guard let mode = LinkMode(rawValue: value) else {
                    throw malformed("expected one of " + LinkMode.allCases.map(\.rawValue).joined(separator: ", ")
                                    + ", got \"\(value)\"")
                }
                spec.linkMode = mode
            case "ignore-contents":
                let paths: [String]
                do throws(ShellWords.SyntaxError) { paths = try ShellWords.split(value) } catch { throw malformed(error.reason) }
                guard !paths.isEmpty else { throw malformed("expected at least one relative path") }
                for path in paths where path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                    throw malformed("expected a path relative to the working directory, got \"\(path)\"")
                }
                spec.contentsIgnored += paths
            case "programs":
                let items: [String]
                do throws(ShellWords.SyntaxError) { items = try ShellWords.split(value) } catch { throw malformed(error.reason) }
                guard !items.isEmpty else { throw malformed("expected at least one SOURCE or SOURCE=DEST") }
                for item in items {
                    let placement: ProgramPlacement
                    switch ProgramPlacement.parse(item) {
                    case let .success(parsed): placement = parsed
                    case let .failure(error): throw malformed(error.reason)
                    }
                    // Two programs at one path, or one inside another's path, cannot both be placed.
                    for other in spec.programs.map(\.destination) {
                        let new = placement.destination
                        guard other != new, !new.hasPrefix(other + "/"), !other.hasPrefix(new + "/") else {
                            throw malformed(other == new ? "\(new) is placed twice"
                                            : "\(new) and \(other) cannot both be placed (one would be the other's folder)")
                        }
                    }
                    spec.programs.append(placement)
                }
            case "host-server":
                guard spec.hostServer == nil else { throw malformed("a fixture has one host server") }
                switch HostServer.parse(value) {
                case let .success(server): spec.hostServer = server
                case let .failure(error): throw malformed(error.reason)
                }
            case "host-server-file":
                switch HostServer.File.parse(value) {
                case let .success(file):
                    guard !serverFiles.contains(where: { $0.path == file.path }) else { throw malformed("\(file.path) is given twice") }
                    serverFiles.append(file)
                    firstServerFileLine = firstServerFileLine ?? lineNumber
                case let .failure(error): throw malformed(error.reason)
                }
            default:
                throw .unknownDirective(path: path, line: lineNumber, key: key)
            }
        }
        if let line = firstServerFileLine {
            guard spec.hostServer != nil else {
                throw .malformedDirective(path: path, line: line, key: "host-server-file",
                                          reason: "there is no conformance-host-server: to serve it")
            }
            spec.hostServer?.files = serverFiles
        }
        if spec.stdinIsTerminal, !spec.stdin.isEmpty {
            throw .malformedDirective(path: path, line: 1, key: "stdin-terminal",
                                      reason: "a terminal stdin has no conformance-stdin: bytes")
        }
        guard !summaryLines.isEmpty else { throw .missingSummary(path: path) }
        spec.summary = summaryLines.joined(separator: " ")
        return spec
    }

    /// Whether `value` is a memory size the runner's `--memory` accepts: digits and an
    /// optional K, M or G suffix.
    static func isMemorySize(_ value: String) -> Bool {
        var digits = Substring(value)
        if let last = digits.last, "KMGkmg".contains(last) { digits = digits.dropLast() }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } && digits.contains { $0 != "0" }
    }

    /// The text of a header comment line, or nil if the line is not one.
    ///
    /// A header line is the comment marker followed by a space or by nothing, so that
    /// preprocessor lines such as `#include` end the header instead of joining it.
    private static func headerText(of line: String, commentPrefix: String) -> String? {
        guard line.hasPrefix(commentPrefix) else { return nil }
        let rest = line.dropFirst(commentPrefix.count)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        return rest.trimmingWhitespace()
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    func trimmingWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = lastIndex(where: { !isBlank($0) })!
        return String(self[first...last])
    }
}
