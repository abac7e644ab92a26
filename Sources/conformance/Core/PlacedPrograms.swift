import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program ready to be placed in a run's working directory: a host file (a built fixture
/// binary or a path such as `/bin/busybox`) and its path relative to the directory.
public struct PlacedProgram: Sendable, Equatable {
    /// The absolute host path the program is copied from.
    public var hostPath: String
    /// The path relative to the working directory (`bin/sh`).
    public var destination: String

    public init(hostPath: String, destination: String) {
        self.hostPath = hostPath
        self.destination = destination
    }

    /// Copies each program to its destination under `directory`, creating parent folders, with
    /// mode 0755.
    /// - Returns: the bytes placed at each destination, to recognise the copies a run left
    ///   unchanged (`FileTree.recordingPlacedPrograms`).
    static func place(_ programs: [PlacedProgram], in directory: String) throws(RunError) -> [String: [UInt8]] {
        var placed: [String: [UInt8]] = [:]
        for program in programs {
            let target = directory + "/" + program.destination
            guard let data = FileManager.default.contents(atPath: program.hostPath) else {
                throw .placementFailed(path: program.hostPath, reason: "cannot read it")
            }
            do {
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: target))
            } catch {
                throw .placementFailed(path: target, reason: error.localizedDescription)
            }
            guard chmod(target, 0o755) == 0 else {
                throw .placementFailed(path: target, reason: "chmod 0755: " + String(cString: strerror(errno)))
            }
            placed[program.destination] = [UInt8](data)
        }
        return placed
    }
}

extension FileTree {
    /// The tree with every placed program that is still a regular file with the bytes it was
    /// placed with recorded as `.placedProgram` (its bytes are not kept): an unchanged copy is
    /// the same on both sides whatever it holds, while a program the run deleted, replaced or
    /// modified is compared like any other entry.
    func recordingPlacedPrograms(_ placed: [String: [UInt8]]) -> FileTree {
        var tree = self
        for (path, bytes) in placed {
            if case let .file(contents)? = tree.entries[path], contents == bytes {
                tree.entries[path] = .placedProgram
            }
        }
        return tree
    }
}

/// The binaries of the fixtures that other fixtures place in their working directories
/// (`conformance-programs:` naming a fixture), built before the fixtures that place them.
///
/// A placed fixture is looked up in the whole catalog, not only among the selected fixtures:
/// `--filter execve_basic` still builds `exec_target`. Each placed fixture is built once, before
/// any fixture runs, and its build result is reused when it is itself selected, so no run copies
/// a binary while the compiler rewrites it.
public struct ProgramDependencies: Sendable {
    /// Every fixture and rejected source under the fixtures folder.
    public var catalog: FixtureCatalog
    /// The build outcome of each placed fixture, by id (`musl/exec_target`).
    public var built: [String: Result<String, BuildError>]

    public init(catalog: FixtureCatalog = FixtureCatalog(fixtures: []), built: [String: Result<String, BuildError>] = [:]) {
        self.catalog = catalog
        self.built = built
    }

    /// Host packages that provide host programs fixtures place, for the error when one is missing.
    static let hostPackages = ["/bin/busybox": "busybox-static", "/usr/bin/busybox": "busybox-static"]

    /// The ids of the fixtures that `fixture` places or runs as its host server.
    static func placedFixtureIDs(of fixture: Fixture) -> [String] {
        (fixture.spec.programs.map(\.source) + [fixture.spec.hostServer?.program].compactMap { $0 }).compactMap {
            if case let .fixture(name) = $0 { return "\(fixture.libc.rawValue)/\(name)" }
            return nil
        }
    }

    /// Builds every fixture that one of `selected` places (`force` rebuilds them).
    /// - Parameters:
    ///   - fixturesRoot: the `Fixtures` folder, searched whole for the placed fixtures.
    ///   - selected: the fixtures about to be built or run.
    public static func build(for selected: [Fixture], fixturesRoot: String, builder: FixtureBuilder,
                             force: Bool, jobs: Int) async -> ProgramDependencies {
        let wanted = Set(selected.flatMap(placedFixtureIDs))
        guard !wanted.isEmpty else { return ProgramDependencies() }
        let catalog = (try? FixtureCatalog.discover(in: fixturesRoot)) ?? FixtureCatalog(fixtures: selected)
        let placed = (catalog.fixtures + catalog.libraries).filter { wanted.contains($0.id) }
        let results = await parallelMap(placed, jobs: jobs) { fixture -> (String, Result<String, BuildError>) in
            do throws(BuildError) {
                return (fixture.id, .success(try await builder.build(fixture, force: force)))
            } catch {
                return (fixture.id, .failure(error))
            }
        }
        return ProgramDependencies(catalog: catalog, built: Dictionary(results, uniquingKeysWith: { first, _ in first }))
    }

    /// The programs `fixture` places, with their host paths; a build failure naming the program
    /// when a placed fixture does not exist or did not build, or a host file is missing.
    public func programs(for fixture: Fixture) -> Result<[PlacedProgram], BuildError> {
        var programs: [PlacedProgram] = []
        for placement in fixture.spec.programs {
            switch hostPath(of: placement.source, for: fixture) {
            case let .success(path):
                programs.append(PlacedProgram(hostPath: path, destination: placement.destination))
            case let .failure(missing):
                return .failure(.missingProgram(fixture: fixture.id, program: missing.program, reason: missing.reason))
            }
        }
        return .success(programs)
    }

    /// The fixture's host server (`conformance-host-server:`) with its program's host path, nil
    /// when it has none; a build failure naming the program when it is not there.
    public func hostServer(for fixture: Fixture) -> Result<ResolvedHostServer?, BuildError> {
        guard let server = fixture.spec.hostServer else { return .success(nil) }
        switch hostPath(of: server.program, for: fixture) {
        case let .success(path):
            return .success(ResolvedHostServer(executable: path, server: server))
        case let .failure(missing):
            return .failure(.missingServerProgram(fixture: fixture.id, program: missing.program, reason: missing.reason))
        }
    }

    /// Why a program is not there: the program (a fixture id or host path) and the reason.
    struct Missing: Error {
        var program: String
        var reason: String
    }

    /// The host file of a program `fixture` names: the built binary of a fixture of its libc, or
    /// an existing, readable host file.
    func hostPath(of source: ProgramPlacement.Source, for fixture: Fixture) -> Result<String, Missing> {
        switch source {
        case let .fixture(name):
            let id = "\(fixture.libc.rawValue)/\(name)"
            switch built[id] {
            case let .success(path)?:
                return .success(path)
            case let .failure(error)?:
                return .failure(Missing(program: id, reason: "it did not build: \(error)"))
            case nil:
                // A broken source is rejected only for its folder's libc.
                if let rejected = catalog.rejected.first(where: { $0.id == id })
                    ?? catalog.rejected.first(where: { $0.name == name }) {
                    return .failure(Missing(program: id, reason: "its source is invalid: \(rejected.error)"))
                }
                return .failure(Missing(program: id, reason: "there is no fixture \(id) (Fixtures/\(fixture.libc.rawValue)/\(name).*, "
                                        + "or a source listing \(fixture.libc.rawValue) in conformance-libcs:)"))
            }
        case let .hostPath(path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                let hint = Self.hostPackages[path].map { " (Debian package \($0): `apt-get install -y \($0)`)" } ?? ""
                return .failure(Missing(program: path, reason: "no such file on the host" + hint))
            }
            guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: path) else {
                return .failure(Missing(program: path, reason: isDirectory.boolValue ? "it is a directory" : "it is not readable"))
            }
            return .success(path)
        }
    }
}
