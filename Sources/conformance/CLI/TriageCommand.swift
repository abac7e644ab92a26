import ArgumentParser
import Conformance
import Foundation

extension ConformanceCommand {
    /// `conformance triage`: why does this program behave differently in the guest?
    struct Triage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one program natively under strace and in the guest with a syscall trace, and explain the difference.",
            discussion: """
                TARGET is a fixture id (musl/hello, built if needed) or the path of a static program. \
                Prints the first divergence between the two syscall traces (addresses, pids and timing \
                normalised; ENOSYS from a syscall the kernel's table refuses by design, such as rseq, is \
                listed apart rather than taken as the first divergence), the syscalls refused in the guest \
                (ENOSYS there, not natively), the stdout/stderr/exit-status/file differences and the guest's crash report. Exits 0 when the \
                guest matches native, 1 when it does not, 2 on a usage or setup error.
                """
        )

        @OptionGroup var options: SuiteOptions

        @OptionGroup var runner: GuestOptions

        @Option(help: "Seconds each side may run (a fixture's conformance-timeout overrides it).")
        var timeout: Double = 10

        @Option(name: .customLong("debug-fault"), help: "Pass --debug-fault NAME to the guest (repeatable).")
        var debugFaults: [String] = []

        @Option(name: .customLong("debug-refuse-syscall"), help: "Pass --debug-refuse-syscall NAME to the guest (repeatable).")
        var refusedSyscalls: [String] = []

        @Argument(help: "A fixture id (libc/name) or a program path.")
        var target: String

        @Argument(parsing: .postTerminator, help: "Arguments for the program after `--` (they replace a fixture's own).")
        var arguments: [String] = []

        func run() async throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
            let configuration = try options.suiteConfiguration()
            let guestOptions = debugFaults.flatMap { ["--debug-fault", $0] }
                + refusedSyscalls.flatMap { ["--debug-refuse-syscall", $0] }
            let refusedByDesign: [String: String]
            do {
                refusedByDesign = try Conformance.Triage.refusedByDesign(packageRoot: options.packageRoot())
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            let triage = Conformance.Triage(guest: GuestExecutor(
                hypervisorPath: runner.hypervisorPath,
                kernelPath: runner.kernelPath), refusedByDesign: refusedByDesign)
            let report: TriageReport
            do {
                let request = try await TriageRequest.resolve(
                    target, arguments: arguments.isEmpty ? nil : arguments, configuration: configuration,
                    timeoutSeconds: timeout, guestOptions: guestOptions)
                report = try await triage.run(request)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            print(report.renderText(), terminator: "")
            if report.verdict.outcome != .pass {
                throw ExitCode.failure
            }
        }
    }
}
