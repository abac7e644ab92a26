/// The registers `syscall.S` saves on the kernel stack for one system call,
/// lowest address first (mirrors the stub's push order); its last five words
/// are the interrupt frame the return path leaves through. The dispatcher
/// reads the number and arguments from it and writes the result into `rax`.
struct SyscallFrame {
    var r15, r14, r13, r12, rbp, rbx, r11, r10: UInt64
    var r9, r8, rax, rcx, rdx, rsi, rdi: UInt64
    var rip, cs, rflags, rsp, ss: UInt64
}

/// Called by `uk_syscall_entry` and `uk_syscall_stub_entry` on the kernel stack.
/// `viaStub` is 1 when the call came from a rewritten site (SyscallPatcher), 0 when it trapped.
@_cdecl("uk_syscall_dispatch")
func syscallDispatch(_ rawFrame: UnsafeMutableRawPointer, _ viaStub: UInt64) {
    // SAFETY: the stub passes the frame it pushed on the kernel stack (layout:
    // SyscallFrame); it is valid until we return and nothing else touches it.
    // Fields are read one by one, not as a copy of the whole frame: this is the hot path of
    // every syscall, and a 144-byte copy costs as much as the rest of the dispatch.
    let frame = rawFrame.bindMemory(to: SyscallFrame.self, capacity: 1)
    if viaStub == 0 { SyscallPatcher.noteTrap(frame.pointee) }
    let number = frame.pointee.rax
    let arguments = SyscallArguments(frame.pointee.rdi, frame.pointee.rsi, frame.pointee.rdx,
                                      frame.pointee.r10, frame.pointee.r8, frame.pointee.r9)
    // A fault from here to `end` is the kernel's, inside this call: the host names it.
    SyscallInProgress.begin(number: number, arguments: arguments)
    if number == Signals.sigreturnNumber {
        // rt_sigreturn replaces the whole context, result register included.
        Signals.sigreturn(&frame.pointee)
    } else {
        let result = SyscallTable.dispatch(number: number, arguments: arguments)
        // SAFETY: as above.
        frame.pointee.rax = UInt64(bitPattern: Int64(result))
    }
    SyscallInProgress.end()
    Signals.deliverPending(to: &frame.pointee)
}
