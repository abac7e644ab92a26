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

/// One `struct signalfd_siginfo` (128 bytes) as a signalfd read returns it, built from a queued
/// signal's siginfo the way Linux's signalfd_copyinfo does: which fields are filled depends on
/// the siginfo's layout (Linux's siginfo_layout, from the signal and its si_code). Free of
/// kernel state so that it is unit-tested on the host (Tests/KernelLogicTests).
struct SignalDescriptorRecord {
    static let size = 128

    /// The parts of a siginfo that Linux's siginfo_layout tells apart.
    enum Layout: Equatable {
        /// si_pid, si_uid: kill (SI_USER), the kernel (SI_KERNEL), signals without a layout of their own.
        case kill
        /// si_tid (the timer's id), si_overrun, si_value: POSIX timers (SI_TIMER).
        case timer
        /// si_band, si_fd: SIGPOLL's kernel codes, SI_SIGIO.
        case poll
        /// si_addr: the kernel's fault codes of SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP.
        case fault
        /// si_pid, si_uid, si_status, si_utime, si_stime: SIGCHLD's kernel codes (CLD_*).
        case child
        /// si_pid, si_uid, si_value: sigqueue (SI_QUEUE), tkill (SI_TKILL), other negative codes.
        case queued
        /// si_call_addr, si_syscall, si_arch: SIGSYS's SYS_SECCOMP and SYS_USER_DISPATCH.
        case system
    }

    static let siUser: Int32 = 0, siKernel: Int32 = 0x80, siTimer: Int32 = -2, siSigio: Int32 = -5

    /// Linux's siginfo_layout: a code between SI_USER and SI_KERNEL is the kernel's own, with a
    /// layout by signal when the code is one of that signal's (otherwise SIGPOLL's, up to
    /// NSIGPOLL); SI_TIMER and SI_SIGIO have theirs; other negative codes are queued ones.
    static func layout(signal: Int, code: Int32) -> Layout {
        if code > siUser && code < siKernel {
            // The largest kernel code of each signal with a layout of its own (NSIGILL ... NSIGSYS).
            switch signal {
            case 4: return code <= 11 ? .fault : pollOrKill(code)   // SIGILL
            case 5: return code <= 6 ? .fault : pollOrKill(code)    // SIGTRAP
            case 7: return code <= 5 ? .fault : pollOrKill(code)    // SIGBUS
            case 8: return code <= 15 ? .fault : pollOrKill(code)   // SIGFPE
            case 11: return code <= 10 ? .fault : pollOrKill(code)  // SIGSEGV
            case 17: return code <= 6 ? .child : pollOrKill(code)   // SIGCHLD
            case 29: return code <= 6 ? .poll : .kill               // SIGPOLL
            case 31: return code <= 2 ? .system : pollOrKill(code)  // SIGSYS
            default: return pollOrKill(code)
            }
        }
        if code == siTimer { return .timer }
        if code == siSigio { return .poll }
        return code < 0 ? .queued : .kill
    }

    /// A kernel code of a signal without a layout for it: SIGPOLL's up to NSIGPOLL, else kill's.
    private static func pollOrKill(_ code: Int32) -> Layout { code <= 6 ? .poll : .kill }

    /// The record's bytes for a signal whose siginfo says `code`, `words` (siginfo's words 2
    /// and 3: bytes 16-31) and, for a fault, `address`. Times of a SIGCHLD are not kept (0).
    static func bytes(signal: Int, code: Int32, words: (UInt64, UInt64), address: UInt64 = 0) -> [UInt8] {
        var record = [UInt8](repeating: 0, count: size)
        func put32(_ value: UInt32, at offset: Int) {
            for index in 0..<4 { record[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(8 * index)) }
        }
        func put64(_ value: UInt64, at offset: Int) {
            for index in 0..<8 { record[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
        }
        let low = UInt32(truncatingIfNeeded: words.0), high = UInt32(truncatingIfNeeded: words.0 >> 32)
        let value = words.1
        put32(UInt32(signal), at: 0)                      // ssi_signo (ssi_errno at 4 stays 0)
        put32(UInt32(bitPattern: code), at: 8)            // ssi_code
        switch layout(signal: signal, code: code) {
        case .kill:
            put32(low, at: 12)                            // ssi_pid
            put32(high, at: 16)                           // ssi_uid
        case .timer:
            put32(low, at: 24)                            // ssi_tid: si_tid, the timer's id
            put32(high, at: 32)                           // ssi_overrun
            put64(value, at: 48)                          // ssi_ptr
            put32(UInt32(truncatingIfNeeded: value), at: 44)  // ssi_int
        case .poll:
            put32(UInt32(truncatingIfNeeded: words.0), at: 28)  // ssi_band (si_band, a long)
            put32(UInt32(truncatingIfNeeded: value), at: 20)    // ssi_fd
        case .fault:
            put64(address, at: 72)                        // ssi_addr
        case .child:
            put32(low, at: 12)                            // ssi_pid
            put32(high, at: 16)                           // ssi_uid
            put32(UInt32(truncatingIfNeeded: value), at: 40)  // ssi_status
        case .queued:
            put32(low, at: 12)                            // ssi_pid
            put32(high, at: 16)                           // ssi_uid
            put64(value, at: 48)                          // ssi_ptr
            put32(UInt32(truncatingIfNeeded: value), at: 44)  // ssi_int
        case .system:
            put64(words.0, at: 88)                        // ssi_call_addr
            put32(UInt32(truncatingIfNeeded: value), at: 84)  // ssi_syscall
            put32(UInt32(truncatingIfNeeded: value >> 32), at: 96)  // ssi_arch
        }
        return record
    }
}
