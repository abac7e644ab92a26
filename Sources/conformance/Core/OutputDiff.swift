/// Short, human-readable descriptions of how two byte strings differ: the first
/// differing line and the lengths, enough to see what went wrong in one report line.
public enum OutputDiff {
    /// The longest excerpt of a line shown in a description.
    public static let excerptLimit = 60

    /// Describes how the guest's `stream` output differs from the native one, or nil if equal.
    public static func describe(stream: String, native: [UInt8], guest: [UInt8]) -> String? {
        guard native != guest else { return nil }
        let nativeLines = lines(native)
        let guestLines = lines(guest)
        var index = 0
        while index < nativeLines.count, index < guestLines.count, nativeLines[index] == guestLines[index] {
            index += 1
        }
        let nativeLine = index < nativeLines.count ? excerpt(nativeLines[index]) : "<end>"
        let guestLine = index < guestLines.count ? excerpt(guestLines[index]) : "<end>"
        return "\(stream) line \(index + 1): native \(nativeLine), guest \(guestLine)"
            + " (native \(native.count) bytes, guest \(guest.count) bytes)"
    }

    /// Splits output into lines, each keeping its `\n` so a missing final newline shows.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            result.append(bytes[start...index])
            start = index + 1
        }
        if start < bytes.endIndex { result.append(bytes[start...]) }
        return result
    }

    /// A quoted, escaped, length-limited rendering of a line.
    static func excerpt(_ line: ArraySlice<UInt8>, limit: Int = excerptLimit) -> String {
        var text = "\""
        for byte in line.prefix(limit) {
            switch byte {
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x0D: text += "\\r"
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default: text += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        return text + (line.count > limit ? "...\"" : "\"")
    }
}

/// Describes where two byte strings (file contents) first differ.
public enum ByteDiff {
    public static func describe(native: [UInt8], guest: [UInt8]) -> String {
        let common = zip(native, guest).prefix { $0 == $1 }.count
        return "native \(native.count) bytes, guest \(guest.count) bytes, first difference at byte \(common)"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
