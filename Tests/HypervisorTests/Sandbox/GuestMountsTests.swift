import Foundation
import Glibc
import Testing
import UnikernelABI

@testable import Hypervisor

/// Volumes over the guest's root, links between them, and the host devices of the guest's /dev.
@Suite("Guest mounts")
final class GuestMountsTests {
    let base: URL
    let root: URL
    let usr: URL
    let etc: URL
    let canary: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("mounts-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        usr = base.appendingPathComponent("usr")
        etc = base.appendingPathComponent("etc")
        canary = base.appendingPathComponent("canary.txt")
        for directory in [root, usr.appendingPathComponent("lib"), etc.appendingPathComponent("alternatives")] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try "outside".write(to: canary, atomically: true, encoding: .utf8)
        try "libc".write(to: usr.appendingPathComponent("lib/libc.so"), atomically: true, encoding: .utf8)
        try "mawk".write(to: etc.appendingPathComponent("alternatives/awk-target"), atomically: true, encoding: .utf8)
        // Absolute and relative links that cross from one mount into another, as Debian's do.
        try FileManager.default.createSymbolicLink(atPath: usr.appendingPathComponent("awk").path, withDestinationPath: "/etc/alternatives/awk")
        try FileManager.default.createSymbolicLink(atPath: etc.appendingPathComponent("alternatives/awk").path, withDestinationPath: "awk-target")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("lib").path, withDestinationPath: "usr/lib")
        try FileManager.default.createSymbolicLink(atPath: usr.appendingPathComponent("out").path, withDestinationPath: "../../canary.txt")
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    func table() throws -> HostFileTable {
        try HostFileTable(rootDirectory: root.path, volumes: [
            VolumeSpec(hostPath: usr.path, guestPath: "/usr", readOnly: false),
            VolumeSpec(hostPath: etc.path, guestPath: "/etc", readOnly: true),
        ], devicesAt: "/dev")
    }

    func contents(_ files: HostFileTable, _ path: String) -> String? { files.contents(of: path) }

    @Test func parsesVolumeOptions() throws {
        #expect(try VolumeSpec.parse("/srv:/data/").get() == VolumeSpec(hostPath: "/srv", guestPath: "/data", readOnly: false))
        #expect(try VolumeSpec.parse("/srv:/a/../b:ro").get() == VolumeSpec(hostPath: "/srv", guestPath: "/b", readOnly: true))
        for bad in ["/srv", "/srv:data", "/srv:/", ":/data", "/srv:/data:rx"] {
            #expect((try? VolumeSpec.parse(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func pathsResolveInTheirMount() throws {
        let files = try table()
        #expect(contents(files, "/usr/lib/libc.so") == "libc")
        #expect(contents(files, "/usr/../usr/lib/libc.so") == "libc")
        #expect(files.mounts.isVolume(Array("/usr/lib".utf8)))
        #expect(!files.mounts.isVolume(Array("/usrlib".utf8)))
    }

    @Test func linksLeadFromOneMountIntoAnother() throws {
        let files = try table()
        #expect(contents(files, "/usr/awk") == "mawk")      // /usr → /etc (absolute), then relative
        #expect(contents(files, "/lib/libc.so") == "libc")  // root → /usr (relative)
        #expect(contents(files, "/usr/out") == nil)         // ".." stays in the guest's file system
    }

    @Test func readOnlyVolumesRefuseWrites() throws {
        let files = try table()
        #expect(files.open(path: Array("/etc/new".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644) == -Int64(EROFS))
        let unlink = HostFileTable.PathRequest(operation: UK_PATH_UNLINK.rawValue, path: Array("/etc/alternatives/awk".utf8))
        #expect(files.perform(unlink, buffer: nil) == -Int64(EROFS))
        let handle = files.open(path: Array("/usr/new".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644)
        #expect(handle >= 0)
    }

    @Test func renamesBetweenMountsAreEXDEVAndMountPointsBusy() throws {
        let files = try table()
        _ = files.open(path: Array("/moved".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644)
        let rename = HostFileTable.PathRequest(operation: UK_PATH_RENAME.rawValue, path: Array("/moved".utf8),
                                               path2: Array("/usr/moved".utf8))
        #expect(files.perform(rename, buffer: nil) == -Int64(EXDEV))
        let rmdir = HostFileTable.PathRequest(operation: UK_PATH_RMDIR.rawValue, path: Array("/usr".utf8))
        #expect(files.perform(rmdir, buffer: nil) == -Int64(EBUSY))
    }

    @Test func devicesAreTheHostsAndKeepTheirMetadata() throws {
        let files = try table()
        var before = stat()
        #expect(stat("/dev/null", &before) == 0)
        let handle = files.open(path: Array("/dev/null".utf8), flags: O_RDWR, mode: 0)
        #expect(handle >= 0)
        #expect(files.file(handle: Int32(handle), operation: UK_FILE_CHMOD.rawValue, buffer: nil, value: 0o025) == -Int64(EPERM))
        let chmodPath = HostFileTable.PathRequest(operation: UK_PATH_CHMOD.rawValue, path: Array("/dev/null".utf8), mode: 0o025)
        #expect(files.perform(chmodPath, buffer: nil) == -Int64(EPERM))
        var after = stat()
        #expect(stat("/dev/null", &after) == 0)
        #expect(after.st_mode == before.st_mode && after.st_uid == before.st_uid)
        #expect(contents(files, "/dev/zero").map { $0.utf8.allSatisfy { $0 == 0 } } == true)
        #expect(files.open(path: Array("/dev/sda".utf8), flags: O_RDONLY, mode: 0) < 0)
    }

    @Test func resolvConfIsTheHostsOrTheLoopbackNameServer() throws {
        let file = base.appendingPathComponent("resolv.conf")
        try "search example.test\nnameserver 192.0.2.1".write(to: file, atomically: true, encoding: .utf8)
        #expect(IdentityFiles.resolvConf(hostPath: file.path) == "search example.test\nnameserver 192.0.2.1\n")
        let generated = IdentityFiles.generate(resolvConfPath: file.path)
        #expect(generated.first { $0.0 == "resolv.conf" }?.1 == "search example.test\nnameserver 192.0.2.1\n")
        // Missing, empty, or not text (a NUL byte): the loopback name server.
        #expect(IdentityFiles.resolvConf(hostPath: base.appendingPathComponent("missing").path) == "nameserver 127.0.0.1\n")
        try Data().write(to: file)
        #expect(IdentityFiles.resolvConf(hostPath: file.path) == "nameserver 127.0.0.1\n")
        try Data([0x6e, 0, 0x0a]).write(to: file)
        #expect(IdentityFiles.resolvConf(hostPath: file.path) == "nameserver 127.0.0.1\n")
        #expect(IdentityFiles.resolvConf(hostPath: base.path) == "nameserver 127.0.0.1\n")  // a directory
        #expect(Set(generated.map(\.0)) == ["passwd", "group", "hostname", "hosts", "nsswitch.conf", "resolv.conf"])
    }

    @Test func privateDirectoriesAreMadeAndRemoved() throws {
        let made = try PrivateDirectories.create()
        #expect(FileManager.default.fileExists(atPath: made.path + "/tmp"))
        #expect(FileManager.default.fileExists(atPath: made.path + "/dev/shm"))
        try "left".write(toFile: made.path + "/tmp/file", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: made.path + "/tmp/a/b", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: made.path + "/tmp/a/out", withDestinationPath: base.path)
        // /etc only when the root has none: `base/noEtc` has none, `base/withEtc` has one.
        let noEtc = base.appendingPathComponent("noEtc").path
        try FileManager.default.createDirectory(atPath: noEtc, withIntermediateDirectories: true)
        #expect(made.volumes(besides: [], root: noEtc).map(\.guestPath) == ["/tmp", "/dev", "/etc"])
        #expect(made.volumes(besides: [VolumeSpec(hostPath: "/x", guestPath: "/tmp", readOnly: false)], root: noEtc)
            .map(\.guestPath) == ["/dev", "/etc"])
        let withEtc = base.appendingPathComponent("withEtc").path
        try FileManager.default.createDirectory(atPath: withEtc + "/etc", withIntermediateDirectories: true)
        #expect(made.volumes(besides: [], root: withEtc).map(\.guestPath) == ["/tmp", "/dev"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: made.path + "/dev/stdin") == "/proc/self/fd/0")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: made.path + "/dev/fd") == "/proc/self/fd")
        // The generated identity is the host's own entry, field for field.
        let passwd = try String(contentsOfFile: made.path + "/etc/passwd", encoding: .utf8)
        let me = try #require(getpwuid(getuid()))
        let mine = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
            .first { $0.count == 7 && $0[2] == "\(getuid())" }
        #expect(mine.map { String($0[0]) } == String(cString: me.pointee.pw_name))
        #expect(mine.map { String($0[5]) } == String(cString: me.pointee.pw_dir))
        #expect(mine.map { String($0[6]) } == String(cString: me.pointee.pw_shell))
        #expect(try String(contentsOfFile: made.path + "/etc/group", encoding: .utf8).hasPrefix("root:x:0:"))
        #expect(try String(contentsOfFile: made.path + "/etc/hosts", encoding: .utf8).contains("127.0.0.1\tlocalhost\n"))
        let nsswitch = try String(contentsOfFile: made.path + "/etc/nsswitch.conf", encoding: .utf8)
        #expect(nsswitch.contains("hosts: files dns\n") && nsswitch.contains("passwd: files\n") && nsswitch.contains("group: files\n"))
        #expect(FileManager.default.fileExists(atPath: made.path + "/etc/resolv.conf"))
        made.remove()
        #expect(!FileManager.default.fileExists(atPath: made.path))
        #expect(FileManager.default.fileExists(atPath: canary.path))  // a link inside is not followed
    }
}
