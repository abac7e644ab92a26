import Foundation
import XCTest
@testable import Conformance

/// The build directives (`conformance-cflags:`, `-ldflags:`, `-link:`), C++ sources,
/// `conformance-ignore-contents:` and `conformance-programs:` (header parsing; placing and
/// building the programs is in ProgramPlacementTests).
final class BuildDirectiveTests: XCTestCase {
    private func parseC(_ text: String) throws -> FixtureSpec {
        try FixtureSpec.parse(text, commentPrefix: "//", path: "glibc/test.c")
    }

    func testReadsBuildDirectives() throws {
        let spec = try parseC("""
            // Checks build flags.
            // conformance-cflags: -fstack-protector-all -O1
            // conformance-cflags: "-DNAME=two words"
            // conformance-ldflags: -lsqlite3
            // conformance-ldflags: -lm
            // conformance-link: static-pie
            // conformance-ignore-contents: squares.db dir/other.bin
            int main(void) { return 0; }
            """)
        XCTAssertEqual(spec.compilerFlags, ["-fstack-protector-all", "-O1", "-DNAME=two words"])
        XCTAssertEqual(spec.linkerFlags, ["-lsqlite3", "-lm"])
        XCTAssertEqual(spec.linkMode, .staticPIE)
        XCTAssertEqual(spec.contentsIgnored, ["squares.db", "dir/other.bin"])
        XCTAssertEqual(try parseC("// Checks defaults.\n").linkMode, .static)
        XCTAssertEqual(try parseC("// Checks dynamic.\n// conformance-link: dynamic\n").linkMode, .dynamic)
        XCTAssertEqual(Libc.glibc.compilerCommand(language: .c, link: .dynamic), ["gcc"])
        XCTAssertEqual(Libc.musl.compilerCommand(language: .c, link: .dynamic), ["musl-gcc"])
        XCTAssertEqual(try parseC("// Checks a plugin.\n// conformance-link: shared-library\n").linkMode, .sharedLibrary)
        XCTAssertEqual(Libc.musl.compilerCommand(language: .c, link: .sharedLibrary), ["musl-gcc", "-shared", "-fPIC"])
    }

    /// `{build}` in the flags names the build folder, the parent of the fixtures' output folder.
    func testExpandsTheBuildFolderInFlags() async throws {
        let spec = try parseC("""
            // Checks a third-party library.
            // conformance-cflags: -I{build}/third-party/sqlite-musl
            // conformance-ldflags: -L{build}/third-party/sqlite-musl -lsqlite3
            """)
        let fixture = Fixture(libc: .glibc, name: "test", sourcePath: "/p/Fixtures/glibc/test.c", spec: spec)
        let command = try await FixtureBuilder(buildRoot: "/p/.build/fixtures").command(for: fixture, output: "/o")
        XCTAssertEqual(command, ["gcc", "-static", "-I/p/.build/third-party/sqlite-musl", "-o", "/o",
                                 "/p/Fixtures/glibc/test.c", "-L/p/.build/third-party/sqlite-musl", "-lsqlite3"])
    }

    /// A shared library is built for the fixtures that place it but is not a fixture itself.
    func testSharedLibrariesAreCataloguedApart() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plugins-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/musl", withIntermediateDirectories: true)
        try "// A plugin.\n// conformance-link: shared-library\nint f(void) { return 1; }\n"
            .write(toFile: root + "/musl/plugin.c", atomically: true, encoding: .utf8)
        try "// Loads it.\n// conformance-programs: plugin=lib/plugin.so\nint main(void) { return 0; }\n"
            .write(toFile: root + "/musl/loader.c", atomically: true, encoding: .utf8)
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["musl/loader"])
        XCTAssertEqual(catalog.libraries.map(\.id), ["musl/plugin"])
        XCTAssertEqual(catalog.sharded(Shard(index: 1, count: 1)).libraries.map(\.id), ["musl/plugin"])
    }

    func testRejectsBadBuildDirectives() {
        for line in ["conformance-link: shared", "conformance-link: plugin", "conformance-cflags:", "conformance-ldflags: \"open",
                     "conformance-ignore-contents: /etc/passwd", "conformance-ignore-contents: ../up"] {
            XCTAssertThrowsError(try parseC("// Checks rejection.\n// \(line)\n"), line) { error in
                guard case .malformedDirective(_, 2, _, _) = error as? FixtureError else {
                    return XCTFail("\(line): \(error)")
                }
            }
        }
    }

    func testReadsProgramPlacements() throws {
        let spec = try parseC("""
            // Checks exec.
            // conformance-programs: exec_target
            // conformance-programs: /bin/busybox=bin/sh "/opt/my tools/tool=deep/er/tool" other-fixture=t
            // conformance-programs: /bin/busybox=busybox /usr/bin/env=a=b
            int main(void) { return 0; }
            """)
        XCTAssertEqual(spec.programs, [
            ProgramPlacement(source: .fixture("exec_target"), destination: "exec_target"),
            ProgramPlacement(source: .hostPath("/bin/busybox"), destination: "bin/sh"),
            ProgramPlacement(source: .hostPath("/opt/my tools/tool"), destination: "deep/er/tool"),
            ProgramPlacement(source: .fixture("other-fixture"), destination: "t"),
            ProgramPlacement(source: .hostPath("/bin/busybox"), destination: "busybox"),
            // Split at the first `=`: the destination may hold one, a source may not.
            ProgramPlacement(source: .hostPath("/usr/bin/env"), destination: "a=b"),
        ])
        XCTAssertEqual(try parseC("// Checks defaults.\n").programs, [])
        XCTAssertTrue(FixtureSpec.directiveKeys.contains("programs"))
    }

    func testRejectsBadProgramPlacementsNamingFileAndLine() {
        let bad: [(String, String)] = [
            ("conformance-programs:", "expected at least one"),
            ("conformance-programs: \"open", "unterminated"),
            ("conformance-programs: =dest", "expected a fixture name"),
            ("conformance-programs: ../exec_target", "expected a fixture name"),
            ("conformance-programs: musl/exec_target", "expected a fixture name"),
            ("conformance-programs: exec.target", "expected a fixture name"),
            ("conformance-programs: /bin/", "absolute path"),
            ("conformance-programs: /bin/../etc/x", "absolute path"),
            ("conformance-programs: exec_target=", "relative"),
            ("conformance-programs: exec_target=/abs", "relative"),
            ("conformance-programs: exec_target=../up", "relative"),
            ("conformance-programs: exec_target=a//b", "relative"),
            ("conformance-programs: exec_target=a/./b", "relative"),
            ("conformance-programs: exec_target=dir/", "relative"),
            ("conformance-programs: exec_target /bin/exec_target", "placed twice"),
            ("conformance-programs: /bin/busybox=bin /bin/busybox=bin/sh", "folder"),
            ("conformance-programs: /bin/busybox=bin/sh /bin/busybox=bin", "folder"),
        ]
        for (line, reason) in bad {
            XCTAssertThrowsError(try parseC("// Checks rejection.\n// \(line)\n"), line) { error in
                guard case let .malformedDirective(path, 2, "programs", message) = error as? FixtureError else {
                    return XCTFail("\(line): \(error)")
                }
                XCTAssertEqual(path, "glibc/test.c")
                XCTAssertTrue(message.contains(reason), "\(line): \(message)")
            }
        }
        // A repeated line is checked against the programs of the lines before it.
        XCTAssertThrowsError(try parseC("// Checks repeats.\n// conformance-programs: x\n// conformance-programs: y=x\n")) { error in
            guard case .malformedDirective(_, 3, "programs", _) = error as? FixtureError else { return XCTFail("\(error)") }
        }
    }

    func testCompilerCommandsPerLanguageAndLinkMode() async throws {
        let builder = FixtureBuilder(buildRoot: "/out")
        func command(_ libc: Libc, _ source: String, _ spec: FixtureSpec) async throws -> [String] {
            try await builder.command(for: Fixture(libc: libc, name: "x", sourcePath: source, spec: spec), output: "/out/x")
        }
        let flags = FixtureSpec(summary: "s", compilerFlags: ["-O1"], linkerFlags: ["-lz"])
        let glibc = try await command(.glibc, "/src/x.c", flags)
        XCTAssertEqual(glibc, ["gcc", "-static", "-O1", "-o", "/out/x", "/src/x.c", "-lz"])
        let cplusplus = try await command(.glibc, "/src/x.cpp", FixtureSpec(summary: "s"))
        XCTAssertEqual(cplusplus, ["g++", "-static", "-o", "/out/x", "/src/x.cpp"])
        let pie = try await command(.glibc, "/src/x.c", FixtureSpec(summary: "s", linkMode: .staticPIE))
        XCTAssertEqual(pie, ["gcc", "-static-pie", "-o", "/out/x", "/src/x.c"])
        let asm = try await command(.asm, "/src/x.S", FixtureSpec(summary: "s"))
        XCTAssertEqual(asm, ["gcc", "-nostdlib", "-static", "-o", "/out/x", "/src/x.S"])
    }

    /// `--prebuilt` takes the binary as it is, even when older than its source, and never
    /// compiles: a missing binary is `notPrebuilt` (an empty PATH proves no compiler started).
    func testPrebuiltOnlyNeverCompiles() async throws {
        let root = try makeScratchDirectory(self)
        try write("// Checks prebuilt.\nint main(void) { return 0; }\n", to: root + "/src/x.c")
        var builder = FixtureBuilder(buildRoot: root + "/out", environment: ["PATH": ""])
        builder.prebuiltOnly = true
        let fixture = Fixture(libc: .musl, name: "x", sourcePath: root + "/src/x.c", spec: FixtureSpec(summary: "s"))
        do {
            _ = try await builder.build(fixture)
            XCTFail("a missing binary must not count as built")
        } catch let .notPrebuilt(id, path) {
            XCTAssertEqual(id, "musl/x")
            XCTAssertEqual(path, root + "/out/musl/x")
        }
        try write("#!/bin/sh\n", to: root + "/out/musl/x")
        try FileManager.default.setAttributes([.posixPermissions: 0o755, .modificationDate: Date(timeIntervalSince1970: 0)],
                                              ofItemAtPath: root + "/out/musl/x")
        let built = try await builder.build(fixture)
        XCTAssertEqual(built, root + "/out/musl/x")
    }

    func testMuslStaticPieUsesTheSelfRelocatingStartFile() async throws {
        let builder = FixtureBuilder(buildRoot: "/out")
        guard builder.findExecutable("musl-gcc") != nil else { throw XCTSkip("musl-gcc is not installed") }
        let fixture = Fixture(libc: .musl, name: "x", sourcePath: "/src/x.c",
                              spec: FixtureSpec(summary: "s", linkerFlags: ["-lm"], linkMode: .staticPIE))
        let command = try await builder.command(for: fixture, output: "/out/x")
        XCTAssertEqual(command.prefix(3), ["musl-gcc", "-static-pie", "-nostartfiles"])
        XCTAssertTrue(command[3].hasSuffix("/rcrt1.o"), command[3])
        XCTAssertTrue(FileManager.default.fileExists(atPath: command[3]), command[3])
        XCTAssertTrue(command.contains("-Wl,--no-dynamic-linker"))
        let source = command.firstIndex(of: "/src/x.c")!
        XCTAssertEqual(command[source + 1], "-lm", "libraries follow the source")
        XCTAssertTrue(command.last!.hasSuffix("/crtn.o"))
    }

    func testCplusplusSourcesAreGlibcOnly() throws {
        let root = try makeScratchDirectory(self)
        try write("// Checks C++.\nint main() { return 0; }\n", to: root + "/glibc/plus.cpp")
        try write("// Checks C++ for musl.\n// conformance-libcs: musl glibc\nint main() { return 0; }\n",
                  to: root + "/glibc/both.cpp")
        try write("// Checks C.\nint main(void) { return 0; }\n", to: root + "/glibc/plain.c")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["glibc/plain", "glibc/plus"])
        XCTAssertEqual(catalog.fixtures.map(\.language), [.c, .cplusplus])
        XCTAssertEqual(catalog.rejected.map(\.id), ["glibc/both"])
    }

    func testIgnoredContentsStillNeedTheFile() {
        let native = FileTree(entries: ["db": .file(contents: [1, 2]), "log": .file(contents: [1])])
        let sameKind = FileTree(entries: ["db": .file(contents: [3]), "log": .file(contents: [1])])
        XCTAssertEqual(native.differences(from: sameKind, contentsIgnored: ["db"]), [])
        XCTAssertEqual(native.differences(from: sameKind).count, 1)
        let missing = FileTree(entries: ["log": .file(contents: [1])])
        XCTAssertEqual(native.differences(from: missing, contentsIgnored: ["db"]),
                       ["db: missing in guest (native has a file of 2 bytes)"])
        let directory = FileTree(entries: ["db": .directory, "log": .file(contents: [1])])
        XCTAssertEqual(native.differences(from: directory, contentsIgnored: ["db"]),
                       ["db: native has a file, guest a directory"])
    }
}
