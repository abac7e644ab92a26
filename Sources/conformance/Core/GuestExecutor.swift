import Foundation

/// Runs fixtures in the unikernel through the runner command:
/// `hypervisor --dir <dir> --timeout <s> [--kernel <image>] [--memory <size>] <binary> <args...>`.
///
/// The hypervisor process gets exactly the fixture's environment (the guest inherits it),
/// the fixture's stdin, and the fresh directory (holding only the placed programs of
/// `conformance-programs:`) both as `--dir` (the guest's root) and as its working directory.
/// The guest's `argv[0]` is the program path as given, the same absolute path as natively.
public struct GuestExecutor: FixtureExecutor {
    /// The `hypervisor` binary.
    public var hypervisorPath: String
    /// A kernel image to pass with `--kernel`; nil lets the hypervisor find its own.
    public var kernelPath: String?
    /// Seconds the hypervisor gets past its own `--timeout` before it is killed.
    public var killGraceSeconds: Double = 5
    /// A folder for syscall traces: each run gets `--trace-file <folder>/<libc>-<name>.trace`,
    /// named after the binary's `.build/fixtures/<libc>/<name>` path. Nil: no trace.
    public var traceDirectory: String?
    /// vCPUs per guest (the runner's --cpus); nil: the runner's default.
    public var cpus: Int?

    public var name: String { "guest" }

    public init(hypervisorPath: String, kernelPath: String? = nil) {
        self.hypervisorPath = hypervisorPath
        self.kernelPath = kernelPath
    }

    /// Checks that the hypervisor exists and is executable.
    public func validate() throws(RunError) {
        guard FileManager.default.isExecutableFile(atPath: hypervisorPath) else {
            throw .hypervisorMissing(path: hypervisorPath)
        }
    }

    /// The KVM platform the hypervisor runs on, from the `platform:` line of
    /// `hypervisor --version` (e.g. "kvm-pvm (nested)", "AMD SVM (nested, emulated
    /// by QEMU TCG)"); nil when it cannot say.
    public func platform() async -> String? {
        let request = ProcessRequest(executable: hypervisorPath, arguments: [hypervisorPath, "--version"],
                                     environment: [], workingDirectory: "/", timeoutSeconds: 10)
        guard let outcome = try? await ProcessRunner.run(request), outcome.status == .exited(0) else { return nil }
        let text = String(decoding: outcome.stdout, as: UTF8.self)
        let prefix = "platform: "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// The hypervisor's argv for one run.
    public func arguments(directory: String, binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) -> [String] {
        var arguments = [hypervisorPath, "--dir", directory, "--timeout", "\(Int(timeoutSeconds.rounded(.up)))"]
        if let kernelPath { arguments += ["--kernel", kernelPath] }
        if let cpus { arguments += ["--cpus", String(cpus)] }
        if let memory = spec.guestMemory { arguments += ["--memory", memory] }
        // A dynamic program's interpreter and libraries are the host's, as natively.
        if spec.linkMode == .dynamic { arguments.append("--system") }
        if let traceDirectory {
            let parts = binaryPath.split(separator: "/").suffix(2).map(String.init)
            arguments += ["--trace-file", SyscallCoverage.traceFile(in: traceDirectory, libc: parts.first ?? "",
                                                                    name: parts.last ?? "")]
        }
        return arguments + [binaryPath] + spec.arguments
    }

    public func run(binaryPath: String, spec: FixtureSpec, programs: [PlacedProgram],
                    timeoutSeconds: Double) async throws(RunError) -> Observation {
        try await runInFreshDirectory(programs: programs) { directory in
            var request = ProcessRequest(executable: hypervisorPath,
                                         arguments: arguments(directory: directory, binaryPath: binaryPath, spec: spec,
                                                              timeoutSeconds: timeoutSeconds),
                                         environment: spec.environment, stdin: spec.stdin,
                                         workingDirectory: directory, timeoutSeconds: timeoutSeconds + killGraceSeconds)
            request.stdinIsTerminal = spec.stdinIsTerminal
            return request
        }
    }
}
