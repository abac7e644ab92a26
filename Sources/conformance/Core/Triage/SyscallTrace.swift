/// One syscall of a trace, parsed from a line of `strace -f -qq -o` (native) or of the
/// runner's `--trace-file` (guest); both spell calls as `name(arguments) = result`.
public struct TraceEvent: Sendable, Equatable {
    /// The syscall name (`openat`).
    public var name: String
    /// The arguments as printed, without the parentheses.
    public var arguments: String
    /// The result as printed (`3`, `0x4af000`, `-1 ENOENT (No such file or directory)`, `?`).
    public var result: String
    /// The line as printed (the pid prefix and strace's alignment padding removed).
    public var line: String

    public init(name: String, arguments: String, result: String) {
        self.name = name
        self.arguments = arguments
        self.result = result
        line = "\(name)(\(arguments)) = \(result)"
    }

    /// The errno name of a failed call (`ENOENT`), nil on success.
    public var errno: String? {
        guard result.hasPrefix("-1 ") else { return nil }
        return result.dropFirst(3).split(separator: " ").first.map(String.init)
    }

    /// The result's number (decimal or hex), nil for failures and `?`.
    public var value: Int64? {
        guard errno == nil, let token = result.split(separator: " ").first else { return nil }
        if token.hasPrefix("0x") { return UInt64(token.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) } }
        return Int64(token)
    }

    /// Syscalls whose successful result is an address or a process id: never compared.
    static let unstableResults: Set<String> = [
        "brk", "mmap", "mremap", "set_tid_address", "getpid", "gettid", "getppid", "time", "clone", "fork", "vfork",
    ]

    /// Syscalls whose data arguments are random or timing-dependent: only the result is compared.
    static let unstableData: Set<String> = ["getrandom"]

    /// What the comparison looks at besides the name: the strings (paths and data) in the
    /// arguments, with addresses, pids and timings left out.
    public var comparableStrings: [String] {
        guard !Self.unstableData.contains(name) else { return [] }
        return SyscallTrace.quotedStrings(in: arguments)
    }

    /// The result with addresses and pids normalised: `ok`, the number, or the errno name.
    public var comparableResult: String {
        if let errno { return errno }
        if result == "?" { return "?" }
        if Self.unstableResults.contains(name) { return "ok" }
        return value.map(String.init) ?? result
    }
}

/// Parsing of whole traces.
public enum SyscallTrace {
    /// Syscalls left out of both sides: the native `execve` that strace sees starting the
    /// program, and the exit calls that the guest's tracer never reports (they do not return).
    static let ignored: Set<String> = ["execve", "exit", "exit_group"]

    /// The events of a trace file, skipping signal lines (`--- SIGSEGV ... ---`), exit lines
    /// (`+++ ... +++`) and anything that is not a syscall line.
    public static func parse(_ text: String) -> [TraceEvent] {
        var events: [TraceEvent] = []
        var unfinished: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            var line = Substring(raw)
            // strace -f -o prefixes every line with the pid.
            if let space = line.firstIndex(of: " "), line[..<space].allSatisfy(\.isNumber), !line[..<space].isEmpty {
                line = line[line.index(after: space)...].drop { $0 == " " }
            }
            if line.hasPrefix("---") || line.hasPrefix("+++") { continue }
            // A call interrupted by another process's line: "name(args <unfinished ...>" then
            // "<... name resumed>rest) = result".
            if line.hasSuffix("<unfinished ...>"), let open = line.firstIndex(of: "(") {
                var start = String(line.dropLast("<unfinished ...>".count))
                while start.last == " " { start.removeLast() }
                unfinished[String(line[..<open])] = start + (start.hasSuffix(",") ? " " : "")
                continue
            }
            if line.hasPrefix("<... "), let resumed = line.range(of: " resumed>") {
                let name = String(line[line.index(line.startIndex, offsetBy: 5)..<resumed.lowerBound])
                guard let start = unfinished.removeValue(forKey: name) else { continue }
                line = Substring(start + line[resumed.upperBound...])
            }
            guard let event = parseLine(line), !ignored.contains(event.name) else { continue }
            events.append(event)
        }
        return events
    }

    /// One `name(arguments) = result` line, or nil.
    static func parseLine(_ line: Substring) -> TraceEvent? {
        guard let open = line.firstIndex(of: "("), open > line.startIndex,
              line[..<open].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        // The result follows the last ")" that is followed by spaces and "= ".
        var index = line.endIndex
        while let close = line[open..<index].lastIndex(of: ")") {
            let rest = line[line.index(after: close)...]
            let trimmed = rest.drop { $0 == " " }
            if trimmed.hasPrefix("= ") {
                let arguments = String(line[line.index(after: open)..<close])
                return TraceEvent(name: String(line[..<open]), arguments: arguments,
                                  result: String(trimmed.dropFirst(2)))
            }
            index = close
        }
        return nil
    }

    /// The double-quoted strings in an argument list, unescaped only as far as comparison
    /// needs (escapes are kept verbatim), with strace's `...` truncation mark dropped.
    static func quotedStrings(in arguments: String) -> [String] {
        var strings: [String] = []
        var current: String?
        var escaped = false
        for character in arguments {
            if var text = current {
                if escaped {
                    text.append(character)
                    escaped = false
                } else if character == "\\" {
                    text.append(character)
                    escaped = true
                } else if character == "\"" {
                    strings.append(text)
                    current = nil
                    continue
                } else {
                    text.append(character)
                }
                current = text
            } else if character == "\"" {
                current = ""
            }
        }
        return strings
    }
}
