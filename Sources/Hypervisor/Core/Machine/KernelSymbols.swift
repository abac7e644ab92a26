/// The kernel symbols the hypervisor needs to prepare the vCPUs and to forward host signals,
/// looked up in the kernel image's symbol table once per runner (one pass over it).
struct KernelSymbols: Equatable, Sendable {
    /// The kernel's exception stubs (each vCPU's IDT points into them).
    var exceptionStubs: UInt64
    /// The kernel's `syscall` entry (each vCPU's LSTAR).
    var syscallEntry: UInt64
    /// The top of the kernel's boot stack (each vCPU's TSS).
    var kernelStackTop: UInt64
    /// `uk_host_signals` and `uk_host_signal_senders` (nil: the kernel has none).
    var hostSignals: UInt64?
    var hostSignalSenders: UInt64?

    static let required = ["uk_exception_stubs", "uk_syscall_entry", "uk_kernel_stack_top"]
    static let optional = ["uk_host_signals", "uk_host_signal_senders"]

    /// Looks the symbols up in `kernelBytes` (the image at `path`, named in the error).
    init(kernelBytes: FileBytes, path: String) throws(ELFLoadError) {
        let found = ELFSymbols.addresses(of: KernelSymbols.required + KernelSymbols.optional, in: kernelBytes)
        for name in KernelSymbols.required where found[name] == nil {
            throw .missingKernelSymbol(path: path, name: name)
        }
        exceptionStubs = found["uk_exception_stubs"]!
        syscallEntry = found["uk_syscall_entry"]!
        kernelStackTop = found["uk_kernel_stack_top"]!
        hostSignals = found["uk_host_signals"]
        hostSignalSenders = found["uk_host_signal_senders"]
    }
}
