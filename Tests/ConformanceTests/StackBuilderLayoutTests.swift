import Foundation
import XCTest
@testable import Conformance

/// The kernel's initial-stack builder, checked address by address against a
/// layout computed here from Linux's rules (fs/binfmt_elf.c create_elf_tables
/// and the exec string copy), not from the kernel's code: run with
/// `--no-aslr`, where the stack top is 0x7ffffffff000 and Linux adds no
/// random offset, every address is determined by the strings and the auxv count.
final class StackBuilderLayoutTests: XCTestCase {
    static let stackTop: UInt64 = 0x7FFF_FFFF_F000

    /// Where Linux puts everything, given the strings and the number of auxv entries.
    struct ExpectedLayout {
        var execfn: UInt64
        var argv: [UInt64]
        var envp: [UInt64]
        var platform: UInt64
        var random: UInt64
        var rsp: UInt64
        var auxvEnd: UInt64

        init(arguments: [String], environment: [String], execfn: String, auxvEntries: Int) {
            func size(_ string: String) -> UInt64 { UInt64(string.utf8.count + 1) }
            // Top: an 8-byte end marker, then execfn, then the envp and argv strings, packed downwards.
            self.execfn = stackTop - 8 - size(execfn)
            var cursor = self.execfn
            envp = environment.reversed().map { cursor -= size($0); return cursor }.reversed()
            argv = arguments.reversed().map { cursor -= size($0); return cursor }.reversed()
            // create_elf_tables: align to 16, the platform string, then the 16 AT_RANDOM bytes.
            platform = (cursor & ~15) - size("x86_64")
            random = platform - 16
            // argc, argv pointers + NULL, envp pointers + NULL, auxv pairs (AT_NULL included), 16-aligned.
            let words = 1 + (arguments.count + 1) + (environment.count + 1) + 2 * (auxvEntries + 1)
            rsp = (random - UInt64(words * 8)) & ~15
            auxvEnd = rsp + UInt64(words * 8)
        }
    }

    func testInitialStackMatchesLinuxLayoutExactly() throws {
        let setup = KVMSetup.locate()
        switch setup.decision(environment: ProcessInfo.processInfo.environment) {
        case .run: break
        case let .skip(message): throw XCTSkip(message)
        case let .fail(message): return XCTFail(message)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("stack-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let program = scratch.appendingPathComponent("stack_dump").path
        let source = packageRoot + "/Fixtures/asm/stack_dump.S"
        let build = try Self.run("/usr/bin/gcc", ["-nostdlib", "-static", "-I", packageRoot + "/Fixtures/asm/include",
                                                  "-o", program, source], directory: scratch.path)
        XCTAssertEqual(build.status, 0, build.output)

        let arguments = [program, "x", "a longer argument", ""]
        let environment = ["A=1", "BB=two", "EMPTY="]
        var command = ["--no-aslr", "--clear-env", "--dir", scratch.path]
        for entry in environment { command += ["--env", entry] }
        let run = try Self.run(setup.hypervisor, command + ["--kernel", setup.kernel!] + arguments, directory: scratch.path)
        XCTAssertEqual(run.status, 0, run.output)
        let dump = try StackDump.parse(run.output)

        let expected = ExpectedLayout(arguments: arguments, environment: environment, execfn: program,
                                      auxvEntries: dump.auxv.count)
        XCTAssertEqual(dump.argc, UInt64(arguments.count))
        XCTAssertEqual(dump.argv.map(\.text), arguments)
        XCTAssertEqual(dump.envp.map(\.text), environment)
        XCTAssertEqual(dump.argv.map(\.address), expected.argv, "argv strings")
        XCTAssertEqual(dump.envp.map(\.address), expected.envp, "envp strings")
        XCTAssertEqual(dump.aux(31), expected.execfn, "AT_EXECFN")
        XCTAssertEqual(dump.aux(15), expected.platform, "AT_PLATFORM")
        XCTAssertEqual(dump.aux(25), expected.random, "AT_RANDOM")
        XCTAssertEqual(dump.rsp, expected.rsp, "%rsp at _start")
        XCTAssertEqual(dump.rsp % 16, 0)
        XCTAssertEqual(dump.auxvEnd, expected.auxvEnd, "end of the auxv")
        XCTAssertEqual(dump.execfn, program)
        XCTAssertEqual(dump.platform, "x86_64")
    }

    func testExpectedLayoutFollowsLinuxArithmetic() {
        // A hand-checked case: "/p" (3 bytes), "A=1" (4), execfn "/p" (3).
        let layout = ExpectedLayout(arguments: ["/p"], environment: ["A=1"], execfn: "/p", auxvEntries: 19)
        XCTAssertEqual(layout.execfn, 0x7FFF_FFFF_EFF5)
        XCTAssertEqual(layout.envp, [0x7FFF_FFFF_EFF1])
        XCTAssertEqual(layout.argv, [0x7FFF_FFFF_EFEE])
        XCTAssertEqual(layout.platform, 0x7FFF_FFFF_EFE0 - 7)
        XCTAssertEqual(layout.random, 0x7FFF_FFFF_EFD9 - 16)
        XCTAssertEqual(layout.rsp % 16, 0)
        XCTAssertEqual(layout.auxvEnd - layout.rsp, UInt64((1 + 2 + 2 + 40) * 8))
    }

    static func run(_ executable: String, _ arguments: [String], directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
