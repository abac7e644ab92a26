import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs fixtures directly on the host Linux kernel: the reference.
///
/// `argv[0]` is the binary's absolute path, the environment is exactly the fixture's,
/// and the working directory is a fresh temporary directory holding only the placed programs.
public struct NativeExecutor: FixtureExecutor {
    public var name: String { "native" }

    public init() {}

    public func run(binaryPath: String, spec: FixtureSpec, programs: [PlacedProgram],
                    timeoutSeconds: Double) async throws(RunError) -> Observation {
        _ = coreDumpsDisabled
        return try await runInFreshDirectory(programs: programs) { directory in
            var request = ProcessRequest(executable: binaryPath, arguments: [binaryPath] + spec.arguments,
                                         environment: spec.environment, stdin: spec.stdin,
                                         workingDirectory: directory, timeoutSeconds: timeoutSeconds)
            request.stdinIsTerminal = spec.stdinIsTerminal
            return request
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
