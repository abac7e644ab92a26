import Glibc

/// The /etc files a guest without its own /etc gets (PrivateDirectories): the host's
/// entries for root, the runner's user and group and `nobody`, copied field by field from the
/// host's user and group databases, so a program in the guest names its user as it would when
/// run directly; the guest's host name (what uname reports) and the loopback names; and the
/// resolver's configuration, so that `getaddrinfo("localhost")` reads hosts in both C libraries
/// (static glibc without an nsswitch.conf would ask DNS first) and a name hosts lacks reaches
/// the host's name server, as it would natively.
enum IdentityFiles {
    /// The guest's host name: uname's nodename in the guest kernel.
    static let hostName = "unikernel"

    /// Where the host's resolver configuration is read from.
    static let hostResolvConf = "/etc/resolv.conf"

    /// What the guest's resolv.conf says when the host's cannot be read: the loopback name server.
    static let fallbackResolvConf = "nameserver 127.0.0.1\n"

    /// The guest's nsswitch.conf: users and groups from the generated files, host names from
    /// hosts first, then DNS (glibc's order for a missing entry is the reverse).
    static let nsswitchConf = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"

    /// (file name, content) for passwd, group, hostname, hosts, nsswitch.conf and resolv.conf.
    static func generate(resolvConfPath: String = hostResolvConf) -> [(String, String)] {
        var users: [String] = []
        var groups: [String] = []
        for uid in unique([0, getuid(), geteuid(), 65534]) {
            if let line = passwdLine(uid) { users.append(line) }
        }
        for gid in unique([0, getgid(), getegid(), 65534]) {
            if let line = groupLine(gid) { groups.append(line) }
        }
        return [
            ("passwd", users.map { $0 + "\n" }.joined()),
            ("group", groups.map { $0 + "\n" }.joined()),
            ("hostname", hostName + "\n"),
            ("hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t\(hostName)\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
            ("nsswitch.conf", nsswitchConf),
            ("resolv.conf", resolvConf(hostPath: resolvConfPath)),
        ]
    }

    /// The host's resolver configuration as it is, or the loopback name server when it cannot be
    /// read or is empty (a file with a NUL byte is not text and counts as unreadable).
    static func resolvConf(hostPath: String) -> String {
        let fd = Glibc.open(hostPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return fallbackResolvConf }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        // A resolver file is small; 64 KiB bounds what a strange one (a FIFO, a device) costs.
        while bytes.count < 65536 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                if count < 0 { return fallbackResolvConf }
                break
            }
            bytes += chunk[0..<count]
        }
        guard !bytes.isEmpty, !bytes.contains(0) else { return fallbackResolvConf }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    private static func unique(_ ids: [UInt32]) -> [UInt32] {
        var seen: [UInt32] = []
        for id in ids where !seen.contains(id) { seen.append(id) }
        return seen
    }

    /// The host's passwd entry for `uid` in /etc/passwd's format (the password field "x").
    static func passwdLine(_ uid: uid_t) -> String? {
        guard let entry = getpwuid(uid) else { return nil }
        let fields = [String(cString: entry.pointee.pw_name), "x", String(uid), String(entry.pointee.pw_gid),
                      String(cString: entry.pointee.pw_gecos), String(cString: entry.pointee.pw_dir),
                      String(cString: entry.pointee.pw_shell)]
        return fields.contains { $0.contains(":") || $0.contains("\n") } ? nil : fields.joined(separator: ":")
    }

    /// The host's group entry for `gid` in /etc/group's format (members listed).
    static func groupLine(_ gid: gid_t) -> String? {
        guard let entry = getgrgid(gid) else { return nil }
        var members: [String] = []
        var cursor = entry.pointee.gr_mem
        while let member = cursor?.pointee {
            members.append(String(cString: member))
            cursor = cursor?.advanced(by: 1)
        }
        let fields = [String(cString: entry.pointee.gr_name), "x", String(gid), members.joined(separator: ",")]
        return fields.contains { $0.contains(":") || $0.contains("\n") } ? nil : fields.joined(separator: ":")
    }
}
