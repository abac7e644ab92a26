import UnikernelABI

/// Translation between guest-physical addresses and the kernel's two views
/// of them: the direct map (all memory at UK_DIRECT_MAP_BASE + phys) and the
/// kernel image mapping (UK_KERNEL_VIRT_BASE + phys).
enum DirectMap {
    static func virtualAddress(_ physical: UInt64) -> UInt64 { UK_DIRECT_MAP_BASE &+ physical }

    static func pointer(_ physical: UInt64) -> UnsafeMutableRawPointer {
        // SAFETY: the boot page tables map every guest-physical byte at
        // UK_DIRECT_MAP_BASE + phys, so the result is never null.
        UnsafeMutableRawPointer(bitPattern: UInt(virtualAddress(physical)))!
    }

    /// Physical address of a kernel-image (.text/.data/.bss) virtual address.
    static func physicalOfKernel(_ virtual: UInt64) -> UInt64 { virtual &- UK_KERNEL_VIRT_BASE }
}
