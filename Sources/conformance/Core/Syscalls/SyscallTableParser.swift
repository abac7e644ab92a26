import Foundation

/// How completely the kernel implements a system call, as its table says.
public enum SyscallSupport: String, Sendable, Codable, CaseIterable, Comparable {
    case implemented
    case partial
    case refused

    public static func < (lhs: SyscallSupport, rhs: SyscallSupport) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One row of the kernel's system-call table (`SyscallEntry` in the kernel), as read from its source.
public struct SyscallTableEntry: Sendable, Equatable, Codable {
    public var number: Int
    public var name: String
    public var support: SyscallSupport
    public var note: String
    /// The handler expression, e.g. `FileSyscalls.read`.
    public var handler: String
    /// The 1-based line of the row in the table's source.
    public var line: Int

    public init(number: Int, name: String, support: SyscallSupport, note: String, handler: String, line: Int) {
        self.number = number
        self.name = name
        self.support = support
        self.note = note
        self.handler = handler
        self.line = line
    }
}

/// Why the kernel's syscall table could not be read.
public enum SyscallTableError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// A `.init(` row that is not `.init(number, "name", .level, "note", Handler)`.
    case malformedRow(path: String, line: Int, reason: String, text: String)
    /// The source holds no rows at all.
    case noRows(path: String)
    /// Two rows with the same number or name.
    case duplicate(path: String, line: Int, what: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read the syscall table: \(reason)"
        case let .malformedRow(path, line, reason, text):
            "\(path):\(line): syscall table row not understood (\(reason)); expected "
                + "`.init(number, \"name\", .implemented|.partial|.refused, \"note\", Handler),` but found: \(text)"
        case let .noRows(path):
            "\(path): no `static let entries: [SyscallEntry] = [` literal with `.init(number, \"name\", .level, \"note\", Handler)` rows found; has the table's format changed?"
        case let .duplicate(path, line, what):
            "\(path):\(line): \(what) appears twice in the syscall table"
        }
    }
}

/// Reads the kernel's system-call table, `Sources/Unikernel/Syscalls/SyscallTable.swift`: the one
/// literal of `.init(number, "name", .level, "note", Handler)` rows that is both the dispatcher and
/// the support matrix. Only the rows are read; everything else in the file is ignored.
public enum SyscallTableParser {
    /// Where the table lives, relative to the package root.
    public static let relativePath = "Sources/Unikernel/Syscalls/SyscallTable.swift"

    /// The rows of the table at `path`, in source order.
    public static func load(path: String) throws(SyscallTableError) -> [SyscallTableEntry] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(text, path: path)
    }

    /// The rows of a table source; `path` names it in errors.
    public static func parse(_ text: String, path: String = relativePath) throws(SyscallTableError) -> [SyscallTableEntry] {
        var entries: [SyscallTableEntry] = []
        var numbers: Set<Int> = []
        var names: Set<String> = []
        var inTable = false
        var closed = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if !inTable {
                if !closed, line.contains("[SyscallEntry] = [") { inTable = true }
                continue
            }
            if line.hasPrefix("]") {
                inTable = false
                closed = true
                continue
            }
            if line.isEmpty || line.hasPrefix("//") { continue }
            guard line.hasPrefix(".init(") else {
                throw .malformedRow(path: path, line: index + 1, reason: "not a `.init(` row", text: String(line))
            }
            let lineNumber = index + 1
            let entry: SyscallTableEntry
            do throws(RowError) {
                entry = try parseRow(line.dropFirst(".init(".count), line: lineNumber)
            } catch {
                throw .malformedRow(path: path, line: lineNumber, reason: error.reason, text: String(line))
            }
            guard numbers.insert(entry.number).inserted else {
                throw .duplicate(path: path, line: lineNumber, what: "number \(entry.number)")
            }
            guard names.insert(entry.name).inserted else {
                throw .duplicate(path: path, line: lineNumber, what: "\"\(entry.name)\"")
            }
            entries.append(entry)
        }
        if entries.isEmpty { throw .noRows(path: path) }
        return entries
    }

    struct RowError: Error {
        var reason: String
    }

    /// `number, "name", .level, "note", Handler),` after `.init(`.
    private static func parseRow(_ text: Substring, line: Int) throws(RowError) -> SyscallTableEntry {
        var scanner = RowScanner(rest: text)
        let numberText = scanner.takeUntilComma()
        guard let number = Int(numberText), number >= 0 else {
            throw RowError(reason: "the number `\(numberText)` is not a non-negative integer")
        }
        let name = try scanner.takeString(what: "name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw RowError(reason: "the name \"\(name)\" is not a syscall name")
        }
        let levelText = scanner.takeUntilComma()
        guard levelText.hasPrefix("."), let support = SyscallSupport(rawValue: String(levelText.dropFirst())) else {
            throw RowError(reason: "the support level `\(levelText)` is not .implemented, .partial or .refused")
        }
        let note = try scanner.takeString(what: "note")
        var handler = scanner.rest.trimmingCharacters(in: .whitespaces)
        if handler.hasSuffix(",") { handler.removeLast() }
        guard handler.hasSuffix(")") else { throw RowError(reason: "the row does not end with `)` or `),`") }
        handler.removeLast()
        handler = handler.trimmingCharacters(in: .whitespaces)
        guard !handler.isEmpty, !handler.contains(","), !handler.contains("\"") else {
            throw RowError(reason: "the handler `\(handler)` is not one expression")
        }
        return SyscallTableEntry(number: number, name: name, support: support, note: note, handler: handler, line: line)
    }

    /// Takes a row apart field by field.
    private struct RowScanner {
        var rest: Substring

        /// The text up to the next comma (trimmed), consuming the comma.
        mutating func takeUntilComma() -> String {
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            let field = rest[..<comma]
            rest = comma == rest.endIndex ? rest[comma...] : rest[rest.index(after: comma)...]
            return field.trimmingCharacters(in: .whitespaces)
        }

        /// A Swift string literal (`\"` and `\\` escapes), then the comma after it.
        mutating func takeString(what: String) throws(RowError) -> String {
            rest = rest.drop { $0 == " " }
            guard rest.first == "\"" else { throw RowError(reason: "the \(what) is not a string literal") }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    switch character {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    default: value.append(character)
                    }
                    escaped = false
                } else if character == "\\" {
                    if rest.first == "(" { throw RowError(reason: "the \(what) uses string interpolation") }
                    escaped = true
                } else if character == "\"" {
                    rest = rest.drop { $0 == " " }
                    guard rest.first == "," else { throw RowError(reason: "no comma after the \(what)") }
                    rest = rest.dropFirst()
                    return value
                } else {
                    value.append(character)
                }
            }
            throw RowError(reason: "the \(what) string is not closed on this line")
        }
    }
}
