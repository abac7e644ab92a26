import CLinux

/// Why `KVM_RUN` returned, decoded from `kvm_run`.
public enum VMExit: Equatable, Sendable {
    /// `out` to `port`; `value` holds the written data (zero-extended).
    case portWrite(port: UInt16, size: UInt8, value: UInt32)
    /// `in` from `port`.
    case portRead(port: UInt16, size: UInt8)
    /// The guest executed `hlt`.
    case halt
    /// The guest triple-faulted (or asked for a reset).
    case shutdown
    /// The hardware refused to enter the guest.
    case failEntry(hardwareReason: UInt64)
    /// KVM could not emulate something the guest did.
    case internalError(suberror: UInt32)
    /// An access to guest-physical memory that no slot backs; `data` holds what a write stored.
    case mmio(address: UInt64, isWrite: Bool, length: UInt32, data: UInt64)
    /// `KVM_RUN` was interrupted by a signal before or while running the guest.
    case interrupted
    /// The guest can take an interrupt now (the loop asked with request_interrupt_window).
    case interruptWindowOpen
    /// Any other exit reason.
    case other(reason: UInt32)
}
