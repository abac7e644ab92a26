import XCTest
@testable import Conformance

final class ProcessRunnerTests: XCTestCase {
    private func sh(_ script: String, stdin: String = "", environment: [String] = [], directory: String = "/",
                    timeout: Double = 10) async throws -> ProcessOutcome {
        try await ProcessRunner.run(ProcessRequest(
            executable: "/bin/sh", arguments: ["custom-argv0", "-c", script], environment: environment,
            stdin: Array(stdin.utf8), workingDirectory: directory, timeoutSeconds: timeout))
    }

    func testPassesExactEnvironmentStdinAndWorkingDirectory() async throws {
        let directory = try makeScratchDirectory(self)
        let outcome = try await sh("cat; pwd; echo \"$K\"; echo err >&2; exit 7",
                                   stdin: "from stdin\n", environment: ["K=value with spaces"], directory: directory)
        XCTAssertEqual(outcome.status, .exited(7))
        XCTAssertEqual(String(decoding: outcome.stdout, as: UTF8.self), "from stdin\n\(directory)\nvalue with spaces\n")
        XCTAssertEqual(String(decoding: outcome.stderr, as: UTF8.self), "err\n")
        XCTAssertFalse(outcome.timedOut)
    }

    func testSetsArgvZeroAndInheritsNothing() async throws {
        let outcome = try await ProcessRunner.run(ProcessRequest(
            executable: "/usr/bin/env", arguments: ["/usr/bin/env"], environment: ["ONLY=this"],
            workingDirectory: "/", timeoutSeconds: 10))
        XCTAssertEqual(String(decoding: outcome.stdout, as: UTF8.self), "ONLY=this\n")
    }

    func testChildSeesOnlyStandardFileDescriptors() async throws {
        let outcome = try await sh("ls /proc/self/fd | sort -n | tr '\\n' ' '")
        // 0-2, plus the fd `ls` opens to read the directory.
        XCTAssertEqual(String(decoding: outcome.stdout, as: UTF8.self), "0 1 2 3 ")
    }

    func testTerminalStdinIsAFreshPseudoTerminalNoOneControls() async throws {
        var request = ProcessRequest(executable: "/bin/sh", arguments: ["sh", "-c", "test -t 0 && echo terminal; tty | cut -c1-9"],
                                     environment: [], workingDirectory: "/", timeoutSeconds: 10)
        request.stdinIsTerminal = true
        let outcome = try await ProcessRunner.run(request)
        XCTAssertEqual(outcome.status, .exited(0))
        XCTAssertEqual(String(decoding: outcome.stdout, as: UTF8.self), "terminal\n/dev/pts/\n")
    }

    func testDeathBySignalIsReportedAsSignal() async throws {
        let outcome = try await sh("kill -SEGV $$")
        XCTAssertEqual(outcome.status, .signaled(11))
        XCTAssertEqual(outcome.status.shellStatus, 139)
    }

    func testKillsTheProcessGroupAtTheDeadline() async throws {
        let start = ContinuousClock.now
        let outcome = try await sh("sleep 30; echo late", timeout: 0.3)
        XCTAssertTrue(outcome.timedOut)
        XCTAssertEqual(outcome.status, .signaled(9))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testKillsARunawayWriterAtTheOutputLimit() async throws {
        var request = ProcessRequest(executable: "/bin/sh", arguments: ["sh", "-c", "yes"], environment: [],
                                     workingDirectory: "/", timeoutSeconds: 10)
        request.outputLimit = 1 << 20
        let start = ContinuousClock.now
        let outcome = try await ProcessRunner.run(request)
        XCTAssertTrue(outcome.exceededOutputLimit)
        XCTAssertFalse(outcome.timedOut)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testMissingExecutableIsASpawnError() async {
        do {
            _ = try await ProcessRunner.run(ProcessRequest(executable: "/nonexistent", arguments: ["x"],
                                                           environment: [], workingDirectory: "/", timeoutSeconds: 1))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error, .spawnFailed(executable: "/nonexistent", errno: ENOENT))
        }
    }
}
