import Testing
import UnikernelABI

@testable import Hypervisor

/// The boot page tables: entry encoding and what they map.
@Suite("Boot page tables")
struct PageTableTests {
    @Test func encodesTableEntryAsPresentWritableUser() {
        let entry = PageTableEntry.table(at: 0x5000)
        #expect(entry.rawValue == 0x5007)
    }

    @Test func encodesHugePageWithNoExecuteWhenNotExecutable() {
        #expect(PageTableEntry.hugePage(at: 0x20_0000, executable: false, user: true).rawValue == 0x8000_0000_0020_0087)
        #expect(PageTableEntry.hugePage(at: 0x20_0000, executable: true, user: true).rawValue == 0x20_0087)
        #expect(PageTableEntry.hugePage(at: 0x20_0000, executable: true, user: false).rawValue == 0x20_0083)
    }

    @Test func mapsTheHypercallPageToTheMMIORegion() throws {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: true)
        let page = try #require(translate(UK_HYPERCALL_VIRT + 0x18, in: tables))
        #expect(page.physical == UK_HYPERCALL_MMIO_PHYS + 0x18)
        #expect(!page.executable)
    }

    @Test func everyBootMappingIsUserAccessibleWhereTheKernelRunsAtCPL3() {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: true)
        #expect(tables.entries().allSatisfy { $0.entry.rawValue & PageTableEntry.user != 0 })
    }

    @Test func everyKernelLeafIsSupervisorOnlyWhereTheKernelRunsAtCPL0() {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: false)
        let leaves = tables.entries().filter { $0.entry.rawValue & PageTableEntry.hugePage != 0 }
        #expect(!leaves.isEmpty)
        #expect(leaves.allSatisfy { $0.entry.rawValue & PageTableEntry.user == 0 })
    }

    @Test func indexesVirtualAddressesPerLevel() {
        #expect(BootPageTables.index(of: UK_DIRECT_MAP_BASE, level: 4) == 384)
        #expect(BootPageTables.index(of: UK_KERNEL_VIRT_BASE, level: 4) == 511)
        #expect(BootPageTables.index(of: UK_KERNEL_VIRT_BASE, level: 3) == 510)
        #expect(BootPageTables.index(of: 0x40_0000, level: 2) == 2)
    }

    /// Walks the tables the way the MMU does, from the entries alone.
    func translate(_ virtualAddress: UInt64, in tables: BootPageTables) -> (physical: UInt64, executable: Bool)? {
        let entries = Dictionary(uniqueKeysWithValues: tables.entries().map { ($0.address, $0.entry) })
        var table = tables.pml4
        for level in stride(from: 4, through: 2, by: -1) {
            guard let entry = entries[table + 8 * UInt64(BootPageTables.index(of: virtualAddress, level: level))],
                  entry.isPresent else { return nil }
            if level == 2 {
                #expect(entry.rawValue & PageTableEntry.hugePage != 0)
                return (entry.physicalAddress + (virtualAddress & 0x1F_FFFF), entry.rawValue & PageTableEntry.noExecute == 0)
            }
            table = entry.physicalAddress
        }
        return nil
    }

    @Test func directMapCoversAllGuestMemoryWithoutExecute() throws {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: true)
        let low = try #require(translate(UK_DIRECT_MAP_BASE + 0x1234, in: tables))
        #expect(low.physical == 0x1234)
        #expect(!low.executable)
        let high = try #require(translate(UK_DIRECT_MAP_BASE + (64 << 20) - 1, in: tables))
        #expect(high.physical == (64 << 20) - 1)
        #expect(translate(UK_DIRECT_MAP_BASE + (64 << 20), in: tables) == nil)
    }

    @Test func directMapSpansSeveralGigabytes() throws {
        let size: UInt64 = 3 << 30
        let tables = BootPageTables(memorySize: size, kernelUserAccessible: true)
        let top = try #require(translate(UK_DIRECT_MAP_BASE + size - 8, in: tables))
        #expect(top.physical == size - 8)
        #expect(tables.end <= UK_PAGE_TABLES_END)
    }

    @Test func onlyTheRAMGivenAtBootIsMappedButEveryGigabyteHasItsDirectory() throws {
        let tables = BootPageTables(memorySize: 3 << 30, mappedSize: 20 << 20, kernelUserAccessible: true)
        let last = try #require(translate(UK_DIRECT_MAP_BASE + (20 << 20) - 1, in: tables))
        #expect(last.physical == (20 << 20) - 1)
        // Beyond the RAM given at boot nothing is mapped (the kernel adds it as RAM grows), in
        // the kernel window neither; a page directory waits in every GiB of the limit.
        #expect(translate(UK_DIRECT_MAP_BASE + (20 << 20), in: tables) == nil)
        #expect(translate(UK_DIRECT_MAP_BASE + (2 << 30) + 0x1000, in: tables) == nil)
        #expect(translate(UK_KERNEL_VIRT_BASE + (20 << 20), in: tables) == nil)
        let directoryEntries = tables.entries().filter { $0.address >= tables.directPDPT && $0.address < tables.directPDPT + 0x1000 }
        #expect(directoryEntries.count == 3)
    }

    @Test func kernelWindowIsExecutableAndMapsPhysicalOffset() throws {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: true)
        let kernel = try #require(translate(UK_KERNEL_VIRT_BASE + UK_KERNEL_PHYS_BASE + 0x10, in: tables))
        #expect(kernel.physical == UK_KERNEL_PHYS_BASE + 0x10)
        #expect(kernel.executable)
    }

    @Test func leavesTheLowerHalfUnmapped() {
        let tables = BootPageTables(memorySize: 64 << 20, kernelUserAccessible: true)
        #expect(translate(0, in: tables) == nil)
        #expect(translate(0x40_0000, in: tables) == nil)
        #expect(translate(0x7FFF_FFFF_F000, in: tables) == nil)
    }

    @Test func tablesFitBelowTheirLimitForTheLargestMemory() {
        let tables = BootPageTables(memorySize: BootPageTables.maximumMemorySize, kernelUserAccessible: true)
        #expect(tables.end <= UK_PAGE_TABLES_END)
    }
}
