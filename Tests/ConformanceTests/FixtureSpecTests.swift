import XCTest
@testable import Conformance

final class FixtureSpecTests: XCTestCase {
    private func parseAsm(_ text: String) throws -> FixtureSpec {
        try FixtureSpec.parse(text, commentPrefix: "#", path: "asm/test.S")
    }

    func testReadsEveryDirectiveOfAnAssemblyHeader() throws {
        let spec = try parseAsm("""
            # Checks that directives are read.
            # conformance-args: a "b c" 'd e' f\\ g
            # conformance-stdin: line one\\n
            # conformance-stdin: \\tline two\\x21\\s
            # conformance-env: K=V
            # conformance-env: EMPTY=
            # conformance-exit: 139
            # conformance-timeout: 2.5

                .globl _start
            """)
        XCTAssertEqual(spec.summary, "Checks that directives are read.")
        XCTAssertEqual(spec.arguments, ["a", "b c", "d e", "f g"])
        XCTAssertEqual(spec.stdin, Array("line one\n\tline two! ".utf8))
        XCTAssertEqual(spec.environment, ["K=V", "EMPTY="])
        XCTAssertEqual(spec.expectedExitStatus, 139)
        XCTAssertEqual(spec.timeoutSeconds, 2.5)
    }

    func testDefaultsAreNoArgumentsEmptyStdinEmptyEnvironmentExitZero() throws {
        let spec = try parseAsm("# Checks nothing in particular.\n")
        XCTAssertEqual(spec, FixtureSpec(summary: "Checks nothing in particular."))
    }

    func testReadsCHeadersWithDoubleSlash() throws {
        let spec = try FixtureSpec.parse("""
            // Checks printf.
            // Second summary line.
            // conformance-args: x
            #include <stdio.h>
            // conformance-args: not part of the header
            """, commentPrefix: "//", path: "musl/printf.c")
        XCTAssertEqual(spec.summary, "Checks printf. Second summary line.")
        XCTAssertEqual(spec.arguments, ["x"])
    }

    func testPreprocessorLineEndsAnAssemblyHeader() throws {
        let spec = try parseAsm("# Checks includes.\n#include \"x.h\"\n# conformance-exit: 3\n")
        XCTAssertEqual(spec.expectedExitStatus, 0)
    }

    func testDoubleQuotesKeepUnknownEscapes() throws {
        XCTAssertEqual(try ShellWords.split(#""a\"b" "c\\d" "e\nf""#), ["a\"b", "c\\d", "e\\nf"])
        XCTAssertEqual(try ShellWords.split("  ''  x  "), ["", "x"])
    }

    func testRejectsUnknownDirectiveNamingFileAndLine() {
        XCTAssertThrowsError(try parseAsm("# Checks.\n# conformance-argv: x\n")) { error in
            XCTAssertEqual(error as? FixtureError, .unknownDirective(path: "asm/test.S", line: 2, key: "argv"))
            XCTAssertTrue("\(error)".contains("asm/test.S:2"))
        }
    }

    func testRejectsMalformedValues() {
        let cases = [
            "# conformance-exit: 256", "# conformance-exit: x", "# conformance-env: =V", "# conformance-env: NOEQUALS",
            "# conformance-args: \"open", "# conformance-stdin: \\q", "# conformance-stdin: \\x4",
            "# conformance-timeout: 0", "# conformance-exit", "# conformance-stdin-terminal: no",
        ]
        for line in cases {
            XCTAssertThrowsError(try parseAsm("# Checks.\n" + line), line) { error in
                guard case .malformedDirective(_, 2, _, _)? = error as? FixtureError else {
                    return XCTFail("\(line): \(error)")
                }
            }
        }
    }

    func testTerminalStdinExcludesStdinBytes() throws {
        XCTAssertTrue(try parseAsm("# Checks.\n# conformance-stdin-terminal: yes\n").stdinIsTerminal)
        XCTAssertThrowsError(try parseAsm("# Checks.\n# conformance-stdin-terminal: yes\n# conformance-stdin: x\n")) { error in
            guard case .malformedDirective(_, _, "stdin-terminal", _)? = error as? FixtureError else { return XCTFail("\(error)") }
        }
    }

    func testRequiresASummaryComment() {
        XCTAssertThrowsError(try parseAsm("# conformance-exit: 1\n    .text\n")) { error in
            XCTAssertEqual(error as? FixtureError, .missingSummary(path: "asm/test.S"))
        }
    }

    func testEveryCheckedInFixtureHasAValidHeader() throws {
        let catalog = try FixtureCatalog.discover(in: packageRoot + "/Fixtures")
        XCTAssertEqual(catalog.rejected, [])
        XCTAssertFalse(catalog.fixtures(for: .asm).isEmpty)
        let ids = Set(catalog.fixtures.map(\.id))
        for required in ["hello", "file_roundtrip", "exit_status", "echo_args", "cat_stdin", "unknown_syscall", "null_write"] {
            XCTAssertTrue(ids.contains("asm/\(required)"), required)
        }
        XCTAssertEqual(catalog.fixtures.first { $0.id == "asm/null_write" }?.spec.expectedExitStatus, 139)
    }
}

final class FixtureCatalogTests: XCTestCase {
    func testEmptyAndMissingLibcFoldersHaveNoFixtures() throws {
        let root = try makeScratchDirectory(self)
        try FileManager.default.createDirectory(atPath: root + "/musl", withIntermediateDirectories: true)
        try write("# Checks a.\n", to: root + "/asm/a.S")
        try write("not a fixture\n", to: root + "/asm/notes.txt")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["asm/a"])
        XCTAssertTrue(catalog.fixtures(for: .musl).isEmpty)
        XCTAssertTrue(catalog.fixtures(for: .glibc).isEmpty)
    }

    func testFilterMatchesSubstringsOfTheId() throws {
        let root = try makeScratchDirectory(self)
        try write("# Checks a.\n", to: root + "/asm/hello.S")
        try write("# Checks b.\n", to: root + "/asm/bye.S")
        try write("// Checks c.\n", to: root + "/musl/hello.c")
        XCTAssertEqual(try FixtureCatalog.discover(in: root, filter: "hello").fixtures.map(\.id), ["asm/hello", "musl/hello"])
        XCTAssertEqual(try FixtureCatalog.discover(in: root, filter: "asm/").fixtures.map(\.id), ["asm/bye", "asm/hello"])
    }

    func testInvalidHeadersAreRejectedNotFatal() throws {
        let root = try makeScratchDirectory(self)
        try write("# Checks a.\n", to: root + "/asm/good.S")
        try write("    .text\n", to: root + "/asm/bad.S")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["asm/good"])
        XCTAssertEqual(catalog.rejected.map(\.id), ["asm/bad"])
    }

    func testMissingFixturesFolderIsAnError() {
        XCTAssertThrowsError(try FixtureCatalog.discover(in: "/nonexistent/Fixtures"))
    }
}

/// The directives added for guest memory, structural comparison, categories and shared C sources.
final class FixtureSpecDirectiveTests: XCTestCase {
    func testReadsMemoryCompareCategoryAndLibcs() throws {
        let spec = try FixtureSpec.parse("""
            // Checks the new directives.
            // conformance-memory: 256M
            // conformance-compare: stack-layout
            // conformance-category: alignment
            // conformance-libcs: musl glibc musl
            """, commentPrefix: "//", path: "musl/x.c")
        XCTAssertEqual(spec.guestMemory, "256M")
        XCTAssertEqual(spec.stdoutComparison, .stackLayout)
        XCTAssertEqual(spec.mismatchCategory, .alignment)
        XCTAssertEqual(spec.libcs, [.musl, .glibc])
    }

    func testRejectsBadValues() {
        for (line, reason) in [("memory: lots", "expected a size such as 256M or 1G"),
                               ("memory: 0M", "expected a size such as 256M or 1G"),
                               ("compare: fuzzy", "expected one of exact, stack-layout"),
                               ("category: crash", "expected one of alignment, stack-layout"),
                               ("libcs: asm", "expected C libraries (musl, glibc)"),
                               ("libcs:", "expected at least one C library")] {
            XCTAssertThrowsError(try FixtureSpec.parse("// Checks.\n// conformance-\(line)\n", commentPrefix: "//", path: "x.c")) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
            }
        }
    }

    func testGuestGetsTheFixturesMemory() {
        let guest = GuestExecutor(hypervisorPath: "/hv")
        let spec = FixtureSpec(summary: "x", guestMemory: "256M")
        XCTAssertEqual(guest.arguments(directory: "/d", binaryPath: "/p", spec: spec, timeoutSeconds: 1),
                       ["/hv", "--dir", "/d", "--timeout", "1", "--memory", "256M", "/p"])
    }

    func testDeclaredCategoryRenamesOutputMismatches() {
        let spec = FixtureSpec(summary: "x", mismatchCategory: .alignment)
        let verdict = Comparison.compare(native: Observation(status: .exited(0), stdout: "ok rsp\n"),
                                         guest: Observation(status: .exited(0), stdout: "FAIL rsp\n"),
                                         timeoutSeconds: 10, spec: spec)
        XCTAssertEqual(verdict.category, .alignment)
        let crash = Comparison.compare(native: Observation(status: .exited(0)), guest: Observation(status: .exited(139)),
                                       timeoutSeconds: 10, spec: spec)
        XCTAssertEqual(crash.category, .crash)
    }
}

/// Which libcs a C source is built for.
final class SharedCSourceTests: XCTestCase {
    private let header = "// Checks sharing.\n"

    func testSourceListingBothLibcsIsBuiltForBoth() throws {
        let root = try makeScratchDirectory(self)
        try write(header + "// conformance-libcs: musl glibc\nint main(void) { return 0; }\n", to: root + "/musl/shared.c")
        try write(header + "int main(void) { return 0; }\n", to: root + "/musl/only_musl.c")
        try write(header + "int main(void) { return 0; }\n", to: root + "/glibc/only_glibc.c")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["musl/only_musl", "musl/shared", "glibc/only_glibc", "glibc/shared"])
        XCTAssertEqual(catalog.fixtures.filter { $0.name == "shared" }.map(\.sourcePath), [root + "/musl/shared.c", root + "/musl/shared.c"])
        XCTAssertEqual(catalog.rejected, [])
    }

    func testTwoSourcesForOneFixtureAreRejected() throws {
        let root = try makeScratchDirectory(self)
        try write(header + "// conformance-libcs: musl glibc\nint main(void) { return 0; }\n", to: root + "/musl/twice.c")
        try write(header + "int main(void) { return 0; }\n", to: root + "/glibc/twice.c")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["musl/twice"])
        XCTAssertEqual(catalog.rejected.map(\.id), ["glibc/twice"])
        XCTAssertEqual(catalog.rejected.first?.error, .duplicate(id: "glibc/twice", paths: [root + "/glibc/twice.c", root + "/musl/twice.c"]))
    }

    func testBrokenSourceIsReportedOnceForItsFolder() throws {
        let root = try makeScratchDirectory(self)
        try write("int main(void) { return 0; }\n", to: root + "/musl/broken.c")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.rejected.map(\.id), ["musl/broken"])
    }
}
