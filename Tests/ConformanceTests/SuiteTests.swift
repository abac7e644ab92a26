import XCTest
@testable import Conformance

/// The whole pipeline (discover, build, run, compare, known gaps, report) without KVM:
/// natively, and against stand-in hypervisors that run the program natively or lie.
final class SuiteTests: XCTestCase {
    func testEveryCheckedInFixturePassesNatively() async throws {
        let report = try await ConformanceSuite(configuration: SuiteConfiguration(packageRoot: packageRoot)).run(guest: nil)
        XCTAssertEqual(report.mode, .nativeOnly)
        XCTAssertGreaterThanOrEqual(report.summaries[0].total, 7)
        for result in report.results where result.verdict.outcome != .pass {
            XCTFail("\(result.id): \(result.verdict.outcome.rawValue): \(result.verdict.summary ?? "")")
        }
        XCTAssertTrue(report.succeeded)
    }

    func testAsmSuitePassesAgainstAHypervisorThatRunsNatively() async throws {
        let stub = try await makeNativeHypervisorStub(in: try makeScratchDirectory(self))
        var configuration = SuiteConfiguration(packageRoot: packageRoot)
        configuration.filter = "asm/"
        let report = try await ConformanceSuite(configuration: configuration).run(guest: GuestExecutor(hypervisorPath: stub))
        // A "guest" that is native Linux passes everything, the stack layout included
        // (its vDSO and rseq keys are what the auxv policy allows).
        for result in report.results where result.verdict.outcome != .pass {
            XCTFail("\(result.id): \(result.verdict.details.joined(separator: "; "))")
        }
        XCTAssertEqual(report.mode, .guest)
        XCTAssertNotNil(report.auxvPolicy)
    }

    func testGuestArgumentsFollowTheRunnerContract() {
        let guest = GuestExecutor(hypervisorPath: "/hv", kernelPath: "/k.elf")
        let spec = FixtureSpec(summary: "x", arguments: ["a", "b c"])
        XCTAssertEqual(guest.arguments(directory: "/tmp/d", binaryPath: "/bin/prog", spec: spec, timeoutSeconds: 2.5),
                       ["/hv", "--dir", "/tmp/d", "--timeout", "3", "--kernel", "/k.elf", "/bin/prog", "a", "b c"])
    }

    func testMissingHypervisorStopsTheRun() async throws {
        let suite = ConformanceSuite(configuration: SuiteConfiguration(packageRoot: packageRoot))
        do {
            _ = try await suite.run(guest: GuestExecutor(hypervisorPath: "/nonexistent/hypervisor"))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error, .guest(.hypervisorMissing(path: "/nonexistent/hypervisor")))
        }
    }

    func testVerdictsKnownGapsAndBrokenFixturesEndToEnd() async throws {
        let root = try makeScratchDirectory(self)
        let exitZero = """
                .globl _start
            _start:
                mov $60, %eax
                xor %edi, %edi
                syscall
            """
        try write("# Checks a clean exit.\n" + exitZero, to: root + "/Fixtures/asm/clean.S")
        try write("# Checks a clean exit, listed as a gap.\n" + exitZero, to: root + "/Fixtures/asm/listed.S")
        try write("# Claims status 3 but exits 0.\n# conformance-exit: 3\n" + exitZero, to: root + "/Fixtures/asm/broken.S")
        try write("# Does not assemble.\n    bogus_instruction\n", to: root + "/Fixtures/asm/bad_build.S")
        try write("asm/listed: reason one\nasm/clean: reason two\nmusl/gone: removed\n", to: root + "/Fixtures/known-gaps.txt")
        // A "hypervisor" that always prints something the program never does.
        let liar = root + "/lying-hypervisor"
        try write("#!/bin/sh\necho wrong\n", to: liar)
        chmod(liar, 0o755)

        var configuration = SuiteConfiguration(packageRoot: root)
        configuration.jobs = 2
        let report = try await ConformanceSuite(configuration: configuration).run(guest: GuestExecutor(hypervisorPath: liar))
        let outcomes = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0.verdict) })
        XCTAssertEqual(outcomes["asm/clean"]?.outcome, .knownGap)
        XCTAssertEqual(outcomes["asm/clean"]?.category, .output)
        XCTAssertEqual(outcomes["asm/listed"]?.outcome, .knownGap)
        XCTAssertEqual(outcomes["asm/broken"]?.outcome, .nativeFailure)
        XCTAssertEqual(outcomes["asm/bad_build"]?.category, .build)
        XCTAssertEqual(report.warnings, ["Fixtures/known-gaps.txt lists musl/gone, which is not a fixture"])
        XCTAssertFalse(report.succeeded)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.build/fixtures/asm/clean"))

        // Against a hypervisor that runs natively, the listed fixtures pass: "fixed".
        let honest = try await makeNativeHypervisorStub(in: root)
        configuration.filter = "clean"
        let fixed = try await ConformanceSuite(configuration: configuration).run(guest: GuestExecutor(hypervisorPath: honest))
        XCTAssertEqual(fixed.results.map(\.verdict.outcome), [.fixedGap])
        XCTAssertFalse(fixed.succeeded)
    }

    /// Known gaps are the guest's: a listed fixture that passes natively in a native-only run is
    /// a pass (sound on Linux), not a "fixed" gap.
    func testNativeOnlyRunsIgnoreTheKnownGaps() async throws {
        let root = try makeScratchDirectory(self)
        try write("# Checks a clean exit, listed as a gap.\n    .globl _start\n_start:\n    mov $60, %eax\n    xor %edi, %edi\n    syscall\n",
                  to: root + "/Fixtures/asm/listed.S")
        try write("asm/listed: no threads yet\n", to: root + "/Fixtures/known-gaps.txt")
        let report = try await ConformanceSuite(configuration: SuiteConfiguration(packageRoot: root)).run(guest: nil)
        XCTAssertEqual(report.results.map(\.verdict.outcome), [.pass])
        XCTAssertNil(report.results.first?.verdict.gapReason)
        XCTAssertTrue(report.succeeded)
    }

    func testCFixturesBuildWithEachLibcAndPassNatively() async throws {
        let root = try makeScratchDirectory(self)
        let source = """
            // Checks that C fixtures build with this libc: prints argv[1] and $NAME.
            // conformance-args: world
            // conformance-env: NAME=value
            #include <stdio.h>
            #include <stdlib.h>
            int main(int argc, char **argv) {
                printf("hello %s %s\\n", argv[1], getenv("NAME"));
                return 0;
            }
            """
        try write(source, to: root + "/Fixtures/musl/hello.c")
        try write(source, to: root + "/Fixtures/glibc/hello.c")
        let report = try await ConformanceSuite(configuration: SuiteConfiguration(packageRoot: root)).run(guest: nil)
        for result in report.results where result.verdict.outcome != .pass {
            if result.verdict.summary?.contains("is not on the PATH") == true {
                throw XCTSkip("\(result.id): \(result.verdict.summary!)")
            }
            XCTFail("\(result.id): \(result.verdict.summary ?? "")")
        }
        XCTAssertEqual(report.results.map(\.id), ["musl/hello", "glibc/hello"])
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: root + "/.build/fixtures/musl/hello"))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: root + "/.build/fixtures/glibc/hello"))
    }
}
