import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Conformance

/// JUnit XML is well-formed and has the structure CI report viewers read; shards partition the suite.
@Suite("JUnit report and shards")
struct JUnitReportTests {
    static let report = Report(mode: .guest, results: [
        FixtureResult(libc: .asm, name: "hello", verdict: .pass, nativeSeconds: 0.01, guestSeconds: 0.02),
        FixtureResult(libc: .musl, name: "printf_floats",
                      verdict: .fail(.output, "stdout line 1: native \"1.5 <&>\", guest \"\\u{1}\"",
                                     details: ["stdout line 1: native \"1.5 <&>\", guest \"\u{1}\"", "exit status: native 0, guest 1"])),
        FixtureResult(libc: .glibc, name: "big_stack",
                      verdict: Verdict(outcome: .knownGap, category: .crash, summary: "guest died", details: ["guest died"],
                                       gapReason: "no stack growth yet")),
        FixtureResult(libc: .glibc, name: "broken", verdict: .nativeFailure("native run ended with 1")),
    ], warnings: ["Fixtures/known-gaps.txt lists musl/gone, which is not a fixture"])

    @Test func junitParsesAsXMLWithASuitePerLibcAndACasePerFixture() throws {
        let xml = ReportFormat.junit.render(Self.report)
        let document = try XMLDocument(data: Data(xml.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == "4")
        #expect(root.attribute(forName: "failures")?.stringValue == "2")
        #expect(root.attribute(forName: "skipped")?.stringValue == "1")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.map { $0.attribute(forName: "name")?.stringValue } == ["asm", "musl", "glibc", "go"])
        #expect(suites.map { $0.elements(forName: "testcase").count } == [1, 1, 2, 0])

        let failure = try #require(suites[1].elements(forName: "testcase").first?.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "type")?.stringValue == "output")
        #expect(failure.attribute(forName: "message")?.stringValue?.contains("<&>") == true)
        #expect(failure.stringValue?.contains("exit status: native 0, guest 1") == true)

        let glibc = suites[2].elements(forName: "testcase")
        #expect(glibc[0].attribute(forName: "name")?.stringValue == "big_stack")
        #expect(glibc[0].elements(forName: "skipped").first?.attribute(forName: "message")?.stringValue?
            .contains("no stack growth yet") == true)
        #expect(glibc[1].elements(forName: "failure").first?.attribute(forName: "type")?.stringValue == "native-failure")
        #expect(glibc[0].attribute(forName: "classname")?.stringValue == "conformance.glibc")
    }

    @Test func everyFormatNamesTheFailureCategory() {
        for format in [ReportFormat.text, .markdown, .json, .junit] {
            #expect(format.render(Self.report).contains("output"), "\(format)")
        }
    }

    @Test func shardsPartitionTheCatalogDeterministically() {
        let fixtures = (0..<10).map { Fixture(libc: .asm, name: "f\($0)", sourcePath: "/f\($0).S", spec: FixtureSpec(summary: "")) }
        let catalog = FixtureCatalog(fixtures: fixtures)
        let shards = (1...3).map { catalog.sharded(Shard(index: $0, count: 3)).fixtures.map(\.id) }
        #expect(shards.map(\.count) == [4, 3, 3])
        #expect(Set(shards.joined()).count == 10)
        #expect(shards == (1...3).map { catalog.sharded(Shard(index: $0, count: 3)).fixtures.map(\.id) })
        #expect(Shard(parsing: "2/4") == Shard(index: 2, count: 4))
        #expect(Shard(parsing: "0/4") == nil)
        #expect(Shard(parsing: "5/4") == nil)
        #expect(Shard(parsing: "x") == nil)
    }

    @Test func aSkipListLeavesOutTheFixturesItNames() {
        let fixtures = (0..<4).map { Fixture(libc: .musl, name: "f\($0)", sourcePath: "/f\($0).c", spec: FixtureSpec(summary: "")) }
        let catalog = FixtureCatalog(fixtures: fixtures)
        let skipped = FixtureCatalog.skipList(parsing: "# passed before the host failed\nmusl/f1\n\n  musl/f3  # trailing note\nmusl/other\n")
        #expect(skipped == ["musl/f1", "musl/f3", "musl/other"])
        #expect(catalog.excluding(skipped).fixtures.map(\.id) == ["musl/f0", "musl/f2"])
        #expect(catalog.excluding([]).fixtures.count == 4)
    }
}
