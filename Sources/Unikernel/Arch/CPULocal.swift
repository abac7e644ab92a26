import UnikernelABI

/// The CPU-local block `uk_cpu` (entry.S; byte offsets in registers.inc): the
/// few words the entry paths need before any register is free, plus the fault
/// record the exception stub fills. Swift reads and writes it only here.
struct CPULocalBlock {
    var userStackPointer: UInt64
    /// Top of the running task's kernel stack: where every entry from the application builds its frame.
    var kernelStackTop: UInt64
    var returnInstructionPointer: UInt64
    /// Low byte set by a timer interrupt that landed in the kernel (kvm-pvm only).
    var needReschedule: UInt64
    var viaStub: UInt64
    var reserved: (UInt64, UInt64, UInt64)
    var fault: FaultRecord
}

enum CPULocal {
    private static var block: UnsafeMutablePointer<CPULocalBlock> {
        // SAFETY: uk_cpu is a 128-byte, 64-byte-aligned .bss block laid out as CPULocalBlock
        // (registers.inc); the entry stubs and this type are its only users.
        UnsafeMutablePointer<CPULocalBlock>(bitPattern: UInt(uk_cpu_local_address()))!
    }

    /// The running task's kernel-stack top, loaded by the entry paths.
    static var kernelStackTop: UInt64 {
        get { block.pointee.kernelStackTop }
        set { block.pointee.kernelStackTop = newValue }
    }

    /// Whether a timer interrupt asked for a reschedule since the last call (and clears the request).
    static func takeRescheduleRequest() -> Bool {
        guard block.pointee.needReschedule & 0xFF != 0 else { return false }
        block.pointee.needReschedule = 0
        return true
    }
}

@_extern(c, "uk_cpu_local_address") func uk_cpu_local_address() -> UInt64
