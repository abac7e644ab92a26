import UnikernelABI

/// Pipes, eventfd counters, the poll and select families, sendfile and
/// descriptor-range calls. Pipes and counters live in the guest; host files
/// are asked through UK_FILE_POLL only when a wait involves one. What each
/// kind of descriptor reports, and the wait itself, are shared with epoll (Readiness).
enum PipeSyscalls {
    static let oNonblock = 0o4000
    static let oCloexec = 0o2000000

    // MARK: pipes and counters

    static func pipe(_ a: SyscallArguments) throws(Errno) -> Int { try makePipe(a[0], flags: 0) }
    static func pipe2(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(1) & ~(oNonblock | oCloexec) == 0 else { throw .EINVAL }
        return try makePipe(a[0], flags: a.int32(1))
    }

    private static func makePipe(_ address: UInt64, flags: Int) throws(Errno) -> Int {
        try UserMemory.validate(address, 8)
        let buffer = PipeBuffer()
        let cloexec = flags & oCloexec != 0
        let reader = try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: flags & oNonblock,
                                                               object: .pipeReader(buffer), closeOnExec: cloexec))
        let writer: Int
        do throws(Errno) {
            writer = try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 1 | (flags & oNonblock),
                                                               object: .pipeWriter(buffer), closeOnExec: cloexec))
        } catch {
            _ = try? currentProcess.files.remove(reader)
            throw error
        }
        do throws(Errno) {
            try UserMemory.store((Int32(reader), Int32(writer)), to: address)
        } catch {
            // As Linux: the descriptors exist only once the caller can learn them.
            _ = try? currentProcess.files.remove(writer)
            _ = try? currentProcess.files.remove(reader)
            throw error
        }
        return 0
    }

    /// eventfd2(initval, flags): EFD_SEMAPHORE 1, EFD_NONBLOCK, EFD_CLOEXEC.
    static func eventfd2(_ a: SyscallArguments) throws(Errno) -> Int {
        try makeCounter(a[0], flags: a.int32(1))
    }

    /// eventfd(initval): eventfd2 without flags.
    static func eventfd(_ a: SyscallArguments) throws(Errno) -> Int {
        try makeCounter(a[0], flags: 0)
    }

    private static func makeCounter(_ initial: UInt64, flags: Int) throws(Errno) -> Int {
        guard flags & ~(1 | oNonblock | oCloexec) == 0 else { throw .EINVAL }
        let counter = EventCounter(value: UInt64(UInt32(truncatingIfNeeded: initial)), semaphore: flags & 1 != 0)
        return try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 2 | (flags & oNonblock),
                                                         object: .eventCounter(counter), closeOnExec: flags & oCloexec != 0))
    }

    /// read/write on a guest object; nil when `file` is a host file. Every change that may make
    /// the other side ready wakes the epoll items watching it, as Linux's wake-ups do.
    static func transfer(_ file: OpenFile, buffer: UInt64, count: Int, write: Bool) throws(Errno) -> Int? {
        guard let object = file.object else { return nil }
        switch object {
        case let .pipeReader(pipe):
            guard !write else { throw .EBADF }
            if count == 0 { return 0 }
            if pipe.bytes.isEmpty {
                if pipe.writers == 0 { return 0 }
                if file.flags & oNonblock != 0 { throw .EAGAIN }
                try Readiness.block { !pipe.bytes.isEmpty || pipe.writers == 0 }
                if pipe.bytes.isEmpty { return 0 }
            }
            let wasFull = pipe.isFull
            let moved = min(count, pipe.bytes.count)
            try UserMemory.copyOut(from: Array(pipe.bytes.prefix(moved)), to: buffer)
            pipe.bytes.removeFirst(moved)
            // As Linux's pipe_read: writers are woken when the pipe was full.
            if wasFull { pipe.writeWatchers.wake(Readiness.pollOut | Readiness.pollWriteNormal) }
            return moved
        case let .pipeWriter(pipe):
            guard write else { throw .EBADF }
            if count == 0 { return 0 }  // Linux: a null write succeeds before any other check
            guard pipe.readers > 0 else {
                Signals.send(13, code: Signals.codeUser)  // SIGPIPE, acted on as the call returns
                throw .EPIPE
            }
            // As Linux's pipe_write once polled: every write wakes the readers, even one that finds
            // the pipe full or already readable (a new edge for EPOLLET each time).
            defer { pipe.readWatchers.wake(Readiness.pollIn | Readiness.pollReadNormal) }
            let nonblocking = file.flags & oNonblock != 0
            // Up to PIPE_BUF bytes go in at once or not at all; a blocking write waits until
            // everything is in (or a signal stops it after part of it).
            let atomic = count <= PipeBuffer.atomicSize
            var written = 0
            while written < count {
                let room = PipeBuffer.capacity - pipe.bytes.count
                if room == 0 || (atomic && room < count) {
                    if nonblocking {
                        if written > 0 { return written }
                        throw .EAGAIN
                    }
                    do throws(Errno) {
                        try Readiness.block { PipeBuffer.capacity - pipe.bytes.count >= (atomic ? count : 1) || pipe.readers == 0 }
                    } catch {
                        if written > 0 { return written }
                        throw error
                    }
                    guard pipe.readers > 0 else {
                        if written > 0 { return written }
                        Signals.send(13, code: Signals.codeUser)
                        throw .EPIPE
                    }
                    continue
                }
                let moved = min(count - written, room)
                var chunk = [UInt8](repeating: 0, count: moved)
                try UserMemory.copyIn(from: buffer + UInt64(written), to: &chunk, count: moved)
                pipe.bytes.append(contentsOf: chunk)
                written += moved
                if written < count { pipe.readWatchers.wake(Readiness.pollIn | Readiness.pollReadNormal) }
            }
            return written
        case let .eventCounter(counter):
            // As Linux: a read needs room for the 8-byte value, a write gives exactly 8 bytes.
            guard write ? count == 8 : count >= 8 else { throw .EINVAL }
            if write {
                let value = try UserMemory.load(UInt64.self, from: buffer)
                guard value != UInt64.max else { throw .EINVAL }
                if counter.value > UInt64.max - 1 - value {
                    if file.flags & oNonblock != 0 { throw .EAGAIN }
                    try Readiness.block { counter.value <= UInt64.max - 1 - value }
                }
                counter.value += value
                // Even a write of 0 wakes readers, as on Linux.
                counter.watchers.wake(Readiness.pollIn)
                return 8
            }
            if counter.value == 0 {
                if file.flags & oNonblock != 0 { throw .EAGAIN }
                try Readiness.block { counter.value > 0 }
            }
            let value = counter.semaphore ? 1 : counter.value
            counter.value -= value
            counter.watchers.wake(Readiness.pollOut)
            try UserMemory.store(value, to: buffer)  // as Linux: the value is consumed even on EFAULT
            return 8
        case let .timer(timer):
            return try TimerSyscalls.read(timer, file: file, buffer: buffer, count: count, write: write)
        case let .signals(descriptor):
            return try SignalDescriptorSyscalls.read(descriptor, file: file, buffer: buffer, count: count, write: write)
        case .epoll:
            throw .EINVAL
        case let .synthetic(synthetic):
            guard !write else { throw .EINVAL }
            return try synthetic.read(into: buffer, count: count, offset: nil)
        }
    }

    /// Called when the last descriptor of an object closes, after the epoll items watching it
    /// are gone. A pipe that loses its last reader or writer wakes both ends (Linux's pipe_release).
    static func release(_ object: GuestObject) {
        switch object {
        case let .pipeReader(pipe), let .pipeWriter(pipe):
            if case .pipeReader = object { pipe.readers -= 1 } else { pipe.writers -= 1 }
            if (pipe.readers == 0) != (pipe.writers == 0) {
                pipe.readWatchers.wake(0)
                pipe.writeWatchers.wake(0)
            }
        case .eventCounter, .synthetic: break
        case let .timer(timer): timer.arm(at: nil, interval: 0)
        case .signals: SignalDescriptor.live -= 1
        case let .epoll(instance): Epoll.destroy(instance)
        }
    }

    // MARK: readiness

    /// The shared core of poll/ppoll/select/pselect6: fills `revents` for each (fd, events) as
    /// Linux's do_pollfd (the events asked for plus `always`: poll's errors and hang-ups; POLLNVAL
    /// for a closed descriptor) and returns the ready count, waiting up to `timeout` nanoseconds
    /// (nil: forever).
    static func wait(_ entries: inout [(fd: Int, events: Int16, revents: Int16)], always: UInt32 = Readiness.pollErr | Readiness.pollHup,
                     timeout: UInt64?) throws(Errno) -> Int {
        var query = Readiness.HostQuery()
        for entry in entries where entry.fd >= 0 {
            if let file = try? currentProcess.files.file(entry.fd) {
                Readiness.collectHostHandles(of: file, events: UInt32(UInt16(bitPattern: entry.events)), into: &query)
            }
        }
        return try Readiness.waitForReadiness(deadline: Readiness.deadline(after: timeout), host: query) {
            (host) throws(Errno) -> Int in
            var ready = 0
            for index in entries.indices {
                entries[index].revents = 0
                let fd = entries[index].fd
                if fd < 0 { continue }
                let events: UInt32
                if let file = try? currentProcess.files.file(fd) {
                    let filter = UInt32(UInt16(bitPattern: entries[index].events)) | always
                    events = Readiness.events(of: file, host: host) & filter
                } else {
                    events = Readiness.pollNval
                }
                entries[index].revents = Int16(truncatingIfNeeded: events)
                if events != 0 { ready += 1 }
            }
            return ready
        }
    }

    private static func pollCommon(_ address: UInt64, _ count: Int, timeout: UInt64?) throws(Errno) -> Int {
        guard count >= 0, count <= FileTable.limit else { throw .EINVAL }
        try UserMemory.validate(address, count * 8)
        var entries: [(fd: Int, events: Int16, revents: Int16)] = []
        for index in 0..<count {
            // Inside the range validated above: no sum below wraps.
            let entry = try UserMemory.load((Int32, Int16, Int16).self, from: address + UInt64(index * 8))
            entries.append((fd: Int(entry.0), events: entry.1, revents: 0))
        }
        let ready = try wait(&entries, timeout: timeout)
        for index in 0..<count {
            try UserMemory.store(entries[index].revents, to: address + UInt64(index * 8 + 6))
        }
        return ready
    }

    static func poll(_ a: SyscallArguments) throws(Errno) -> Int {
        let milliseconds = a.int32(2)
        return try pollCommon(a[0], a.int(1), timeout: milliseconds < 0 ? nil : UInt64(milliseconds) * 1_000_000)
    }

    /// ppoll writes the time left back into its timespec, as Linux does.
    static func ppoll(_ a: SyscallArguments) throws(Errno) -> Int {
        let timeout = try timespec(a[2])
        let start = Clock.monotonicNanoseconds()
        let ready = try pollCommon(a[0], a.int(1), timeout: timeout)
        if let timeout {
            let elapsed = Clock.monotonicNanoseconds() &- start
            let left = ready == 0 || elapsed >= timeout ? 0 : timeout - elapsed
            try UserMemory.store((left / 1_000_000_000, left % 1_000_000_000), to: a[2])
        }
        return ready
    }

    /// A timeout timespec in nanoseconds (NULL: nil, no timeout); EINVAL unless Linux's
    /// timespec64_valid. Past the range of nanoseconds it saturates (a wait without end, in effect).
    static func timespec(_ address: UInt64) throws(Errno) -> UInt64? {
        guard address != 0 else { return nil }
        let value = try UserMemory.load((Int64, Int64).self, from: address)
        guard value.0 >= 0, value.1 >= 0, value.1 < 1_000_000_000 else { throw .EINVAL }
        let (seconds, overflow) = UInt64(value.0).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = seconds.addingReportingOverflow(UInt64(value.1))
        return overflow || carry ? UInt64.max : total
    }

    /// select/pselect6 over fd_set bitmaps. As on Linux, `nfds` beyond the descriptor table's
    /// capacity is cut down to it, so bits for descriptors the table has no room for are ignored.
    private static func selectCommon(_ a: SyscallArguments, timeout: UInt64?) throws(Errno) -> Int {
        guard a.int32(0) >= 0 else { throw .EINVAL }
        let count = min(a.int32(0), currentProcess.files.capacity)
        let words = (count + 63) / 64
        func loadSet(_ address: UInt64) throws(Errno) -> [UInt64] {
            guard address != 0 else { return [UInt64](repeating: 0, count: words) }
            try UserMemory.validate(address, words * 8)
            var set: [UInt64] = []
            for index in 0..<words { set.append(try UserMemory.load(UInt64.self, from: address + UInt64(index * 8))) }
            return set
        }
        let sets = [try loadSet(a[1]), try loadSet(a[2]), try loadSet(a[3])]
        // Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET: what makes a descriptor readable,
        // writable or exceptional for select.
        let masks: [Int16] = [0xD9, 0x30C, 0x2]
        var entries: [(fd: Int, events: Int16, revents: Int16)] = []
        for fd in 0..<count {
            var events: Int16 = 0
            for (which, set) in sets.enumerated() where set[fd / 64] & (1 << UInt64(fd % 64)) != 0 {
                events |= masks[which]
            }
            if events != 0 {
                guard (try? currentProcess.files.file(fd)) != nil else { throw .EBADF }
                entries.append((fd: fd, events: events, revents: 0))
            }
        }
        // The sets' masks already hold the errors and hang-ups that count for each.
        _ = try wait(&entries, always: 0, timeout: timeout)
        var results = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: 3)
        var ready = 0
        for entry in entries {
            for which in 0..<3 where sets[which][entry.fd / 64] & (1 << UInt64(entry.fd % 64)) != 0
                && entry.revents & masks[which] != 0 {
                results[which][entry.fd / 64] |= 1 << UInt64(entry.fd % 64)
                ready += 1
            }
        }
        for (which, address) in [a[1], a[2], a[3]].enumerated() where address != 0 {
            for index in 0..<words { try UserMemory.store(results[which][index], to: address + UInt64(index * 8)) }
        }
        return ready
    }

    /// select writes the time left back into its timeval, as Linux does.
    static func select(_ a: SyscallArguments) throws(Errno) -> Int {
        var timeout: UInt64?
        if a[4] != 0 {
            let value = try UserMemory.load((Int64, Int64).self, from: a[4])
            guard value.0 >= 0, value.1 >= 0 else { throw .EINVAL }
            timeout = UInt64(value.0) &* 1_000_000_000 &+ UInt64(value.1) &* 1000
        }
        let start = Clock.monotonicNanoseconds()
        let ready = try selectCommon(a, timeout: timeout)
        if let timeout {
            let elapsed = Clock.monotonicNanoseconds() &- start
            let left = ready == 0 || elapsed >= timeout ? 0 : timeout - elapsed
            try UserMemory.store((left / 1_000_000_000, (left % 1_000_000_000) / 1000), to: a[4])
        }
        return ready
    }

    /// pselect6 writes the time left back into its timespec, as Linux does.
    static func pselect6(_ a: SyscallArguments) throws(Errno) -> Int {
        let timeout = try timespec(a[4])
        let start = Clock.monotonicNanoseconds()
        let ready = try selectCommon(a, timeout: timeout)
        if let timeout {
            let elapsed = Clock.monotonicNanoseconds() &- start
            let left = ready == 0 || elapsed >= timeout ? 0 : timeout - elapsed
            try UserMemory.store((left / 1_000_000_000, left % 1_000_000_000), to: a[4])
        }
        return ready
    }

    // MARK: descriptors

    /// close_range(first, last, flags): CLOSE_RANGE_CLOEXEC (4) marks instead of closing.
    static func closeRange(_ a: SyscallArguments) throws(Errno) -> Int {
        let first = Int(UInt32(truncatingIfNeeded: a[0])), last = Int(UInt32(truncatingIfNeeded: a[1]))
        guard first <= last, a[2] & ~UInt64(6) == 0 else { throw .EINVAL }
        for fd in currentProcess.files.descriptors(from: first, through: last) {
            if a[2] & 4 != 0 {
                var file = try currentProcess.files.file(fd)
                file.closeOnExec = true
                try currentProcess.files.update(fd, file)
            } else {
                try FileSyscalls.release(fd)
            }
        }
        return 0
    }

    /// sendfile(out, in, offset, count) from a host file to a host file or stdio, copied by the
    /// host (UK_FILE_SENDFILE), or into a guest pipe (spliced, as Linux 6.x does). A guest
    /// object as the input, or any other one as the output, is EINVAL.
    ///
    /// A socket's host descriptor never blocks, so the host answers EAGAIN, or sends part, when
    /// the socket's send buffer is full. For a socket without O_NONBLOCK the call then waits
    /// until the socket is writable and goes on until `count` bytes are sent, as Linux's does
    /// (a signal ends the wait: the bytes sent so far, or a restart when there are none); EPIPE
    /// raises SIGPIPE, as a send without MSG_NOSIGNAL does.
    static func sendfile(_ a: SyscallArguments) throws(Errno) -> Int {
        let output = try currentProcess.files.file(a.int32(0))
        let input = try currentProcess.files.file(a.int32(1))
        if case let .pipeWriter(pipe)? = output.object, input.object == nil {
            return try SpliceSyscalls.sendfile(from: input, to: pipe, output: output, offsetAddress: a[2], count: a.int(3))
        }
        guard input.object == nil, output.object == nil, a.int(3) >= 0 else { throw .EINVAL }
        var offset: Int64 = a[2] == 0 ? -1 : try UserMemory.load(Int64.self, from: a[2])
        guard a[2] == 0 || offset >= 0 else { throw .EINVAL }
        let total = min(a.int(3), SyscallArguments.maximumTransfer)
        let socket = output.hostKind == .socket
        let waits = socket && output.flags & oNonblock == 0
        var done = 0
        while true {
            // SAFETY: the request is 16 bytes at the start of the bounce buffer's data area.
            BounceBuffer.data.storeBytes(of: uk_sendfile(input: input.hostHandle, reserved: 0, offset: offset),
                                         as: uk_sendfile.self)
            var failure: Errno?
            do throws(Errno) {
                let sent = try Hypercall.file(UK_FILE_SENDFILE, handle: output.hostHandle,
                                              dataLength: MemoryLayout<uk_sendfile>.size, value: Int64(total - done))
                done += sent
                if a[2] != 0 { offset = BounceBuffer.data.load(as: uk_sendfile.self).offset }
                // Not a waiting socket, everything sent, or the input's end: the call is over.
                if !waits || done >= total || sent == 0 { break }
            } catch {
                failure = error
            }
            if let failure {
                guard failure == .EAGAIN, waits else {
                    if done > 0 { break }
                    if failure == .EPIPE, socket { Signals.send(13, code: Signals.codeUser, to: Scheduler.current) }
                    throw failure
                }
            }
            do throws(Errno) {
                try SocketSyscalls.wait(output, for: Readiness.pollOut)
            } catch {
                if done > 0 { break }
                throw error
            }
        }
        if a[2] != 0 { try UserMemory.store(offset, to: a[2]) }
        return done
    }
}
