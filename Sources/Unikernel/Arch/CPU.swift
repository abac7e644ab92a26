import UnikernelABI

/// Typed access to the assembly primitives in `cpu.S`, `entry.S` and
/// `exceptions.S`: the hypercall store, CR2, CPUID, TSC, FPU initialisation
/// and the jump into the application. The host sets the CPU up
/// (UK_BOOT_CPU_PREPARED); TLB invalidation and the FS/GS bases work at
/// either privilege level (Platform.swift).
enum CPU {
    /// Result of one CPUID leaf.
    struct CPUIDResult {
        var eax: UInt32 = 0
        var ebx: UInt32 = 0
        var ecx: UInt32 = 0
        var edx: UInt32 = 0
    }

    /// Issues hypercall `port` with its parameter block at guest-physical `block`.
    static func hypercall(port: UInt32, block: UInt64) {
        uk_hypercall(UK_HYPERCALL_VIRT + 8 * UInt64(port - UK_HC_EXIT.rawValue), block)
    }

    /// The FS base (the application's TLS pointer); works at CPL0 and CPL3.
    static var fsBase: UInt64 {
        get { uk_read_fs_base() }
        set { uk_write_fs_base(newValue) }
    }

    /// The GS base; works at CPL0 and CPL3.
    static var gsBase: UInt64 {
        get { uk_read_gs_base() }
        set { uk_write_gs_base(newValue) }
    }

    /// The page-fault address; readable at CPL0 only.
    static var cr2: UInt64 { uk_read_cr2() }

    /// CR0, CR3 and CR4 as the host set them (they never change afterwards),
    /// for crash reports written at CPL3, where the registers cannot be read.
    struct ControlRegisters {
        var cr0: UInt64 = 0
        var cr3: UInt64 = 0
        var cr4: UInt64 = 0
    }
    static var boot = ControlRegisters()

    static func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> CPUIDResult {
        var out: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        // SAFETY: uk_cpuid writes exactly four UInt32 through the pointer, the size of `out`.
        withUnsafeMutablePointer(to: &out) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 4) { uk_cpuid(leaf, subleaf, $0) }
        }
        return CPUIDResult(eax: out.0, ebx: out.1, ecx: out.2, edx: out.3)
    }

    static func invalidatePage(_ address: UInt64) { uk_invlpg(address) }
    static func timestamp() -> UInt64 { uk_rdtsc() }
    static func pause() { uk_pause() }
    static func haltForever() -> Never {
        uk_halt_forever()
        while true {}
    }

    /// fninit (FCW 0x37F); MXCSR was set by the host.
    static func initializeFPU() { uk_init_fpu() }

    /// Starts the application at CPL3; never returns.
    static func enterApplication(entry: UInt64, stackPointer: UInt64) -> Never {
        uk_enter_application(entry, stackPointer)
        haltForever()
    }
}

// Assembly primitives (cpu.S, entry.S, exceptions.S).
@_extern(c, "uk_hypercall") func uk_hypercall(_ slot: UInt64, _ block: UInt64)
@_extern(c, "uk_read_fs_base") func uk_read_fs_base() -> UInt64
@_extern(c, "uk_write_fs_base") func uk_write_fs_base(_ base: UInt64)
@_extern(c, "uk_read_gs_base") func uk_read_gs_base() -> UInt64
@_extern(c, "uk_write_gs_base") func uk_write_gs_base(_ base: UInt64)
@_extern(c, "uk_read_cr2") func uk_read_cr2() -> UInt64
@_extern(c, "uk_cpuid") func uk_cpuid(_ leaf: UInt32, _ subleaf: UInt32, _ out: UnsafeMutablePointer<UInt32>)
@_extern(c, "uk_invlpg") func uk_invlpg(_ address: UInt64)
@_extern(c, "uk_rdtsc") func uk_rdtsc() -> UInt64
@_extern(c, "uk_pause") func uk_pause()
@_extern(c, "uk_halt_forever") func uk_halt_forever()
@_extern(c, "uk_init_fpu") func uk_init_fpu()
@_extern(c, "uk_enter_application") func uk_enter_application(_ entry: UInt64, _ rsp: UInt64)
@_extern(c, "uk_bounce_buffer_address") func uk_bounce_buffer_address() -> UInt64
