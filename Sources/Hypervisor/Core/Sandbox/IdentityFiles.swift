import Glibc

/// The /etc files a guest without its own /etc gets (PrivateDirectories): the host's
/// entries for root, the runner's user and group and `nobody`, copied field by field from the
/// host's user and group databases, so a program in the guest names its user as it would when
/// run directly; the guest's host name (what uname reports) and the loopback names.
enum IdentityFiles {
    /// The guest's host name: uname's nodename in the guest kernel.
    static let hostName = "unikernel"

    /// (file name, content) for passwd, group, hostname and hosts.
    static func generate() -> [(String, String)] {
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
        ]
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
