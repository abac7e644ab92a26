import Foundation
import Glibc
import Testing

@testable import Hypervisor

/// The guest's root directory: paths resolve beneath it and nowhere else.
@Suite("Host file sandbox")
final class HostFileTableTests {
    let base: URL
    let root: URL
    let canary: URL

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)")
        root = base.appendingPathComponent("root")
        canary = base.appendingPathComponent("canary.txt")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "outside".write(to: canary, atomically: true, encoding: .utf8)
        try "inside".write(to: root.appendingPathComponent("sub/inside.txt"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: base) }

    func table(readOnly: Bool = false) throws -> HostFileTable {
        try HostFileTable(rootDirectory: root.path, readOnly: readOnly)
    }

    func contents(_ files: HostFileTable, _ path: String) -> String? { files.contents(of: path) }

    @Test func opensAbsoluteGuestPathsBeneathTheRoot() throws {
        #expect(contents(try table(), "/sub/inside.txt") == "inside")
    }

    @Test func dotDotStopsAtTheRoot() throws {
        let files = try table()
        #expect(contents(files, "/../canary.txt") == nil)
        #expect(contents(files, "/sub/../../../canary.txt") == nil)
        #expect(contents(files, "/../root/sub/inside.txt") == nil || contents(files, "/../root/sub/inside.txt") == "inside")
    }

    @Test func absoluteSymlinkResolvesInsideTheRoot() throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: canary.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("up").path, withDestinationPath: "../canary.txt")
        let files = try table()
        #expect(contents(files, "/escape") == nil)
        #expect(contents(files, "/up") == nil)
    }

    @Test func procMagicLinksAreRefused() throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("proc").path, withDestinationPath: "/proc")
        let files = try table()
        #expect(contents(files, "/proc/self/root/\(canary.path)") == nil)
    }

    @Test func createdFilesLandInsideTheRoot() throws {
        let files = try table()
        let handle = files.open(path: Array("/../new.txt".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644)
        #expect(handle >= 0)
        _ = files.close(handle: Int32(handle))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("new.txt").path))
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("new.txt").path))
    }

    @Test func readOnlyRootRefusesWritesWithEROFS() throws {
        let files = try table(readOnly: true)
        #expect(files.open(path: Array("/new.txt".utf8), flags: O_WRONLY | O_CREAT, mode: 0o644) == -Int64(EROFS))
        #expect(files.open(path: Array("/sub/inside.txt".utf8), flags: O_RDWR, mode: 0) == -Int64(EROFS))
        #expect(files.open(path: Array("/sub/inside.txt".utf8), flags: O_RDONLY | O_TRUNC, mode: 0) == -Int64(EROFS))
        #expect(contents(files, "/sub/inside.txt") == "inside")
    }

    @Test func rejectsEmptyAndNulPaths() throws {
        let files = try table()
        #expect(files.open(path: [], flags: O_RDONLY, mode: 0) == -Int64(ENOENT))
        #expect(files.open(path: Array("/sub\0/x".utf8), flags: O_RDONLY, mode: 0) == -Int64(EINVAL))
    }

    @Test func unknownHandlesAreEBADF() throws {
        let files = try table()
        #expect(files.close(handle: 77) == -Int64(EBADF))
        #expect(files.seek(handle: 77, offset: 0, whence: SEEK_SET) == -Int64(EBADF))
    }

    @Test func canaryOutsideTheRootIsUntouched() throws {
        let before = try Data(contentsOf: canary)
        let files = try table()
        for path in ["/../canary.txt", "/../../canary.txt", canary.path, "/proc/self/cwd/../canary.txt"] {
            let handle = files.open(path: Array(path.utf8), flags: O_WRONLY | O_TRUNC, mode: 0)
            if handle >= 0 { _ = files.close(handle: Int32(handle)) }
        }
        #expect(try Data(contentsOf: canary) == before)
    }
}
