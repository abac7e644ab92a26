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

    /// The frame recorded now (0: none): a task switch keeps each task's own.
    static var current: UInt64 {
        get { record.pointee.frame }
        set { record.pointee.frame = newValue }
    }

    private static var record: UnsafeMutablePointer<uk_syscall_in_progress> {
        // SAFETY: UK_SYSCALL_IN_PROGRESS_PHYS is in the boot-info page, reserved for this struct
        // (abi_layout.c checks it lies between uk_boot_info and uk_pending_write); only this
        // type writes it, and a task switch saves and restores it (Scheduler).
        DirectMap.pointer(UK_SYSCALL_IN_PROGRESS_PHYS).assumingMemoryBound(to: uk_syscall_in_progress.self)
    }
}
