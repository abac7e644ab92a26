/// What one side (native or guest) did with a fixture: how it ended, what it wrote,
/// and what it left in its working directory.
public struct Observation: Sendable, Equatable {
    public var outcome: ProcessOutcome
    public var files: FileTree

    public init(outcome: ProcessOutcome, files: FileTree = FileTree()) {
        self.outcome = outcome
        self.files = files
    }

    public init(status: ExitStatus, stdout: String = "", stderr: String = "", files: FileTree = FileTree(),
                timedOut: Bool = false, seconds: Double = 0) {
        self.init(outcome: ProcessOutcome(status: status, timedOut: timedOut, stdout: Array(stdout.utf8),
                                          stderr: Array(stderr.utf8), seconds: seconds),
                  files: files)
    }
}
