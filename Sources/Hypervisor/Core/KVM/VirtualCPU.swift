import CLinux
import Glibc
import SystemPackage

/// One virtual CPU: register state, CPUID, and the run loop's single step.
public final class VirtualCPU {
    let fd: FileDescriptor
    let vm: VirtualMachine
    /// The `kvm_run` area KVM shares with user space.
    let run: UnsafeMutablePointer<kvm_run>
    private let runMappingSize: Int

    init(fd: FileDescriptor, runMappingSize: Int, vm: VirtualMachine) throws(KVMError) {
        self.fd = fd
        self.vm = vm
        self.runMappingSize = runMappingSize
        let mapping = mmap(nil, runMappingSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0)
        guard let mapping, mapping != MAP_FAILED else {
            try? fd.close()
            throw .runMappingFailed(errno: .current)
        }
        // SAFETY: KVM maps a kvm_run structure at offset 0 of the vCPU fd.
        run = mapping.bindMemory(to: kvm_run.self, capacity: 1)
    }

    deinit {
        munmap(run, runMappingSize)
        try? fd.close()
    }

    public func registers() throws(KVMError) -> kvm_regs {
        var regs = kvm_regs()
        try KVMSystem.ioctl(fd, CLinux.CKVM_GET_REGS, &regs, "KVM_GET_REGS")
        return regs
    }

    public func setRegisters(_ regs: kvm_regs) throws(KVMError) {
        var regs = regs
        try KVMSystem.ioctl(fd, CLinux.CKVM_SET_REGS, &regs, "KVM_SET_REGS")
    }

    public func specialRegisters() throws(KVMError) -> kvm_sregs {
        var sregs = kvm_sregs()
        try KVMSystem.ioctl(fd, CLinux.CKVM_GET_SREGS, &sregs, "KVM_GET_SREGS")
        return sregs
    }

    public func setSpecialRegisters(_ sregs: kvm_sregs) throws(KVMError) {
        var sregs = sregs
        try KVMSystem.ioctl(fd, CLinux.CKVM_SET_SREGS, &sregs, "KVM_SET_SREGS")
    }

    public func floatingPointState() throws(KVMError) -> kvm_fpu {
        var fpu = kvm_fpu()
        try KVMSystem.ioctl(fd, CLinux.CKVM_GET_FPU, &fpu, "KVM_GET_FPU")
        return fpu
    }

    public func setFloatingPointState(_ fpu: kvm_fpu) throws(KVMError) {
        var fpu = fpu
        try KVMSystem.ioctl(fd, CLinux.CKVM_SET_FPU, &fpu, "KVM_SET_FPU")
    }

    /// Sets XCR0, the enabled XSAVE state components.
    public func setXCR0(_ value: UInt64) throws(KVMError) {
        guard ckvm_set_xcr0(fd.rawValue, value) >= 0 else { throw .ioctlFailed(call: "KVM_SET_XCRS", errno: .current) }
    }

    /// Writes several model-specific registers in one ioctl.
    public func setModelSpecificRegisters(_ registers: [(UInt32, UInt64)]) throws(KVMError) {
        let indices = registers.map(\.0), values = registers.map(\.1)
        guard ckvm_set_msrs(fd.rawValue, indices, values, UInt32(registers.count)) == Int32(registers.count) else {
            throw .ioctlFailed(call: "KVM_SET_MSRS(\(registers.count))", errno: .current)
        }
    }

    /// Sets the CPUID leaves the guest sees; must happen before the guest touches CR4/XCR0.
    public func setCPUID(_ table: CPUIDTable) throws(KVMError) {
        let buffer = CPUIDTable.RawBuffer(entries: table.entries)
        // SAFETY: the buffer is a kvm_cpuid2 header with nent entries following it.
        guard ckvm_ioctl_ptr(fd.rawValue, CLinux.CKVM_SET_CPUID2, buffer.pointer) >= 0 else {
            throw .ioctlFailed(call: "KVM_SET_CPUID2", errno: .current)
        }
    }

    /// The guest TSC frequency in kHz.
    public func tscFrequencyKHz() throws(KVMError) -> UInt64 {
        UInt64(try KVMSystem.ioctl(fd, CLinux.CKVM_GET_TSC_KHZ, 0, "KVM_GET_TSC_KHZ"))
    }

    /// Runs the guest until its next exit and decodes why it stopped.
    public func runOnce() throws(KVMError) -> VMExit {
        if ckvm_ioctl_value(fd.rawValue, CLinux.CKVM_RUN, 0) < 0 {
            let errno = Errno.current
            if errno == .interrupted || errno == .resourceTemporarilyUnavailable { return .interrupted }
            throw .ioctlFailed(call: "KVM_RUN", errno: errno)
        }
        return decodeExit()
    }

    /// The exit described by the `kvm_run` area right now.
    func decodeExit() -> VMExit {
        switch Int32(ckvm_run_exit_reason(run)) {
        case KVM_EXIT_IO:
            var direction: UInt8 = 0, size: UInt8 = 0, port: UInt16 = 0
            var count: UInt32 = 0, offset: UInt64 = 0
            ckvm_run_io(run, &direction, &size, &port, &count, &offset)
            if Int32(direction) == KVM_EXIT_IO_IN { return .portRead(port: port, size: size) }
            var value: UInt32 = 0
            // SAFETY: KVM places the `size` data bytes at `offset` inside the run mapping.
            if offset + UInt64(size) <= UInt64(runMappingSize), size <= 4 {
                let bytes = UnsafeRawPointer(run).advanced(by: Int(offset))
                for i in 0..<Int(size) { value |= UInt32(bytes.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt32(i)) }
            }
            return .portWrite(port: port, size: size, value: value)
        case KVM_EXIT_HLT:
            return .halt
        case KVM_EXIT_SHUTDOWN:
            return .shutdown
        case KVM_EXIT_FAIL_ENTRY:
            return .failEntry(hardwareReason: ckvm_run_fail_entry_reason(run))
        case KVM_EXIT_INTERNAL_ERROR:
            return .internalError(suberror: ckvm_run_internal_suberror(run))
        case KVM_EXIT_MMIO:
            var address: UInt64 = 0, isWrite: UInt8 = 0, length: UInt32 = 0, data: UInt64 = 0
            ckvm_run_mmio(run, &address, &isWrite, &length, &data)
            return .mmio(address: address, isWrite: isWrite != 0, length: length, data: data)
        case KVM_EXIT_INTR:
            return .interrupted
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return .interruptWindowOpen
        default:
            return .other(reason: ckvm_run_exit_reason(run))
        }
    }
}
