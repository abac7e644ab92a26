import UnikernelABI

/// The CPU-local page `uk_cpu` (UK_CPU_LOCAL_VIRT; byte offsets in registers.inc): every
/// vCPU sees its own page at that address (its page tables, unikernel_abi.h). It holds the
/// few words the entry paths need before any register is free, the fault record the
/// exception stub fills, the vCPU's index and the page's physical address (written by the
/// host), and the vCPU's hypercall parameter blocks. Swift reads and writes it only here.
struct CPULocalBlock {
    var userStackPointer: UInt64
    /// Top of the running task's kernel stack: where every entry from the application builds its frame.
    var kernelStackTop: UInt64
    var returnInstructionPointer: UInt64
    /// Low byte set by a timer interrupt that landed in the kernel (kvm-pvm only).
    var needReschedule: UInt64
    var viaStub: UInt64
    /// This vCPU's index (host-written).
    var cpu: UInt64
    /// The page's guest-physical address (host-written).
    var localPhysical: UInt64
    /// The TLB generation this vCPU last flushed for (TLB.swift).
    var tlbSeen: UInt64
    var fault: FaultRecord
    /// 1 while this vCPU runs application code (or is on its way into or out of it); read by
    /// other vCPUs without the kernel lock, so kept here rather than in Swift state.
    var inApplication: UInt64
}

enum CPULocal {
    private static var block: UnsafeMutablePointer<CPULocalBlock> {
        // SAFETY: uk_cpu is this vCPU's page, laid out as CPULocalBlock at its start
        // (registers.inc, uk_cpu_local_header); the entry stubs and this type are its only users.
        UnsafeMutablePointer<CPULocalBlock>(bitPattern: UInt(uk_cpu_local_address()))!
    }

    /// This vCPU's index.
    static var index: Int { Int(truncatingIfNeeded: block.pointee.cpu) }

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

    static var tlbSeen: UInt64 {
        get { block.pointee.tlbSeen }
        set { block.pointee.tlbSeen = newValue }
    }

    static var inApplication: Bool {
        get { block.pointee.inApplication != 0 }
        set { block.pointee.inApplication = newValue ? 1 : 0 }
    }

    /// The TLB generation vCPU `cpu` has flushed for, read through the direct map.
    static func tlbSeen(ofCPU cpu: Int) -> UInt64 {
        load(offset: 56, ofCPU: cpu)  // CPU_TLB_SEEN
    }

    /// Whether vCPU `cpu` runs application code.
    static func inApplication(cpu: Int) -> Bool {
        load(offset: 112, ofCPU: cpu) != 0  // after the fault record
    }

    /// The word at byte `offset` of vCPU `cpu`'s page (offsets as in CPULocalBlock).
    private static func load(offset: UInt64, ofCPU cpu: Int) -> UInt64 {
        let page = cpuTablesPhysical + UInt64(cpu) * UK_CPU_TABLES_SIZE + UK_CPU_LOCAL_OFFSET
        // SAFETY: that vCPU's CPU-local page (host-built area); an aligned word it stores to.
        return uk_volatile_load(DirectMap.pointer(page + offset))
    }

    /// Where the vCPU areas start (boot info), for reaching other vCPUs' pages.
    static var cpuTablesPhysical: UInt64 = 0

    /// This vCPU's hypercall area: its parameter blocks (virtual and guest-physical).
    static var hypercallArea: UnsafeMutableRawPointer {
        // SAFETY: the second half of this vCPU's page, used only for hypercall blocks.
        UnsafeMutableRawPointer(block) + Int(UK_CPU_HYPERCALL_OFFSET)
    }
    static var hypercallAreaPhysical: UInt64 { block.pointee.localPhysical + UK_CPU_HYPERCALL_OFFSET }
}

@_extern(c, "uk_cpu_local_address") func uk_cpu_local_address() -> UInt64
@_extern(c, "uk_volatile_load") func uk_volatile_load(_ word: UnsafeMutableRawPointer) -> UInt64
