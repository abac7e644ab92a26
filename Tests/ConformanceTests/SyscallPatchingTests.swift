import Foundation
import XCTest
@testable import Conformance

/// The kernel rewrites hot `syscall` sites into jumps (Sources/Unikernel/Arch/SyscallPatcher.swift).
///
/// Fixtures/asm/syscall_sites runs a `mov $imm, %eax; syscall`, a `mov %rsi, %rax; syscall` and
/// a `mov %r10, %r10; syscall` site 64 times each, checks every register, the red zone and the flags after each
/// run, then jumps straight to each site's `syscall` with another number in rax. Here it runs
/// natively, in the guest, and in the guest with `--no-syscall-patching`: the output must be
/// the same three times with no failed check, and the exit hypercall's count
/// (`patched_syscall_sites` in the UNIKERNEL_TIMINGS line) must show that all three sites were
/// rewritten, and none with patching off — so the checks ran against rewritten code.
final class SyscallPatchingTests: XCTestCase {
    func testRewrittenSitesBehaveLikeTrappingOnesAndLikeLinux() async throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: break
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): return XCTFail(message)
        }
        let program = try await buildFixture()

        let native = try await run(program, [program])
        let patched = try await run(setup.hypervisor, guestCommand(setup, program, patching: true))
        let trapping = try await run(setup.hypervisor, guestCommand(setup, program, patching: false))

        for (name, outcome) in [("native", native), ("guest", patched), ("guest --no-syscall-patching", trapping)] {
            XCTAssertEqual(outcome.status, .exited(0), "\(name): \(String(decoding: outcome.stderr, as: UTF8.self))")
            let lines = String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n")
            XCTAssertEqual(lines.count, 6, "\(name) printed: \(lines)")
            XCTAssertTrue(lines.allSatisfy { $0.hasSuffix(" 0 failed checks") }, "\(name) printed: \(lines)")
        }
        XCTAssertEqual(patched.stdout, native.stdout)
        XCTAssertEqual(trapping.stdout, native.stdout)
        XCTAssertEqual(patchedSites(patched.stderr), 3, String(decoding: patched.stderr, as: UTF8.self))
        XCTAssertEqual(patchedSites(trapping.stderr), 0, String(decoding: trapping.stderr, as: UTF8.self))
    }

    /// Fixtures/musl/syscall_site_shapes.c runs each libc wrapper shape 64 times (glibc's
    /// `syscall()` load from the stack, `read`'s `cmp`/`je`/`xor`, the futex wake, the
    /// cancellable paths after a thread exists...). Its output is compared with Linux by the
    /// suite; here the counts show the shapes were rewritten: at least one site per shape and
    /// phase, and few of the calls trapped.
    func testLibcWrapperShapesAreRewritten() async throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: break
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): return XCTFail(message)
        }
        for (libc, sites) in [(Libc.glibc, 11), (Libc.musl, 6)] {
            let program = try await buildFixture(libc: libc, name: "syscall_site_shapes", source: "/Fixtures/musl/syscall_site_shapes.c")
            let guest = try await run(setup.hypervisor, guestCommand(setup, program, patching: true))
            let stderr = String(decoding: guest.stderr, as: UTF8.self)
            XCTAssertEqual(guest.status, .exited(0), "\(libc): \(stderr)")
            XCTAssertGreaterThanOrEqual(patchedSites(guest.stderr) ?? 0, sites, "\(libc): \(stderr)")
            let trapped = counter("trapped_syscalls", guest.stderr) ?? .max, viaStub = counter("stub_syscalls", guest.stderr) ?? 0
            // 16 shapes × 64 calls; the traps are each site's first 16 and start-up's.
            XCTAssertGreaterThan(viaStub, 800, "\(libc): \(stderr)")
            XCTAssertLessThan(trapped, 250, "\(libc): \(stderr)")
        }
    }

    private func buildFixture(libc: Libc = .asm, name: String = "syscall_sites",
                              source relative: String = "/Fixtures/asm/syscall_sites.S") async throws -> String {
        let source = packageRoot + relative
        let spec = try FixtureSpec.parse(try String(contentsOfFile: source, encoding: .utf8),
                                         commentPrefix: libc.commentPrefix, path: source)
        let fixture = Fixture(libc: libc, name: name, sourcePath: source, spec: spec)
        return try await FixtureBuilder(buildRoot: try makeScratchDirectory(self) + "/build").build(fixture)
    }

    private func guestCommand(_ setup: KVMSetup, _ program: String, patching: Bool) -> [String] {
        var arguments = ["hypervisor", "--timeout", "20"]
        if let kernel = setup.kernel { arguments += ["--kernel", kernel] }
        if !patching { arguments.append("--no-syscall-patching") }
        return arguments + [program]
    }

    private func run(_ executable: String, _ arguments: [String]) async throws -> ProcessOutcome {
        try await ProcessRunner.run(ProcessRequest(
            executable: executable, arguments: arguments, environment: ["UNIKERNEL_TIMINGS=1"],
            workingDirectory: try makeScratchDirectory(self), timeoutSeconds: 30))
    }

    /// `patched_syscall_sites` from the hypervisor's `unikernel-timings:` line.
    private func patchedSites(_ stderr: [UInt8]) -> Int? { counter("patched_syscall_sites", stderr) }

    /// A numeric field of the hypervisor's `unikernel-timings:` line.
    private func counter(_ name: String, _ stderr: [UInt8]) -> Int? {
        let text = String(decoding: stderr, as: UTF8.self)
        guard let range = text.range(of: "\"\(name)\":") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
