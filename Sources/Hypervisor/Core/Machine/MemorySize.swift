/// Parses sizes like `64M`, `1G`, `65536`, `512MiB`.
public enum MemorySize {
    /// The size in bytes, or nil if `text` is not a size.
    public static func parse(_ text: String) -> UInt64? {
        var digits = text.uppercased()
        var multiplier: UInt64 = 1
        for (suffix, factor) in [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)] as [(String, UInt64)] {
            if digits.hasSuffix(suffix) {
                digits.removeLast(suffix.count)
                multiplier = factor
                break
            }
        }
        guard let value = UInt64(digits) else { return nil }
        let (size, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : size
    }
}
