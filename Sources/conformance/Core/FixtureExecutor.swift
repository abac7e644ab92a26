import Foundation

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
