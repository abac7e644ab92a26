import Foundation
import XCTest
@testable import Conformance

/// The build directives (`conformance-cflags:`, `-ldflags:`, `-link:`), C++ sources, and
/// `conformance-ignore-contents:`.
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
    }

    func testRejectsBadBuildDirectives() {
        for line in ["conformance-link: dynamic", "conformance-cflags:", "conformance-ldflags: \"open",
                     "conformance-ignore-contents: /etc/passwd", "conformance-ignore-contents: ../up"] {
            XCTAssertThrowsError(try parseC("// Checks rejection.\n// \(line)\n"), line) { error in
                guard case .malformedDirective(_, 2, _, _) = error as? FixtureError else {
                    return XCTFail("\(line): \(error)")
                }
            }
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
