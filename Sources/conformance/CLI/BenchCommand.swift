import ArgumentParser
import Conformance
import Foundation

extension ConformanceCommand {
    /// `conformance bench`: performance figures of the unikernel next to native Linux and the
    /// KVM floor, as a Markdown table on stdout and JSON in .build/bench/results.json.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmark the unikernel against native Linux and a minimal KVM launcher.",
            discussion: """
                Builds Fixtures/bench into .build/bench/bin, measures end-to-end start (with a \
                phase breakdown from UNIKERNEL_TIMINGS=1), syscall and clock_gettime latency, file \
                throughput, compute ratios (also with --no-huge-pages), first touch of 1 GiB, threads (OpenMP with 1 and 2 threads, futex ping-pong, \
                thread create + join, a Go program; the guest on 2 vCPUs), loopback TCP throughput and \
                request/response latency (a program and its forked child), processes (fork + exit + \
                wait, fork + execve + wait, a 3-stage pipeline's throughput), footprint and the \
                conformance suite's wall time, prints a Markdown table and writes the figures as JSON. \
                --only runs some sections: \(BenchSection.allCases.map(\.rawValue).joined(separator: ", ")).
                """
        )

        @Option(help: "The package root (default: the nearest folder up from here with Package.swift and Fixtures/).")
        var root: String?

        @OptionGroup var guestOptions: GuestOptions

        @Option(help: "Runs per end-to-end start figure (at least 30 for the reported spread).")
        var runs = 40

        @Option(help: "Runs per latency, file and compute figure.")
        var repeats = 3

        @Option(help: "Where to write the JSON results (default: <root>/.build/bench/results.json).")
        var json: String?

        @Flag(help: "Skip the conformance-suite wall-time figures.")
        var skipSuite = false

        @Option(help: ArgumentHelp("Measure only these sections (comma-separated or repeated; default: all).",
                                   valueName: BenchSection.allCases.map(\.rawValue).joined(separator: "|")))
        var only: [String] = []

        func run() throws {
            guard runs > 0, repeats > 0 else { throw ValidationError("--runs and --repeats must be positive") }
            let packageRoot = try root.map(absolutePath) ?? findPackageRoot(containing: "Fixtures/bench")
            let hypervisorPath = guestOptions.hypervisorPath
            guard FileManager.default.isExecutableFile(atPath: hypervisorPath) else {
                printError("error: no hypervisor at \(hypervisorPath): run `make` or pass --hypervisor")
                throw ExitCode(2)
            }
            var configuration = BenchConfiguration(packageRoot: packageRoot, hypervisorPath: hypervisorPath)
            configuration.kernelPath = guestOptions.kernelPath
            if let kernel = configuration.kernelPath { configuration.kernelImagePath = kernel }
            configuration.startRuns = runs
            configuration.repeats = repeats
            configuration.conformancePath = skipSuite ? nil : executableDirectory() + "/conformance"
            if !only.isEmpty {
                var sections: Set<BenchSection> = []
                for name in only.flatMap({ $0.split(separator: ",") }) {
                    guard let section = BenchSection(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("unknown section \(name) for --only; one of: \(BenchSection.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    sections.insert(section)
                }
                configuration.sections = sections
            }
            let started = Date()
            let harness = try BenchHarness(configuration: configuration) { printError("bench: " + $0) }
            try harness.build()
            let results = try harness.measure()
            let jsonPath = json.map(absolutePath) ?? configuration.buildRoot + "/results.json"
            try BenchReport.json(results).write(to: URL(fileURLWithPath: jsonPath))
            print(BenchReport.markdown(results), terminator: "")
            printError(String(format: "bench: done in %.0f s; JSON in %@", Date().timeIntervalSince(started), jsonPath))
        }
    }
}
