/// One open file description of the application: the host handle behind it,
/// the guest path it was opened with (for *at() calls relative to it) and
/// its open flags (for fcntl F_GETFL).
struct OpenFile {
    var hostHandle: Int32
    var path: [UInt8]
    var flags: Int
    /// A pipe end, counter or epoll instance served in the guest (then hostHandle is -1).
    var object: GuestObject? = nil
    /// FD_CLOEXEC (kept for F_GETFD; no exec ever happens).
    var closeOnExec = false
    /// What the host handle is, when the kernel must treat it apart from files and pipes.
    var hostKind = HostKind.plain

    /// Whether two descriptors share one open file description (dup).
    func sameDescription(as other: OpenFile) -> Bool {
        if hostHandle >= 0 { return hostHandle == other.hostHandle }
        guard let object, let otherObject = other.object else { return false }
        return object.isSame(as: otherObject)
    }
}

/// What kind of host descriptor an open file's host handle is (uk_inherited_fd.kind, so it
/// survives execve).
enum HostKind: Int32 {
    /// A host file, directory, device, pipe or inherited stdio: reads and writes are the host's.
    case plain = 0
    /// A host inotify instance (InotifySyscalls): always non-blocking on the host, while the
    /// guest's O_NONBLOCK says whether a read waits (by polling, so no vCPU blocks in the host).
    case inotify = 1
    /// A host socket (SocketSyscalls), non-blocking on the host like an inotify instance.
    case socket = 2
    /// A host pidfd (PidfdSyscalls): the guest's O_NONBLOCK is its own, the host's always blocks.
    case pidfd = 3
}

/// The process's file-descriptor table: index = fd. Descriptors 0, 1 and 2
/// start as the host's stdin, stdout and stderr (host handles 0, 1, 2).
struct FileTable {
    static let limit = 1024
    private var slots: [OpenFile?] = []
    /// How many descriptors the table has room for, as Linux's `fdtable.max_fds`: 64 at
    /// start, grown (never shrunk) to the next size a newly installed descriptor needs.
    /// select/pselect6 look at no descriptor at or beyond it.
    private(set) var capacity = 64
    /// RLIMIT_NOFILE's soft limit as the table enforces it (prlimit64 keeps it equal to
    /// `Process.limits`, at most `limit`): a new descriptor must lie below it (EMFILE), and so
    /// must dup2's and dup3's target (EBADF) and F_DUPFD's lower bound (EINVAL).
    var openLimit = FileTable.limit

    init() {}

    static func standard() -> FileTable {
        var table = FileTable()
        table.slots = [OpenFile(hostHandle: 0, path: [], flags: 0),
                       OpenFile(hostHandle: 1, path: [], flags: 1),
                       OpenFile(hostHandle: 2, path: [], flags: 1)]
        return table
    }

    func file(_ fd: Int) throws(Errno) -> OpenFile {
        guard fd >= 0, fd < slots.count, let file = slots[fd] else { throw .EBADF }
        return file
    }

    /// Installs `file`, a host handle the host just opened for it, at the lowest free
    /// descriptor; the handle is closed when no descriptor is free (EMFILE).
    mutating func installHostHandle(_ file: OpenFile) throws(Errno) -> Int {
        do throws(Errno) {
            return try install(file)
        } catch {
            _ = Hypercall.close(handle: file.hostHandle)
            throw error
        }
    }

    /// Installs `file` at the lowest free descriptor (or at `fd` exactly when given).
    mutating func install(_ file: OpenFile, at fd: Int? = nil, minimum: Int = 0) throws(Errno) -> Int {
        if let fd {
            guard fd >= 0, fd < FileTable.limit else { throw .EBADF }
            while slots.count <= fd { slots.append(nil) }
            slots[fd] = file
            grow(toHold: fd)
            return fd
        }
        guard minimum >= 0 else { throw .EINVAL }
        let index = try lowestFree(from: minimum)
        while slots.count <= index { slots.append(nil) }
        slots[index] = file
        grow(toHold: index)
        return index
    }

    /// The lowest free descriptor at or above `minimum`; EMFILE when it would reach the limit.
    func lowestFree(from minimum: Int = 0) throws(Errno) -> Int {
        var index = minimum
        while index < slots.count, slots[index] != nil { index += 1 }
        guard index < min(openLimit, FileTable.limit) else { throw .EMFILE }
        return index
    }

    /// Linux's growth rule: room for `fd` rounded up to a power of two times 128 slots.
    private mutating func grow(toHold fd: Int) {
        guard fd >= capacity else { return }
        var blocks = 1
        while blocks * 128 <= fd { blocks *= 2 }
        capacity = min(blocks * 128, FileTable.limit)
    }

    /// Removes `fd` and returns its file.
    mutating func remove(_ fd: Int) throws(Errno) -> OpenFile {
        let file = try file(fd)
        slots[fd] = nil
        return file
    }

    /// Whether another descriptor still refers to `hostHandle` (after dup).
    func isShared(_ hostHandle: Int32) -> Bool {
        for slot in slots where slot?.hostHandle == hostHandle { return true }
        return false
    }

    /// Whether a descriptor still refers to the same guest object.
    func shares(_ object: GuestObject) -> Bool {
        for slot in slots {
            if let other = slot?.object, other.isSame(as: object) { return true }
        }
        return false
    }

    /// Replaces the file at an open descriptor (fcntl F_SETFD/F_SETFL).
    mutating func update(_ fd: Int, _ file: OpenFile) throws(Errno) {
        _ = try self.file(fd)
        slots[fd] = file
    }

    /// Open descriptors in [first, last].
    func descriptors(from first: Int, through last: Int) -> [Int] {
        var result: [Int] = []
        var fd = max(first, 0)
        while fd < slots.count && fd <= last {
            if slots[fd] != nil { result.append(fd) }
            fd += 1
        }
        return result
    }
}
