/// What one guest run of the system-call fuzzer reported and how it ended, and whether that is a
/// finding: a kernel fault, a runner failure (exit 125, the runner killed by a signal), a hang
/// past `--timeout`, or any other end than the fuzzer's own clean exit.
public struct FuzzRunOutcome: Sendable, Equatable {
    /// Calls the fuzzer says it made (0 when it printed no summary).
    public var calls: Int
    /// Syscall numbers it reached (including rt_sigreturn and the call that ended the run).
    public var syscalls: Set<Int>
    /// Argument classes it generated (`ptr-guard`, `len-ssize-max`, ...).
    public var argumentClasses: Set<String>
    /// Nil for a clean run; otherwise what went wrong.
    public var finding: FuzzFindingKind?
    /// The guest's `call`/`result` trace lines (only when asked for with TRACE_FROM or in a replay).
    public var tracedCalls: [TracedCall]

    /// Reads a run from the fuzzer's report (stdout), the runner's stderr and its exit status.
    public init(stdout: String, stderr: String, status: ExitStatus, timedOut: Bool) {
        var calls = 0
        var syscalls = Set<Int>()
        var classes = Set<String>()
        var summary = false
        var traced: [TracedCall] = []
        for line in stdout.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let head = words.first else { continue }
            switch head {
            case "fuzz-summary":
                summary = true
                for word in words.dropFirst() where word.hasPrefix("calls=") { calls = Int(word.dropFirst(6)) ?? 0 }
            case "fuzz-syscalls": syscalls.formUnion(words.dropFirst().compactMap { Int($0) })
            case "fuzz-classes": classes.formUnion(words.dropFirst())
            case "fuzz-ending": if words.count > 1, let number = Int(words[1]) { syscalls.insert(number) }
            case "call":
                let fields = words.dropFirst().map { FuzzRunOutcome.number($0) }
                if fields.count == 8, let index = fields[0], let number = fields[1], fields.allSatisfy({ $0 != nil }) {
                    traced.append(TracedCall(index: Int(index), number: Int(number), arguments: fields[2...].map { $0! }))
                }
            case "result":
                if words.count == 3, let last = traced.indices.last, Int(words[1]) == traced[last].index {
                    traced[last].result = Int(words[2])
                }
            default: continue
            }
        }
        self.calls = calls
        self.syscalls = syscalls
        self.argumentClasses = classes
        self.tracedCalls = traced
        self.finding = FuzzFindingKind(status: status, timedOut: timedOut, stderr: stderr, finishedCleanly: summary)
    }

    /// Parses a decimal or 0x-prefixed hexadecimal unsigned 64-bit number (negative decimals wrap).
    static func number(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
        if let value = Int64(text) { return UInt64(bitPattern: value) }
        return UInt64(text)
    }
}

/// One call the guest printed before making it, and its result when it returned.
public struct TracedCall: Sendable, Equatable {
    public var index: Int
    public var number: Int
    public var arguments: [UInt64]
    public var result: Int?

    public init(index: Int, number: Int, arguments: [UInt64], result: Int? = nil) {
        self.index = index
        self.number = number
        self.arguments = arguments
        self.result = result
    }

    /// The line the fuzzer's `--replay` mode reads: "nr a0 a1 a2 a3 a4 a5", arguments in hex.
    public var replayLine: String {
        ([String(number)] + arguments.map { "0x" + String($0, radix: 16) }).joined(separator: " ")
    }
}

/// Why a fuzzer run is a finding.
public enum FuzzFindingKind: Sendable, Equatable, CustomStringConvertible {
    /// The kernel faulted (the runner's crash report says "kernel bug", or the faulting rip is in the kernel image).
    case kernelFault
    /// The runner failed: exit 125 (a kernel panic, a triple fault, a KVM error).
    case runnerFailure
    /// The runner process itself died of a signal (a host crash).
    case hostCrash(signal: Int32)
    /// The guest ran past `--timeout` (exit 124) or the driver had to kill it.
    case hang
    /// The fuzzer program crashed or exited without its summary (status as a shell reports it).
    case programDied(status: Int32)

    /// Classifies a run; nil when the fuzzer finished and exited 0.
    init?(status: ExitStatus, timedOut: Bool, stderr: String, finishedCleanly: Bool) {
        if timedOut || status == .exited(124) { self = .hang; return }
        if case let .signaled(signal) = status { self = .hostCrash(signal: signal); return }
        if stderr.contains("kernel bug") || FuzzFindingKind.faultsInKernel(stderr) { self = .kernelFault; return }
        if status == .exited(125) { self = .runnerFailure; return }
        if status == .exited(0) && finishedCleanly { return nil }
        self = .programDied(status: status.shellStatus)
    }

    /// Whether a crash report names a faulting rip in the kernel window (0xffffffff80000000 and up).
    static func faultsInKernel(_ stderr: String) -> Bool {
        guard let range = stderr.range(of: "at rip 0x") else { return false }
        let digits = stderr[range.upperBound...].prefix { $0.isHexDigit }
        guard let rip = UInt64(digits, radix: 16) else { return false }
        return rip >= 0xffff_ffff_8000_0000
    }

    public var description: String {
        switch self {
        case .kernelFault: "kernel fault"
        case .runnerFailure: "runner failure (exit 125)"
        case let .hostCrash(signal): "runner killed by signal \(signal)"
        case .hang: "hang past --timeout"
        case let .programDied(status): "fuzzer program ended with status \(status)"
        }
    }
}
