import XCTest
@testable import Conformance

final class FileTreeTests: XCTestCase {
    func testSnapshotRecordsFilesDirectoriesAndSymlinksByRelativePath() throws {
        let root = try makeScratchDirectory(self)
        try write("hello\n", to: root + "/a.txt")
        try write("", to: root + "/sub/empty")
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "a.txt")
        let tree = try FileTree.snapshot(of: root)
        XCTAssertEqual(tree.entries, [
            "a.txt": .file(contents: Array("hello\n".utf8)),
            "sub": .directory,
            "sub/empty": .file(contents: []),
            "link": .symlink(target: "a.txt"),
        ])
    }

    func testEmptyDirectoryIsAnEmptyTree() throws {
        XCTAssertEqual(try FileTree.snapshot(of: try makeScratchDirectory(self)), FileTree())
    }

    func testDifferencesNameMissingExtraKindAndContents() {
        let native = FileTree(entries: [
            "kept": .file(contents: [1, 2, 3]),
            "gone": .file(contents: [1]),
            "changed": .file(contents: [1, 2, 3]),
            "kind": .directory,
            "link": .symlink(target: "a"),
        ])
        let guest = FileTree(entries: [
            "kept": .file(contents: [1, 2, 3]),
            "new": .directory,
            "changed": .file(contents: [1, 9]),
            "kind": .file(contents: []),
            "link": .symlink(target: "b"),
        ])
        XCTAssertEqual(native.differences(from: guest), [
            "changed: contents differ (native 3 bytes, guest 2 bytes, first difference at byte 1)",
            "gone: missing in guest (native has a file of 1 bytes)",
            "kind: native has a directory, guest a file",
            "link: symlink to \"a\" natively, to \"b\" in guest",
            "new: only in guest (a directory)",
        ])
        XCTAssertEqual(native.differences(from: native), [])
    }
}
