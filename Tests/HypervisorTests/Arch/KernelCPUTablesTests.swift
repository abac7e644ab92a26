import Testing
import UnikernelABI

@testable import Hypervisor

/// The descriptor tables and CPU state the host prepares for the kernel.
@Suite("Prepared kernel CPU state")
struct KernelCPUTablesTests {
    let tables = KernelCPUTables(tablesPhysical: 0x30_0000, exceptionStubs: 0xFFFF_FFFF_8020_0210,
                                 kernelStackTop: 0xFFFF_FFFF_8023_1000)

    @Test func encodesUserSegmentsForSysret() {
        #expect(SegmentDescriptor.userData.encoded == 0x00CF_F300_0000_FFFF)
        #expect(SegmentDescriptor.userCode.encoded == 0x00AF_FB00_0000_FFFF)
        #expect(tables.gdt[Int(KernelCPUTables.userDataSelector) / 8] == SegmentDescriptor.userData.encoded)
        #expect(tables.gdt[Int(KernelCPUTables.userCodeSelector) / 8] == SegmentDescriptor.userCode.encoded)
        // SYSRET takes SS from STAR[63:48] + 8 and CS from + 16: 0x13 gives 0x1B and 0x23.
        #expect((PreparedCPUState.star >> 48) + 8 == UInt64(KernelCPUTables.userDataSelector))
        #expect((PreparedCPUState.star >> 48) + 16 == UInt64(KernelCPUTables.userCodeSelector))
    }

    @Test func tssDescriptorPointsAtTheTSSThroughTheDirectMap() {
        let low = tables.gdt[5], high = tables.gdt[6]
        let base = ((low >> 16) & 0xFF_FFFF) | ((low >> 56) & 0xFF) << 24 | high << 32
        #expect(base == UK_DIRECT_MAP_BASE + tables.tssPhysical)
        #expect((low >> 40) & 0xFF == 0x89)  // present, 64-bit TSS (available)
        #expect(low & 0xFFFF == 103)
    }

    @Test func idtRoutesEachVectorToItsStubOnItsISTStack() {
        let idt = tables.idt
        #expect(idt.count == Int(UK_IDT_VECTORS) * 2)
        for vector in [0, 2, 6, 8, 13, 14, 18, 31, Int(UK_TIMER_VECTOR)] {
            let low = idt[vector * 2], high = idt[vector * 2 + 1]
            let handler = (low & 0xFFFF) | ((low >> 48) & 0xFFFF) << 16 | high << 32
            #expect(handler == tables.exceptionStubs + UInt64(vector) * 16)
            #expect((low >> 16) & 0xFFFF == UInt64(UK_KERNEL_CS))
            #expect((low >> 32) & 0x7 == KernelCPUTables.istIndex(for: vector))
            #expect((low >> 40) & 0xFF == 0x8E)  // present, DPL 0, interrupt gate
        }
    }

    @Test func tssHoldsTheKernelStackAndFourISTStacks() {
        let stores = Dictionary(uniqueKeysWithValues: tables.tss.map { ($0.offset, $0.value) })
        #expect(stores[4] == tables.kernelStackTop)
        for index in 1...4 {
            #expect(stores[36 + UInt64(index - 1) * 8] == tables.istTop(index))
        }
        #expect(tables.istTop(4) - tables.istTop(1) == 3 * UK_IST_STACK_SIZE)
        #expect(tables.istTop(4) <= UK_DIRECT_MAP_BASE + tables.tablesPhysical + UK_CPU_TABLES_SIZE)
    }

    func cpuid(ecx1: UInt32, ebx7: UInt32, xsave: UInt64) -> CPUIDTable {
        CPUIDTable(entries: [
            .init(function: 1, index: 0, flags: 0, eax: 0, ebx: 0, ecx: ecx1, edx: 0),
            .init(function: 7, index: 0, flags: 1, eax: 0, ebx: ebx7, ecx: 0, edx: 0),
            .init(function: 0xD, index: 0, flags: 1, eax: UInt32(xsave & 0xFFFF_FFFF), ebx: 0x440, ecx: 0,
                  edx: UInt32(xsave >> 32)),
        ])
    }

    @Test func enablesWhatCPUIDOffers() {
        let boot = BootCPUState(entry: 0, pageTableRoot: UK_PAGE_TABLES_PHYS)
        let full = PreparedCPUState(cpuid: cpuid(ecx1: 1 << 26, ebx7: 1, xsave: 0xE7), boot: boot, sseDisabled: false, hostXCR0: nil)
        #expect(full.cr4 & PreparedCPUState.cr4OSFXSR != 0)
        #expect(full.cr4 & PreparedCPUState.cr4OSXSAVE != 0)
        #expect(full.cr4 & PreparedCPUState.cr4FSGSBASE != 0)
        #expect(full.xcr0 == 0xE7)
        #expect(full.efer & PreparedCPUState.eferSCE != 0)

        let avxOnly = PreparedCPUState(cpuid: cpuid(ecx1: 1 << 26, ebx7: 0, xsave: 0x7), boot: boot, sseDisabled: false, hostXCR0: nil)
        #expect(avxOnly.xcr0 == 0x7)
        #expect(avxOnly.cr4 & PreparedCPUState.cr4FSGSBASE == 0)

        let noXSAVE = PreparedCPUState(cpuid: cpuid(ecx1: 0, ebx7: 0, xsave: 0x7), boot: boot, sseDisabled: false)
        #expect(noXSAVE.xcr0 == nil)

        let faulted = PreparedCPUState(cpuid: cpuid(ecx1: 1 << 26, ebx7: 1, xsave: 0xE7), boot: boot, sseDisabled: true)
        #expect(faulted.cr4 & (PreparedCPUState.cr4OSFXSR | PreparedCPUState.cr4OSXSAVE) == 0)
    }

    @Test func enablesTheHostsXCR0AsFarAsKVMOffersIt() {
        let boot = BootCPUState(entry: 0, pageTableRoot: UK_PAGE_TABLES_PHYS)
        // A host with protection keys: Linux gives processes x87|SSE|AVX|PKRU (0x207).
        let pkru = PreparedCPUState(cpuid: cpuid(ecx1: 1 << 26, ebx7: 0, xsave: 0x2E7), boot: boot, sseDisabled: false,
                                    hostXCR0: 0x207, hostProtectionKeys: true)
        #expect(pkru.xcr0 == 0x207)
        // Components the host enables but KVM does not offer stay off.
        let narrower = PreparedCPUState(cpuid: cpuid(ecx1: 1 << 26, ebx7: 0, xsave: 0x7), boot: boot, sseDisabled: false,
                                        hostXCR0: 0x2E7, hostProtectionKeys: false)
        #expect(narrower.xcr0 == 0x7)
    }

    @Test func syscallMaskClearsIFOnlyWhereTheKernelRunsAtCPL0() {
        #expect(PreparedCPUState.syscallFlagMask & 0x200 == 0)
        let user = PreparedCPUState.modelSpecificRegisters(syscallEntry: 0xABC, kernelPrivileged: false)
        #expect(user.contains { $0.0 == PreparedCPUState.msrLSTAR && $0.1 == 0xABC })
        #expect(user.contains { $0.0 == PreparedCPUState.msrFMASK && $0.1 & 0x200 == 0 })
        let privileged = PreparedCPUState.modelSpecificRegisters(syscallEntry: 0xABC, kernelPrivileged: true)
        #expect(privileged.contains { $0.0 == PreparedCPUState.msrFMASK && $0.1 & 0x200 != 0 })
    }
}
