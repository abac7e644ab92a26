import Foundation
import XCTest
@testable import Conformance

/// The package checkout these tests belong to, from this file's path.
let packageRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A scratch directory for one test, removed when the test ends.
func makeScratchDirectory(_ testCase: XCTestCase) throws -> String {
    let directory = try TemporaryDirectory(prefix: "conformance-test")
    testCase.addTeardownBlock { directory.remove() }
    return directory.path
}

/// Writes `text` to `path`, creating parent folders.
func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                            withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// Writes an executable script standing in for the hypervisor: it skips the runner's options
/// and runs the program natively (`env -u PWD` because the shell exports PWD).
func makeNativeHypervisorStub(in directory: String) throws -> String {
    let path = directory + "/fake-hypervisor"
    try write("""
        #!/bin/sh
        while :; do
          case "$1" in
            --dir|--timeout|--kernel|--memory|--env) shift 2 ;;
            --*) shift ;;
            *) break ;;
          esac
        done
        env -u PWD "$@"
        """, to: path)
    chmod(path, 0o755)
    return path
}
