import Foundation
import XCTest
@testable import Conformance

/// The system-call fuzzer's driver: how it reads a guest run, what counts as a finding, and a
/// short real session on KVM that must make calls (so the `make test` fuzz run cannot pass vacuously).
final class SyscallFuzzerTests: XCTestCase {
    let cleanRun = """
        fuzz-summary calls=5000 rt_sigreturn=1
        fuzz-syscalls 0 1 2 9 72 15
        fuzz-classes fd-open ptr-guard len-ssize-max
        fuzz-ending 231

        """

    func testReadsTheSummaryOfACleanRun() {
        let run = FuzzRunOutcome(stdout: cleanRun, stderr: "", status: .exited(0), timedOut: false)
        XCTAssertNil(run.finding)
        XCTAssertEqual(run.calls, 5000)
        XCTAssertEqual(run.syscalls, [0, 1, 2, 9, 72, 15, 231])
        XCTAssertEqual(run.argumentClasses, ["fd-open", "ptr-guard", "len-ssize-max"])
    }

    func testAKernelTrapIsAKernelFaultWhateverTheExitStatus() {
        let report = "guest died of invalid opcode (#UD, vector 6) at rip 0xffffffff80207f82 in FileTable.install"
        let run = FuzzRunOutcome(stdout: "", stderr: report, status: .exited(132), timedOut: false)
        XCTAssertEqual(run.finding, .kernelFault)
    }

    func testRunnerFailureHangAndHostCrashAreFindings() {
        XCTAssertEqual(FuzzRunOutcome(stdout: cleanRun, stderr: "", status: .exited(125), timedOut: false).finding, .runnerFailure)
        XCTAssertEqual(FuzzRunOutcome(stdout: "", stderr: "", status: .exited(124), timedOut: false).finding, .hang)
        XCTAssertEqual(FuzzRunOutcome(stdout: "", stderr: "", status: .signaled(9), timedOut: true).finding, .hang)
        XCTAssertEqual(FuzzRunOutcome(stdout: "", stderr: "", status: .signaled(11), timedOut: false).finding, .hostCrash(signal: 11))
    }

    func testAProgramThatEndsWithoutItsSummaryIsAFinding() {
        let report = "guest died of page fault (#PF, vector 14) at rip 0x405631"
        XCTAssertEqual(FuzzRunOutcome(stdout: "", stderr: report, status: .exited(139), timedOut: false).finding,
                       .programDied(status: 139))
        XCTAssertEqual(FuzzRunOutcome(stdout: "", stderr: "", status: .exited(0), timedOut: false).finding,
                       .programDied(status: 0))
    }

    func testReadsTracedCallsAndWritesReplayLines() {
        let stdout = "call 7 72 0x0 0x2000000000 0xffff80069346a000 0x0 0x0 0x0\nresult 7 -22\n"
        let run = FuzzRunOutcome(stdout: stdout, stderr: "", status: .exited(0), timedOut: false)
        XCTAssertEqual(run.tracedCalls, [TracedCall(index: 7, number: 72, arguments: [0, 0x20_0000_0000, 0xffff_8006_9346_a000, 0, 0, 0], result: -22)])
        XCTAssertEqual(run.tracedCalls[0].replayLine, "72 0x0 0x2000000000 0xffff80069346a000 0x0 0x0 0x0")
    }

    func testRunSeedsDifferAndRepeat() {
        XCTAssertEqual(SyscallFuzzer.runSeed(session: 1, run: 3), SyscallFuzzer.runSeed(session: 1, run: 3))
        XCTAssertNotEqual(SyscallFuzzer.runSeed(session: 1, run: 3), SyscallFuzzer.runSeed(session: 1, run: 4))
    }

    /// A few seconds of real fuzzing in the guest: no findings, and calls were made and syscalls reached.
    func testAShortSessionOnKVMMakesCallsAndFindsNothing() async throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: break
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): return XCTFail(message)
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/musl-gcc") else { throw XCTSkip("musl-gcc is missing") }
        var configuration = SyscallFuzzer.Configuration(packageRoot: packageRoot, hypervisorPath: setup.hypervisor)
        configuration.kernelPath = setup.kernel
        configuration.seconds = 3
        configuration.jobs = 1
        configuration.callsPerRun = 2000
        let summary = try await SyscallFuzzer(configuration: configuration).run()
        XCTAssertEqual(summary.findings.map { "\($0.kind) at call \($0.callIndex) of seed \($0.seed)" }, [])
        XCTAssertGreaterThanOrEqual(summary.calls, 2000)
        XCTAssertGreaterThan(summary.syscalls.count, 50)
        XCTAssertTrue(summary.argumentClasses.isSuperset(of: ["ptr-kernel-half", "ptr-guard", "len-ssize-max", "int-upper-garbage"]))
    }
}
