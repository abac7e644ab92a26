import Foundation

/// Where the suite's files are and how to run it.
public struct SuiteConfiguration: Sendable {
    /// The `Fixtures` folder.
    public var fixturesRoot: String
    /// Where binaries go: `<package>/.build/fixtures`.
    public var buildRoot: String
    /// The known-gaps list: `Fixtures/known-gaps.txt`.
    public var knownGapsPath: String
    /// Keeps only fixtures whose id (`libc/name`) contains this substring.
    public var filter: String?
    /// Keeps only one deterministic slice of the (filtered) fixtures.
    public var shard: Shard?
    /// Leaves out the fixtures with these ids (`--skip-list`: those an interrupted run passed).
    public var skipped: Set<String> = []
    /// How many fixtures are built or run at once.
    public var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// The default per-run timeout in seconds (a header may override it).
    public var timeoutSeconds: Double = 10
    /// Rebuild every fixture even if its binary is up to date.
    public var forceRebuild = false
    /// Use the fixture binaries already under `buildRoot` and never compile (`--prebuilt`).
    public var prebuiltOnly = false

    /// The standard layout of a package checked out at `packageRoot`.
    public init(packageRoot: String) {
        fixturesRoot = packageRoot + "/Fixtures"
        buildRoot = packageRoot + "/.build/fixtures"
        knownGapsPath = packageRoot + "/Fixtures/known-gaps.txt"
    }

    /// The builder for this configuration's fixtures.
    public var fixtureBuilder: FixtureBuilder {
        var builder = FixtureBuilder(buildRoot: buildRoot)
        builder.prebuiltOnly = prebuiltOnly
        return builder
    }
}
