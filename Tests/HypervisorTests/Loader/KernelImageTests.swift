import Testing
import UnikernelABI

@testable import Hypervisor

extension LoaderTests {
    /// What a valid kernel's plan looks like and how it lands in guest-physical memory.
    @Suite("Kernel image planning")
    struct KernelImageTests {
        @Test func kernelWindowMatchesTheABIHeader() {
            #expect(MalformedELF.kernelVirtualBase == UK_KERNEL_VIRT_BASE)
            #expect(MalformedELF.kernelPhysicalBase == UK_KERNEL_PHYS_BASE)
            #expect(ELF.kernelPhysicalLimit == UK_KERNEL_PHYS_BASE + UK_KERNEL_MAX_SIZE)
            #expect(ELF.pageSize == UK_PAGE_SIZE)
        }

        @Test func plansKernelAtItsPhysicalAddresses() throws {
            let kernel = try KernelImage.plan(bytes: MalformedELF.kernel().bytes(), path: "kernel.elf")
            #expect(kernel.entry == 0xffff_ffff_8020_0000)
            #expect(kernel.segments.map(\.physicalAddress) == [0x20_0000, 0x20_1000])
            #expect(kernel.physicalStart == 0x20_0000)
            #expect(kernel.physicalEnd == 0x20_3000)
        }

        @Test func writesSegmentsAtPhysicalAddressesAndZeroesBss() throws {
            let kernel = try KernelImage.plan(bytes: MalformedELF.kernel().bytes(), path: "kernel.elf")
            var memory = [UInt8](repeating: 0xcc, count: 0x40_0000)
            try memory.withUnsafeMutableBytes { try kernel.write(into: $0) }
            #expect(Array(memory[0x20_0000..<0x20_0003]) == MalformedELF.kernelCode)
            #expect(Array(memory[0x20_1000..<0x20_1008]) == [1, 2, 3, 4, 5, 6, 7, 8])
            #expect(memory[0x20_1008..<0x20_3000].allSatisfy { $0 == 0 })  // .bss
            // Outside the segments nothing is touched.
            #expect(memory[0x1f_ffff] == 0xcc)
            #expect(memory[0x20_0003] == 0xcc)
            #expect(memory[0x20_3000] == 0xcc)
        }

        @Test func writesOnlyFileBytesIntoZeroedMemory() throws {
            let kernel = try KernelImage.plan(bytes: MalformedELF.kernel().bytes(), path: "kernel.elf")
            var memory = [UInt8](repeating: 0xcc, count: 0x40_0000)
            try memory.withUnsafeMutableBytes { try kernel.write(into: $0, zeroed: true) }
            #expect(Array(memory[0x20_1000..<0x20_1008]) == [1, 2, 3, 4, 5, 6, 7, 8])
            #expect(memory[0x20_1008..<0x20_3000].allSatisfy { $0 == 0xcc })  // .bss left to the zero memory
        }

        @Test func acceptsKernelFillingTheWholeWindow() throws {
            let bytes = MalformedELF.kernelWith { $0.headers[1].memorySize = UK_KERNEL_MAX_SIZE - 0x1000 }
            let kernel = try KernelImage.plan(bytes: bytes, path: "kernel.elf")
            #expect(kernel.physicalEnd == UK_KERNEL_PHYS_BASE + UK_KERNEL_MAX_SIZE)
        }
    }
}
