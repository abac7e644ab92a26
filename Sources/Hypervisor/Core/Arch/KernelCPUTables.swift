import CLinux
import UnikernelABI

extension SegmentDescriptor {
    /// User data (stack) segment, DPL 3: selector 0x1B.
    public static let userData = SegmentDescriptor(type: 0x3, privilegeLevel: 3, isLongMode: false, isDefault32Bit: true)
    /// 64-bit user code segment, DPL 3: selector 0x23 (SYSRET's layout: data below code).
    public static let userCode = SegmentDescriptor(type: 0xB, privilegeLevel: 3, isLongMode: true, isDefault32Bit: false)
}

/// One vCPU's descriptor tables and CPU-local page, built by the host (the one
/// definition: no kernel start-up code sets up the CPU; on kvm-pvm CPL0 code
/// is emulated): the GDT with user segments and a TSS, the TSS with RSP0 and
/// four IST stacks, the IDT routing vectors 0-31 and the tick to the kernel's
/// stubs, and the page tables that give this vCPU alone its CPU-local page at
/// UK_CPU_LOCAL_VIRT. The layout is the boot protocol's (unikernel_abi.h,
/// UK_BOOT_CPU_PREPARED, UK_CPU_*_OFFSET).
public struct KernelCPUTables: Sendable {
    public static let userDataSelector: UInt16 = 0x1B
    public static let userCodeSelector: UInt16 = 0x23
    public static let tssSelector: UInt16 = 0x28

    /// Guest-physical start of this vCPU's area (UK_CPU_TABLES_SIZE bytes).
    public var tablesPhysical: UInt64
    /// The vCPU's index.
    public var cpu: Int
    /// The kernel's exception stubs (16 bytes apart) and its stack top, from its symbols.
    public var exceptionStubs: UInt64
    public var kernelStackTop: UInt64

    public init(tablesPhysical: UInt64, cpu: Int = 0, exceptionStubs: UInt64, kernelStackTop: UInt64) {
        self.tablesPhysical = tablesPhysical
        self.cpu = cpu
        self.exceptionStubs = exceptionStubs
        self.kernelStackTop = kernelStackTop
    }

    public var idtPhysical: UInt64 { tablesPhysical + UK_CPU_IDT_OFFSET }
    public var tssPhysical: UInt64 { tablesPhysical + UK_CPU_TSS_OFFSET }
    public var gdtPhysical: UInt64 { tablesPhysical + UK_CPU_GDT_OFFSET }
    public var localPhysical: UInt64 { tablesPhysical + UK_CPU_LOCAL_OFFSET }
    /// The vCPU's CR3: its own PML4.
    public var pageTableRoot: UInt64 { tablesPhysical + UK_CPU_PML4_OFFSET }
    /// The top of IST stack `index` (1-based), as the kernel sees it (direct map).
    public func istTop(_ index: Int) -> UInt64 {
        UK_DIRECT_MAP_BASE + tablesPhysical + UK_CPU_IST_OFFSET + UInt64(index) * UK_IST_STACK_SIZE
    }

    /// IST slot per vector: 1 = #DF, 2 = NMI, 3 = #MC, 4 = everything else.
    public static func istIndex(for vector: Int) -> UInt64 {
        switch vector {
        case 8: return 1
        case 2: return 2
        case 18: return 3
        default: return 4
        }
    }

    /// The GDT: null, kernel code, kernel data, user data, user code, and the 16-byte TSS descriptor.
    public var gdt: [UInt64] {
        let tss = UK_DIRECT_MAP_BASE + tssPhysical
        let limit: UInt64 = 103
        let low = (limit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | (0x89 << 40)
            | ((limit >> 16) & 0xF) << 48 | ((tss >> 24) & 0xFF) << 56
        return [0, SegmentDescriptor.kernelCode.encoded, SegmentDescriptor.kernelData.encoded,
                SegmentDescriptor.userData.encoded, SegmentDescriptor.userCode.encoded, low, tss >> 32]
    }

    /// The IDT's interrupt gates (16 bytes each: low and high quadwords): the 32 exception
    /// vectors and the scheduler's tick, UK_TIMER_VECTOR (whose stub follows theirs).
    public var idt: [UInt64] {
        (0..<Int(UK_IDT_VECTORS)).flatMap { vector -> [UInt64] in
            let handler = exceptionStubs + UInt64(vector) * 16
            let low = (handler & 0xFFFF) | (UInt64(UK_KERNEL_CS) << 16) | (Self.istIndex(for: vector) << 32)
                | (0x8E << 40) | ((handler >> 16) & 0xFFFF) << 48
            return [low, handler >> 32]
        }
    }

    /// The 104-byte TSS as (offset, value) stores: RSP0, IST1-4, and no I/O bitmap.
    public var tss: [(offset: UInt64, value: UInt64)] {
        var stores: [(UInt64, UInt64)] = [(4, kernelStackTop)]
        for index in 1...Int(UK_IST_COUNT) { stores.append((36 + UInt64(index - 1) * 8, istTop(index))) }
        return stores
    }

    /// Writes the three tables, the CPU-local page's header and the vCPU's page tables into
    /// guest memory. The boot page tables (`template`) must be written first: the vCPU's
    /// tables start as copies of theirs.
    public func write(into memory: GuestMemory, template: BootPageTables) throws(GuestMemoryError) {
        for (index, descriptor) in gdt.enumerated() { try memory.store(descriptor, at: gdtPhysical + UInt64(index * 8)) }
        for (index, word) in idt.enumerated() { try memory.store(word, at: idtPhysical + UInt64(index * 8)) }
        for (offset, value) in tss { try memory.store(value, at: tssPhysical + offset) }
        try memory.store(UInt16(104), at: tssPhysical + 102)  // I/O map base past the limit: no bitmap
        try memory.store(UInt64(cpu), at: localPhysical + UInt64(MemoryLayout<uk_cpu_local_header>.offset(of: \uk_cpu_local_header.cpu)!))
        try memory.store(localPhysical, at: localPhysical + UInt64(MemoryLayout<uk_cpu_local_header>.offset(of: \uk_cpu_local_header.local_phys)!))
        try writePageTables(into: memory, template: template)
    }

    /// The vCPU's PML4, PDPT, PD and PT: copies of the boot tables down the path to
    /// UK_CPU_LOCAL_VIRT, whose last entry maps this vCPU's CPU-local page.
    private func writePageTables(into memory: GuestMemory, template: BootPageTables) throws(GuestMemoryError) {
        let pml4 = tablesPhysical + UK_CPU_PML4_OFFSET, pdpt = tablesPhysical + UK_CPU_PDPT_OFFSET
        let pd = tablesPhysical + UK_CPU_PD_OFFSET, pt = tablesPhysical + UK_CPU_PT_OFFSET
        try memory.write(try memory.read(at: template.pml4, length: UK_PAGE_SIZE), at: pml4)
        try memory.write(try memory.read(at: template.kernelPDPT, length: UK_PAGE_SIZE), at: pdpt)
        try memory.write(try memory.read(at: template.kernelPD, length: UK_PAGE_SIZE), at: pd)
        try memory.write([UInt8](repeating: 0, count: Int(UK_PAGE_SIZE)), at: pt)
        let index = { (level: Int) in UInt64(BootPageTables.index(of: UK_CPU_LOCAL_VIRT, level: level)) }
        try memory.store(PageTableEntry.table(at: pdpt).rawValue, at: pml4 + 8 * index(4))
        try memory.store(PageTableEntry.table(at: pd).rawValue, at: pdpt + 8 * index(3))
        try memory.store(PageTableEntry.table(at: pt).rawValue, at: pd + 8 * index(2))
        try memory.store(PageTableEntry.page(at: localPhysical, user: template.kernelUserAccessible).rawValue, at: pt + 8 * index(1))
    }

    /// `current` with these tables loaded and the CPU in the kernel's segments:
    /// kernel code and data at CPL0 when `privileged`, else user code and data at CPL3.
    public func specialRegisters(from current: kvm_sregs, privileged: Bool) -> kvm_sregs {
        var sregs = current
        let data: kvm_segment
        if privileged {
            sregs.cs = SegmentDescriptor.kernelCode.kvmSegment(selector: UInt16(UK_KERNEL_CS))
            data = SegmentDescriptor.kernelData.kvmSegment(selector: UInt16(UK_KERNEL_DS))
        } else {
            sregs.cs = SegmentDescriptor.userCode.kvmSegment(selector: Self.userCodeSelector)
            data = SegmentDescriptor.userData.kvmSegment(selector: Self.userDataSelector)
        }
        sregs.ss = data; sregs.ds = data; sregs.es = data; sregs.fs = data; sregs.gs = data
        sregs.gdt.base = UK_DIRECT_MAP_BASE + gdtPhysical
        sregs.gdt.limit = UInt16(gdt.count * 8 - 1)
        sregs.idt.base = UK_DIRECT_MAP_BASE + idtPhysical
        sregs.idt.limit = UInt16(UK_IDT_VECTORS * 16 - 1)
        var task = kvm_segment()
        task.base = UK_DIRECT_MAP_BASE + tssPhysical
        task.limit = 103
        task.selector = Self.tssSelector
        task.type = 0xB
        task.present = 1
        sregs.tr = task
        sregs.cr3 = pageTableRoot
        return sregs
    }
}
