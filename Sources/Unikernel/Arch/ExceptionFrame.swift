import UnikernelABI

/// The registers `exceptions.S` saves on an IST stack, lowest address first;
/// the field order mirrors the push order of `uk_exception_common` and the
/// CPU's interrupt frame above it.
struct ExceptionFrame {
    var r15, r14, r13, r12, rbp, rbx, r11, r10: UInt64
    var r9, r8, rax, rcx, rdx, rsi, rdi: UInt64
    var vector, errorCode: UInt64
    var rip, cs, rflags, rsp, ss: UInt64

    /// Vectors for which the CPU pushes an error code.
    var hasErrorCode: Bool {
        switch vector {
        case 8, 10, 11, 12, 13, 14, 17, 21, 29, 30: return true
        default: return false
        }
    }

    /// The crash report the host prints (UK_HC_CRASH); `faultAddress` is CR2
    /// when it was read earlier (at CPL3 the kernel cannot read it).
    func crashReport(faultAddress: UInt64? = nil) -> uk_hc_crash {
        var regs = uk_registers()
        regs.r15 = r15; regs.r14 = r14; regs.r13 = r13; regs.r12 = r12
        regs.rbp = rbp; regs.rbx = rbx; regs.r11 = r11; regs.r10 = r10
        regs.r9 = r9; regs.r8 = r8; regs.rax = rax; regs.rcx = rcx
        regs.rdx = rdx; regs.rsi = rsi; regs.rdi = rdi
        regs.rip = rip; regs.rsp = rsp; regs.rflags = rflags
        regs.cs = cs; regs.ss = ss
        regs.fs_base = Scheduler.current.fsBase
        regs.gs_base = Scheduler.current.gsBase
        regs.cr0 = CPU.boot.cr0; regs.cr2 = faultAddress ?? CPU.cr2; regs.cr3 = CPU.boot.cr3; regs.cr4 = CPU.boot.cr4
        var report = uk_hc_crash()
        report.vector = UInt32(truncatingIfNeeded: vector)
        report.has_error_code = hasErrorCode ? 1 : 0
        report.error_code = errorCode
        report.regs = regs
        return report
    }
}

/// What `uk_exception_common` recorded for an exception at CPL3
/// (exceptions.S, uk_fault_record); rip, rflags and rsp are where execution
/// resumes when the handler returns.
struct FaultRecord {
    var address, errorCode, rip, rflags, rsp, vector: UInt64
}

/// Called by `uk_user_fault_entry` (at CPL3 on kvm-pvm, at CPL0 on hardware
/// KVM) for an exception at CPL3 or the scheduler's tick in application code,
/// with the interrupted context in the user frame `rawFrame` (SyscallFrame
/// layout, on the running task's kernel stack; on the CPU's fault stack for a
/// fault of the kernel itself on kvm-pvm) and the CPU's fault record: serves a
/// page fault (demand paging) or the tick (another task may run before this
/// returns), or delivers the matching signal to an installed handler, and
/// returns to resume the frame; otherwise sends a crash report (or ends the
/// program as the signal's default action would) and never returns.
@_cdecl("uk_user_exception")
func userException(_ rawFrame: UnsafeMutableRawPointer, _ record: UnsafeMutableRawPointer) {
    // SAFETY: the trampoline passes the frame it built and the CPU's fault record; the
    // record is read once, here, before anything can run that would overwrite it.
    let fault = record.load(as: FaultRecord.self)
    let frame = rawFrame.assumingMemoryBound(to: SyscallFrame.self)
    // Where the kernel runs at CPL0, everything that reaches this path came from CPL3: the
    // application, even when it jumped into the kernel half.
    let inApplication = Platform.kernelPrivileged || fault.rip < PageMapper.lowerHalfEnd
    // A fault of the kernel itself (kvm-pvm) happens under the kernel lock it holds.
    if inApplication { KernelLock.enterFromApplication() }
    if fault.vector == UInt64(UK_TIMER_VECTOR) {
        Scheduler.tick()
        returnToApplication(frame)
        return
    }
    if fault.vector == 14,
       currentProcess.addressSpace.handlePageFault(at: fault.address, access: PageFaultAccess(errorCode: fault.errorCode)) {
        if inApplication { returnToApplication(frame) }
        return
    }
    if fault.vector == 6, let stub = SyscallPatcher.resumeMovedSyscall(at: fault.rip) {
        // A jump to the `syscall` a rewritten site overwrote: make the call through its stub.
        frame.pointee.rip = stub
        returnToApplication(frame)
        return
    }
    if fault.vector == 3, inApplication, let site = SyscallPatcher.resumePatchedSite(breakpointAfter: fault.rip) {
        // Another vCPU was rewriting this site (its first byte was int3 meanwhile): run the jump.
        frame.pointee.rip = site
        returnToApplication(frame)
        return
    }
    if inApplication, let signal = Signals.signal(forVector: fault.vector) {
        var context = UserContext(frame: frame.pointee)
        var info = SignalInfo(signal: signal, code: Signals.code(forVector: fault.vector, errorCode: fault.errorCode,
                                                           address: fault.address),
                              address: fault.vector == 14 ? fault.address : fault.rip)
        // A shared file mapping's page past the end of its file: SIGBUS (BUS_ADRERR), as on Linux.
        if fault.vector == 14, currentProcess.addressSpace.isPastSharedFileEnd(fault.address) {
            info = SignalInfo(signal: 7, code: 2, address: fault.address)
        }
        if Signals.deliverFault(info, to: &context, trapNumber: fault.vector, errorCode: fault.errorCode) {
            context.apply(to: &frame.pointee)
            KernelLock.leaveToApplication()
            return
        }
        // Not caught: the process dies of SIGBUS (status 135), as on Linux, not of the #PF's SIGSEGV.
        if info.signal == 7 { Hypercall.exit(killedBy: 7) }
    }
    let f = frame.pointee
    let crash = ExceptionFrame(r15: f.r15, r14: f.r14, r13: f.r13, r12: f.r12, rbp: f.rbp, rbx: f.rbx, r11: f.r11, r10: f.r10,
                               r9: f.r9, r8: f.r8, rax: f.rax, rcx: f.rcx, rdx: f.rdx, rsi: f.rsi, rdi: f.rdi,
                               vector: fault.vector, errorCode: fault.errorCode,
                               rip: fault.rip, cs: 0x23, rflags: fault.rflags, rsp: fault.rsp, ss: 0x1B)
    Hypercall.crash(crash.crashReport(faultAddress: fault.address))
}

/// On the way back to the application after an exception was served: a pending reschedule
/// and pending signals, as after a system call, then the kernel lock released.
private func returnToApplication(_ frame: UnsafeMutablePointer<SyscallFrame>) {
    Scheduler.preemptIfRequested()
    Signals.deliverPending(to: &frame.pointee)
    KernelLock.leaveToApplication()
}

/// Called by `uk_exception_common` for vectors 0-31. Returns only when the
/// fault was served (a page fault in a reserved, not yet populated region:
/// demand paging); every other exception becomes a crash report to the host.
@_cdecl("uk_exception_dispatch")
func exceptionDispatch(_ frame: UnsafeMutableRawPointer) {
    // SAFETY: the stub passes a pointer to the frame it just pushed on its
    // IST stack (layout: ExceptionFrame); it stays valid until we return.
    let saved = frame.load(as: ExceptionFrame.self)
    if saved.vector == 14 {
        let access = PageFaultAccess(errorCode: saved.errorCode)
        if currentProcess.addressSpace.handlePageFault(at: CPU.cr2, access: access) {
            return
        }
    }
    Hypercall.crash(saved.crashReport())
}
