import XCTest
@testable import Conformance

final class ComparisonTests: XCTestCase {
    private let hello = Observation(status: .exited(0), stdout: "Hello, World!\n")

    func testIdenticalRunsPass() {
        XCTAssertEqual(Comparison.compare(native: hello, guest: hello, timeoutSeconds: 10), .pass)
    }

    func testStdoutDifferenceNamesFirstDifferingLineAndLengths() {
        let native = Observation(status: .exited(0), stdout: "one\ntwo\nthree\n")
        let guest = Observation(status: .exited(0), stdout: "one\ntwo\nthr\n")
        let verdict = Comparison.compare(native: native, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.outcome, .fail)
        XCTAssertEqual(verdict.category, .output)
        XCTAssertEqual(verdict.summary,
                       #"stdout line 3: native "three\n", guest "thr\n" (native 14 bytes, guest 12 bytes)"#)
    }

    func testStderrIsComparedToo() {
        let guest = Observation(status: .exited(0), stdout: "Hello, World!\n", stderr: "oops\n")
        let verdict = Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .output)
        XCTAssertEqual(verdict.summary, #"stderr line 1: native <end>, guest "oops\n" (native 0 bytes, guest 5 bytes)"#)
    }

    func testExitStatusMismatchComesBeforeOutput() {
        let guest = Observation(status: .exited(1), stdout: "Hello\n")
        let verdict = Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .exitStatus)
        XCTAssertEqual(verdict.summary, "exit status: native 0, guest 1")
        XCTAssertEqual(verdict.details.count, 2)
    }

    func testGuestDeathByExceptionIsACrashWithTheReport() {
        let guest = Observation(status: .exited(139), stderr: "unikernel: page fault at 0x0 (rip 0x401000)\nmore\n")
        let verdict = Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .crash)
        XCTAssertEqual(verdict.summary, #"guest died with status 139, native 0: "unikernel: page fault at 0x0 (rip 0x401000)""#)
    }

    func testAKernelFaultIsAKernelBugNotTheProgramsCrash() {
        let report = "hypervisor: kernel bug: invalid opcode (#UD: a Swift runtime trap) at rip 0xffffffff8020a165 "
            + "in FileSyscalls.transfer(fd:buffer:count:offset:write:)+0x6ce while serving write(1, \"hi\\n\", 3)\n"
            + "  instruction: ud2\n  exit status 125 (a kernel bug)\n"
        let guest = Observation(status: .exited(125), stderr: report)
        let verdict = Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .kernelBug)
        XCTAssertEqual(verdict.category?.rawValue, "kernel-bug")
        XCTAssertEqual(verdict.summary, "the kernel faulted: invalid opcode (#UD: a Swift runtime trap) at rip 0xffffffff8020a165 "
                       + "in FileSyscalls.transfer(fd:buffer:count:offset:write:)+0x6ce while serving write(1, \"hi\\n\", 3)")
        // Any other runner failure (a kernel panic, a KVM error) stays a crash.
        let panic = Observation(status: .exited(125), stderr: "hypervisor: kernel panic: out of frames\n")
        XCTAssertEqual(Comparison.compare(native: hello, guest: panic, timeoutSeconds: 10).category, .crash)
    }

    func testHypervisorKilledBySignalIsACrashEvenIfTheStatusLooksRight() {
        let native = Observation(status: .signaled(11))
        let guest = Observation(status: .signaled(11))
        XCTAssertEqual(Comparison.compare(native: native, guest: guest, timeoutSeconds: 10).category, .crash)
    }

    func testNativeSegfaultEqualsGuestStatus139AndAllowsAppendedCrashReport() {
        let native = Observation(status: .signaled(11), stdout: "before\n")
        let guest = Observation(status: .exited(139), stdout: "before\n", stderr: "guest crashed: #PF at 0x0\n")
        XCTAssertEqual(Comparison.compare(native: native, guest: guest, timeoutSeconds: 10), .pass)
    }

    func testCrashReportAllowanceDoesNotApplyToCleanExits() {
        let native = Observation(status: .exited(0))
        let guest = Observation(status: .exited(0), stderr: "extra\n")
        XCTAssertEqual(Comparison.compare(native: native, guest: guest, timeoutSeconds: 10).category, .output)
    }

    func testTimeoutWins() {
        let guest = Observation(status: .signaled(9), timedOut: true, seconds: 15)
        let verdict = Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .timeout)
        XCTAssertEqual(verdict.summary, "guest did not finish within 10 s")
    }

    func testGuestThatTakesTheWholeTimeoutTimedOut() {
        let guest = Observation(status: .exited(1), seconds: 10.2)
        XCTAssertEqual(Comparison.compare(native: hello, guest: guest, timeoutSeconds: 10).category, .timeout)
    }

    func testRunnerStatusesMeanTimeoutAndHypervisorError() {
        XCTAssertEqual(Comparison.compare(native: hello, guest: Observation(status: .exited(124), seconds: 1),
                                          timeoutSeconds: 10).category, .timeout)
        let verdict = Comparison.compare(native: hello, guest: Observation(status: .exited(125), stderr: "hypervisor: no KVM\n"),
                                         timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .crash)
        XCTAssertEqual(verdict.summary, #"the hypervisor could not run the program (status 125): "hypervisor: no KVM""#)
        let exits125 = Observation(status: .exited(125))
        XCTAssertEqual(Comparison.compare(native: exits125, guest: exits125, timeoutSeconds: 10), .pass)
    }

    func testFileDifferencesAreReported() {
        let native = Observation(status: .exited(0), files: FileTree(entries: ["notes.txt": .file(contents: Array("abc\n".utf8))]))
        let guest = Observation(status: .exited(0), files: FileTree(entries: ["notes.txt": .file(contents: Array("abd\n".utf8))]))
        let verdict = Comparison.compare(native: native, guest: guest, timeoutSeconds: 10)
        XCTAssertEqual(verdict.category, .files)
        XCTAssertEqual(verdict.summary,
                       "file notes.txt: contents differ (native 4 bytes, guest 4 bytes, first difference at byte 2)")
    }

    func testNativeMustMatchTheDeclaredExitStatus() {
        var spec = FixtureSpec(summary: "x")
        XCTAssertNil(Comparison.checkNative(hello, spec: spec))
        spec.expectedExitStatus = 42
        let broken = Comparison.checkNative(hello, spec: spec)
        XCTAssertEqual(broken?.outcome, .nativeFailure)
        XCTAssertEqual(broken?.summary, "native run ended with exit 0, the fixture declares conformance-exit: 42")
        spec.expectedExitStatus = 139
        XCTAssertNil(Comparison.checkNative(Observation(status: .signaled(11)), spec: spec))
    }

    func testNativeTimeoutIsANativeFailure() {
        let native = Observation(status: .signaled(9), timedOut: true, seconds: 10)
        XCTAssertEqual(Comparison.checkNative(native, spec: FixtureSpec(summary: "x"))?.outcome, .nativeFailure)
    }

    func testExitStatusDecodesWaitStatusWords() {
        XCTAssertEqual(ExitStatus(waitStatus: 42 << 8), .exited(42))
        XCTAssertEqual(ExitStatus(waitStatus: 11), .signaled(11))
        XCTAssertEqual(ExitStatus(waitStatus: 0x80 | 11), .signaled(11))  // core dumped
        XCTAssertEqual(ExitStatus.signaled(11).shellStatus, 139)
    }
}

final class OutputDiffTests: XCTestCase {
    func testEqualOutputHasNoDiff() {
        XCTAssertNil(OutputDiff.describe(stream: "stdout", native: [1, 2], guest: [1, 2]))
    }

    func testMissingFinalNewlineShows() {
        let diff = OutputDiff.describe(stream: "stdout", native: Array("a\nb\n".utf8), guest: Array("a\nb".utf8))
        XCTAssertEqual(diff, #"stdout line 2: native "b\n", guest "b" (native 4 bytes, guest 3 bytes)"#)
    }

    func testLongLinesAreShortenedAndBinaryEscaped() {
        let native = [UInt8](repeating: 0x61, count: 100)
        let guest = [UInt8](repeating: 0x61, count: 99) + [0x00]
        let diff = OutputDiff.describe(stream: "stdout", native: native, guest: guest)!
        XCTAssertTrue(diff.contains(String(repeating: "a", count: 60) + "...\""), diff)
        XCTAssertEqual(OutputDiff.excerpt([0x01, 0x22, 0x09][...]), #""\x01\"\t""#)
    }
}
