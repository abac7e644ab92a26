import Glibc
import SystemPackage

/// Why an access to guest memory was refused.
public enum GuestMemoryError: Error, Equatable, CustomStringConvertible {
    /// `[address, address + length)` is not inside guest memory (or wraps around).
    case outOfBounds(address: UInt64, length: UInt64, memorySize: UInt64)
    /// A string ran to the end of its allowed length without a NUL.
    case unterminatedString(address: UInt64, maxLength: UInt64)
    /// The host could not reserve the memory.
    case allocationFailed(size: UInt64, errno: Errno)

    public var description: String {
        switch self {
        case let .outOfBounds(address, length, size):
            return "guest range 0x\(String(address, radix: 16))+0x\(String(length, radix: 16)) lies outside guest memory (0x\(String(size, radix: 16)) bytes)"
        case let .unterminatedString(address, maxLength):
            return "guest string at 0x\(String(address, radix: 16)) has no NUL within \(maxLength) bytes"
        case let .allocationFailed(size, errno):
            return "cannot reserve \(size >> 20) MiB of guest memory: \(errno)"
        }
    }
}

/// The guest's physical memory: one host mapping (RAM, from guest-physical 0) and the
/// shared windows above it, and the only place the hypervisor turns guest-physical
/// addresses into host pointers. Every access is bounds-checked against RAM or one
/// window; nothing here trusts a guest value.
public final class GuestMemory {
    /// Bytes of guest-physical RAM, starting at guest-physical address 0.
    public let size: UInt64
    /// Where the mapping starts in the host's address space.
    let hostBase: UnsafeMutableRawPointer
    /// MAP_SHARED memory the guest added (SharedWindows).
    public let shared = SharedWindows()

    /// Reserves `size` bytes, populated lazily by the host kernel on first touch.
    public init(size: UInt64) throws(GuestMemoryError) {
        let mapping = mmap(nil, Int(size), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else {
            throw .allocationFailed(size: size, errno: .current)
        }
        self.size = size
        hostBase = mapping
    }

    deinit { munmap(hostBase, Int(size)) }

    /// Checks that `[address, address + length)` lies in guest memory (RAM or one window).
    public func check(_ address: UInt64, length: UInt64) throws(GuestMemoryError) {
        _ = try pointer(address, length: length)
    }

    /// The host bytes behind `[address, address + length)`: in RAM, or inside one shared window.
    private func pointer(_ address: UInt64, length: UInt64) throws(GuestMemoryError) -> UnsafeMutableRawPointer {
        let (end, overflow) = address.addingReportingOverflow(length)
        if !overflow, end <= size {
            // SAFETY: inside the RAM mapping, checked just above.
            return hostBase.advanced(by: Int(address))
        }
        guard !overflow, let window = shared.pointer(address, length) else {
            throw .outOfBounds(address: address, length: length, memorySize: size)
        }
        return window
    }

    /// Runs `body` on the host bytes backing `[address, address + length)`;
    /// the buffer must not escape `body`.
    public func withBytes<R>(
        at address: UInt64, length: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> R
    ) throws(GuestMemoryError) -> R {
        // SAFETY: pointer(_:length:) checked the range.
        return body(UnsafeMutableRawBufferPointer(start: try pointer(address, length: length), count: Int(length)))
    }

    /// Runs `body` with host I/O vectors for guest ranges, for readv/writev
    /// straight into guest memory; the vectors must not escape `body`.
    public func withIOVectors<R>(_ ranges: [GuestRange], _ body: ([iovec]) -> R) throws(GuestMemoryError) -> R {
        var vectors: [iovec] = []
        vectors.reserveCapacity(ranges.count)
        for range in ranges {
            // SAFETY: pointer(_:length:) checked each range.
            vectors.append(iovec(iov_base: try pointer(range.address, length: range.length), iov_len: Int(range.length)))
        }
        return body(vectors)
    }

    /// Reads a trivial value (a C parameter block) at `address`.
    public func load<T: BitwiseCopyable>(_ type: T.Type, at address: UInt64) throws(GuestMemoryError) -> T {
        // SAFETY: checked in bounds; loadUnaligned tolerates any guest alignment.
        return try pointer(address, length: UInt64(MemoryLayout<T>.size)).loadUnaligned(as: T.self)
    }

    /// Writes a trivial value at `address`.
    public func store<T: BitwiseCopyable>(_ value: T, at address: UInt64) throws(GuestMemoryError) {
        // SAFETY: checked in bounds; storeBytes tolerates any alignment for trivial types.
        try pointer(address, length: UInt64(MemoryLayout<T>.size)).storeBytes(of: value, as: T.self)
    }

    /// Copies `bytes` into guest memory at `address`.
    public func write(_ bytes: some Collection<UInt8>, at address: UInt64) throws(GuestMemoryError) {
        // SAFETY: checked in bounds.
        let destination = UnsafeMutableRawBufferPointer(start: try pointer(address, length: UInt64(bytes.count)), count: bytes.count)
        destination.copyBytes(from: bytes)
    }

    /// Copies `length` bytes out of guest memory.
    public func read(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> [UInt8] {
        // SAFETY: checked in bounds.
        return Array(UnsafeRawBufferPointer(start: try pointer(address, length: length), count: Int(length)))
    }

    /// Reads the `length` bytes at `address` that must end with a NUL at `address + length`.
    public func readString(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> [UInt8] {
        let bytes = try read(at: address, length: length &+ 1)
        guard bytes.last == 0 else { throw .unterminatedString(address: address, maxLength: length) }
        return Array(bytes.dropLast())
    }

    /// A mutable view of `[address, address + length)` for bulk initialisation at build time.
    func region(at address: UInt64, length: UInt64) throws(GuestMemoryError) -> UnsafeMutableRawBufferPointer {
        try check(address, length: length)
        // SAFETY: checked in bounds; the caller uses it before the VM runs and does not keep it.
        return UnsafeMutableRawBufferPointer(start: hostBase.advanced(by: Int(address)), count: Int(length))
    }
}
