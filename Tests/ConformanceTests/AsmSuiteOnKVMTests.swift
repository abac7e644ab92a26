import Foundation
import XCTest
@testable import Conformance

/// Runs the main job's whole suite (every libc, what `make conformance` runs) through the
/// release hypervisor on KVM, so CI sees an asm, musl, glibc or C++ regression with the
/// per-libc report in its log. Skips, saying why, when KVM, the hypervisor or the kernel image
/// is missing — unless `UNIKERNEL_REQUIRE_KVM=1` (set by CI), which turns that into a failure.
final class AsmSuiteOnKVMTests: XCTestCase {
    /// Every fixture passes in the guest (known gaps allowed outside asm); every asm fixture
    /// passes outright.
    func testEveryFixturePassesInTheGuest() async throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run:
            break
        case let .skip(message):
            throw XCTSkip(message)
        case let .fail(message):
            return XCTFail(message)
        }

        var configuration = SuiteConfiguration(packageRoot: packageRoot)
        configuration.jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let guest = GuestExecutor(hypervisorPath: setup.hypervisor, kernelPath: setup.kernel)
        let report = try await ConformanceSuite(configuration: configuration).run(guest: guest)
        print(ReportFormat.text.render(report))

        XCTAssertEqual(report.mode, .guest)
        for libc in [Libc.asm, .musl, .glibc] {
            XCTAssertGreaterThan(report.summaries.first { $0.libc == libc }?.total ?? 0, 0, "no \(libc.rawValue) fixtures ran")
        }
        let asm = report.results.filter { $0.libc == .asm }
        XCTAssertGreaterThanOrEqual(asm.count, 7, "the asm suite has at least the seven required fixtures")
        for result in report.results where result.verdict.failsRun || (result.libc == .asm && result.verdict.outcome != .pass) {
            XCTFail("\(result.id): \(result.verdict.outcome.rawValue)"
                    + (result.verdict.category.map { " [\($0.rawValue)]" } ?? "") + ": "
                    + result.verdict.details.joined(separator: "; ")
                    + (result.verdict.gapReason.map { " (known gap: \($0))" } ?? ""))
        }
        XCTAssertTrue(report.succeeded)
    }

    func testMissingKVMSkipsUnlessRequired() {
        let setup = KVMSetup(kvmDevice: "/nonexistent/kvm", hypervisor: "/nonexistent/hypervisor",
                             kernelCandidates: ["/nonexistent/unikernel.elf"])
        XCTAssertEqual(setup.missing.count, 3)
        guard case let .skip(message) = setup.decision(environment: [:]) else { return XCTFail("expected a skip") }
        XCTAssertTrue(message.contains("/nonexistent/kvm does not exist"), message)
        XCTAssertTrue(message.contains("swift build -c release"), message)
        XCTAssertTrue(message.contains("make kernel"), message)
        guard case .fail = setup.decision(environment: ["UNIKERNEL_REQUIRE_KVM": "1"]) else {
            return XCTFail("UNIKERNEL_REQUIRE_KVM=1 must turn the skip into a failure")
        }
    }
}

/// What the KVM suite needs on this machine: `/dev/kvm`, the release hypervisor and a
/// kernel image, and what to do when something is missing.
struct KVMSetup {
    /// What the test does.
    enum Decision: Equatable {
        case run
        case skip(String)
        case fail(String)
    }

    var kvmDevice = "/dev/kvm"
    /// `.build/release/hypervisor` of this checkout.
    var hypervisor = packageRoot + "/.build/release/hypervisor"
    /// Where `make host` puts the kernel image, then where `make kernel` builds it.
    var kernelCandidates = [packageRoot + "/.build/release/unikernel.elf", packageRoot + "/.build/kernel/unikernel.elf"]

    static func locate() -> KVMSetup { KVMSetup() }

    /// The first kernel image that exists.
    var kernel: String? {
        kernelCandidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// One sentence per missing piece, saying how to get it.
    var missing: [String] {
        var missing: [String] = []
        if !FileManager.default.fileExists(atPath: kvmDevice) {
            missing.append("\(kvmDevice) does not exist")
        } else if access(kvmDevice, R_OK | W_OK) != 0 {
            missing.append("\(kvmDevice) is not readable and writable by this user")
        }
        if !FileManager.default.isExecutableFile(atPath: hypervisor) {
            missing.append("no hypervisor at \(hypervisor) (run `swift build -c release`)")
        }
        if kernel == nil {
            missing.append("no kernel image at \(kernelCandidates.joined(separator: " or ")) (run `make kernel`)")
        }
        return missing
    }

    /// Run when everything is there; otherwise skip, or fail when `UNIKERNEL_REQUIRE_KVM=1`.
    func decision(environment: [String: String]) -> Decision {
        let missing = missing
        guard !missing.isEmpty else { return .run }
        let message = "the asm suite cannot run on KVM: " + missing.joined(separator: "; ")
        return environment["UNIKERNEL_REQUIRE_KVM"] == "1"
            ? .fail(message + " (UNIKERNEL_REQUIRE_KVM=1 requires it)")
            : .skip(message)
    }
}
