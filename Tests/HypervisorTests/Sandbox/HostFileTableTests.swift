import Foundation
import Glibc
import Testing

@testable import Hypervisor
import UnikernelABI

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

    /// Runs a UK_FILE_* operation whose buffer holds `request`, and returns the result and
    /// the request as the host left it.
    func fileOperation<Request>(_ files: HostFileTable, handle: Int32, _ operation: uk_file_op, _ request: Request,
                                value: Int64 = 0) -> (Int64, Request) {
        var request = request
        let result = withUnsafeMutableBytes(of: &request) {
            files.file(handle: handle, operation: operation.rawValue, buffer: $0, value: value)
        }
        return (result, request)
    }

    @Test func fallocateReachesTheHostFileAndChecksItsRequest() throws {
        let files = try table()
        let handle = Int32(files.open(path: Array("/space.bin".utf8), flags: O_RDWR | O_CREAT, mode: 0o644))
        #expect(handle >= 0)
        defer { _ = files.close(handle: handle) }
        #expect(fileOperation(files, handle: handle, UK_FILE_FALLOCATE, uk_fallocate(mode: 0, reserved: 0, offset: 0, length: 5000)).0 == 0)
        let size = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("space.bin").path)[.size] as? Int
        #expect(size == 5000)
        // The host kernel's own checks answer: an empty range, then an unknown mode bit.
        #expect(fileOperation(files, handle: handle, UK_FILE_FALLOCATE, uk_fallocate(mode: 0, reserved: 0, offset: 0, length: 0)).0 == -Int64(EINVAL))
        #expect(fileOperation(files, handle: handle, UK_FILE_FALLOCATE, uk_fallocate(mode: 0x100, reserved: 0, offset: 0, length: 1)).0 == -Int64(EOPNOTSUPP))
        // A request shorter than its structure is refused before the host looks at it.
        #expect(fileOperation(files, handle: handle, UK_FILE_FALLOCATE, Int32(0)).0 == -Int64(EINVAL))
        #expect(files.file(handle: handle, operation: UK_FILE_FALLOCATE.rawValue, buffer: nil, value: 0) == -Int64(EINVAL))
    }

    @Test func copyRangeUsesGivenOffsetsAndWritesThemBack() throws {
        let files = try table()
        let input = Int32(files.open(path: Array("/sub/inside.txt".utf8), flags: O_RDONLY, mode: 0))
        let output = Int32(files.open(path: Array("/copy.txt".utf8), flags: O_RDWR | O_CREAT, mode: 0o644))
        defer { _ = files.close(handle: input); _ = files.close(handle: output) }
        let (copied, request) = fileOperation(files, handle: output, UK_FILE_COPY_RANGE,
                                              uk_copy_range(input: input, given: 3, input_offset: 2, output_offset: 1),
                                              value: 100)
        #expect(copied == 4)
        #expect(request.input_offset == 6 && request.output_offset == 5)
        #expect(contents(files, "/copy.txt") == "\0side")
        // Without given offsets the positions move; a size_t count above Int64.max is passed on bit for bit.
        let (again, _) = fileOperation(files, handle: output, UK_FILE_COPY_RANGE,
                                       uk_copy_range(input: input, given: 0, input_offset: -7, output_offset: -7),
                                       value: -1)
        #expect(again == 6)
        #expect(files.seek(handle: input, offset: 0, whence: SEEK_CUR) == 6)
        #expect(fileOperation(files, handle: output, UK_FILE_COPY_RANGE,
                              uk_copy_range(input: 77, given: 0, input_offset: 0, output_offset: 0), value: 1).0 == -Int64(EBADF))
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
