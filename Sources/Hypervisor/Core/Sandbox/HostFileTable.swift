import CLinux
import Glibc
import SystemPackage
import UnikernelABI

/// Why the guest's root directory could not be set up.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    case rootUnavailable(path: String, errno: Errno)
    case volumeUnavailable(path: String, errno: Errno)
    case privateDirectories(step: String, errno: Errno)

    public var description: String {
        switch self {
        case let .rootUnavailable(path, errno): return "cannot use \(path) as the guest's root directory: \(errno)"
        case let .volumeUnavailable(path, errno): return "cannot use \(path) as a volume: \(errno)"
        case let .privateDirectories(step, errno): return "cannot set up the guest's /tmp and /dev: \(step): \(errno)"
        }
    }

    /// The host's error number behind the failure.
    public var errno: Errno? {
        switch self {
        case let .rootUnavailable(_, errno), let .volumeUnavailable(_, errno), let .privateDirectories(_, errno): return errno
        }
    }
}

/// The host files the guest has open, and the guest's file system: the root directory, the
/// volumes mounted over it and the host devices the guest's /dev offers.
///
/// The guest names files by absolute guest paths; each one is resolved beneath the host
/// directory of the mount it belongs to (`GuestMounts`): `..`, absolute symlinks and `/proc`
/// magic links all stay inside the guest's file system, atomically, whatever the guest or
/// another host process does meanwhile. Handles 0, 1 and 2 are the hypervisor's own stdin,
/// stdout and stderr.
public final class HostFileTable {
    /// Bytes of a Linux x86-64 `struct stat`.
    public static let linuxStatSize: UInt64 = 144
    /// The most files the guest may hold open at once (as RLIMIT_NOFILE's usual soft limit).
    public static let maximumOpenFiles = 1024

    /// The root and the volumes.
    public let mounts: GuestMounts
    /// The guest path of the /dev whose device names are the host's devices (nil: none).
    let devicesDirectory: [UInt8]?
    /// Open host descriptors by handle; stdio handles are borrowed, never closed.
    private var descriptors: [Int32: Int32] = [0: 0, 1: 1, 2: 2]
    /// Handles opened on a read-only mount (their metadata cannot change either).
    private var readOnlyHandles = Set<Int32>()
    private var nextHandle: Int32 = 3
    /// What the guest's sockets may do (`--net`, `--net-allow`, `--net-listen`) and the
    /// namespace of its abstract AF_UNIX names (one of its own when none is given).
    public var network = NetworkPolicy.host {
        didSet { if network.abstractNamespace.isEmpty { network.abstractNamespace = oldValue.abstractNamespace } }
    }
    /// The refusals already reported on stderr (each kind once).
    var reportedRefusals = Set<String>()

    /// The device files a guest's /dev offers: the host's own, opened by the host for it
    /// (ptmx: a new pseudo-terminal of the host's devpts for each open).
    public static let devices: [[UInt8]] = ["null", "zero", "full", "random", "urandom", "tty", "ptmx"].map { Array($0.utf8) }

    /// Opens `rootDirectory` as the guest's root (`readOnly`: every write to it fails with
    /// EROFS) and each volume, and mounts the private directory's volumes (made when first
    /// used); `devicesAt` names the guest directory whose `devices` are the host's.
    public init(rootDirectory: String, readOnly: Bool = false, volumes: [VolumeSpec] = [],
                privateVolumes: [PrivateDirectories.Mount] = [], devicesAt: String? = nil) throws(SandboxError) {
        mounts = try GuestMounts(root: rootDirectory, readOnlyRoot: readOnly, volumes: volumes, privateVolumes: privateVolumes)
        devicesDirectory = devicesAt.map { Array($0.utf8) }
        network.abstractNamespace = NetworkPolicy.freshNamespace()
    }

    /// Whether everything the guest sees is read-only (the root and every volume).
    public var isReadOnly: Bool { mounts.mounts.allSatisfy(\.readOnly) }

    /// Whether `path` lies on a read-only mount.
    func isReadOnly(_ path: [UInt8]) -> Bool { mounts.locate(path).mount.readOnly }

    deinit {
        for (handle, fd) in descriptors where handle > 2 { Glibc.close(fd) }
        if programDescriptor >= 0 { Glibc.close(programDescriptor) }
    }

    /// Opens an absolute guest path beneath the root. Returns a handle or -errno.
    public func open(path: [UInt8], flags: Int32, mode: UInt32) -> Int64 {
        guard !path.contains(0) else { return -Int64(EINVAL) }
        guard !path.isEmpty else { return -Int64(ENOENT) }
        guard descriptors.count < HostFileTable.maximumOpenFiles + 3 else { return -Int64(EMFILE) }
        let readOnly = isReadOnly(path)
        if readOnly, HostFileTable.writes(flags: flags) { return -Int64(EROFS) }
        // open(2) ignores unknown flag bits and the mode without O_CREAT/O_TMPFILE;
        // openat2(2) refuses both with EINVAL, so pass only what open would use.
        let known = flags & HostFileTable.validOpenFlags
        let usesMode = known & O_CREAT != 0 || known & HostFileTable.temporaryFileFlag == HostFileTable.temporaryFileFlag
        let fd = resolve(path, flags: known | O_CLOEXEC, mode: usesMode ? mode : 0)
        guard fd >= 0 else { return -Int64(Glibc.errno) }
        while descriptors[nextHandle] != nil { nextHandle &+= 1 }
        let handle = nextHandle
        descriptors[handle] = fd
        if readOnly { readOnlyHandles.insert(handle) }
        nextHandle &+= 1
        return Int64(handle)
    }

    /// The running program's file, kept open from the moment it was loaded (what the guest's
    /// /proc/self/exe opens): never looked up again by name, so renaming or replacing the path
    /// afterwards changes nothing, as on Linux. -1 when unknown.
    public var programDescriptor: Int32 = -1 {
        willSet { if programDescriptor >= 0 { Glibc.close(programDescriptor) } }
    }

    /// Opens the running program's file again for reading (/proc/self/exe): a new open file
    /// description of the same file. Write access is ETXTBSY, as for any running program.
    func openProgram(flags: Int32) -> Int64 {
        guard programDescriptor >= 0 else { return -Int64(ENOENT) }
        if flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0 { return -Int64(ETXTBSY) }
        if flags & O_DIRECTORY != 0 { return -Int64(ENOTDIR) }
        guard descriptors.count < HostFileTable.maximumOpenFiles + 3 else { return -Int64(EMFILE) }
        let fd = Glibc.open(HostFileTable.procPath(programDescriptor), O_RDONLY | O_CLOEXEC | (flags & O_NONBLOCK))
        guard fd >= 0 else { return -Int64(Glibc.errno) }
        return adopt(fd)
    }

    /// Whether a handle was opened on a read-only mount.
    func isReadOnly(handle: Int32) -> Bool { readOnlyHandles.contains(handle) }

    /// Registers host descriptor `fd`, kept across the guest's execve, as handle `fd` (the
    /// kernel's inherited descriptors name it so); it becomes close-on-exec again.
    public func adoptInherited(_ fd: Int32) {
        guard fd > 2, descriptors[fd] == nil, fcntl(fd, F_GETFD) >= 0 else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        descriptors[fd] = fd
        if nextHandle == fd { nextHandle &+= 1 }
    }

    /// Takes ownership of host descriptor `fd` (a pipe end the host made for the guest) and
    /// returns its handle, or -EMFILE (closing `fd`) when the table is full.
    public func adopt(_ fd: Int32) -> Int64 {
        guard descriptors.count < HostFileTable.maximumOpenFiles + 3 else {
            Glibc.close(fd)
            return -Int64(EMFILE)
        }
        while descriptors[nextHandle] != nil { nextHandle &+= 1 }
        let handle = nextHandle
        descriptors[handle] = fd
        nextHandle &+= 1
        return Int64(handle)
    }

    /// Opens a guest path in the guest's file system: the one place guest paths reach the
    /// host's file system. Returns the fd, or -1 with errno set. A device name in the guest's
    /// /dev is the host's device of that name (opened with the same flags); a name in its
    /// /dev/pts is the terminal end of a pseudo-terminal the guest holds, or nothing
    /// (`openTerminalEnd(named:flags:)`); every other path is resolved inside its mount
    /// (`GuestMounts.open`).
    func resolve(_ path: [UInt8], flags: Int32, mode: UInt32 = 0) -> Int32 {
        let path = GuestMounts.normalise(path)
        if let name = terminalName(path) { return openTerminalEnd(named: name, flags: flags | O_CLOEXEC) }
        if let device = hostDevice(path) {
            return device.withCString { Glibc.open($0, flags | O_CLOEXEC, mode_t(mode & 0o7777)) }
        }
        return mounts.open(path, flags: flags, mode: mode)
    }

    /// The host path of the device a normalised guest path names, if it names one.
    private func hostDevice(_ path: [UInt8]) -> String? {
        guard let directory = devicesDirectory, path.count > directory.count + 1, path.starts(with: directory),
              path[directory.count] == GuestMounts.slash else { return nil }
        let name = Array(path[(directory.count + 1)...])
        guard HostFileTable.devices.contains(name) else { return nil }
        return "/dev/" + String(decoding: name, as: UTF8.self)
    }

    /// Every open(2) flag Linux defines on x86-64 (its VALID_OPEN_FLAGS).
    static let validOpenFlags: Int32 = 0o37777703
    /// O_TMPFILE (which includes O_DIRECTORY).
    static let temporaryFileFlag: Int32 = 0o20200000

    /// Whether open `flags` ask to modify the file system (write access, create, truncate).
    static func writes(flags: Int32) -> Bool {
        flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0
    }

    /// Closes a handle. Returns 0 or -errno.
    public func close(handle: Int32) -> Int64 {
        guard let fd = descriptors.removeValue(forKey: handle) else { return -Int64(EBADF) }
        readOnlyHandles.remove(handle)
        if handle > 2 { Glibc.close(fd) }
        return 0
    }

    /// The host descriptor behind a handle.
    func descriptor(_ handle: Int32) -> Int32? { descriptors[handle] }

    /// Every host descriptor the table holds, the borrowed stdio included.
    var openDescriptors: Dictionary<Int32, Int32>.Values { descriptors.values }

    /// Whether the table has room for another handle.
    var hasRoom: Bool { descriptors.count < HostFileTable.maximumOpenFiles + 3 }

    /// Reads into `buffer` at the file position (offset < 0) or at `offset`. Returns bytes or -errno.
    public func read(handle: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        return HostFileTable.hostCall {
            offset < 0 ? Glibc.read(fd, buffer.baseAddress, buffer.count) : pread(fd, buffer.baseAddress, buffer.count, Int(offset))
        }
    }

    /// Writes `buffer` at the file position (offset < 0) or at `offset`. Returns bytes or -errno.
    public func write(handle: Int32, from buffer: UnsafeRawBufferPointer, offset: Int64) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        return HostFileTable.hostCall {
            offset < 0 ? Glibc.write(fd, buffer.baseAddress, buffer.count) : pwrite(fd, buffer.baseAddress, buffer.count, Int(offset))
        }
    }

    /// Gathers `vectors` into a file at its position (offset < 0) or at `offset`. Returns bytes or -errno.
    public func write(handle: Int32, vectors: [iovec], offset: Int64) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        return vectors.withUnsafeBufferPointer { list in
            HostFileTable.hostCall {
                offset < 0 ? writev(fd, list.baseAddress, Int32(list.count)) : pwritev(fd, list.baseAddress, Int32(list.count), Int(offset))
            }
        }
    }

    /// Scatters file bytes into `vectors` from its position (offset < 0) or `offset`. Returns bytes or -errno.
    public func read(handle: Int32, vectors: [iovec], offset: Int64) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        return vectors.withUnsafeBufferPointer { list in
            HostFileTable.hostCall {
                offset < 0 ? readv(fd, list.baseAddress, Int32(list.count)) : preadv(fd, list.baseAddress, Int32(list.count), Int(offset))
            }
        }
    }

    /// Moves the file position. Returns the new offset or -errno.
    public func seek(handle: Int32, offset: Int64, whence: Int32) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        let result = lseek(fd, Int(offset), whence)
        return result < 0 ? -Int64(Glibc.errno) : Int64(result)
    }

    /// Fills `destination` with the Linux `struct stat` of a handle. Returns 0 or -errno.
    public func status(handle: Int32, into destination: UnsafeMutableRawBufferPointer) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return -Int64(Glibc.errno) }
        // glibc's x86-64 `struct stat` has the kernel's layout; copy it verbatim.
        withUnsafeBytes(of: &info) { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(destination.count))) }
        return 0
    }

    /// How a forwarded terminal request moves its argument, and whether Linux checks it
    /// against job control (tty_check_change: a background process that neither ignores nor
    /// blocks SIGTTOU is stopped by it).
    enum TerminalRequest {
        /// The host's answer, `bytes` long, goes back to the guest.
        case answer(bytes: Int)
        /// The guest's `bytes` go to the host.
        case given(bytes: Int, jobControl: Bool)
        /// An integer passed by value (8 bytes from the guest).
        case value(jobControl: Bool)
        /// No argument.
        case none
        /// TIOCGPTPEER: the open flags passed by value (8 bytes from the guest); the host's new
        /// descriptor for the terminal end becomes a handle, the result.
        case peer

        init?(_ request: UInt32) {
            switch UInt(request) {
            case UInt(TCGETS): self = .answer(bytes: 36) // the kernel's struct termios
            case UInt(TIOCGWINSZ): self = .answer(bytes: 8)
            case UInt(FIONREAD), UInt(TIOCOUTQ): self = .answer(bytes: 4) // an int: bytes ready / not yet sent
            case UInt(TIOCGPGRP), UInt(TIOCGSID): self = .answer(bytes: 4) // a pid_t
            case UInt(TIOCSPGRP): self = .given(bytes: 4, jobControl: true)
            case UInt(TCSETS), UInt(TCSETSW), UInt(TCSETSF): self = .given(bytes: 36, jobControl: true)
            case UInt(TIOCSWINSZ): self = .given(bytes: 8, jobControl: false)
            case UInt(TCSBRK), UInt(TCSBRKP), UInt(TCXONC), UInt(TCFLSH): self = .value(jobControl: true)
            // Force 0: a terminal that is another session's controlling terminal stays its own
            // (EPERM), whatever privileges the runner has.
            case UInt(TIOCSCTTY), UInt(TIOCNOTTY): self = .none
            // A pseudo-terminal's multiplexer end: ints answered or given, and TIOCGPTPEER.
            case UInt(PseudoTerminal.number), UInt(PseudoTerminal.lockState), UInt(PseudoTerminal.packetState):
                self = .answer(bytes: 4)
            case UInt(PseudoTerminal.setLock), UInt(PseudoTerminal.setPacketMode): self = .given(bytes: 4, jobControl: false)
            case UInt(PseudoTerminal.openPeer): self = .peer
            default: return nil
            }
        }
    }

    /// Forwards a terminal request (TerminalRequest) on a handle: answers TCGETS, TIOCGWINSZ,
    /// FIONREAD, TIOCOUTQ (SIOCOUTQ), TIOCGPGRP or TIOCGSID into `argument`; sets the settings
    /// (TCSETS, TCSETSW, TCSETSF), the window size (TIOCSWINSZ) or the foreground process group
    /// (TIOCSPGRP) from it; sends a break, waits for output (TCSBRK, TCSBRKP), suspends or
    /// resumes transmission (TCXONC) or discards queued data (TCFLSH) with the value it holds;
    /// or makes the terminal the runner's controlling terminal (TIOCSCTTY, never stealing it
    /// from another session) or gives it up (TIOCNOTTY). On a pseudo-terminal's multiplexer
    /// end: answers its number (TIOCGPTN), lock (TIOCGPTLCK) or packet mode (TIOCGPKT); locks or
    /// unlocks its terminal end (TIOCSPTLCK) or sets packet mode (TIOCPKT); or opens its
    /// terminal end with the open flags `argument` holds (TIOCGPTPEER: returns the new handle).
    /// The process groups and session are the runner's, which are the guest process's. `flags`
    /// UK_IOCTL_TTOU_IGNORED: the guest ignores or blocks SIGTTOU. Returns 0, a handle or -errno
    /// (ENOTTY from the host for a descriptor that is no terminal, EIO for TIOCGPTPEER on a
    /// terminal that is no multiplexer end).
    public func terminalControl(handle: Int32, request: UInt32, flags: UInt32 = 0,
                                into argument: UnsafeMutableRawBufferPointer) -> Int64 {
        guard let fd = descriptors[handle] else { return -Int64(EBADF) }
        guard let shape = TerminalRequest(request) else { return -Int64(ENOTTY) }
        let quiet = flags & UK_IOCTL_TTOU_IGNORED != 0
        let result: Int
        switch shape {
        case .none:
            result = Int(ckvm_ioctl_value(fd, UInt(request), 0))
        case .peer:
            guard argument.count >= 8 else { return -Int64(EFAULT) }
            return openTerminalEnd(of: fd, flags: Int32(truncatingIfNeeded: argument.loadUnaligned(as: UInt.self)))
        case let .value(jobControl):
            guard argument.count >= 8 else { return -Int64(EFAULT) }
            let value = argument.loadUnaligned(as: UInt.self)
            result = Int(HostFileTable.withTerminalStopsBlocked(jobControl && quiet) {
                ckvm_ioctl_value(fd, UInt(request), value)
            })
        case let .answer(bytes), let .given(bytes, _):
            guard argument.count >= bytes else { return -Int64(EFAULT) }
            var scratch = [UInt8](repeating: 0, count: 64)
            var jobControl = false
            if case let .given(_, checked) = shape {
                jobControl = checked
                for index in 0..<bytes { scratch[index] = argument[index] }
            }
            result = Int(HostFileTable.withTerminalStopsBlocked(jobControl && quiet) {
                scratch.withUnsafeMutableBytes { ckvm_ioctl_ptr(fd, UInt(request), $0.baseAddress) }
            })
            if result >= 0, case .answer = shape { argument.copyBytes(from: scratch.prefix(bytes)) }
        }
        return result < 0 ? -Int64(Glibc.errno) : 0
    }

    /// Runs `body` with SIGTTOU blocked in this thread when `blocked`: the host kernel then lets
    /// a background process change its terminal's foreground group, as Linux lets a caller
    /// that ignores or blocks SIGTTOU (the runner itself always catches it, for the guest).
    static func withTerminalStopsBlocked<T>(_ blocked: Bool, _ body: () -> T) -> T {
        guard blocked else { return body() }
        var stops = sigset_t(), previous = sigset_t()
        sigemptyset(&stops)
        sigaddset(&stops, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &stops, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return body()
    }

    /// Runs one blocking host call. EINTR is not retried: the only signals the
    /// runner catches (timeout, SIGINT, SIGTERM) end the run at the next KVM_RUN.
    /// A blocking host call (a pipe or terminal read, a full pipe's write): a signal the run
    /// loop uses (the tick, a kick) interrupts it with EINTR, and it runs again, unless the
    /// signal is for the guest or stops the run (then the guest's kernel sees EINTR).
    private static func hostCall(_ body: () -> Int) -> Int64 {
        while true {
            let result = body()
            if result >= 0 { return Int64(result) }
            let error = Glibc.errno
            if error == EINTR, ckvm_interrupt_wanted() == 0 { continue }
            return -Int64(error)
        }
    }
}
