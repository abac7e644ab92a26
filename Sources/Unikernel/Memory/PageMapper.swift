import UnikernelABI

/// Access rights of a page in Linux PROT_* terms (PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4).
struct Protection: Equatable {
    var bits: UInt64

    static let none = Protection(bits: 0)
    static let read = Protection(bits: 1)
    static let readWrite = Protection(bits: 3)

    var isReadable: Bool { bits & 1 != 0 }
    var isWritable: Bool { bits & 2 != 0 }
    var isExecutable: Bool { bits & 4 != 0 }
    var isAccessible: Bool { bits & 7 != 0 }

    /// From ELF p_flags (PF_X 1, PF_W 2, PF_R 4).
    init(segmentFlags: UInt32) {
        bits = (segmentFlags & 4 != 0 ? 1 : 0) | (segmentFlags & 2 != 0 ? 2 : 0) | (segmentFlags & 1 != 0 ? 4 : 0)
    }

    init(bits: UInt64) { self.bits = bits & 7 }

    func union(_ other: Protection) -> Protection { Protection(bits: bits | other.bits) }
}

/// Adds, changes and removes 4 KiB mappings in the lower half of the active
/// PML4, reaching every table through the direct map. Leaves get P, RW when
/// writable and NX when not executable, and U for application pages (the
/// kernel heap's pages only where the kernel runs at CPL3: Platform).
struct PageMapper {
    static let present: UInt64 = 1
    static let writable: UInt64 = 1 << 1
    static let user: UInt64 = 1 << 2
    static let noExecute: UInt64 = 1 << 63
    /// Software bit (available to the OS) marking a PROT_NONE page: not
    /// present for the CPU, but the frame stays attached.
    static let inaccessible: UInt64 = 1 << 9
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let lowerHalfEnd: UInt64 = 0x0000_8000_0000_0000

    let root: UInt64

    /// The boot PML4, whose top-level entries every vCPU's own PML4 repeats (each vCPU runs on
    /// its own root, which differs only in the path to its CPU-local page: unikernel_abi.h).
    private(set) static var sharedRoot: UInt64 = 0
    private static var cpuTablesBase: UInt64 = 0
    private static var cpuCount: UInt64 = 0

    /// Records the boot PML4 and where the vCPUs' roots are; before the first mapping.
    static func configureSharedRoot(_ root: UInt64, cpuTables: UInt64, cpuCount: Int) {
        sharedRoot = root
        cpuTablesBase = cpuTables
        self.cpuCount = UInt64(cpuCount)
    }

    /// Writes a new top-level entry of the boot PML4 into every vCPU's PML4 too. (A
    /// not-present entry is never cached, so no vCPU needs a flush.)
    private static func mirror(index: Int, entry: UInt64) {
        var cpu: UInt64 = 0
        while cpu < cpuCount {
            let root = cpuTablesBase + cpu * UK_CPU_TABLES_SIZE + UK_CPU_PML4_OFFSET
            // SAFETY: the vCPU's PML4 page, built by the host (UK_CPU_PML4_OFFSET).
            DirectMap.pointer(root).assumingMemoryBound(to: UInt64.self)[index] = entry
            cpu += 1
        }
    }

    private func table(_ physical: UInt64) -> UnsafeMutablePointer<UInt64> {
        // SAFETY: page tables are whole frames, reached through the direct map.
        DirectMap.pointer(physical).assumingMemoryBound(to: UInt64.self)
    }

    /// The leaf entry for `virtual`, creating missing intermediate tables when `create`.
    private func leafEntry(_ virtual: UInt64, create: Bool) -> UnsafeMutablePointer<UInt64>? {
        var tablePhysical = root
        var level: UInt64 = 39
        while level >= 21 {
            defer { level -= 9 }
            let entries = table(tablePhysical)
            let index = Int((virtual >> level) & 0x1FF)
            if entries[index] & PageMapper.present == 0 {
                guard create, let frame = Frames.allocate() else { return nil }
                entries[index] = frame | PageMapper.present | PageMapper.writable | PageMapper.user
                if level == 39, tablePhysical == PageMapper.sharedRoot { PageMapper.mirror(index: index, entry: entries[index]) }
            }
            tablePhysical = entries[index] & PageMapper.addressMask
        }
        return table(tablePhysical) + Int((virtual >> 12) & 0x1FF)
    }

    private static func isMapped(_ entry: UInt64) -> Bool {
        entry & (PageMapper.present | PageMapper.inaccessible) != 0
    }

    private static func leafBits(_ protection: Protection) -> UInt64 {
        guard protection.isAccessible else { return PageMapper.inaccessible }
        var bits = PageMapper.present
        if protection.isWritable { bits |= PageMapper.writable }
        if !protection.isExecutable { bits |= PageMapper.noExecute }
        return bits
    }

    /// Maps one page; returns false when page tables cannot be allocated.
    func map(_ virtual: UInt64, to physical: UInt64, _ protection: Protection, user: Bool = true) -> Bool {
        guard let entry = leafEntry(virtual, create: true) else { return false }
        let old = entry.pointee
        entry.pointee = physical | PageMapper.leafBits(protection) | (user && protection.isAccessible ? PageMapper.user : 0)
        // The TLB never caches a non-present entry: only a replaced mapping needs a flush.
        if old & PageMapper.present != 0 {
            CPU.invalidatePage(virtual)
            TLB.noteChange(restricting: true)
        }
        return true
    }

    /// When `virtual` lies in a stretch with no page table at some level,
    /// that stretch's size (4 KiB for a missing leaf is not reported: nil).
    func unmappedSpan(at virtual: UInt64) -> UInt64? {
        var tablePhysical = root
        var level: UInt64 = 39
        while level >= 21 {
            let entries = table(tablePhysical)
            let entry = entries[Int((virtual >> level) & 0x1FF)]
            if entry & PageMapper.present == 0 { return UInt64(1) << level }
            tablePhysical = entry & PageMapper.addressMask
            level -= 9
        }
        return nil
    }

    /// Physical frame and entry bits mapped at `virtual`, if any (PROT_NONE
    /// pages included: check `present` in the entry before touching them).
    func lookup(_ virtual: UInt64) -> (frame: UInt64, entry: UInt64)? {
        guard let entry = leafEntry(virtual, create: false), PageMapper.isMapped(entry.pointee) else { return nil }
        return (entry.pointee & PageMapper.addressMask, entry.pointee)
    }

    /// Changes the rights of a mapped page (no-op when unmapped).
    func protect(_ virtual: UInt64, _ protection: Protection) {
        guard let entry = leafEntry(virtual, create: false), PageMapper.isMapped(entry.pointee) else { return }
        let old = entry.pointee
        entry.pointee = (old & PageMapper.addressMask) | PageMapper.leafBits(protection)
            | (protection.isAccessible ? PageMapper.user : 0)
        guard old & PageMapper.present != 0 else { return }  // never cached
        CPU.invalidatePage(virtual)
        // Other vCPUs need a flush only when a right was taken away: a stale entry with fewer
        // rights faults, and the fault finds the new ones (AddressSpace.handlePageFault).
        if PageMapper.rightsRemoved(from: old, to: entry.pointee) { TLB.noteChange(restricting: true) }
    }

    /// Whether going from leaf entry `old` to `new` takes a right away (presence, write,
    /// user access, or execution).
    static func rightsRemoved(from old: UInt64, to new: UInt64) -> Bool {
        let lost = old & ~new & (present | writable | user)
        let execution = old & noExecute == 0 && new & noExecute != 0
        return lost != 0 || execution
    }

    /// Removes a mapping and returns the frame it pointed at.
    func unmap(_ virtual: UInt64) -> UInt64? {
        guard let entry = leafEntry(virtual, create: false), PageMapper.isMapped(entry.pointee) else { return nil }
        let old = entry.pointee
        entry.pointee = 0
        if old & PageMapper.present != 0 {
            CPU.invalidatePage(virtual)
            TLB.noteChange(restricting: false)
        }
        return old & PageMapper.addressMask
    }
}
