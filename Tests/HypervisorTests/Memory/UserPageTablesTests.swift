import Testing
import UnikernelABI

@testable import Hypervisor

/// The Dirty-bit walk behind vfork's shared memory, over page tables the test builds by hand.
@Suite("User page tables (vfork copy-back)")
struct UserPageTablesTests {
    let memory: GuestMemory
    let root: UInt64 = 0x1000
    static let present = PageTableEntry.present, writable = PageTableEntry.writable, user = PageTableEntry.user
    static let dirty = UserPageTables.dirty

    /// 0x400000 → 0x10000 (dirty), 0x401000 → 0x11000 (clean), 0x402000 → 0x12000 (dirty,
    /// read-only), 0x403000 → 0x13000 (dirty, kernel only); 0x600000 a dirty 2 MiB page at
    /// 0x200000; 0x7FFFF8000000 (the kernel arena) → 0x14000 (dirty); 0x404000 → a frame past
    /// RAM (a shared window, dirty).
    init() throws {
        memory = try GuestMemory(size: 4 << 20)
        let (p, w, u, d) = (Self.present, Self.writable, Self.user, Self.dirty)
        try memory.store(0x2000 | p | w | u, at: 0x1000)                // PML4[0]
        try memory.store(0x3000 | p | w | u, at: 0x2000)                // PDPT[0]
        try memory.store(0x4000 | p | w | u, at: 0x3000 + 8 * 2)        // PD[2] → 0x400000
        try memory.store(0x200000 | p | w | u | d | PageTableEntry.hugePage, at: 0x3000 + 8 * 3)  // PD[3]: 2 MiB
        try memory.store(0x10000 | p | w | u | d, at: 0x4000)
        try memory.store(0x11000 | p | w | u, at: 0x4000 + 8)
        try memory.store(0x12000 | p | u | d, at: 0x4000 + 16)
        try memory.store(0x13000 | p | w | d, at: 0x4000 + 24)
        try memory.store(UK_SHARED_WINDOW_BASE | p | w | u | d, at: 0x4000 + 32)
        // The arena: PML4[255] → PDPT 0x5000, [511] → PD 0x6000, [448] → PT 0x7000.
        let arena = UK_KERNEL_ARENA_START
        try memory.store(0x5000 | p | w | u, at: 0x1000 + 8 * UInt64(BootPageTables.index(of: arena, level: 4)))
        try memory.store(0x6000 | p | w | u, at: 0x5000 + 8 * UInt64(BootPageTables.index(of: arena, level: 3)))
        try memory.store(0x7000 | p | w | u, at: 0x6000 + 8 * UInt64(BootPageTables.index(of: arena, level: 2)))
        try memory.store(0x14000 | p | w | u | d, at: 0x7000)
    }

    func dirtyPages() -> [UInt64] {
        var pages: [UInt64] = []
        UserPageTables(memory: memory, root: root).forEachDirtyPage { address, physical in
            pages.append(address)
            #expect(physical == (address < 0x600000 ? address - 0x400000 + 0x10000 : address - 0x600000 + 0x200000))
        }
        return pages
    }

    @Test func listsDirtyUserPagesOfRamOutsideTheArena() {
        let pages = dirtyPages()
        // 0x400000 and the read-only 0x402000, then the 512 pages of the large page.
        #expect(pages.count == 2 + 512)
        #expect(Array(pages.prefix(3)) == [0x400000, 0x402000, 0x600000])
        #expect(pages.last == 0x7FF000)
    }

    @Test func clearingLeavesNothingDirtyButKeepsTheMappings() throws {
        UserPageTables(memory: memory, root: root).clearDirtyBits()
        #expect(dirtyPages().isEmpty)
        #expect(try memory.load(UInt64.self, at: 0x4000) == 0x10000 | Self.present | Self.writable | Self.user)
        // The arena's entry is the kernel's: left alone.
        #expect(try memory.load(UInt64.self, at: 0x7000) & Self.dirty != 0)
    }

    @Test func findsOnlyWritableUserPagesOfRamAndMarksThemDirty() throws {
        let tables = UserPageTables(memory: memory, root: root)
        let clean = try #require(tables.writablePage(at: 0x401000))
        #expect(clean.physical == 0x11000 && clean.entrySlot == 0x4008)
        tables.markDirty(entrySlot: clean.entrySlot)
        #expect(try memory.load(UInt64.self, at: 0x4008) & Self.dirty != 0)
        #expect(tables.writablePage(at: 0x6FF000)?.physical == 0x2FF000)
        #expect(tables.writablePage(at: 0x402000) == nil)   // read-only
        #expect(tables.writablePage(at: 0x403000) == nil)   // kernel only
        #expect(tables.writablePage(at: 0x404000) == nil)   // not RAM
        #expect(tables.writablePage(at: 0x405000) == nil)   // unmapped
        #expect(tables.writablePage(at: UK_KERNEL_ARENA_START) == nil)
    }
}
