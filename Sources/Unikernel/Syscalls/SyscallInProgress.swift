import UnikernelABI

/// The system call the kernel is serving, recorded where the host can read it
/// (`uk_syscall_in_progress` at UK_SYSCALL_IN_PROGRESS_PHYS): when the kernel faults inside
/// a call, the host reports a kernel bug naming that call and its arguments, and `--trace`
/// prints it though it never returned.
enum SyscallInProgress {
    /// Records `number` and its arguments before the handler runs.
    @inline(__always)
    static func begin(number: UInt64, arguments: SyscallArguments) {
        let record = self.record
        record.pointee.number = number
        record.pointee.args = arguments.values
        record.pointee.active = 1
    }

    /// Marks the call finished (its result is in the frame).
    @inline(__always)
    static func end() {
        record.pointee.active = 0
    }

    private static var record: UnsafeMutablePointer<uk_syscall_in_progress> {
        // SAFETY: UK_SYSCALL_IN_PROGRESS_PHYS is in the boot-info page, reserved for this struct
        // (abi_layout.c checks it lies after uk_pending_write and inside the page); only this
        // type writes it, and one vCPU serves one call at a time.
        DirectMap.pointer(UK_SYSCALL_IN_PROGRESS_PHYS).assumingMemoryBound(to: uk_syscall_in_progress.self)
    }
}
