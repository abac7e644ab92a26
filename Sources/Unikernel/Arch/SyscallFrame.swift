import UnikernelABI

/// The registers `syscall.S` saves on the kernel stack for one system call,
/// lowest address first (the stub's push order); its last five words are the
/// interrupt frame the return path leaves through. The dispatcher reads the
/// number and arguments from it and writes the result into `rax`. Defined in
/// the ABI header because the host reads it too, for the call in progress.
typealias SyscallFrame = uk_syscall_frame

/// Called by `uk_syscall_entry` and `uk_syscall_stub_entry` on the running task's kernel
/// stack, where the frame is its user frame (Task.userFrame). The handler may block the
/// task; other tasks run meanwhile on their own stacks.
/// `viaStub` is 1 when the call came from a rewritten site (SyscallPatcher), 0 when it trapped.
@_cdecl("uk_syscall_dispatch")
func syscallDispatch(_ rawFrame: UnsafeMutableRawPointer, _ viaStub: UInt64) {
    // SAFETY: the stub passes the frame it pushed on the kernel stack (layout:
    // SyscallFrame); it is valid until we return and nothing else touches it.
    // Fields are read one by one, not as a copy of the whole frame: this is the hot path of
    // every syscall, and a 144-byte copy costs as much as the rest of the dispatch.
    let frame = rawFrame.bindMemory(to: SyscallFrame.self, capacity: 1)
    KernelLock.enterFromApplication()
    SyscallPatcher.noteEntry(viaStub: viaStub != 0)
    if viaStub == 0 { SyscallPatcher.noteTrap(frame.pointee) }
    let number = frame.pointee.rax
    if number == Signals.sigreturnNumber {
        // rt_sigreturn replaces the whole context, result register included.
        Signals.sigreturn(&frame.pointee)
    } else {
        let arguments = SyscallArguments(frame.pointee.rdi, frame.pointee.rsi, frame.pointee.rdx,
                                          frame.pointee.r10, frame.pointee.r8, frame.pointee.r9)
        // A fault from here to `end` is the kernel's, inside this call: the host names it.
        SyscallInProgress.begin(frame: rawFrame)
        let result = SyscallTable.dispatch(number: number, arguments: arguments)
        SyscallInProgress.end()
        if result == -Errno.ERESTARTSYS.rawValue, Signals.restartsInterruptedCall(Scheduler.current) {
            // The call runs again once the handler returns (or at once when none runs).
            frame.pointee.rip = SyscallPatcher.restartAddress(returningTo: frame.pointee.rip, viaStub: viaStub != 0)
            frame.pointee.rax = number
        } else {
            let visible = result == -Errno.ERESTARTSYS.rawValue ? -Errno.EINTR.rawValue : result
            // SAFETY: as above.
            frame.pointee.rax = UInt64(bitPattern: Int64(visible))
        }
    }
    Scheduler.preemptIfRequested()
    Signals.deliverPending(to: &frame.pointee)
    KernelLock.leaveToApplication()
}
