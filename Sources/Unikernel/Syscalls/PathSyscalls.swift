import UnikernelABI

/// System calls on paths and file metadata: each resolves the application's
/// path against the current or a given directory into an absolute guest path
/// (FileSyscalls.resolvePath) and asks the host, which confines it to the
/// guest's root. Data comes back through the bounce buffer's data area.
enum PathSyscalls {
    static let atRemoveDir = 0x200
    static let atSymlinkNoFollow = 0x100
    static let atSymlinkFollow = 0x400
    static let atEmptyPath = 0x1000
    static let statSize = 144
    static let statfsSize = 120

    private static func path(_ dirfd: Int, _ address: UInt64) throws(Errno) -> [UInt8] {
        try FileSyscalls.resolvePath(dirfd: dirfd, pathAddress: address)
    }

    private static func copyOutData(to address: UInt64, count: Int) throws(Errno) {
        try UserMemory.copyOut(from: BounceBuffer.data, to: address, count: count)
    }

    // MARK: stat

    /// The host's view of a guest path: its st_mode (offset 24 of Linux's struct stat).
    static func hostStat(_ path: [UInt8], followLinks: Bool) throws(Errno) -> (mode: UInt32, size: Int64) {
        _ = try Hypercall.path(followLinks ? UK_PATH_STAT : UK_PATH_LSTAT, path: path, dataLength: statSize)
        return (BounceBuffer.data.loadUnaligned(fromByteOffset: 24, as: UInt32.self),
                BounceBuffer.data.loadUnaligned(fromByteOffset: 48, as: Int64.self))
    }

    private static func stat(_ path: [UInt8], follow: Bool, to address: UInt64) throws(Errno) -> Int {
        try statIntoData(path, follow: follow)
        try copyOutData(to: address, count: statSize)
        return 0
    }

    /// Linux's `struct stat` of `path` in the bounce buffer's data area: the host's, or, for the
    /// kernel's own nodes (/proc, /dev/fd), one the kernel makes.
    static func statIntoData(_ path: [UInt8], follow: Bool) throws(Errno) {
        switch try KernelFileTree.lookup(path, followFinal: follow) {
        case let .host(hostPath):
            _ = try Hypercall.path(follow ? UK_PATH_STAT : UK_PATH_LSTAT, path: hostPath, dataLength: statSize)
        case let .node(node, canonical):
            let inode = SyntheticFile.inode(of: canonical)
            switch node {
            case .directory: stageData(SyntheticFile.stat(mode: 0o040555, inode: inode, links: 2))
            case .file: stageData(SyntheticFile.stat(mode: 0o100444, inode: inode, links: 1))
            case .link: stageData(SyntheticFile.stat(mode: 0o120777, inode: inode, links: 1))
            case let .descriptor(fd): try statIntoData(descriptor: fd)
            case .program:
                let handle = Int32(try Hypercall.path(UK_PATH_OPEN_PROGRAM, path: []))
                defer { _ = Hypercall.close(handle: handle) }
                _ = try Errno.check(Hypercall.fstat(handle: handle, statPhysical: BounceBuffer.physical + UInt64(BounceBuffer.dataOffset)))
            }
        }
    }

    /// Linux's `struct stat` of an open descriptor in the bounce buffer's data area.
    static func statIntoData(descriptor fd: Int) throws(Errno) {
        let file = try currentProcess.files.file(fd)
        if let object = file.object {
            stageData(FileSyscalls.stat(of: object))
            return
        }
        _ = try Errno.check(Hypercall.fstat(handle: file.hostHandle, statPhysical: BounceBuffer.physical + UInt64(BounceBuffer.dataOffset)))
    }

    private static func stageData(_ bytes: [UInt8]) {
        // SAFETY: every caller stages one struct stat (144 bytes), far below the data area's capacity.
        for (index, byte) in bytes.enumerated() { BounceBuffer.data.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
    }

    static func stat(_ a: SyscallArguments) throws(Errno) -> Int {
        try stat(path(FileSyscalls.atFdcwd, a[0]), follow: true, to: a[1])
    }

    static func lstat(_ a: SyscallArguments) throws(Errno) -> Int {
        try stat(path(FileSyscalls.atFdcwd, a[0]), follow: false, to: a[1])
    }

    static func newfstatat(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(3)
        let name = try UserMemory.string(at: a[1])
        if name.isEmpty {
            guard flags & atEmptyPath != 0 else { throw .ENOENT }
            if a.int32(0) == FileSyscalls.atFdcwd {
                return try stat(currentProcess.workingDirectory, follow: true, to: a[2])
            }
            return try FileSyscalls.fstat(SyscallArguments(a[0], a[2], 0, 0, 0, 0))
        }
        return try stat(path(a.int32(0), a[1]), follow: flags & atSymlinkNoFollow == 0, to: a[2])
    }

    /// statfs of a host path, or of the kernel's /proc (Linux's proc: PROC_SUPER_MAGIC, no blocks).
    static func statfs(_ a: SyscallArguments) throws(Errno) -> Int {
        switch try KernelFileTree.lookup(path(FileSyscalls.atFdcwd, a[0]), followFinal: true) {
        case let .host(hostPath):
            _ = try Hypercall.path(UK_PATH_STATFS, path: hostPath, dataLength: statfsSize)
            try copyOutData(to: a[1], count: statfsSize)
        case let .node(.descriptor(fd), _):
            return try fstatfs(SyscallArguments(UInt64(fd), a[1], 0, 0, 0, 0))
        case .node:
            try UserMemory.copyOut(from: procStatfs, to: a[1])
        }
        return 0
    }

    static func fstatfs(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        if case .synthetic? = file.object {
            try UserMemory.copyOut(from: procStatfs, to: a[1])
            return 0
        }
        _ = try Hypercall.file(UK_FILE_STATFS, handle: file.hostHandle, dataLength: statfsSize)
        try copyOutData(to: a[1], count: statfsSize)
        return 0
    }

    /// Linux's `struct statfs` of proc: f_type PROC_SUPER_MAGIC, 4 KiB blocks (none used), names
    /// up to 255 bytes, mounted nosuid, nodev, noexec, relatime.
    private static var procStatfs: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: statfsSize)
        for (offset, value) in [(0, UInt64(0x9fa0)), (8, 4096), (64, 255), (72, 4096), (80, 0x100e)] as [(Int, UInt64)] {
            SyntheticFile.store(value, at: offset, in: &bytes)
        }
        return bytes
    }

    // MARK: access

    static func access(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[1] & ~UInt64(7) == 0 else { throw .EINVAL }
        return try access(path(FileSyscalls.atFdcwd, a[0]), mode: a[1])
    }

    static func faccessat(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a[2] & ~UInt64(7) == 0 else { throw .EINVAL }
        return try access(path(a.int32(0), a[1]), mode: a[2])
    }

    /// access of the host's files, or of the kernel's own nodes (which exist: every access is
    /// granted, as Linux grants the owner of /proc/self its files and root every mode).
    private static func access(_ path: [UInt8], mode: UInt64) throws(Errno) -> Int {
        guard case let .host(hostPath) = try KernelFileTree.lookup(path, followFinal: true) else { return 0 }
        return try Hypercall.path(UK_PATH_ACCESS, path: hostPath, mode: mode)
    }

    // MARK: names

    static func mkdir(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_MKDIR, path: path(FileSyscalls.atFdcwd, a[0]), mode: a[1] & 0o7777 & ~currentProcess.umask)
    }

    static func mkdirat(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_MKDIR, path: path(a.int32(0), a[1]), mode: a[2] & 0o7777 & ~currentProcess.umask)
    }

    static func rmdir(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_RMDIR, path: path(FileSyscalls.atFdcwd, a[0]))
    }

    static func unlink(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_UNLINK, path: path(FileSyscalls.atFdcwd, a[0]))
    }

    static func unlinkat(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(2)
        guard flags & ~atRemoveDir == 0 else { throw .EINVAL }
        return try Hypercall.path(flags & atRemoveDir != 0 ? UK_PATH_RMDIR : UK_PATH_UNLINK, path: path(a.int32(0), a[1]))
    }

    static func rename(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_RENAME, path: path(FileSyscalls.atFdcwd, a[0]), path2: path(FileSyscalls.atFdcwd, a[1]))
    }

    static func renameat(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_RENAME, path: path(a.int32(0), a[1]), path2: path(a.int32(2), a[3]))
    }

    static func renameat2(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_RENAME, flags: UInt32(truncatingIfNeeded: a[4]),
                           path: path(a.int32(0), a[1]), path2: path(a.int32(2), a[3]))
    }

    static func link(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_LINK, path: path(FileSyscalls.atFdcwd, a[0]), path2: path(FileSyscalls.atFdcwd, a[1]))
    }

    static func linkat(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_LINK, path: path(a.int32(0), a[1]), path2: path(a.int32(2), a[3]))
    }

    /// symlink: the link's text is stored exactly as given (not resolved).
    static func symlink(_ a: SyscallArguments) throws(Errno) -> Int {
        let target = try UserMemory.string(at: a[0])
        guard !target.isEmpty else { throw .ENOENT }
        return try Hypercall.path(UK_PATH_SYMLINK, path: target, path2: path(FileSyscalls.atFdcwd, a[1]))
    }

    static func symlinkat(_ a: SyscallArguments) throws(Errno) -> Int {
        let target = try UserMemory.string(at: a[0])
        guard !target.isEmpty else { throw .ENOENT }
        return try Hypercall.path(UK_PATH_SYMLINK, path: target, path2: path(a.int32(1), a[2]))
    }

    /// readlink of a host link, or of a link of the kernel's own tree (/proc/self, /proc/<pid>/exe,
    /// cwd and fd/N, /dev/stdin…); anything else of that tree is not a link (EINVAL).
    private static func readlink(_ path: [UInt8], to address: UInt64, size: Int) throws(Errno) -> Int {
        guard size > 0 else { throw .EINVAL }
        let hostPath: [UInt8]
        switch try KernelFileTree.lookup(path, followFinal: false) {
        case let .host(rewritten): hostPath = rewritten
        case let .node(node, _):
            guard case let .link(text) = node else { throw .EINVAL }
            let count = min(size, text.count)
            try UserMemory.copyOut(from: Array(text.prefix(count)), to: address)
            return count
        }
        let count = try Hypercall.path(UK_PATH_READLINK, path: hostPath, dataLength: min(size, BounceBuffer.dataCapacity))
        try copyOutData(to: address, count: count)
        return count
    }

    static func readlink(_ a: SyscallArguments) throws(Errno) -> Int {
        try readlink(path(FileSyscalls.atFdcwd, a[0]), to: a[1], size: a.int(2))
    }

    static func readlinkat(_ a: SyscallArguments) throws(Errno) -> Int {
        try readlink(path(a.int32(0), a[1]), to: a[2], size: a.int(3))
    }

    // MARK: attributes

    static func chmod(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_CHMOD, path: path(FileSyscalls.atFdcwd, a[0]), mode: a[1] & 0o7777)
    }

    static func fchmodat(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_CHMOD, path: path(a.int32(0), a[1]), mode: a[2] & 0o7777)
    }

    static func fchmod(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.file(UK_FILE_CHMOD, handle: currentProcess.files.file(a.int32(0)).hostHandle, value: Int64(a[1] & 0o7777))
    }

    /// uid and gid packed for the host; -1 (as an unsigned 32-bit value) leaves one unchanged.
    private static func owner(_ uid: UInt64, _ gid: UInt64) -> Int64 {
        Int64(bitPattern: (uid & 0xFFFF_FFFF) | (gid & 0xFFFF_FFFF) << 32)
    }

    static func chown(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_CHOWN, path: path(FileSyscalls.atFdcwd, a[0]), value: owner(a[1], a[2]))
    }

    static func lchown(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.path(UK_PATH_CHOWN, flags: UInt32(atSymlinkNoFollow), path: path(FileSyscalls.atFdcwd, a[0]),
                           value: owner(a[1], a[2]))
    }

    static func fchown(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        guard file.object == nil else { throw .EINVAL }
        return try Hypercall.file(UK_FILE_CHOWN, handle: file.hostHandle, value: owner(a[1], a[2]))
    }

    /// fchownat(dirfd, path, uid, gid, flags): AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH.
    static func fchownat(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(4)
        guard flags & ~(atSymlinkNoFollow | atEmptyPath) == 0 else { throw .EINVAL }
        let name = try UserMemory.string(at: a[1])
        if name.isEmpty {
            guard flags & atEmptyPath != 0 else { throw .ENOENT }
            return try fchown(SyscallArguments(a[0], a[2], a[3], 0, 0, 0))
        }
        return try Hypercall.path(UK_PATH_CHOWN, flags: UInt32(flags & atSymlinkNoFollow), path: path(a.int32(0), a[1]),
                                  value: owner(a[2], a[3]))
    }

    static func truncate(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(1) >= 0 else { throw .EINVAL }
        return try Hypercall.path(UK_PATH_TRUNCATE, path: path(FileSyscalls.atFdcwd, a[0]), value: Int64(a.int(1)))
    }

    static func ftruncate(_ a: SyscallArguments) throws(Errno) -> Int {
        guard a.int(1) >= 0 else { throw .EINVAL }
        return try Hypercall.file(UK_FILE_TRUNCATE, handle: currentProcess.files.file(a.int32(0)).hostHandle, value: Int64(a.int(1)))
    }

    static func fsync(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.file(UK_FILE_SYNC, handle: currentProcess.files.file(a.int32(0)).hostHandle)
    }

    static func fdatasync(_ a: SyscallArguments) throws(Errno) -> Int {
        try Hypercall.file(UK_FILE_DATASYNC, handle: currentProcess.files.file(a.int32(0)).hostHandle)
    }

    /// utimensat(dirfd, path, times, flags); a NULL path means the descriptor itself.
    static func utimensat(_ a: SyscallArguments) throws(Errno) -> Int {
        var length = 0
        if a[2] != 0 {
            try UserMemory.copyIn(from: a[2], to: BounceBuffer.data, count: 32)
            length = 32
        }
        if a[1] == 0 {
            return try Hypercall.file(UK_FILE_UTIMENS, handle: currentProcess.files.file(a.int32(0)).hostHandle, dataLength: length)
        }
        return try Hypercall.path(UK_PATH_UTIMENS, flags: UInt32(truncatingIfNeeded: a[3]), path: path(a.int32(0), a[1]), dataLength: length)
    }

    static func umask(_ a: SyscallArguments) throws(Errno) -> Int {
        let previous = currentProcess.umask
        currentProcess.umask = a[0] & 0o777
        return Int(previous)
    }

    // MARK: directories

    /// getdents64: the host fills linux_dirent64 records for the handle.
    static func getdents64(_ a: SyscallArguments) throws(Errno) -> Int {
        let file = try currentProcess.files.file(a.int32(0))
        if case let .synthetic(directory)? = file.object {
            let records = try directory.directoryRecords(size: max(0, a.int(2)))
            try UserMemory.copyOut(from: records, to: a[1])
            return records.count
        }
        guard file.object == nil else { throw .ENOTDIR }
        let size = min(a.int(2), BounceBuffer.dataCapacity)
        guard size > 0 else { throw .EINVAL }
        try UserMemory.validate(a[1], size)
        let count = try Hypercall.file(UK_FILE_GETDENTS, handle: file.hostHandle, dataLength: size)
        try copyOutData(to: a[1], count: count)
        return count
    }

    // MARK: statx

    /// statx(dirfd, path, flags, mask, buffer): the basic fields, converted from `struct stat`.
    static func statx(_ a: SyscallArguments) throws(Errno) -> Int {
        let flags = a.int32(2)
        let name = try UserMemory.string(at: a[1])
        if name.isEmpty {
            guard flags & atEmptyPath != 0 else { throw .ENOENT }
            if a.int32(0) == FileSyscalls.atFdcwd {
                try statIntoData(currentProcess.workingDirectory, follow: true)
            } else {
                try statIntoData(descriptor: a.int32(0))
            }
        } else {
            try statIntoData(path(a.int32(0), a[1]), follow: flags & atSymlinkNoFollow == 0)
        }
        let stat = BounceBuffer.data
        // SAFETY: the host just wrote a 144-byte struct stat at the start of the data area.
        func u64(_ offset: Int) -> UInt64 { stat.load(fromByteOffset: offset, as: UInt64.self) }
        func u32(_ offset: Int) -> UInt32 { stat.load(fromByteOffset: offset, as: UInt32.self) }
        var statx = [UInt8](repeating: 0, count: 256)
        func put<T>(_ value: T, _ offset: Int) {
            withUnsafeBytes(of: value) { for (i, byte) in $0.enumerated() { statx[offset + i] = byte } }
        }
        let device = u64(0), special = u64(40)
        put(UInt32(0x7FF), 0)                     // STATX_BASIC_STATS
        put(UInt32(truncatingIfNeeded: u64(56)), 4)
        put(UInt32(truncatingIfNeeded: u64(16)), 16)
        put(u32(28), 20); put(u32(32), 24)
        put(UInt16(truncatingIfNeeded: u32(24)), 28)
        put(u64(8), 32); put(u64(48), 40); put(u64(64), 48)
        for (index, source) in [72, 104, 88].enumerated() {  // atime, ctime, mtime
            let target = [64, 96, 112][index]
            put(u64(source), target)
            put(UInt32(truncatingIfNeeded: u64(source + 8)), target + 8)
        }
        put(UInt32(truncatingIfNeeded: ((special >> 8) & 0xFFF) | ((special >> 32) & ~UInt64(0xFFF))), 128)
        put(UInt32(truncatingIfNeeded: (special & 0xFF) | ((special >> 12) & ~UInt64(0xFF))), 132)
        put(UInt32(truncatingIfNeeded: ((device >> 8) & 0xFFF) | ((device >> 32) & ~UInt64(0xFFF))), 136)
        put(UInt32(truncatingIfNeeded: (device & 0xFF) | ((device >> 12) & ~UInt64(0xFF))), 140)
        try UserMemory.copyOut(from: statx, to: a[4])
        return 0
    }
}

// MARK: extended attributes

/// getxattr, listxattr, setxattr and removexattr with their l* (the link itself) and f* (an
/// open file, by the path it was opened with) variants, forwarded to the host file.
extension PathSyscalls {
    private static let noFollow: UInt32 = 0x100  // AT_SYMLINK_NOFOLLOW
    /// Linux's XATTR_NAME_MAX and XATTR_SIZE_MAX.
    private static let nameMaximum = 255, valueMaximum = 65536

    private static func attributeName(_ address: UInt64) throws(Errno) -> [UInt8] {
        let name: [UInt8]
        do throws(Errno) { name = try UserMemory.string(at: address, limit: nameMaximum + 1) } catch {
            throw error == .ENAMETOOLONG ? .ERANGE : error
        }
        guard !name.isEmpty else { throw .ERANGE }
        return name
    }

    /// The path an f* call acts on, or nil for a descriptor without one (a pipe, stdio).
    private static func descriptorPath(_ fd: Int) throws(Errno) -> [UInt8]? {
        let file = try currentProcess.files.file(fd)
        return file.object == nil && !file.path.isEmpty ? file.path : nil
    }

    /// What an attribute call names by path: a host file (by its host-side path), or a node of
    /// the kernel's own tree, which keeps no attributes.
    private enum AttributeTarget {
        case host([UInt8]?)
        case node(SyntheticNode)
    }

    private static func attributeTarget(_ address: UInt64, flags: UInt32) throws(Errno) -> AttributeTarget {
        switch try KernelFileTree.lookup(path(FileSyscalls.atFdcwd, address), followFinal: flags & noFollow == 0) {
        case let .host(hostPath): return .host(hostPath)
        case let .node(.descriptor(fd), _): return .host(try descriptorPath(fd))
        case let .node(node, _): return .node(node)
        }
    }

    /// As Linux's proc: its files and directories have no attribute handlers (EOPNOTSUPP); its
    /// links answer as links do (user.* cannot be set on a link, EPERM; no value, ENODATA).
    private static func nodeAttributeError(_ node: SyntheticNode, name: [UInt8], reading: Bool) -> Errno {
        let user = name.starts(with: [0x75, 0x73, 0x65, 0x72, 0x2E])  // "user."
        switch node {
        case .link, .program, .descriptor: return user ? (reading ? .ENODATA : .EPERM) : .EOPNOTSUPP
        case .file, .directory: return .EOPNOTSUPP
        }
    }

    private static func getAttribute(_ target: AttributeTarget, flags: UInt32, _ nameAddress: UInt64, _ value: UInt64, _ size: Int) throws(Errno) -> Int {
        let name = try attributeName(nameAddress)
        let path: [UInt8]?
        switch target {
        case let .host(hostPath): path = hostPath
        case let .node(node): throw nodeAttributeError(node, name: name, reading: true)
        }
        return try getAttribute(path, flags: flags, name: name, value, size)
    }

    private static func getAttribute(_ path: [UInt8]?, flags: UInt32, name: [UInt8], _ value: UInt64, _ size: Int) throws(Errno) -> Int {
        guard let path else { throw .ENODATA }
        let length = min(max(size, 0), BounceBuffer.dataCapacity)
        if length > 0 { try UserMemory.validate(value, length) }
        let count = try Hypercall.path(UK_PATH_GETXATTR, flags: flags, path: path, path2: name, dataLength: length)
        if length > 0 { try copyOutData(to: value, count: count) }
        return count
    }

    private static func listAttributes(_ target: AttributeTarget, flags: UInt32, _ list: UInt64, _ size: Int) throws(Errno) -> Int {
        guard case let .host(path) = target else { return 0 }
        return try listAttributes(path, flags: flags, list, size)
    }

    private static func listAttributes(_ path: [UInt8]?, flags: UInt32, _ list: UInt64, _ size: Int) throws(Errno) -> Int {
        guard let path else { return 0 }
        let length = min(max(size, 0), BounceBuffer.dataCapacity)
        if length > 0 { try UserMemory.validate(list, length) }
        let count = try Hypercall.path(UK_PATH_LISTXATTR, flags: flags, path: path, dataLength: length)
        if length > 0 { try copyOutData(to: list, count: count) }
        return count
    }

    private static func setAttribute(_ target: AttributeTarget, flags: UInt32, _ nameAddress: UInt64, _ value: UInt64, _ size: Int, _ mode: Int) throws(Errno) -> Int {
        let name = try attributeName(nameAddress)
        guard size >= 0, size <= valueMaximum else { throw .E2BIG }
        guard mode & ~3 == 0 else { throw .EINVAL }  // XATTR_CREATE | XATTR_REPLACE
        let path: [UInt8]?
        switch target {
        case let .host(hostPath): path = hostPath
        case let .node(node): throw nodeAttributeError(node, name: name, reading: false)
        }
        guard let path else { throw .EOPNOTSUPP }
        guard size <= BounceBuffer.dataCapacity else { throw .E2BIG }
        if size > 0 { try UserMemory.copyIn(from: value, to: BounceBuffer.data, count: size) }
        return try Hypercall.path(UK_PATH_SETXATTR, flags: flags, path: path, path2: name,
                                  dataLength: size, value: Int64(mode))
    }

    private static func removeAttribute(_ target: AttributeTarget, flags: UInt32, _ nameAddress: UInt64) throws(Errno) -> Int {
        let name = try attributeName(nameAddress)
        let path: [UInt8]?
        switch target {
        case let .host(hostPath): path = hostPath
        case let .node(node): throw nodeAttributeError(node, name: name, reading: false)
        }
        guard let path else { throw .EOPNOTSUPP }
        return try Hypercall.path(UK_PATH_REMOVEXATTR, flags: flags, path: path, path2: name)
    }

    static func getxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try getAttribute(attributeTarget(a[0], flags: 0), flags: 0, a[1], a[2], a.int(3))
    }
    static func lgetxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try getAttribute(attributeTarget(a[0], flags: noFollow), flags: noFollow, a[1], a[2], a.int(3))
    }
    static func fgetxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try getAttribute(.host(descriptorPath(a.int32(0))), flags: 0, a[1], a[2], a.int(3))
    }
    static func listxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try listAttributes(attributeTarget(a[0], flags: 0), flags: 0, a[1], a.int(2))
    }
    static func llistxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try listAttributes(attributeTarget(a[0], flags: noFollow), flags: noFollow, a[1], a.int(2))
    }
    static func flistxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try listAttributes(.host(descriptorPath(a.int32(0))), flags: 0, a[1], a.int(2))
    }
    static func setxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try setAttribute(attributeTarget(a[0], flags: 0), flags: 0, a[1], a[2], a.int(3), a.int(4))
    }
    static func lsetxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try setAttribute(attributeTarget(a[0], flags: noFollow), flags: noFollow, a[1], a[2], a.int(3), a.int(4))
    }
    static func fsetxattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try setAttribute(.host(descriptorPath(a.int32(0))), flags: 0, a[1], a[2], a.int(3), a.int(4))
    }
    static func removexattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try removeAttribute(attributeTarget(a[0], flags: 0), flags: 0, a[1])
    }
    static func lremovexattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try removeAttribute(attributeTarget(a[0], flags: noFollow), flags: noFollow, a[1])
    }
    static func fremovexattr(_ a: SyscallArguments) throws(Errno) -> Int {
        try removeAttribute(.host(descriptorPath(a.int32(0))), flags: 0, a[1])
    }
}
