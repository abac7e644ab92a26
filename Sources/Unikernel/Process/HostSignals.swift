import UnikernelABI

/// Signals that reach the process from outside the VM. A guest process is a host process
/// (the runner): signals other processes send it (kill from a parent, SIGCHLD when one of
/// its children ends, SIGHUP, SIGUSR1...) arrive there, and the runner forwards them by
/// setting bit (n - 1) for signal n in `uk_host_signals` and interrupting a vCPU. The
/// kernel takes the word whenever it enters through the tick, before it blocks and in its
/// idle loop, and posts each signal to the process as `kill` would.
enum HostSignals {
    private static var word: UnsafeMutablePointer<UInt64> {
        // SAFETY: uk_host_signals is a .data word the host ORs into and only take() clears.
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_host_signals_address()))!
    }

    static let sigchld = 17

    /// Posts every signal the host forwarded since the last call.
    static func take() {
        guard uk_volatile_load(UnsafeMutableRawPointer(word)) != 0 else { return }
        let pending = uk_atomic_exchange(word, 0)
        // SAFETY: uk_host_signal_senders, 64 words of .data the host writes before a bit.
        let senders = UnsafeMutablePointer<UInt64>(bitPattern: UInt(uk_host_signal_senders_address()))!
        for signal in 1...64 where pending & (1 << UInt64(signal - 1)) != 0 {
            let sender = uk_volatile_load(UnsafeMutableRawPointer(senders + (signal - 1)))
            if signal == sigchld {
                ChildEvents.note()
                if let event = ChildStateChange(word: sender) {
                    // As Linux: a parent whose SIGCHLD action has SA_NOCLDSTOP gets no signal
                    // for a stop or continue. The siginfo is the event's, as the host saw it
                    // (the child may be reaped before this signal is delivered).
                    if event.isStopOrContinue, currentProcess.signals.actions[sigchld].flags & saNoChildStop != 0 { continue }
                    noteChild(event)
                    Signals.send(signal, code: event.code, sender: 0)
                    continue
                }
                noteChangedChild()
            }
            Signals.send(signal, code: Signals.codeUser, sender: sender & UK_CHILD_EVENT != 0 ? 0 : sender)
        }
    }

    static let saNoChildStop: UInt64 = 1

    /// A child's exit, death, stop or continue the host reported (its SIGCHLD's siginfo), which the
    /// pending SIGCHLD names unless it names a child already.
    private static func noteChild(_ event: ChildStateChange) {
        guard currentProcess.signals.childInfo == nil || currentProcess.signals.sharedPending & Signals.bit(sigchld) == 0 else { return }
        currentProcess.signals.childInfo = ChildSignalInfo(pid: event.pid, uid: currentProcess.bootInfo.uid,
                                                           status: event.status, code: event.code)
    }
}

/// What the host's SIGCHLD said about a child (the sender word UK_CHILD_EVENT | pid |
/// code << 32 | status << 40).
struct ChildStateChange {
    var pid: Int32
    var code: Int32
    var status: Int32

    static let trapped: Int32 = 4, stopped: Int32 = 5, continued: Int32 = 6

    init?(word: UInt64) {
        guard word & UK_CHILD_EVENT != 0 else { return nil }
        pid = Int32(truncatingIfNeeded: word & 0xFFFF_FFFF)
        code = Int32(truncatingIfNeeded: (word >> 32) & 0xFF)
        status = Int32(truncatingIfNeeded: (word >> 40) & 0xFF)
    }

    var isStopOrContinue: Bool { code == ChildStateChange.stopped || code == ChildStateChange.continued || code == ChildStateChange.trapped }
}

/// Children that changed state: wait4/waitid block here until the host reports SIGCHLD.
enum ChildEvents {
    /// Incremented at every SIGCHLD from the host: a waiter that saw the same count before
    /// asking the host and after may block without missing an event.
    private(set) static var generation: UInt64 = 0
    static let waiters = WaitQueue()

    static func note() {
        generation &+= 1
        waiters.wakeAll()
    }
}

extension HostSignals {
    /// Names the child a SIGCHLD reports (a child that ended and is not yet reaped, looked at
    /// without reaping it), unless a pending SIGCHLD already names one.
    static func noteChangedChild() {
        guard currentProcess.signals.childInfo == nil || currentProcess.signals.sharedPending & Signals.bit(sigchld) == 0 else { return }
        let found = try? ForkSyscalls.askHost(idtype: ForkSyscalls.pAll, id: 0, options: ForkSyscalls.wExited | ForkSyscalls.wNowait)
        currentProcess.signals.childInfo = (found ?? nil).map {
            ChildSignalInfo(pid: $0.pid, uid: $0.uid, status: $0.status, code: $0.code)
        }
    }
}

@_extern(c, "uk_host_signals_address") func uk_host_signals_address() -> UInt64
@_extern(c, "uk_host_signal_senders_address") func uk_host_signal_senders_address() -> UInt64
@_extern(c, "uk_atomic_exchange") func uk_atomic_exchange(_ word: UnsafeMutablePointer<UInt64>, _ value: UInt64) -> UInt64
