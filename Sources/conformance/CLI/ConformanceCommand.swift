import ArgumentParser
import Conformance
import Foundation

/// `conformance`: builds the fixtures, runs them natively and in the guest, and reports
/// per libc whether the guest behaves like Linux. The logic lives in the Conformance library.
@main
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Checks that fixtures behave the same in the unikernel as on native Linux.",
        subcommands: [Build.self, Run.self, List.self, Policy.self, Bench.self, Triage.self, Syscalls.self, Fuzz.self]
    )
}

/// Which runner and kernel image to use: `run`, `triage` and `bench` start guests.
struct GuestOptions: ParsableArguments {
    @Option(help: "The runner command (default: `hypervisor` next to this executable).")
    var hypervisor: String?

    @Option(help: "A kernel image passed to the hypervisor with --kernel (default: the hypervisor finds its own).")
    var kernel: String?

    @Option(help: "vCPUs each guest gets (the runner's --cpus; default: the runner's own default).")
    var cpus: Int?

    /// The runner's absolute path.
    var hypervisorPath: String { absolutePath(hypervisor ?? executableDirectory() + "/hypervisor") }

    /// The kernel image's absolute path, when one was given.
    var kernelPath: String? { kernel.map(absolutePath) }
}

/// Options every subcommand shares: where the package is and which fixtures to take.
struct SuiteOptions: ParsableArguments {
    @Option(help: "The package root (default: the nearest folder up from here with Package.swift and Fixtures/).")
    var root: String?

    @Option(help: "Only fixtures whose id (libc/name) contains this substring.")
    var filter: String?

    @Option(help: "How many fixtures to build or run at once (default: the number of cores).")
    var jobs: Int?

    @Option(help: "Only shard i of n (1-based, e.g. 2/4): a deterministic round-robin slice of the sorted fixtures.")
    var shard: String?

    @Option(help: "Leave out the fixtures whose ids this file lists (one per line, # comments), e.g. those an interrupted run already passed.")
    var skipList: String?

    @Flag(help: "Rebuild fixtures even if their binaries are up to date.")
    var rebuild = false

    @Flag(help: "Use the fixture binaries already in .build/fixtures and never start a compiler (a missing one is a build failure).")
    var prebuilt = false

    /// The suite configuration these options describe.
    func suiteConfiguration() throws -> SuiteConfiguration {
        let packageRoot = try packageRoot()
        var configuration = SuiteConfiguration(packageRoot: packageRoot)
        configuration.filter = filter
        if let jobs {
            guard jobs > 0 else { throw ValidationError("--jobs must be at least 1") }
            configuration.jobs = jobs
        }
        guard !(prebuilt && rebuild) else { throw ValidationError("--prebuilt and --rebuild exclude each other") }
        configuration.forceRebuild = rebuild
        configuration.prebuiltOnly = prebuilt
        if let shard {
            guard let parsed = Shard(parsing: shard) else { throw ValidationError("--shard must be i/n with 1 <= i <= n") }
            configuration.shard = parsed
        }
        if let skipList {
            guard let text = try? String(contentsOfFile: absolutePath(skipList), encoding: .utf8) else {
                throw ValidationError("--skip-list \(skipList): cannot read the file")
            }
            configuration.skipped = FixtureCatalog.skipList(parsing: text)
        }
        return configuration
    }

    /// The package root: `--root`, or the one found from here.
    func packageRoot() throws -> String {
        try root.map(absolutePath) ?? findPackageRoot()
    }
}

/// The nearest folder holding `Package.swift` and `marker` (a folder inside the package), searched
/// upward from the working directory, then from this executable's folder (`.build/release`).
func findPackageRoot(containing marker: String = "Fixtures") throws -> String {
    for start in [FileManager.default.currentDirectoryPath, executableDirectory()] {
        var folder = URL(fileURLWithPath: start)
        while true {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
               FileManager.default.fileExists(atPath: folder.appendingPathComponent(marker).path) {
                return folder.path
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
    }
    throw ValidationError("cannot find the package root (a folder with Package.swift and \(marker)/); pass --root")
}

/// The folder this executable lives in (`.build/release` after `swift build -c release`).
func executableDirectory() -> String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    return (absolutePath(executable) as NSString).deletingLastPathComponent
}

/// `path` made absolute against the working directory.
func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

/// Prints to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

extension ReportFormat: ExpressibleByArgument {}

extension ConformanceCommand {
    /// `conformance build`: compiles every fixture into `.build/fixtures/<libc>/<name>`.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compile every fixture.")

        @OptionGroup var options: SuiteOptions

        @Flag(help: "Print every fixture, not only failures.")
        var verbose = false

        func run() async throws {
            let suite = ConformanceSuite(configuration: try options.suiteConfiguration())
            let results: [BuildResult]
            do {
                results = try await suite.build()
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            var failed = 0
            for result in results {
                switch result.result {
                case let .success(path):
                    if verbose { print("built  \(result.id) -> \(path)") }
                case let .failure(error):
                    failed += 1
                    printError("FAILED \(result.id): \(error)")
                }
            }
            for libc in Libc.allCases where !results.contains(where: { $0.id.hasPrefix(libc.rawValue + "/") }) {
                print("\(libc.rawValue): no fixtures")
            }
            print("built \(results.count - failed) of \(results.count) fixtures into \(suite.configuration.buildRoot)")
            if failed > 0 { throw ExitCode.failure }
        }
    }

    /// `conformance run`: builds as needed, runs natively and in the guest, reports.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build as needed, run every fixture natively and in the guest, compare and report.",
            discussion: "Exits 0 when every fixture passes or is a known gap, 1 when anything fails, 2 on a usage or setup error."
        )

        @OptionGroup var options: SuiteOptions

        @OptionGroup var guestOptions: GuestOptions

        @Option(help: "Seconds each run may take (a fixture's conformance-timeout overrides it).")
        var timeout: Double = 10

        @Option(help: "Report format: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: ReportFormat = .text

        @Flag(help: "Only check that fixtures pass natively; do not start the guest.")
        var nativeOnly = false

        @Flag(help: "List every fixture's result and every mismatch.")
        var verbose = false

        func run() async throws {
            var configuration = try options.suiteConfiguration()
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
            configuration.timeoutSeconds = timeout
            let suite = ConformanceSuite(configuration: configuration)
            var guest = nativeOnly ? nil : GuestExecutor(
                hypervisorPath: guestOptions.hypervisorPath,
                kernelPath: guestOptions.kernelPath
            )
            guest?.cpus = guestOptions.cpus
            let packageRoot = try options.packageRoot()
            let traceDirectory = packageRoot + "/" + SyscallCoverage.traceDirectory
            if guest != nil {
                try? FileManager.default.createDirectory(atPath: traceDirectory, withIntermediateDirectories: true)
                guest?.traceDirectory = traceDirectory
            }
            let report: Report
            do {
                let total = try suite.catalog()
                let progress = ProgressLine(total: total.fixtures.count)
                report = try await suite.run(guest: guest, progress: progress.finished)
                progress.end()
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            var entries: [String] = []
            if guest != nil {
                let runs = recordSyscallCoverage(report, traceDirectory: traceDirectory, packageRoot: packageRoot)
                entries = SyscallCoverage.trapShareSummary(runs)
            }
            print(format.render(report, verbose: verbose), terminator: "")
            if format == .text, !entries.isEmpty {
                // Per fixture: trappedSyscalls / totalSyscalls in the coverage file.
                print("syscalls that trapped in the guest (on kvm-pvm an exit each, and a site is rewritten after its "
                      + "16th trap; on hardware KVM a trap enters the kernel without an exit and nothing is rewritten; "
                      + "per fixture in \(SyscallCoverage.relativePath)):")
                for line in entries { print("  " + line) }
            }
            if !report.succeeded { throw ExitCode.failure }
        }
    }

    /// `conformance policy`: the rules the stack-layout fixtures are judged by.
    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the initial-stack policy: what each auxv key must be in the guest, and the layout rules.")

        func run() throws {
            print(AuxvPolicy.render(), terminator: "")
        }
    }

    /// `conformance list`: the fixtures, what each checks and what it declares.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the fixtures and what each checks.")

        @OptionGroup var options: SuiteOptions

        func run() async throws {
            let suite = ConformanceSuite(configuration: try options.suiteConfiguration())
            let catalog: FixtureCatalog
            do {
                catalog = try suite.catalog()
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            for libc in Libc.allCases {
                let fixtures = catalog.fixtures(for: libc)
                let rejected = catalog.rejected.filter { $0.libc == libc }
                print("\(libc.rawValue): " + (fixtures.isEmpty && rejected.isEmpty ? "no fixtures" : "\(fixtures.count) fixtures"))
                for fixture in fixtures {
                    print("  \(fixture.id): \(fixture.spec.summary)")
                }
                for bad in rejected {
                    print("  \(bad.id): INVALID: \(bad.error)")
                }
            }
            if !catalog.rejected.isEmpty { throw ExitCode.failure }
        }
    }
}
