/// Decodes the C-like escapes of a `conformance-stdin` value into bytes:
/// `\n`, `\t`, `\r`, `\0`, `\\`, `\s` (a space, for leading or trailing blanks) and `\xHH`.
public enum Escapes {
    /// Why a value could not be decoded.
    public struct SyntaxError: Error, Equatable { public var reason: String }

    public static func decode(_ text: String) throws(SyntaxError) -> [UInt8] {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            let byte = input[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else { bytes.append(byte); continue }
            guard index < input.count else { throw SyntaxError(reason: "trailing backslash") }
            let escape = input[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "0"): bytes.append(0x00)
            case UInt8(ascii: "s"): bytes.append(0x20)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "x"):
                guard index + 2 <= input.count,
                      let value = UInt8(String(decoding: input[index..<index + 2], as: UTF8.self), radix: 16)
                else { throw SyntaxError(reason: "\\x needs two hex digits") }
                bytes.append(value)
                index += 2
            default:
                throw SyntaxError(reason: "unknown escape \\\(Character(Unicode.Scalar(escape)))")
            }
        }
        return bytes
    }
}
