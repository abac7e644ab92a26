import Foundation

/// One side of the comparison: runs a built fixture in a fresh, empty working directory
/// with the fixture's argv, environment and stdin, and records what it did.
public protocol FixtureExecutor: Sendable {
    /// `native` or `guest`, for messages.
    var name: String { get }
    /// Runs the binary at `binaryPath` (absolute) as `spec` declares, with `programs` placed in
    /// its working directory first (`conformance-programs:`, resolved to host files).
    func run(binaryPath: String, spec: FixtureSpec, programs: [PlacedProgram],
             timeoutSeconds: Double) async throws(RunError) -> Observation
}

extension FixtureExecutor {
    /// Runs the binary with nothing placed in its working directory.
    public func run(binaryPath: String, spec: FixtureSpec, timeoutSeconds: Double) async throws(RunError) -> Observation {
        try await run(binaryPath: binaryPath, spec: spec, programs: [], timeoutSeconds: timeoutSeconds)
    }

    /// Runs `request` built by `makeRequest` in a fresh temporary directory holding only
    /// `programs`, then snapshots and removes the directory. Placed programs the run left
    /// unchanged are recorded as such, not by their bytes.
    func runInFreshDirectory(
        programs: [PlacedProgram] = [],
        _ makeRequest: (_ directory: String) -> ProcessRequest
    ) async throws(RunError) -> Observation {
        let directory = try TemporaryDirectory(prefix: "conformance-\(name)")
        defer { directory.remove() }
        let placed = try PlacedProgram.place(programs, in: directory.path)
        let outcome = try await ProcessRunner.run(makeRequest(directory.path))
        let files = try FileTree.snapshot(of: directory.path).recordingPlacedPrograms(placed)
        return Observation(outcome: outcome, files: files)
    }
}
