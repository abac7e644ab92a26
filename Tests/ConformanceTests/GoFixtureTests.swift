import Foundation
import XCTest
@testable import Conformance

/// The `go` row: `Fixtures/go/*.go` sources, their headers, `go build` commands and environment,
/// the directives Go cannot honour, and the error for a missing Go toolchain.
final class GoFixtureTests: XCTestCase {
    func testGoIsItsOwnFolderLanguageAndRow() {
        XCTAssertEqual(Libc(rawValue: "go"), .go)
        XCTAssertEqual(Libc.allCases.last, .go, "reports list the go row after the C libcs")
        XCTAssertEqual(Libc.go.sourceFolders, ["go"])
        XCTAssertEqual(Libc.go.sourceExtensions, ["go"])
        XCTAssertEqual(Libc.go.commentPrefix, "//")
        XCTAssertEqual(SourceLanguage(path: "/src/go/goroutines.go"), .go)
        XCTAssertEqual(Libc.package(providing: "go"), "golang-go")
        XCTAssertFalse(Libc.musl.sourceFolders.contains("go"), "the C libcs never read Go sources")
    }

    func testReadsAGoHeader() throws {
        let spec = try FixtureSpec.parse("""
            // Checks goroutines.
            // conformance-args: one two
            // conformance-env: GOGC=50
            // conformance-cflags: -ldflags=-s
            // conformance-exit: 3
            package main

            // not part of the header
            func main() {}
            """, commentPrefix: Libc.go.commentPrefix, path: "go/x.go")
        XCTAssertEqual(spec.summary, "Checks goroutines.")
        XCTAssertEqual(spec.arguments, ["one", "two"])
        XCTAssertEqual(spec.environment, ["GOGC=50"])
        XCTAssertEqual(spec.compilerFlags, ["-ldflags=-s"])
        XCTAssertEqual(spec.expectedExitStatus, 3)
    }

    func testDiscoversGoSourcesOnlyInTheGoFolder() throws {
        let root = try makeScratchDirectory(self)
        try write("// Checks channels.\npackage main\nfunc main() {}\n", to: root + "/go/channels.go")
        try write("// Checks C.\nint main(void) { return 0; }\n", to: root + "/go/stray.c")
        try write("// Checks Go in a C folder.\npackage main\nfunc main() {}\n", to: root + "/glibc/misplaced.go")
        try write("// Checks C.\n// conformance-libcs: musl glibc\nint main(void) { return 0; }\n", to: root + "/musl/plain.c")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["musl/plain", "glibc/plain", "go/channels"])
        XCTAssertEqual(catalog.fixtures(for: .go).map(\.language), [.go])
        XCTAssertEqual(catalog.rejected, [])
        XCTAssertEqual(try FixtureCatalog.discover(in: root, filter: "go/").fixtures.map(\.id), ["go/channels"])
    }

    func testRejectsDirectivesGoCannotHonour() throws {
        let root = try makeScratchDirectory(self)
        try write("// Checks libcs.\n// conformance-libcs: musl glibc\npackage main\n", to: root + "/go/libcs.go")
        try write("// Checks ldflags.\n// conformance-ldflags: -lz\npackage main\n", to: root + "/go/ldflags.go")
        try write("// Checks static-pie.\n// conformance-link: static-pie\npackage main\n", to: root + "/go/pie.go")
        try write("// Checks a good one.\n// conformance-cflags: -ldflags=-s\npackage main\n", to: root + "/go/good.go")
        let catalog = try FixtureCatalog.discover(in: root)
        XCTAssertEqual(catalog.fixtures.map(\.id), ["go/good"])
        XCTAssertEqual(catalog.rejected.map(\.id), ["go/ldflags", "go/libcs", "go/pie"])
        let keys = catalog.rejected.map { rejected -> String in
            guard case let .malformedDirective(_, _, key, _) = rejected.error else { return "\(rejected.error)" }
            return key
        }
        XCTAssertEqual(keys, ["ldflags", "libcs", "link"])
    }

    func testGoBuildCommandAndEnvironment() async throws {
        let builder = FixtureBuilder(buildRoot: "/pkg/.build/fixtures",
                                     environment: ["PATH": "/usr/bin", "HOME": "/root", "GOFLAGS": "-mod=vendor"])
        let plain = Fixture(libc: .go, name: "x", sourcePath: "/src/x.go", spec: FixtureSpec(summary: "s"))
        let command = try await builder.command(for: plain, output: "/pkg/.build/fixtures/go/x")
        XCTAssertEqual(command, ["go", "build", "-o", "/pkg/.build/fixtures/go/x", "/src/x.go"])
        let flagged = Fixture(libc: .go, name: "x", sourcePath: "/src/x.go",
                              spec: FixtureSpec(summary: "s", compilerFlags: ["-ldflags=-s", "-trimpath"]))
        let withFlags = try await builder.command(for: flagged, output: "/pkg/.build/fixtures/go/x")
        XCTAssertEqual(withFlags, ["go", "build", "-ldflags=-s", "-trimpath", "-o", "/pkg/.build/fixtures/go/x", "/src/x.go"])
        XCTAssertEqual(builder.binaryPath(for: plain), "/pkg/.build/fixtures/go/x")

        let environment = builder.compilerEnvironment(for: plain)
        XCTAssertEqual(environment["CGO_ENABLED"], "0")
        XCTAssertEqual(environment["GOCACHE"], "/pkg/.build/go-cache", "beside the binaries, not among them")
        XCTAssertEqual(environment["GOPATH"], "/pkg/.build/go-path")
        XCTAssertEqual(environment["GOTOOLCHAIN"], "local")
        XCTAssertEqual(environment["GOPROXY"], "off")
        XCTAssertEqual(environment["GOENV"], "off")
        XCTAssertEqual(environment["GOFLAGS"], "", "the caller's GOFLAGS do not leak into fixture builds")
        XCTAssertEqual(environment["PATH"], "/usr/bin")
        let c = Fixture(libc: .glibc, name: "x", sourcePath: "/src/x.c", spec: FixtureSpec(summary: "s"))
        XCTAssertEqual(builder.compilerEnvironment(for: c), builder.environment, "C builds keep the plain environment")
    }

    func testMissingGoToolchainNamesThePackage() async throws {
        let root = try makeScratchDirectory(self)
        try write("// Checks a missing toolchain.\npackage main\nfunc main() {}\n", to: root + "/src/x.go")
        let builder = FixtureBuilder(buildRoot: root + "/out", environment: ["PATH": root + "/empty"])
        let fixture = Fixture(libc: .go, name: "x", sourcePath: root + "/src/x.go", spec: FixtureSpec(summary: "s"))
        do {
            _ = try await builder.build(fixture)
            XCTFail("built without a Go toolchain")
        } catch let .compilerNotFound(compiler, package) {
            XCTAssertEqual(compiler, "go")
            XCTAssertEqual(package, "golang-go")
            let message = BuildError.compilerNotFound(compiler: compiler, package: package).description
            XCTAssertTrue(message.contains("apt-get install -y golang-go"), message)
        }
    }

    func testGoFixtureBuildsAndPassesNatively() async throws {
        guard FixtureBuilder(buildRoot: "/").findExecutable("go") != nil else {
            throw XCTSkip("go is not installed (apt-get install -y golang-go)")
        }
        let root = try makeScratchDirectory(self)
        try write("""
            // Checks that Go fixtures build and run: prints argv[1], $NAME and a goroutine's result.
            // conformance-args: world
            // conformance-env: NAME=value
            package main

            import (
            \t"fmt"
            \t"os"
            )

            func main() {
            \tdone := make(chan int)
            \tgo func() { done <- 42 }()
            \tfmt.Println("hello", os.Args[1], os.Getenv("NAME"), <-done)
            }
            """, to: root + "/Fixtures/go/hello.go")
        let report = try await ConformanceSuite(configuration: SuiteConfiguration(packageRoot: root)).run(guest: nil)
        XCTAssertEqual(report.results.map(\.id), ["go/hello"])
        for result in report.results where result.verdict.outcome != .pass {
            XCTFail("\(result.id): \(result.verdict.summary ?? "")")
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: root + "/.build/fixtures/go/hello"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.build/go-cache"),
                      "the Go build cache lives in the build folder, beside the fixture binaries")
    }
}
