import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

/// The guest's inotify instances: host instances whose watches name guest paths, resolved
/// beneath the guest's root like every other path, so no file outside it can be watched.
@Suite("Host inotify instances")
final class HostInotifyTests {
    let base: URL
    let root: URL
    let canary: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("inotify-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        canary = base.appendingPathComponent("canary")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: canary, withIntermediateDirectories: true)
        try "inside".write(to: root.appendingPathComponent("sub/inside.txt"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    /// A new instance's handle in `files`.
    func instance(_ files: HostFileTable) -> Int32 {
        let handle = files.file(handle: -1, operation: UK_FILE_INOTIFY_INIT.rawValue, buffer: nil, value: 0)
        #expect(handle > 2)
        return Int32(truncatingIfNeeded: handle)
    }

    func watch(_ files: HostFileTable, _ handle: Int32, _ path: String, mask: UInt32) -> Int64 {
        files.perform(HostFileTable.PathRequest(operation: UK_PATH_INOTIFY_WATCH.rawValue, path: Array(path.utf8),
                                                mode: UInt64(mask), value: Int64(handle)), buffer: nil)
    }

    /// The (wd, mask, name) of every event queued on `handle`.
    func events(_ files: HostFileTable, _ handle: Int32) -> [(wd: Int32, mask: UInt32, name: String)] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { files.read(handle: handle, into: $0, offset: -1) }
        guard count > 0 else { return [] }
        var result: [(wd: Int32, mask: UInt32, name: String)] = []
        var offset = 0
        while offset + 16 <= Int(count) {
            let wd = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
            let mask = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) }
            let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) })
            let name = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
            result.append((wd, mask, String(decoding: name, as: UTF8.self)))
            offset += 16 + length
        }
        return result
    }

    @Test func instancesAreNonBlockingAndEmptyAtFirst() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = instance(files)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { files.read(handle: handle, into: $0, offset: -1) } == -Int64(EAGAIN))
        var queued: Int32 = -1
        let answered = withUnsafeMutableBytes(of: &queued) { files.terminalControl(handle: handle, request: UInt32(FIONREAD), into: $0) }
        #expect(answered == 0 && queued == 0)
    }

    @Test func watchesReportChangesBeneathTheRootByName() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = instance(files)
        let wd = watch(files, handle, "/sub", mask: UInt32(IN_CREATE))
        #expect(wd > 0)
        try "new".write(to: root.appendingPathComponent("sub/new.txt"), atomically: false, encoding: .utf8)
        var queued: Int32 = 0
        _ = withUnsafeMutableBytes(of: &queued) { files.terminalControl(handle: handle, request: UInt32(FIONREAD), into: $0) }
        #expect(queued == 32)
        let seen = events(files, handle)
        #expect(seen.count == 1 && seen.first?.wd == Int32(wd) && seen.first?.mask == UInt32(IN_CREATE) && seen.first?.name == "new.txt")
    }

    @Test func pathsOutsideTheRootCannotBeWatched() throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: canary.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("up").path, withDestinationPath: "../canary")
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = instance(files)
        #expect(watch(files, handle, "/escape", mask: UInt32(IN_CREATE)) == -Int64(ENOENT))
        #expect(watch(files, handle, "/up", mask: UInt32(IN_CREATE)) == -Int64(ENOENT))
        #expect(watch(files, handle, canary.path, mask: UInt32(IN_CREATE)) == -Int64(ENOENT))
        // `..` stops at the root: this watches the root itself, where nothing changes.
        #expect(watch(files, handle, "/../canary/..", mask: UInt32(IN_CREATE)) > 0)
        try "x".write(to: canary.appendingPathComponent("outside.txt"), atomically: false, encoding: .utf8)
        try "y".write(to: base.appendingPathComponent("beside.txt"), atomically: false, encoding: .utf8)
        #expect(events(files, handle).isEmpty)
    }

    @Test func hostDevicesCannotBeWatched() throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("dev"), withIntermediateDirectories: true)
        let files = try HostFileTable(rootDirectory: root.path, devicesAt: "/dev")
        let handle = instance(files)
        #expect(watch(files, handle, "/dev/urandom", mask: UInt32(IN_ACCESS)) == -Int64(EACCES))
        #expect(watch(files, handle, "/dev", mask: UInt32(IN_CREATE)) > 0)
    }

    @Test func dontFollowWatchesTheLinkItselfAndOnlyDirWantsADirectory() throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link").path, withDestinationPath: "sub/inside.txt")
        let files = try HostFileTable(rootDirectory: root.path)
        let handle = instance(files)
        let target = watch(files, handle, "/sub/inside.txt", mask: UInt32(IN_ATTRIB))
        #expect(target > 0)
        #expect(watch(files, handle, "/link", mask: UInt32(IN_ATTRIB)) == target)
        let link = watch(files, handle, "/link", mask: UInt32(IN_ATTRIB) | UInt32(IN_DONT_FOLLOW))
        #expect(link > 0 && link != target)
        #expect(watch(files, handle, "/sub/inside.txt", mask: UInt32(IN_ATTRIB) | UInt32(IN_ONLYDIR)) == -Int64(ENOTDIR))
        #expect(watch(files, handle, "/sub/inside.txt", mask: UInt32(IN_ATTRIB) | UInt32(IN_MASK_CREATE)) == -Int64(EEXIST))
        #expect(watch(files, handle, "/missing", mask: UInt32(IN_ATTRIB)) == -Int64(ENOENT))
    }

    @Test func removingAWatchQueuesInIgnored() throws {
        let files = try HostFileTable(rootDirectory: root.path, readOnly: true)
        let handle = instance(files)
        let wd = watch(files, handle, "/sub", mask: UInt32(IN_CREATE))
        #expect(wd > 0)  // a read-only root can be watched
        #expect(files.file(handle: handle, operation: UK_FILE_INOTIFY_RM_WATCH.rawValue, buffer: nil, value: wd) == 0)
        #expect(files.file(handle: handle, operation: UK_FILE_INOTIFY_RM_WATCH.rawValue, buffer: nil, value: wd) == -Int64(EINVAL))
        let seen = events(files, handle)
        #expect(seen.count == 1 && seen.first?.mask == UInt32(IN_IGNORED))
    }

    @Test func watchesNeedAnInotifyHandle() throws {
        let files = try HostFileTable(rootDirectory: root.path)
        #expect(watch(files, 999, "/sub", mask: UInt32(IN_CREATE)) == -Int64(EBADF))
        let file = files.open(path: Array("/sub/inside.txt".utf8), flags: O_RDONLY, mode: 0)
        #expect(watch(files, Int32(file), "/sub", mask: UInt32(IN_CREATE)) == -Int64(EINVAL))
        #expect(files.file(handle: Int32(file), operation: UK_FILE_INOTIFY_RM_WATCH.rawValue, buffer: nil, value: 1) == -Int64(EINVAL))
    }

    @Test func inheritedDescriptorsKeepTheirKind() throws {
        let state = InheritedState(umask: 0o22, blocked: 0, ignored: 0,
                                   descriptors: [.init(fd: 5, handle: 7, flags: 0o4000, kind: UK_HOST_KIND_INOTIFY),
                                                 .init(fd: 1, handle: 1, flags: 1)],
                                   workingDirectory: Array("/".utf8))
        let decoded = try #require(InheritedState(state.encoded))
        #expect(decoded.descriptors.map(\.kind) == [UK_HOST_KIND_INOTIFY, UK_HOST_KIND_PLAIN])
    }
}
