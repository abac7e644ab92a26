import UnikernelABI

/// The system call the kernel is serving, recorded where the host can read it
/// (`uk_syscall_in_progress` at UK_SYSCALL_IN_PROGRESS_PHYS): the address of the call's
/// frame, which holds its number and arguments. When the kernel faults inside a call, the
/// host reports a kernel bug naming that call and its arguments, and `--trace` prints it
/// though it never returned. One store at each end: this is every call's path.
enum SyscallInProgress {
    /// Records the call whose frame is at `frame` before its handler runs.
    @inline(__always)
    static func begin(frame: UnsafeMutableRawPointer) {
        record.pointee.frame = UInt64(UInt(bitPattern: frame))
    }

    /// Marks the call finished, before its result replaces the number in the frame.
    @inline(__always)
    static func end() {
        record.pointee.frame = 0
    }

    /// The caller's %rsp at its `syscall` (the frame's rsp), for the calls whose answer depends
    /// on where the caller runs, such as sigaltstack; 0 outside a call.
    static var userStackPointer: UInt64 {
        let frame = record.pointee.frame
        guard frame != 0 else { return 0 }
        // SAFETY: a non-zero record is the frame `begin` stored, valid until `end`.
        return UnsafePointer<SyscallFrame>(bitPattern: UInt(frame))!.pointee.rsp
    }

    private static var record: UnsafeMutablePointer<uk_syscall_in_progress> {
        // SAFETY: UK_SYSCALL_IN_PROGRESS_PHYS is in the boot-info page, reserved for this struct
        // (abi_layout.c checks it lies between uk_boot_info and uk_pending_write); only this
        // type writes it, and one vCPU serves one call at a time.
        DirectMap.pointer(UK_SYSCALL_IN_PROGRESS_PHYS).assumingMemoryBound(to: uk_syscall_in_progress.self)
    }
}
