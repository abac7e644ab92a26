import UnikernelABI

/// x86-64 page-table entry encoding (Intel SDM Vol. 3A §4.5).
public struct PageTableEntry: Equatable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public static let present: UInt64 = 1 << 0
    public static let writable: UInt64 = 1 << 1
    public static let user: UInt64 = 1 << 2
    public static let hugePage: UInt64 = 1 << 7
    public static let noExecute: UInt64 = 1 << 63
    /// Bits 12...51 hold the physical address of the next level or of the page.
    public static let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000

    /// An entry pointing to the next-level table at `table` (present, writable,
    /// user-accessible; leaf bits decide access).
    public static func table(at table: UInt64) -> PageTableEntry {
        PageTableEntry(rawValue: (table & addressMask) | present | writable | user)
    }

    /// A 2 MiB (in a PD) or 1 GiB (in a PDPT) leaf mapping `physical`, user-accessible when `user`.
    /// A 4 KiB page: writable, never executable.
    public static func page(at physical: UInt64, user: Bool) -> PageTableEntry {
        var value = (physical & addressMask) | present | writable | noExecute
        if user { value |= PageTableEntry.user }
        return PageTableEntry(rawValue: value)
    }

    public static func hugePage(at physical: UInt64, executable: Bool, user: Bool) -> PageTableEntry {
        var value = (physical & addressMask) | present | writable | hugePage
        if user { value |= PageTableEntry.user }
        if !executable { value |= noExecute }
        return PageTableEntry(rawValue: value)
    }

    public var physicalAddress: UInt64 { rawValue & PageTableEntry.addressMask }
    public var isPresent: Bool { rawValue & PageTableEntry.present != 0 }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}

/// The boot page tables the hypervisor builds: the direct map of all guest
/// memory at UK_DIRECT_MAP_BASE, the kernel window at UK_KERNEL_VIRT_BASE and
/// the hypercall page at UK_HYPERCALL_VIRT, all with 2 MiB pages,
/// user-accessible only where the kernel runs at CPL3 (Platform). The lower
/// half stays empty for the application.
public struct BootPageTables: Sendable {
    public static let twoMiB: UInt64 = 2 << 20
    public static let oneGiB: UInt64 = 1 << 30

    /// The root table.
    public let pml4: UInt64 = UK_PAGE_TABLES_PHYS
    let directPDPT: UInt64 = UK_PAGE_TABLES_PHYS + 0x1000
    let kernelPDPT: UInt64 = UK_PAGE_TABLES_PHYS + 0x2000
    let kernelPD: UInt64 = UK_PAGE_TABLES_PHYS + 0x3000
    /// The PD of the top GiB (the syscall-stub window), present from the start so that every
    /// vCPU's copy of the kernel PDPT shares it (the kernel fills it at run time).
    let topPD: UInt64 = UK_PAGE_TABLES_PHYS + 0x4000
    let firstDirectPD: UInt64 = UK_PAGE_TABLES_PHYS + 0x5000

    /// Guest memory the tables have room for (a multiple of 2 MiB): the limit RAM may grow to.
    /// Every GiB of it has its page directory from the start.
    public let memorySize: UInt64
    /// The RAM mapped at boot (the rest of `memorySize` is mapped by the kernel as the host
    /// adds it: UK_PROC_GROW_MEMORY), so that a stray access beyond RAM faults in the guest.
    public let mappedSize: UInt64
    /// Whether the kernel's mappings carry the user bit (kvm-pvm: the kernel runs at CPL3).
    public let kernelUserAccessible: Bool

    /// The largest guest memory the boot tables can map below UK_PAGE_TABLES_END
    /// (and below the hypercall page).
    public static var maximumMemorySize: UInt64 {
        min((UK_PAGE_TABLES_END - (UK_PAGE_TABLES_PHYS + 0x5000)) / 0x1000 * oneGiB, UK_HYPERCALL_MMIO_PHYS)
    }

    public init(memorySize: UInt64, mappedSize: UInt64? = nil, kernelUserAccessible: Bool) {
        self.memorySize = memorySize
        self.mappedSize = min(mappedSize ?? memorySize, memorySize)
        self.kernelUserAccessible = kernelUserAccessible
    }

    /// The index of `virtualAddress` in the table at `level` (4 = PML4 ... 1 = PT).
    public static func index(of virtualAddress: UInt64, level: Int) -> Int {
        Int((virtualAddress >> (12 + 9 * UInt64(level - 1))) & 0x1FF)
    }

    /// Every non-zero entry as (guest-physical address of the entry, value).
    public func entries() -> [(address: UInt64, entry: PageTableEntry)] {
        var result = tableEntries()
        for gib in 0..<gigabytes {
            for (i, leaf) in directLeaves(gib: gib).enumerated() { result.append((firstDirectPD + gib * 0x1000 + 8 * UInt64(i), leaf)) }
        }
        return result
    }

    /// GiBs of the direct map (one PD each).
    private var gigabytes: UInt64 { (memorySize + BootPageTables.oneGiB - 1) / BootPageTables.oneGiB }

    /// The direct map's 2 MiB leaves in the PD of GiB `gib`, never executable.
    private func directLeaves(gib: UInt64) -> [PageTableEntry] {
        var leaves: [PageTableEntry] = []
        for i in 0..<UInt64(512) {
            let physical = gib * BootPageTables.oneGiB + i * BootPageTables.twoMiB
            guard physical < mappedSize else { break }
            leaves.append(.hugePage(at: physical, executable: false, user: kernelUserAccessible))
        }
        return leaves
    }

    /// The entries but the direct map's leaves (those are written a PD at a time: a limit of
    /// many GiB has thousands).
    private func tableEntries() -> [(address: UInt64, entry: PageTableEntry)] {
        var result: [(UInt64, PageTableEntry)] = []

        // Direct map: PML4 → one PDPT → one PD per GiB → 2 MiB pages.
        result.append((pml4 + 8 * UInt64(Self.index(of: UK_DIRECT_MAP_BASE, level: 4)), .table(at: directPDPT)))
        for gib in 0..<gigabytes {
            let slot = UInt64(Self.index(of: UK_DIRECT_MAP_BASE + gib * BootPageTables.oneGiB, level: 3))
            result.append((directPDPT + 8 * slot, .table(at: firstDirectPD + gib * 0x1000)))
        }

        // Kernel window: the start of guest memory, executable.
        result.append((pml4 + 8 * UInt64(Self.index(of: UK_KERNEL_VIRT_BASE, level: 4)), .table(at: kernelPDPT)))
        result.append((kernelPDPT + 8 * UInt64(Self.index(of: UK_KERNEL_VIRT_BASE, level: 3)), .table(at: kernelPD)))
        for i in 0..<UInt64(512) {
            let physical = i * BootPageTables.twoMiB
            guard physical < min(mappedSize, UK_KERNEL_WINDOW_SIZE) else { break }
            result.append((kernelPD + 8 * i, .hugePage(at: physical, executable: true, user: kernelUserAccessible)))
        }

        // The top GiB's PD, shared by every vCPU's tables.
        result.append((kernelPDPT + 8 * UInt64(Self.index(of: UK_SYSCALL_STUB_WINDOW, level: 3)), .table(at: topPD)))

        // The hypercall page: stores to it exit to the host as MMIO.
        result.append((kernelPD + 8 * UInt64(Self.index(of: UK_HYPERCALL_VIRT, level: 2)),
                       .hugePage(at: UK_HYPERCALL_MMIO_PHYS, executable: false, user: kernelUserAccessible)))
        return result
    }

    /// One past the last byte the tables occupy.
    public var end: UInt64 {
        firstDirectPD + (memorySize + BootPageTables.oneGiB - 1) / BootPageTables.oneGiB * 0x1000
    }

    /// Writes the tables into guest memory (which starts zeroed).
    public func write(into memory: GuestMemory) throws(GuestMemoryError) {
        for (address, entry) in tableEntries() {
            try memory.store(entry.rawValue, at: address)
        }
        for gib in 0..<gigabytes {
            var bytes: [UInt8] = []
            for leaf in directLeaves(gib: gib) { withUnsafeBytes(of: leaf.rawValue.littleEndian) { bytes += $0 } }
            try memory.write(bytes, at: firstDirectPD + gib * 0x1000)
        }
    }
}
