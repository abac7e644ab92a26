import CLinux
import SystemPackage
import Glibc

/// `--volume HOST:GUEST[:ro]`: a host directory the guest sees at an absolute guest path.
public struct VolumeSpec: Equatable, Sendable {
    public var hostPath: String
    /// Absolute and normalised ("/usr", never "/").
    public var guestPath: String
    public var readOnly: Bool

    public init(hostPath: String, guestPath: String, readOnly: Bool) {
        self.hostPath = hostPath
        self.guestPath = guestPath
        self.readOnly = readOnly
    }

    /// Parses `HOST:GUEST`, `HOST:GUEST:ro` or `HOST:GUEST:rw`; nil with a reason otherwise.
    public static func parse(_ text: String) -> Result<VolumeSpec, VolumeError> {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var readOnly = false
        if parts.count == 3 {
            switch parts[2] {
            case "ro": readOnly = true
            case "rw": readOnly = false
            default: return .failure(VolumeError(text: text, reason: "the mode must be ro or rw"))
            }
            parts.removeLast()
        }
        guard parts.count == 2, !parts[0].isEmpty else {
            return .failure(VolumeError(text: text, reason: "expected HOST:GUEST[:ro]"))
        }
        guard parts[1].hasPrefix("/") else {
            return .failure(VolumeError(text: text, reason: "the guest path must be absolute"))
        }
        let guest = String(decoding: GuestMounts.normalise(Array(parts[1].utf8)), as: UTF8.self)
        guard guest != "/" else {
            return .failure(VolumeError(text: text, reason: "the guest's / is --dir, not a volume"))
        }
        return .success(VolumeSpec(hostPath: parts[0], guestPath: guest, readOnly: readOnly))
    }

    /// The option text that gives this volume again (for a runner that replaces this one).
    public var optionText: String { "\(hostPath):\(guestPath)\(readOnly ? ":ro" : "")" }

    /// `--system`: the host's programs, libraries and configuration, read-only, at their own
    /// paths (those the host has).
    public static var system: [VolumeSpec] {
        ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"].compactMap { path in
            access(path, F_OK) == 0 ? VolumeSpec(hostPath: path, guestPath: path, readOnly: true) : nil
        }
    }
}

/// A `--volume` the runner cannot use, with a one-line reason.
public struct VolumeError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "invalid --volume '\(text)': \(reason)" }
}

/// The guest's mount table: the root directory and the volumes over it, each a host directory
/// held open (O_PATH). A guest path belongs to the mount with the longest guest path that is a
/// prefix of it, and is resolved beneath that mount's directory.
///
/// Resolution (`open`) never lets a path leave its mount's directory: the fast path is one
/// openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS. A path with a
/// symbolic link in it takes the walk instead: one name at a time (never "." or ".."), each
/// opened O_PATH | O_NOFOLLOW beneath the previous, and a link's text read and resolved as a
/// guest path again (absolute from the guest's /, relative from the link's directory), so a
/// link may lead from one mount into another as on Linux; at most 40 links (ELOOP).
public final class GuestMounts {
    public struct Mount {
        /// "/" for the root, else the volume's normalised guest path.
        public var guestPath: [UInt8]
        public var readOnly: Bool
        /// Where the host directory comes from.
        let source: Source

        /// A host directory held open from the start, or a volume of the guest's private
        /// directory, which is made only when a path first reaches it.
        enum Source {
            case opened(hostPath: String, directory: Int32)
            case privateVolume(PrivateDirectories.Mount)
        }

        /// An O_PATH descriptor of the host directory (owned by the mount table or the private
        /// directory: never close it); -1 with errno set when a private one cannot be made.
        func directory() -> Int32 {
            switch source {
            case let .opened(_, directory): return directory
            case let .privateVolume(volume): return volume.owner.directory(volume.volume)
            }
        }

        /// The host directory's path (a private volume's directory is made first if needed);
        /// nil when it cannot be made.
        public func hostPath() -> String? {
            switch source {
            case let .opened(hostPath, _): return hostPath
            case let .privateVolume(volume): return volume.owner.hostPath(of: volume.volume)
            }
        }
    }

    /// Longest guest path first, the root last.
    public private(set) var mounts: [Mount] = []

    /// Opens the root and each volume's directory; throws naming the first that cannot be used.
    /// The private directory's volumes (`privateVolumes`, for guest paths no volume covers) are
    /// opened when first used.
    public init(root: String, readOnlyRoot: Bool, volumes: [VolumeSpec],
                privateVolumes: [PrivateDirectories.Mount] = []) throws(SandboxError) {
        for volume in volumes {
            let fd = Glibc.open(volume.hostPath, clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                let error = Errno.current
                closeOpened()
                throw .volumeUnavailable(path: volume.hostPath, errno: error)
            }
            // A later --volume at the same guest path replaces an earlier one.
            if let same = mounts.firstIndex(where: { $0.guestPath == Array(volume.guestPath.utf8) }) {
                if case let .opened(_, directory) = mounts.remove(at: same).source { Glibc.close(directory) }
            }
            mounts.append(Mount(guestPath: Array(volume.guestPath.utf8), readOnly: volume.readOnly,
                                source: .opened(hostPath: volume.hostPath, directory: fd)))
        }
        for volume in privateVolumes where !mounts.contains(where: { $0.guestPath == Array(volume.guestPath.utf8) }) {
            mounts.append(Mount(guestPath: Array(volume.guestPath.utf8), readOnly: volume.readOnly, source: .privateVolume(volume)))
        }
        let fd = Glibc.open(root, clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let error = Errno.current
            closeOpened()
            throw .rootUnavailable(path: root, errno: error)
        }
        mounts.sort { $0.guestPath.count > $1.guestPath.count }
        mounts.append(Mount(guestPath: [GuestMounts.slash], readOnly: readOnlyRoot, source: .opened(hostPath: root, directory: fd)))
    }

    /// Closes the directories this table opened (a private volume's belong to its owner).
    private func closeOpened() {
        for mount in mounts {
            if case let .opened(_, directory) = mount.source { Glibc.close(directory) }
        }
    }

    /// The mounts in /proc/mounts' format (the root first, then by guest path), each a host
    /// directory ("hostfs"); a space, tab, newline or backslash in a path as Linux escapes it.
    public var procMountsText: String {
        let ordered = mounts.sorted { $0.guestPath.count < $1.guestPath.count || ($0.guestPath.count == $1.guestPath.count && $0.guestPath.lexicographicallyPrecedes($1.guestPath)) }
        return ordered.map { mount in
            var path = ""
            for byte in mount.guestPath {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x5C: path += "\\0" + String(byte, radix: 8)
                default: path += String(decoding: [byte], as: UTF8.self)
                }
            }
            return "hostfs \(path) hostfs \(mount.readOnly ? "ro" : "rw"),relatime 0 0\n"
        }.joined()
    }

    deinit { closeOpened() }

    static let slash = UInt8(ascii: "/")

    /// Whether `guestPath` is covered by a volume rather than the root.
    public func isVolume(_ guestPath: [UInt8]) -> Bool {
        locate(guestPath).mount.guestPath != [GuestMounts.slash]
    }

    /// The mount holding an absolute guest path and the normalised path inside it ("/…").
    public func locate(_ path: [UInt8]) -> (mount: Mount, rest: [UInt8]) {
        locateNormalised(GuestMounts.normalise(path))
    }

    /// `locate` of a path already normalised.
    private func locateNormalised(_ path: [UInt8]) -> (mount: Mount, rest: [UInt8]) {
        for mount in mounts {
            if mount.guestPath == [GuestMounts.slash] { return (mount, path.isEmpty ? [GuestMounts.slash] : path) }
            guard path.count >= mount.guestPath.count, path.starts(with: mount.guestPath) else { continue }
            if path.count == mount.guestPath.count { return (mount, [GuestMounts.slash]) }
            if path[mount.guestPath.count] == GuestMounts.slash { return (mount, Array(path[mount.guestPath.count...])) }
        }
        return (mounts[mounts.count - 1], path)
    }

    /// Whether `path` is a volume's mount point (which cannot be removed or renamed: EBUSY).
    public func isMountPoint(_ path: [UInt8]) -> Bool {
        let normal = GuestMounts.normalise(path)
        return normal != [GuestMounts.slash] && mounts.contains { $0.guestPath == normal }
    }

    /// Opens an absolute guest path with open(2) `flags` (O_CLOEXEC added by the caller) and
    /// `mode`. Returns the fd, or -1 with errno set.
    public func open(_ path: [UInt8], flags: Int32, mode: UInt32) -> Int32 {
        var path = GuestMounts.normalise(path)
        for _ in 0..<16 {
            let (mount, rest) = locateNormalised(path)
            let directory = mount.directory()
            guard directory >= 0 else { return -1 }
            let fd = GuestMounts.openat2(directory, rest, flags: flags, mode: mode,
                                         resolve: CLINUX_RESOLVE_IN_ROOT | CLINUX_RESOLVE_NO_MAGICLINKS | CLINUX_RESOLVE_NO_SYMLINKS)
            if fd >= 0 { return fd }
            switch errno {
            case EAGAIN: continue  // a rename raced with RESOLVE_IN_ROOT's check: as open(2), try again
            case ELOOP: return walk(&path, flags: flags, mode: mode)
            default: return -1
            }
        }
        return -1
    }

    /// The slow path of `open`: name by name, links resolved as guest paths.
    private func walk(_ path: inout [UInt8], flags: Int32, mode: UInt32) -> Int32 {
        let follow = flags & O_NOFOLLOW == 0
        var links = 0
        restart: while true {
            let (mount, rest) = locateNormalised(path)
            let names = GuestMounts.components(rest)
            var directory = mount.directory()
            guard directory >= 0 else { return -1 }
            directory = Glibc.dup(directory)
            guard directory >= 0 else { return -1 }
            // The guest path of `directory`, for a relative link's target.
            var here = mount.guestPath == [GuestMounts.slash] ? [] : mount.guestPath
            for (index, name) in names.enumerated() {
                let last = index == names.count - 1
                let child = GuestMounts.withCString(name) { Glibc.openat(directory, $0, clinux_o_path() | O_NOFOLLOW | O_CLOEXEC) }
                var isLink = false
                if child >= 0 {
                    var info = stat()
                    isLink = fstat(child, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
                } else if !(last && errno == ENOENT && flags & O_CREAT != 0) {
                    let error = errno
                    Glibc.close(directory)
                    errno = error
                    return -1
                }
                if isLink && (!last || follow) {
                    let target = GuestMounts.readLink(child)
                    Glibc.close(child)
                    Glibc.close(directory)
                    links += 1
                    guard let target, !target.isEmpty, links <= 40 else { errno = target == nil ? EIO : ELOOP; return -1 }
                    var next = target.first == GuestMounts.slash ? target : here + [GuestMounts.slash] + target
                    for rest in names[(index + 1)...] { next += [GuestMounts.slash] + rest }
                    path = GuestMounts.normalise(next)
                    continue restart
                }
                if last {
                    if child >= 0 { Glibc.close(child) }
                    // The last name with the caller's flags, never following (a link there was
                    // handled above); a link put there meanwhile fails with ELOOP as O_NOFOLLOW does.
                    let fd = GuestMounts.openat2(directory, name, flags: flags | O_NOFOLLOW, mode: mode,
                                                 resolve: CLINUX_RESOLVE_BENEATH | CLINUX_RESOLVE_NO_MAGICLINKS)
                    let error = errno
                    Glibc.close(directory)
                    errno = error
                    if fd < 0, error == ELOOP, follow, links < 40 { links += 1; continue restart }
                    return fd
                }
                Glibc.close(directory)
                directory = child
                here += [GuestMounts.slash] + name
            }
            // The mount's own directory ("/" inside it).
            let fd = GuestMounts.openat2(directory, [UInt8(ascii: ".")], flags: flags, mode: mode,
                                         resolve: CLINUX_RESOLVE_BENEATH)
            let error = errno
            Glibc.close(directory)
            errno = error
            return fd
        }
    }

    /// `body` with `bytes` as a NUL-terminated C string (byte for byte, never through String).
    private static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            // SAFETY: the buffer is NUL-terminated just above.
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }

    private static func openat2(_ directory: Int32, _ path: [UInt8], flags: Int32, mode: UInt32, resolve: UInt64) -> Int32 {
        (path + [0]).withUnsafeBufferPointer { buffer in
            // SAFETY: the buffer is NUL-terminated just above.
            buffer.withMemoryRebound(to: CChar.self) {
                clinux_openat2(directory, $0.baseAddress, UInt64(UInt32(bitPattern: flags)), UInt64(mode & 0o7777), resolve)
            }
        }
    }

    /// The text of the link `fd` (an O_PATH descriptor of it), or nil.
    private static func readLink(_ fd: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { readlinkat(fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        return count >= 0 ? Array(buffer[..<count]) : nil
    }

    /// The names of an absolute normalised path ("/a/b" → ["a", "b"]; "/" → []).
    static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: slash).map { Array($0) }
    }

    /// An absolute path with "." and ".." folded and repeated slashes dropped (as the kernel's
    /// PathResolver gives them).
    static func normalise(_ path: [UInt8]) -> [UInt8] {
        var parts: [ArraySlice<UInt8>] = []
        for part in path.split(separator: slash) {
            if part == [UInt8(ascii: ".")] { continue }
            if part == [UInt8(ascii: "."), UInt8(ascii: ".")] { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        var result: [UInt8] = []
        for part in parts { result.append(slash); result.append(contentsOf: part) }
        return result.isEmpty ? [slash] : result
    }
}
