import UnikernelABI

/// Pipes, eventfd counters, readiness (poll/select families), sendfile and
/// descriptor-range calls. Pipes and counters live in the guest; host files
/// are asked through UK_FILE_POLL only when a wait involves one.
enum PipeSyscalls {
    static let oNonblock = 0o4000
    static let oCloexec = 0o2000000
    static let pollIn: Int16 = 0x1, pollOut: Int16 = 0x4, pollErr: Int16 = 0x8, pollHup: Int16 = 0x10, pollNval: Int16 = 0x20

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
        try UserMemory.store((Int32(reader), Int32(writer)), to: address)
        return 0
    }

    /// eventfd2(initval, flags): EFD_SEMAPHORE 1, EFD_NONBLOCK, EFD_CLOEXEC.
    static func eventfd2(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(1)
        guard flags & ~(1 | oNonblock | oCloexec) == 0 else { throw .EINVAL }
        let counter = EventCounter(value: UInt64(UInt32(truncatingIfNeeded: a[0])), semaphore: flags & 1 != 0)
        return try currentProcess.files.install(OpenFile(hostHandle: -1, path: [], flags: 2 | (flags & oNonblock),
                                                         object: .eventCounter(counter), closeOnExec: flags & oCloexec != 0))
    }

    /// read/write on a guest object; nil when `file` is a host file.
    static func transfer(_ file: OpenFile, buffer: UInt64, count: Int, write: Bool) throws(Errno) -> Int? {
        guard let object = file.object else { return nil }
        switch object {
        case let .pipeReader(pipe):
            guard !write else { throw .EBADF }
            if pipe.bytes.isEmpty {
                if pipe.writers == 0 { return 0 }
                throw .EAGAIN
            }
            let moved = min(count, pipe.bytes.count)
            try UserMemory.copyOut(from: Array(pipe.bytes.prefix(moved)), to: buffer)
            pipe.bytes.removeFirst(moved)
            return moved
        case let .pipeWriter(pipe):
            guard write else { throw .EBADF }
            guard pipe.readers > 0 else {
                Signals.send(13, code: Signals.codeUser)  // SIGPIPE, acted on as the call returns
                throw .EPIPE
            }
            let moved = min(count, PipeBuffer.capacity - pipe.bytes.count)
            if moved == 0 && count > 0 { throw .EAGAIN }
            var chunk = [UInt8](repeating: 0, count: moved)
            try UserMemory.copyIn(from: buffer, to: &chunk, count: moved)
            pipe.bytes.append(contentsOf: chunk)
            return moved
        case let .eventCounter(counter):
            guard count >= 8 else { throw .EINVAL }
            if write {
                let value = try UserMemory.load(UInt64.self, from: buffer)
                guard value != UInt64.max else { throw .EINVAL }
                guard counter.value <= UInt64.max - 1 - value else { throw .EAGAIN }
                counter.value += value
                return 8
            }
            guard counter.value > 0 else { throw .EAGAIN }
            let value = counter.semaphore ? 1 : counter.value
            counter.value -= value
            try UserMemory.store(value, to: buffer)
            return 8
        }
    }

    /// Called when the last descriptor of an object closes.
    static func release(_ object: GuestObject) {
        switch object {
        case let .pipeReader(pipe): pipe.readers -= 1
        case let .pipeWriter(pipe): pipe.writers -= 1
        case .eventCounter: break
        }
    }

    /// poll events ready on a guest object right now.
    static func readiness(_ object: GuestObject, events: Int16) -> Int16 {
        switch object {
        case let .pipeReader(pipe):
            var ready: Int16 = pipe.bytes.isEmpty ? 0 : pollIn
            if pipe.writers == 0 { ready |= pollHup }
            return ready & (events | pollHup)
        case let .pipeWriter(pipe):
            if pipe.readers == 0 { return pollErr }
            return pipe.bytes.count < PipeBuffer.capacity ? pollOut & events : 0
        case let .eventCounter(counter):
            return ((counter.value > 0 ? pollIn : 0) | (counter.value < UInt64.max - 1 ? pollOut : 0)) & events
        }
    }

    // MARK: readiness

    /// The shared core of poll/ppoll/select/pselect6: fills `revents` for
    /// each (fd, events) and returns the ready count, waiting up to
    /// `timeout` nanoseconds (nil: forever) only when host files are involved.
    static func wait(_ entries: inout [(fd: Int, events: Int16, revents: Int16)], timeout: UInt64?) throws(Errno) -> Int {
        let deadline = timeout.map { Clock.monotonicNanoseconds() &+ $0 }
        while true {
            var hostIndexes: [Int] = []
            var ready = 0
            for index in entries.indices {
                entries[index].revents = 0
                let fd = entries[index].fd
                if fd < 0 { continue }
                guard let file = try? currentProcess.files.file(fd) else {
                    entries[index].revents = pollNval
                    ready += 1
                    continue
                }
                if let object = file.object {
                    entries[index].revents = readiness(object, events: entries[index].events)
                } else if file.hostHandle > 2, file.path.first == PathResolver.slash {
                    // Regular files and directories are always ready.
                    entries[index].revents = entries[index].events & (pollIn | pollOut)
                } else {
                    hostIndexes.append(index)
                }
                if entries[index].revents != 0 { ready += 1 }
            }
            // Host stdio (terminals, pipes): ask the host, waiting if nothing else is ready.
            if !hostIndexes.isEmpty {
                let remaining: Int64
                if ready > 0 { remaining = 0 } else if let deadline {
                    let now = Clock.monotonicNanoseconds()
                    remaining = now >= deadline ? 0 : Int64((deadline - now + 999_999) / 1_000_000)
                } else { remaining = -1 }
                let data = BounceBuffer.data
                // SAFETY: at most FileTable.limit 8-byte pollfd entries: far less than the data area.
                for (slot, index) in hostIndexes.enumerated() {
                    let file = try currentProcess.files.file(entries[index].fd)
                    data.storeBytes(of: file.hostHandle, toByteOffset: slot * 8, as: Int32.self)
                    data.storeBytes(of: entries[index].events, toByteOffset: slot * 8 + 4, as: Int16.self)
                    data.storeBytes(of: Int16(0), toByteOffset: slot * 8 + 6, as: Int16.self)
                }
                _ = try Hypercall.file(UK_FILE_POLL, handle: -1, dataLength: hostIndexes.count * 8, value: remaining)
                for (slot, index) in hostIndexes.enumerated() {
                    entries[index].revents = data.load(fromByteOffset: slot * 8 + 6, as: Int16.self)
                    if entries[index].revents != 0 { ready += 1 }
                }
                if ready > 0 { return ready }
                if let deadline, Clock.monotonicNanoseconds() >= deadline { return 0 }
                continue
            }
            if ready > 0 { return ready }
            // Only guest objects: nothing can change while we wait.
            if let deadline {
                Clock.sleep(until: deadline)
                return 0
            }
            throw .EDEADLK
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

    private static func timespec(_ address: UInt64) throws(Errno) -> UInt64? {
        guard address != 0 else { return nil }
        let value = try UserMemory.load((Int64, Int64).self, from: address)
        guard value.0 >= 0, value.1 >= 0, value.1 < 1_000_000_000 else { throw .EINVAL }
        return UInt64(value.0) &* 1_000_000_000 &+ UInt64(value.1)
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
        let masks: [Int16] = [pollIn | pollHup | pollErr, pollOut | pollErr, 0x2]
        var entries: [(fd: Int, events: Int16, revents: Int16)] = []
        for fd in 0..<count {
            var events: Int16 = 0
            for (which, set) in sets.enumerated() where set[fd / 64] & (1 << UInt64(fd % 64)) != 0 {
                events |= which == 0 ? pollIn : (which == 1 ? pollOut : 0x2)
            }
            if events != 0 {
                guard (try? currentProcess.files.file(fd)) != nil else { throw .EBADF }
                entries.append((fd: fd, events: events, revents: 0))
            }
        }
        _ = try wait(&entries, timeout: timeout)
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
    /// host in one call (UK_FILE_SENDFILE). A guest object (a pipe) as either end is EINVAL.
    static func sendfile(_ a: SyscallArguments) throws(Errno) -> Int {
        let output = try currentProcess.files.file(a.int32(0))
        let input = try currentProcess.files.file(a.int32(1))
        guard input.object == nil, output.object == nil, a.int(3) >= 0 else { throw .EINVAL }
        let offset: Int64 = a[2] == 0 ? -1 : try UserMemory.load(Int64.self, from: a[2])
        guard a[2] == 0 || offset >= 0 else { throw .EINVAL }
        let total = min(a.int(3), SyscallArguments.maximumTransfer)
        // SAFETY: the request is 16 bytes at the start of the bounce buffer's data area.
        BounceBuffer.data.storeBytes(of: uk_sendfile(input: input.hostHandle, reserved: 0, offset: offset),
                                     as: uk_sendfile.self)
        let done = try Hypercall.file(UK_FILE_SENDFILE, handle: output.hostHandle,
                                      dataLength: MemoryLayout<uk_sendfile>.size, value: Int64(total))
        if a[2] != 0 { try UserMemory.store(BounceBuffer.data.load(as: uk_sendfile.self).offset, to: a[2]) }
        return done
    }
}
