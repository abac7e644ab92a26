/// What a guest that ran out of time was doing, for the timeout's one-line message: the call
/// the kernel was serving and the children not yet reaped, each with its host state. A hung
/// parent then names what it waits for ("wait4(...)", "children not reaped: 1234 sleeping"),
/// which tells a hang in the guest from one in a child's runner without a rerun.
enum TimeoutReport {
    /// " (…)" to append to the timeout message, or "" when there is nothing to say.
    static func detail(callInProgress: String?, children: [Int32]) -> String {
        var parts: [String] = []
        if let callInProgress { parts.append("the kernel was serving \(callInProgress)") }
        if !children.isEmpty {
            parts.append("children not reaped: " + children.sorted().map { "\($0) \(hostState(of: $0))" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
    }

    /// The host's word for process `pid`'s state, from the letter in /proc/PID/stat.
    static func hostState(of pid: Int32) -> String {
        guard let stat = HostTextFile.read("/proc/\(pid)/stat") else { return "gone" }
        return state(inStatLine: stat)
    }

    /// The state named by a /proc/PID/stat line: the letter after the command's closing
    /// parenthesis (the command itself may hold spaces and parentheses).
    static func state(inStatLine line: String) -> String {
        guard let close = line.lastIndex(of: ")") else { return "unknown" }
        let rest = line[line.index(after: close)...].drop { $0 == " " }
        switch rest.first {
        case "R": return "running"
        case "S": return "sleeping"
        case "D": return "in an uninterruptible wait"
        case "Z": return "a zombie"
        case "T", "t": return "stopped"
        default: return "unknown"
        }
    }
}

extension Machine {
    /// `outcome`, a timeout given its detail (what the guest was doing when it ran out).
    func explained(_ outcome: RunOutcome) -> RunOutcome {
        guard case let .timedOut(seconds, _) = outcome else { return outcome }
        let children = callLock.withLock { Array(handler.processes.children) }
        return .timedOut(seconds: seconds, detail: TimeoutReport.detail(callInProgress: callInProgress, children: children))
    }
}
