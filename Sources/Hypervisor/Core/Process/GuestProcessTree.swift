import CLinux
import Glibc

/// Which host processes are the guest's: the guest is its own pid namespace, so kill, getpgid
/// and getsid reach its processes (any of them: a grandchild, a sibling, the parent) and no
/// other host process, whatever groups and sessions the guest makes.
///
/// Every guest process is a runner, and every runner of one guest descends from its first
/// runner by fork (which copies the descriptor table) and execve (which keeps descriptors
/// without close-on-exec). The first runner makes a marker, an anonymous memfd, before its
/// first fork; every later runner holds it open at the same descriptor number (`--process-tree`
/// names it to an execve's runner). A host process is the guest's when
/// `/proc/PID/fd/MARKER` is that memfd: the host kernel keeps the answer true (the guest cannot
/// close the runner's descriptors, no other process can open an anonymous memfd, and a reused
/// pid holds no such descriptor). A zombie has no descriptors any more: it is the guest's when
/// its parent is. The marker is close-on-exec except across the runner's own execve, so no
/// host program a runner starts for itself counts as a guest process.
///
/// Before the first fork there is no marker and the runner is the guest's only process.
public enum GuestProcessTree {
    /// The marker's descriptor, or -1 before the first fork. Written while the runner has one
    /// thread (start-up) or under the machine's call lock (fork).
    nonisolated(unsafe) private(set) static var marker: Int32 = -1
    /// The marker's device and inode.
    nonisolated(unsafe) private static var identity: (device: UInt64, inode: UInt64) = (0, 0)

    /// Records the marker a runner inherited across execve (`--process-tree FD`); false when
    /// `fd` is not an open memfd.
    @discardableResult
    public static func inherit(descriptor fd: Int32) -> Bool {
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0 else { return false }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        marker = fd
        identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        return true
    }

    /// Makes the marker if there is none yet: before a fork, so that parent and child hold it.
    static func establish() {
        guard marker < 0 else { return }
        let fd = clinux_process_tree_marker()
        guard fd >= 0 else { return }
        inherit(descriptor: fd)
    }

    /// Whether `pid` names one of the guest's processes (this one, or one holding the marker,
    /// or a zombie whose parent is the guest's).
    static func contains(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if pid == getpid() { return true }
        guard marker >= 0 else { return false }
        if holdsMarker(pid) { return true }
        guard let (state, parent) = statusLine(of: pid), state == UInt8(ascii: "Z") else { return false }
        return parent == getpid() || holdsMarker(parent)
    }

    /// Every guest process but this one, from /proc.
    static func others() -> [pid_t] {
        guard marker >= 0, let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [pid_t] = []
        let me = getpid()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = pid_t(name), pid != me, contains(pid) else { continue }
            found.append(pid)
        }
        return found
    }

    /// The runner options that hand the marker to an execve's runner, with close-on-exec
    /// cleared on it (`restoreAfterFailedExec` sets it again).
    static func prepareForExec() -> [String] {
        guard marker >= 0 else { return [] }
        _ = fcntl(marker, F_SETFD, 0)
        return ["--process-tree", "\(marker)"]
    }

    static func restoreAfterFailedExec() {
        if marker >= 0 { _ = fcntl(marker, F_SETFD, FD_CLOEXEC) }
    }

    /// Whether process `pid` has the marker open at the marker's number.
    private static func holdsMarker(_ pid: pid_t) -> Bool {
        var info = stat()
        guard stat("/proc/\(pid)/fd/\(marker)", &info) == 0 else { return false }
        return UInt64(info.st_dev) == identity.device && UInt64(info.st_ino) == identity.inode
    }

    /// The state letter and parent pid from /proc/PID/stat ("pid (comm) S ppid ...", the name
    /// may hold spaces and parentheses: the fields start after the last ')').
    private static func statusLine(of pid: pid_t) -> (UInt8, pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let end = bytes[..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(end + 1)..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let state = fields[0].first,
              let parent = pid_t(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return (state, parent)
    }
}
