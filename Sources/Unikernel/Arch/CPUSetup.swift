import UnikernelABI

/// Puts the CPU into the state a Linux x86-64 program expects: x87/SSE/AVX
/// usable (CR0, CR4, XCR0), FSGSBASE when offered, and SYSCALL routed to
/// the kernel's entry stub (EFER.SCE, STAR, LSTAR, FMASK).
enum CPUSetup {
    /// What the configuration found, for auxv and later FPU initialisation.
    struct Features {
        var sseEnabled = false
        var fsgsbase = false
        var xsaveAreaSize: UInt32 = 512 + 64
        var hwcap: UInt64 = 0
        var hwcap2: UInt64 = 0
    }

    private static let cr0MP: UInt64 = 1 << 1
    private static let cr0EM: UInt64 = 1 << 2
    private static let cr0TS: UInt64 = 1 << 3
    private static let cr4FSGSBASE: UInt64 = 1 << 16
    private static let cr4OSFXSR: UInt64 = 1 << 9
    private static let cr4OSXMMEXCPT: UInt64 = 1 << 10
    private static let cr4OSXSAVE: UInt64 = 1 << 18
    private static let eferSCE: UInt64 = 1
    /// RFLAGS bits cleared on SYSCALL: TF, DF, NT, AC. Not IF: the kernel
    /// handles syscalls at CPL3, where nothing could set IF again.
    private static let syscallFlagMask: UInt64 = 0x100 | 0x400 | 0x4000 | 0x4_0000
    /// XCR0 user-state components: x87, SSE, AVX, AVX-512 opmask, ZMM_Hi256, Hi16_ZMM.
    private static let xcr0AVX512: UInt64 = 0xE0

    static func configure(flags: UInt64) -> Features {
        CPU.cr0 = (CPU.cr0 | cr0MP) & ~(cr0EM | cr0TS)
        var cr4 = CPU.cr4
        if flags & UK_BOOT_FAULT_NO_SSE == 0 {
            cr4 |= cr4OSFXSR | cr4OSXMMEXCPT
            if CPU.cpuid(1).ecx & (1 << 26) != 0 { cr4 |= cr4OSXSAVE }
        }
        if CPU.cpuid(7).ebx & 1 != 0 { cr4 |= cr4FSGSBASE }
        CPU.cr4 = cr4
        if cr4 & cr4OSXSAVE != 0 {
            let supported = UInt64(CPU.cpuid(0xD).eax) | UInt64(CPU.cpuid(0xD).edx) << 32
            var xcr0 = supported & 0x7
            if xcr0 & 0x4 != 0 && supported & xcr0AVX512 == xcr0AVX512 {
                xcr0 |= xcr0AVX512
            }
            CPU.writeXCR0(xcr0 | 0x3)
        }

        CPU.writeMSR(.efer, CPU.readMSR(.efer) | eferSCE)
        // SYSCALL: CS 0x08, SS 0x10. SYSRET: CS = 0x13 + 16 = 0x23, SS = 0x13 + 8 = 0x1B.
        CPU.writeMSR(.star, UInt64(UK_KERNEL_CS) << 32 | UInt64(0x13) << 48)
        CPU.writeMSR(.lstar, uk_syscall_entry_address())
        CPU.writeMSR(.fmask, syscallFlagMask)
        CPU.writeMSR(.fsBase, 0)
        CPU.writeMSR(.gsBase, 0)
        return detect(cr4: cr4)
    }

    /// What the CPU offers the application, from CPUID alone (no privilege
    /// needed): for auxv and signal frames. `cr4` says what is enabled.
    static func detect(cr4: UInt64) -> Features {
        var features = Features()
        let leaf1 = CPU.cpuid(1)
        features.hwcap = UInt64(leaf1.edx)
        features.sseEnabled = cr4 & cr4OSFXSR != 0
        if cr4 & cr4FSGSBASE != 0 {
            features.fsgsbase = true
            features.hwcap2 |= 1 << 1  // HWCAP2_FSGSBASE
        }
        if cr4 & cr4OSXSAVE != 0 {
            features.xsaveAreaSize = CPU.cpuid(0xD).ebx
        }
        return features
    }

    /// AT_MINSIGSTKSZ as Linux computes it (rt_sigframe + padding + xsave area).
    static func minimumSignalStackSize(_ features: Features) -> UInt64 {
        (UInt64(features.xsaveAreaSize) + 680 + 15) & ~15
    }
}
