/// System-information calls: uname, getrandom, sched_* queries.
enum SystemSyscalls {
    static let utsFieldLength = 65

    static func uname(_ a: SyscallArguments) throws(Errno) -> Int {
        let fields: [StaticString] = ["Linux", "unikernel", "6.1.0-unikernel", "#1 SMP", "x86_64", "(none)"]
        var buffer = [UInt8](repeating: 0, count: fields.count * utsFieldLength)
        for (index, field) in fields.enumerated() {
            var offset = 0
            // SAFETY: utf8Start points at utf8CodeUnitCount bytes of the literal.
            let bytes = UnsafeBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
            for byte in bytes where offset < utsFieldLength - 1 {
                buffer[index * utsFieldLength + offset] = byte
                offset += 1
            }
        }
        try UserMemory.copyOut(from: buffer, to: a[0])
        return 0
    }

    /// getrandom: bytes from the seeded xoshiro generator (never blocks).
    static func getrandom(_ a: SyscallArguments) throws(Errno) -> Int {
        let count = a.int(1)
        guard count >= 0 else { throw .EINVAL }
        try UserMemory.validate(a[0], count)
        var done = 0
        while done < count {
            var word = currentProcess.random.next()
            let length = min(8, count - done)
            // SAFETY: `word` is 8 bytes; at most 8 are copied.
            try withUnsafeBytes(of: &word) { (bytes) throws(Errno) in
                try UserMemory.copyOut(from: bytes.baseAddress!, to: a[0] + UInt64(done), count: length)
            }
            done += length
        }
        return count
    }

    /// sched_getaffinity: one CPU.
    static func schedGetaffinity(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(1) >= 8 else { throw .EINVAL }
        try UserMemory.store(UInt64(1), to: a[2])
        return 8
    }
}
