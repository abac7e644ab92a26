/// Typed access to the assembly primitives in `cpu.S`, `entry.S` and
/// `exceptions.S`: port I/O, control registers, MSRs, CPUID, XCR0, descriptor
/// tables, TSC, FPU initialisation and the jump into the application.
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

    static func outl(port: UInt16, value: UInt32) { uk_outl(port, value) }

    static var cr0: UInt64 {
        get { uk_read_cr0() }
        set { uk_write_cr0(newValue) }
    }
    static var cr2: UInt64 { uk_read_cr2() }
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

    /// fninit + FCW 0x37F, and MXCSR 0x1F80 when SSE is enabled.
    static func initializeFPU(sseEnabled: Bool) { uk_init_fpu(sseEnabled ? 1 : 0) }

    /// Jumps to the application (at CPL3 with `userMode`, else CPL0); never returns.
    static func enterApplication(entry: UInt64, stackPointer: UInt64, userMode: Bool) -> Never {
        uk_enter_application(entry, stackPointer, userMode ? 1 : 0)
        haltForever()
    }
}

// Assembly primitives (cpu.S, entry.S, exceptions.S).
@_extern(c, "uk_outl") func uk_outl(_ port: UInt16, _ value: UInt32)
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
@_extern(c, "uk_init_fpu") func uk_init_fpu(_ sse: Int32)
@_extern(c, "uk_enter_application") func uk_enter_application(_ entry: UInt64, _ rsp: UInt64, _ userMode: Int32)
@_extern(c, "uk_kernel_stack_top_address") func uk_kernel_stack_top_address() -> UInt64
@_extern(c, "uk_exception_stubs_base") func uk_exception_stubs_base() -> UInt64
@_extern(c, "uk_syscall_entry_address") func uk_syscall_entry_address() -> UInt64
@_extern(c, "uk_hypercall_area_address") func uk_hypercall_area_address() -> UInt64
@_extern(c, "uk_bounce_buffer_address") func uk_bounce_buffer_address() -> UInt64
