import UnikernelABI

/// The paragraph printed on stderr when the kernel itself faults: a bug in the kernel, not
/// the program's crash, so it names the kernel function, what trapped, and the system call
/// the kernel was serving (decoded as `--trace` prints it). The runner then exits with 125.
public struct KernelBugReport: Sendable {
    public var crash: GuestCrash
    /// "function+0x1a" in the kernel image (Swift names demangled), nil when not in a symbol.
    public var location: String?
    /// The faulting instruction as objdump decodes it.
    public var instruction: String?
    /// Whether the faulting instruction is `ud2`, which the Swift compiler emits for a failed
    /// runtime check (the kernel's own privileged-operation `ud2` never reaches a report).
    public var isRuntimeTrap: Bool
    /// The call in progress as `--trace` spells it without its result (`write(1, "hi\n", 3)`),
    /// nil when the kernel was not serving one (start-up, demand paging, signal delivery).
    public var syscallInProgress: String?
    public var recentSyscalls: [SyscallRecord]

    /// The runner's exit status for a kernel bug: the hypervisor failed, the program did not.
    public static let exitStatus: Int32 = 125
    /// What `--trace` prints for the result of the call the kernel faulted in.
    public static let traceResult = "? <kernel bug>"

    /// `instructionBytes` are the bytes at rip (empty when unreadable).
    public init(crash: GuestCrash, location: String?, instructionBytes: [UInt8], instruction: String?,
                syscallInProgress: String?, recentSyscalls: [SyscallRecord]) {
        self.crash = crash
        self.location = location
        self.instruction = instruction
        isRuntimeTrap = instructionBytes.starts(with: [0x0F, 0x0B]) || instruction?.hasPrefix("ud2") == true
        self.syscallInProgress = syscallInProgress
        self.recentSyscalls = recentSyscalls
    }

    /// Whether a crash the kernel reported happened in the kernel rather than in the program.
    /// Where the kernel runs at CPL0 (hardware KVM) that is any fault at CPL0: a fault at CPL3
    /// is the program's, even at a kernel address it jumped to. On kvm-pvm both run at CPL3,
    /// and the kernel is what runs in its image's window.
    public static func isKernelFault(_ crash: GuestCrash, kernelPrivileged: Bool) -> Bool {
        let r = crash.registers
        if r.cs & 3 == 0 { return true }
        return !kernelPrivileged && r.rip >= UK_KERNEL_VIRT_BASE && r.rip - UK_KERNEL_VIRT_BASE < UK_KERNEL_WINDOW_SIZE
    }

    /// "name+0x1a" for a kernel address, with Swift names made readable; nil outside every symbol.
    public static func describeKernelAddress(_ address: UInt64, symbols: ELFSymbols) -> String? {
        guard let described = symbols.describe(address) else { return nil }
        guard let plus = described.lastIndex(of: "+"), described[plus...].hasPrefix("+0x") else {
            return SwiftSymbolName.readable(described)
        }
        return SwiftSymbolName.readable(String(described[..<plus])) + described[plus...]
    }

    /// What trapped, for the headline: the exception and what it means in the kernel.
    public var cause: String {
        let kind = ExceptionKind(vector: crash.vector)
        let hex = CrashReport.hex
        switch crash.vector {
        case 6 where isRuntimeTrap:
            return "\(kind.name) (\(kind.mnemonic): a Swift runtime trap)"
        case 14:
            let code = crash.errorCode.map { CrashReport.describePageFault(errorCode: $0) } ?? "no error code"
            return "\(kind.name) (\(kind.mnemonic): \(code) at \(hex(crash.registers.cr2)))"
        default:
            return "\(kind.name) (\(kind.mnemonic)" + (crash.errorCode.map { ", error code \(hex($0))" } ?? "") + ")"
        }
    }

    public var text: String {
        let r = crash.registers
        let hex = CrashReport.hex
        var headline = "hypervisor: kernel bug: \(cause) at rip \(hex(r.rip))"
        if let location { headline += " in \(location)" }
        headline += syscallInProgress.map { " while serving \($0)" } ?? " outside any system call"
        var lines = [headline]
        lines.append("  a bug in the unikernel, not in the program: no system call argument may crash the kernel")
        if let instruction { lines.append("  instruction: \(instruction)") }
        if crash.vector == 6, isRuntimeTrap {
            lines.append("  a Swift runtime trap is a failed check: a precondition, an arithmetic overflow, "
                         + "a nil unwrap or an index out of range")
        }
        lines += CrashReport.generalRegisterLines(r)
        lines.append("  rflags \(hex(r.rflags))  cs \(hex(r.cs))  ss \(hex(r.ss))  cr2 \(hex(r.cr2))  cr3 \(hex(r.cr3))")
        lines += CrashReport.recentSyscallLines(recentSyscalls)
        lines.append("  exit status \(Self.exitStatus) (a kernel bug)")
        return lines.joined(separator: "\n")
    }
}
