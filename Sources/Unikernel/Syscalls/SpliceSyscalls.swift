import UnikernelABI

/// Calls that move or reserve file bytes without passing them through the application:
/// fallocate and copy_file_range on host files (answered by the host's own calls), and
/// splice, tee and vmsplice between the guest's pipes and host files, as Linux's fs/splice.c
/// (a pipe here is a byte buffer, so its bytes are copied where Linux moves page references).
enum SpliceSyscalls {
    /// SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT: the flags Linux knows.
    static let knownFlags = 0xF
    static let spliceNonblock = 2
    static let oAppend = 0o2000

    // MARK: fallocate and copy_file_range

    /// fallocate(fd, mode, offset, len): a host file's is the host's fallocate(2), which checks
    /// the range, the mode and the access mode in Linux's order and passes the file system's
    /// EOPNOTSUPP on. A guest object answers as Linux's vfs_fallocate does for its kind.
    static func fallocate(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        let mode = Int32(truncatingIfNeeded: a[1])
        let offset = Int64(a.int(2)), length = Int64(a.int(3))
        guard let object = file.object else {
            // SAFETY: the request is 24 bytes at the start of the bounce buffer's data area.
            BounceBuffer.data.storeBytes(of: uk_fallocate(mode: mode, reserved: 0, offset: offset, length: length),
                                         as: uk_fallocate.self)
            return try Hypercall.file(UK_FILE_FALLOCATE, handle: file.hostHandle,
                                      dataLength: MemoryLayout<uk_fallocate>.size)
        }
        guard offset >= 0, length > 0 else { throw .EINVAL }
        try checkAllocationMode(mode)
        guard file.flags & 3 != 0 else { throw .EBADF }  // not open for writing
        if case .pipeWriter = object { throw .ESPIPE }
        throw .ENODEV  // an eventfd or epoll instance: neither a regular file nor a block device
    }

    /// Linux 6.13's mode checks: one operation (FALLOC_FL_MODE_MASK) plus KEEP_SIZE where it fits.
    private static func checkAllocationMode(_ mode: Int32) throws(Errno) {
        let keepSize: Int32 = 0x01, punchHole: Int32 = 0x02, collapseRange: Int32 = 0x08
        let zeroRange: Int32 = 0x10, insertRange: Int32 = 0x20, unshareRange: Int32 = 0x40, writeZeroes: Int32 = 0x80
        let operations = punchHole | collapseRange | zeroRange | insertRange | unshareRange | writeZeroes
        guard mode & ~(operations | keepSize) == 0 else { throw .EOPNOTSUPP }
        switch mode & operations {
        case 0, unshareRange, zeroRange: return
        case punchHole: if mode & keepSize == 0 { throw .EOPNOTSUPP }
        case collapseRange, insertRange, writeZeroes: if mode & keepSize != 0 { throw .EOPNOTSUPP }
        default: throw .EOPNOTSUPP
        }
    }

    /// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags) between two host files by the
    /// host's copy_file_range(2). A given offset is read here, used instead of the file position
    /// (which then stays) and written back advanced; the host checks the rest (EISDIR, EBADF for
    /// the access modes and O_APPEND, EINVAL for overlapping ranges of one file) as Linux does.
    /// A guest object (a pipe, an eventfd) is not a regular file: EINVAL.
    static func copyFileRange(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.uint32(5) == 0 else { throw .EINVAL }
        let input = try currentProcess.files.file(a.int32(0))
        let output = try currentProcess.files.file(a.int32(2))
        let inputOffset: Int64 = a[1] == 0 ? 0 : try UserMemory.load(Int64.self, from: a[1])
        let outputOffset: Int64 = a[3] == 0 ? 0 : try UserMemory.load(Int64.self, from: a[3])
        guard input.object == nil, output.object == nil else { throw .EINVAL }
        let given: UInt32 = (a[1] != 0 ? 1 : 0) | (a[3] != 0 ? 2 : 0)
        // SAFETY: the request is 24 bytes at the start of the bounce buffer's data area.
        BounceBuffer.data.storeBytes(of: uk_copy_range(input: input.hostHandle, given: given, input_offset: inputOffset,
                                                       output_offset: outputOffset), as: uk_copy_range.self)
        let copied = try Hypercall.file(UK_FILE_COPY_RANGE, handle: output.hostHandle,
                                        dataLength: MemoryLayout<uk_copy_range>.size, value: Int64(bitPattern: a[4]))
        guard copied > 0 else { return copied }
        // SAFETY: the host wrote the request back in place.
        let moved = BounceBuffer.data.load(as: uk_copy_range.self)
        // As Linux: the offsets are stored after the copy, and failing to is EFAULT.
        if a[1] != 0 { try UserMemory.store(moved.input_offset, to: a[1]) }
        if a[3] != 0 { try UserMemory.store(moved.output_offset, to: a[3]) }
        return copied
    }

    // MARK: splice and tee

    /// What a descriptor is to splice: a pipe (either end), a host file, or something with
    /// neither splice_read nor splice_write (an eventfd, an epoll instance).
    private enum Endpoint {
        case pipe(PipeBuffer)
        case host(OpenFile)
        case other

        init(_ file: OpenFile) {
            switch file.object {
            case nil: self = .host(file)
            case let .pipeReader(pipe)?, let .pipeWriter(pipe)?: self = .pipe(pipe)
            default: self = .other
            }
        }
    }

    private static func readable(_ file: OpenFile) -> Bool { file.flags & 3 != 1 }
    private static func writable(_ file: OpenFile) -> Bool { file.flags & 3 != 0 }
    private static func nonblocking(_ file: OpenFile) -> Bool { file.flags & PipeSyscalls.oNonblock != 0 }

    /// Linux's rw_verify_area for a transfer of `length` at a given `offset`: EINVAL when the
    /// count is negative as an ssize_t, the offset is negative, or their sum passes loff_t.
    private static func verify(offset: Int64?, length: UInt64) throws(Errno) {
        guard length <= UInt64(Int64.max) else { throw .EINVAL }
        guard let offset else { return }
        guard offset >= 0 else { throw .EINVAL }
        _ = try CheckedArithmetic.offset(offset, plus: Int(length))
    }

    /// splice(fd_in, off_in, fd_out, off_out, len, flags) in the order of Linux's __do_splice and
    /// do_splice: pipe to pipe, pipe to host file, host file to pipe; anything else is EINVAL.
    static func splice(_ a: SyscallArguments) throws(Errno) -> Int {
        let length = a[4], flags = a.uint32(5)
        if length == 0 { return 0 }
        guard flags & ~knownFlags == 0 else { throw .EINVAL }
        let input = try currentProcess.files.file(a.int32(0))
        let output = try currentProcess.files.file(a.int32(2))
        let (source, target) = (Endpoint(input), Endpoint(output))
        // An offset has no meaning for a pipe; given ones are read before anything moves.
        if case .pipe = source, a[1] != 0 { throw .ESPIPE }
        if case .pipe = target, a[3] != 0 { throw .ESPIPE }
        var outputOffset: Int64? = a[3] == 0 ? nil : try UserMemory.load(Int64.self, from: a[3])
        var inputOffset: Int64? = a[1] == 0 ? nil : try UserMemory.load(Int64.self, from: a[1])
        guard readable(input), writable(output) else { throw .EBADF }
        var nonblock = flags & spliceNonblock != 0
        let moved: Int
        switch (source, target) {
        case let (.pipe(from), .pipe(to)):
            guard from !== to else { throw .EINVAL }
            nonblock = nonblock || nonblocking(input) || nonblocking(output)
            moved = try pipeToPipe(from, to, length: clamp(length), nonblocking: nonblock, consume: true)
        case let (.pipe(from), _):
            // An eventfd or epoll instance has no splice_write; an O_APPEND file takes no splice.
            guard case let .host(file) = target, output.flags & oAppend == 0 else { throw .EINVAL }
            try verify(offset: outputOffset, length: length)
            moved = try pipeToFile(from, file, offset: &outputOffset, length: clamp(length),
                                   nonblocking: nonblock || nonblocking(input))
        case let (_, .pipe(to)):
            guard case let .host(file) = source else { throw .EINVAL }
            if let offset = inputOffset, offset < 0 { throw .EINVAL }
            moved = try fileToPipe(file, offset: &inputOffset, to, length: clamp(length),
                                   nonblocking: nonblock || nonblocking(output))
        default:
            throw .EINVAL
        }
        if let outputOffset { try UserMemory.store(outputOffset, to: a[3]) }
        if let inputOffset { try UserMemory.store(inputOffset, to: a[1]) }
        return moved
    }

    /// tee(fd_in, fd_out, len, flags): copies up to `len` bytes of one pipe into another without
    /// consuming them (Linux's do_tee: waits for input, then for room, as splice does).
    static func tee(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.uint32(3)
        guard flags & ~knownFlags == 0 else { throw .EINVAL }
        if a[2] == 0 { return 0 }
        let input = try currentProcess.files.file(a.int32(0))
        let output = try currentProcess.files.file(a.int32(1))
        guard readable(input), writable(output) else { throw .EBADF }
        guard case let .pipe(from) = Endpoint(input), case let .pipe(to) = Endpoint(output), from !== to else {
            throw .EINVAL
        }
        let nonblock = flags & spliceNonblock != 0 || nonblocking(input) || nonblocking(output)
        return try pipeToPipe(from, to, length: clamp(a[2]), nonblocking: nonblock, consume: false)
    }

    /// vmsplice(fd, iov, nr_segs, flags) as a copy: into a pipe's write end (what fits once there
    /// is room, not all-or-nothing), or out of a read end (what is there once there is something).
    static func vmsplice(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.uint32(3) & ~knownFlags == 0 else { throw .EINVAL }
        let file = try currentProcess.files.file(a.int32(0))
        let toPipe = writable(file)
        guard toPipe || readable(file) else { throw .EBADF }
        guard a[2] <= UInt64(FileSyscalls.maxIovecs) else { throw .EINVAL }
        let vectors = try loadVectors(a[1], count: Int(a[2]))
        let total = vectors.reduce(0) { $0 + $1.length }
        if total == 0 { return 0 }
        guard case let .pipe(pipe) = Endpoint(file) else { throw .EBADF }
        let nonblock = a.uint32(3) & spliceNonblock != 0 || nonblocking(file)
        if toPipe {
            try waitForRoom(pipe, nonblocking: nonblock)
            var done = 0
            for vector in vectors where PipeBuffer.capacity > pipe.bytes.count {
                let count = min(vector.length, PipeBuffer.capacity - pipe.bytes.count)
                var chunk = [UInt8](repeating: 0, count: count)
                do throws(Errno) { try UserMemory.copyIn(from: vector.base, to: &chunk, count: count) } catch {
                    if done > 0 { break }
                    throw error
                }
                pipe.bytes.append(contentsOf: chunk)
                done += count
            }
            if done > 0 { pipe.readWatchers.wake(Readiness.pollIn | Readiness.pollReadNormal) }
            return done
        }
        guard try waitForData(pipe, nonblocking: nonblock) else { return 0 }
        var done = 0
        for vector in vectors where done < pipe.bytes.count {
            let count = min(vector.length, pipe.bytes.count - done)
            do throws(Errno) { try UserMemory.copyOut(from: Array(pipe.bytes[done..<(done + count)]), to: vector.base) } catch {
                if done > 0 { break }
                throw error
            }
            done += count
        }
        consume(pipe, done)
        return done
    }

    /// An iovec array, as Linux's import_iovec: lengths negative as ssize_t are EINVAL, and the
    /// total is cut to MAX_RW_COUNT.
    private static func loadVectors(_ address: UInt64, count: Int) throws(Errno) -> [(base: UInt64, length: Int)] {
        try UserMemory.validate(address, count * 16)
        var vectors: [(base: UInt64, length: Int)] = []
        var total = 0
        for index in 0..<count {
            let entry = try UserMemory.load((UInt64, Int).self, from: address + UInt64(index * 16))
            guard entry.1 >= 0 else { throw .EINVAL }
            let length = min(entry.1, SyscallArguments.maximumTransfer - total)
            total += length
            vectors.append((base: entry.0, length: length))
        }
        return vectors
    }

    /// A size_t count as an Int for the byte moves below (which never exceed a pipe's capacity).
    private static func clamp(_ length: UInt64) -> Int { Int(min(length, UInt64(SyscallArguments.maximumTransfer))) }

    // MARK: The moves

    /// Linux's wait_for_space: EPIPE (and SIGPIPE) without readers, EAGAIN when full and not
    /// blocking, else waits until there is room.
    private static func waitForRoom(_ pipe: PipeBuffer, nonblocking: Bool) throws(Errno) {
        while true {
            guard pipe.readers > 0 else {
                Signals.send(13, code: Signals.codeUser)  // SIGPIPE, acted on as the call returns
                throw .EPIPE
            }
            if !pipe.isFull { return }
            if nonblocking { throw .EAGAIN }
            try Readiness.block { !pipe.isFull || pipe.readers == 0 }
        }
    }

    /// Waits until the pipe holds bytes; false when it is empty without writers (the end of it).
    private static func waitForData(_ pipe: PipeBuffer, nonblocking: Bool) throws(Errno) -> Bool {
        while pipe.bytes.isEmpty {
            if pipe.writers == 0 { return false }
            if nonblocking { throw .EAGAIN }
            try Readiness.block { !pipe.bytes.isEmpty || pipe.writers == 0 }
        }
        return true
    }

    /// Drops `count` bytes read out of a pipe and wakes its writers.
    private static func consume(_ pipe: PipeBuffer, _ count: Int) {
        guard count > 0 else { return }
        pipe.bytes.removeFirst(count)
        pipe.writeWatchers.wake(Readiness.pollOut | Readiness.pollWriteNormal)
    }

    /// Moves (or, for tee, copies) up to `length` bytes from one pipe to another once the input
    /// has bytes and the output room (Linux's ipipe_prep and opipe_prep); 0 at the input's end.
    private static func pipeToPipe(_ from: PipeBuffer, _ to: PipeBuffer, length: Int, nonblocking: Bool,
                                   consume consuming: Bool) throws(Errno) -> Int {
        while true {
            let hasData = try waitForData(from, nonblocking: nonblocking)
            try waitForRoom(to, nonblocking: nonblocking)
            if !hasData { return 0 }
            // Another thread may have emptied the input while this one waited for room.
            if from.bytes.isEmpty { continue }
            let count = min(length, from.bytes.count, PipeBuffer.capacity - to.bytes.count)
            to.bytes.append(contentsOf: from.bytes.prefix(count))
            if consuming { consume(from, count) }
            to.readWatchers.wake(Readiness.pollIn | Readiness.pollReadNormal)
            return count
        }
    }

    /// Writes up to `length` bytes of a pipe to a host file at `offset` (advanced) or at its
    /// position, through the bounce buffer; what the host took leaves the pipe.
    private static func pipeToFile(_ pipe: PipeBuffer, _ file: OpenFile, offset: inout Int64?, length: Int,
                                   nonblocking: Bool) throws(Errno) -> Int {
        guard try waitForData(pipe, nonblocking: nonblocking) else { return 0 }
        let wanted = min(length, pipe.bytes.count)
        var done = 0
        while done < wanted {
            let chunk = min(wanted - done, BounceBuffer.capacity)
            pipe.bytes.withUnsafeBytes { bytes in
                // SAFETY: chunk ≤ the bounce buffer's capacity, and done + chunk ≤ the pipe's byte count.
                BounceBuffer.pointer.copyMemory(from: bytes.baseAddress! + done, byteCount: chunk)
            }
            let wrote = Hypercall.write(handle: file.hostHandle, bufferPhysical: BounceBuffer.physical, length: chunk,
                                        offset: offset.map { $0 + Int64(done) } ?? -1)
            if wrote < 0 {
                if done > 0 { break }
                if wrote == -Int64(Errno.EPIPE.rawValue) { Signals.send(13, code: Signals.codeUser) }
                throw Errno(rawValue: Int(-wrote)) ?? .EIO
            }
            done += Int(wrote)
            if Int(wrote) < chunk { break }
        }
        consume(pipe, done)
        if let start = offset { offset = start + Int64(done) }
        return done
    }

    /// Reads up to `length` bytes (at most the pipe's free room) of a host file at `offset`
    /// (advanced) or at its position into a pipe, once it has room; 0 at the end of the file.
    private static func fileToPipe(_ file: OpenFile, offset: inout Int64?, _ pipe: PipeBuffer, length: Int,
                                   nonblocking: Bool) throws(Errno) -> Int {
        try waitForRoom(pipe, nonblocking: nonblocking)
        let wanted = min(length, PipeBuffer.capacity - pipe.bytes.count)
        var done = 0
        while done < wanted {
            let chunk = min(wanted - done, BounceBuffer.capacity)
            // Wrapping: past the largest offset the host's pread answers EINVAL, the kernel never traps.
            let got = Hypercall.read(handle: file.hostHandle, bufferPhysical: BounceBuffer.physical, length: chunk,
                                     offset: offset.map { $0 &+ Int64(done) } ?? -1)
            if got < 0 {
                if done > 0 { break }
                throw Errno(rawValue: Int(-got)) ?? .EIO
            }
            if got == 0 { break }
            // SAFETY: the host stored `got` ≤ chunk bytes at the start of the bounce buffer.
            pipe.bytes.append(contentsOf: UnsafeRawBufferPointer(start: BounceBuffer.pointer, count: Int(got)))
            done += Int(got)
            if Int(got) < chunk { break }
        }
        if done > 0 { pipe.readWatchers.wake(Readiness.pollIn | Readiness.pollReadNormal) }
        if let start = offset { offset = start &+ Int64(done) }
        return done
    }

    /// sendfile(out, in, offset, count) into a pipe: Linux 6.x splices the file into it
    /// (splice_file_to_pipe), waiting for room unless the pipe end is O_NONBLOCK. With `offset`
    /// the file position stays and the offset is written back, even after an error.
    static func sendfile(from input: OpenFile, to pipe: PipeBuffer, output: OpenFile, offsetAddress: UInt64,
                         count: Int) throws(Errno) -> Int {
        var offset: Int64? = offsetAddress == 0 ? nil : try UserMemory.load(Int64.self, from: offsetAddress)
        guard readable(input) else { throw .EBADF }
        guard count >= 0, (offset ?? 0) >= 0 else { throw .EINVAL }
        do throws(Errno) {
            let moved = try fileToPipe(input, offset: &offset, pipe, length: min(count, SyscallArguments.maximumTransfer),
                                       nonblocking: nonblocking(output))
            if let offset { try UserMemory.store(offset, to: offsetAddress) }
            return moved
        } catch {
            if let offset { try UserMemory.store(offset, to: offsetAddress) }
            throw error
        }
    }
}
