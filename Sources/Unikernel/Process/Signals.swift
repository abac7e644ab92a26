import UnikernelABI

/// A user-mode register context: what a signal frame saves and rt_sigreturn
/// restores, taken from a user frame (syscall, exception or interrupt entry).
struct UserContext {
    var r8, r9, r10, r11, r12, r13, r14, r15: UInt64
    var rdi, rsi, rbp, rbx, rdx, rax, rcx: UInt64
    var rsp, rip, rflags: UInt64

    init(frame f: SyscallFrame) {
        r8 = f.r8; r9 = f.r9; r10 = f.r10; r11 = f.r11; r12 = f.r12; r13 = f.r13; r14 = f.r14; r15 = f.r15
        rdi = f.rdi; rsi = f.rsi; rbp = f.rbp; rbx = f.rbx; rdx = f.rdx; rax = f.rax; rcx = f.rcx
        rip = f.rip; rsp = f.rsp; rflags = f.rflags
    }

    func apply(to f: inout SyscallFrame) {
        f.r8 = r8; f.r9 = r9; f.r10 = r10; f.r11 = r11; f.r12 = r12; f.r13 = r13; f.r14 = r14; f.r15 = r15
        f.rdi = rdi; f.rsi = rsi; f.rbp = rbp; f.rbx = rbx; f.rdx = rdx; f.rax = rax; f.rcx = rcx
        f.rip = rip; f.rsp = rsp; f.rflags = rflags
    }

    /// The sigcontext's first 18 words, in Linux's order.
    var sigcontextWords: [UInt64] {
        [r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags]
    }

    mutating func load(sigcontextWords w: [UInt64]) {
        r8 = w[0]; r9 = w[1]; r10 = w[2]; r11 = w[3]; r12 = w[4]; r13 = w[5]; r14 = w[6]; r15 = w[7]
        rdi = w[8]; rsi = w[9]; rbp = w[10]; rbx = w[11]; rdx = w[12]; rax = w[13]; rcx = w[14]
        rsp = w[15]; rip = w[16]
        // Only the flags a program may change; IF stays set.
        rflags = (w[17] & Signals.userFlags) | 0x202
    }
}

/// What a handler's siginfo_t says.
struct SignalInfo {
    var signal: Int
    var code: Int32
    /// si_addr for faults; 0 otherwise.
    var address: UInt64 = 0
    /// Whether it was sent (not a fault): then `words` are siginfo's words 2 and 3.
    var fromProcess = false
    /// Words 2 and 3 of siginfo for a sent signal: si_pid | si_uid << 32 (kill, tgkill), then
    /// si_status (SIGCHLD) or si_value (sigqueue); a timer's si_timerid | si_overrun << 32 and
    /// si_value.
    var words: (UInt64, UInt64) = (0, 0)
}

/// What a SIGCHLD reports: the child that changed state (si_pid, si_uid, si_status).
struct ChildSignalInfo {
    var pid: Int32
    var uid: UInt32
    var status: Int32
    var code: Int32
}

/// One rt_sigaction entry (the kernel's struct sigaction: handler, flags, restorer, mask).
struct SignalAction {
    var handler: UInt64 = 0
    var flags: UInt64 = 0
    var restorer: UInt64 = 0
    var mask: UInt64 = 0
}

/// The process's signal dispositions and its pending set (kill): shared by every thread.
struct SignalState {
    var actions = [SignalAction](repeating: SignalAction(), count: 65)
    /// Pending on the process (kill): taken by whichever thread does not block it.
    var sharedPending: UInt64 = 0
    /// The pending SIGCHLD's child, when the host named one.
    var childInfo: ChildSignalInfo?
    /// si_code of each signal pending on the process.
    var codes = [Int32](repeating: 0, count: 65)
    /// siginfo words 2 and 3 of each signal pending on the process (at 2n and 2n + 1).
    var infoWords = [UInt64](repeating: 0, count: 130)
}

/// One thread's signal mask, pending set (tkill, tgkill, faults) and alternate stack.
struct ThreadSignals {
    var blocked: UInt64 = 0
    var pending: UInt64 = 0
    /// si_code of each signal pending on the thread.
    var codes = [Int32](repeating: 0, count: 65)
    /// siginfo words 2 and 3 of each signal pending on the thread (at 2n and 2n + 1).
    var infoWords = [UInt64](repeating: 0, count: 130)
    var altStackBase: UInt64 = 0
    var altStackSize: UInt64 = 0
    /// The flags it was set with (0, SS_ONSTACK or SS_DISABLE), which signal frames record in
    /// uc_stack as Linux does.
    var altStackFlags = Signals.ssDisable
    var altStackDisabled: Bool { altStackFlags == Signals.ssDisable }
    /// The mask a call with a temporary one replaced (rt_sigsuspend, epoll_pwait): restored
    /// when the call returns, or, after EINTR, saved in the handler's frame and restored by
    /// its return (Linux's saved_sigmask with TIF_RESTORE_SIGMASK).
    var savedMask: UInt64?
    /// rt_sigtimedwait's set: these signals end the wait though the mask blocks them.
    var waitingFor: UInt64 = 0
}

/// Linux signal semantics for a multi-threaded process: process-wide
/// dispositions and pending set, per-thread masks, pending sets and alternate
/// stacks, delivery on a Linux-layout rt_sigframe (on the way back to the
/// application, at once for faults), rt_sigreturn, and default actions (a
/// terminating signal ends the whole program with status 128 + signal).
enum Signals {
    static let sigDefault: UInt64 = 0
    static let sigIgnore: UInt64 = 1
    static let saSiginfo: UInt64 = 4
    static let saOnStack: UInt64 = 0x0800_0000
    static let saRestorer: UInt64 = 0x0400_0000
    static let saNoDefer: UInt64 = 0x4000_0000
    static let saResetHand: UInt64 = 0x8000_0000
    static let ssOnStack: UInt64 = 1
    static let ssDisable: UInt64 = 2
    static let minimumSignalStack: UInt64 = 2048
    /// Flags a program may set in RFLAGS (CF PF AF ZF SF TF DF OF AC).
    static let userFlags: UInt64 = 0x40DD5
    static let frameSize: UInt64 = 8 + 304 + 128
    static let siginfoOffset: UInt64 = 8 + 304
    static let sigreturnNumber: UInt64 = 15
    static let codeUser: Int32 = 0
    static let codeThreadKill: Int32 = -6

    static func bit(_ signal: Int) -> UInt64 { SignalSelection.bit(signal) }
    /// SIGKILL and SIGSTOP can be neither caught nor blocked.
    static let unblockable = bit(9) | bit(19)

    /// Whether a signal's default action is to do nothing (SIGCHLD, SIGCONT, SIGURG, SIGWINCH).
    static func defaultIgnores(_ signal: Int) -> Bool {
        switch signal {
        case 17, 18, 23, 28: return true
        default: return false
        }
    }

    static let sigcont = 18
    /// The job-control stop signals, whose default action stops the process: SIGSTOP,
    /// SIGTSTP, SIGTTIN, SIGTTOU.
    static let stopSignals = bit(19) | bit(20) | bit(21) | bit(22)

    /// As Linux's prepare_signal: a stop signal discards a pending SIGCONT, and SIGCONT
    /// discards every pending stop signal, on the process and on each of its threads, when
    /// they are sent (whatever their disposition).
    private static func discardPending(cancelledBy signal: Int) {
        let cancelled: UInt64
        if signal == sigcont {
            cancelled = stopSignals
        } else if stopSignals & bit(signal) != 0 {
            cancelled = bit(sigcont)
        } else {
            return
        }
        currentProcess.signals.sharedPending &= ~cancelled
        for task in Scheduler.tasks { task.signals.pending &= ~cancelled }
    }

    /// The signal Linux sends for a CPU exception at user level.
    static func signal(forVector vector: UInt64) -> Int? {
        switch vector {
        case 0, 16, 19: return 8       // SIGFPE
        case 1, 3: return 5            // SIGTRAP
        case 6: return 4               // SIGILL
        case 4, 5, 13, 14: return 11   // SIGSEGV
        case 10, 11, 12, 17: return 7  // SIGBUS
        default: return nil
        }
    }

    /// si_code for an exception (SEGV_MAPERR/ACCERR, ILL_ILLOPN, FPE_INTDIV, SI_KERNEL).
    /// As on Linux, a page fault is SEGV_ACCERR when the address lies in one of the program's
    /// mappings (a PROT_NONE page, a write to a read-only one) and SEGV_MAPERR when it lies in
    /// none; a fault on a kernel address is SEGV_MAPERR whatever the page's state (the kernel
    /// half is never part of the program's mappings).
    static func code(forVector vector: UInt64, errorCode: UInt64, address: UInt64) -> Int32 {
        switch vector {
        case 14:
            if address >= PageMapper.lowerHalfEnd { return 1 }
            return errorCode & 1 != 0 || currentProcess.addressSpace.regionIndex(containing: address) != nil ? 2 : 1
        case 6: return 2
        case 0: return 1
        default: return 0x80
        }
    }

    // MARK: Sending and delivering

    /// Queues `signal`: on `task` (tkill, tgkill) or, when nil, on the process (kill).
    /// It is acted on when the receiving thread next returns to the application; a
    /// thread blocked in an interruptible wait is woken for it. As on Linux, a signal
    /// pending on both the thread and the process is delivered twice. Readers and pollers of the
    /// process's signalfds check again (SignalDescriptor). Its siginfo says `code`
    /// and `words` (words 2 and 3), by default the sender: `sender` (pid | uid << 32, from
    /// another process) or, when that is nil or 0, the process itself. A signal already
    /// pending keeps one instance, with the newest siginfo.
    static func send(_ signal: Int, code: Int32, to task: Task? = nil, sender: UInt64? = nil,
                     words: (UInt64, UInt64)? = nil) {
        let info = words ?? (sender.flatMap { $0 == 0 ? nil : $0 } ?? ownSender, 0)
        discardPending(cancelledBy: signal)
        // As Linux's sig_ignored: an ignored signal (SIG_IGN, or a default action of ignoring)
        // that the target does not block is dropped at once, never pending.
        let action = currentProcess.signals.actions[signal]
        if signal != 9, action.handler == sigIgnore || (action.handler == sigDefault && defaultIgnores(signal)),
           let target = task ?? Scheduler.tasks.first,
           (target.signals.blocked | target.signals.waitingFor) & bit(signal) == 0 { return }
        if let task {
            task.signals.pending |= bit(signal)
            task.signals.codes[signal] = code
            (task.signals.infoWords[2 * signal], task.signals.infoWords[2 * signal + 1]) = info
            SignalDescriptor.signalPending()
            if accepts(task, signal) { notify(task) }
            return
        }
        currentProcess.signals.sharedPending |= bit(signal)
        currentProcess.signals.codes[signal] = code
        (currentProcess.signals.infoWords[2 * signal], currentProcess.signals.infoWords[2 * signal + 1]) = info
        SignalDescriptor.signalPending()
        // Wake one thread that takes it, the running one first (not an idle vCPU's idle task,
        // which takes host signals for the process but never runs its code).
        if !Scheduler.current.isIdle, accepts(Scheduler.current, signal) { return }
        for candidate in Scheduler.tasks where accepts(candidate, signal) {
            notify(candidate)
            return
        }
    }

    /// Makes `task` act on a signal soon: wakes it from an interruptible wait, or interrupts
    /// the vCPU it runs application code on.
    private static func notify(_ task: Task) {
        if task.state == .blocked {
            Scheduler.wake(task, reason: .interrupted)
        } else {
            Scheduler.interrupt(task)
        }
    }

    /// Whether `task` would act on `signal` now (not blocked, or waited for by sigtimedwait).
    private static func accepts(_ task: Task, _ signal: Int) -> Bool {
        SignalSelection.accepts(signal, blocked: task.signals.blocked, waitingFor: task.signals.waitingFor)
    }

    static let saRestart: UInt64 = 0x1000_0000

    /// Whether a call a signal interrupted (ERESTARTSYS) runs again: every signal `task` is
    /// about to act on is ignored, or caught by a handler with SA_RESTART (a terminating one
    /// ends the process anyway).
    static func restartsInterruptedCall(_ task: Task) -> Bool {
        let deliverable = (task.signals.pending | currentProcess.signals.sharedPending) & ~task.signals.blocked
        for signal in 1...64 where deliverable & bit(signal) != 0 {
            let action = currentProcess.signals.actions[signal]
            if action.handler != sigDefault, action.handler != sigIgnore, action.flags & saRestart == 0 { return false }
        }
        return true
    }

    /// Whether a signal is pending that `task` would act on (it ends interruptible waits).
    static func hasDeliverable(_ task: Task) -> Bool {
        (task.signals.pending | currentProcess.signals.sharedPending) & (~task.signals.blocked | task.signals.waitingFor) != 0
    }

    /// Runs `body` under the temporary mask at `address` (NULL: under the current one), as
    /// Linux's set_user_sigmask and restore_saved_sigmask_unless: `size` must be
    /// sizeof(sigset_t); the old mask comes back when `body` returns, except after EINTR,
    /// when the handler's frame saves it and delivery restores it (deliverPending).
    static func withTemporaryMask(_ address: UInt64, size: UInt64, _ body: () throws(Errno) -> Int) throws(Errno) -> Int {
        guard address != 0 else { return try body() }
        guard size == 8 else { throw .EINVAL }
        let mask = try UserMemory.load(UInt64.self, from: address)
        let task = Scheduler.current
        task.signals.savedMask = task.signals.blocked
        task.signals.blocked = mask & ~unblockable
        do throws(Errno) {
            let result = try body()
            restoreSavedMask(task)
            return result
        } catch {
            if error != .EINTR { restoreSavedMask(task) }
            throw error
        }
    }

    private static func restoreSavedMask(_ task: Task) {
        guard let saved = task.signals.savedMask else { return }
        task.signals.blocked = saved
        task.signals.savedMask = nil
    }

    /// Delivers every pending, unblocked signal of the running thread before it returns
    /// to the application (the user frame `frame`). A mask saved by a temporary one goes
    /// into the first handler's frame, or back in place when no handler runs.
    static func deliverPending(to frame: inout SyscallFrame) {
        let task = Scheduler.current
        while true {
            guard let info = dequeue(task, from: ~task.signals.blocked) else {
                restoreSavedMask(task)
                return
            }
            var context = UserContext(frame: frame)
            if deliver(info, to: &context, trapNumber: 0, errorCode: 0) {
                context.apply(to: &frame)
            }
        }
    }

    /// Whether a signal of `set` is pending on `task` or on the process.
    static func hasPending(in set: UInt64, for task: Task) -> Bool {
        (task.signals.pending | currentProcess.signals.sharedPending) & set != 0
    }

    /// Takes one pending signal of `set` for rt_sigtimedwait: the thread's first, then the process's.
    static func take(from set: UInt64) -> SignalInfo? {
        dequeue(Scheduler.current, from: set)
    }

    /// si_pid | si_uid << 32 of a signal the process sends itself.
    static var ownSender: UInt64 { UInt64(UInt32(currentProcess.pid)) | UInt64(currentProcess.bootInfo.uid) << 32 }

    /// Removes the signal of `set` that `task` acts on next (SignalSelection) from its pending
    /// set or the process's, with its siginfo: the code and words it was sent with, or, for a
    /// SIGCHLD the host reported, the child's (pid and uid, status; taken then).
    private static func dequeue(_ task: Task, from set: UInt64) -> SignalInfo? {
        guard let (signal, onThread) = SignalSelection.waited(set, threadPending: task.signals.pending,
                                                              sharedPending: currentProcess.signals.sharedPending) else { return nil }
        if onThread {
            task.signals.pending &= ~bit(signal)
            return SignalInfo(signal: signal, code: task.signals.codes[signal], fromProcess: true,
                              words: (task.signals.infoWords[2 * signal], task.signals.infoWords[2 * signal + 1]))
        }
        currentProcess.signals.sharedPending &= ~bit(signal)
        if signal == HostSignals.sigchld, let child = currentProcess.signals.childInfo {
            currentProcess.signals.childInfo = nil
            return SignalInfo(signal: signal, code: child.code, fromProcess: true,
                              words: (UInt64(UInt32(bitPattern: child.pid)) | UInt64(child.uid) << 32,
                                      UInt64(UInt32(bitPattern: child.status))))
        }
        return SignalInfo(signal: signal, code: currentProcess.signals.codes[signal], fromProcess: true,
                          words: (currentProcess.signals.infoWords[2 * signal], currentProcess.signals.infoWords[2 * signal + 1]))
    }

    /// Delivers a fault's signal to its handler; false when the default
    /// action applies (the caller reports the crash).
    static func deliverFault(_ info: SignalInfo, to context: inout UserContext, trapNumber: UInt64, errorCode: UInt64) -> Bool {
        let action = currentProcess.signals.actions[info.signal]
        guard Scheduler.current.signals.blocked & bit(info.signal) == 0,
              action.handler != sigDefault, action.handler != sigIgnore else { return false }
        return deliver(info, to: &context, trapNumber: trapNumber, errorCode: errorCode)
    }

    /// Runs the action for `info`: ignore, terminate, or set up the handler's
    /// frame in `context`. Returns true when `context` now enters a handler.
    private static func deliver(_ info: SignalInfo, to context: inout UserContext, trapNumber: UInt64, errorCode: UInt64) -> Bool {
        let signal = info.signal
        let action = currentProcess.signals.actions[signal]
        if action.handler == sigIgnore && signal != 9 { return false }
        if action.handler == sigDefault || signal == 9 || signal == 19 {
            if defaultIgnores(signal) { return false }
            if stopSignals & bit(signal) != 0 {
                // The whole process stops: the host stops the runner (every vCPU thread, and
                // the parent sees a stopped child); this returns once it is continued.
                _ = Hypercall.process(UK_PROC_STOP, Int64(signal))
                return false
            }
            Hypercall.exit(killedBy: signal)
        }
        guard setUpFrame(info, action, &context, trapNumber: trapNumber, errorCode: errorCode) else {
            // As Linux: a frame that cannot be written kills with SIGSEGV.
            Hypercall.exit(killedBy: 11)
        }
        let task = Scheduler.current
        // During the handler: the current mask (a temporary one, if any) plus the action's;
        // the frame holds the mask its return restores (setUpFrame).
        var blocked = task.signals.blocked | action.mask
        task.signals.savedMask = nil
        if action.flags & saNoDefer == 0 { blocked |= bit(signal) }
        task.signals.blocked = blocked & ~unblockable
        if action.flags & saResetHand != 0 { currentProcess.signals.actions[signal] = SignalAction() }
        return true
    }

    /// Whether `address` lies on the alternate signal stack.
    static func onAlternateStack(_ address: UInt64) -> Bool {
        let state = Scheduler.current.signals
        return !state.altStackDisabled && address > state.altStackBase && address <= state.altStackBase + state.altStackSize
    }

    /// Sets the running thread's alternate stack to a stack_t (sp, flags, size) for code running
    /// at `callerStack`, as Linux's do_sigaltstack: EPERM while that code runs on the current
    /// alternate stack, EINVAL for flags other than 0, SS_ONSTACK and SS_DISABLE, ENOMEM below
    /// the minimum size.
    static func setAlternateStack(_ stack: (UInt64, UInt64, UInt64), callerStack: UInt64) throws(Errno) {
        guard !onAlternateStack(callerStack) else { throw .EPERM }
        let task = Scheduler.current
        let flags = stack.1 & 0xFFFF_FFFF
        if flags == ssDisable {
            task.signals.altStackBase = 0
            task.signals.altStackSize = 0
        } else {
            guard flags == 0 || flags == ssOnStack else { throw .EINVAL }
            guard stack.2 >= minimumSignalStack else { throw .ENOMEM }
            task.signals.altStackBase = stack.0
            task.signals.altStackSize = stack.2
        }
        task.signals.altStackFlags = flags
    }

    /// Writes a Linux x86-64 rt_sigframe (pretcode, ucontext, siginfo, then the
    /// extended-state area, ExtendedState) below the red zone or on the alternate stack, and points
    /// `context` at the handler: rdi = signal, rsi = &siginfo, rdx = &ucontext.
    private static func setUpFrame(_ info: SignalInfo, _ action: SignalAction, _ context: inout UserContext,
                                   trapNumber: UInt64, errorCode: UInt64) -> Bool {
        let state = Scheduler.current.signals
        // The mask the handler's return restores: the one a temporary mask replaced, else the current one.
        let restoredMask = state.savedMask ?? state.blocked
        var top = context.rsp &- 128
        if action.flags & saOnStack != 0, !state.altStackDisabled, !onAlternateStack(context.rsp) {
            top = state.altStackBase + state.altStackSize
        }
        let fpState = (top &- ExtendedState.frameBytes) & ~63
        let frame = (((fpState &- frameSize) &+ 8) & ~15) &- 8

        var words = [UInt64](repeating: 0, count: Int(frameSize / 8))
        words[0] = action.flags & saRestorer != 0 ? action.restorer : 0
        // ucontext at +8: uc_flags, uc_link, uc_stack (sp, flags, size), then the sigcontext.
        // uc_flags as Linux sets them: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, and UC_FP_XSTATE
        // when the state area is an XSAVE image.
        words[1] = 0x6 | (ExtendedState.usesXSAVE ? 0x1 : 0)
        words[3] = state.altStackBase
        words[4] = state.altStackFlags  // as set, not where the interrupted code ran (Linux's __save_altstack)
        words[5] = state.altStackSize
        let sigcontext = 6
        for (index, value) in context.sigcontextWords.enumerated() { words[sigcontext + index] = value }
        words[sigcontext + 18] = 0x002B_0000_0000_0033  // cs 0x33, gs 0, fs 0, ss 0x2b (Linux's user selectors)
        words[sigcontext + 19] = errorCode
        words[sigcontext + 20] = trapNumber
        words[sigcontext + 21] = restoredMask   // oldmask
        words[sigcontext + 22] = info.address   // cr2
        words[sigcontext + 23] = fpState
        words[sigcontext + 32] = restoredMask   // uc_sigmask (after 8 reserved words)
        // siginfo at +312: si_signo, si_errno, si_code, then si_addr or (si_pid, si_uid).
        let siginfo = Int(siginfoOffset / 8)
        words[siginfo] = UInt64(UInt32(info.signal))
        words[siginfo + 1] = UInt64(UInt32(bitPattern: info.code))
        if info.fromProcess {
            (words[siginfo + 2], words[siginfo + 3]) = info.words
        } else {
            words[siginfo + 2] = info.address
        }

        let extended = ExtendedState.save()
        do throws(Errno) {
            try UserMemory.copyOut(from: extended, to: fpState, count: Int(ExtendedState.frameBytes))
            // SAFETY: a private buffer of exactly the frame's words, freed on every path.
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: words.count * 8, alignment: 8)
            defer { buffer.deallocate() }
            for (index, word) in words.enumerated() { buffer.storeBytes(of: word, toByteOffset: index * 8, as: UInt64.self) }
            try UserMemory.copyOut(from: buffer, to: frame, count: words.count * 8)
        } catch {
            return false
        }
        context.rsp = frame
        context.rip = action.handler
        context.rdi = UInt64(info.signal)
        context.rsi = frame + siginfoOffset
        context.rdx = frame + 8
        context.rax = 0
        context.rflags &= ~UInt64(0x500)  // DF and TF clear in the handler
        return true
    }

    /// rt_sigreturn: restores the context, mask and extended state saved in
    /// the frame whose ucontext sits at the caller's %rsp.
    static func sigreturn(_ frame: inout SyscallFrame) {
        let ucontext = frame.rsp
        let count = 38  // words up to and including uc_sigmask
        // SAFETY: a private buffer of `count` words, filled by copyIn before any load, freed on return.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * 8, alignment: 8)
        defer { buffer.deallocate() }
        do throws(Errno) {
            try UserMemory.copyIn(from: ucontext, to: buffer, count: count * 8)
            let words = (0..<count).map { buffer.load(fromByteOffset: $0 * 8, as: UInt64.self) }
            let sigcontext = Array(words[5..<23])
            var context = UserContext(frame: frame)
            context.load(sigcontextWords: sigcontext)
            let fpState = words[5 + 23]
            if fpState != 0 {
                try UserMemory.copyIn(from: fpState, to: ExtendedState.buffer, count: Int(ExtendedState.frameBytes))
                ExtendedState.restore()
            }
            Scheduler.current.signals.blocked = words[5 + 32] & ~unblockable
            // As Linux's restore_altstack: uc_stack (words 2-4, as the handler may have left it)
            // becomes the alternate stack again, seen from the restored %rsp; a refusal is ignored.
            try? setAlternateStack((words[2], words[3], words[4]), callerStack: context.rsp)
            context.apply(to: &frame)
        } catch {
            Hypercall.exit(killedBy: 11)
        }
    }
}
