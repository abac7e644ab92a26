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
        let path = try #require(made.path)
        #expect(FileManager.default.fileExists(atPath: path + "/tmp"))
        #expect(FileManager.default.fileExists(atPath: path + "/dev/shm"))
        try "left".write(toFile: path + "/tmp/file", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: path + "/tmp/a/b", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/tmp/a/out", withDestinationPath: base.path)
        // /etc only when the root has none: `base/noEtc` has none, `base/withEtc` has one.
        let noEtc = base.appendingPathComponent("noEtc").path
        try FileManager.default.createDirectory(atPath: noEtc, withIntermediateDirectories: true)
        #expect(made.volumes(besides: [], root: noEtc).map(\.guestPath) == ["/tmp", "/dev", "/etc"])
        #expect(made.volumes(besides: [VolumeSpec(hostPath: "/x", guestPath: "/tmp", readOnly: false)], root: noEtc)
            .map(\.guestPath) == ["/dev", "/etc"])
        let withEtc = base.appendingPathComponent("withEtc").path
        try FileManager.default.createDirectory(atPath: withEtc + "/etc", withIntermediateDirectories: true)
        #expect(made.volumes(besides: [], root: withEtc).map(\.guestPath) == ["/tmp", "/dev"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/dev/stdin") == "/proc/self/fd/0")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + "/dev/fd") == "/proc/self/fd")
        // The generated identity is the host's own entry, field for field.
        let passwd = try String(contentsOfFile: path + "/etc/passwd", encoding: .utf8)
        let me = try #require(getpwuid(getuid()))
        let mine = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
            .first { $0.count == 7 && $0[2] == "\(getuid())" }
        #expect(mine.map { String($0[0]) } == String(cString: me.pointee.pw_name))
        #expect(mine.map { String($0[5]) } == String(cString: me.pointee.pw_dir))
        #expect(mine.map { String($0[6]) } == String(cString: me.pointee.pw_shell))
        #expect(try String(contentsOfFile: path + "/etc/group", encoding: .utf8).hasPrefix("root:x:0:"))
        #expect(try String(contentsOfFile: path + "/etc/hosts", encoding: .utf8).contains("127.0.0.1\tlocalhost\n"))
        let nsswitch = try String(contentsOfFile: path + "/etc/nsswitch.conf", encoding: .utf8)
        #expect(nsswitch.contains("hosts: files dns\n") && nsswitch.contains("passwd: files\n") && nsswitch.contains("group: files\n"))
        #expect(FileManager.default.fileExists(atPath: path + "/etc/resolv.conf"))
        made.remove()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(made.path == nil)
        #expect(FileManager.default.fileExists(atPath: canary.path))  // a link inside is not followed
    }

    /// A table over a private directory made under `parent` when first used.
    func tableWithPrivateDirectory(in parent: String) throws -> (HostFileTable, PrivateDirectories) {
        let own = PrivateDirectories(base: parent)
        let files = try HostFileTable(rootDirectory: root.path, privateVolumes: own.volumes(besides: [], root: root.path),
                                      devicesAt: "/dev")
        return (files, own)
    }

    @Test func privateDirectoryIsMadeOnlyWhenAPathFirstReachesIt() throws {
        let parent = base.appendingPathComponent("private").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let (files, own) = try tableWithPrivateDirectory(in: parent)
        // The root, the host's devices and /proc-like names the kernel serves need nothing made.
        #expect(files.open(path: Array("/dev/null".utf8), flags: O_RDONLY, mode: 0) >= 0)
        #expect(files.open(path: Array("/dev/urandom".utf8), flags: O_RDONLY, mode: 0) >= 0)
        #expect(files.open(path: Array("/made-in-root".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644) >= 0)
        let rmdir = HostFileTable.PathRequest(operation: UK_PATH_RMDIR.rawValue, path: Array("/tmp".utf8))
        #expect(files.perform(rmdir, buffer: nil) == -Int64(EBUSY))  // a mount point, known without the directory
        #expect(own.path == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
        // The first path into /tmp makes the whole directory, as a runner's start used to.
        #expect(files.open(path: Array("/tmp/first".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644) >= 0)
        let path = try #require(own.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == [(path as NSString).lastPathComponent])
        #expect(FileManager.default.fileExists(atPath: path + "/tmp/first"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: path + "/dev"))
            == ["null", "zero", "full", "random", "urandom", "tty", "ptmx", "shm", "pts", "fd", "stdin", "stdout", "stderr"])
        var info = stat()
        #expect(stat(path + "/dev/shm", &info) == 0 && info.st_mode & 0o7777 == 0o1777)
        #expect(stat(path + "/tmp", &info) == 0 && info.st_mode & 0o7777 == 0o1777)
        #expect(contents(files, "/etc/hostname") == "unikernel\n")
        own.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
    }

    @Test func listingDevMakesThePrivateDirectory() throws {
        let parent = base.appendingPathComponent("private-dev").path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let (files, own) = try tableWithPrivateDirectory(in: parent)
        #expect(files.open(path: Array("/dev".utf8), flags: O_RDONLY | O_DIRECTORY, mode: 0) >= 0)
        let path = try #require(own.path)
        #expect(FileManager.default.fileExists(atPath: path + "/dev/tty"))
        own.remove()
    }

    @Test func privateDirectoryThatCannotBeMadeFailsEveryUseAlike() throws {
        let (files, own) = try tableWithPrivateDirectory(in: base.appendingPathComponent("missing/parent").path)
        #expect(files.open(path: Array("/dev/null".utf8), flags: O_RDONLY, mode: 0) >= 0)
        #expect(files.open(path: Array("/tmp/x".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644) == -Int64(ENOENT))
        // Made meanwhile, the parent is not tried again: parent and forked children agree.
        try FileManager.default.createDirectory(at: base.appendingPathComponent("missing/parent"), withIntermediateDirectories: true)
        #expect(files.open(path: Array("/etc/passwd".utf8), flags: O_RDONLY, mode: 0) == -Int64(ENOENT))
        #expect(own.path == nil)
        #expect(throws: SandboxError.self) { try own.materialize() }
    }

    @Test func anExecHandsOnlyAMadeDirectoryToTheNextRunner() throws {
        var configuration = MachineConfiguration(kernelPath: "/k", programPath: "/p", arguments: ["p"], environment: [])
        let own = PrivateDirectories(base: base.path)
        configuration.privateDirectories = own
        #expect(!configuration.commandLineOptions(rootDirectory: "/r", ownsPrivateDirectories: true).contains("--private-dirs"))
        let path = try own.materialize()
        let options = configuration.commandLineOptions(rootDirectory: "/r", ownsPrivateDirectories: true)
        let at = try #require(options.firstIndex(of: "--private-dirs"))
        #expect(options[at + 1] == path && options.contains("--private-dirs-owned"))
        own.remove()
    }
}
