/// How a run ended, and what the runner reports for it.
public enum RunOutcome: Sendable {
    /// The application called exit/exit_group.
    case exited(status: Int32)
    /// A signal's default action ended the application.
    case killed(signal: Int32)
    /// The application died of a CPU exception (or executed `hlt`).
    case crashed(report: String, signal: Int32)
    /// `--timeout` expired; `detail` says what the guest was doing (TimeoutReport).
    case timedOut(seconds: Double, detail: String = "")
    /// The hypervisor received SIGINT or SIGTERM.
    case interrupted(signal: Int32)
    /// The kernel faulted (a bug in the kernel, not the program's crash); `report` is the
    /// whole paragraph, headline included.
    case kernelBug(report: String)
    /// The kernel panicked or the VM failed.
    case failed(message: String)

    /// The exit status the runner exits with, as a shell would report it.
    public var exitStatus: Int32 {
        switch self {
        case let .exited(status): return status & 0xFF
        case let .crashed(_, signal): return 128 + signal
        case let .killed(signal): return 128 + signal
        case .timedOut: return 124
        case let .interrupted(signal): return 128 + signal
        case .kernelBug: return KernelBugReport.exitStatus
        case .failed: return 125
        }
    }

    /// What the runner prints on stderr, if anything.
    public var message: String? {
        switch self {
        case .exited, .killed: return nil
        case let .crashed(report, _): return report
        case let .timedOut(seconds, detail): return "hypervisor: guest stopped after the \(seconds)-second timeout\(detail)"
        case let .interrupted(signal): return "hypervisor: guest stopped by signal \(signal) (its kernel never took the previous one)"
        case let .kernelBug(report): return report
        case let .failed(message): return "hypervisor: \(message)"
        }
    }
}
