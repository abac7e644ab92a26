import Foundation
import XCTest
@testable import Conformance

/// Address-space randomisation of static-PIE programs, in the guest and natively.
///
/// A static-PIE probe (built here for glibc and musl with the fixture builder's own
/// commands) prints the address of `main`, of a stack variable and of an mmap'd block. Run
/// twice in the guest with default ASLR, the load base (`main`) must differ; with
/// `--no-aslr` all three addresses must match between the two runs. The same is shown for
/// Linux: two plain runs differ (when `randomize_va_space` is on), two `setarch -R` runs match.
/// Stack and mmap randomisation in the guest are reported, not asserted, for now.
final class StaticPieASLRTests: XCTestCase {
    static let probeSource = """
        // Prints the address of main, of a stack variable and of an mmap'd block.
        #include <stdio.h>
        #include <sys/mman.h>
        int main(void) {
            int local = 0;
            void *block = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            printf("main %p stack %p mmap %p\\n", (void *)main, (void *)&local, block);
            return local;
        }
        """

    /// One run's three addresses.
    struct Addresses: Equatable, CustomStringConvertible {
        var main: String
        var stack: String
        var mmap: String
        var description: String { "main \(main) stack \(stack) mmap \(mmap)" }

        init?(_ output: [UInt8]) {
            let words = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
            guard words.count == 6, words[0] == "main", words[2] == "stack", words[4] == "mmap" else { return nil }
            (main, stack, mmap) = (words[1], words[3], words[5])
        }
    }

    func testGuestRandomisesTheStaticPieLoadBaseUnlessNoASLR() async throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: break
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): return XCTFail(message)
        }
        for libc in [Libc.glibc, .musl] {
            let probe = try await buildProbe(libc: libc)
            let randomised = [try await runGuest(probe, setup: setup, noASLR: false),
                              try await runGuest(probe, setup: setup, noASLR: false)]
            let fixed = [try await runGuest(probe, setup: setup, noASLR: true),
                         try await runGuest(probe, setup: setup, noASLR: true)]
            print("\(libc.rawValue) guest, ASLR:    \(randomised[0])\n\(libc.rawValue) guest, ASLR:    \(randomised[1])")
            print("\(libc.rawValue) guest, no ASLR: \(fixed[0])\n\(libc.rawValue) guest, no ASLR: \(fixed[1])")
            XCTAssertNotEqual(randomised[0].main, randomised[1].main,
                              "\(libc.rawValue): two guest runs loaded the static-PIE program at the same base")
            XCTAssertEqual(fixed[0], fixed[1], "\(libc.rawValue): --no-aslr runs must place everything identically")
            print("\(libc.rawValue) guest: stack randomised \(randomised[0].stack != randomised[1].stack), "
                  + "mmap randomised \(randomised[0].mmap != randomised[1].mmap) (reported, not asserted)")
        }
    }

    func testLinuxRandomisesUnlessSetarchR() async throws {
        guard let setarch = ["/usr/bin/setarch", "/bin/setarch"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("setarch (util-linux) is not installed")
        }
        let randomizeLevel = (try? String(contentsOfFile: "/proc/sys/kernel/randomize_va_space", encoding: .utf8))?
            .trimmingWhitespace().replacingOccurrences(of: "\n", with: "")
        for libc in [Libc.glibc, .musl] {
            let probe = try await buildProbe(libc: libc)
            let randomised = [try await runNative([probe]), try await runNative([probe])]
            let fixed = [try await runNative([setarch, "x86_64", "-R", probe]),
                         try await runNative([setarch, "x86_64", "-R", probe])]
            print("\(libc.rawValue) native:             \(randomised[0])\n\(libc.rawValue) native:             \(randomised[1])")
            print("\(libc.rawValue) native, setarch -R: \(fixed[0])\n\(libc.rawValue) native, setarch -R: \(fixed[1])")
            XCTAssertEqual(fixed[0], fixed[1], "\(libc.rawValue): setarch -R runs must place everything identically")
            if randomizeLevel == "0" {
                print("randomize_va_space is 0 on this machine: Linux does not randomise, nothing to compare")
            } else {
                XCTAssertNotEqual(randomised[0].main, randomised[1].main, "\(libc.rawValue): Linux ASLR moved nothing")
                XCTAssertNotEqual(randomised[0].stack, randomised[1].stack)
                XCTAssertNotEqual(randomised[0].mmap, randomised[1].mmap)
            }
        }
    }

    /// Builds the probe as a static-PIE program with the suite's own builder.
    private func buildProbe(libc: Libc) async throws -> String {
        let directory = try makeScratchDirectory(self)
        let source = directory + "/aslr_probe.c"
        try write(Self.probeSource, to: source)
        let fixture = Fixture(libc: libc, name: "aslr_probe", sourcePath: source,
                              spec: FixtureSpec(summary: "ASLR probe", linkMode: .staticPIE))
        do {
            return try await FixtureBuilder(buildRoot: directory + "/build").build(fixture)
        } catch let .compilerNotFound(compiler, package) {
            throw XCTSkip("\(compiler) is missing (\(package))")
        }
    }

    private func runGuest(_ probe: String, setup: KVMSetup, noASLR: Bool) async throws -> Addresses {
        var arguments = ["hypervisor", "--timeout", "20"]
        if let kernel = setup.kernel { arguments += ["--kernel", kernel] }
        if noASLR { arguments.append("--no-aslr") }
        return try await run(setup.hypervisor, arguments + [probe])
    }

    private func runNative(_ command: [String]) async throws -> Addresses {
        try await run(command[0], command)
    }

    private func run(_ executable: String, _ arguments: [String]) async throws -> Addresses {
        let directory = try makeScratchDirectory(self)
        let outcome = try await ProcessRunner.run(ProcessRequest(
            executable: executable, arguments: arguments, environment: ["PATH=/usr/bin:/bin"],
            workingDirectory: directory, timeoutSeconds: 30))
        guard outcome.status == .exited(0), let addresses = Addresses(outcome.stdout) else {
            throw ProbeFailure(command: arguments, outcome: outcome)
        }
        return addresses
    }
}

/// A probe run that did not print three addresses.
struct ProbeFailure: Error, CustomStringConvertible {
    var command: [String]
    var outcome: ProcessOutcome
    var description: String {
        "`\(command.joined(separator: " "))` ended with \(outcome.status): "
            + String(decoding: outcome.stdout + outcome.stderr, as: UTF8.self)
    }
}
