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

    /// Maps guest-physical [start, end) (2 MiB aligned: RAM the host just added) with 2 MiB
    /// pages, in the page directories the host placed for every GiB of the memory limit.
    /// Entries go from not present to present: no TLB holds them, nothing to flush.
    static func extend(from start: UInt64, to end: UInt64) {
        let granule = PageMapper.hugePageSize
        var physical = start & ~(granule - 1)
        // SAFETY: the boot PML4 and the direct map's PDPT and page directories are frames the
        // host built (unikernel_abi.h), reached through the direct map itself.
        let pml4 = pointer(PageMapper.sharedRoot).assumingMemoryBound(to: UInt64.self)
        let pdpt = pointer(pml4[Int((UK_DIRECT_MAP_BASE >> 39) & 0x1FF)] & PageMapper.addressMask).assumingMemoryBound(to: UInt64.self)
        let user = Platform.kernelPagesUserAccessible ? PageMapper.user : 0
        while physical < end {
            let virtual = virtualAddress(physical)
            let directoryEntry = pdpt[Int((virtual >> 30) & 0x1FF)]
            guard directoryEntry & PageMapper.present != 0 else { kernelPanic("direct map: no page directory for RAM", value: physical) }
            let directory = pointer(directoryEntry & PageMapper.addressMask).assumingMemoryBound(to: UInt64.self)
            directory[Int((virtual >> 21) & 0x1FF)] = physical | PageMapper.present | PageMapper.writable | PageMapper.largePage
                | PageMapper.noExecute | user
            physical += granule
        }
    }

    /// Physical address of a kernel-image (.text/.data/.bss) virtual address.
    static func physicalOfKernel(_ virtual: UInt64) -> UInt64 { virtual &- UK_KERNEL_VIRT_BASE }
}
