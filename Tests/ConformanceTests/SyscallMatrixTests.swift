import Foundation
import XCTest
@testable import Conformance

/// The syscall support matrix: reading the kernel's table, reading guest traces, and joining the two.
final class SyscallMatrixTests: XCTestCase {
    let table = #"""
        enum SyscallTable {
            static let entries: [SyscallEntry] = [
                .init(0, "read", .implemented, "in place: the host reads", FileSyscalls.read),
                .init(9, "mmap", .partial, "MAP_SHARED files are \"copies\", not shared", MemorySyscalls.mmap),
                // a comment inside the literal
                .init(56, "clone", .refused, "single process, single thread", ProcessSyscalls.unsupported),
                .init(231, "exit_group", .implemented, "status & 0xff", ProcessSyscalls.exit),
            ]

            static func entry(for number: UInt64) -> SyscallEntry? {
                .init(0, "not", .a, "row", outsideTheLiteral)
            }
        }
        """#

    func testParsesEveryRowOfTheTableLiteral() throws {
        let entries = try SyscallTableParser.parse(table)
        XCTAssertEqual(entries.map(\.name), ["read", "mmap", "clone", "exit_group"])
        XCTAssertEqual(entries.map(\.number), [0, 9, 56, 231])
        XCTAssertEqual(entries.map(\.support), [.implemented, .partial, .refused, .implemented])
        XCTAssertEqual(entries[1].note, #"MAP_SHARED files are "copies", not shared"#)
        XCTAssertEqual(entries[1].handler, "MemorySyscalls.mmap")
        XCTAssertEqual(entries[0].line, 3)
    }

    func testParsesTheKernelsRealTable() throws {
        let entries = try SyscallTableParser.load(path: packageRoot + "/" + SyscallTableParser.relativePath)
        XCTAssertTrue(entries.contains { $0.name == "read" && $0.number == 0 && $0.support == .implemented })
        XCTAssertTrue(entries.contains { $0.name == "fork" && $0.support == .implemented })
        XCTAssertTrue(entries.contains { $0.name == "rseq" && $0.support == .refused })
    }

    func testRejectsAnUnknownSupportLevel() {
        let text = table.replacingOccurrences(of: ".refused,", with: ".maybe,")
        XCTAssertThrowsError(try SyscallTableParser.parse(text, path: "T.swift")) { error in
            guard case let .malformedRow(path, line, reason, _) = error as? SyscallTableError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "T.swift")
            XCTAssertEqual(line, 6)
            XCTAssertTrue(reason.contains(".maybe"), reason)
        }
    }

    func testRejectsARowThatIsNotInit() {
        let text = table.replacingOccurrences(of: "// a comment inside the literal", with: "SyscallEntry(1, \"write\")")
        XCTAssertThrowsError(try SyscallTableParser.parse(text)) { error in
            guard case .malformedRow = error as? SyscallTableError else { return XCTFail("\(error)") }
        }
    }

    func testRejectsATableWithoutTheLiteral() {
        XCTAssertThrowsError(try SyscallTableParser.parse("let rows = [1, 2]\n", path: "T.swift")) { error in
            XCTAssertEqual(error as? SyscallTableError, .noRows(path: "T.swift"))
        }
    }

    func testRejectsAMissingHandlerAndAnUnclosedNote() {
        for broken in [#".init(0, "read", .implemented, "note"),"#, #".init(0, "read", .implemented, "note, X),"#,
                       #".init(x, "read", .implemented, "note", X),"#] {
            let text = "static let entries: [SyscallEntry] = [\n    \(broken)\n]\n"
            XCTAssertThrowsError(try SyscallTableParser.parse(text), broken)
        }
    }

    func testRejectsDuplicateNumbers() {
        let text = table.replacingOccurrences(of: ".init(56, \"clone\"", with: ".init(9, \"clone\"")
        XCTAssertThrowsError(try SyscallTableParser.parse(text, path: "T.swift")) { error in
            XCTAssertEqual(error as? SyscallTableError, .duplicate(path: "T.swift", line: 6, what: "number 9"))
        }
    }

    func testTraceNamesAreTheLeadingNamesOnly() {
        let trace = """
            arch_prctl(ARCH_SET_FS, 0x4c6378) = 0
            openat(AT_FDCWD, "a(b)", O_RDONLY) = -1 ENOENT (No such file or directory)
            --- SIGSEGV {si_signo=SIGSEGV} ---
            write(1, "x = y(z)\\n", 9) = 9
            syscall_999(0x1) = -1 ENOSYS (Function not implemented)
            4242 read(0, "", 4096) = 0
            +++ exited with 0 +++

            write(1, "again", 5) = 5
            """
        XCTAssertEqual(SyscallCoverage.syscallNames(inTrace: trace),
                       ["arch_prctl", "openat", "write", "syscall_999", "read"])
    }

    /// Each guest process ends its part of the trace with the hypervisor's
    /// `+++ syscall entries` line (SyscallTracer.recordSyscallEntries): summed per fixture,
    /// not taken for a syscall name, and summarised per libc for `conformance run`.
    func testSyscallEntryLinesSumOverProcessesAndGiveTheTrappedShare() {
        let trace = """
            getppid() = 1
            +++ syscall entries: 20 trapped, 980 through rewritten sites, 2 sites rewritten +++
            exit_group(0) = ?
            +++ syscall entries: 5 trapped, 0 through rewritten sites, 0 sites rewritten +++
            """
        let entries = SyscallCoverage.syscallEntries(inTrace: trace)
        XCTAssertEqual(entries?.trapped, 25)
        XCTAssertEqual(entries?.total, 1005)
        XCTAssertNil(SyscallCoverage.syscallEntries(inTrace: "getppid() = 1\n"))
        XCTAssertEqual(SyscallCoverage.syscallNames(inTrace: trace), ["getppid", "exit_group"])
        let runs = [
            SyscallCoverage.FixtureRun(libc: .musl, name: "a", outcome: .pass, syscalls: [], entries: (10, 1000)),
            SyscallCoverage.FixtureRun(libc: .musl, name: "b", outcome: .pass, syscalls: [], entries: (30, 1000)),
            SyscallCoverage.FixtureRun(libc: .glibc, name: "c", outcome: .pass, syscalls: []),
        ]
        XCTAssertEqual(SyscallCoverage.trapShareSummary(runs), ["musl: 2.00% of 2000 syscalls trapped (2 fixtures)"])
    }

    func testCoverageIsReadFromTheTraceFileOfEachGuestRun() throws {
        let directory = try makeScratchDirectory(self)
        try write("read(0, \"\", 1) = 0\nbrk(NULL) = 0x1000\n",
                  to: SyscallCoverage.traceFile(in: directory, libc: "musl", name: "io"))
        let results = [
            FixtureResult(libc: .musl, name: "io", verdict: .pass, nativeSeconds: 0.1, guestSeconds: 0.2),
            FixtureResult(libc: .glibc, name: "io", verdict: .fail(.output, "x"), nativeSeconds: 0.1, guestSeconds: 0.2),
            FixtureResult(libc: .asm, name: "broken", verdict: .nativeFailure("x"), nativeSeconds: 0.1),
        ]
        let runs = SyscallCoverage.runs(of: results, traceDirectory: directory)
        XCTAssertEqual(runs, [SyscallCoverage.FixtureRun(libc: .musl, name: "io", outcome: .pass, syscalls: ["brk", "read"])])
    }

    func testMergeReplacesRerunFixturesAndDropsRemovedOnes() {
        var coverage = SyscallCoverage(fixtures: [
            .init(libc: .musl, name: "a", outcome: .fail, syscalls: ["read"]),
            .init(libc: .musl, name: "b", outcome: .pass, syscalls: ["write"]),
            .init(libc: .musl, name: "gone", outcome: .pass, syscalls: ["write"]),
        ])
        coverage.merge([.init(libc: .musl, name: "a", outcome: .pass, syscalls: ["pread64"])],
                       existing: ["musl/a", "musl/b"])
        XCTAssertEqual(coverage.fixtures.keys.sorted(), ["musl/a", "musl/b"])
        XCTAssertEqual(coverage.fixtures["musl/a"]?.syscalls, ["pread64"])
    }

    func testCoverageSurvivesASaveAndLoad() throws {
        let path = try makeScratchDirectory(self) + "/deep/coverage.json"
        XCTAssertNil(try SyscallCoverage.load(path: path))
        let coverage = SyscallCoverage(fixtures: [.init(libc: .glibc, name: "x", outcome: .knownGap, syscalls: ["read"])])
        try coverage.save(path: path)
        XCTAssertEqual(try SyscallCoverage.load(path: path), coverage)
    }

    func testJoinCountsLevelsAndMarksCoveragePerLibc() throws {
        let entries = try SyscallTableParser.parse(table)
        let coverage = SyscallCoverage(fixtures: [
            .init(libc: .musl, name: "io", outcome: .pass, syscalls: ["read", "mmap", "getrandom"]),
            .init(libc: .glibc, name: "io", outcome: .fail, syscalls: ["read", "mmap"]),
            .init(libc: .glibc, name: "other", outcome: .pass, syscalls: ["mmap"]),
            .init(libc: .asm, name: "hello", outcome: .pass, syscalls: ["read"]),
        ])
        let matrix = SupportMatrix.join(table: entries, coverage: coverage, tablePath: "T.swift")
        XCTAssertEqual(matrix.counts, .init(implemented: 2, partial: 1, refused: 1))
        let read = try XCTUnwrap(matrix.rows.first { $0.entry.name == "read" })
        XCTAssertEqual(read.coveredBy, ["musl": ["io"], "glibc": ["io"], "asm": ["hello"]])
        XCTAssertEqual(read.failingIn, ["glibc": ["io"]])
        XCTAssertFalse(read.coveredByPassingInEveryCLibc)
        let mmap = try XCTUnwrap(matrix.rows.first { $0.entry.name == "mmap" })
        XCTAssertTrue(mmap.coveredByPassingInEveryCLibc)
        // exit_group never reaches the trace, so it is not reported as a gap.
        XCTAssertEqual(matrix.implementedGaps.map(\.entry.name), ["read"])
        XCTAssertEqual(matrix.unlisted, ["getrandom": ["musl/io"]])
    }

    func testRenderersNameTheCountsAndTheCoveringFixtures() throws {
        let entries = try SyscallTableParser.parse(table)
        let coverage = SyscallCoverage(fixtures: [.init(libc: .musl, name: "io", outcome: .pass, syscalls: ["read"])])
        let matrix = SupportMatrix.join(table: entries, coverage: coverage, tablePath: "T.swift")
        let text = SupportMatrixFormat.text.render(matrix)
        XCTAssertTrue(text.contains("4 syscalls: 2 implemented, 1 partial, 1 refused"), text)
        XCTAssertTrue(text.contains("musl: io"), text)
        XCTAssertTrue(text.contains("NOT COVERED"), text)
        let markdown = SupportMatrixFormat.markdown.render(matrix)
        XCTAssertTrue(markdown.contains("| 0 | `read` | implemented | partly | io |  |  |"), markdown)
        XCTAssertTrue(markdown.contains(#"MAP_SHARED files are "copies", not shared"#), markdown)
        let json = try JSONSerialization.jsonObject(with: Data(SupportMatrixFormat.json.render(matrix).utf8)) as? [String: Any]
        XCTAssertEqual((json?["counts"] as? [String: Int])?["implemented"], 2)
        XCTAssertEqual((json?["entries"] as? [[String: Any]])?.count, 4)
    }

    func testGuestRunsWriteATracePerFixtureOnlyWhenAsked() throws {
        var guest = GuestExecutor(hypervisorPath: "/hv")
        let spec = FixtureSpec(summary: "Checks nothing.")
        XCTAssertFalse(guest.arguments(directory: "/d", binaryPath: "/p/.build/fixtures/musl/io", spec: spec,
                                       timeoutSeconds: 1).contains("--trace-file"))
        guest.traceDirectory = "/t"
        let arguments = guest.arguments(directory: "/d", binaryPath: "/p/.build/fixtures/musl/io", spec: spec, timeoutSeconds: 1)
        let index = try XCTUnwrap(arguments.firstIndex(of: "--trace-file"))
        XCTAssertEqual(arguments[index + 1], "/t/musl-io.trace")
        XCTAssertEqual(arguments.last, "/p/.build/fixtures/musl/io")
    }
}
