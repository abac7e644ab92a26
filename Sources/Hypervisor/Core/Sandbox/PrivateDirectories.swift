import Glibc
import SystemPackage

/// The guest's own /tmp and /dev: a private host directory (`$TMPDIR/unikernel.XXXXXX`) made
/// at the first runner's start, shared by every process of the guest (forked and exec'd runners
/// are handed its path) and removed, with whatever the guest left in it, when the first runner
/// ends. Inside it:
/// - `tmp/` (mode 1777) is the guest's /tmp, unless a volume covers /tmp;
/// - `dev/` is the guest's /dev, unless a volume covers /dev: `dev/shm/` (1777) for
///   shm_open/sem_open, and an empty file per name of `HostFileTable.devices` so that listing
///   /dev shows them; opening or stat'ing one of those names reaches the host's device instead
///   (`HostFileTable.resolve`); and the links fd, stdin, stdout and stderr into /proc/self/fd
///   (the guest kernel serves those paths itself);
/// - `etc/` is the guest's /etc when neither a volume nor the root has one: passwd, group,
///   hostname and hosts, generated from the host's identity (`IdentityFiles`), so that names of
///   users and groups, `localhost` and the host name resolve as programs expect, with
///   nsswitch.conf (hosts: files dns) and resolv.conf (the host's) for the resolver.
public struct PrivateDirectories: Equatable, Sendable {
    /// The host directory holding tmp/ and dev/.
    public var path: String
    /// Whether this runner made it and removes it at its end.
    public var owned: Bool

    public init(path: String, owned: Bool) {
        self.path = path
        self.owned = owned
    }

    /// Makes a new private directory under $TMPDIR (or /tmp).
    public static func create() throws(SandboxError) -> PrivateDirectories {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/unikernel.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw .privateDirectories(reason: "mkdtemp in \(base): \(Errno.current)")
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let made = PrivateDirectories(path: path, owned: true)
        // mkdir applies the umask: chmod gives tmp/ and shm/ their sticky, world-writable mode.
        for (name, mode) in [("tmp", 0o1777), ("dev", 0o755), ("dev/shm", 0o1777), ("etc", 0o755)] as [(String, mode_t)] {
            guard mkdir(path + "/" + name, mode) == 0, chmod(path + "/" + name, mode) == 0 else {
                let error = Errno.current
                made.remove()
                throw .privateDirectories(reason: "mkdir \(path)/\(name): \(error)")
            }
        }
        for device in HostFileTable.devices {
            let fd = Glibc.open(path + "/dev/" + String(decoding: device, as: UTF8.self), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 { Glibc.close(fd) }
        }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                               ("stderr", "/proc/self/fd/2")] {
            symlink(target, path + "/dev/" + name)
        }
        for (name, text) in IdentityFiles.generate() {
            let fd = Glibc.open(path + "/etc/" + name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
            Glibc.close(fd)
        }
        return made
    }

    /// The volumes these directories give, for the guest paths no user volume covers (/etc only
    /// when the root directory `root` has none either; read-only with a read-only root, as
    /// the root's own /etc would be).
    public func volumes(besides user: [VolumeSpec], root: String, readOnlyRoot: Bool = false) -> [VolumeSpec] {
        var result: [VolumeSpec] = []
        for (guest, host) in [("/tmp", "tmp"), ("/dev", "dev"), ("/etc", "etc")] where !user.contains(where: { $0.guestPath == guest }) {
            var info = stat()
            if guest == "/etc", lstat(root + "/etc", &info) == 0 { continue }
            result.append(VolumeSpec(hostPath: path + "/" + host, guestPath: guest, readOnly: guest == "/etc" && readOnlyRoot))
        }
        return result
    }

    /// Whether the guest's /dev is this directory's dev/ (no user volume covers /dev).
    public func servesDevices(besides user: [VolumeSpec]) -> Bool {
        !user.contains { $0.guestPath == "/dev" }
    }

    /// Removes the directory and everything in it (never following a link out of it).
    public func remove() {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        PrivateDirectories.empty(fd)
        Glibc.close(fd)
        rmdir(path)
    }

    /// Removes everything inside the open directory `fd`.
    private static func empty(_ fd: Int32) {
        let copy = Glibc.dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else { return }
        defer { closedir(stream) }
        // Names byte for byte (a name need not be UTF-8).
        var names: [([CChar], Bool)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.bindMemory(to: CChar.self).prefix { $0 != 0 }) + [0]
            }
            if name == [46, 0] || name == [46, 46, 0] { continue }  // "." and ".."
            names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
        }
        for (name, isDirectory) in names {
            if isDirectory || unlinkat(fd, name, 0) != 0 && errno == EISDIR {
                let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    empty(child)
                    Glibc.close(child)
                }
                unlinkat(fd, name, AT_REMOVEDIR)
            }
        }
    }
}
