import Testing
import UnikernelABI

@testable import Hypervisor

/// Segment descriptors of the boot GDT and their KVM twins.
@Suite("Boot GDT")
struct GDTTests {
    @Test func encodesLongModeKernelCodeDescriptor() {
        // Base 0, limit 0xFFFFF, G=1, L=1, D=0, P=1, DPL=0, S=1, type=0xB.
        #expect(SegmentDescriptor.kernelCode.encoded == 0x00AF_9B00_0000_FFFF)
    }

    @Test func encodesKernelDataDescriptor() {
        #expect(SegmentDescriptor.kernelData.encoded == 0x00CF_9300_0000_FFFF)
    }

    @Test func placesDescriptorsAtTheSelectorsTheKernelUses() {
        let gdt = BootGDT()
        #expect(gdt.descriptors[0] == 0)
        #expect(gdt.descriptors[Int(UK_KERNEL_CS) / 8] == SegmentDescriptor.kernelCode.encoded)
        #expect(gdt.descriptors[Int(UK_KERNEL_DS) / 8] == SegmentDescriptor.kernelData.encoded)
        #expect(gdt.limit == 23)
    }

    @Test func kvmSegmentMatchesTheDescriptor() {
        let code = SegmentDescriptor.kernelCode.kvmSegment(selector: 8)
        #expect(code.selector == 8)
        #expect(code.l == 1 && code.db == 0 && code.g == 1 && code.present == 1 && code.s == 1)
        #expect(code.type == 0xB)
        #expect(code.limit == 0xFFFF_FFFF)
    }

    @Test func bootStateEntersLongModeWithPaging() {
        let state = BootCPUState(entry: UK_KERNEL_VIRT_BASE + UK_KERNEL_PHYS_BASE, pageTableRoot: UK_PAGE_TABLES_PHYS)
        #expect(state.cr0 & BootCPUState.cr0Paging != 0)
        #expect(state.cr0 & BootCPUState.cr0ProtectionEnable != 0)
        #expect(state.cr4 & BootCPUState.cr4PhysicalAddressExtension != 0)
        #expect(state.efer & BootCPUState.eferLongModeActive != 0)
        #expect(state.registers.rdi == UK_DIRECT_MAP_BASE + UK_BOOT_INFO_PHYS)
        #expect(state.registers.rflags == 2)
    }
}
