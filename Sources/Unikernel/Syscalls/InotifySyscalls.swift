import UnikernelABI

/// inotify: each guest instance is a host inotify instance (UK_FILE_INOTIFY_INIT), so its
/// watch descriptors, events, cookies, queue limits and read format are the host kernel's. A
/// watch names a guest path, resolved beneath the guest's file system like every other path
/// (UK_PATH_INOTIFY_WATCH), so only the guest's own files can be watched. The descriptor is a
/// host handle (`HostKind.inotify`): poll, select, epoll, fstat, close, fork and exec treat it
/// as they treat inherited host pipes. The host instance never blocks; a blocking read waits
/// for readiness here (Readiness.waitForReadiness), so the process's other threads run meanwhile.
enum InotifySyscalls {
    static let inNonblock = 0o4000
    static let inCloexec = 0o2000000

    static let inOnlyDirectory: UInt32 = 0x0100_0000
    static let inDontFollow: UInt32 = 0x0200_0000
    static let inMaskCreate: UInt32 = 0x1000_0000
    static let inMaskAdd: UInt32 = 0x2000_0000
    /// Linux's ALL_INOTIFY_BITS: the events (IN_ALL_EVENTS), IN_UNMOUNT, IN_Q_OVERFLOW,
    /// IN_IGNORED and the flags IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_MASK_CREATE,
    /// IN_MASK_ADD, IN_ISDIR, IN_ONESHOT. A mask with none of them is EINVAL before anything else.
    static let allBits: UInt32 = 0x0000_0FFF | 0x0000_E000 | 0xF700_0000

    /// FIONREAD: the bytes of the events queued (an int).
    static let fionread: UInt32 = 0x541B

    // MARK: instances

    static func inotifyInit(_ a: SyscallArguments) throws(Errno) -> Int { try makeInstance(flags: 0) }

    /// inotify_init1(flags): IN_NONBLOCK and IN_CLOEXEC; any other bit is EINVAL.
    static func inotifyInit1(_ a: SyscallArguments) throws(Errno) -> Int { try makeInstance(flags: a.int32(0)) }

    private static func makeInstance(flags: Int) throws(Errno) -> Int {
        guard flags & ~(inNonblock | inCloexec) == 0 else { throw .EINVAL }
        let handle = Int32(try Hypercall.file(UK_FILE_INOTIFY_INIT, handle: -1))
        // As Linux's anon_inode_getfd: read-only, with the guest's O_NONBLOCK.
        return try currentProcess.files.installHostHandle(OpenFile(hostHandle: handle, path: [], flags: flags & inNonblock,
                                                                   closeOnExec: flags & inCloexec != 0, hostKind: .inotify))
    }

    /// The host handle of inotify descriptor `fd`, checked in Linux's order: EBADF for no
    /// descriptor, EINVAL for a descriptor of another kind.
    private static func instance(_ fd: Int) throws(Errno) -> Int32 {
        let file = try currentProcess.files.file(fd)
        guard file.hostKind == .inotify else { throw .EINVAL }
        return file.hostHandle
    }

    // MARK: watches

    /// inotify_add_watch(fd, pathname, mask). The checks Linux makes before the path (in its
    /// order) are made here; the path is resolved on the host beneath the guest's file system,
    /// and the host kernel adds or updates the watch (EEXIST for IN_MASK_CREATE on a watched
    /// file, IN_MASK_ADD merging, EACCES without read permission).
    static func inotifyAddWatch(_ a: SyscallArguments) throws(Errno) -> Int {
        let mask = UInt32(truncatingIfNeeded: a[2])
        guard mask & allBits != 0 else { throw .EINVAL }
        let file = try currentProcess.files.file(a.int32(0))
        guard mask & inMaskAdd == 0 || mask & inMaskCreate == 0 else { throw .EINVAL }
        guard file.hostKind == .inotify else { throw .EINVAL }
        let path = try FileSyscalls.resolvePath(dirfd: FileSyscalls.atFdcwd, pathAddress: a[1])
        let hostPath: [UInt8]
        switch try KernelFileTree.lookup(path, followFinal: mask & inDontFollow == 0) {
        case let .host(resolved):
            hostPath = resolved
        case let .node(.descriptor(fd), _):
            // /proc/self/fd/N or /dev/fd/N of a file opened by name: that file.
            let target = try currentProcess.files.file(fd)
            guard target.object == nil, target.path.first == PathResolver.slash else { throw .EACCES }
            hostPath = target.path
        case .node:
            // The files the kernel serves itself (/proc) have no host inode to watch.
            throw .EACCES
        }
        return try Hypercall.path(UK_PATH_INOTIFY_WATCH, path: hostPath, mode: UInt64(mask), value: Int64(file.hostHandle))
    }

    /// inotify_rm_watch(fd, wd): the host removes the watch and queues its IN_IGNORED event;
    /// EINVAL for a watch descriptor the instance does not have.
    static func inotifyRmWatch(_ a: SyscallArguments) throws(Errno) -> Int {
        let handle = try instance(a.int32(0))
        return try Hypercall.file(UK_FILE_INOTIFY_RM_WATCH, handle: handle, value: Int64(a.int32(1)))
    }

    // MARK: reading

    /// read(2) of an inotify descriptor: whole `struct inotify_event` records from the host
    /// instance, straight into the application's buffer (EINVAL when the next event does not
    /// fit). When none is queued: EAGAIN with O_NONBLOCK, otherwise the task waits until the
    /// host reports the instance readable (other tasks run meanwhile), and a signal ends the
    /// wait as Linux's inotify_read does (ERESTARTSYS: restarted after an SA_RESTART handler).
    static func read(_ file: OpenFile, into buffer: UInt64, count: Int) throws(Errno) -> Int {
        try UserMemory.validate(buffer, count)
        let length = min(count, FileSyscalls.transferChunk)
        let ready = length == 0 ? 0 : UserMemory.populate(buffer, length, write: true)
        guard length == 0 || ready > 0 else { throw .EFAULT }
        while true {
            do throws(Errno) {
                // A read of 0 bytes still asks the instance (EINVAL with an event queued); a readv
                // of nothing would not.
                let result = ready == 0
                    ? Hypercall.read(handle: file.hostHandle, bufferPhysical: BounceBuffer.physical, length: 0)
                    : Hypercall.transferUser(handle: file.hostHandle, address: buffer, length: ready, offset: -1, write: false)
                return try Errno.check(result)
            } catch {
                guard error == .EAGAIN, file.flags & inNonblock == 0 else { throw error }
            }
            do throws(Errno) {
                _ = try Readiness.waitForReadiness(deadline: nil, host: Readiness.HostQuery(file.hostHandle, events: Readiness.pollIn)) {
                    (host) throws(Errno) -> Int in
                    // Readable, or the handle went bad (closed by another thread): read again, and
                    // the host answers.
                    host.events(of: file.hostHandle) & (Readiness.pollIn | Readiness.pollErr | Readiness.pollNval) != 0 ? 1 : 0
                }
            } catch {
                throw error == .EINTR ? .ERESTARTSYS : error
            }
        }
    }

    /// ioctl(2) of an inotify descriptor: FIONREAD answers the bytes queued; anything else ENOTTY.
    static func ioctl(_ file: OpenFile, request: UInt32, argument: UInt64) throws(Errno) -> Int {
        guard request == fionread else { throw .ENOTTY }
        return try hostIntegerIoctl(file, request: request, argument: argument)
    }

    /// An ioctl that answers one int (FIONREAD, SIOCOUTQ), asked of the host and copied to
    /// `argument`.
    static func hostIntegerIoctl(_ file: OpenFile, request: UInt32, argument: UInt64) throws(Errno) -> Int {
        _ = try Errno.check(Hypercall.ioctl(handle: file.hostHandle, request: request,
                                            argumentPhysical: BounceBuffer.physical, length: 4))
        try UserMemory.copyOut(from: BounceBuffer.pointer, to: argument, count: 4)
        return 0
    }
}
