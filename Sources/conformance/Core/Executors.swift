import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One side of the comparison: runs a built fixture in a fresh, empty working directory
/// with the fixture's argv, environment and stdin, and records what it did.
public protocol FixtureExecutor: Sendable {
    /// `native` or `guest`, for messages.
    var name: String { get }
    /// Runs the binary at `binaryPath` (absolute) as `spec` declares.
    func run(binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) async throws(RunError) -> Observation
}

extension FixtureExecutor {
    /// Runs `request` built by `makeRequest` in a fresh temporary directory, then snapshots
    /// and removes the directory.
    func runInFreshDirectory(
        _ makeRequest: (_ directory: String) -> ProcessRequest
    ) async throws(RunError) -> Observation {
        let directory = try TemporaryDirectory(prefix: "conformance-\(name)")
        defer { directory.remove() }
        let outcome = try await ProcessRunner.run(makeRequest(directory.path))
        let files = try FileTree.snapshot(of: directory.path)
        return Observation(outcome: outcome, files: files)
    }
}

/// Runs fixtures directly on the host Linux kernel: the reference.
///
/// `argv[0]` is the binary's absolute path, the environment is exactly the fixture's,
/// and the working directory is a fresh temporary directory.
public struct NativeExecutor: FixtureExecutor {
    public var name: String { "native" }

    public init() {}

    public func run(binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) async throws(RunError) -> Observation {
        _ = coreDumpsDisabled
        return try await runInFreshDirectory { directory in
            ProcessRequest(executable: binaryPath, arguments: [binaryPath] + spec.arguments,
                           environment: spec.environment, stdin: spec.stdin,
                           workingDirectory: directory, timeoutSeconds: timeoutSeconds)
        }
    }
}

/// A fixture that dies by a signal natively must not leave a `core` file in its working
/// directory (the file comparison would see it), so this process and its children dump no core.
private let coreDumpsDisabled: Void = {
    var limit = rlimit(rlim_cur: 0, rlim_max: 0)
    getrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
    limit.rlim_cur = 0
    setrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
}()

/// Runs fixtures in the unikernel through the runner command:
/// `hypervisor --dir <dir> --timeout <s> [--kernel <image>] <binary> <args...>`.
///
/// The hypervisor process gets exactly the fixture's environment (the guest inherits it),
/// the fixture's stdin, and the fresh directory both as `--dir` and as its working directory.
/// The guest's `argv[0]` is the program path as given, the same absolute path as natively.
public struct GuestExecutor: FixtureExecutor {
    /// The `hypervisor` binary.
    public var hypervisorPath: String
    /// A kernel image to pass with `--kernel`; nil lets the hypervisor find its own.
    public var kernelPath: String?
    /// Seconds the hypervisor gets past its own `--timeout` before it is killed.
    public var killGraceSeconds: Double = 5

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

    /// The hypervisor's argv for one run.
    public func arguments(directory: String, binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) -> [String] {
        var arguments = [hypervisorPath, "--dir", directory, "--timeout", "\(Int(timeoutSeconds.rounded(.up)))"]
        if let kernelPath { arguments += ["--kernel", kernelPath] }
        return arguments + [binaryPath] + spec.arguments
    }

    public func run(binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) async throws(RunError) -> Observation {
        try await runInFreshDirectory { directory in
            ProcessRequest(executable: hypervisorPath,
                           arguments: arguments(directory: directory, binaryPath: binaryPath, spec: spec,
                                                timeoutSeconds: timeoutSeconds),
                           environment: spec.environment, stdin: spec.stdin,
                           workingDirectory: directory, timeoutSeconds: timeoutSeconds + killGraceSeconds)
        }
    }
}
