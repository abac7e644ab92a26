import UnikernelABI

/// How this machine's KVM treats guest privilege levels, decided once at
/// start-up from what the host found (boot flag UK_BOOT_KERNEL_PRIVILEGED) and
/// checked against the privilege level the kernel was entered at. Every
/// difference between the platforms is derived here (README "Platforms"):
/// - hardware KVM (AMD SVM, Intel VMX): `syscall` enters CPL0, so the kernel
///   runs at CPL0 with supervisor-only pages, the application at CPL3, and the
///   kernel returns to it with `iretq`;
/// - kvm-pvm: CPL0 is emulated one instruction at a time and `syscall` stays
///   at CPL3, so kernel and application share CPL3 and user pages, returns are
///   plain jumps, and hot syscall sites are rewritten into jumps.
enum Platform {
    /// True when the kernel runs at CPL0 and the application at CPL3.
    private(set) static var kernelPrivileged = false

    /// Reads the host's decision; panics when the CPU disagrees with it.
    static func configure(bootFlags: UInt64) {
        kernelPrivileged = bootFlags & UK_BOOT_KERNEL_PRIVILEGED != 0
        let atCPL0 = uk_read_cs() & 3 == 0
        guard atCPL0 == kernelPrivileged else {
            kernelPanic(kernelPrivileged ? "boot: told to run at CPL0 but entered at CPL3"
                                         : "boot: told to run at CPL3 but entered at CPL0")
        }
        uk_set_kernel_privileged(kernelPrivileged ? 1 : 0)
        uk_set_fsgsbase(bootFlags & UK_BOOT_FSGSBASE != 0 ? 1 : 0)
    }

    /// Whether the kernel's own mappings (heap) carry the user bit: only where
    /// the kernel itself runs at CPL3.
    static var kernelPagesUserAccessible: Bool { !kernelPrivileged }

    /// Whether hot `syscall` sites are rewritten into jumps to the kernel.
    /// Only on kvm-pvm, where every `syscall` leaves the guest; on hardware
    /// KVM a `syscall` is a native privilege switch, and a jump could not reach
    /// the supervisor-only kernel anyway.
    static var rewritesSyscallSites: Bool { !kernelPrivileged }
}

@_extern(c, "uk_read_cs") func uk_read_cs() -> UInt16
@_extern(c, "uk_set_kernel_privileged") func uk_set_kernel_privileged(_ privileged: UInt8)
@_extern(c, "uk_set_fsgsbase") func uk_set_fsgsbase(_ usable: UInt8)
