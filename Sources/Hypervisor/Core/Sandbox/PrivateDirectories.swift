import CLinux
import Glibc
import SystemPackage

/// The guest's own /tmp, /dev and /etc: a private host directory (`$TMPDIR/unikernel.XXXXXX`)
/// shared by every process of the guest (forked and exec'd runners are handed its path) and
/// removed, with whatever the guest left in it, when the first runner ends. Inside it:
/// - `tmp/` (mode 1777) is the guest's /tmp, unless a volume covers /tmp;
/// - `dev/` is the guest's /dev, unless a volume covers /dev: `dev/shm/` (1777) for
///   shm_open/sem_open, and an empty file per name of `HostFileTable.devices` so that listing
///   /dev shows them; opening or stat'ing one of those names reaches the host's device instead
///   (`HostFileTable.resolve`); `dev/pts/`, always empty, where the names of the guest's own
///   pseudo-terminals open their terminal ends (`HostFileTable+PseudoTerminals`); and the links
///   fd, stdin, stdout and stderr into /proc/self/fd (the guest kernel serves those paths itself);
/// - `etc/` is the guest's /etc when neither a volume nor the root has one: passwd, group,
///   hostname and hosts, generated from the host's identity (`IdentityFiles`), so that names of
///   users and groups, `localhost` and the host name resolve as programs expect, with
///   nsswitch.conf (hosts: files dns) and resolv.conf (the host's) for the resolver.
///
/// The directory is made when it is first needed, not when the runner starts: most programs
/// never look at /tmp, /dev or /etc, and making it (about twenty files, the host's user and group
/// databases read through NSS) and removing it again were most of a short run's start-up and
/// teardown. It is needed when a guest path is resolved inside one of its volumes
/// (`GuestMounts`: an open, a stat, a listing of /dev, a shm_open, a socket path in /tmp...)
/// and when another runner must share it (`Machine.fork` makes it before forking, so parent and
/// child see one directory). A runner that execs before making it hands nothing on: the next
/// runner continues the same process and makes its own when needed. Devices in /dev
/// (`/dev/null`, `/dev/urandom`...) are the host's and need no directory. Once made, or once
/// making it failed, that outcome stays: every later use sees the same directory or the same error.
///
/// One owner per runner; the guest's mount table and the runner's configuration share it. Its
/// state is guarded by a lock of its own (the vCPU threads resolve paths under the call lock,
/// but the runner's end removes the directory outside it).
public final class PrivateDirectories: @unchecked Sendable {
    /// The volumes the directory gives, named after their subdirectory.
    public enum Volume: String, CaseIterable, Sendable {
        case tmp, dev, etc

        /// Where the guest sees it.
        public var guestPath: String { "/" + rawValue }
    }

    /// One of the directory's volumes as the guest's mount table holds it.
    public struct Mount: Sendable {
        /// The directory that gives it.
        public let owner: PrivateDirectories
        public let volume: Volume
        public let readOnly: Bool

        /// Where the guest sees it.
        public var guestPath: String { volume.guestPath }
    }

    /// Whether this runner removes the directory at its end (it made it, or continues, after an
    /// execve, the runner that did).
    public let owned: Bool
    /// Where `mkdtemp` makes the directory ($TMPDIR at the runner's start, else /tmp).
    private let base: String
    private let lock = HostMutex()
    /// The directory once made (guarded by `lock`).
    private var made: String?
    /// Why it could not be made, or that it is gone (guarded by `lock`): every later use fails
    /// the same way.
    private var failure: SandboxError?
    /// O_PATH descriptors of the volumes' subdirectories, opened on first use (guarded by `lock`).
    private var directories: [Volume: Int32] = [:]

    /// A directory this runner makes when it is first needed, under `base` ($TMPDIR, or /tmp
    /// when unset or empty), and removes at its end.
    public init(base: String? = nil) {
        let fromEnvironment = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        self.base = base ?? fromEnvironment ?? "/tmp"
        owned = true
    }

    /// The directory another runner of the guest made at `path` (`--private-dirs`); `owned`:
    /// this runner removes it at its end.
    public init(path: String, owned: Bool) {
        base = ""
        made = path
        self.owned = owned
    }

    deinit {
        for fd in directories.values { Glibc.close(fd) }
    }

    /// A directory made at once (what a runner needs before its guest starts; tests).
    public static func create() throws(SandboxError) -> PrivateDirectories {
        let directories = PrivateDirectories()
        _ = try directories.materialize()
        return directories
    }

    /// The host directory, nil until it is made.
    public var path: String? { lock.withLock { made } }

    /// The host directory, made now if it is not yet (with its whole content).
    @discardableResult
    public func materialize() throws(SandboxError) -> String {
        let outcome: Result<String, SandboxError> = lock.withLock { makeLocked() }
        return try outcome.get()
    }

    /// An O_PATH descriptor of `volume`'s host directory (owned by this object: never close it),
    /// making the directory first if needed; -1 with errno set when that fails.
    func directory(_ volume: Volume) -> Int32 {
        lock.withLock {
            if let fd = directories[volume] { return fd }
            let path: String
            switch makeLocked() {
            case let .success(made): path = made
            case let .failure(error):
                errno = error.errno?.rawValue ?? EIO
                return -1
            }
            let fd = Glibc.open(path + "/" + volume.rawValue, clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { directories[volume] = fd }
            return fd
        }
    }

    /// The host path of `volume`'s directory, making the directory first if needed; nil when
    /// it cannot be made.
    public func hostPath(of volume: Volume) -> String? {
        (try? materialize()).map { $0 + "/" + volume.rawValue }
    }

    /// The volumes this directory gives, for the guest paths no user volume covers (/etc only
    /// when the root directory `root` has none either; read-only with a read-only root, as
    /// the root's own /etc would be). Nothing is made on the host.
    public func volumes(besides user: [VolumeSpec], root: String, readOnlyRoot: Bool = false) -> [Mount] {
        var result: [Mount] = []
        for volume in Volume.allCases where !user.contains(where: { $0.guestPath == volume.guestPath }) {
            var info = stat()
            if volume == .etc, lstat(root + "/etc", &info) == 0 { continue }
            result.append(Mount(owner: self, volume: volume, readOnly: volume == .etc && readOnlyRoot))
        }
        return result
    }

    /// Whether the guest's /dev is this directory's dev/ (no user volume covers /dev).
    public func servesDevices(besides user: [VolumeSpec]) -> Bool {
        !user.contains { $0.guestPath == "/dev" }
    }

    /// Removes the directory and everything in it (never following a link out of it), if it
    /// was made; it is not made again afterwards.
    public func remove() {
        lock.withLock {
            guard let path = made else { return }
            PrivateDirectories.remove(path)
            for fd in directories.values { Glibc.close(fd) }
            directories = [:]
            failure = .privateDirectories(step: "use \(path) after its removal", errno: .noSuchFileOrDirectory)
            made = nil
        }
    }

    /// `materialize` with the lock held.
    private func makeLocked() -> Result<String, SandboxError> {
        if let made { return .success(made) }
        if let failure { return .failure(failure) }
        let outcome = PrivateDirectories.make(in: base)
        switch outcome {
        case let .success(path): made = path
        case let .failure(error):
            failure = error
            // The guest sees only an errno: say once what went wrong.
            let line = "hypervisor: \(error.description)\n"
            _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        }
        return outcome
    }

    /// Makes a new directory under `base` with the whole content described above.
    private static func make(in base: String) -> Result<String, SandboxError> {
        var template = Array((base + "/unikernel.XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            return .failure(.privateDirectories(step: "mkdtemp in \(base)", errno: .current))
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // mkdir applies the umask: chmod gives tmp/ and shm/ their sticky, world-writable mode.
        for (name, mode) in [("tmp", 0o1777), ("dev", 0o755), ("dev/shm", 0o1777), ("dev/pts", 0o755), ("etc", 0o755)] as [(String, mode_t)] {
            guard mkdir(path + "/" + name, mode) == 0, chmod(path + "/" + name, mode) == 0 else {
                let error = Errno.current
                remove(path)
                return .failure(.privateDirectories(step: "mkdir \(path)/\(name)", errno: error))
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
        return .success(path)
    }

    /// Removes the directory `path` and everything in it (never following a link out of it).
    private static func remove(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        empty(fd)
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
