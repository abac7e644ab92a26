/// How a process ended, as `waitpid` reports it.
public enum ExitStatus: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The process called `exit`/`exit_group` with this status.
    case exited(Int32)
    /// The process was killed by this signal.
    case signaled(Int32)

    /// Decodes a `waitpid` status word (the `WIFEXITED`/`WTERMSIG` macros, which Swift cannot import).
    public init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        self = signal == 0 ? .exited((waitStatus >> 8) & 0xff) : .signaled(signal)
    }

    /// The status as a shell reports it: the exit code, or 128+n for a death by signal n.
    ///
    /// This is how native and guest runs are compared: the hypervisor turns a guest
    /// killed by a CPU exception into exit status 128+signal.
    public var shellStatus: Int32 {
        switch self {
        case let .exited(code): code
        case let .signaled(signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case let .exited(code): "exit \(code)"
        case let .signaled(signal): "signal \(signal) (\(128 + signal))"
        }
    }
}
