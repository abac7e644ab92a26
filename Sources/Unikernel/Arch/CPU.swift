import UnikernelABI

/// Typed access to the assembly primitives in `cpu.S`, `entry.S` and
/// `exceptions.S`: the hypercall store, control registers, MSRs, CPUID, XCR0,
/// descriptor tables, TSC, FPU initialisation, the drop from CPL0 to CPL3
/// and the jump into the application. Control registers and `readMSR` /
/// `writeMSR` need CPL0 (start-up and exception handlers only); TLB
/// invalidation and the FS/GS bases work at either level.
enum CPU {
    /// Model-specific registers the kernel writes.
    enum MSR: UInt32 {
        case efer = 0xC000_0080
        case star = 0xC000_0081
        case lstar = 0xC000_0082
        case fmask = 0xC000_0084
        case fsBase = 0xC000_0100
        case gsBase = 0xC000_0101
    }

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

    static var cr0: UInt64 {
        get { uk_read_cr0() }
        set { uk_write_cr0(newValue) }
    }
    static var cr2: UInt64 { uk_read_cr2() }

    /// CR0, CR3 and CR4 as start-up left them (they never change afterwards),
    /// for crash reports written at CPL3, where the registers cannot be read.
    struct ControlRegisters {
        var cr0: UInt64 = 0
        var cr3: UInt64 = 0
        var cr4: UInt64 = 0
    }
    static var boot = ControlRegisters()
    static var cr3: UInt64 { uk_read_cr3() }
    static var cr4: UInt64 {
        get { uk_read_cr4() }
        set { uk_write_cr4(newValue) }
    }

    static func readMSR(_ msr: MSR) -> UInt64 { uk_rdmsr(msr.rawValue) }
    static func writeMSR(_ msr: MSR, _ value: UInt64) { uk_wrmsr(msr.rawValue, value) }

    static func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> CPUIDResult {
        var out: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        // SAFETY: uk_cpuid writes exactly four UInt32 through the pointer, the size of `out`.
        withUnsafeMutablePointer(to: &out) { tuple in
            tuple.withMemoryRebound(to: UInt32.self, capacity: 4) { uk_cpuid(leaf, subleaf, $0) }
        }
        return CPUIDResult(eax: out.0, ebx: out.1, ecx: out.2, edx: out.3)
    }

    static func readXCR0() -> UInt64 { uk_xgetbv(0) }
    static func writeXCR0(_ value: UInt64) { uk_xsetbv(0, value) }

    static func invalidatePage(_ address: UInt64) { uk_invlpg(address) }
    static func timestamp() -> UInt64 { uk_rdtsc() }
    static func pause() { uk_pause() }
    static func haltForever() -> Never {
        uk_halt_forever()
        while true {}
    }

    /// fninit (FCW 0x37F); MXCSR was set by the host.
    static func initializeFPU() { uk_init_fpu() }

    /// Leaves CPL0 for good: start-up continues in `uk_kmain_user` at CPL3.
    static func continueAtCPL3() -> Never {
        uk_continue_at_cpl3()
        haltForever()
    }

    /// Jumps to the application (from CPL3, at CPL3); never returns.
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
@_extern(c, "uk_continue_at_cpl3") func uk_continue_at_cpl3()
@_extern(c, "uk_read_cr0") func uk_read_cr0() -> UInt64
@_extern(c, "uk_write_cr0") func uk_write_cr0(_ value: UInt64)
@_extern(c, "uk_read_cr2") func uk_read_cr2() -> UInt64
@_extern(c, "uk_read_cr3") func uk_read_cr3() -> UInt64
@_extern(c, "uk_read_cr4") func uk_read_cr4() -> UInt64
@_extern(c, "uk_write_cr4") func uk_write_cr4(_ value: UInt64)
@_extern(c, "uk_rdmsr") func uk_rdmsr(_ msr: UInt32) -> UInt64
@_extern(c, "uk_wrmsr") func uk_wrmsr(_ msr: UInt32, _ value: UInt64)
@_extern(c, "uk_cpuid") func uk_cpuid(_ leaf: UInt32, _ subleaf: UInt32, _ out: UnsafeMutablePointer<UInt32>)
@_extern(c, "uk_xgetbv") func uk_xgetbv(_ index: UInt32) -> UInt64
@_extern(c, "uk_xsetbv") func uk_xsetbv(_ index: UInt32, _ value: UInt64)
@_extern(c, "uk_load_gdt") func uk_load_gdt(_ pointer: UnsafeRawPointer, _ code: UInt16, _ data: UInt16)
@_extern(c, "uk_load_idt") func uk_load_idt(_ pointer: UnsafeRawPointer)
@_extern(c, "uk_load_tr") func uk_load_tr(_ selector: UInt16)
@_extern(c, "uk_invlpg") func uk_invlpg(_ address: UInt64)
@_extern(c, "uk_rdtsc") func uk_rdtsc() -> UInt64
@_extern(c, "uk_pause") func uk_pause()
@_extern(c, "uk_halt_forever") func uk_halt_forever()
@_extern(c, "uk_init_fpu") func uk_init_fpu()
@_extern(c, "uk_enter_application") func uk_enter_application(_ entry: UInt64, _ rsp: UInt64)
@_extern(c, "uk_kernel_stack_top_address") func uk_kernel_stack_top_address() -> UInt64
@_extern(c, "uk_exception_stubs_base") func uk_exception_stubs_base() -> UInt64
@_extern(c, "uk_syscall_entry_address") func uk_syscall_entry_address() -> UInt64
@_extern(c, "uk_hypercall_area_address") func uk_hypercall_area_address() -> UInt64
@_extern(c, "uk_bounce_buffer_address") func uk_bounce_buffer_address() -> UInt64
