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

/// Builds a program standing in for the hypervisor: it skips the runner's options, runs the
/// program natively with its own exact environment, and exits like the runner does
/// (128+n plus a one-line "crash report" when the program dies by signal n).
func makeNativeHypervisorStub(in directory: String) async throws -> String {
    let source = directory + "/fake-hypervisor.c"
    let binary = directory + "/fake-hypervisor"
    try write("""
        #include <stdio.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>
        extern char **environ;
        int main(int argc, char **argv) {
            int i = 1;
            while (i < argc && strncmp(argv[i], "--", 2) == 0) {
                int takesValue = !strcmp(argv[i], "--dir") || !strcmp(argv[i], "--timeout")
                    || !strcmp(argv[i], "--kernel") || !strcmp(argv[i], "--memory") || !strcmp(argv[i], "--env");
                i += takesValue ? 2 : 1;
            }
            pid_t child = fork();
            if (child == 0) { execve(argv[i], argv + i, environ); _exit(127); }
            int status = 0;
            waitpid(child, &status, 0);
            if (WIFSIGNALED(status)) {
                fprintf(stderr, "fake-hypervisor: guest killed by signal %d\\n", WTERMSIG(status));
                return 128 + WTERMSIG(status);
            }
            return WEXITSTATUS(status);
        }
        """, to: source)
    let outcome = try await ProcessRunner.run(ProcessRequest(
        executable: "/usr/bin/gcc", arguments: ["gcc", "-o", binary, source],
        environment: ["PATH=/usr/local/bin:/usr/bin:/bin"], workingDirectory: directory, timeoutSeconds: 60))
    guard outcome.status == .exited(0) else {
        throw XCTSkip("cannot build the stand-in hypervisor: " + String(decoding: outcome.stderr, as: UTF8.self))
    }
    return binary
}
