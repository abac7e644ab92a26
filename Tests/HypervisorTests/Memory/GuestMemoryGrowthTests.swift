import Testing
import UnikernelABI

@testable import Hypervisor

/// Guest RAM that grows on demand up to a limit (GuestMemory.grow), and the default limit.
@Suite("Guest memory growth")
struct GuestMemoryGrowthTests {
    @Suite("on KVM", .enabled(if: KVMRequirement.shouldRun, Comment(rawValue: KVMRequirement.skipMessage)))
    struct OnKVM {
        @Test func growthDoublesWithinTheLimitAndWidensTheBounds() throws {
            let vm = try KVMSystem().createVirtualMachine()
            let memory = try GuestMemory(limit: 64 << 20, committed: 16 << 20)
            try vm.mapMemory(memory)
            #expect(memory.size == 16 << 20)
            #expect(throws: GuestMemoryError.self) { try memory.store(UInt64(1), at: 20 << 20) }

            // One byte asked for: RAM doubles (16 → 32 MiB), and the new part is usable.
            #expect(memory.grow(byAtLeast: 1, vm: vm) == 32 << 20)
            try memory.store(UInt64(0x1234), at: 20 << 20)
            #expect(try memory.load(UInt64.self, at: 20 << 20) == 0x1234)

            // More than doubling when asked for more; never past the limit.
            #expect(memory.grow(byAtLeast: 30 << 20, vm: vm) == 64 << 20)
            #expect(memory.grow(byAtLeast: 1, vm: vm) == nil)
            #expect(memory.size == 64 << 20)
            #expect(throws: GuestMemoryError.self) { try memory.store(UInt64(1), at: 64 << 20) }
        }

        @Test func aForkedChildsVMGetsAllCommittedRAMAsOneSlot() throws {
            let system = try KVMSystem()
            let memory = try GuestMemory(limit: 128 << 20, committed: 16 << 20)
            let first = try system.createVirtualMachine()
            try first.mapMemory(memory)
            #expect(memory.grow(byAtLeast: 40 << 20, vm: first) == 56 << 20)
            // A new VM (as a forked runner builds) gets the committed RAM, then grows on its own.
            let second = try system.createVirtualMachine()
            try second.mapMemory(memory)
            #expect(memory.grow(byAtLeast: 1, vm: second) == 112 << 20)
        }

        @Test func growthRefusesNonsense() throws {
            let vm = try KVMSystem().createVirtualMachine()
            let memory = try GuestMemory(limit: 32 << 20, committed: 32 << 20)
            try vm.mapMemory(memory)
            #expect(memory.grow(byAtLeast: 0, vm: vm) == nil)
            #expect(memory.grow(byAtLeast: UInt64.max, vm: vm) == nil)
        }
    }

    @Test func defaultLimitIsTheHostsMemoryRoundedAndBounded() {
        let limit = HostMemoryLimit.forGuest()
        #expect(limit % (2 << 20) == 0)
        #expect(limit >= GuestLayout.minimumMemorySize)
        #expect(limit <= BootPageTables.maximumMemorySize)
        #expect(limit <= HostMemoryLimit.physicalMemory())
        #expect(HostMemoryLimit.clamp((5 << 30) + 12345) == 5 << 30)
        #expect(HostMemoryLimit.clamp(1 << 20) == GuestLayout.minimumMemorySize)
        #expect(HostMemoryLimit.clamp(UInt64.max) == BootPageTables.maximumMemorySize)
    }

    @Test func cgroupLimitValues() {
        #expect(HostMemoryLimit.parseCgroupLimit("max\n") == nil)
        #expect(HostMemoryLimit.parseCgroupLimit("536870912\n") == 536_870_912)
        #expect(HostMemoryLimit.parseCgroupLimit("") == nil)
    }

    @Test func initialRAMCoversTheImagesPlusRoomToStart() throws {
        let layout = try GuestLayout(memorySize: 8 << 30, kernelEnd: 0x300000, imageSize: 0x100000,
                                     argumentBytes: 100, segmentCount: 4)
        #expect(layout.initialRAM >= layout.freeStart + GuestLayout.initialFreeMemory)
        #expect(layout.initialRAM % (2 << 20) == 0)
        #expect(layout.initialRAM < 64 << 20)
        let small = try GuestLayout(memorySize: 16 << 20, kernelEnd: 0x300000, imageSize: 0x100000,
                                    argumentBytes: 100, segmentCount: 4)
        #expect(small.initialRAM == 16 << 20)
    }
}
