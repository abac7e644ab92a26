import CLinux
import Glibc
import UnikernelABI

/// Path and handle operations beyond open/read/write, with the same
/// confinement: every path is resolved inside its mount of the guest's file system
/// (`resolve`, `GuestMounts`). Operations that follow a path
/// act on an O_PATH descriptor of the resolved file (through its
/// /proc/self/fd link where Linux has no fd-based call); operations that
/// create, remove or rename a name act on the resolved parent directory and a
/// single final component, which is never followed.
extension HostFileTable {
    /// Bytes of `struct statfs` on x86-64.
    public static let linuxStatfsSize: UInt64 = 120

    /// A path operation; `path2` and `buffer` as the operation needs them.
    public struct PathRequest: Equatable, Sendable {
        public var operation: UInt32
        public var flags: UInt32
        public var path: [UInt8]
        public var path2: [UInt8]
        public var mode: UInt64
        public var value: Int64

        public init(operation: UInt32, flags: UInt32 = 0, path: [UInt8], path2: [UInt8] = [], mode: UInt64 = 0, value: Int64 = 0) {
            self.operation = operation
            self.flags = flags
            self.path = path
            self.path2 = path2
            self.mode = mode
            self.value = value
        }
    }

    /// The files of the host's /proc that UK_PATH_SYSTEM_FILE reads: machine-wide facts the
    /// guest's /proc shows (the kernel keeps only its own CPUs of cpuinfo and stat).
    static let systemFiles: Set<String> = ["cpuinfo", "stat", "loadavg", "sys/kernel/pid_max",
                                           "sys/kernel/random/boot_id", "sys/kernel/random/uuid"]

    /// Reads one of `systemFiles` into `buffer` (as much as fits), or "mounts": the guest's
    /// mount table (GuestMounts.procMountsText); returns its length or -errno.
    func readSystemFile(_ name: [UInt8], into buffer: UnsafeMutableRawBufferPointer?) -> Int64 {
        guard let buffer, let name = String(validating: name, as: UTF8.self) else { return -Int64(ENOENT) }
        if name == "mounts" {
            let text = Array(mounts.procMountsText.utf8.prefix(buffer.count))
            buffer.copyBytes(from: text)
            return Int64(text.count)
        }
        guard HostFileTable.systemFiles.contains(name) else { return -Int64(ENOENT) }
        let fd = Glibc.open("/proc/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -Int64(errno) }
        defer { Glibc.close(fd) }
        var total = 0
        while total < buffer.count {
            let count = Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            total += count
        }
        return Int64(total)
    }

    /// Performs a path operation; returns >= 0 or -errno.
    public func perform(_ request: PathRequest, buffer: UnsafeMutableRawBufferPointer?) -> Int64 {
        if request.operation == UK_PATH_SYSTEM_FILE.rawValue { return readSystemFile(request.path, into: buffer) }
        if request.operation == UK_PATH_OPEN_PROGRAM.rawValue { return openProgram(flags: Int32(bitPattern: request.flags)) }
        if HostFileTable.modifies(request.operation) {
            // The name a symlink creates is path2; rename and link change both sides.
            let changed = request.operation == UK_PATH_SYMLINK.rawValue ? [request.path2]
                : request.operation == UK_PATH_RENAME.rawValue || request.operation == UK_PATH_LINK.rawValue
                    ? [request.path, request.path2] : [request.path]
            if changed.contains(where: { isReadOnly($0) }) { return -Int64(EROFS) }
            // As between two Linux mounts: no rename or hard link from one to another.
            if request.operation == UK_PATH_RENAME.rawValue || request.operation == UK_PATH_LINK.rawValue,
               mounts.locate(request.path).mount.guestPath
                != mounts.locate(request.path2).mount.guestPath { return -Int64(EXDEV) }
        }
        switch request.operation {
        case UK_PATH_STAT.rawValue, UK_PATH_LSTAT.rawValue:
            return withPath(request.path, noFollow: request.operation == UK_PATH_LSTAT.rawValue) { fd in
                guard let buffer, UInt64(buffer.count) >= HostFileTable.linuxStatSize else { return -Int64(EFAULT) }
                var info = stat()
                guard fstat(fd, &info) == 0 else { return -Int64(errno) }
                withUnsafeBytes(of: &info) { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count))) }
                return 0
            }
        case UK_PATH_READLINK.rawValue:
            return withPath(request.path, noFollow: true) { fd in
                guard let buffer, buffer.count > 0 else { return -Int64(EINVAL) }
                let count = readlinkat(fd, "", buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
                if count < 0 {
                    // An O_PATH descriptor of something that is not a link answers ENOENT; Linux's readlink says EINVAL.
                    var info = stat()
                    if errno == ENOENT, fstat(fd, &info) == 0, info.st_mode & S_IFMT != S_IFLNK { return -Int64(EINVAL) }
                    return -Int64(errno)
                }
                return Int64(count)
            }
        case UK_PATH_ACCESS.rawValue:
            return withPath(request.path, noFollow: false) { fd in
                clinux_faccessat2(fd, "", Int32(truncatingIfNeeded: request.mode), CLINUX_AT_EMPTY_PATH) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_STATFS.rawValue:
            return withPath(request.path, noFollow: false) { fd in statfs(of: fd, into: buffer) }
        case UK_PATH_CHMOD.rawValue:
            return withPath(request.path, noFollow: false) { fd in
                if HostFileTable.isDevice(fd) { return -Int64(EPERM) }
                return chmod(HostFileTable.procPath(fd), mode_t(request.mode & 0o7777)) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_TRUNCATE.rawValue:
            let handle = open(path: request.path, flags: O_WRONLY, mode: 0)
            guard handle >= 0 else { return handle }
            defer { _ = close(handle: Int32(handle)) }
            return file(handle: Int32(handle), operation: UK_FILE_TRUNCATE.rawValue, buffer: nil, value: request.value)
        case UK_PATH_UTIMENS.rawValue:
            let noFollow = request.flags & UInt32(AT_SYMLINK_NOFOLLOW) != 0
            let times = buffer.flatMap { $0.count >= 32 ? $0.baseAddress!.assumingMemoryBound(to: timespec.self) : nil }
            return withPath(request.path, noFollow: noFollow) { fd in
                if HostFileTable.isDevice(fd) { return -Int64(EPERM) }
                var info = stat()
                if noFollow, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    // The link itself: its parent and name, never followed.
                    return withParent(request.path) { parent, name in
                        utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -Int64(errno)
                    }
                }
                // The file the descriptor names, through its /proc link (followed).
                return utimensat(AT_FDCWD, HostFileTable.procPath(fd), times, 0) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_CHOWN.rawValue:
            let owner = uid_t(truncatingIfNeeded: request.value), group = gid_t(truncatingIfNeeded: request.value >> 32)
            let noFollow = request.flags & UInt32(AT_SYMLINK_NOFOLLOW) != 0
            return withPath(request.path, noFollow: noFollow) { fd in
                if HostFileTable.isDevice(fd) { return -Int64(EPERM) }
                var info = stat()
                if noFollow, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    return withParent(request.path) { parent, name in
                        fchownat(parent, name, owner, group, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -Int64(errno)
                    }
                }
                return chown(HostFileTable.procPath(fd), owner, group) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_MKDIR.rawValue:
            if mounts.isMountPoint(request.path) { return -Int64(EEXIST) }
            return withParent(request.path) { parent, name in
                mkdirat(parent, name, mode_t(request.mode & 0o7777)) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_UNLINK.rawValue, UK_PATH_RMDIR.rawValue:
            let flags = request.operation == UK_PATH_RMDIR.rawValue ? AT_REMOVEDIR : 0
            return withParent(request.path) { parent, name in
                unlinkat(parent, name, flags) == 0 ? 0 : -Int64(errno)
            }
        case UK_PATH_RENAME.rawValue:
            return withParent(request.path) { oldParent, oldName in
                withParent(request.path2) { newParent, newName in
                    clinux_renameat2(oldParent, oldName, newParent, newName, request.flags) == 0 ? 0 : -Int64(errno)
                }
            }
        case UK_PATH_LINK.rawValue:
            return withPath(request.path, noFollow: true) { existing in
                withParent(request.path2) { parent, name in
                    linkat(AT_FDCWD, HostFileTable.procPath(existing), parent, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -Int64(errno)
                }
            }
        case UK_PATH_GETXATTR.rawValue, UK_PATH_LISTXATTR.rawValue, UK_PATH_SETXATTR.rawValue, UK_PATH_REMOVEXATTR.rawValue:
            return extendedAttribute(request, buffer: buffer)
        case UK_PATH_INOTIFY_WATCH.rawValue:
            return addInotifyWatch(request)
        case UK_PATH_SYMLINK.rawValue:
            // The link's text is stored verbatim; following it later is confined by openat2.
            guard !request.path.contains(0) else { return -Int64(EINVAL) }
            return withParent(request.path2) { parent, name in
                (request.path + [0]).withUnsafeBufferPointer { text in
                    text.withMemoryRebound(to: CChar.self) { symlinkat($0.baseAddress!, parent, name) }
                } == 0 ? 0 : -Int64(errno)
            }
        default:
            return -Int64(EINVAL)
        }
    }

    /// Performs an operation on an open handle; returns >= 0 or -errno.
    /// `user` reaches the application's buffers (socket sends and receives move data straight).
    public func file(handle: Int32, operation: UInt32, buffer: UnsafeMutableRawBufferPointer?, value: Int64,
                     user: UserBuffers? = nil) -> Int64 {
        if operation == UK_FILE_POLL.rawValue { return poll(buffer, timeout: value) }
        if operation == UK_FILE_INOTIFY_INIT.rawValue { return makeInotifyInstance() }
        if operation == UK_FILE_SOCKET.rawValue { return socketCall(handle: handle, buffer: buffer, user: user) }
        guard let fd = descriptor(handle) else { return -Int64(EBADF) }
        let changesMetadata = operation == UK_FILE_TRUNCATE.rawValue || operation == UK_FILE_CHMOD.rawValue
            || operation == UK_FILE_UTIMENS.rawValue || operation == UK_FILE_CHOWN.rawValue
        if changesMetadata, isReadOnly(handle: handle) { return -Int64(EROFS) }
        // The host's devices are lent to the guest, not given: their metadata stays the host's.
        if changesMetadata, operation != UK_FILE_TRUNCATE.rawValue, HostFileTable.isDevice(fd) { return -Int64(EPERM) }
        let result: Int
        switch operation {
        case UK_FILE_GETDENTS.rawValue:
            guard let buffer, buffer.count > 0 else { return -Int64(EINVAL) }
            result = clinux_getdents64(fd, buffer.baseAddress, buffer.count)
        case UK_FILE_TRUNCATE.rawValue:
            result = Int(ftruncate(fd, Int(value)))
        case UK_FILE_SYNC.rawValue:
            result = Int(fsync(fd))
        case UK_FILE_DATASYNC.rawValue:
            result = Int(fdatasync(fd))
        case UK_FILE_CHMOD.rawValue:
            result = Int(fchmod(fd, mode_t(UInt64(bitPattern: value) & 0o7777)))
        case UK_FILE_STATFS.rawValue:
            return statfs(of: fd, into: buffer)
        case UK_FILE_CHOWN.rawValue:
            result = Int(fchown(fd, uid_t(truncatingIfNeeded: value), gid_t(truncatingIfNeeded: value >> 32)))
        case UK_FILE_GET_FLAGS.rawValue:
            result = Int(fcntl(fd, F_GETFL))
        case UK_FILE_LINK_NAME.rawValue:
            guard let buffer, buffer.count > 0 else { return -Int64(EINVAL) }
            result = readlink(HostFileTable.procPath(fd), buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
        case UK_FILE_SET_FLAGS.rawValue:
            // O_APPEND decides where the host's writes land, O_NONBLOCK whether its reads and
            // writes of a pipe or terminal wait; the kernel keeps the other status flags.
            let current = fcntl(fd, F_GETFL)
            guard current >= 0 else { return -Int64(errno) }
            let host = O_APPEND | O_NONBLOCK
            result = Int(fcntl(fd, F_SETFL, (current & ~host) | (Int32(truncatingIfNeeded: value) & host)))
        case UK_FILE_SENDFILE.rawValue:
            return sendfile(to: fd, request: buffer, count: value)
        case UK_FILE_FALLOCATE.rawValue:
            guard let buffer, buffer.count >= MemoryLayout<uk_fallocate>.size else { return -Int64(EINVAL) }
            let request = buffer.loadUnaligned(as: uk_fallocate.self)
            // The host kernel checks mode, range and access mode itself, in Linux's order.
            result = Int(clinux_fallocate(fd, request.mode, request.offset, request.length))
        case UK_FILE_COPY_RANGE.rawValue:
            return copyRange(to: fd, request: buffer, count: value)
        case UK_FILE_UTIMENS.rawValue:
            let times = buffer.flatMap { $0.count >= 32 ? $0.baseAddress!.assumingMemoryBound(to: timespec.self) : nil }
            result = Int(futimens(fd, times))
        case UK_FILE_INOTIFY_RM_WATCH.rawValue:
            // The host kernel checks that the handle is an inotify instance and owns the watch (EINVAL).
            result = Int(inotify_rm_watch(fd, Int32(truncatingIfNeeded: value)))
        case UK_FILE_LOCK.rawValue:
            // Only the commands that never wait (F_GETLK 5, F_SETLK 6, F_OFD_GETLK 36, F_OFD_SETLK 37).
            guard [5, 6, 36, 37].contains(value) else { return -Int64(EINVAL) }
            guard let buffer, buffer.count >= MemoryLayout<flock>.size else { return -Int64(EINVAL) }
            var request = buffer.loadUnaligned(as: flock.self)
            result = Int(clinux_fcntl_lock(fd, Int32(value), &request))
            if result >= 0 { buffer.storeBytes(of: request, as: flock.self) }
        case UK_FILE_FLOCK.rawValue:
            result = Int(clinux_flock(fd, Int32(truncatingIfNeeded: value) | LOCK_NB))
        default:
            return -Int64(EINVAL)
        }
        return result < 0 ? -Int64(errno) : Int64(result)
    }

    /// sendfile(2) from the host handle the request names to `output`: at most Linux's
    /// MAX_RW_COUNT bytes, in one call instead of a guest loop through its bounce buffer.
    private func sendfile(to output: Int32, request: UnsafeMutableRawBufferPointer?, count: Int64) -> Int64 {
        guard let request, request.count >= MemoryLayout<uk_sendfile>.size, count >= 0 else { return -Int64(EINVAL) }
        var parameters = request.loadUnaligned(as: uk_sendfile.self)
        guard let input = descriptor(parameters.input) else { return -Int64(EBADF) }
        let length = Int(min(count, 0x7FFF_F000))
        let copied: Int
        if parameters.offset == -1 {
            copied = Glibc.sendfile(output, input, nil, length)
        } else {
            guard parameters.offset >= 0 else { return -Int64(EINVAL) }
            var offset = off_t(parameters.offset)
            copied = Glibc.sendfile(output, input, &offset, length)
            parameters.offset = Int64(offset)
            request.storeBytes(of: parameters, as: uk_sendfile.self)
        }
        return copied < 0 ? -Int64(errno) : Int64(copied)
    }

    /// copy_file_range(2) from the host handle the request names to `output`, at the offsets the
    /// request gives (written back advanced) or at each file's own position. `count` is the
    /// guest's size_t, passed on bit for bit: the host kernel clamps it and checks the rest.
    private func copyRange(to output: Int32, request: UnsafeMutableRawBufferPointer?, count: Int64) -> Int64 {
        guard let request, request.count >= MemoryLayout<uk_copy_range>.size else { return -Int64(EINVAL) }
        var parameters = request.loadUnaligned(as: uk_copy_range.self)
        guard let input = descriptor(parameters.input) else { return -Int64(EBADF) }
        var inputOffset = parameters.input_offset, outputOffset = parameters.output_offset
        let copied = withOptionalPointer(to: &inputOffset, if: parameters.given & 1 != 0) { inputPointer in
            withOptionalPointer(to: &outputOffset, if: parameters.given & 2 != 0) { outputPointer in
                clinux_copy_file_range(input, inputPointer, output, outputPointer, UInt64(bitPattern: count), 0)
            }
        }
        guard copied >= 0 else { return -Int64(errno) }
        parameters.input_offset = inputOffset
        parameters.output_offset = outputOffset
        request.storeBytes(of: parameters, as: uk_copy_range.self)
        return Int64(copied)
    }

    /// Runs `body` with a pointer to `value` when `present`, else with nil (a NULL offset).
    private func withOptionalPointer<Result>(to value: inout Int64, if present: Bool,
                                             _ body: (UnsafeMutablePointer<Int64>?) -> Result) -> Result {
        guard present else { return body(nil) }
        return withUnsafeMutablePointer(to: &value) { body($0) }
    }

    /// poll(2) over host handles: `buffer` holds struct pollfd entries whose
    /// fd field names a handle; revents are written back. At most 1 s of
    /// waiting per call (the guest repeats), so a timeout or signal to the
    /// hypervisor is never held up long.
    private func poll(_ buffer: UnsafeMutableRawBufferPointer?, timeout: Int64) -> Int64 {
        guard let buffer, buffer.count % 8 == 0, buffer.count > 0, buffer.count <= 8 * 1024 else { return -Int64(EINVAL) }
        let count = buffer.count / 8
        var entries = [pollfd](repeating: pollfd(), count: count)
        for index in 0..<count {
            let handle = buffer.load(fromByteOffset: index * 8, as: Int32.self)
            let events = buffer.load(fromByteOffset: index * 8 + 4, as: Int16.self)
            entries[index] = pollfd(fd: descriptor(handle) ?? -1, events: events, revents: 0)
        }
        let wait = timeout < 0 ? 1000 : Int32(min(timeout, 1000))
        let ready = Glibc.poll(&entries, nfds_t(count), wait)
        guard ready >= 0 else { return -Int64(errno) }
        for index in 0..<count {
            let handle = buffer.load(fromByteOffset: index * 8, as: Int32.self)
            let revents: Int16 = descriptor(handle) == nil ? Int16(POLLNVAL) : entries[index].revents
            buffer.storeBytes(of: revents, toByteOffset: index * 8 + 6, as: Int16.self)
        }
        return Int64(ready)
    }

    // MARK: Resolution

    /// Whether a path operation changes the file system.
    static func modifies(_ operation: UInt32) -> Bool {
        switch operation {
        case UK_PATH_STAT.rawValue, UK_PATH_LSTAT.rawValue, UK_PATH_READLINK.rawValue,
             UK_PATH_ACCESS.rawValue, UK_PATH_STATFS.rawValue, UK_PATH_GETXATTR.rawValue, UK_PATH_LISTXATTR.rawValue,
             UK_PATH_INOTIFY_WATCH.rawValue:
            return false
        default:
            return true
        }
    }

    /// getxattr, listxattr, setxattr and removexattr of a path (through the file's /proc link,
    /// followed). A symbolic link itself (the l* calls on a link) has none the guest can reach:
    /// ENODATA, an empty list, EPERM to change (as Linux for user.* names on links). A host
    /// device's attributes are read-only to the guest, as its other metadata.
    private func extendedAttribute(_ request: PathRequest, buffer: UnsafeMutableRawBufferPointer?) -> Int64 {
        let operation = request.operation
        let changes = operation == UK_PATH_SETXATTR.rawValue || operation == UK_PATH_REMOVEXATTR.rawValue
        guard operation == UK_PATH_LISTXATTR.rawValue || (!request.path2.isEmpty && !request.path2.contains(0)) else {
            return -Int64(ERANGE)
        }
        let noFollow = request.flags & UInt32(AT_SYMLINK_NOFOLLOW) != 0
        return withPath(request.path, noFollow: noFollow) { fd in
            var info = stat()
            if noFollow, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                return changes ? -Int64(EPERM) : operation == UK_PATH_LISTXATTR.rawValue ? 0 : -Int64(ENODATA)
            }
            if changes, HostFileTable.isDevice(fd) { return -Int64(EPERM) }
            let target = HostFileTable.procPath(fd)
            let data = buffer?.baseAddress
            let size = buffer?.count ?? 0
            let result: Int = (request.path2 + [0]).withUnsafeBufferPointer { nameBuffer in
                nameBuffer.withMemoryRebound(to: CChar.self) { name in
                    switch operation {
                    case UK_PATH_GETXATTR.rawValue: return getxattr(target, name.baseAddress!, data, size)
                    case UK_PATH_LISTXATTR.rawValue:
                        return listxattr(target, data?.assumingMemoryBound(to: CChar.self), size)
                    case UK_PATH_SETXATTR.rawValue:
                        return Int(setxattr(target, name.baseAddress!, data, size, Int32(truncatingIfNeeded: request.value)))
                    default: return Int(removexattr(target, name.baseAddress!))
                    }
                }
            }
            return result < 0 ? -Int64(errno) : Int64(result)
        }
    }

    // MARK: inotify

    /// A new host inotify instance for the guest: its handle, or -errno (EMFILE at the host's
    /// max_user_instances or a full table). Always non-blocking: the guest's kernel decides
    /// whether a read waits, and waits by polling the handle, never inside a read.
    private func makeInotifyInstance() -> Int64 {
        let fd = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
        guard fd >= 0 else { return -Int64(errno) }
        return adopt(fd)
    }

    /// inotify_add_watch(2) for the instance of handle `request.value` on `request.path`,
    /// resolved in the guest's file system like every other path: an O_PATH descriptor of what
    /// it names (its last link itself with IN_DONT_FOLLOW, ENOTDIR for a non-directory with
    /// IN_ONLYDIR), then the host's own inotify_add_watch on that descriptor's /proc link, which
    /// lands on the descriptor's inode and follows nothing further (a magic link's jump). So
    /// only files of the guest's file system can be watched, and no host device (EACCES); the
    /// mask goes to the host kernel unchanged but for IN_DONT_FOLLOW, which would stop at the
    /// /proc link itself.
    private func addInotifyWatch(_ request: PathRequest) -> Int64 {
        guard let instance = descriptor(Int32(truncatingIfNeeded: request.value)) else { return -Int64(EBADF) }
        guard !request.path.isEmpty else { return -Int64(ENOENT) }
        guard !request.path.contains(0) else { return -Int64(EINVAL) }
        let mask = UInt32(truncatingIfNeeded: request.mode)
        let dontFollow = UInt32(IN_DONT_FOLLOW), onlyDirectory = UInt32(IN_ONLYDIR)
        let flags = clinux_o_path() | O_CLOEXEC | (mask & dontFollow != 0 ? O_NOFOLLOW : 0)
            | (mask & onlyDirectory != 0 ? O_DIRECTORY : 0)
        let target = resolve(request.path, flags: flags)
        guard target >= 0 else { return -Int64(errno) }
        defer { Glibc.close(target) }
        // The host's devices are lent to the guest, not given: a watch would report every host
        // process's use of them (reads of /dev/urandom, keystrokes on /dev/tty).
        if HostFileTable.isDevice(target) { return -Int64(EACCES) }
        let watch = inotify_add_watch(instance, HostFileTable.procPath(target), mask & ~dontFollow)
        return watch < 0 ? -Int64(errno) : Int64(watch)
    }

    /// Whether `fd` is a character or block device (the host's, lent to the guest).
    static func isDevice(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT == S_IFCHR || info.st_mode & S_IFMT == S_IFBLK)
    }

    /// "/proc/self/fd/N": the host kernel's own name for an open descriptor.
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// Runs `body` with an O_PATH descriptor of `path` resolved in the guest's file system.
    func withPath(_ path: [UInt8], noFollow: Bool, _ body: (Int32) -> Int64) -> Int64 {
        guard !path.isEmpty else { return -Int64(ENOENT) }
        guard !path.contains(0) else { return -Int64(EINVAL) }
        let flags = clinux_o_path() | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)
        let fd = resolve(path, flags: flags)
        guard fd >= 0 else { return -Int64(errno) }
        defer { Glibc.close(fd) }
        return body(fd)
    }

    /// Runs `body` with the O_PATH directory holding `path`'s last component and that
    /// component (never ".", ".." or empty, never followed).
    func withParent(_ path: [UInt8], _ body: (Int32, UnsafePointer<CChar>) -> Int64) -> Int64 {
        guard !path.contains(0) else { return -Int64(EINVAL) }
        var trimmed = path
        while trimmed.count > 1, trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        let slash = trimmed.lastIndex(of: UInt8(ascii: "/"))
        let parent = slash.map { $0 == trimmed.startIndex ? [UInt8(ascii: "/")] : Array(trimmed[..<$0]) } ?? [UInt8(ascii: "/")]
        let name = slash.map { Array(trimmed[($0 + 1)...]) } ?? trimmed
        guard !name.isEmpty else { return -Int64(EBUSY) }  // the root itself
        guard !mounts.isMountPoint(trimmed) else { return -Int64(EBUSY) }  // a volume's mount point
        guard name != [UInt8(ascii: ".")], name != [UInt8(ascii: "."), UInt8(ascii: ".")] else { return -Int64(EINVAL) }
        let fd = resolve(parent, flags: clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return -Int64(errno) }
        defer { Glibc.close(fd) }
        // The name goes to the host byte for byte (never through a String, which would
        // replace bytes that are not UTF-8).
        return (name + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body(fd, $0.baseAddress!) }
        }
    }

    private func statfs(of fd: Int32, into buffer: UnsafeMutableRawBufferPointer?) -> Int64 {
        guard let buffer, UInt64(buffer.count) >= HostFileTable.linuxStatfsSize else { return -Int64(EFAULT) }
        return clinux_fstatfs(fd, buffer.baseAddress, Int(HostFileTable.linuxStatfsSize)) == 0 ? 0 : -Int64(errno)
    }
}
