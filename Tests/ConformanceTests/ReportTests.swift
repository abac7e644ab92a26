import XCTest
@testable import Conformance

final class ReportTests: XCTestCase {
    private let report = Report(mode: .guest, results: [
        FixtureResult(libc: .asm, name: "hello", verdict: .pass, nativeSeconds: 0.01, guestSeconds: 0.2),
        FixtureResult(libc: .asm, name: "args", verdict: .fail(.output, "stdout line 1: native \"a\\n\", guest <end> (native 2 bytes, guest 0 bytes)")),
        FixtureResult(libc: .glibc, name: "printf", verdict: KnownGaps(reasons: ["glibc/printf": "no SSE"])
            .apply(to: .fail(.crash, "guest died with status 132, native 0"), fixtureID: "glibc/printf")),
        FixtureResult(libc: .glibc, name: "broken", verdict: .nativeFailure("native run ended with exit 1")),
    ], warnings: ["Fixtures/known-gaps.txt lists musl/gone, which is not a fixture"])

    func testCountsPerLibc() {
        XCTAssertEqual(report.summaries.map(\.libc), [.asm, .musl, .glibc, .go])
        let asm = report.summaries[0], musl = report.summaries[1], glibc = report.summaries[2]
        XCTAssertEqual([asm.passed, asm.failed, asm.knownGaps, asm.total], [1, 1, 0, 2])
        XCTAssertEqual(musl.total, 0)
        XCTAssertEqual([glibc.passed, glibc.failed, glibc.knownGaps, glibc.total], [0, 1, 1, 2])
        XCTAssertEqual(report.total.total, 4)
        XCTAssertFalse(report.succeeded)
        XCTAssertEqual(report.results.map(\.id), ["asm/args", "asm/hello", "glibc/broken", "glibc/printf"])
    }

    func testKnownGapsAloneDoNotFailTheRun() {
        let gapOnly = Report(mode: .guest, results: [
            FixtureResult(libc: .asm, name: "x", verdict: KnownGaps(reasons: ["asm/x": "r"]).apply(to: .fail(.crash, "c"), fixtureID: "asm/x")),
        ])
        XCTAssertTrue(gapOnly.succeeded)
    }

    func testTextHasTheTableAndOneLinePerProblem() {
        let text = ReportFormat.text.render(report)
        XCTAssertTrue(text.contains("""
            libc   passed  failed  known gaps  total
            asm         1       1           0      2
            musl        -       -           -      0  no fixtures
            glibc       0       1           1      2
            go          -       -           -      0  no fixtures
            all         1       2           1      4
            """), text)
        XCTAssertTrue(text.contains(#"FAIL   asm/args [output] stdout line 1: native "a\n", guest <end> (native 2 bytes, guest 0 bytes)"#), text)
        XCTAssertTrue(text.contains("GAP    glibc/printf [crash] guest died with status 132, native 0 (known gap: no SSE)"), text)
        XCTAssertTrue(text.contains("BROKEN glibc/broken [native failure] native run ended with exit 1"), text)
        XCTAssertTrue(text.contains("warning: Fixtures/known-gaps.txt lists musl/gone"), text)
        XCTAssertFalse(text.contains("asm/hello"), "passes are listed only with --verbose")
        XCTAssertTrue(text.hasSuffix("result: FAIL\n"))
    }

    func testVerboseTextListsPassesWithTimings() {
        XCTAssertTrue(ReportFormat.text.render(report, verbose: true).contains("PASS   asm/hello (native 0.01 s, guest 0.20 s)"))
    }

    func testMarkdownHasATableAndEscapesPipes() {
        let markdown = ReportFormat.markdown.render(report)
        XCTAssertTrue(markdown.contains("| asm | 1 | 1 | 0 | 2 |"), markdown)
        XCTAssertTrue(markdown.contains("| musl | - | - | - | 0 (no fixtures) |"), markdown)
        XCTAssertTrue(markdown.contains("| go | - | - | - | 0 (no fixtures) |"), markdown)
        XCTAssertTrue(markdown.contains("| `glibc/printf` | known-gap: crash | guest died with status 132, native 0; known gap: no SSE |"), markdown)
    }

    func testJSONRoundTripsTheModel() throws {
        let json = ReportFormat.json.render(report)
        let decoded = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, report)
        XCTAssertTrue(json.contains("\"outcome\" : \"known-gap\""), json)
    }
}
