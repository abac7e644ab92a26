import UnikernelABI

/// The kernel's own GDT (null, kernel code 0x08, kernel data 0x10, user data
/// 0x1B, user code 0x23 — the order SYSRET requires — and the TSS at 0x28), the TSS with
/// its IST stacks, and the IDT routing vectors 0-31 to the exception stubs.
/// Every gate runs on an IST stack, never on the kernel stack the CPL3 kernel
/// may be using.
enum DescriptorTables {
    static let tssSelector: UInt16 = 0x28
    static let userDataSelector: UInt16 = 0x1B
    static let userCodeSelector: UInt16 = 0x23
    static let istStackSize: UInt64 = 16 * 1024

    /// IST slot used per vector: 1 = #DF, 2 = NMI, 3 = #MC, 4 = everything else.
    static func istIndex(for vector: Int) -> UInt64 {
        switch vector {
        case 8: return 1
        case 2: return 2
        case 18: return 3
        default: return 4
        }
    }

    /// Builds and loads GDT, TSS and IDT; panics when memory runs out.
    static func install() {
        guard let tablePage = Frames.allocate(), let idtPage = Frames.allocate() else {
            kernelPanic("no frames for descriptor tables")
        }
        let table = DirectMap.pointer(tablePage)
        let tssOffset = 0x100
        let tssAddress = DirectMap.virtualAddress(tablePage) + UInt64(tssOffset)

        // SAFETY: tablePage is a fresh, zeroed frame owned by the descriptor
        // tables; the GDT (7 qwords), the TSS (104 bytes at 0x100) and the two
        // descriptor pointers (at 0x800, 0x810) all lie inside its 4096 bytes.
        table.storeBytes(of: 0, toByteOffset: 0, as: UInt64.self)
        table.storeBytes(of: 0x00AF_9A00_0000_FFFF, toByteOffset: 8, as: UInt64.self)
        table.storeBytes(of: 0x00CF_9200_0000_FFFF, toByteOffset: 16, as: UInt64.self)
        table.storeBytes(of: 0x00CF_F200_0000_FFFF, toByteOffset: 24, as: UInt64.self)
        table.storeBytes(of: 0x00AF_FA00_0000_FFFF, toByteOffset: 32, as: UInt64.self)
        let limit: UInt64 = 103
        let low = (limit & 0xFFFF) | ((tssAddress & 0xFF_FFFF) << 16) | (0x89 << 40)
            | ((limit >> 16) & 0xF) << 48 | ((tssAddress >> 24) & 0xFF) << 56
        table.storeBytes(of: low, toByteOffset: 40, as: UInt64.self)
        table.storeBytes(of: tssAddress >> 32, toByteOffset: 48, as: UInt64.self)
        // RSP0: the kernel stack, should a gate ever run without IST.
        table.storeBytes(of: uk_kernel_stack_top_address(), toByteOffset: tssOffset + 4, as: UInt64.self)

        for ist in 1...4 {
            guard let stack = Frames.allocateContiguous(pages: Int(istStackSize / UK_PAGE_SIZE)) else {
                kernelPanic("no frames for IST stacks")
            }
            let top = DirectMap.virtualAddress(stack) + istStackSize
            table.storeBytes(of: top, toByteOffset: tssOffset + 36 + (ist - 1) * 8, as: UInt64.self)
        }
        table.storeBytes(of: 104, toByteOffset: tssOffset + 102, as: UInt16.self)

        table.storeBytes(of: UInt16(55), toByteOffset: 0x800, as: UInt16.self)
        table.storeBytes(of: DirectMap.virtualAddress(tablePage), toByteOffset: 0x802, as: UInt64.self)
        uk_load_gdt(UnsafeRawPointer(table + 0x800), UInt16(UK_KERNEL_CS), UInt16(UK_KERNEL_DS))
        uk_load_tr(tssSelector)

        let idt = DirectMap.pointer(idtPage)
        let stubs = uk_exception_stubs_base()
        for vector in 0..<32 {
            let handler = stubs + UInt64(vector) * 16
            let low = (handler & 0xFFFF) | (UInt64(UK_KERNEL_CS) << 16) | (istIndex(for: vector) << 32)
                | (0x8E << 40) | ((handler >> 16) & 0xFFFF) << 48
            // SAFETY: 32 gates of 16 bytes lie inside the fresh zeroed IDT page.
            idt.storeBytes(of: low, toByteOffset: vector * 16, as: UInt64.self)
            idt.storeBytes(of: handler >> 32, toByteOffset: vector * 16 + 8, as: UInt64.self)
        }
        // SAFETY: the IDT pointer is written into the descriptor-table page at 0x810.
        table.storeBytes(of: UInt16(4095), toByteOffset: 0x810, as: UInt16.self)
        table.storeBytes(of: DirectMap.virtualAddress(idtPage), toByteOffset: 0x812, as: UInt64.self)
        uk_load_idt(UnsafeRawPointer(table + 0x810))
    }
}
