import ArgumentParser
import Conformance
import Foundation

extension ConformanceCommand {
    /// `conformance fuzz`: the system-call fuzzer. Runs Tests/Fuzz/syscall_fuzzer.c in the guest only,
    /// prints calls made, calls per second, syscalls reached (of the table's implemented and partial
    /// rows), argument classes reached and findings, each reduced to a reproducer under .build/fuzz/.
    struct Fuzz: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fuzz the kernel's system calls with hostile arguments, inside the guest only.",
            discussion: """
                A finding is a kernel fault, a runner failure (exit 125 or a host crash), a hang past \
                --timeout, or the fuzzer program dying. Each is reduced (bisection of the call count, then \
                of the calls before it, replayed alone) and saved as .build/fuzz/finding-<seed>-<index>.txt. \
                Exit status 0 when there are no findings and the fuzzer made calls, 1 otherwise, 2 when it \
                could not run.
                """
        )

        @Option(help: "The package root (default: the nearest folder up from here with Package.swift and Fixtures/).")
        var root: String?

        @OptionGroup var guestOptions: GuestOptions

        @Option(help: "Seconds to fuzz.")
        var seconds: Double = 60

        @Option(help: "The session's seed (each guest run derives its own from it).")
        var seed: UInt64 = 1

        @Option(help: "Guests at once.")
        var jobs = 2

        @Option(help: "Calls per guest run.")
        var calls = 5_000

        @Option(help: "The runner's --timeout for each guest run, in seconds.")
        var timeout = 30

        func run() async throws {
            guard seconds > 0, jobs > 0, calls > 0, timeout > 0 else {
                throw ValidationError("--seconds, --jobs, --calls and --timeout must be positive")
            }
            let packageRoot = try root.map(absolutePath) ?? findPackageRoot()
            var configuration = SyscallFuzzer.Configuration(packageRoot: packageRoot, hypervisorPath: guestOptions.hypervisorPath)
            configuration.kernelPath = guestOptions.kernelPath
            configuration.seconds = seconds
            configuration.seed = seed
            configuration.jobs = jobs
            configuration.callsPerRun = calls
            configuration.timeoutSeconds = timeout
            let table: [SyscallTableEntry]
            let summary: SyscallFuzzer.Summary
            do {
                table = try SyscallTableParser.load(path: packageRoot + "/" + SyscallTableParser.relativePath)
                summary = try await SyscallFuzzer(configuration: configuration).run { printError("fuzz: " + $0) }
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            print(FuzzReport.text(summary, table: table, seed: seed), terminator: "")
            if !summary.findings.isEmpty || summary.calls == 0 { throw ExitCode(1) }
        }
    }
}
