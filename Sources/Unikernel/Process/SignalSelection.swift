/// Which pending signal a thread acts on next, by Linux's rules (next_signal,
/// wants_signal), free of kernel state so that it is unit-tested on the host
/// (Tests/KernelLogicTests). Sets are Linux's sigset_t words: bit n - 1 is signal n.
enum SignalSelection {
    static func bit(_ signal: Int) -> UInt64 { 1 << UInt64(signal - 1) }

    /// The synchronous signals (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS), which Linux
    /// delivers before any other pending one.
    static let synchronous = bit(4) | bit(5) | bit(7) | bit(8) | bit(11) | bit(31)

    /// Linux's next_signal: the lowest-numbered signal of `pending` not in `blocked`, a
    /// synchronous one first.
    static func lowest(in pending: UInt64, blocked: UInt64) -> Int? {
        var ready = pending & ~blocked
        guard ready != 0 else { return nil }
        if ready & synchronous != 0 { ready &= synchronous }
        return ready.trailingZeroBitCount + 1
    }

    /// The signal a thread delivers next: one pending on the thread before one pending on the
    /// process (dequeue_signal); `onThread` says which set it comes from.
    static func next(threadPending: UInt64, sharedPending: UInt64, blocked: UInt64) -> (signal: Int, onThread: Bool)? {
        if let signal = lowest(in: threadPending, blocked: blocked) { return (signal, true) }
        if let signal = lowest(in: sharedPending, blocked: blocked) { return (signal, false) }
        return nil
    }

    /// Whether a thread with mask `blocked`, waiting in rt_sigtimedwait for `waitingFor`, acts
    /// on `signal` now (it ends the thread's interruptible wait).
    static func accepts(_ signal: Int, blocked: UInt64, waitingFor: UInt64) -> Bool {
        (~blocked | waitingFor) & bit(signal) != 0
    }

    /// The signal of `set` rt_sigtimedwait takes: the thread's first, then the process's.
    static func waited(_ set: UInt64, threadPending: UInt64, sharedPending: UInt64) -> (signal: Int, onThread: Bool)? {
        next(threadPending: threadPending & set, sharedPending: sharedPending & set, blocked: 0)
    }
}
