import Foundation
import XCTest
@testable import Conformance

/// Runs the whole asm suite through the release hypervisor on KVM and requires every
/// fixture to pass. Skips, saying why, when KVM, the hypervisor or the kernel image is
/// missing — unless `UNIKERNEL_REQUIRE_KVM=1` (set by CI), which turns that into a failure.
final class AsmSuiteOnKVMTests: XCTestCase {
    /// `.build/release/hypervisor` of this checkout.
    static let hypervisor = packageRoot + "/.build/release/hypervisor"
    /// Where `make host` puts the kernel image, then where `make kernel` builds it.
    static let kernelCandidates = [packageRoot + "/.build/release/unikernel.elf", packageRoot + "/.build/kernel/unikernel.elf"]

    func testEveryAsmFixturePassesInTheGuest() async throws {
        var missing: [String] = []
        if !FileManager.default.fileExists(atPath: "/dev/kvm") {
            missing.append("/dev/kvm does not exist")
        } else if access("/dev/kvm", R_OK | W_OK) != 0 {
            missing.append("/dev/kvm is not readable and writable by this user")
        }
        if !FileManager.default.isExecutableFile(atPath: Self.hypervisor) {
            missing.append("no hypervisor at \(Self.hypervisor) (run `swift build -c release`)")
        }
        let kernel = Self.kernelCandidates.first { FileManager.default.fileExists(atPath: $0) }
        if kernel == nil {
            missing.append("no kernel image at \(Self.kernelCandidates.joined(separator: " or ")) (run `make kernel`)")
        }
        if !missing.isEmpty {
            let message = "the asm suite cannot run on KVM: " + missing.joined(separator: "; ")
            if ProcessInfo.processInfo.environment["UNIKERNEL_REQUIRE_KVM"] == "1" {
                XCTFail(message + " (UNIKERNEL_REQUIRE_KVM=1 requires it)")
                return
            }
            throw XCTSkip(message)
        }

        var configuration = SuiteConfiguration(packageRoot: packageRoot)
        configuration.filter = "asm/"
        let guest = GuestExecutor(hypervisorPath: Self.hypervisor, kernelPath: kernel)
        let report = try await ConformanceSuite(configuration: configuration).run(guest: guest)
        print(ReportFormat.text.render(report, verbose: true))

        XCTAssertEqual(report.mode, .guest)
        XCTAssertGreaterThanOrEqual(report.results.count, 7, "the asm suite has at least the seven required fixtures")
        for result in report.results where result.verdict.outcome != .pass {
            XCTFail("\(result.id): \(result.verdict.outcome.rawValue)"
                    + (result.verdict.category.map { " [\($0.rawValue)]" } ?? "") + ": "
                    + result.verdict.details.joined(separator: "; ")
                    + (result.verdict.gapReason.map { " (known gap: \($0))" } ?? ""))
        }
    }
}
