/// What went wrong in a failed fixture, in the order the comparison checks them.
public enum FailureCategory: String, Sendable, Codable, CaseIterable {
    /// The fixture could not be built (compiler error or invalid header).
    case build
    /// The guest run did not finish before the deadline.
    case timeout
    /// The guest died of a CPU exception the native run did not have, or the hypervisor died.
    case crash
    /// The kernel itself faulted (the runner's `hypervisor: kernel bug:` report, exit status
    /// 125): a bug in the unikernel whatever the program did.
    case kernelBug = "kernel-bug"
    /// Both finished, with different exit statuses.
    case exitStatus = "exit-status"
    /// stdout or stderr differ.
    case output
    /// The files left in the working directory differ.
    case files
    /// The initial stack (argv, envp, auxv, string area, alignment) differs from Linux's
    /// beyond what the auxv policy allows (`conformance-compare: stack-layout`).
    case stackLayout = "stack-layout"
    /// Stack alignment or the syscall ABI (preserved registers, red zone, vector state)
    /// differs: output mismatches of fixtures declaring `conformance-category: alignment`.
    case alignment

    /// The categories a fixture header may declare with `conformance-category:`.
    public static let declarable: [FailureCategory] = [.alignment, .stackLayout]
}

/// The result of one fixture, as counted in the report.
public enum Outcome: String, Sendable, Codable {
    /// Native matched the declared expectations and the guest matched native.
    case pass
    /// The guest did not match native (or the fixture did not build).
    case fail
    /// The fixture is broken: native Linux did not do what the header declares.
    case nativeFailure = "native-failure"
    /// The guest failed, and the known-gaps list says why.
    case knownGap = "known-gap"
    /// The fixture is on the known-gaps list but passes now: remove it from the list.
    case fixedGap = "fixed-gap"
}

/// The verdict on one fixture: its outcome, and for failures a category and a short diff.
public struct Verdict: Sendable, Equatable, Codable {
    public var outcome: Outcome
    /// For `fail` and `knownGap`: the first thing that went wrong.
    public var category: FailureCategory?
    /// One line saying what went wrong (the first differing line, lengths, statuses).
    public var summary: String?
    /// Every mismatch found, the summary's included.
    public var details: [String]
    /// For `knownGap` and `fixedGap`: the reason from the known-gaps list.
    public var gapReason: String?

    public init(outcome: Outcome, category: FailureCategory? = nil, summary: String? = nil,
                details: [String] = [], gapReason: String? = nil) {
        self.outcome = outcome
        self.category = category
        self.summary = summary
        self.details = details
        self.gapReason = gapReason
    }

    /// A passing verdict.
    public static let pass = Verdict(outcome: .pass)

    /// A failure whose first problem is `summary`.
    public static func fail(_ category: FailureCategory, _ summary: String, details: [String] = []) -> Verdict {
        Verdict(outcome: .fail, category: category, summary: summary, details: details.isEmpty ? [summary] : details)
    }

    /// A broken fixture: native Linux does not do what its header declares.
    public static func nativeFailure(_ summary: String) -> Verdict {
        Verdict(outcome: .nativeFailure, summary: summary, details: [summary])
    }

    /// Whether this verdict makes the run fail (known gaps do not; fixed gaps do, so the list stays true).
    public var failsRun: Bool {
        switch outcome {
        case .pass, .knownGap: false
        case .fail, .nativeFailure, .fixedGap: true
        }
    }
}
