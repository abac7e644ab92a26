import CLinux
import SystemPackage

/// A KVM virtual machine: its guest-physical memory slots and its vCPUs.
public final class VirtualMachine {
    let fd: FileDescriptor
    let system: KVMSystem

    init(fd: FileDescriptor, system: KVMSystem) {
        self.fd = fd
        self.system = system
    }

    deinit { try? fd.close() }

    /// Gives `memory`'s RAM, as far as it is committed, to this VM (slot 0; later growth adds
    /// slots of its own: GuestMemory.grow).
    public func mapMemory(_ memory: GuestMemory) throws(KVMError) {
        try memory.registerRAM(in: self)
    }

    /// Backs guest-physical `[guestAddress, guestAddress + size)` with host memory at `host`
    /// as memory slot `slot` (RAM, or a shared window).
    func mapRegion(slot: UInt32, guestAddress: UInt64, size: UInt64, host: UnsafeMutableRawPointer) throws(KVMError) {
        var region = kvm_userspace_memory_region(slot: slot, flags: 0, guest_phys_addr: guestAddress,
                                                 memory_size: size, userspace_addr: UInt64(UInt(bitPattern: host)))
        try KVMSystem.ioctl(fd, CLinux.CKVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION")
    }

    /// Deletes memory slot `slot` (a size of 0, as KVM takes it).
    func unmapRegion(slot: UInt32, guestAddress: UInt64) throws(KVMError) {
        var region = kvm_userspace_memory_region(slot: slot, flags: 0, guest_phys_addr: guestAddress,
                                                 memory_size: 0, userspace_addr: 0)
        try KVMSystem.ioctl(fd, CLinux.CKVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION")
    }

    /// Places the three pages Intel VT-x needs for real-mode emulation outside guest RAM.
    public func setTSSAddress(_ address: UInt64) throws(KVMError) {
        _ = try KVMSystem.ioctl(fd, CLinux.CKVM_SET_TSS_ADDR, UInt(address), "KVM_SET_TSS_ADDR")
    }

    /// Creates vCPU `id` with its `kvm_run` area mapped.
    public func createVirtualCPU(id: UInt32 = 0) throws(KVMError) -> VirtualCPU {
        let size = try system.vcpuMappingSize()
        let vcpuFD = try KVMSystem.ioctl(fd, CLinux.CKVM_CREATE_VCPU, UInt(id), "KVM_CREATE_VCPU")
        return try VirtualCPU(fd: FileDescriptor(rawValue: vcpuFD), runMappingSize: size, vm: self)
    }
}
