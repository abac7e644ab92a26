import UnikernelABI

/// What the CPU, as the host set it up (PreparedCPUState), offers the
/// application: for auxv (AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ) and for the
/// extended-state area of signal frames.
enum CPUSetup {
    /// What the set-up enabled.
    struct Features {
        var sseEnabled = false
        var fsgsbase = false
        var xsaveAreaSize: UInt32 = 512 + 64
        var hwcap: UInt64 = 0
        var hwcap2: UInt64 = 0
    }

    private static let cr4FSGSBASE: UInt64 = 1 << 16
    private static let cr4OSFXSR: UInt64 = 1 << 9

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
        // XSAVE as the running CPU reports it (CPUID.1:ECX.OSXSAVE): on kvm-pvm, CPL3 code runs
        // with the host's CR4 and XCR0 whatever the guest's say.
        if leaf1.ecx & (1 << 27) != 0 {
            features.xsaveAreaSize = CPU.cpuid(0xD).ebx
        }
        return features
    }

    /// AT_MINSIGSTKSZ as Linux computes it (rt_sigframe + padding + xsave area).
    static func minimumSignalStackSize(_ features: Features) -> UInt64 {
        (UInt64(features.xsaveAreaSize) + 680 + 15) & ~15
    }
}
