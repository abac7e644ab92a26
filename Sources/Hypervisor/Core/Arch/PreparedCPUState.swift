import UnikernelABI

/// The control registers, XCR0 and MSRs the kernel runs with, chosen by the
/// host from the vCPU's CPUID (UK_BOOT_CPU_PREPARED): what a Linux x86-64
/// process expects (x87/SSE/AVX usable, AVX-512 when offered, FSGSBASE when
/// offered) and SYSCALL routed to the kernel's entry.
public struct PreparedCPUState: Equatable, Sendable {
    public static let cr4PAE: UInt64 = 1 << 5
    public static let cr4OSFXSR: UInt64 = 1 << 9
    public static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    public static let cr4FSGSBASE: UInt64 = 1 << 16
    public static let cr4OSXSAVE: UInt64 = 1 << 18
    public static let eferSCE: UInt64 = 1
    /// XCR0 components: x87, SSE, AVX; then AVX-512 opmask, ZMM_Hi256, Hi16_ZMM together.
    public static let xcr0Base: UInt64 = 0x7
    public static let xcr0AVX512: UInt64 = 0xE0

    public static let msrSTAR: UInt32 = 0xC000_0081
    public static let msrLSTAR: UInt32 = 0xC000_0082
    public static let msrFMASK: UInt32 = 0xC000_0084
    public static let msrFSBase: UInt32 = 0xC000_0100
    public static let msrGSBase: UInt32 = 0xC000_0101
    /// SYSCALL: CS 0x08 / SS 0x10; SYSRET: CS 0x13 + 16 = 0x23, SS 0x13 + 8 = 0x1B.
    public static let star: UInt64 = UInt64(UK_KERNEL_CS) << 32 | 0x13 << 48
    /// RFLAGS cleared on SYSCALL: TF, DF, NT, AC; never IF (CPL3 code could not set it again).
    public static let syscallFlagMask: UInt64 = 0x100 | 0x400 | 0x4000 | 0x4_0000

    public var cr0: UInt64
    public var cr4: UInt64
    public var efer: UInt64
    /// nil when XSAVE is not enabled.
    public var xcr0: UInt64?

    public init(cpuid: CPUIDTable, boot: BootCPUState, sseDisabled: Bool) {
        cr0 = boot.cr0
        efer = boot.efer | Self.eferSCE
        var cr4 = boot.cr4 | Self.cr4PAE
        let leaf1 = cpuid.entry(function: 1)
        if !sseDisabled {
            cr4 |= Self.cr4OSFXSR | Self.cr4OSXMMEXCPT
            if let leaf1, leaf1.ecx & (1 << 26) != 0 { cr4 |= Self.cr4OSXSAVE }
        }
        if let leaf7 = cpuid.entry(function: 7), leaf7.ebx & 1 != 0 { cr4 |= Self.cr4FSGSBASE }
        self.cr4 = cr4
        if cr4 & Self.cr4OSXSAVE != 0, let leaf13 = cpuid.entry(function: 0xD, index: 0) {
            let supported = UInt64(leaf13.eax) | UInt64(leaf13.edx) << 32
            var xcr0 = supported & Self.xcr0Base
            if xcr0 & 0x4 != 0, supported & Self.xcr0AVX512 == Self.xcr0AVX512 { xcr0 |= Self.xcr0AVX512 }
            self.xcr0 = xcr0 | 0x3
        } else {
            xcr0 = nil
        }
    }

    /// The MSRs to set, given the kernel's syscall entry.
    public static func modelSpecificRegisters(syscallEntry: UInt64) -> [(UInt32, UInt64)] {
        [(msrSTAR, star), (msrLSTAR, syscallEntry), (msrFMASK, syscallFlagMask), (msrFSBase, 0), (msrGSBase, 0)]
    }
}
