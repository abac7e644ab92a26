import UnikernelABI

/// The one gate through which the kernel touches application memory
/// (xv6's copyin/copyout): every access checks that the range lies in the
/// lower half and is reserved with the needed rights, populates zero-fill
/// pages on first touch, and copies page by page through the direct map
/// (user pages need not be physically contiguous).
enum UserMemory {
    /// Checks that [address, address + count) lies in the lower half, outside the kernel heap's
    /// arena (kernel memory there is not the program's: a system call never reads or writes it).
    static func validate(_ address: UInt64, _ count: Int) throws(Errno) {
        guard count >= 0 else { throw .EFAULT }
        let (end, overflow) = address.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= PageMapper.lowerHalfEnd else { throw .EFAULT }
        guard !KernelHeap.overlapsArena(address, end) else { throw .EFAULT }
    }

    private static func forEachPage(_ address: UInt64, _ count: Int, write: Bool,
                                    _ body: (_ kernel: UnsafeMutableRawPointer, _ offset: Int, _ length: Int) -> Void) throws(Errno) {
        try validate(address, count)
        var done = 0
        while done < count {
            let current = address + UInt64(done)
            let inPage = Int(UK_PAGE_SIZE - (current & (UK_PAGE_SIZE - 1)))
            let length = min(inPage, count - done)
            guard let frame = currentProcess.addressSpace.frame(for: current, write: write) else { throw .EFAULT }
            body(DirectMap.pointer(frame + (current & (UK_PAGE_SIZE - 1))), done, length)
            done += length
        }
    }

    /// Populates the pages of [address, address + count) (writable ones when
    /// `write`) and returns how many bytes from `address` on are ready, so
    /// the host can move data in place.
    static func populate(_ address: UInt64, _ count: Int, write: Bool) -> Int {
        guard (try? validate(address, count)) != nil else { return 0 }
        var ready = 0
        while ready < count {
            let current = address + UInt64(ready)
            guard currentProcess.addressSpace.frame(for: current, write: write) != nil else { break }
            ready += min(Int(UK_PAGE_SIZE - (current & (UK_PAGE_SIZE - 1))), count - ready)
        }
        return ready
    }

    /// Copies `count` bytes from the application at `address` into `destination`.
    static func copyIn(from address: UInt64, to destination: UnsafeMutableRawPointer, count: Int) throws(Errno) {
        try forEachPage(address, count, write: false) { user, offset, length in
            // SAFETY: `user` is `length` mapped bytes of one frame (direct map);
            // the caller provides `count` bytes at `destination`.
            (destination + offset).copyMemory(from: user, byteCount: length)
        }
    }

    /// Copies `count` bytes from `source` to the application at `address`.
    static func copyOut(from source: UnsafeRawPointer, to address: UInt64, count: Int) throws(Errno) {
        try forEachPage(address, count, write: true) { user, offset, length in
            // SAFETY: as in copyIn, with a writable user page.
            user.copyMemory(from: source + offset, byteCount: length)
        }
    }

    /// Reads one value of a trivial type.
    static func load<T>(_ type: T.Type, from address: UInt64) throws(Errno) -> T {
        // SAFETY: the buffer is exactly MemoryLayout<T>.size bytes; T is a plain value type.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(MemoryLayout<T>.size, 1), alignment: 16)
        defer { buffer.deallocate() }
        try copyIn(from: address, to: buffer, count: MemoryLayout<T>.size)
        return buffer.loadUnaligned(as: T.self)
    }

    /// Writes one value of a trivial type.
    static func store<T>(_ value: T, to address: UInt64) throws(Errno) {
        var copy = value
        try withUnsafeBytes(of: &copy) { (bytes) throws(Errno) in
            try copyOut(from: bytes.baseAddress!, to: address, count: bytes.count)
        }
    }

    /// Reads a NUL-terminated string (without the NUL), at most `limit` bytes.
    static func string(at address: UInt64, limit: Int = 4096) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        var cursor = address
        while bytes.count < limit {
            var byte: UInt8 = 0
            try copyIn(from: cursor, to: &byte, count: 1)
            if byte == 0 { return bytes }
            bytes.append(byte)
            cursor += 1
        }
        throw .ENAMETOOLONG
    }

    /// Atomically replaces the aligned 32-bit word at `address` with `new` if it holds
    /// `expected`; returns the value it held (the futex word protocol: tasks on other
    /// vCPUs may update the word at the same time).
    static func compareExchange32(at address: UInt64, expected: UInt32, new: UInt32) throws(Errno) -> UInt32 {
        guard address & 3 == 0 else { throw .EINVAL }
        try validate(address, 4)
        guard let frame = currentProcess.addressSpace.frame(for: address, write: true) else { throw .EFAULT }
        // SAFETY: an aligned word inside one writable frame of the application (direct map).
        return uk_cmpxchg32(DirectMap.pointer(frame + (address & (UK_PAGE_SIZE - 1))), expected, new)
    }
}

@_extern(c, "uk_cmpxchg32") func uk_cmpxchg32(_ word: UnsafeMutableRawPointer, _ expected: UInt32, _ new: UInt32) -> UInt32
