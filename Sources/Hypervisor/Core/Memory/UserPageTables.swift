import CLinux
import UnikernelABI

/// The application's half of the guest's page tables (the lower half of the boot PML4, whose
/// entries every vCPU's root repeats), as the Dirty bits see it: what a vfork child wrote.
///
/// A vfork child shares its parent's memory on Linux; here it runs on a copy-on-write copy,
/// so its host clears the Dirty bit of every user leaf before the child's VM runs
/// (`clearDirtyBits`), the CPU (or KVM's shadow MMU) sets it on each write of the program and
/// the kernel on each user page it writes itself, and at the child's exec or exit
/// `forEachDirtyPage` lists what changed. The parent's host writes those pages into the page
/// `writablePage(at:)` finds at the same address in its own tables.
///
/// The kernel heap's arena, which lies in the lower half, is never visited; pages outside RAM
/// (shared windows: MAP_SHARED memory is the host's, shared already) are never listed.
struct UserPageTables {
    let memory: GuestMemory
    /// The boot PML4 (guest-physical).
    let root: UInt64

    init(memory: GuestMemory, root: UInt64 = UK_PAGE_TABLES_PHYS) {
        self.memory = memory
        self.root = root
    }

    /// D: the CPU sets it in a leaf on the first write through it.
    static let dirty: UInt64 = 1 << 6
    static let pageSize: UInt64 = 4096
    /// The end of the lower half (the application's addresses).
    static let lowerHalfEnd: UInt64 = 0x0000_8000_0000_0000

    /// A leaf the walk found: the address it maps, its size, and where its entry lives.
    struct Leaf {
        var virtualAddress: UInt64
        var size: UInt64
        var entrySlot: UInt64
        var entry: UInt64
    }

    /// Calls `body` for every present user leaf (4 KiB, 2 MiB or 1 GiB) of the lower half
    /// outside the kernel arena, one page table at a time.
    func forEachLeaf(_ body: (Leaf) -> Void) {
        visit(table: root, level: 4, base: 0, body)
    }

    private func visit(table: UInt64, level: Int, base: UInt64, _ body: (Leaf) -> Void) {
        let span = UInt64(1) << UInt64(12 + 9 * (level - 1))
        let count = level == 4 ? 256 : 512  // the PML4's lower half only
        let entries: [UInt64]
        do {
            entries = try memory.withBytes(at: table, length: 4096) { Array($0.bindMemory(to: UInt64.self).prefix(count)) }
        } catch { return }
        for index in 0..<count {
            let raw = entries[index]
            let start = base + UInt64(index) * span
            guard raw & PageTableEntry.present != 0, raw & PageTableEntry.user != 0,
                  !UserPageTables.isInKernelArena(start, span) else { continue }
            let next = raw & PageTableEntry.addressMask
            if level == 1 || (level <= 3 && raw & PageTableEntry.hugePage != 0) {
                body(Leaf(virtualAddress: start, size: span, entrySlot: table + 8 * UInt64(index), entry: raw))
            } else {
                visit(table: next, level: level - 1, base: start, body)
            }
        }
    }

    /// Whether [start, start + size) lies in the kernel heap's arena (2 MiB aligned, so a
    /// leaf or table is either wholly inside or wholly outside it when at most 2 MiB; a larger
    /// span that contains it is visited and its parts decided one by one).
    private static func isInKernelArena(_ start: UInt64, _ size: UInt64) -> Bool {
        start >= UK_KERNEL_ARENA_START && start + size <= UK_KERNEL_ARENA_END
    }

    /// The frame bits of a leaf of `size` (a large page's PAT bit 12 is never set).
    private static func frame(of leaf: Leaf) -> UInt64 {
        leaf.entry & PageTableEntry.addressMask & ~(leaf.size - 1)
    }

    /// Clears the Dirty bit of every user leaf. Only where no vCPU can hold a translation of
    /// these tables (before the forked child's new VM runs): a cached writable translation
    /// would not set the bit again.
    func clearDirtyBits() {
        forEachLeaf { leaf in
            guard leaf.entry & UserPageTables.dirty != 0 else { return }
            try? memory.store(leaf.entry & ~UserPageTables.dirty, at: leaf.entrySlot)
        }
    }

    /// Calls `body` with the address and guest-physical frame of every 4 KiB page of RAM
    /// under a dirty user leaf, in address order.
    func forEachDirtyPage(_ body: (_ virtualAddress: UInt64, _ physical: UInt64) -> Void) {
        forEachLeaf { leaf in
            guard leaf.entry & UserPageTables.dirty != 0 else { return }
            let frame = UserPageTables.frame(of: leaf)
            var offset: UInt64 = 0
            while offset < leaf.size {
                if frame + offset + UserPageTables.pageSize <= memory.size { body(leaf.virtualAddress + offset, frame + offset) }
                offset += UserPageTables.pageSize
            }
        }
    }

    /// The guest-physical frame of the 4 KiB page at `virtualAddress` (page-aligned) when it
    /// is RAM mapped present, user and writable at every level, and the slot of the leaf's
    /// entry; nil otherwise (unmapped, read-only, PROT_NONE, a shared window, the arena).
    func writablePage(at virtualAddress: UInt64) -> (physical: UInt64, entrySlot: UInt64)? {
        guard virtualAddress < UserPageTables.lowerHalfEnd, !UserPageTables.isInKernelArena(virtualAddress, UserPageTables.pageSize) else {
            return nil
        }
        let wanted = PageTableEntry.present | PageTableEntry.writable | PageTableEntry.user
        var table = root
        for level in stride(from: 4, through: 1, by: -1) {
            let slot = table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: level))
            guard let raw = try? memory.load(UInt64.self, at: slot), raw & wanted == wanted else { return nil }
            let size = UInt64(1) << UInt64(12 + 9 * (level - 1))
            if level == 1 || (level <= 3 && raw & PageTableEntry.hugePage != 0) {
                let physical = (raw & PageTableEntry.addressMask & ~(size - 1)) + (virtualAddress & (size - 1))
                guard physical + UserPageTables.pageSize <= memory.size else { return nil }
                return (physical, slot)
            }
            table = raw & PageTableEntry.addressMask
        }
        return nil
    }

    /// Sets the Dirty bit of the leaf entry at `slot` (a page the host wrote for the program:
    /// if this process is a vfork child itself, its own copy-back must include it). Atomic: a
    /// vCPU may set the Accessed bit of the same entry meanwhile.
    func markDirty(entrySlot slot: UInt64) {
        guard slot & 7 == 0 else { return }
        _ = try? memory.withBytes(at: slot, length: 8) { bytes in
            // SAFETY: an 8-byte-aligned page-table entry inside guest RAM (withBytes checked the range).
            ckvm_atomic_or64(bytes.baseAddress!.assumingMemoryBound(to: UInt64.self), UserPageTables.dirty)
        }
    }
}
