import Testing
import UnikernelABI

@testable import Hypervisor

/// The KVM layer driving a few hand-assembled guest instructions.
@Suite("KVM with tiny guests", .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)))
struct TinyGuestTests {
    @Test func realModeGuestWritesAPortAndHalts() throws {
        let kvm = try KVMSystem()
        let vm = try kvm.createVirtualMachine()
        let memory = try GuestMemory(size: 1 << 20)
        try vm.mapMemory(memory)
        try memory.write([
            0xBA, 0xF8, 0x03,  // mov dx, 0x3f8
            0xB0, 0x41,        // mov al, 'A'
            0xEE,              // out dx, al
            0xF4,              // hlt
        ], at: 0x1000)
        let vcpu = try vm.createVirtualCPU()
        var sregs = try vcpu.specialRegisters()
        sregs.cs.base = 0
        sregs.cs.selector = 0
        try vcpu.setSpecialRegisters(sregs)
        var regs = try vcpu.registers()
        regs.rip = 0x1000
        regs.rflags = 2
        try vcpu.setRegisters(regs)

        #expect(try vcpu.runOnce() == .portWrite(port: 0x3F8, size: 1, value: 0x41))
        #expect(try vcpu.runOnce() == .halt)
    }

    /// Boots straight into 64-bit mode with the boot page tables and GDT,
    /// reads the boot-info page through the direct map and reports it.
    @Test func longModeBootReachesKernelWindowAndDirectMap() throws {
        let (kvm, vm, memory, tables) = try longModeMachine()
        try memory.store(UInt64(0xCAFE_BABE), at: UK_BOOT_INFO_PHYS)
        try memory.write([
            0x48, 0x8B, 0x07,        // mov rax, [rdi]      ; rdi = boot info in the direct map
            0x66, 0xBA, 0x00, 0x05,  // mov dx, 0x500
            0xEF,                    // out dx, eax
            0xF4,                    // hlt
        ], at: UK_KERNEL_PHYS_BASE)
        let vcpu = try vm.createVirtualCPU()
        try vcpu.setCPUID(try kvm.supportedCPUID())
        let state = BootCPUState(entry: UK_KERNEL_VIRT_BASE + UK_KERNEL_PHYS_BASE, pageTableRoot: tables.pml4)
        try vcpu.setSpecialRegisters(state.specialRegisters(from: try vcpu.specialRegisters()))
        try vcpu.setRegisters(state.registers)

        #expect(try vcpu.runOnce() == .portWrite(port: 0x500, size: 4, value: 0xCAFE_BABE))
        #expect(try vcpu.runOnce() == .halt)
    }

    /// On this platform `out` faults at CPL3, so the kernel reaches the host by
    /// storing to the hypercall page; the store must exit as MMIO with its data.
    @Test func userModeStoreToHypercallPageExitsAsMMIO() throws {
        let (kvm, vm, memory, tables) = try longModeMachine()
        var code: [UInt8] = [0x48, 0xB8]                                   // movabs rax, 0x1234
        code += withUnsafeBytes(of: UInt64(0x1234).littleEndian, Array.init)
        code += [0x48, 0xA3]                                               // movabs [UK_HYPERCALL_VIRT + 8], rax
        code += withUnsafeBytes(of: (UK_HYPERCALL_VIRT + 8).littleEndian, Array.init)
        code += [0xEB, 0xFE]                                               // jmp .
        try memory.write(code, at: UK_KERNEL_PHYS_BASE)
        let vcpu = try vm.createVirtualCPU()
        try vcpu.setCPUID(try kvm.supportedCPUID())
        let state = BootCPUState(entry: UK_KERNEL_VIRT_BASE + UK_KERNEL_PHYS_BASE, pageTableRoot: tables.pml4)
        var sregs = state.specialRegisters(from: try vcpu.specialRegisters())
        sregs.cs.dpl = 3; sregs.cs.selector = 0x2B
        sregs.ss.dpl = 3; sregs.ss.selector = 0x23
        try vcpu.setSpecialRegisters(sregs)
        try vcpu.setRegisters(state.registers)

        #expect(try vcpu.runOnce() == .mmio(address: UK_HYPERCALL_MMIO_PHYS + 8, isWrite: true, length: 8, data: 0x1234))
    }

    @Test func supportedCPUIDReportsLongMode() throws {
        let table = try KVMSystem().supportedCPUID()
        let extended = try #require(table.entry(function: 0x8000_0001))
        #expect(extended.edx & (1 << 29) != 0)
    }

    /// A VM with 16 MiB of memory holding the boot page tables and the boot GDT, as the
    /// hypervisor lays them out for 64-bit entry.
    private func longModeMachine() throws -> (KVMSystem, VirtualMachine, GuestMemory, BootPageTables) {
        let kvm = try KVMSystem()
        let vm = try kvm.createVirtualMachine()
        let memory = try GuestMemory(size: 16 << 20)
        try vm.mapMemory(memory)
        let tables = BootPageTables(memorySize: memory.size, kernelUserAccessible: true)
        try tables.write(into: memory)
        try BootGDT().write(into: memory)
        return (kvm, vm, memory, tables)
    }
}
