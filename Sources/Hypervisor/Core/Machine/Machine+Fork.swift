import CLinux
import Glibc
import SystemPackage
import UnikernelABI

/// Processes: one guest process is one runner process. UK_PROC_FORK forks the host process;
/// the child keeps the parent's memory (copy-on-write, as the host kernel copies any
/// process's), its open host files and its hypervisor state, and builds a new VM over that
/// memory whose vCPU 0 starts in the kernel's child entry, where the forking thread resumes.
extension Machine {
    /// UK_PROC_FORK: the child's pid in the parent (or -errno); the child never returns.
    func fork(_ request: ProcessRequest) -> Int64 {
        let vforking = request.flags & UK_FORK_VFORK != 0
        // vfork: the parent waits until the child closes its end of this pipe (close-on-exec,
        // so an exec closes it as its exit does), taking in the pages the child wrote
        // (Machine+Vfork.swift).
        var gate: [Int32] = [-1, -1]
        if vforking, clinux_pipe_cloexec(&gate) != 0 { return -Int64(Glibc.errno) }
        // Parent and child share one private /tmp, /dev and /etc: it must exist before they
        // part (a failure to make it stays recorded in both and fails their uses of it alike).
        _ = try? configuration.privateDirectories?.materialize()
        // And one IPC namespace: made now if the guest has not needed it yet.
        SystemVIPC.isolateIfPending()
        // And one process tree (the guest's processes are those that hold its marker).
        GuestProcessTree.establish()
        fflush(nil)
        // SIGINT and SIGTERM stay blocked from here until the child's run loop forwards them to
        // its guest (ckvm_install_signal_handlers unblocks them): one sent to the child right
        // after the fork would otherwise reach the handler it inherited, which records it for
        // a run the child's reset then forgets, and the signal would be lost.
        var terminations = sigset_t()
        var previousMask = sigset_t()
        sigemptyset(&terminations)
        sigaddset(&terminations, SIGINT)
        sigaddset(&terminations, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &terminations, &previousMask)
        let pid = callLock.withLock { Glibc.fork() }
        if pid != 0 { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        if pid == 0 {
            // A vfork child's own gate is its parent's business, not its children's.
            if let inherited = vforkGate { Glibc.close(inherited); vforkGate = nil }
            vforkPendingPages = []
            vforkSharesMemory = vforking && request.flags & UK_FORK_SHARED_MEMORY != 0
            if vforking {
                Glibc.close(gate[0])
                vforkGate = gate[1]
                if vforkSharesMemory { startVforkTracking() }
            }
            runForkedChild(rip: UInt64(bitPattern: request.arguments[0]), rsp: UInt64(bitPattern: request.arguments[1]),
                           rdi: UInt64(bitPattern: request.arguments[2]))
        }
        if pid < 0 {
            let error = Glibc.errno
            if vforking { Glibc.close(gate[0]); Glibc.close(gate[1]) }
            return -Int64(error)
        }
        callLock.withLock { handler.processes.adopt(pid) }
        if vforking {
            // The child says so just before it execs; end of file without that: it exited, and
            // the parent resumes once it is a zombie (as Linux's vfork_done at exit).
            Glibc.close(gate[1])
            let execed = receiveVforkWrites(from: gate[0])
            Glibc.close(gate[0])
            if !execed {
                var change = clinux_child_change()
                while clinux_waitid(1 /* P_PID */, pid, WEXITED | WNOWAIT, &change) == -EINTR {}
            }
        }
        return Int64(pid)
    }

    /// In the forked child: a new VM over the inherited memory, vCPU 0 at the kernel's child
    /// entry, run to the end; the process then ends as the guest did. Never returns.
    private func runForkedChild(rip: UInt64, rsp: UInt64, rdi: UInt64) -> Never {
        ckvm_reset_after_fork()
        memory.resetLocksInForkedChild()
        let outcome: RunOutcome
        do {
            try rebuildVirtualMachine(rip: rip, rsp: rsp, rdi: rdi, pid: UInt64(getpid()))
            outcome = runChild()
        } catch {
            outcome = .failed(message: "cannot build the forked child's VM: \(error)")
        }
        // A vfork child's writes reach its parent, whatever ended it (exit, a signal, a crash).
        sendVforkWrites()
        Machine.endProcess(like: outcome, quiet: true)
    }

    /// Replaces the parent's VM and vCPUs (whose KVM objects belong to the parent) by new ones
    /// over the same guest memory, prepared as at boot but without rewriting any guest table.
    private func rebuildVirtualMachine(rip: UInt64, rsp: UInt64, rdi: UInt64, pid: UInt64) throws {
        let newVM = try system.createVirtualMachine()
        try newVM.setTSSAddress(0xFFFB_D000)
        try newVM.mapMemory(memory)
        try memory.shared.register(in: newVM)
        // vCPU 0 only, as at boot: the child's other vCPUs are made when its kernel starts them.
        let first = try newVM.createVirtualCPU(id: 0)
        try first.setCPUID(cpuid)
        vm = newVM
        noteParentChange()
        vcpus = VirtualCPUSet(first: first, count: vcpus.count)
        runState = RunState()
        isForkedChild = true
        try prepareCPU(first, index: 0, boot: bootCPU)
        var regs = kvm_regs()
        regs.rip = rip
        regs.rsp = rsp
        regs.rdi = rdi
        regs.rsi = pid
        regs.rflags = entryFlags
        try vcpu.setRegisters(regs)
    }

    /// The child's run: as `run()`, with SIGINT and SIGTERM the guest's (forwarded).
    private func runChild() -> RunOutcome {
        guard ckvm_install_signal_handlers(vcpu.run) == 0 else {
            return .failed(message: "cannot install signal handlers: \(Errno.current)")
        }
        _ = runState.entering(cpu: 0)
        if let timeout = configuration.timeout { _ = ckvm_arm_timeout(UInt64(max(1, timeout * 1000))) }
        let own = runLoop(VCPUContext(index: 0, vcpu: vcpu))
        let stopped = runState.stop(with: own)
        runState.joinOthers()
        let outcome = explained(stopped)
        _ = handler.flushPendingWrite()
        return outcome
    }

    /// Ends the runner process as `outcome` says: the guest's exit status, or death by the
    /// guest's signal (so that the parent's wait sees WIFSIGNALED). With `quiet` (a forked
    /// child) a crash is not reported on stderr: the stderr it shares must stay the program's,
    /// and its parent learns of the death through wait, as on Linux.
    public static func endProcess(like outcome: RunOutcome, quiet: Bool) -> Never {
        switch outcome {
        case let .killed(signal), let .interrupted(signal):
            fflush(nil)
            clinux_die_by_signal(signal)
        case let .crashed(report, signal):
            if !quiet { Machine.printError(report) }
            fflush(nil)
            clinux_die_by_signal(signal)
        default:
            if let message = outcome.message { Machine.printError(message) }
            fflush(nil)
            _exit(outcome.exitStatus)
        }
    }

    /// One line (or paragraph) on the runner's stderr.
    static func printError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Hands signals the runner received to the guest kernel (bit n-1 = signal n); false when
    /// the kernel has no word for them.
    /// The forwarded signals the guest's kernel has not taken yet (its word, bit n-1 = signal n).
    var guestPendingSignals: UInt64 {
        guard hostSignalsPhysical != 0, let word = try? memory.load(UInt64.self, at: hostSignalsPhysical) else { return 0 }
        return word
    }

    /// Bit n-1 of a signal mask: signal n.
    static func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal - 1) }

    func forwardToGuest(_ signals: UInt64) -> Bool {
        guard hostSignalsPhysical != 0,
              (try? memory.check(hostSignalsPhysical, length: 8)) != nil else { return false }
        // Senders first: the kernel reads one only after it saw the signal's bit.
        if hostSignalSendersPhysical != 0, (try? memory.check(hostSignalSendersPhysical, length: 64 * 8)) != nil {
            for signal in 1...64 where signals & (1 << UInt64(signal - 1)) != 0 {
                try? memory.store(ckvm_forwarded_sender(Int32(signal)), at: hostSignalSendersPhysical + UInt64(signal - 1) * 8)
            }
        }
        // SAFETY: an 8-byte-aligned word of the kernel image inside guest memory (checked above).
        let word = (memory.hostBase + Int(hostSignalsPhysical)).assumingMemoryBound(to: UInt64.self)
        ckvm_atomic_or64(word, signals)
        return true
    }
}
