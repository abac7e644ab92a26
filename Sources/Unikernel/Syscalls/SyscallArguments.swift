/// The six argument registers of one system call (rdi, rsi, rdx, r10, r8, r9),
/// with typed accessors so handlers read `arguments.int32(2)` instead of raw bits.
///
/// This is the one place where raw registers become the C types Linux declares: an `int` or
/// `unsigned int` argument (descriptors, commands, flags, signal numbers) is the low 32 bits and
/// the upper half is ignored, as the Linux kernel's own prototypes make it; an `unsigned long` or
/// `size_t` argument (addresses, lengths) keeps all 64 bits. No accessor traps: every
/// bit pattern converts, and arithmetic on the results goes through `checkedSum` and friends,
/// which answer with the errno Linux gives instead of overflowing.
struct SyscallArguments {
    var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    init(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64) {
        values = (a0, a1, a2, a3, a4, a5)
    }

    /// Argument `index` as raw 64 bits (an address, an `unsigned long` size or flags).
    subscript(_ index: Int) -> UInt64 {
        switch index {
        case 0: return values.0
        case 1: return values.1
        case 2: return values.2
        case 3: return values.3
        case 4: return values.4
        default: return values.5
        }
    }

    /// Argument `index` as a signed 64-bit value (`long`, `loff_t`, `ssize_t`).
    func int(_ index: Int) -> Int { Int(Int64(bitPattern: self[index])) }

    /// Argument `index` as a C `int` (the low 32 bits, sign-extended), as Linux reads
    /// descriptors, commands and flags: 0x2000000000 is 0.
    func int32(_ index: Int) -> Int { Int(Int32(truncatingIfNeeded: self[index])) }

    /// Argument `index` as a C `unsigned int` (the low 32 bits, zero-extended), as Linux reads
    /// `fcntl`'s F_DUPFD lower bound and other counts declared `unsigned int`.
    func uint32(_ index: Int) -> Int { Int(UInt32(truncatingIfNeeded: self[index])) }

    /// Argument `index` as a `size_t` byte count for a transfer. Values above `Int.max` saturate
    /// (no such buffer fits in the lower half, so the range check answers EFAULT as Linux's
    /// `access_ok` does); the count a single transfer moves is then capped at
    /// `SyscallArguments.maximumTransfer`, Linux's MAX_RW_COUNT.
    func byteCount(_ index: Int) -> Int {
        let raw = self[index]
        return raw > UInt64(Int.max) ? Int.max : Int(raw)
    }

    /// Linux's MAX_RW_COUNT: the most bytes one read or write moves (INT_MAX rounded down to a page).
    static let maximumTransfer = 0x7FFF_F000
}

/// Checked arithmetic on values that come from the application: overflow is an errno, never a trap.
enum CheckedArithmetic {
    /// `base + offset` for an address in application memory; EFAULT when it wraps.
    static func address(_ base: UInt64, plus offset: Int) throws(Errno) -> UInt64 {
        guard offset >= 0 else { throw .EFAULT }
        let (sum, overflow) = base.addingReportingOverflow(UInt64(offset))
        guard !overflow else { throw .EFAULT }
        return sum
    }

    /// `position + count` for a file offset; `error` (Linux: EINVAL, or EOVERFLOW) when it leaves `loff_t`.
    static func offset(_ position: Int64, plus count: Int, error: Errno = .EINVAL) throws(Errno) -> Int64 {
        let (sum, overflow) = position.addingReportingOverflow(Int64(count))
        guard !overflow else { throw error }
        return sum
    }

    /// `count * size` for an array in application memory; EINVAL when it overflows.
    static func byteSize(_ count: Int, times size: Int) throws(Errno) -> Int {
        let (product, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, product >= 0 else { throw .EINVAL }
        return product
    }
}
