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
    /// Job control on a terminal (Linux's tty_jobctrl.c): acquire it as the controlling terminal,
    /// read and set its foreground process group, read its session, give it up.
    static let tiocsctty: UInt32 = 0x540E, tiocgpgrp: UInt32 = 0x540F, tiocspgrp: UInt32 = 0x5410
    static let tiocnotty: UInt32 = 0x5422, tiocgsid: UInt32 = 0x5429
    /// Terminal settings (Linux's tty_ioctl.c): set them now, after output drains, after it
    /// drains and input is discarded; set the window size; send a break or wait for output
    /// (TCSBRK with 1); suspend or resume transmission; discard queued data.
    static let tcsets: UInt32 = 0x5402, tcsetsw: UInt32 = 0x5403, tcsetsf: UInt32 = 0x5404
    static let tiocswinsz: UInt32 = 0x5414
    static let tcsbrk: UInt32 = 0x5409, tcxonc: UInt32 = 0x540A, tcflsh: UInt32 = 0x540B, tcsbrkp: UInt32 = 0x5425
    /// A pseudo-terminal's multiplexer end (Linux's pty.c): its number, locking its terminal end,
    /// packet mode, and a new descriptor for its terminal end (the open flags by value).
    static let tiocgptn: UInt32 = 0x8004_5430, tiocsptlck: UInt32 = 0x4004_5431, tiocgptlck: UInt32 = 0x8004_5439
    static let tiocpkt: UInt32 = 0x5420, tiocgpkt: UInt32 = 0x8004_5438, tiocgptpeer: UInt32 = 0x5441
    static let sigttou = 22
    /// Bytes of the kernel's `struct termios` that TCGETS writes (not libc's 60-byte one).
    static let kernelTermiosSize = 36
    static let hostTermiosSize = 60
    static let winsizeSize = 8
    static let maxIovecs = 1024

    // MARK: Data transfer

    /// The most bytes populated and moved per hypercall.
    static let transferChunk = 4 << 20

    /// Moves `count` bytes between the application buffer and host handle
    /// `fd`: small sequential transfers of regular files through HostFileBuffer,
    /// everything else without copying: the pages are populated here, then the host
    /// reads or writes them in place. Stops at the first short transfer.
    private static func transfer(fd: Int, buffer: UInt64, count: Int, offset: Int64, write: Bool) throws(Errno) -> Int {
        if write, currentProcess.bootInfo.flags & UK_BOOT_FAULT_KERNEL_TRAP != 0 {
            // --debug-fault kernel-trap: a deliberate kernel bug, a Swift runtime trap inside
            // this call, so tests can see how the host reports one (README "Running a program").
            preconditionFailure("--debug-fault kernel-trap")
        }
        let file = try currentProcess.files.file(fd)
        guard count >= 0 else { throw .EINVAL }
        if case let .synthetic(synthetic)? = file.object {
            guard !write else { throw .EINVAL }
            try UserMemory.validate(buffer, count)
            return try synthetic.read(into: buffer, count: count, offset: offset < 0 ? nil : offset)
        }
        if let object = file.object {
            // As Linux: a pipe or counter cannot be read at an offset (ESPIPE), an epoll instance
            // not at all (EINVAL), before the buffer is looked at.
            guard offset < 0 else { throw .ESPIPE }
            if case .epoll = object { throw .EINVAL }
        }
        try UserMemory.validate(buffer, count)
        // As Linux's rw_verify_area: one call moves at most MAX_RW_COUNT bytes, and a positioned
        // transfer whose end would pass the largest file offset is EINVAL.
        let count = min(count, SyscallArguments.maximumTransfer)
        if offset >= 0 { _ = try CheckedArithmetic.offset(offset, plus: count) }
        if file.object != nil {
            return try PipeSyscalls.transfer(file, buffer: buffer, count: count, write: write) ?? 0
        }
        if file.hostKind == .socket {
            guard offset < 0 else { throw .ESPIPE }
            return try SocketSyscalls.transfer(file, buffer: buffer, count: count, write: write)
        }
        if file.hostKind == .inotify, !write, offset < 0 {
            return try InotifySyscalls.read(file, into: buffer, count: count)
        }
        if offset < 0 {
            let buffered = write ? try HostFileBuffer.write(file, from: buffer, count: count)
                                 : try HostFileBuffer.read(file, into: buffer, count: count)
            if let buffered { return buffered }
        }
        if count == 0 {
            return try Errno.check(Hypercall.transferUser(handle: file.hostHandle, address: buffer, length: 0,
                                                          offset: offset, write: write))
        }
        if file.hostKind == .plain, !Readiness.isHostRegularFile(file) { try awaitHostReadiness(file, write: write) }
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
                if error == .EINTR {
                    // A signal reached the runner while the host blocked (a pipe, a terminal):
                    // for the application only if it acts on one now; otherwise block again.
                    HostSignals.take()
                    if !Signals.hasDeliverable(Scheduler.current) { continue }
                    if done > 0 { break }
                    throw .ERESTARTSYS
                }
                if done > 0 { break }
                // A host pipe without readers: SIGPIPE to the writing thread, as Linux's pipe_write.
                if write, error == .EPIPE { Signals.send(13, code: Signals.codeUser, to: Scheduler.current) }
                throw error
            }
            done += moved
            if moved < ready { break }
        }
        return done
    }

    static func read(_ a: SyscallArguments) throws(Errno) -> Int {
        try transfer(fd: a.int32(0), buffer: a[1], count: a.byteCount(2), offset: -1, write: false)
    }

    static func write(_ a: SyscallArguments) throws(Errno) -> Int {
        try transfer(fd: a.int32(0), buffer: a[1], count: a.byteCount(2), offset: -1, write: true)
    }

    static func pread(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(3) >= 0 else { throw .EINVAL }
        return try transfer(fd: a.int32(0), buffer: a[1], count: a.byteCount(2), offset: Int64(a.int(3)), write: false)
    }

    static func pwrite(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(3) >= 0 else { throw .EINVAL }
        return try transfer(fd: a.int32(0), buffer: a[1], count: a.byteCount(2), offset: Int64(a.int(3)), write: true)
    }

    /// readv/writev(fd, iov, count) at the file position, or, when `positioned`,
    /// preadv/pwritev(fd, iov, count, offset) at `offset` without moving it. Stops at the first
    /// short transfer; an error after some bytes moved returns the count so far.
    private static func vector(_ a: SyscallArguments, write: Bool, positioned: Bool) throws(Errno) -> Int {
        let count = a.int32(2)
        guard count >= 0, count <= maxIovecs, !positioned || a.int(3) >= 0 else { throw .EINVAL }
        let file = try currentProcess.files.file(a.int32(0))
        // As Linux: an epoll instance cannot be read or written, whatever the vector holds.
        if case .epoll? = file.object { throw positioned ? .ESPIPE : .EINVAL }
        // A socket moves the whole vector in one message (a datagram is never split).
        if file.hostKind == .socket, file.object == nil {
            guard !positioned else { throw .ESPIPE }
            return try SocketSyscalls.transferVector(file, vector: a[1], count: count, write: write)
        }
        var offset: Int64 = positioned ? Int64(a.int(3)) : -1
        try UserMemory.validate(a[1], count * 16)
        var total = 0
        for index in 0..<count {
            let entry = a[1] + UInt64(index * 16)  // inside the range validated above
            let base = try UserMemory.load(UInt64.self, from: entry)
            let length = try UserMemory.load(Int.self, from: entry + 8)
            // Linux: a negative length, or lengths whose sum passes SSIZE_MAX, is EINVAL.
            guard length >= 0, total <= Int.max - length else { throw .EINVAL }
            if length == 0 { continue }
            let moved: Int
            do throws(Errno) {
                moved = try transfer(fd: a.int32(0), buffer: base, count: length, offset: offset, write: write)
            } catch {
                if total > 0 { return total }
                throw error
            }
            total += moved
            if positioned { offset = try CheckedArithmetic.offset(offset, plus: moved) }
            if moved < length { break }
        }
        return total
    }

    static func readv(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: false, positioned: false) }
    static func writev(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: true, positioned: false) }

    static func lseek(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        if case let .synthetic(synthetic)? = file.object { return try synthetic.seek(offset: Int64(a.int(1)), whence: Int32(a.int32(2))) }
        guard file.object == nil else { throw .ESPIPE }
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
        let oNofollow = 0o400000
        // As Linux's build_open_how: O_PATH keeps only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC
        // besides itself (musl's open adds O_LARGEFILE, which the host's openat2 would refuse).
        let oPath = 0o10000000
        let flags = flags & oPath != 0 ? flags & (oPath | oDirectory | oNofollow | 0o2000000) : flags
        // As Linux's do_sys_openat2: the descriptor is reserved before the path is looked up.
        _ = try currentProcess.files.lowestFree()
        switch try KernelFileTree.lookup(path, followFinal: flags & oNofollow == 0) {
        case let .host(hostPath):
            return try openOnHost(hostPath, flags: flags, mode: mode)
        case let .node(node, canonical):
            return try openSynthetic(node, path: canonical, flags: flags, mode: mode)
        }
    }

    /// Opens a node of the kernel's own tree: a /proc file's text is generated now; a
    /// /proc/<pid>/fd/N link reopens descriptor N's file (a host file by its guest path, with the
    /// new flags and its own offset, as Linux; an object the kernel serves, or inherited stdio,
    /// shares N's open file description).
    private static func openSynthetic(_ node: SyntheticNode, path: [UInt8], flags: Int, mode: UInt32) throws(Errno) -> Int {
        let closeOnExec = flags & 0o2000000 != 0
        let oPath = 0o10000000
        let object: SyntheticFile
        switch node {
        case .link: throw .ELOOP  // O_NOFOLLOW on a link
        case .program:
            let handle = Int32(try Hypercall.path(UK_PATH_OPEN_PROGRAM, flags: UInt32(truncatingIfNeeded: flags), path: []))
            return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: [], flags: flags,
                                                                       closeOnExec: closeOnExec))
        case let .descriptor(fd):
            var file = try currentProcess.files.file(fd)
            if file.object == nil, file.path.first == PathResolver.slash {
                return try openOnHost(file.path, flags: flags, mode: mode)
            }
            file.closeOnExec = closeOnExec
            return try currentProcess.files.install(file)
        case let .directory(entries):
            guard flags & 3 == 0 || flags & oPath != 0 else { throw .EISDIR }
            object = SyntheticFile(directory: entries, path: path)
        case let .file(kind):
            guard flags & oDirectory == 0 else { throw .ENOTDIR }
            // Mode 0444: only root may open one for writing (and then every write is EINVAL).
            guard flags & 3 == 0 || flags & oPath != 0 || currentProcess.bootInfo.euid == 0 else { throw .EACCES }
            object = SyntheticFile(file: try ProcContent.generate(kind), path: path)
        }
        return try currentProcess.files.install(OpenFile(hostHandle: -1, path: path, flags: flags, object: .synthetic(object),
                                                         closeOnExec: closeOnExec))
    }

    private static func openOnHost(_ path: [UInt8], flags: Int, mode: UInt32) throws(Errno) -> Int {
        let handle = try hostOpen(path, flags: flags, mode: mode & ~UInt32(currentProcess.umask))
        return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: path, flags: flags,
                                                                   closeOnExec: flags & 0o2000000 != 0))
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

    /// Drops descriptor `fd`. With its open file description's last descriptor, the epoll items
    /// watching it go (as Linux's eventpoll_release), then the object is released or the host
    /// handle closed (the host's stdio handles stay open).
    static func release(_ fd: Int) throws(Errno) {
        let file = try currentProcess.files.remove(fd)
        if let object = file.object {
            if !currentProcess.files.shares(object) {
                Epoll.forget(.object(object))
                PipeSyscalls.release(object)
            }
            return
        }
        if !currentProcess.files.isShared(file.hostHandle) {
            Epoll.forget(.host(file.hostHandle))
            if file.hostKind == .socket { SocketSyscalls.forget(file.hostHandle) }
            if file.hostHandle > 2 { _ = Hypercall.close(handle: file.hostHandle) }
        }
    }

    static func close(_ a: SyscallArguments) throws(Errno) -> Int {
        try release(a.int32(0))
        return 0
    }

    /// The descriptor flag (FD_CLOEXEC) belongs to the new descriptor, not the file: a duplicate starts without it.
    static func dup(_ a: SyscallArguments) throws(Errno) -> Int {
        var file = try currentProcess.files.file(a.int32(0))
        file.closeOnExec = false
        return try currentProcess.files.install(file)
    }

    private static func duplicate(_ source: Int, to target: Int, closeOnExec: Bool) throws(Errno) -> Int {
        var file = try currentProcess.files.file(source)
        if target == source { return target }
        guard target >= 0, target < currentProcess.files.openLimit else { throw .EBADF }
        if (try? currentProcess.files.file(target)) != nil { try release(target) }
        file.closeOnExec = closeOnExec
        return try currentProcess.files.install(file, at: target)
    }

    static func dup2(_ a: SyscallArguments) throws(Errno) -> Int {
        try duplicate(a.int32(0), to: a.int32(1), closeOnExec: false)
    }

    static func dup3(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int32(0) != a.int32(1), a.int32(2) & ~0o2000000 == 0 else { throw .EINVAL }
        return try duplicate(a.int32(0), to: a.int32(1), closeOnExec: a.int32(2) & 0o2000000 != 0)
    }

    /// Before a host call that may block (a pipe, a terminal): while a timer of the process is
    /// armed, the host waits for the descriptor only until the timer's deadline, so that its
    /// signal ends the call as on Linux (EINTR, or a restart after an SA_RESTART handler);
    /// a host call that blocks cannot see the guest's timers.
    private static func awaitHostReadiness(_ file: OpenFile, write: Bool) throws(Errno) {
        guard file.flags & 0o4000 == 0 else { return }  // O_NONBLOCK: the host call never waits
        let wanted = (write ? Readiness.pollOut : Readiness.pollIn) | Readiness.pollErr | Readiness.pollHup
        while let earliest = TimerQueue.earliest {
            let now = Clock.monotonicNanoseconds()
            let milliseconds = Int64(earliest > now ? (earliest - now + 999_999) / 1_000_000 : 0)
            let answers = try Readiness.askHost(Readiness.HostQuery(file.hostHandle, events: wanted), milliseconds: milliseconds)
            TimerQueue.expire(now: Clock.monotonicNanoseconds())
            Scheduler.timersChanged()
            if Signals.hasDeliverable(Scheduler.current) { throw .ERESTARTSYS }
            // Not a descriptor the host can poll (or it answered nothing useful): call as before.
            guard let events = answers.answer(for: file.hostHandle), events & Readiness.pollNval == 0 else { return }
            if events & wanted != 0 { return }
        }
    }

    static func fcntl(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        switch a.int32(1) {
        case 0, 1030:  // F_DUPFD, F_DUPFD_CLOEXEC
            // Linux reads the lower bound as an `int` and compares it unsigned with RLIMIT_NOFILE:
            // a negative or too large bound is EINVAL.
            let minimum = a.uint32(2)
            guard minimum < currentProcess.files.openLimit else { throw .EINVAL }
            var copy = file
            copy.closeOnExec = a.int32(1) == 1030
            return try currentProcess.files.install(copy, minimum: minimum)
        case 1: return file.closeOnExec ? 1 : 0  // F_GETFD
        case 2:  // F_SETFD
            var changed = file
            changed.closeOnExec = a[2] & 1 != 0
            try currentProcess.files.update(a.int32(0), changed)
            return 0
        case 3:  // F_GETFL without O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_CLOEXEC
            var flags = file.flags
            // (An inotify instance's host descriptor is always non-blocking: the guest's flags tell.)
            if file.object == nil, file.hostKind == .plain, let host = try? Hypercall.file(UK_FILE_GET_FLAGS, handle: file.hostHandle) {
                // O_APPEND and O_NONBLOCK as the host file has them: another process sharing the
                // description (after fork) may have changed them.
                let hostFlags = 0o2000 | 0o4000
                flags = (flags & ~hostFlags) | (host & hostFlags)
            }
            return flags & ~0o2001700
        case 4:  // F_SETFL: O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME may change
            // File status flags belong to the open file description, shared by its duplicates.
            let settable = 0o2000 | 0o4000 | 0o20000 | 0o40000 | 0o1000000
            let hostFlags = 0o2000 | 0o4000  // O_APPEND, O_NONBLOCK: what the host file must know
            if file.object == nil, file.hostKind == .plain, (file.flags ^ a.int32(2)) & hostFlags != 0 {
                _ = try Hypercall.file(UK_FILE_SET_FLAGS, handle: file.hostHandle, value: Int64(a.int32(2) & hostFlags))
            }
            for fd in currentProcess.files.descriptors(from: 0, through: FileTable.limit) {
                var other = try currentProcess.files.file(fd)
                guard other.sameDescription(as: file) else { continue }
                other.flags = (other.flags & ~settable) | (a.int32(2) & settable)
                try currentProcess.files.update(fd, other)
            }
            return 0
        case 5, 6, 7, 36, 37, 38:  // F_GETLK, F_SETLK, F_SETLKW and the OFD variants
            if file.object == nil { return try recordLock(file, command: a.int32(1), at: a[2]) }
            // An object the kernel serves belongs to this process alone: setting always
            // succeeds, and a query finds the range unlocked (l_type = F_UNLCK).
            guard a[2] != 0 else { throw .EFAULT }
            let type = try UserMemory.load(Int16.self, from: a[2])
            guard (0...2).contains(type) else { throw .EINVAL }
            let setting = a.int32(1) != 5 && a.int32(1) != 36
            // A read lock needs a readable descriptor, a write lock a writable one (F_RDLCK 0, F_WRLCK 1).
            if setting, type == 0, file.flags & 3 == 1 { throw .EBADF }
            if setting, type == 1, file.flags & 3 == 0 { throw .EBADF }
            if a.int32(1) == 5 || a.int32(1) == 36 { try UserMemory.store(Int16(2), to: a[2]) }
            return 0
        default: throw .EINVAL
        }
    }

    // MARK: Metadata


    static func fstat(_ a: SyscallArguments) throws(Errno) -> Int {
        try PathSyscalls.statIntoData(descriptor: a.int32(0))
        try UserMemory.copyOut(from: BounceBuffer.data, to: a[1], count: statSize)
        return 0
    }

    /// Linux's `struct stat` of an object the kernel serves: a pipe (S_IFIFO), an anonymous
    /// inode (eventfd, timerfd, signalfd, epoll: no file type) owned by the process's user, or a /proc file.
    static func stat(of object: GuestObject) -> [UInt8] {
        switch object {
        case let .pipeReader(pipe), let .pipeWriter(pipe):
            return SyntheticFile.stat(mode: 0o010600, inode: ProcContent.objectInode(pipe), links: 1,
                                      device: 0x0d, blockSize: 4096)
        case .eventCounter, .epoll, .timer, .signals:
            return SyntheticFile.stat(mode: 0o600, inode: 0, links: 1, device: 0x0e, blockSize: 4096)
        case let .synthetic(synthetic):
            return synthetic.stat
        }
    }

    static func ioctl(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard file.object == nil else { throw .ENOTTY }
        let request = UInt32(truncatingIfNeeded: a[1])
        if file.hostKind == .inotify { return try InotifySyscalls.ioctl(file, request: request, argument: a[2]) }
        if file.hostKind == .socket { return try SocketSyscalls.ioctl(a.int32(0), file, request: request, argument: a[2]) }
        let (hostLength, guestLength): (Int, Int)
        switch request {
        case tcgets: (hostLength, guestLength) = (hostTermiosSize, kernelTermiosSize)
        case tiocgwinsz: (hostLength, guestLength) = (winsizeSize, winsizeSize)
        case tiocgpgrp, tiocgsid, tiocgptn, tiocgptlck, tiocgpkt: (hostLength, guestLength) = (4, 4)
        case tiocsptlck, tiocpkt: return try setTerminal(file, request: request, from: a[2], count: 4)
        case tiocgptpeer: return try openTerminalEnd(of: file, flags: a[2])
        case tiocspgrp: return try setTerminal(file, request: request, from: a[2], count: 4)
        case tcsets, tcsetsw, tcsetsf: return try setTerminal(file, request: request, from: a[2], count: kernelTermiosSize)
        case tiocswinsz: return try setTerminal(file, request: request, from: a[2], count: winsizeSize)
        case tcsbrk, tcsbrkp, tcxonc, tcflsh:
            BounceBuffer.pointer.storeBytes(of: a[2], as: UInt64.self)
            return try setTerminal(file, request: request, from: nil, count: 8)
        case tiocsctty, tiocnotty:
            // No argument reaches the host: TIOCSCTTY's "steal" flag is never passed on.
            return try Errno.check(Hypercall.ioctl(handle: file.hostHandle, request: request,
                                                   argumentPhysical: BounceBuffer.physical, length: 0))
        default: throw .ENOTTY
        }
        _ = try Errno.check(Hypercall.ioctl(handle: file.hostHandle, request: request,
                                            argumentPhysical: BounceBuffer.physical, length: hostLength))
        try UserMemory.copyOut(from: BounceBuffer.pointer, to: a[2], count: guestLength)
        return 0
    }

    /// A request that changes a host terminal (TIOCSPGRP, TCSETS*, TIOCSWINSZ, TCSBRK*, TCXONC,
    /// TCFLSH, and a multiplexer end's TIOCSPTLCK and TIOCPKT) with `count` bytes from `address`, or the value already in the bounce buffer
    /// (`address` nil). The terminal is the host's, for the runner, whose process group and
    /// session are the guest process's. A background caller that ignores or blocks SIGTTOU may
    /// make the requests Linux checks against job control (the host is told so); any other
    /// gets SIGTTOU from the host kernel, which reaches it as a forwarded signal: the call
    /// restarts after the stop, as on Linux. A descriptor that is no terminal is ENOTTY before
    /// the argument is read.
    private static func setTerminal(_ file: OpenFile, request: UInt32, from address: UInt64?, count: Int) throws(Errno) -> Int {
        if let address {
            do throws(Errno) {
                try UserMemory.copyIn(from: address, to: BounceBuffer.pointer, count: count)
            } catch {
                let probe = Hypercall.ioctl(handle: file.hostHandle, request: tcgets,
                                            argumentPhysical: BounceBuffer.physical, length: hostTermiosSize)
                throw probe == -Int64(Errno.ENOTTY.rawValue) ? .ENOTTY : error
            }
        }
        let task = Scheduler.current
        let quiet = currentProcess.signals.actions[sigttou].handler == Signals.sigIgnore
            || task.signals.blocked & Signals.bit(sigttou) != 0
        while true {
            let result = Hypercall.ioctl(handle: file.hostHandle, request: request, argumentPhysical: BounceBuffer.physical,
                                         length: count, flags: quiet ? UK_IOCTL_TTOU_IGNORED : 0)
            guard result == -Int64(Errno.EINTR.rawValue) else { return try Errno.check(result) }
            HostSignals.take()
            if Signals.hasDeliverable(task) { throw .ERESTARTSYS }
        }
    }

    /// TIOCGPTPEER: a new descriptor for the terminal end of the pseudo-terminal whose
    /// multiplexer end `file` is, opened by the host with the open flags `argument` holds (by
    /// value, as Linux reads them: an int). Its guest name is /dev/pts/N, which TIOCGPTN tells,
    /// so that /proc/self/fd shows it and reopening it there opens the terminal end again. EIO
    /// from the host for a terminal that is no multiplexer end or a locked terminal end.
    private static func openTerminalEnd(of file: OpenFile, flags argument: UInt64) throws(Errno) -> Int {
        let flags = Int(Int32(truncatingIfNeeded: argument))
        BounceBuffer.pointer.storeBytes(of: argument, as: UInt64.self)
        let handle = Int32(try Errno.check(Hypercall.ioctl(handle: file.hostHandle, request: tiocgptpeer,
                                                           argumentPhysical: BounceBuffer.physical, length: 8)))
        var path: [UInt8] = []
        if Hypercall.ioctl(handle: file.hostHandle, request: tiocgptn, argumentPhysical: BounceBuffer.physical, length: 4) == 0 {
            var name = Text()
            name.append("/dev/pts/")
            name.append(decimal: UInt64(BounceBuffer.pointer.load(as: UInt32.self)))
            path = name.bytes
        }
        return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: path, flags: flags,
                                                                   closeOnExec: flags & 0o2000000 != 0))
    }

    // MARK: Working directory

    static func getcwd(_ a: SyscallArguments) throws(Errno) -> Int {
        let path = currentProcess.workingDirectory + [0]
        guard a.int(1) >= path.count else { throw .ERANGE }
        try UserMemory.copyOut(from: path, to: a[0])
        return path.count
    }

    static func chdir(_ a: SyscallArguments) throws(Errno) -> Int {
        try changeDirectory(to: resolvePath(dirfd: atFdcwd, pathAddress: a[0]))
    }

    /// fchdir: the directory's path becomes the working directory.
    static func fchdir(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard !file.path.isEmpty else { throw .ENOTDIR }
        return try changeDirectory(to: file.path)
    }

    /// Makes `path` the working directory if it is one: on the host, or in the kernel's own tree
    /// (then its canonical path: "/proc/self" becomes "/proc/<pid>", as Linux's getcwd shows).
    private static func changeDirectory(to path: [UInt8]) throws(Errno) -> Int {
        switch try KernelFileTree.lookup(path, followFinal: true) {
        case let .host(hostPath):
            let handle = try hostOpen(hostPath, flags: oDirectory, mode: 0)
            _ = Hypercall.close(handle: handle)
            currentProcess.workingDirectory = hostPath
        case let .node(node, canonical):
            guard case .directory = node else { throw .ENOTDIR }
            currentProcess.workingDirectory = canonical
        }
        return 0
    }

    /// A record lock on a host file (fcntl F_GETLK, F_SETLK, F_SETLKW and the OFD forms) is the
    /// host's lock on its host descriptor, so the locks of the guest's processes (each a host
    /// process) and of host programs meet as on Linux. The host never waits: a waiting command
    /// retries the non-waiting one, sleeping between tries (a signal ends the wait: EINTR, or a
    /// restart after an SA_RESTART handler). Linux's deadlock detection (EDEADLK) is not done.
    private static func recordLock(_ file: OpenFile, command: Int, at address: UInt64) throws(Errno) -> Int {
        let waits = command == 7 || command == 38
        let hostCommand = command == 7 ? 6 : command == 38 ? 37 : command
        let lockSize = 32  // struct flock
        return try retryWhileBusy { () throws(Errno) -> Int? in
            try UserMemory.copyIn(from: address, to: BounceBuffer.data, count: lockSize)
            do throws(Errno) {
                _ = try Hypercall.file(UK_FILE_LOCK, handle: file.hostHandle, dataLength: lockSize, value: Int64(hostCommand))
            } catch {
                guard waits, error == .EAGAIN || error == .EACCES else { throw error }
                return nil
            }
            if hostCommand == 5 || hostCommand == 36 { try UserMemory.copyOut(from: BounceBuffer.data, to: address, count: lockSize) }
            return 0
        }
    }

    /// flock: the host's flock on a host file (so processes' locks meet); the host never waits,
    /// LOCK_EX or LOCK_SH without LOCK_NB retries as `recordLock` does. An object the kernel
    /// serves belongs to this process alone: every lock succeeds.
    static func flock(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        let operation = a.int32(1)
        let lockNB = 4
        guard operation & ~(1 | 2 | 4 | 8) == 0, operation & 11 != 0 else { throw .EINVAL }
        guard file.object == nil else { return 0 }
        return try retryWhileBusy { () throws(Errno) -> Int? in
            do throws(Errno) {
                return try Hypercall.file(UK_FILE_FLOCK, handle: file.hostHandle, value: Int64(operation))
            } catch {
                guard operation & lockNB == 0, error == .EAGAIN else { throw error }
                return nil
            }
        }
    }

    /// Runs `attempt` until it answers (nil: the lock is held elsewhere), sleeping 1, 2, 4 …
    /// up to 20 ms between tries; a signal ends the wait (ERESTARTSYS).
    private static func retryWhileBusy(_ attempt: () throws(Errno) -> Int?) throws(Errno) -> Int {
        var pause: UInt64 = 1_000_000
        while true {
            if let result = try attempt() { return result }
            if !Scheduler.sleep(until: Clock.monotonicNanoseconds() &+ pause) { throw .ERESTARTSYS }
            pause = min(pause * 2, 20_000_000)
        }
    }

    static func preadv(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: false, positioned: true) }
    static func pwritev(_ a: SyscallArguments) throws(Errno) -> Int { try vector(a, write: true, positioned: true) }
}
