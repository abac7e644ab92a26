import CLinux
import UnikernelABI

/// The vCPU state at the kernel's first instruction: 64-bit long mode with
/// the boot page tables and GDT, as the boot protocol in unikernel_abi.h states.
public struct BootCPUState: Sendable {
    // Control-register and EFER bits (Intel SDM Vol. 3A §2.5, §2.2.1).
    public static let cr0ProtectionEnable: UInt64 = 1 << 0
    public static let cr0MonitorCoprocessor: UInt64 = 1 << 1
    public static let cr0ExtensionType: UInt64 = 1 << 4
    public static let cr0NumericError: UInt64 = 1 << 5
    public static let cr0WriteProtect: UInt64 = 1 << 16
    public static let cr0Paging: UInt64 = 1 << 31
    public static let cr4PhysicalAddressExtension: UInt64 = 1 << 5
    public static let eferLongModeEnable: UInt64 = 1 << 8
    public static let eferLongModeActive: UInt64 = 1 << 10
    public static let eferNoExecuteEnable: UInt64 = 1 << 11

    public var entry: UInt64
    public var pageTableRoot: UInt64
    public var gdt = BootGDT()

    public init(entry: UInt64, pageTableRoot: UInt64) {
        self.entry = entry
        self.pageTableRoot = pageTableRoot
    }

    public var cr0: UInt64 {
        Self.cr0ProtectionEnable | Self.cr0MonitorCoprocessor | Self.cr0ExtensionType
            | Self.cr0NumericError | Self.cr0WriteProtect | Self.cr0Paging
    }
    public var cr4: UInt64 { Self.cr4PhysicalAddressExtension }
    public var efer: UInt64 { Self.eferLongModeEnable | Self.eferLongModeActive | Self.eferNoExecuteEnable }

    /// `current` with the control registers, segments and descriptor tables replaced.
    public func specialRegisters(from current: kvm_sregs) -> kvm_sregs {
        var sregs = current
        sregs.cr0 = cr0
        sregs.cr3 = pageTableRoot
        sregs.cr4 = cr4
        sregs.efer = efer
        sregs.cs = SegmentDescriptor.kernelCode.kvmSegment(selector: UInt16(UK_KERNEL_CS))
        let data = SegmentDescriptor.kernelData.kvmSegment(selector: UInt16(UK_KERNEL_DS))
        sregs.ds = data; sregs.es = data; sregs.fs = data; sregs.gs = data; sregs.ss = data
        // The GDTR holds a linear address: the GDT is reached through the direct map.
        sregs.gdt.base = UK_DIRECT_MAP_BASE + gdt.address
        sregs.gdt.limit = gdt.limit
        sregs.idt.base = 0
        sregs.idt.limit = 0
        // A busy 64-bit TSS descriptor so VM entry's checks pass; the kernel loads its own.
        var task = kvm_segment()
        task.limit = 0x67
        task.type = 0xB
        task.present = 1
        sregs.tr = task
        var ldt = kvm_segment()
        ldt.unusable = 1
        ldt.type = 0x2
        sregs.ldt = ldt
        return sregs
    }

    /// The x87 control word and MXCSR Linux gives a new process (what `fninit`
    /// and the SSE reset value produce); set by the host so no kernel code runs x87/SSE.
    public static let x87ControlWord: UInt16 = 0x37F
    public static let mxcsr: UInt32 = 0x1F80

    /// `current` with the x87 and SSE control state of a fresh Linux process.
    public func floatingPointState(from current: kvm_fpu) -> kvm_fpu {
        var fpu = current
        fpu.fcw = Self.x87ControlWord
        fpu.fsw = 0
        fpu.ftwx = 0
        fpu.mxcsr = Self.mxcsr
        return fpu
    }

    /// General-purpose registers: RIP at the entry, RDI at the boot info, all else zero.
    public var registers: kvm_regs {
        var regs = kvm_regs()
        regs.rip = entry
        regs.rdi = UK_DIRECT_MAP_BASE + UK_BOOT_INFO_PHYS
        regs.rflags = 0x2
        return regs
    }
}
