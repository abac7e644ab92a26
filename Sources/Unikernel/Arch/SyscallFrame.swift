/// The registers `syscall.S` saves on the kernel stack for one system call,
/// lowest address first (mirrors the stub's push order). The dispatcher
/// reads the number and arguments from it and writes the result into `rax`.
struct SyscallFrame {
    var r15, r14, r13, r12, rbp, rbx, r11, r10: UInt64
    var r9, r8, rax, rcx, rdx, rsi, rdi: UInt64
    var rip, rflags, rsp: UInt64
}

/// Called by `uk_syscall_entry` and `uk_syscall_stub_entry` on the kernel stack.
/// `viaStub` is 1 when the call came from a rewritten site (SyscallPatcher), 0 when it trapped.
@_cdecl("uk_syscall_dispatch")
func syscallDispatch(_ rawFrame: UnsafeMutableRawPointer, _ viaStub: UInt64) {
    // SAFETY: the stub passes the frame it pushed on the kernel stack (layout:
    // SyscallFrame); it is valid until we return and nothing else touches it.
    let frame = rawFrame.bindMemory(to: SyscallFrame.self, capacity: 1)
    let saved = frame.pointee
    if viaStub == 0 { SyscallPatcher.noteTrap(saved) }
    if saved.rax == Signals.sigreturnNumber {
        // rt_sigreturn replaces the whole context, result register included.
        Signals.sigreturn(&frame.pointee)
    } else {
        let arguments = SyscallArguments(saved.rdi, saved.rsi, saved.rdx, saved.r10, saved.r8, saved.r9)
        let result = SyscallTable.dispatch(number: saved.rax, arguments: arguments)
        // SAFETY: as above.
        frame.pointee.rax = UInt64(bitPattern: Int64(result))
    }
    Signals.deliverPending(to: &frame.pointee)
}
