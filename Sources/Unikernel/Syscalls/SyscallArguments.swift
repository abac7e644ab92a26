/// The six argument registers of one system call (rdi, rsi, rdx, r10, r8, r9),
/// with typed accessors so handlers read `arguments.int(2)` instead of raw bits.
struct SyscallArguments {
    var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    init(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64) {
        values = (a0, a1, a2, a3, a4, a5)
    }

    /// Argument `index` as raw 64 bits (an address, a size, flags).
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

    /// Argument `index` as a signed 64-bit value.
    func int(_ index: Int) -> Int { Int(Int64(bitPattern: self[index])) }

    /// Argument `index` as a C `int` (the low 32 bits, sign-extended), as the kernel reads fds and flags.
    func int32(_ index: Int) -> Int { Int(Int32(truncatingIfNeeded: self[index])) }
}
