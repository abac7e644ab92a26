/// Builds the text of a generated file (/proc) as bytes: the kernel has no
/// formatted printing, so each file is put together from literals, numbers
/// and padding exactly as Linux's seq_file code prints it.
struct Text {
    private(set) var bytes: [UInt8] = []

    init() {}

    mutating func append(_ literal: StaticString) {
        // SAFETY: utf8Start points at utf8CodeUnitCount bytes of the literal.
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    /// `value` in decimal, right-aligned in `width` columns (Linux's "%*lu").
    mutating func append(decimal value: UInt64, width: Int = 0) {
        let digits = Text.digits(value, radix: 10)
        if digits.count < width { bytes.append(contentsOf: [UInt8](repeating: 0x20, count: width - digits.count)) }
        bytes.append(contentsOf: digits)
    }

    mutating func append(signed value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        append(decimal: value.magnitude.toUInt64)
    }

    /// Two digits, zero-padded (Linux's "%02lu" after a decimal point).
    mutating func append(hundredths value: UInt64) {
        if value < 10 { bytes.append(0x30) }
        bytes.append(contentsOf: Text.digits(value % 100, radix: 10))
    }

    /// `value` in lower-case hexadecimal, zero-padded to `width` digits (Linux's "%0*lx").
    mutating func append(hex value: UInt64, width: Int = 0) {
        let digits = Text.digits(value, radix: 16)
        if digits.count < width { bytes.append(contentsOf: [UInt8](repeating: 0x30, count: width - digits.count)) }
        bytes.append(contentsOf: digits)
    }

    /// `value` in octal, zero-padded to `width` digits.
    mutating func append(octal value: UInt64, width: Int = 0) {
        let digits = Text.digits(value, radix: 8)
        if digits.count < width { bytes.append(contentsOf: [UInt8](repeating: 0x30, count: width - digits.count)) }
        bytes.append(contentsOf: digits)
    }

    /// Spaces up to column `column` of the current line (nothing when already there).
    mutating func pad(toColumn column: Int) {
        let lineStart = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        let current = bytes.count - lineStart
        if current < column { bytes.append(contentsOf: [UInt8](repeating: 0x20, count: column - current)) }
    }

    mutating func newline() { bytes.append(0x0A) }

    /// "Label:\tvalue\n", the shape of /proc/<pid>/status lines.
    mutating func field(_ label: StaticString, _ value: UInt64) {
        append(label)
        append(":\t")
        append(decimal: value)
        newline()
    }

    /// `value`'s digits in `radix` (at most 16), most significant first, lower-case letters.
    static func digits(_ value: UInt64, radix: UInt64) -> [UInt8] {
        var value = value
        var reversed: [UInt8] = []
        repeat {
            let digit = UInt8(value % radix)
            reversed.append(digit < 10 ? 0x30 + digit : 0x61 + digit - 10)
            value /= radix
        } while value > 0
        return reversed.reversed()
    }

    /// The decimal number a byte string spells, if it is one (no sign, no leading '+').
    static func number(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value
    }
}

private extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}
