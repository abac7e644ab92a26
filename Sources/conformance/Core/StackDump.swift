/// The initial process stack as `Fixtures/asm/stack_dump.S` prints it: what a program
/// finds at `%rsp` when `_start` runs, with every address, so that the layout can be
/// checked structurally (`StackLayoutCheck`) rather than byte for byte.
///
/// The text form, one record per line (STRING is the rest of the line, possibly empty;
/// numbers are decimal, addresses and auxv values `0x` hexadecimal):
/// ```
/// rsp 0x7ffc...             the initial %rsp
/// rsp_mod16 0               %rsp % 16 as computed by the program
/// argc 2
/// argv 0 0x7ffc... STRING   index, where the string is, the string
/// envp 0 0x7ffc... STRING
/// auxv 6 0x1000             key, value; in stack order, AT_NULL not included
/// auxv_end 0x7ffc...        the first address past the AT_NULL pair
/// random 00112233...        the 16 bytes AT_RANDOM points to, if present
/// execfn STRING             the string AT_EXECFN points to, if present
/// platform STRING           the string AT_PLATFORM points to, if present
/// ```
public struct StackDump: Sendable, Equatable {
    /// A string the stack points to: where it is and what it says.
    public struct PlacedString: Sendable, Equatable {
        public var address: UInt64
        public var text: String

        public init(address: UInt64, text: String) {
            self.address = address
            self.text = text
        }

        /// The first address past the string's terminating NUL.
        public var end: UInt64 { address + UInt64(text.utf8.count) + 1 }
    }

    /// One auxiliary-vector entry.
    public struct AuxEntry: Sendable, Equatable {
        public var key: UInt64
        public var value: UInt64

        public init(key: UInt64, value: UInt64) {
            self.key = key
            self.value = value
        }
    }

    public var rsp: UInt64 = 0
    public var rspMod16: UInt64 = 0
    public var argc: UInt64 = 0
    public var argv: [PlacedString] = []
    public var envp: [PlacedString] = []
    public var auxv: [AuxEntry] = []
    public var auxvEnd: UInt64 = 0
    public var random: [UInt8]?
    public var execfn: String?
    public var platform: String?

    public init() {}

    /// The value of auxv entry `key`, or nil if the stack has none.
    public func aux(_ key: UInt64) -> UInt64? {
        auxv.first { $0.key == key }?.value
    }

    /// The string AT_EXECFN points to, placed.
    public var execfnString: PlacedString? {
        guard let address = aux(AuxKey.execfn), let execfn else { return nil }
        return PlacedString(address: address, text: execfn)
    }

    /// The string AT_PLATFORM points to, placed.
    public var platformString: PlacedString? {
        guard let address = aux(AuxKey.platform), let platform else { return nil }
        return PlacedString(address: address, text: platform)
    }
}

/// Why a stack dump could not be read.
public struct StackDumpError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The 1-based line, or 0 for a problem with the dump as a whole.
    public var line: Int
    public var reason: String

    public var description: String {
        line == 0 ? reason : "line \(line): \(reason)"
    }
}

extension StackDump {
    /// Parses the text form (see the type's documentation).
    public static func parse(_ bytes: [UInt8]) throws(StackDumpError) -> StackDump {
        try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses the text form (see the type's documentation).
    public static func parse(_ text: String) throws(StackDumpError) -> StackDump {
        var dump = StackDump()
        var seen: Set<String> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.isEmpty { continue }
            func fail(_ reason: String) -> StackDumpError { StackDumpError(line: number, reason: reason) }
            let record = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            let tag = String(record[0])
            let rest = record.count > 1 ? record[1] : ""
            func hex(_ word: Substring) throws(StackDumpError) -> UInt64 {
                guard word.hasPrefix("0x"), let value = UInt64(word.dropFirst(2), radix: 16) else {
                    throw fail("expected a 0x hexadecimal number, got \"\(word)\"")
                }
                return value
            }
            func decimal(_ word: Substring) throws(StackDumpError) -> UInt64 {
                guard let value = UInt64(word) else { throw fail("expected a decimal number, got \"\(word)\"") }
                return value
            }
            if ["rsp", "rsp_mod16", "argc", "auxv_end", "random", "execfn", "platform"].contains(tag) {
                guard seen.insert(tag).inserted else { throw fail("\(tag) appears twice") }
            }
            switch tag {
            case "rsp": dump.rsp = try hex(rest)
            case "rsp_mod16": dump.rspMod16 = try decimal(rest)
            case "argc": dump.argc = try decimal(rest)
            case "auxv_end": dump.auxvEnd = try hex(rest)
            case "execfn": dump.execfn = String(rest)
            case "platform": dump.platform = String(rest)
            case "random":
                guard rest.count == 32, let bytes = hexBytes(rest) else {
                    throw fail("expected 16 bytes as 32 hexadecimal digits, got \"\(rest)\"")
                }
                dump.random = bytes
            case "argv", "envp":
                let fields = rest.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count >= 2 else { throw fail("expected `\(tag) INDEX ADDRESS STRING`") }
                let position = try decimal(fields[0])
                let string = PlacedString(address: try hex(fields[1]), text: fields.count > 2 ? String(fields[2]) : "")
                let expected = tag == "argv" ? dump.argv.count : dump.envp.count
                guard position == expected else { throw fail("\(tag) \(position) out of order (expected \(expected))") }
                if tag == "argv" { dump.argv.append(string) } else { dump.envp.append(string) }
            case "auxv":
                let fields = rest.split(separator: " ", omittingEmptySubsequences: false)
                guard fields.count == 2 else { throw fail("expected `auxv KEY VALUE`") }
                dump.auxv.append(AuxEntry(key: try decimal(fields[0]), value: try hex(fields[1])))
            default:
                throw fail("unknown record \"\(tag)\"")
            }
        }
        for required in ["rsp", "rsp_mod16", "argc", "auxv_end"] where !seen.contains(required) {
            throw StackDumpError(line: 0, reason: "no \(required) line")
        }
        return dump
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
