import UnikernelABI

/// File and console system calls: descriptors live in the process's
/// FileTable; data moves between application memory and the host in place
/// (the host translates the application's addresses), other arguments
/// through the bounce buffer.
enum FileSyscalls {
    static let atFdcwd = -100
    static let atEmptyPath = 0x1000
    static let oDirectory = 0x10000
    static let statSize = 144
    static let tcgets: UInt32 = 0x5401
    static let tiocgwinsz: UInt32 = 0x5413
    /// Bytes of the kernel's `struct termios` that TCGETS writes (not libc's 60-byte one).
    static let kernelTermiosSize = 36
    static let hostTermiosSize = 60
    static let winsizeSize = 8
    static let maxIovecs = 1024

    // MARK: Data transfer

    /// The most bytes populated and moved per hypercall.
    static let transferChunk = 4 << 20

    /// Moves `count` bytes between the application buffer and host handle
    /// `fd` without copying: the pages are populated here, then the host
    /// reads or writes them in place. Stops at the first short transfer.
    private static func transfer(fd: Int, buffer: UInt64, count: Int, offset: Int64, write: Bool) throws(Errno) -> Int {
        let file = try currentProcess.files.file(fd)
        guard count >= 0 else { throw .EINVAL }
        try UserMemory.validate(buffer, count)
        if count == 0 {
            return try Errno.check(Hypercall.transferUser(handle: file.hostHandle, address: buffer, length: 0,
                                                          offset: offset, write: write))
        }
        var done = 0
        while done < count {
            let start = buffer + UInt64(done)
            // A read stores into the application's pages: they must be writable.
            let ready = UserMemory.populate(start, min(count - done, transferChunk), write: !write)
            guard ready > 0 else {
                if done > 0 { break }
                throw .EFAULT
            }
            let position = offset < 0 ? -1 : offset + Int64(done)
            let moved: Int
            do throws(Errno) {
                moved = try Errno.check(Hypercall.transferUser(handle: file.hostHandle, address: start, length: ready,
                                                               offset: position, write: write))
            } catch {
                if done > 0 { break }
                throw error
            }
            done += moved
            if moved < ready { break }
        }
        return done
    }

    static func read(_ a: SyscallArguments) throws(Errno) -> Int {
        try transfer(fd: a.int32(0), buffer: a[1], count: a.int(2), offset: -1, write: false)
    }

    static func write(_ a: SyscallArguments) throws(Errno) -> Int {
        try transfer(fd: a.int32(0), buffer: a[1], count: a.int(2), offset: -1, write: true)
    }

    static func pread(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(3) >= 0 else { throw .EINVAL }
        return try transfer(fd: a.int32(0), buffer: a[1], count: a.int(2), offset: Int64(a.int(3)), write: false)
    }

    static func pwrite(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(3) >= 0 else { throw .EINVAL }
        return try transfer(fd: a.int32(0), buffer: a[1], count: a.int(2), offset: Int64(a.int(3)), write: true)
    }

    private static func vector(_ a: SyscallArguments, write: Bool) throws(Errno) -> Int {
        let count = a.int32(2)
        guard count >= 0, count <= maxIovecs else { throw .EINVAL }
        _ = try currentProcess.files.file(a.int32(0))
        var total = 0
        for index in 0..<count {
            let entry = a[1] + UInt64(index * 16)
            let base = try UserMemory.load(UInt64.self, from: entry)
            let length = try UserMemory.load(Int.self, from: entry + 8)
            guard length >= 0 else { throw .EINVAL }
            if length == 0 { continue }
            let moved: Int
            do throws(Errno) {
                moved = try transfer(fd: a.int32(0), buffer: base, count: length, offset: -1, write: write)
            } catch {
                if total > 0 { return total }
                throw error
            }
            total += moved
            if moved < length { break }
        }
        return total
    }

    static func readv(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: false) }
    static func writev(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: true) }

    static func lseek(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        return try Errno.check(Hypercall.seek(handle: file.hostHandle, offset: Int64(a.int(1)), whence: Int32(a.int32(2))))
    }

    // MARK: Opening and closing

    /// The absolute guest path for `pathAddress` relative to `dirfd` (AT_FDCWD or an open directory).
    static func resolvePath(dirfd: Int, pathAddress: UInt64) throws(Errno) -> [UInt8] {
        let path = try UserMemory.string(at: pathAddress)
        guard !path.isEmpty else { throw .ENOENT }
        if path.first == PathResolver.slash || dirfd == atFdcwd {
            return PathResolver.resolve(path, relativeTo: currentProcess.workingDirectory)
        }
        let directory = try currentProcess.files.file(dirfd)
        guard !directory.path.isEmpty else { throw .ENOTDIR }
        return PathResolver.resolve(path, relativeTo: directory.path)
    }

    /// Opens an absolute guest path on the host; returns the host handle.
    static func hostOpen(_ path: [UInt8], flags: Int, mode: UInt32) throws(Errno) -> Int32 {
        guard path.count < BounceBuffer.capacity else { throw .ENAMETOOLONG }
        // SAFETY: path.count + 1 ≤ the bounce buffer's capacity.
        path.withUnsafeBytes { BounceBuffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        BounceBuffer.pointer.storeBytes(of: 0, toByteOffset: path.count, as: UInt8.self)
        let handle = try Errno.check(Hypercall.open(pathPhysical: BounceBuffer.physical, pathLength: path.count,
                                                    flags: Int32(truncatingIfNeeded: flags), mode: mode))
        return Int32(handle)
    }

    private static func openResolved(_ path: [UInt8], flags: Int, mode: UInt32) throws(Errno) -> Int {
        let handle = try hostOpen(path, flags: flags, mode: mode & ~UInt32(currentProcess.umask))
        do throws(Errno) {
            return try currentProcess.files.install(OpenFile(hostHandle: handle, path: path, flags: flags))
        } catch {
            _ = Hypercall.close(handle: handle)
            throw error
        }
    }

    static func open(_ a: SyscallArguments) throws(Errno) -> Int {
        try openResolved(resolvePath(dirfd: atFdcwd, pathAddress: a[0]), flags: a.int32(1), mode: UInt32(truncatingIfNeeded: a[2]))
    }

    static func openat(_ a: SyscallArguments) throws(Errno) -> Int {
        try openResolved(resolvePath(dirfd: a.int32(0), pathAddress: a[1]), flags: a.int32(2), mode: UInt32(truncatingIfNeeded: a[3]))
    }

    static func creat(_ a: SyscallArguments) throws(Errno) -> Int {
        // O_CREAT | O_WRONLY | O_TRUNC
        try openResolved(resolvePath(dirfd: atFdcwd, pathAddress: a[0]), flags: 0o1101, mode: UInt32(truncatingIfNeeded: a[1]))
    }

    /// Drops descriptor `fd`; the host handle closes with its last descriptor
    /// (the host's stdio handles stay open).
    private static func release(_ fd: Int) throws(Errno) {
        let file = try currentProcess.files.remove(fd)
        if file.hostHandle > 2 && !currentProcess.files.isShared(file.hostHandle) {
            _ = Hypercall.close(handle: file.hostHandle)
        }
    }

    static func close(_ a: SyscallArguments) throws(Errno) -> Int {
        try release(a.int32(0))
        return 0
    }

    static func dup(_ a: SyscallArguments) throws(Errno) -> Int {
        try currentProcess.files.install(currentProcess.files.file(a.int32(0)))
    }

    static func dup2(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        let target = a.int32(1)
        if target == a.int32(0) { return target }
        if (try? currentProcess.files.file(target)) != nil { try release(target) }
        return try currentProcess.files.install(file, at: target)
    }

    static func dup3(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) != a.int32(1) else { throw .EINVAL }
        return try dup2(a)
    }

    static func fcntl(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        switch a.int32(1) {
        case 0, 1030: return try currentProcess.files.install(file, minimum: a.int32(2))  // F_DUPFD(_CLOEXEC)
        case 1, 2: return 0  // F_GETFD / F_SETFD: no exec, so close-on-exec is moot
        case 3: return file.flags & ~0o300  // F_GETFL without O_CREAT/O_EXCL
        case 4: return 0  // F_SETFL
        default: throw .EINVAL
        }
    }

    // MARK: Metadata

    private static func statHandle(_ handle: Int32, to address: UInt64) throws(Errno) -> Int {
        _ = try Errno.check(Hypercall.fstat(handle: handle, statPhysical: BounceBuffer.physical))
        try UserMemory.copyOut(from: BounceBuffer.pointer, to: address, count: statSize)
        return 0
    }

    static func fstat(_ a: SyscallArguments) throws(Errno) -> Int {
        try statHandle(currentProcess.files.file(a.int32(0)).hostHandle, to: a[1])
    }

    static func ioctl(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        let request = UInt32(truncatingIfNeeded: a[1])
        let (hostLength, guestLength): (Int, Int)
        switch request {
        case tcgets: (hostLength, guestLength) = (hostTermiosSize, kernelTermiosSize)
        case tiocgwinsz: (hostLength, guestLength) = (winsizeSize, winsizeSize)
        default: throw .ENOTTY
        }
        _ = try Errno.check(Hypercall.ioctl(handle: file.hostHandle, request: request,
                                            argumentPhysical: BounceBuffer.physical, length: hostLength))
        try UserMemory.copyOut(from: BounceBuffer.pointer, to: a[2], count: guestLength)
        return 0
    }

    // MARK: Working directory

    static func getcwd(_ a: SyscallArguments) throws(Errno) -> Int {
        let path = currentProcess.workingDirectory + [0]
        guard a.int(1) >= path.count else { throw .ERANGE }
        try UserMemory.copyOut(from: path, to: a[0])
        return path.count
    }

    static func chdir(_ a: SyscallArguments) throws(Errno) -> Int {
        let path = try resolvePath(dirfd: atFdcwd, pathAddress: a[0])
        let handle = try hostOpen(path, flags: oDirectory, mode: 0)
        _ = Hypercall.close(handle: handle)
        currentProcess.workingDirectory = path
        return 0
    }

    /// fchdir: the directory's path becomes the working directory.
    static func fchdir(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard !file.path.isEmpty else { throw .ENOTDIR }
        let handle = try hostOpen(file.path, flags: oDirectory, mode: 0)
        _ = Hypercall.close(handle: handle)
        currentProcess.workingDirectory = file.path
        return 0
    }
}
