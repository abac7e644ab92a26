import UnikernelABI

/// The kernel symbols the hypervisor needs to prepare the vCPUs and to forward host signals:
/// read from the kernel's `Unikernel` note (`uk_kernel_symbols_note`, one small read at each
/// start), or, in an image without it, looked up in its symbol table (one pass over it).
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

    /// The symbols of `kernel` (the image at `kernel.path`, named in the error).
    init(kernel: ELFFile) throws(ELFLoadError) {
        if let note = KernelSymbols.note(in: kernel) {
            for (name, value) in zip(KernelSymbols.required, [note.exception_stubs, note.syscall_entry, note.kernel_stack_top])
            where value == 0 {
                throw .missingKernelSymbol(path: kernel.path, name: name)
            }
            exceptionStubs = note.exception_stubs
            syscallEntry = note.syscall_entry
            kernelStackTop = note.kernel_stack_top
            hostSignals = note.host_signals == 0 ? nil : note.host_signals
            hostSignalSenders = note.host_signal_senders == 0 ? nil : note.host_signal_senders
            return
        }
        let found = ELFSymbols.addresses(of: KernelSymbols.required + KernelSymbols.optional, in: kernel.bytes)
        for name in KernelSymbols.required where found[name] == nil {
            throw .missingKernelSymbol(path: kernel.path, name: name)
        }
        exceptionStubs = found["uk_exception_stubs"]!
        syscallEntry = found["uk_syscall_entry"]!
        kernelStackTop = found["uk_kernel_stack_top"]!
        hostSignals = found["uk_host_signals"]
        hostSignalSenders = found["uk_host_signal_senders"]
    }

    /// The `Unikernel` note of type UK_NOTE_KERNEL_SYMBOLS in a PT_NOTE segment, if one is
    /// there whole (every size and offset checked against the segment and the file).
    static func note(in file: ELFFile) -> uk_kernel_symbols_note? {
        let name = Array("Unikernel".utf8) + [0]
        let descriptorSize = MemoryLayout<uk_kernel_symbols_note>.size
        for header in file.programHeaders where header.type == ELF.programNote {
            guard header.offset <= UInt64(file.bytes.count), header.fileSize <= UInt64(file.bytes.count) - header.offset else { continue }
            let found: uk_kernel_symbols_note? = file.bytes[Int(header.offset)..<Int(header.offset + header.fileSize)].withUnsafeBytes { notes in
                var offset = 0
                while notes.count - offset >= 12 {
                    let nameSize = Int(notes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                    let size = Int(notes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                    let type = notes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                    let nameStart = offset + 12
                    let descriptorStart = nameStart + (nameSize + 3) / 4 * 4
                    let next = descriptorStart + (size + 3) / 4 * 4
                    guard nameSize <= notes.count, size <= notes.count, next <= notes.count else { return nil }
                    if type == UK_NOTE_KERNEL_SYMBOLS, size >= descriptorSize,
                       notes[nameStart..<(nameStart + nameSize)].elementsEqual(name) {
                        return notes.loadUnaligned(fromByteOffset: descriptorStart, as: uk_kernel_symbols_note.self)
                    }
                    offset = next
                }
                return nil
            }
            if let found { return found }
        }
        return nil
    }
}
