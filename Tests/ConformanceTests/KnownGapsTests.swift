import XCTest
@testable import Conformance

final class KnownGapsTests: XCTestCase {
    func testParsesEntriesCommentsAndBlankLines() throws {
        let gaps = try KnownGaps.parse("""
            # header comment

            glibc/printf_float: needs SSE state saved across syscalls
              asm/x :  reason with: a colon
            """, path: "known-gaps.txt")
        XCTAssertEqual(gaps.reasons, ["glibc/printf_float": "needs SSE state saved across syscalls",
                                      "asm/x": "reason with: a colon"])
    }

    func testRejectsMalformedLinesUnknownLibcsAndDuplicates() {
        XCTAssertThrowsError(try KnownGaps.parse("asm/x\n", path: "g")) {
            XCTAssertEqual($0 as? KnownGapsError, .malformedLine(path: "g", line: 1, text: "asm/x"))
        }
        XCTAssertThrowsError(try KnownGaps.parse("asm/x:\n", path: "g"))
        XCTAssertThrowsError(try KnownGaps.parse("x: why\n", path: "g"))
        XCTAssertThrowsError(try KnownGaps.parse("uclibc/x: why\n", path: "g")) {
            XCTAssertEqual($0 as? KnownGapsError, .unknownLibc(path: "g", line: 1, libc: "uclibc"))
        }
        XCTAssertThrowsError(try KnownGaps.parse("asm/x: a\nasm/x: b\n", path: "g")) {
            XCTAssertEqual($0 as? KnownGapsError, .duplicate(path: "g", line: 2, id: "asm/x"))
        }
    }

    func testMissingListIsEmpty() throws {
        XCTAssertEqual(try KnownGaps.load(path: "/nonexistent/known-gaps.txt"), KnownGaps())
    }

    func testCheckedInListParses() throws {
        XCTAssertNoThrow(try KnownGaps.load(path: packageRoot + "/Fixtures/known-gaps.txt"))
    }

    func testFailingListedFixtureIsAKnownGap() {
        let gaps = KnownGaps(reasons: ["asm/x": "no mmap yet"])
        let verdict = gaps.apply(to: .fail(.crash, "died"), fixtureID: "asm/x")
        XCTAssertEqual(verdict.outcome, .knownGap)
        XCTAssertEqual(verdict.category, .crash)
        XCTAssertEqual(verdict.gapReason, "no mmap yet")
        XCTAssertFalse(verdict.failsRun)
    }

    func testPassingListedFixtureIsFixedAndFailsTheRun() {
        let gaps = KnownGaps(reasons: ["asm/x": "no mmap yet"])
        let verdict = gaps.apply(to: .pass, fixtureID: "asm/x")
        XCTAssertEqual(verdict.outcome, .fixedGap)
        XCTAssertEqual(verdict.summary, "passes now: remove \"asm/x\" from Fixtures/known-gaps.txt")
        XCTAssertTrue(verdict.failsRun)
    }

    func testUnlistedAndBrokenFixturesAreUntouched() {
        let gaps = KnownGaps(reasons: ["asm/x": "why"])
        XCTAssertEqual(gaps.apply(to: .fail(.output, "d"), fixtureID: "asm/y"), .fail(.output, "d"))
        XCTAssertEqual(gaps.apply(to: .nativeFailure("n"), fixtureID: "asm/x").outcome, .nativeFailure)
    }

    func testStaleEntriesAreThoseNamingNoFixture() {
        let gaps = KnownGaps(reasons: ["asm/x": "a", "musl/gone": "b"])
        XCTAssertEqual(gaps.staleEntries(among: ["asm/x", "asm/y"]), ["musl/gone"])
    }

    func testPlatformLinesHoldOnlyOnTheirPlatform() throws {
        let text = "musl/a @kvm-pvm: kernel at CPL3\nmusl/a @amd-svm: other reason\nasm/b: everywhere\n"
        let pvm = try KnownGaps.parse(text, path: "g.txt", platform: "kvm-pvm")
        XCTAssertEqual(pvm.reasons, ["musl/a": "kernel at CPL3", "asm/b": "everywhere"])
        let svm = try KnownGaps.parse(text, path: "g.txt", platform: "amd-svm")
        XCTAssertEqual(svm.reasons, ["musl/a": "other reason", "asm/b": "everywhere"])
        let vmx = try KnownGaps.parse(text, path: "g.txt", platform: "intel-vmx")
        XCTAssertEqual(vmx.reasons, ["asm/b": "everywhere"])
        XCTAssertEqual(KnownGaps.platformKey(of: "AMD SVM (nested, emulated by QEMU TCG)"), "amd-svm")
        XCTAssertEqual(KnownGaps.platformKey(of: "kvm-pvm (nested)"), "kvm-pvm")
    }

    func testPlatformLinesAreChecked() {
        XCTAssertThrowsError(try KnownGaps.parse("musl/a @pvm: x\n", path: "g.txt")) { error in
            XCTAssertEqual(error as? KnownGapsError, .unknownPlatform(path: "g.txt", line: 1, platform: "pvm"))
        }
        XCTAssertThrowsError(try KnownGaps.parse("musl/a: x\nmusl/a @kvm-pvm: y\n", path: "g.txt")) { error in
            XCTAssertEqual(error as? KnownGapsError, .duplicate(path: "g.txt", line: 2, id: "musl/a"))
        }
        XCTAssertThrowsError(try KnownGaps.parse("musl/a @kvm-pvm: y\nmusl/a @kvm-pvm: z\n", path: "g.txt")) { error in
            XCTAssertEqual(error as? KnownGapsError, .duplicate(path: "g.txt", line: 2, id: "musl/a"))
        }
    }
}
