import Foundation

/// One test program of the suite: a source file, the libc it is built against, and what
/// its header declares.
public struct Fixture: Sendable, Equatable {
    /// The libc flavour, which is also the folder the source lives in.
    public var libc: Libc
    /// The source file name without its extension.
    public var name: String
    /// The absolute path of the source file.
    public var sourcePath: String
    /// What the header declares.
    public var spec: FixtureSpec

    /// The name used in reports, filters and the known-gaps list: `libc/name`.
    public var id: String { "\(libc.rawValue)/\(name)" }

    /// The source's language, from its extension (`.S`, `.c`, `.cpp`).
    public var language: SourceLanguage { SourceLanguage(path: sourcePath) }

    public init(libc: Libc, name: String, sourcePath: String, spec: FixtureSpec) {
        self.libc = libc
        self.name = name
        self.sourcePath = sourcePath
        self.spec = spec
    }
}

/// A fixture source that was found but could not be parsed; reported as a build failure.
public struct RejectedFixture: Sendable, Equatable {
    public var libc: Libc
    public var name: String
    public var error: FixtureError

    /// The name used in reports: `libc/name`.
    public var id: String { "\(libc.rawValue)/\(name)" }
}

/// Every fixture under a `Fixtures/` folder, found by file extension in each libc's folders.
public struct FixtureCatalog: Sendable {
    /// The fixtures that parsed, sorted by libc then name.
    public var fixtures: [Fixture]
    /// The sources whose header or name is invalid.
    public var rejected: [RejectedFixture]
    /// The shared libraries (`conformance-link: shared-library`): built for the fixtures that
    /// place them, never run, and not part of the report.
    public var libraries: [Fixture]

    public init(fixtures: [Fixture], rejected: [RejectedFixture] = [], libraries: [Fixture] = []) {
        self.fixtures = fixtures
        self.rejected = rejected
        self.libraries = libraries
    }

    /// Finds and parses every fixture under `root` (the `Fixtures` folder).
    ///
    /// A missing or empty libc folder simply contributes no fixtures.
    /// - Parameter filter: keeps only fixtures whose id contains this substring.
    public static func discover(in root: String, filter: String? = nil) throws(FixtureError) -> FixtureCatalog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unreadable(path: root, reason: "no such directory")
        }
        var catalog = FixtureCatalog(fixtures: [])
        for libc in Libc.allCases {
            for folder in libc.sourceFolders {
                let folderLibc = Libc(rawValue: folder) ?? libc
                let directory = (root as NSString).appendingPathComponent(folder)
                guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
                for entry in entries.sorted() {
                    guard let ext = libc.sourceExtensions.first(where: { entry.hasSuffix("." + $0) }) else { continue }
                    let name = String(entry.dropLast(ext.count + 1))
                    let id = "\(libc.rawValue)/\(name)"
                    if let filter, !filter.isEmpty, !id.contains(filter) { continue }
                    let path = (directory as NSString).appendingPathComponent(entry)
                    do throws(FixtureError) {
                        let fixture = try load(path: path, name: name, libc: libc)
                        try checkLanguageRules(fixture)
                        // A C source is built for the libcs its header lists, else for its folder's.
                        guard (fixture.spec.libcs ?? [folderLibc]).contains(libc) else { continue }
                        if fixture.spec.linkMode == .sharedLibrary {
                            catalog.libraries.append(fixture)
                            continue
                        }
                        if let other = catalog.fixtures.firstIndex(where: { $0.id == id }) {
                            let error = FixtureError.duplicate(id: id, paths: [catalog.fixtures[other].sourcePath, path])
                            catalog.fixtures.remove(at: other)
                            catalog.rejected.append(RejectedFixture(libc: libc, name: name, error: error))
                            continue
                        }
                        catalog.fixtures.append(fixture)
                    } catch {
                        // A broken source is reported once, for the libc of its folder.
                        if folderLibc == libc {
                            catalog.rejected.append(RejectedFixture(libc: libc, name: name, error: error))
                        }
                    }
                }
            }
        }
        catalog.fixtures.sort { ($0.libc, $0.name) < ($1.libc, $1.name) }
        return catalog
    }

    /// The fixtures of one libc.
    public func fixtures(for libc: Libc) -> [Fixture] {
        fixtures.filter { $0.libc == libc }
    }

    /// The directives a source's language cannot honour: C++ is glibc-only; a Go source names
    /// no libc, takes its build flags before the source (`conformance-cflags: -ldflags=-s`) and
    /// is linked by Go's own linker as a static executable.
    static func checkLanguageRules(_ fixture: Fixture) throws(FixtureError) {
        let path = fixture.sourcePath
        switch fixture.language {
        case .cplusplus:
            if let libcs = fixture.spec.libcs, libcs != [.glibc] {
                throw .malformedDirective(path: path, line: 0, key: "libcs",
                                          reason: "C++ sources are built with g++ for glibc only (musl-tools has no C++ library)")
            }
        case .go:
            if fixture.spec.libcs != nil {
                throw .malformedDirective(path: path, line: 0, key: "libcs",
                                          reason: "Go sources use no C library; the directive is for C sources")
            }
            if !fixture.spec.linkerFlags.isEmpty {
                throw .malformedDirective(path: path, line: 0, key: "ldflags",
                                          reason: "`go build` takes no flags after the source; use conformance-cflags: -ldflags=...")
            }
            if fixture.spec.linkMode != .static {
                throw .malformedDirective(path: path, line: 0, key: "link",
                                          reason: "Go fixtures are built as static executables (CGO_ENABLED=0) only")
            }
        case .assembly:
            if fixture.spec.linkMode == .sharedLibrary {
                throw .malformedDirective(path: path, line: 0, key: "link",
                                          reason: "shared libraries are built from C or C++ sources")
            }
        case .c:
            break
        }
    }

    private static func load(path: String, name: String, libc: Libc) throws(FixtureError) -> Fixture {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw .invalidName(path: path)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let spec = try FixtureSpec.parse(text, commentPrefix: libc.commentPrefix, path: path)
        return Fixture(libc: libc, name: name, sourcePath: path, spec: spec)
    }
}
