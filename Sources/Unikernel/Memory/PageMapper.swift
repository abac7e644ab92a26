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
///
/// A 2 MiB page (`mapHuge`, a leaf in the page directory) serves a whole aligned block of an
/// anonymous region at once. Lookups see through it (the 4 KiB frame inside it); every other
/// operation on one page of it (map, protect, unmap) first splits it into 512 ordinary
/// entries over the same frames, so the rest of the kernel only ever changes 4 KiB pages.
struct PageMapper {
    static let present: UInt64 = 1
    static let writable: UInt64 = 1 << 1
    static let user: UInt64 = 1 << 2
    static let noExecute: UInt64 = 1 << 63
    /// D: set by the CPU on a write through the leaf, and by the kernel when it writes a user
    /// page for the program (`markDirty`). Nothing in the kernel reads it; a vfork child's
    /// host does, to send its parent what the child wrote (UK_PROC_FORK).
    static let dirty: UInt64 = 1 << 6
    /// Software bit (available to the OS) marking a PROT_NONE page: not
    /// present for the CPU, but the frame stays attached.
    static let inaccessible: UInt64 = 1 << 9
    static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    static let lowerHalfEnd: UInt64 = 0x0000_8000_0000_0000
    /// PS: a page-directory entry that maps a 2 MiB page instead of pointing to a page table.
    static let largePage: UInt64 = 1 << 7
    static let hugePageSize: UInt64 = 2 << 20
    /// The frame bits of a 2 MiB leaf (bit 12 would be its PAT bit, which the kernel never sets).
    static let hugeAddressMask: UInt64 = 0x000F_FFFF_FFE0_0000

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

    /// The page-directory entry for `virtual`, creating missing upper tables when `create`.
    private func directoryEntry(_ virtual: UInt64, create: Bool) -> UnsafeMutablePointer<UInt64>? {
        var tablePhysical = root
        var level: UInt64 = 39
        while level >= 30 {
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
        return table(tablePhysical) + Int((virtual >> 21) & 0x1FF)
    }

    /// Whether a page-directory entry is a 2 MiB leaf (mapped, or PROT_NONE).
    private static func isHuge(_ entry: UInt64) -> Bool {
        entry & PageMapper.largePage != 0 && isMapped(entry)
    }

    /// The leaf entry for `virtual`, creating missing intermediate tables when `create`. A
    /// 2 MiB page in the way is split first (nil when no frame is left for its table).
    private func leafEntry(_ virtual: UInt64, create: Bool) -> UnsafeMutablePointer<UInt64>? {
        guard let directory = directoryEntry(virtual, create: create) else { return nil }
        if PageMapper.isHuge(directory.pointee) {
            guard split(directory, at: virtual) else { return nil }
        } else if directory.pointee & PageMapper.present == 0 {
            guard create, let frame = Frames.allocate() else { return nil }
            directory.pointee = frame | PageMapper.present | PageMapper.writable | PageMapper.user
        }
        return table(directory.pointee & PageMapper.addressMask) + Int((virtual >> 12) & 0x1FF)
    }

    /// Replaces the 2 MiB leaf at `directory` by a page table of 512 entries with the same
    /// frames and rights. The translation does not change, so only this vCPU's TLB entry
    /// for the large page is dropped (other vCPUs may keep it: it says the same).
    private func split(_ directory: UnsafeMutablePointer<UInt64>, at virtual: UInt64) -> Bool {
        guard let frame = Frames.allocate() else { return false }
        let old = directory.pointee
        let base = old & PageMapper.hugeAddressMask
        let bits = old & ~PageMapper.hugeAddressMask & ~PageMapper.largePage
        let entries = table(frame)
        for index in 0..<512 { entries[index] = (base + UInt64(index) * UK_PAGE_SIZE) | bits }
        directory.pointee = frame | PageMapper.present | PageMapper.writable | PageMapper.user
        if old & PageMapper.present != 0 { TLB.invalidateLocally(virtual & ~(PageMapper.hugePageSize - 1)) }
        return true
    }

    /// Maps the 2 MiB page at `virtual` to the 2 MiB frame `physical` (both aligned) when
    /// nothing is mapped in that block yet (no page table there); false otherwise.
    func mapHuge(_ virtual: UInt64, to physical: UInt64, _ protection: Protection) -> Bool {
        guard protection.isAccessible, let directory = directoryEntry(virtual, create: true),
              directory.pointee & (PageMapper.present | PageMapper.inaccessible) == 0 else { return false }
        // Not present before: no TLB holds it, no flush.
        directory.pointee = physical | PageMapper.leafBits(protection) | PageMapper.largePage | PageMapper.user
        return true
    }

    /// Whether no page of the 2 MiB block at `virtual` has a page table or a large page yet
    /// (a fault there may be served with one 2 MiB page).
    func isEmptyBlock(_ virtual: UInt64) -> Bool {
        guard let directory = directoryEntry(virtual, create: false) else { return true }
        return directory.pointee & (PageMapper.present | PageMapper.inaccessible) == 0
    }

    /// When the whole 2 MiB block at `virtual` (aligned) is one large page, removes it and
    /// returns its 2 MiB frame.
    func unmapHuge(_ virtual: UInt64) -> UInt64? {
        guard let directory = directoryEntry(virtual, create: false), PageMapper.isHuge(directory.pointee) else { return nil }
        return PageMapper.clear(directory, mapping: virtual) & PageMapper.hugeAddressMask
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
            TLB.invalidateLocally(virtual)
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
            if level == 21 && PageMapper.isHuge(entry) { return nil }
            if entry & PageMapper.present == 0 { return UInt64(1) << level }
            tablePhysical = entry & PageMapper.addressMask
            level -= 9
        }
        return nil
    }

    /// Physical frame and entry bits mapped at `virtual`, if any (PROT_NONE
    /// pages included: check `present` in the entry before touching them). Inside a 2 MiB
    /// page: the 4 KiB frame there, with the large page's bits (PS cleared).
    func lookup(_ virtual: UInt64) -> (frame: UInt64, entry: UInt64)? {
        guard let directory = directoryEntry(virtual, create: false) else { return nil }
        let entry = directory.pointee
        if PageMapper.isHuge(entry) {
            let frame = (entry & PageMapper.hugeAddressMask) + (virtual & (PageMapper.hugePageSize - 1) & ~(UK_PAGE_SIZE - 1))
            return (frame, frame | (entry & ~PageMapper.hugeAddressMask & ~PageMapper.largePage))
        }
        guard entry & PageMapper.present != 0 else { return nil }
        let leaf = table(entry & PageMapper.addressMask)[Int((virtual >> 12) & 0x1FF)]
        guard PageMapper.isMapped(leaf) else { return nil }
        return (leaf & PageMapper.addressMask, leaf)
    }

    /// Sets the Dirty bit of the leaf mapping `virtual` (its 4 KiB entry, or the 2 MiB page's),
    /// as the CPU would on a write of the program: the kernel writes user pages through the
    /// direct map, which leaves the user leaf alone. No flush: the CPU never clears the bit.
    func markDirty(_ virtual: UInt64) {
        guard let directory = directoryEntry(virtual, create: false) else { return }
        if PageMapper.isHuge(directory.pointee) {
            directory.pointee |= PageMapper.dirty
            return
        }
        guard directory.pointee & PageMapper.present != 0 else { return }
        let leaf = table(directory.pointee & PageMapper.addressMask) + Int((virtual >> 12) & 0x1FF)
        if PageMapper.isMapped(leaf.pointee) { leaf.pointee |= PageMapper.dirty }
    }

    /// Changes the rights of a mapped page (no-op when unmapped).
    func protect(_ virtual: UInt64, _ protection: Protection) {
        guard let entry = leafEntry(virtual, create: false), PageMapper.isMapped(entry.pointee) else { return }
        let old = entry.pointee
        entry.pointee = (old & PageMapper.addressMask) | PageMapper.leafBits(protection)
            | (protection.isAccessible ? PageMapper.user : 0)
        guard old & PageMapper.present != 0 else { return }  // never cached
        TLB.invalidateLocally(virtual)
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
        return PageMapper.clear(entry, mapping: virtual) & PageMapper.addressMask
    }

    /// Clears the leaf `entry` that maps `virtual` (flushing this vCPU's translation and noting
    /// the removal for the others) and returns its old value.
    private static func clear(_ entry: UnsafeMutablePointer<UInt64>, mapping virtual: UInt64) -> UInt64 {
        let old = entry.pointee
        entry.pointee = 0
        if old & PageMapper.present != 0 {
            TLB.invalidateLocally(virtual)
            TLB.noteChange(restricting: false)
        }
        return old
    }
}
