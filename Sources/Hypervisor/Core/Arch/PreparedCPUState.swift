import UnikernelABI

/// The control registers, XCR0 and MSRs the kernel runs with, chosen by the
/// host from the vCPU's CPUID and the host's own state (UK_BOOT_CPU_PREPARED):
/// what a Linux x86-64 process on this host gets (x87/SSE usable, XCR0 the
/// host's as far as KVM offers it: AVX, AVX-512, PKRU, AMX..., protection keys
/// and FSGSBASE when offered) and SYSCALL routed to the kernel's entry. This
/// is the one definition of the guest's CPU set-up; the kernel only reads it.
public struct PreparedCPUState: Equatable, Sendable {
    public static let cr4PAE: UInt64 = 1 << 5
    public static let cr4OSFXSR: UInt64 = 1 << 9
    public static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    public static let cr4FSGSBASE: UInt64 = 1 << 16
    public static let cr4OSXSAVE: UInt64 = 1 << 18
    public static let cr4PKE: UInt64 = 1 << 22
    public static let eferSCE: UInt64 = 1
    /// XCR0 components: x87, SSE, AVX; then AVX-512 opmask, ZMM_Hi256, Hi16_ZMM together.
    public static let xcr0Base: UInt64 = 0x7
    public static let xcr0AVX512: UInt64 = 0xE0
    /// x87 and SSE: always enabled with XSAVE.
    public static let xcr0Legacy: UInt64 = 0x3

    public static let msrSTAR: UInt32 = 0xC000_0081
    public static let msrLSTAR: UInt32 = 0xC000_0082
    public static let msrFMASK: UInt32 = 0xC000_0084
    public static let msrFSBase: UInt32 = 0xC000_0100
    public static let msrGSBase: UInt32 = 0xC000_0101
    /// SYSCALL: CS 0x08 / SS 0x10; SYSRET: CS 0x13 + 16 = 0x23, SS 0x13 + 8 = 0x1B.
    public static let star: UInt64 = UInt64(UK_KERNEL_CS) << 32 | 0x13 << 48
    /// RFLAGS cleared on SYSCALL: TF, DF, NT, AC; IF too where the kernel runs at CPL0
    /// (at CPL3, on kvm-pvm, nothing could set it again).
    public static let syscallFlagMask: UInt64 = 0x100 | 0x400 | 0x4000 | 0x4_0000
    public static let interruptFlag: UInt64 = 0x200

    public var cr0: UInt64
    public var cr4: UInt64
    public var efer: UInt64
    /// nil when XSAVE is not enabled.
    public var xcr0: UInt64?

    /// - Parameters:
    ///   - cpuid: what the vCPU reports (KVM_GET_SUPPORTED_CPUID).
    ///   - hostXCR0: XCR0 as Linux set it for processes on this host (nil without XSAVE);
    ///     the guest enables the same components, as far as KVM offers them.
    ///   - hostProtectionKeys: the host enabled protection keys (CPUID.7:ECX.OSPKE).
    public init(cpuid: CPUIDTable, boot: BootCPUState, sseDisabled: Bool,
                hostXCR0: UInt64? = HostCPU.xcr0,
                hostProtectionKeys: Bool = HostCPU.cpuid(7).ecx & (1 << 4) != 0) {
        cr0 = boot.cr0
        efer = boot.efer | Self.eferSCE
        var cr4 = boot.cr4 | Self.cr4PAE
        let leaf1 = cpuid.entry(function: 1)
        if !sseDisabled {
            cr4 |= Self.cr4OSFXSR | Self.cr4OSXMMEXCPT
            if let leaf1, leaf1.ecx & (1 << 26) != 0 { cr4 |= Self.cr4OSXSAVE }
        }
        if let leaf7 = cpuid.entry(function: 7) {
            if leaf7.ebx & 1 != 0 { cr4 |= Self.cr4FSGSBASE }
            if hostProtectionKeys, leaf7.ecx & (1 << 3) != 0 { cr4 |= Self.cr4PKE }
        }
        self.cr4 = cr4
        if cr4 & Self.cr4OSXSAVE != 0, let leaf13 = cpuid.entry(function: 0xD, index: 0) {
            let supported = UInt64(leaf13.eax) | UInt64(leaf13.edx) << 32
            if let hostXCR0 {
                xcr0 = (hostXCR0 & supported) | Self.xcr0Legacy
            } else {
                var xcr0 = supported & Self.xcr0Base
                if xcr0 & 0x4 != 0, supported & Self.xcr0AVX512 == Self.xcr0AVX512 { xcr0 |= Self.xcr0AVX512 }
                self.xcr0 = xcr0 | Self.xcr0Legacy
            }
        } else {
            xcr0 = nil
        }
    }

    /// The MSRs to set, given the kernel's syscall entry and whether it runs at CPL0.
    public static func modelSpecificRegisters(syscallEntry: UInt64, kernelPrivileged: Bool) -> [(UInt32, UInt64)] {
        let mask = syscallFlagMask | (kernelPrivileged ? interruptFlag : 0)
        return [(msrSTAR, star), (msrLSTAR, syscallEntry), (msrFMASK, mask), (msrFSBase, 0), (msrGSBase, 0)]
    }
}
