import Foundation

/// Why the suite as a whole could not run (per-fixture problems become verdicts instead).
public enum SuiteError: Error, Equatable, Sendable, CustomStringConvertible {
    case fixtures(FixtureError)
    case knownGaps(KnownGapsError)
    case guest(RunError)

    public var description: String {
        switch self {
        case let .fixtures(error): error.description
        case let .knownGaps(error): error.description
        case let .guest(error): error.description
        }
    }
}

/// The outcome of building one fixture.
public struct BuildResult: Sendable {
    /// `libc/name`.
    public var id: String
    /// The binary's path, or why it could not be built.
    public var result: Result<String, BuildError>
}

/// The conformance suite: discovers fixtures, builds them, runs each natively and in the
/// guest, compares the two, applies the known-gaps list and produces a `Report`.
public struct ConformanceSuite: Sendable {
    public var configuration: SuiteConfiguration

    public init(configuration: SuiteConfiguration) {
        self.configuration = configuration
    }

    /// The fixtures selected by the filter, the shard and the skip list.
    public func catalog() throws(SuiteError) -> FixtureCatalog {
        do throws(FixtureError) {
            return try FixtureCatalog.discover(in: configuration.fixturesRoot, filter: configuration.filter)
                .sharded(configuration.shard)
                .excluding(configuration.skipped)
        } catch {
            throw .fixtures(error)
        }
    }

    /// Builds the fixtures that the selected ones place (`conformance-programs:`), first and once.
    func buildPlacedFixtures(for catalog: FixtureCatalog) async -> ProgramDependencies {
        await ProgramDependencies.build(for: catalog.fixtures, fixturesRoot: configuration.fixturesRoot,
                                        builder: configuration.fixtureBuilder, force: configuration.forceRebuild,
                                        jobs: configuration.jobs)
    }

    /// Builds every selected fixture (those up to date are skipped). The fixtures that others
    /// place are built first; a fixture whose placed program is missing or did not build fails.
    public func build() async throws(SuiteError) -> [BuildResult] {
        let catalog = try catalog()
        let builder = configuration.fixtureBuilder
        let force = configuration.forceRebuild
        let dependencies = await buildPlacedFixtures(for: catalog)
        var results = catalog.rejected.map { BuildResult(id: $0.id, result: .failure(.invalidFixture($0.error))) }
        results += await parallelMap(catalog.fixtures, jobs: configuration.jobs) { fixture in
            do throws(BuildError) {
                let binary = try await Self.build(fixture, builder: builder, force: force, dependencies: dependencies)
                return BuildResult(id: fixture.id, result: .success(binary))
            } catch {
                return BuildResult(id: fixture.id, result: .failure(error))
            }
        }
        return results.sorted { $0.id < $1.id }
    }

    /// Builds one fixture, or takes its result from `dependencies` when it was built there as
    /// a placed program, and checks that every program it places is available.
    static func build(_ fixture: Fixture, builder: FixtureBuilder, force: Bool,
                      dependencies: ProgramDependencies) async throws(BuildError) -> String {
        let binary: String
        if let built = dependencies.built[fixture.id] {
            binary = try built.get()
        } else {
            binary = try await builder.build(fixture, force: force)
        }
        _ = try dependencies.programs(for: fixture).get()
        _ = try dependencies.hostServer(for: fixture).get()
        return binary
    }

    /// Builds and runs every selected fixture.
    /// - Parameters:
    ///   - guest: the guest side; nil checks only that fixtures pass natively.
    ///   - progress: called as each fixture finishes, with its result (from any task).
    public func run(guest: GuestExecutor?,
                    progress: (@Sendable (FixtureResult) -> Void)? = nil) async throws(SuiteError) -> Report {
        if let guest {
            do throws(RunError) { try guest.validate() } catch { throw .guest(error) }
        }
        let catalog = try catalog()
        let platform = await guest?.platform()
        let gaps: KnownGaps
        do throws(KnownGapsError) {
            gaps = try KnownGaps.load(path: configuration.knownGapsPath,
                                      platform: platform.flatMap(KnownGaps.platformKey(of:)))
        } catch {
            throw .knownGaps(error)
        }
        var warnings: [String] = []
        if let everything = try? FixtureCatalog.discover(in: configuration.fixturesRoot) {
            let ids = Set(everything.fixtures.map(\.id) + everything.rejected.map(\.id))
            warnings = gaps.staleEntries(among: ids).map {
                "Fixtures/known-gaps.txt lists \($0), which is not a fixture"
            }
        }

        // A gap is the guest's: with no guest, a listed fixture that passes natively is sound, not "fixed".
        let applied = guest == nil ? KnownGaps(reasons: [:]) : gaps
        var results = catalog.rejected.map { rejected in
            FixtureResult(libc: rejected.libc, name: rejected.name,
                          verdict: applied.apply(to: .fail(.build, rejected.error.description), fixtureID: rejected.id))
        }
        let builder = configuration.fixtureBuilder
        let dependencies = await buildPlacedFixtures(for: catalog)
        let configuration = configuration
        results += await parallelMap(catalog.fixtures, jobs: configuration.jobs) { fixture in
            var result = await Self.run(fixture, builder: builder, guest: guest, configuration: configuration,
                                        dependencies: dependencies)
            result.verdict = applied.apply(to: result.verdict, fixtureID: fixture.id)
            progress?(result)
            return result
        }
        let judgesStacks = catalog.fixtures.contains { $0.spec.stdoutComparison == .stackLayout }
        var report = Report(mode: guest == nil ? .nativeOnly : .guest, results: results, warnings: warnings,
                            auxvPolicy: judgesStacks ? AuxvPolicy.entries : nil)
        report.platform = platform
        if let guest {
            // The image the runner uses: --kernel, else the one beside the hypervisor.
            let path = guest.kernelPath
                ?? (guest.hypervisorPath as NSString).deletingLastPathComponent + "/unikernel.elf"
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int {
                report.kernelImage = Report.KernelImage(path: path, bytes: size)
            }
        }
        return report
    }

    /// Builds, runs and judges one fixture (without the known-gaps list).
    static func run(_ fixture: Fixture, builder: FixtureBuilder, guest: GuestExecutor?,
                    configuration: SuiteConfiguration,
                    dependencies: ProgramDependencies = ProgramDependencies()) async -> FixtureResult {
        var result = FixtureResult(libc: fixture.libc, name: fixture.name, verdict: .pass)
        let binary: String
        let programs: [PlacedProgram]
        let server: ResolvedHostServer?
        do throws(BuildError) {
            binary = try await build(fixture, builder: builder, force: configuration.forceRebuild, dependencies: dependencies)
            programs = try dependencies.programs(for: fixture).get()
            server = try dependencies.hostServer(for: fixture).get()
        } catch {
            result.verdict = .fail(.build, error.description)
            return result
        }
        let timeout = fixture.spec.timeoutSeconds ?? configuration.timeoutSeconds

        let native: Observation
        do throws(RunError) {
            native = try await server.serving(fixture.spec) { (spec) async throws(RunError) -> Observation in
                try await NativeExecutor().run(binaryPath: binary, spec: spec, programs: programs, timeoutSeconds: timeout)
            }
        } catch {
            result.verdict = .nativeFailure("cannot run natively: \(error)")
            return result
        }
        result.nativeSeconds = native.outcome.seconds
        if let broken = Comparison.checkNative(native, spec: fixture.spec) {
            result.verdict = broken
            return result
        }
        guard let guest else { return result }

        let guestRun: Observation
        do throws(RunError) {
            guestRun = try await server.serving(fixture.spec) { (spec) async throws(RunError) -> Observation in
                try await guest.run(binaryPath: binary, spec: spec, programs: programs, timeoutSeconds: timeout)
            }
        } catch {
            result.verdict = .fail(.crash, "cannot run the guest: \(error)")
            return result
        }
        result.guestSeconds = guestRun.outcome.seconds
        result.verdict = Comparison.compare(native: native, guest: guestRun, timeoutSeconds: timeout,
                                            spec: fixture.spec)
        return result
    }
}

/// Maps `items` through `transform` with at most `jobs` running at once, keeping the order.
func parallelMap<Item: Sendable, Value: Sendable>(
    _ items: [Item], jobs: Int, _ transform: @escaping @Sendable (Item) async -> Value
) async -> [Value] {
    await withTaskGroup(of: (Int, Value).self) { group in
        var values = [Value?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<min(max(1, jobs), items.count) {
            let index = next
            group.addTask { (index, await transform(items[index])) }
            next += 1
        }
        while let (index, value) = await group.next() {
            values[index] = value
            if next < items.count {
                let index = next
                group.addTask { (index, await transform(items[index])) }
                next += 1
            }
        }
        return values.map { $0! }
    }
}
