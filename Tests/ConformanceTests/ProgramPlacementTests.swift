import Foundation
import XCTest
@testable import Conformance

/// `conformance-programs:`: copying programs into the working directory, comparing them only
/// when a run changed them, building placed fixtures first, and the build failures that name a
/// missing program. (Header parsing is in BuildDirectiveTests.)
final class ProgramPlacementTests: XCTestCase {
    func testPlacementCopiesWithMode0755AndCreatesParents() throws {
        let scratch = try makeScratchDirectory(self)
        try write("#!/bin/sh\n", to: scratch + "/host/tool")
        chmod(scratch + "/host/tool", 0o600)
        try FileManager.default.createDirectory(atPath: scratch + "/run", withIntermediateDirectories: true)
        let placed = try PlacedProgram.place([PlacedProgram(hostPath: scratch + "/host/tool", destination: "bin/deep/sh"),
                                              PlacedProgram(hostPath: scratch + "/host/tool", destination: "tool")],
                                             in: scratch + "/run")
        XCTAssertEqual(placed, ["bin/deep/sh": Array("#!/bin/sh\n".utf8), "tool": Array("#!/bin/sh\n".utf8)])
        for path in ["bin/deep/sh", "tool"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: scratch + "/run/" + path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o755, path)
        }
        XCTAssertThrowsError(try PlacedProgram.place([PlacedProgram(hostPath: scratch + "/none", destination: "x")],
                                                     in: scratch + "/run")) { error in
            guard case .placementFailed = error as? RunError else { return XCTFail("\(error)") }
        }
    }

    /// An unchanged copy is the same on both sides; one deleted, replaced or changed on one side
    /// only is a difference; changed alike on both sides, it is compared by its new bytes.
    func testPlacedProgramsAreComparedOnlyWhenARunChangedThem() {
        let placed: [String: [UInt8]] = ["bin/sh": [1, 2, 3], "t": [9]]
        let unchanged = FileTree(entries: ["bin": .directory, "bin/sh": .file(contents: [1, 2, 3]), "t": .file(contents: [9])])
            .recordingPlacedPrograms(placed)
        XCTAssertEqual(unchanged.entries["bin/sh"], .placedProgram)
        XCTAssertEqual(unchanged.entries["bin"], .directory)
        XCTAssertEqual(unchanged.differences(from: unchanged), [])

        let deleted = FileTree(entries: ["bin": .directory, "t": .file(contents: [9])]).recordingPlacedPrograms(placed)
        XCTAssertEqual(unchanged.differences(from: deleted),
                       ["bin/sh: missing in guest (native has a placed program (unchanged))"])
        let rewritten = FileTree(entries: ["bin": .directory, "bin/sh": .file(contents: [7]), "t": .file(contents: [9])])
            .recordingPlacedPrograms(placed)
        XCTAssertEqual(rewritten.entries["bin/sh"], .file(contents: [7]))
        XCTAssertEqual(unchanged.differences(from: rewritten), ["bin/sh: native has a placed program (unchanged), guest a file"])
        XCTAssertEqual(rewritten.differences(from: rewritten), [])
        let replaced = FileTree(entries: ["bin": .directory, "bin/sh": .symlink(target: "x"), "t": .file(contents: [9])])
            .recordingPlacedPrograms(placed)
        XCTAssertEqual(unchanged.differences(from: replaced), ["bin/sh: native has a placed program (unchanged), guest a symlink"])
    }

    func testMissingProgramsAreBuildFailuresNamingThem() throws {
        let scratch = try makeScratchDirectory(self)
        try FileManager.default.createDirectory(atPath: scratch + "/folder", withIntermediateDirectories: true)
        let failed = BuildError.compilerFailed(fixture: "musl/broken", command: "musl-gcc", status: .exited(1), output: "oops")
        let dependencies = ProgramDependencies(
            catalog: FixtureCatalog(fixtures: [], rejected: [RejectedFixture(libc: .musl, name: "invalid",
                                                                             error: .missingSummary(path: "musl/invalid.c"))]),
            built: ["musl/target": .success("/out/musl/target"), "musl/broken": .failure(failed)])
        func programs(_ placements: [ProgramPlacement]) -> Result<[PlacedProgram], BuildError> {
            dependencies.programs(for: Fixture(libc: .musl, name: "placer", sourcePath: "/src/placer.c",
                                               spec: FixtureSpec(summary: "s", programs: placements)))
        }
        XCTAssertEqual(try programs([ProgramPlacement(source: .fixture("target"), destination: "bin/t"),
                                     ProgramPlacement(source: .hostPath("/bin/sh"), destination: "sh")]).get(),
                       [PlacedProgram(hostPath: "/out/musl/target", destination: "bin/t"),
                        PlacedProgram(hostPath: "/bin/sh", destination: "sh")])

        func failure(_ source: ProgramPlacement.Source) -> String {
            guard case let .failure(error) = programs([ProgramPlacement(source: source, destination: "x")]) else {
                return "no failure"
            }
            guard case let .missingProgram(fixture, _, _) = error, fixture == "musl/placer" else { return "wrong error: \(error)" }
            return error.description
        }
        XCTAssertEqual(failure(.fixture("broken")),
                       "musl/placer: conformance-programs: cannot place musl/broken: it did not build: \(failed)")
        XCTAssertTrue(failure(.fixture("nothing")).hasPrefix(
            "musl/placer: conformance-programs: cannot place musl/nothing: there is no fixture musl/nothing"))
        XCTAssertTrue(failure(.fixture("invalid")).contains("cannot place musl/invalid: its source is invalid: musl/invalid.c"))
        XCTAssertEqual(failure(.hostPath(scratch + "/missing")),
                       "musl/placer: conformance-programs: cannot place \(scratch)/missing: no such file on the host")
        XCTAssertEqual(failure(.hostPath(scratch + "/folder")),
                       "musl/placer: conformance-programs: cannot place \(scratch)/folder: it is a directory")
        let busybox = ProgramDependencies.hostPackages["/bin/busybox"]
        XCTAssertEqual(busybox, "busybox-static")
    }

    /// A fixture that checks `access(path, X_OK)` on its placed program and exits with the errno (0: there and
    /// executable), optionally deleting it afterwards.
    private func accessFixture(_ summary: String, path: String, programs: String, unlink: Bool = false) -> String {
        """
        # \(summary)
        # conformance-programs: \(programs)
            .globl _start
        _start:
            mov $21, %eax
            lea path(%rip), %rdi
            mov $1, %esi
            syscall
            mov %eax, %ebx
            neg %ebx
        \(unlink ? "    mov $87, %eax\n    lea path(%rip), %rdi\n    syscall\n" : "")
            mov $60, %eax
            mov %ebx, %edi
            syscall
        path: .asciz "\(path)"
        """
    }

    private let exitZero = """
            .globl _start
        _start:
            mov $60, %eax
            xor %edi, %edi
            syscall
        """

    /// The placer sorts before the placed fixture and is the only one selected: the placed one is
    /// still built first, and the copy (mode 0755) is in the working directory on both sides,
    /// where a "guest" that runs natively finds it too. A fixture that deletes its placed program
    /// leaves the same tree on both sides.
    func testPlacedFixturesAreBuiltFirstAndPlacedOnBothSides() async throws {
        let root = try makeScratchDirectory(self)
        try write(accessFixture("Checks a placed fixture.", path: "bin/t", programs: "z_target=bin/t"),
                  to: root + "/Fixtures/asm/a_placer.S")
        try write(accessFixture("Checks a placed host file, then deletes it.", path: "tool",
                                programs: "\(root)/host-tool=tool", unlink: true),
                  to: root + "/Fixtures/asm/a_deleter.S")
        try write("# The placed program.\n" + exitZero, to: root + "/Fixtures/asm/z_target.S")
        try write("#!/bin/sh\n", to: root + "/host-tool")
        try write("", to: root + "/Fixtures/known-gaps.txt")
        var configuration = SuiteConfiguration(packageRoot: root)
        configuration.filter = "a_"
        configuration.jobs = 4

        let native = try await ConformanceSuite(configuration: configuration).run(guest: nil)
        XCTAssertEqual(native.results.map(\.id), ["asm/a_deleter", "asm/a_placer"])
        for result in native.results {
            XCTAssertEqual(result.verdict.outcome, .pass, "\(result.id): \(result.verdict.summary ?? "")")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.build/fixtures/asm/z_target"))

        let stub = try await makeNativeHypervisorStub(in: try makeScratchDirectory(self))
        let guest = try await ConformanceSuite(configuration: configuration).run(guest: GuestExecutor(hypervisorPath: stub))
        for result in guest.results {
            XCTAssertEqual(result.verdict.outcome, .pass, "\(result.id): \(result.verdict.details.joined(separator: "; "))")
        }

        let built = try await ConformanceSuite(configuration: configuration).build()
        XCTAssertEqual(built.map(\.id), ["asm/a_deleter", "asm/a_placer"])
        XCTAssertTrue(built.allSatisfy { (try? $0.result.get()) != nil })
    }

    func testAMissingOrBrokenPlacedProgramFailsTheBuildOfTheFixtureThatPlacesIt() async throws {
        let root = try makeScratchDirectory(self)
        try write(accessFixture("Places a fixture that does not assemble.", path: "t", programs: "broken=t"),
                  to: root + "/Fixtures/asm/uses_broken.S")
        try write(accessFixture("Places a fixture that does not exist.", path: "t", programs: "absent=t"),
                  to: root + "/Fixtures/asm/uses_absent.S")
        try write(accessFixture("Places a missing host file.", path: "t", programs: "/no/such/program=t"),
                  to: root + "/Fixtures/asm/uses_host.S")
        try write("# Does not assemble.\n    bogus_instruction\n", to: root + "/Fixtures/asm/broken.S")
        try write("", to: root + "/Fixtures/known-gaps.txt")
        var configuration = SuiteConfiguration(packageRoot: root)
        configuration.filter = "uses_"

        let report = try await ConformanceSuite(configuration: configuration).run(guest: nil)
        let verdicts = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0.verdict) })
        XCTAssertEqual(verdicts.count, 3)
        for (id, verdict) in verdicts {
            XCTAssertEqual(verdict.category, .build, id)
        }
        XCTAssertTrue(verdicts["asm/uses_broken"]?.summary?.hasPrefix(
            "asm/uses_broken: conformance-programs: cannot place asm/broken: it did not build: asm/broken:") ?? false,
                      verdicts["asm/uses_broken"]?.summary ?? "")
        XCTAssertTrue(verdicts["asm/uses_absent"]?.summary?.contains("cannot place asm/absent: there is no fixture asm/absent") ?? false)
        XCTAssertEqual(verdicts["asm/uses_host"]?.summary,
                       "asm/uses_host: conformance-programs: cannot place /no/such/program: no such file on the host")

        let built = try await ConformanceSuite(configuration: configuration).build()
        XCTAssertEqual(built.map(\.id), ["asm/uses_absent", "asm/uses_broken", "asm/uses_host"])
        XCTAssertTrue(built.allSatisfy { (try? $0.result.get()) == nil })
    }
}
